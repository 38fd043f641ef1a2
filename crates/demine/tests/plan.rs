//! `demine plan`, `forecast` and `capacity` through the CLI.

mod common;
use common::Scratch;
use serde_json::Value;

const TASKS: &str = "id,area_m2,value,lon,lat,stage,methods,ready_date,splittable
a,20000,5,36.1,50.0,nts,,,
b,5000,3,36.2,50.1,clearance,manual|mdd,,
c,60000,2,36.3,50.05,ts,,2026-05-01,true
d,1000,9,36.15,50.2,clearance,,,
";
const TEAMS: &str = "id,kind,productivity_m2_per_day,base_lon,base_lat,start_date,end_date,cost_per_day
N1,nts,20000,36.0,50.0,,,600
T1,ts,3000,36.0,50.0,,,1500
M1,manual,400,36.0,50.0,,,1500
D1,mdd,900,36.3,50.1,2026-04-10,,1200
X1,mechanical,5000,36.0,50.0,,,2500
";

fn files(s: &Scratch) -> (String, String) {
    (
        s.file("tasks.csv", TASKS).display().to_string(),
        s.file("teams.csv", TEAMS).display().to_string(),
    )
}

fn json(s: &Scratch, args: &[&str]) -> Value {
    let (code, out, err) = s.run(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn plan_json_has_the_contract_fields_and_a_consistent_schedule() {
    let s = Scratch::new();
    let (tasks, teams) = files(&s);
    let v = json(
        &s,
        &[
            "plan",
            "--tasks",
            &tasks,
            "--teams",
            &teams,
            "--start",
            "2026-04-01",
            "--calendar",
            "none",
            "--json",
        ],
    );
    for f in [
        "objective",
        "lower_bound",
        "gap",
        "completion_date",
        "assignments",
        "released_by_month",
    ] {
        assert!(v.get(f).is_some(), "missing {f}");
    }
    let a = v["assignments"].as_array().unwrap();
    // Continuous time: start and end are numbers of days, and a team never does two things at once.
    let mut by_team: std::collections::HashMap<&str, Vec<(f64, f64)>> = Default::default();
    for x in a {
        let (s0, e0) = (x["start"].as_f64().unwrap(), x["end"].as_f64().unwrap());
        assert!(e0 >= s0);
        by_team.entry(x["team"].as_str().unwrap()).or_default().push((s0, e0));
    }
    for spans in by_team.values_mut() {
        spans.sort_by(|x, y| x.0.total_cmp(&y.0));
        assert!(spans.windows(2).all(|w| w[1].0 >= w[0].1 - 1e-9));
    }
    // Stages in order: task a's TS starts after its NTS ends; c waits for its ready date (day 30).
    let stage_end = |task: &str, stage: &str| {
        a.iter()
            .filter(|x| x["task"] == task && x["stage"] == stage)
            .map(|x| x["end"].as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    let stage_start = |task: &str, stage: &str| {
        a.iter()
            .filter(|x| x["task"] == task && x["stage"] == stage)
            .map(|x| x["start"].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min)
    };
    assert!(stage_start("a", "ts") >= stage_end("a", "nts") - 1e-9);
    assert!(stage_start("a", "clearance") >= stage_end("a", "ts") - 1e-9);
    assert!(stage_start("c", "ts") >= 30.0 - 1e-9);
    // b may only be cleared by manual or dog teams.
    assert!(a
        .iter()
        .filter(|x| x["task"] == "b")
        .all(|x| x["team"] == "M1" || x["team"] == "D1"));
    // All the land is released: 20,000 + 5,000 + 60,000 + 1,000 m².
    let months = v["released_by_month"].as_array().unwrap();
    let total = months.last().unwrap()["cumulative_m2"].as_f64().unwrap();
    assert!((total - 86_000.0).abs() < 1e-6, "{total}");
    let lb = v["lower_bound"].as_f64().unwrap();
    assert!(lb <= v["objective"].as_f64().unwrap() + 1e-9);
}

#[test]
fn plan_is_reproducible_for_a_seed_and_writes_csv_and_gantt() {
    let s = Scratch::new();
    let (tasks, teams) = files(&s);
    let csv = s.dir.path().join("plan.csv");
    let svg = s.dir.path().join("gantt.svg");
    let args = [
        "plan",
        "--tasks",
        &tasks,
        "--teams",
        &teams,
        "--start",
        "2026-04-01",
        "--seed",
        "9",
        "--json",
    ];
    let mut one = json(&s, &args);
    let mut two = json(
        &s,
        &[
            &args[..],
            &["--csv", csv.to_str().unwrap(), "--gantt", svg.to_str().unwrap()],
        ]
        .concat(),
    );
    one["time_s"] = Value::Null;
    two["time_s"] = Value::Null;
    assert_eq!(one, two);
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), one["assignments"].as_array().unwrap().len() + 1);
    let g = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(g.matches("<rect").count(), one["assignments"].as_array().unwrap().len());
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_located_message() {
    let s = Scratch::new();
    let (tasks, _) = files(&s);
    let bad_kind = s.file("k.csv", "id,kind,productivity_m2_per_day\nA,robot,100\n");
    let zero = s.file("z.csv", "id,kind,productivity_m2_per_day\nA,manual,0\n");
    let only_manual = s.file("m.csv", "id,kind,productivity_m2_per_day\nA,manual,100\n");
    let malformed = s.file("bad.csv", "id,area_m2,value\nt1,\"100,1\n");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--tasks", &tasks, "--teams", bad_kind.to_str().unwrap()],
            "k.csv:2",
        ),
        (vec!["--tasks", &tasks, "--teams", zero.to_str().unwrap()], "z.csv:2"),
        (
            vec!["--tasks", &tasks, "--teams", only_manual.to_str().unwrap()],
            "needs an nts team",
        ),
        (
            vec![
                "--tasks",
                malformed.to_str().unwrap(),
                "--teams",
                only_manual.to_str().unwrap(),
            ],
            "bad.csv",
        ),
    ];
    for (args, expect) in cases {
        let (code, _, err) = s.run(&[&["plan"][..], &args[..]].concat());
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expect), "{expect} not in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let teams = s.file("teams.csv", TEAMS);
    let (code, _, err) = s.run(&[
        "capacity",
        "--tasks",
        &tasks,
        "--teams",
        teams.to_str().unwrap(),
        "--start",
        "2026-04-01",
        "--deadline",
        "2025-12-31",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--deadline 2025-12-31 is not after the plan start"),
        "{err}"
    );
}

#[test]
fn forecast_is_reproducible_and_more_teams_finish_sooner() {
    let s = Scratch::new();
    let (tasks, teams) = files(&s);
    let base = [
        "forecast",
        "--tasks",
        &tasks,
        "--teams",
        &teams,
        "--start",
        "2026-04-01",
        "--runs",
        "200",
        "--seed",
        "4",
        "--json",
    ];
    let mut one = json(&s, &base);
    let mut two = json(&s, &base);
    for v in [&mut one, &mut two] {
        v["plan_time_s"] = Value::Null;
        v["monte_carlo_time_s"] = Value::Null;
    }
    assert_eq!(one, two);
    assert_eq!(one["runs"], 200);
    let d = |v: &Value, f: &str| v[f].as_f64().unwrap();
    assert!(d(&one, "p10_days") <= d(&one, "p50_days") && d(&one, "p50_days") <= d(&one, "p90_days"));
    for m in one["released_curve"].as_array().unwrap() {
        assert!(m["p10"].as_f64().unwrap() <= m["p90"].as_f64().unwrap());
    }
    let more = json(&s, &[&base[..], &["--add-teams", "ts:2,mechanical:2"]].concat());
    assert!(
        d(&more, "p50_days") < d(&one, "p50_days"),
        "{} vs {}",
        more["p50_days"],
        one["p50_days"]
    );
}

#[test]
fn ukraine_757_years_through_the_cli() {
    let s = Scratch::new();
    let mut tasks = String::from("id,area_m2,value\n");
    for i in 0..1000 {
        tasks.push_str(&format!("area-{i},174000000,1\n"));
    }
    let mut teams = String::from("id,kind,productivity_m2_per_day\n");
    for i in 0..500 {
        teams.push_str(&format!("team-{i},manual,{}\n", 0.46e6 / 365.0));
    }
    let t = s.file("tasks.csv", &tasks);
    let k = s.file("teams.csv", &teams);
    let v = json(
        &s,
        &[
            "plan",
            "--tasks",
            t.to_str().unwrap(),
            "--teams",
            k.to_str().unwrap(),
            "--start",
            "2026-01-01",
            "--calendar",
            "none",
            "--search-budget",
            "5",
            "--json",
        ],
    );
    let years = v["completion_days"].as_f64().unwrap() / 365.0;
    assert!((years - 756.5).abs() < 1.0, "{years}");
}

/// Tasks and teams saved by a spreadsheet in much of Europe (semicolons, decimal commas), or with
/// commas between fields and decimal commas quoted, plan exactly as their plain comma twins.
#[test]
fn semicolon_spreadsheet_inputs_plan_as_the_comma_files() {
    let s = Scratch::new();
    let (tasks, teams) = files(&s);
    let spreadsheet = |text: &str| {
        text.lines()
            .map(|line| {
                line.split(',')
                    .map(|field| field.replace('.', ","))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let semicolon_tasks = s.file("tasks-uk.csv", &spreadsheet(TASKS)).display().to_string();
    let semicolon_teams = s.file("teams-uk.csv", &spreadsheet(TEAMS)).display().to_string();
    assert!(spreadsheet(TASKS).contains("36,1;50,0"));
    let plan = |tasks: &str, teams: &str| {
        let args = [
            "plan",
            "--tasks",
            tasks,
            "--teams",
            teams,
            "--start",
            "2026-04-01",
            "--calendar",
            "none",
        ];
        let v = json(&s, &[&args[..], &["--json"]].concat());
        (
            v["objective"].clone(),
            v["completion_date"].clone(),
            v["assignments"].clone(),
        )
    };
    assert_eq!(plan(&semicolon_tasks, &semicolon_teams), plan(&tasks, &teams));
    // LibreOffice set to Ukrainian saving with commas between fields: decimal commas, quoted.
    let libreoffice = |text: &str| {
        text.lines()
            .map(|line| {
                line.split(',')
                    .map(|field| match field.contains('.') {
                        true => format!("\"{}\"", field.replace('.', ",")),
                        false => field.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(libreoffice(TASKS).contains("\"36,1\",\"50,0\""));
    let quoted_tasks = s.file("tasks-lo.csv", &libreoffice(TASKS)).display().to_string();
    let quoted_teams = s.file("teams-lo.csv", &libreoffice(TEAMS)).display().to_string();
    assert_eq!(plan(&quoted_tasks, &quoted_teams), plan(&tasks, &teams));
}

#[test]
fn capacity_says_when_costs_use_the_default_day_rates() {
    let s = Scratch::new();
    let (tasks, priced) = files(&s);
    let unpriced = s
        .file(
            "teams-unpriced.csv",
            &TEAMS.replace(",,,600\n", ",,,\n").replace(",,,2500\n", ",,,\n"),
        )
        .display()
        .to_string();
    let capacity = |teams: &str, extra: &[&str]| {
        let args = [
            &["capacity", "--tasks", &tasks, "--teams", teams, "--start", "2026-04-01"][..],
            &["--deadline", "2026-12-31", "--runs", "50", "--seed", "3"],
            extra,
        ]
        .concat();
        let (code, out, err) = s.run(&args);
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let notes = |out: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(out).unwrap();
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !notes(&capacity(&priced, &["--json"]).0)
            .iter()
            .any(|n| n.contains("cost_per_day")),
        "every team has its cost"
    );
    let with_defaults = notes(&capacity(&unpriced, &["--json"]).0);
    assert!(
        with_defaults
            .iter()
            .any(|n| n.starts_with("2 of 5 teams have no cost_per_day")
                && n.contains("nts 600")
                && n.contains("mechanical 2500")),
        "{with_defaults:?}"
    );
    // Notes go to stderr beside the answer, in the user's language.
    let (answer, uk) = capacity(&unpriced, &["--lang", "uk"]);
    assert!(uk.contains("2 з 5 груп не мають cost_per_day; вартість"), "{uk}");
    // The teams there are finish in time: nothing to add, said as such.
    assert!(
        answer
            .contains("спроможність: наявні групи завершать до 2026-12-31 з імовірністю 90 %, додавати групи не треба"),
        "{answer}"
    );
}

/// Mechanical clearance from December, due in mid-January: machines stop December–February, so
/// no mix finishes in time; capacity says the calendar holds the date (working every day the
/// same machines would), in text and JSON, in English and Ukrainian.
#[test]
fn capacity_says_when_the_working_calendar_holds_the_date() {
    let s = Scratch::new();
    let tasks = s
        .file(
            "winter-tasks.csv",
            "id,area_m2,value,lon,lat,stage,methods,ready_date,splittable\n\
             w1,30000,5,36.1,50.0,clearance,mechanical,,\nw2,30000,3,36.1,50.01,clearance,mechanical,,\n",
        )
        .display()
        .to_string();
    let teams = s
        .file(
            "winter-teams.csv",
            "id,kind,productivity_m2_per_day,base_lon,base_lat,start_date,end_date,cost_per_day\n\
             X1,mechanical,5000,36.1,50.0,,,2500\nX2,mechanical,5000,36.1,50.0,,,2500\n",
        )
        .display()
        .to_string();
    let args = [
        "capacity",
        "--tasks",
        &tasks,
        "--teams",
        &teams,
        "--start",
        "2026-12-01",
        "--deadline",
        "2027-01-15",
        "--runs",
        "50",
    ];
    let v = json(&s, &[&args[..], &["--json"]].concat());
    assert_eq!(v["achievable"], false, "{v}");
    assert!(v["earliest_date_at_confidence"].as_str().unwrap() > "2027-03-01", "{v}");
    let every_day = &v["every_day"];
    assert!(every_day["probability"].as_f64().unwrap() >= 0.9, "{v}");
    assert!(
        every_day["completion_date_at_confidence"].as_str().unwrap() <= "2027-01-15",
        "{v}"
    );
    let (code, out, err) = s.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("no mix can finish by 2027-01-15")
            && out.contains("the working calendar holds the date, not the number of teams"),
        "{out}"
    );
    let (_, uk, _) = s.run(&[&["--lang", "uk"][..], &args[..]].concat());
    assert!(uk.contains("дату тримає робочий календар"), "{uk}");
    // Working every day already, nothing holds the date but the work: no such line.
    let (_, none, _) = s.run(&[&args[..], &["--calendar", "none"]].concat());
    assert!(!none.contains("working calendar holds"), "{none}");
}
