//! `demine plan` on the registry: task values are `demine priority` scores, and after progress
//! reports the plan starts from the current state — work under way stays with its team first,
//! with only the land still left, and finished hazards are not planned again.

mod common;
use common::{collection, demo_in, json_on, rect, Scratch};
use serde_json::Value;

const TEAMS: &str = "id,kind,productivity_m2_per_day,base_lon,base_lat
T1,manual,400,36.0,50.0
";

/// Two hazards of the same size: NEAR by the team base, FAR with an accident on it.
fn registry() -> Scratch {
    let s = Scratch::new();
    let hz = s.file(
        "hz.geojson",
        &collection(&[
            (r#"{"id":"HZ-NEAR","class":"CHA"}"#, &rect(36.05, 50.0, 36.051, 50.0005)),
            (r#"{"id":"HZ-FAR","class":"CHA"}"#, &rect(36.3, 50.0, 36.301, 50.0005)),
            (r#"{"id":"HZ-DONE","class":"CHA"}"#, &rect(36.2, 50.0, 36.2003, 50.0002)),
        ]),
    );
    s.import_ok("hazards", &hz);
    let acc = s.file(
        "acc.geojson",
        &collection(&[(
            r#"{"id":"AC-1","date":"2024-05-01","killed":1,"injured":2}"#,
            r#"{"type":"Point","coordinates":[36.3005,50.00025]}"#,
        )]),
    );
    s.import_ok("accidents", &acc);
    s
}

fn plan(s: &Scratch, teams: &str) -> Value {
    s.ok_json(&[
        "plan",
        "--teams",
        teams,
        "--start",
        "2025-06-03",
        "--calendar",
        "none",
        "--json",
    ])
}

/// Where `task` comes in the team's sequence.
fn place(plan: &Value, team: &str, task: &str) -> usize {
    on_team(plan, team)
        .iter()
        .position(|a| a["task"] == task)
        .unwrap_or_else(|| panic!("{task} not on {team}: {plan}"))
}

/// The team's assignments in start order.
fn on_team<'a>(plan: &'a Value, team: &str) -> Vec<&'a Value> {
    let mut v: Vec<&Value> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["team"] == team)
        .collect();
    v.sort_by(|a, b| a["start"].as_f64().unwrap().total_cmp(&b["start"].as_f64().unwrap()));
    v
}

