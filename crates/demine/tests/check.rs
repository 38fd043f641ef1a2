//! `demine check`: the data-quality report finds what an information officer must look at.

mod common;
use common::*;

#[test]
fn check_reports_each_kind_of_defect() {
    let s = Scratch::new();
    // A spike: the boundary runs out to (30.03, 50.005) and straight back along itself, less
    // than 1° apart — valid for import (no crossing), but a digitising slip.
    let spiky = r#"{"type":"Polygon","coordinates":[[[30.0,50.0],[30.01,50.0],[30.01,50.0049],[30.03,50.005],[30.01,50.0051],[30.01,50.01],[30.0,50.01],[30.0,50.0]]]}"#;
    // A 7 km edge: two vertices far apart.
    let long = rect(31.0, 50.0, 31.1, 50.01);
    let hz = collection(&[
        (r#"{"id":"SPIKE","class":"SHA"}"#, spiky),
        (r#"{"id":"LONG","class":"SHA"}"#, &long),
        (
            r#"{"id":"OVER-A","class":"SHA","organisation":"NGO-1"}"#,
            &rect(32.0, 50.0, 32.02, 50.01),
        ),
        (
            r#"{"id":"OVER-B","class":"SHA","organisation":"NGO-2"}"#,
            &rect(32.01, 50.0, 32.03, 50.01),
        ),
    ]);
    s.import_ok("hazards", &s.file("h.geojson", &hz));
    let acts = collection(&[(
        r#"{"id":"OUT","hazard_id":"OVER-A","type":"TS","outcome":"reduced","start_date":"2024-01-01","end_date":"2024-01-05"}"#,
        &rect(31.99, 50.0, 32.005, 50.01),
    )]);
    s.import_ok("activities", &s.file("a.geojson", &acts));
    s.import_ok(
        "finds",
        &s.file(
            "f.csv",
            "id,date,category,lon,lat\nIN,2024-01-02,AP_mine,32.001,50.001\nLOST,2024-01-02,UXO,35.0,48.0\n",
        ),
    );

    let v = s.ok_json(&["check", "--json"]);
    let issues = v["issues"].as_array().unwrap();
    let has = |check: &str, id: &str| issues.iter().any(|i| i["check"] == check && i["id"] == id);
    assert!(has("spike", "SPIKE"), "{v:#}");
    assert!(has("long_edge", "LONG"), "{v:#}");
    assert!(
        has("hazard_overlap", "OVER-A") || has("hazard_overlap", "OVER-B"),
        "{v:#}"
    );
    assert!(has("activity_outside_hazard", "OUT"), "{v:#}");
    assert!(has("find_outside_hazards", "LOST"), "{v:#}");
    assert!(
        !issues.iter().any(|i| i["id"] == "IN"),
        "a find inside a hazard is fine: {v:#}"
    );
    // Only warnings: exit 0, unless --strict.
    assert_eq!(s.run(&["check"]).0, 0);
    assert_eq!(s.run(&["check", "--strict"]).0, 1);
    let (_, text, _) = s.run(&["check"]);
    assert!(text.contains("overlaps hazard") && text.contains("m²"), "{text}");
    // Areas grouped by thousands (797,383 m², not 797383 m²).
    assert!(text.contains("by 797,383 m² (50.0 % of OVER-A)"), "{text}");
    // In Ukrainian every issue reads in Ukrainian, its figures, ids and check names kept.
    let (_, uk, _) = s.run(&["--lang", "uk", "check"]);
    for ukrainian in [
        "попередження: ділянки SPIKE: [spike] шпичак: ребра сходяться під кутом",
        "[long_edge] сусідні вершини на відстані",
        "[hazard_overlap] перекриває ділянку OVER-",
        "лежить поза своєю ділянкою",
        "; звільненою вважається лише частина всередині",
        "знахідки LOST: [find_outside_hazards] знахідка UXO у точці (35, 48) лежить поза",
        // Figures as Ukrainian writes them: a decimal comma, thousands apart.
        "на 797\u{a0}383 м² (50,0 % від OVER-A)",
        "на відстані 7,2 км",
    ] {
        assert!(uk.contains(ukrainian), "{ukrainian:?} not in {uk}");
    }
    for english in [
        "warning:",
        "overlaps hazard",
        "lies outside",
        "edges meet",
        "consecutive vertices",
        "counts as released",
    ] {
        assert!(!uk.contains(english), "{english:?} left in {uk}");
    }
}

#[test]
fn check_on_clean_data_is_quiet() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"H","class":"CHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let v = s.ok_json(&["check", "--json"]);
    assert_eq!(v["issues"].as_array().unwrap().len(), 0, "{v:#}");
    assert_eq!(s.run(&["check", "--strict"]).0, 0);
}

/// Two hazards that share land: `release` counts the shared land once, a plan takes each hazard's
/// remaining land as its task, so the plan says how much it plans twice instead of disagreeing
/// with `release` in silence.
#[test]
fn a_plan_names_the_land_overlapping_hazards_share() {
    let s = Scratch::new();
    let hz = collection(&[
        (r#"{"id":"OVER-A","class":"SHA"}"#, &rect(32.0, 50.0, 32.02, 50.01)),
        (r#"{"id":"OVER-B","class":"SHA"}"#, &rect(32.01, 50.0, 32.03, 50.01)),
        (r#"{"id":"APART","class":"SHA"}"#, &rect(33.0, 50.0, 33.01, 50.01)),
    ]);
    s.import_ok("hazards", &s.file("h.geojson", &hz));
    let teams = s.file("teams.csv", "id,kind,productivity_m2_per_day\nT1,manual,5000\n");
    let release = s.ok_json(&["release", "--json"]);
    let plan = s.ok_json(&[
        "plan",
        "--json",
        "--calendar",
        "none",
        "--time-limit",
        "1",
        "--teams",
        teams.to_str().unwrap(),
    ]);
    let notes = plan["notes"].to_string();
    let once_ha = release["remaining_m2"].as_f64().unwrap() / 1e4;
    assert!(
        notes.contains("1 group(s) of overlapping hazards") && notes.contains(&format!("counts {once_ha:.1} ha")),
        "{notes}"
    );
    // The shared land is a third of each hazard (0.01° × 0.01° of 0.02° × 0.01°).
    let shared = notes
        .split("; the ")
        .nth(1)
        .and_then(|t| t.split(" ha").next())
        .unwrap();
    let shared_ha: f64 = shared.parse().unwrap();
    assert!(
        (shared_ha - once_ha / 4.0).abs() < 0.2,
        "shared {shared_ha} ha of {once_ha} ha: {notes}"
    );
}
