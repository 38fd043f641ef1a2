//! Sanity figures a planner must reproduce, and bad input.

use chrono::NaiveDate;
use demine_plan::*;
use std::io::Write;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

/// GLOBSEC's figure: 174,000 km² with 500 teams at 0.46 km² per team per year is ~757 years.
#[test]
fn ukraine_uniform_takes_about_757_years() {
    let per_day = 0.46e6 / 365.0;
    let tasks: Vec<Task> = (0..1000)
        .map(|i| Task {
            id: format!("area-{i}"),
            area_m2: 174_000e6 / 1000.0,
            value: 1.0,
            site: None,
            stage: Stage::Clearance,
            methods: vec![],
            terrain: None,
            ready_day: 0.0,
            splittable: false,
            under_way_by: None,
        })
        .collect();
    let teams: Vec<Team> = (0..500)
        .map(|i| Team {
            id: format!("team-{i}"),
            kind: TeamKind::Manual,
            productivity_m2_per_day: per_day,
            base: None,
            start_day: 0.0,
            end_day: None,
            cost_per_day: 1000.0,
        })
        .collect();
    let p = Problem {
        start_date: start(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    };
    let plan = plan(
        &p,
        &PlanOptions {
            time_limit_s: 5.0,
            lns_steps_per_job: 1,
            ..Default::default()
        },
    );
    let years = plan.completion_day / 365.0;
    assert!((years - 756.5).abs() < 1.0, "completion after {years} years");
    let released = plan.released_by_month().last().unwrap().cumulative_m2;
    assert!((released - 174_000e6).abs() < 1.0);
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn bad_teams_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "teams.csv",
        "id,kind,productivity_m2_per_day\nA,manual,100\nB,robot,100\nC,mdd,0\nD,mechanical,-5\n",
    );
    let e = read_teams(&f, start()).unwrap_err();
    let text = e.to_string();
    assert_eq!(e.0.len(), 3, "{text}");
    assert!(e.0[0].line == 3 && e.0[0].field.as_deref() == Some("kind"), "{text}");
    assert!(text.contains("unknown team kind 'robot'"), "{text}");
    assert!(e.0[1].line == 4 && e.0[1].field.as_deref() == Some("productivity_m2_per_day"));
    assert!(e.0[2].line == 5);
}

#[test]
fn malformed_csv_and_missing_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "tasks.csv", "id,area_m2,value\nt1,100,1\nt2,100\n");
    let e = read_tasks(&f, start()).unwrap_err();
    assert_eq!(e.0[0].line, 3, "{e}");
    let f = write(&dir, "tasks2.csv", "id,area_m2\nt1,100\n");
    let e = read_tasks(&f, start()).unwrap_err();
    assert!(e.to_string().contains("missing column(s) value"), "{e}");
}

#[test]
fn a_task_no_team_can_do_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = write(
        &dir,
        "tasks.csv",
        "id,area_m2,value,stage,methods\nt1,100,1,clearance,mdd\nt2,100,1,nts,\nt3,50,1,clearance,manual\n",
    );
    let teams = write(&dir, "teams.csv", "id,kind,productivity_m2_per_day\nA,manual,100\n");
    let p = Problem {
        start_date: start(),
        tasks: read_tasks(&tasks, start()).unwrap(),
        teams: read_teams(&teams, start()).unwrap(),
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    };
    let e = check_feasible(&p, "tasks.csv", "teams.csv").unwrap_err();
    let ids: Vec<_> = e.0.iter().map(|p| p.id.clone().unwrap()).collect();
    assert_eq!(ids, ["t1", "t2", "t2"], "{e}");
    assert!(e.to_string().contains("needs an nts team"), "{e}");
}