fn progress(s: &Scratch, id: &str, task: &str, team: &str, polygon: String) {
    let f = s.file(&format!("{id}.geojson"), &collection(&[(r#"{}"#, &polygon)]));
    let (code, _, err) = s.run(&[
        "progress",
        "add",
        "--id",
        id,
        "--date",
        "2025-06-02",
        "--task",
        task,
        "--team",
        team,
        "--team-kind",
        "manual",
        "--polygon",
        f.to_str().unwrap(),
        "--hours",
        "8",
    ]);
    assert_eq!(code, 0, "{err}");
}

fn remaining(s: &Scratch, id: &str) -> f64 {
    let r = s.ok_json(&["release", "--json"]);
    r["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hazard_id"] == id || h["id"] == id)
        .map(|h| h["remaining_m2"].as_f64().unwrap())
        .unwrap_or_else(|| panic!("{id} not in {r}"))
}

#[test]
fn priority_scores_are_the_task_values() {
    let s = registry();
    let teams = s.file("teams.csv", TEAMS).display().to_string();
    let pr = s.ok_json(&["priority", "--json"]);
    let score = |id: &str| {
        pr["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["hazard_id"] == id)
            .unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    assert!(score("HZ-FAR") > score("HZ-NEAR"), "{pr}");
    let p = plan(&s, &teams);
    assert_eq!(p["value_source"], "priority_score");
    // Same size: by remaining hectares the near one would go first (no detour); by priority
    // the one with the accident does.
    assert!(place(&p, "T1", "HZ-FAR") < place(&p, "T1", "HZ-NEAR"), "{p}");
    assert!(p["under_way"].as_array().unwrap().is_empty());
}

#[test]
fn replanning_keeps_work_under_way_and_drops_finished_work() {
    let s = registry();
    let teams = s
        .file("teams.csv", &format!("{TEAMS}T2,manual,300,36.2,50.0\n"))
        .display()
        .to_string();
    let before = plan(&s, &teams);
    // Left to itself the search does not start T1 on HZ-NEAR.
    assert_ne!(on_team(&before, "T1")[0]["task"], "HZ-NEAR", "{before}");
    let near_m2 = remaining(&s, "HZ-NEAR");

    // T1 has started on HZ-NEAR (a strip of it); T2 has finished HZ-DONE.
    progress(&s, "DP-1", "HZ-NEAR", "T1", rect(36.05, 50.0, 36.0502, 50.0005));
    progress(&s, "DP-2", "HZ-DONE", "T2", rect(36.2, 50.0, 36.2003, 50.0002));
    let left_m2 = remaining(&s, "HZ-NEAR");
    assert!(
        left_m2 < 0.9 * near_m2 && left_m2 > 0.5 * near_m2,
        "{left_m2} of {near_m2}"
    );
    assert!(remaining(&s, "HZ-DONE") < 1.0);

    let after = plan(&s, &teams);
    let under_way = after["under_way"].as_array().unwrap();
    assert_eq!(under_way.len(), 1, "{after}");
    assert_eq!(under_way[0]["task"], "HZ-NEAR");
    assert_eq!(under_way[0]["team"], "T1");
    let first = on_team(&after, "T1")[0];
    assert_eq!(first["task"], "HZ-NEAR", "{after}");
    assert_eq!(first["stage"], "clearance");
    let area = first["area_m2"].as_f64().unwrap();
    assert!(
        (area - left_m2).abs() <= 0.01, // `release --json` prints m² to the centimetre
        "planned {area} m², left {left_m2} m²"
    );
    let tasks: Vec<&str> = after["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["task"].as_str().unwrap())
        .collect();
    assert!(!tasks.contains(&"HZ-DONE"), "{tasks:?}");
    assert_eq!(tasks.iter().filter(|&&t| t == "HZ-NEAR").count(), 1);
}

/// The forecast fits how productivity varies from day to day from the demo's daily progress
/// reports, averaged over each piece of work's days beside the site-to-site spread, and its
/// dates stay near the plan's: a campaign of decades (today's survey-led chain) is not made
/// centuries late by a few slow teams.
#[test]
fn forecast_learns_productivity_spread_from_daily_progress() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3"]);
    let db = out.join("demine.gpkg");
    let f = json_on(
        &db,
        &[
            "forecast",
            "--strategy",
            "survey-led",
            "--runs",
            "100",
            "--seed",
            "2",
            "--search-budget",
            "2",
            "--json",
        ],
    );
    assert_eq!(f["productivity_sigma_source"], "daily_progress", "{f}");
    let daily = f["productivity_daily_sigma"].as_f64().unwrap();
    assert!(daily > 0.0 && daily <= 0.8, "{f}");
    // One team's days on one site cannot show how sites differ: that part keeps its default.
    assert_eq!(f["productivity_sigma"], 0.3, "{f}");
    let p50 = f["p50_days"].as_f64().unwrap();
    let p90 = f["p90_days"].as_f64().unwrap();
    let given = json_on(
        &db,
        &[
            "forecast",
            "--strategy",
            "survey-led",
            "--runs",
            "100",
            "--seed",
            "2",
            "--search-budget",
            "2",
            "--productivity-sigma",
            "0.05",
            "--json",
        ],
    );
    assert_eq!(given["productivity_sigma_source"], "--productivity-sigma");
    // A σ given is a piece of work's whole spread: the registry's daily part is not added to it.
    assert_eq!(given["productivity_daily_sigma"], 0.0, "{given}");
    // More spread, later P90; and the median stays within half again of the narrow forecast.
    assert!(p90 >= given["p90_days"].as_f64().unwrap() - 1e-9, "{f} vs {given}");
    assert!(p50 < 1.5 * given["p50_days"].as_f64().unwrap(), "{f} vs {given}");
}
