//! Sanity figures a planner must reproduce, and bad input.

use chrono::NaiveDate;
use demine_plan::*;
use std::io::Write;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

/// `n` equal clearance tasks of `area_m2` each and `k` manual teams at `per_day` m²/day, in
/// continuous time without travel.
fn uniform_problem(n: usize, area_m2: f64, k: usize, per_day: f64) -> Problem {
    let tasks: Vec<Task> = (0..n)
        .map(|i| Task {
            id: format!("area-{i}"),
            area_m2,
            value: 1.0,
            site: None,
            stage: Stage::Clearance,
            methods: vec![],
            terrain: None,
            ready_day: 0.0,
            splittable: false,
            under_way_by: None,
            prepare_ground: false,
        })
        .collect();
    let teams: Vec<Team> = (0..k)
        .map(|i| Team {
            id: format!("team-{i}"),
            kind: TeamKind::Manual,
            productivity_m2_per_day: per_day,
            productivity_by_terrain: vec![],
            base: None,
            start_day: 0.0,
            end_day: None,
            cost_per_day: 1000.0,
        })
        .collect();
    Problem {
        start_date: start(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    }
}

/// GLOBSEC's figure: 174,000 km² with 500 teams at 0.46 km² per team per year is ~757 years.
#[test]
fn ukraine_uniform_takes_about_757_years() {
    let p = uniform_problem(1000, 174_000e6 / 1000.0, 500, 0.46e6 / 365.0);
    let plan = plan(
        &p,
        &PlanOptions {
            search_budget_s: 5.0,
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
        // A blank line (left by a spreadsheet) must not shift the lines named.
        "id,area_m2,value,stage,methods\nt1,100,1,clearance,mdd\n\nt2,100,1,nts,\nt3,50,1,clearance,manual\n",
    );
    let teams = write(&dir, "teams.csv", "id,kind,productivity_m2_per_day\nA,manual,100\n");
    let (tasks, task_lines) = read_tasks_with_lines(&tasks, start()).unwrap();
    let p = Problem {
        start_date: start(),
        tasks,
        teams: read_teams(&teams, start()).unwrap(),
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    };
    let e = check_feasible(&p, "tasks.csv", &task_lines, "teams.csv").unwrap_err();
    let ids_at_lines: Vec<_> = e.0.iter().map(|p| (p.id.clone().unwrap(), p.line)).collect();
    assert_eq!(
        ids_at_lines,
        [("t1".to_string(), 2), ("t2".to_string(), 4), ("t2".to_string(), 4)],
        "{e}"
    );
    assert!(e.to_string().contains("tasks.csv:4 (id t2)"), "{e}");
    assert!(e.to_string().contains("needs an nts team"), "{e}");
}

/// Productivity by terrain: a team fast in forest and slow on farmland gets the forest, and
/// each piece of work lasts its area over the team's productivity on that terrain.
#[test]
fn productivity_by_terrain_sets_durations_and_who_does_what() {
    let dir = tempfile::tempdir().unwrap();
    let teams = read_teams(
        &write(
            &dir,
            "teams.csv",
            "id,kind,productivity_m2_per_day,productivity_by_terrain\n\
             A,manual,100,Forest:1000\n\
             B,manual,1000,forest:50|farmland:800\n",
        ),
        start(),
    )
    .unwrap();
    let tasks = read_tasks(
        &write(
            &dir,
            "tasks.csv",
            "id,area_m2,value,terrain\nwood,10000,1,forest\nfield,8000,1,farmland\nother,2000,1,urban\n",
        ),
        start(),
    )
    .unwrap();
    let p = Problem {
        start_date: start(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    };
    let plan = plan(&p, &PlanOptions::default());
    let get = |task: &str| plan.assignments.iter().find(|a| a.task == task).unwrap();
    let (wood, field) = (get("wood"), get("field"));
    assert_eq!((wood.team.as_str(), field.team.as_str()), ("A", "B"));
    assert!((wood.end_day - wood.start_day - 10.0).abs() < 1e-9);
    assert!((field.end_day - field.start_day - 10.0).abs() < 1e-9);
    // No figure for urban: the team's general productivity.
    let other = get("other");
    let general = if other.team == "A" { 100.0 } else { 1000.0 };
    assert!((other.end_day - other.start_day - 2000.0 / general).abs() < 1e-9);
    assert!(plan.lower_bound.unwrap() <= plan.objective + 1e-9);
}

#[test]
fn bad_productivity_by_terrain_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "teams.csv",
        "id,kind,productivity_m2_per_day,productivity_by_terrain\nA,manual,100,forest:150\nB,manual,100,forest:-3\n",
    );
    let e = read_teams(&f, start()).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert_eq!(e.0[0].line, 3);
    assert_eq!(e.0[0].field.as_deref(), Some("productivity_by_terrain"));
    assert!(e.to_string().contains("forest:-3"), "{e}");
}

/// A machine prepares the ground before the manual team clears: clearance starts when the
/// preparation ends, preparation releases nothing, and without a machine the task is refused.
#[test]
fn ground_preparation_gates_manual_clearance() {
    let dir = tempfile::tempdir().unwrap();
    let tasks_csv = write(
        &dir,
        "tasks.csv",
        "id,area_m2,value,methods,prepare_ground\nbush,10000,5,manual,true\nopen,2000,1,manual,\n",
    );
    let (tasks, task_lines) = read_tasks_with_lines(&tasks_csv, start()).unwrap();
    let teams = read_teams(
        &write(
            &dir,
            "teams.csv",
            "id,kind,productivity_m2_per_day\nM,mechanical,5000\nP,manual,500\n",
        ),
        start(),
    )
    .unwrap();
    let mut p = Problem {
        start_date: start(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    };
    check_feasible(&p, "tasks.csv", &task_lines, "teams.csv").unwrap();
    let plan = plan(&p, &PlanOptions::default());
    let prep = plan
        .assignments
        .iter()
        .find(|a| a.task == "bush" && a.stage == Stage::Preparation)
        .expect("a preparation piece");
    let clear = plan
        .assignments
        .iter()
        .find(|a| a.task == "bush" && a.stage == Stage::Clearance)
        .unwrap();
    assert_eq!((prep.team.as_str(), clear.team.as_str()), ("M", "P"));
    assert!((prep.end_day - prep.start_day - 2.0).abs() < 1e-9);
    assert!(clear.start_day >= prep.end_day - 1e-9, "{clear:?} before {prep:?}");
    assert!((prep.area_m2 - 10000.0).abs() < 1e-9);
    // Released land is the tasks' area: preparation releases none of it.
    let released: f64 = plan.releases.iter().map(|r| r.1).sum();
    assert!((released - 12000.0).abs() < 1e-6, "{released}");
    assert!(plan.lower_bound.unwrap() <= plan.objective + 1e-9);

    p.teams.retain(|t| t.kind != TeamKind::Mechanical);
    let e = check_feasible(&p, "tasks.csv", &task_lines, "teams.csv").unwrap_err();
    assert_eq!(e.0[0].field.as_deref(), Some("prepare_ground"), "{e}");
    assert_eq!(e.0[0].line, 2);
}

/// A long campaign of many teams: productivity that varies from site to site (σ 0.8, a wide
/// spread) moves the forecast completion only a little around the plan's, because over dozens
/// of tasks per team slow and fast sites even out. (Drawing one factor per team for the whole
/// campaign made the slowest of 40 teams set the date, decades late.)
#[test]
fn site_to_site_variation_evens_out_over_a_long_campaign() {
    let p = uniform_problem(800, 20_000.0, 40, 500.0);
    let plan = plan(&p, &PlanOptions::default());
    // 20 tasks of 40 days per team: 800 days.
    assert!((plan.completion_day - 800.0).abs() < 1e-6, "{}", plan.completion_day);
    let f = forecast(
        &p,
        &plan,
        &ForecastOptions {
            runs: 300,
            seed: 7,
            productivity_sigma: 0.8,
            daily_sigma: 0.0,
            rate_sd: 0.0,
            area_growth_mu: 0.0,
            area_growth_sigma: 0.0,
        },
    );
    // Each team's time is a sum of 20 factors of mean 1 (sd ≈ 0.95): 800 days ± ~21 %, and the
    // campaign ends with the last of 40 such teams (about +45 %). One factor per team instead
    // would put the slowest team near 1/0.13 ≈ 8× late.
    assert!(
        f.p10_day > 800.0 && f.p90_day < 2.0 * 800.0,
        "P10 {} P50 {} P90 {}",
        f.p10_day,
        f.p50_day,
        f.p90_day
    );
    assert!(f.p10_day <= f.p50_day && f.p50_day <= f.p90_day);
}

/// Daily progress shows how a team's output varies from one day to the next; a piece of work of
/// 40 days averages 40 such days, so that spread moves its length by σ/√40, not σ. Taken as each
/// piece's own spread, one team's σ of 0.7 a day put the forecast P90 months after the plan.
#[test]
fn a_days_spread_averages_out_over_a_piece_of_work() {
    // One team, 5 tasks of 40 days each: 200 days.
    let p = uniform_problem(5, 20_000.0, 1, 500.0);
    let plan = plan(&p, &PlanOptions::default());
    assert!((plan.completion_day - 200.0).abs() < 1e-6, "{}", plan.completion_day);
    let spread = |productivity_sigma: f64, daily_sigma: f64| {
        let f = forecast(
            &p,
            &plan,
            &ForecastOptions {
                runs: 2000,
                seed: 3,
                productivity_sigma,
                daily_sigma,
                rate_sd: 0.0,
                area_growth_mu: 0.0,
                area_growth_sigma: 0.0,
            },
        );
        (f.p10_day, f.p90_day)
    };
    // Per piece σ = 0.7/√40 ≈ 0.11; five pieces: the total's σ ≈ 0.05, P10–P90 ≈ ±6 %.
    let (p10, p90) = spread(0.0, 0.7);
    assert!(p10 > 0.9 * 200.0 && p90 < 1.1 * 200.0, "daily: P10 {p10} P90 {p90}");
    // The same σ for each piece as a whole: P90 well past the plan.
    let (_, p90_site) = spread(0.7, 0.0);
    assert!(p90_site > 1.3 * 200.0, "site: P90 {p90_site}");
    // Both: the site-to-site part dominates and the daily part adds a little.
    let (_, p90_both) = spread(0.7, 0.7);
    assert!(
        p90_both >= p90_site - 1e-9 && p90_both < 1.05 * p90_site,
        "both: P90 {p90_both} vs {p90_site}"
    );
}

/// The cheap bound capacity checks before planning a mix: it never exceeds what a plan takes,
/// and in continuous time with equal tasks on equal teams it is the plan's completion.
#[test]
fn stage_work_bound_is_a_lower_bound_on_completion() {
    // Manual teams only (no machines or dogs to add).
    let mut p = uniform_problem(12, 1000.0, 3, 100.0);
    for t in &mut p.tasks {
        t.methods = vec![TeamKind::Manual];
    }
    let bound = demine_plan::forecast::stage_work_bound_days(&p);
    assert!((bound - 40.0).abs() < 1e-9, "{bound}");
    let pl = plan(&p, &PlanOptions::default());
    assert!(pl.completion_day >= bound - 1e-9 && (pl.completion_day - 40.0).abs() < 1e-6);
    // No team for the work: infinite.
    let mut none = p.clone();
    none.teams.clear();
    assert!(demine_plan::forecast::stage_work_bound_days(&none).is_infinite());
    // Capacity: a deadline no mix can meet is answered with the earliest day, the same with or
    // without the bound (every mix but the largest is hopeless); a reachable one is met.
    let opts = |deadline_day: f64| CapacityOptions {
        deadline_day,
        confidence: 0.9,
        forecast: ForecastOptions {
            runs: 40,
            seed: 7,
            ..Default::default()
        },
        plan_budget_s: 0.2,
        max_rounds: 0,
    };
    let late = capacity(&p, &opts(1.0));
    assert!(!late.achievable, "{late:?}");
    let earliest = late.earliest_day_at_confidence.unwrap();
    assert!(earliest > 1.0 && earliest < 40.0, "{earliest}");
    // Only the base and the largest mix were planned, then both confirmed with real teams; the
    // answer is the sooner, at its date.
    assert_eq!(late.trials, 4, "{late:?}");
    assert_eq!(late.completion_day_at_confidence, earliest);
    assert!(late.extra.iter().sum::<usize>() > 0, "{late:?}");
    let met = capacity(&p, &opts(30.0));
    assert!(met.achievable && met.probability >= 0.9, "{met:?}");
    assert!(met.extra.iter().sum::<usize>() >= 1);
    // In continuous time nothing holds the date but the work.
    assert_eq!((late.every_day, met.every_day), (None, None));
}

/// Machines that stop December–February cannot clear by mid-February whatever their number:
/// capacity says no mix finishes in time, the earliest after the winter, and that working every
/// day of the year the same machines would (the calendar, not the teams, holds the date).
#[test]
fn capacity_says_when_the_calendar_holds_the_date() {
    let mut p = uniform_problem(12, 750.0, 3, 100.0);
    for t in &mut p.tasks {
        t.methods = vec![TeamKind::Mechanical];
    }
    for team in &mut p.teams {
        team.kind = TeamKind::Mechanical;
    }
    p.calendar = CalendarSpec::Working(WorkingCalendar::default());
    let opts = CapacityOptions {
        deadline_day: 45.0,
        confidence: 0.9,
        forecast: ForecastOptions {
            runs: 40,
            seed: 3,
            ..Default::default()
        },
        plan_budget_s: 0.2,
        max_rounds: 0,
    };
    let answer = capacity(&p, &opts);
    let march = 59.0;
    assert!(!answer.achievable, "{answer:?}");
    assert!(answer.earliest_day_at_confidence.unwrap() > march, "{answer:?}");
    let (by_deadline, day) = answer.every_day.expect("a working calendar");
    assert!(by_deadline >= 0.9 && day < 45.0, "{answer:?}");
}
