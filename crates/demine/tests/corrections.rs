//! Registry upkeep through the real binary: amend, retire and upsert give the figures of a
//! registry imported fresh with the corrected data; the change log keeps before, after and
//! why; `--as-of` a day before the corrections gives the old figures exactly; bad corrections
//! are refused, naming the record and field, and change nothing.

mod common;
use common::*;
use serde_json::Value;

/// West, south, east, north (degrees).
type Bounds = (f64, f64, f64, f64);

const HAZARDS: &[(&str, Bounds)] = &[
    (
        r#"{"id":"HZ-A","class":"CHA","organisation":"NGO-1","recorded_date":"2024-01-05"}"#,
        (30.0, 50.0, 30.01, 50.004),
    ),
    (
        r#"{"id":"HZ-B","class":"SHA","organisation":"NGO-2","recorded_date":"2024-01-06"}"#,
        (30.02, 50.0, 30.03, 50.006),
    ),
];

/// The hazards as first surveyed (HZ-A's boundary wrong: 0.004° instead of 0.005° of latitude).
fn hazards_file(s: &Scratch, name: &str, corrected: bool) -> std::path::PathBuf {
    let features: Vec<(String, String)> = HAZARDS
        .iter()
        .map(|(p, (x0, y0, x1, y1))| {
            let y1 = if corrected && p.contains("HZ-A") { 50.005 } else { *y1 };
            (p.to_string(), rect(*x0, *y0, *x1, y1))
        })
        .collect();
    let refs: Vec<(&str, &str)> = features.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    s.file(name, &collection(&refs))
}

fn activity(id: &str, hazard: &str, kind: &str, outcome: &str, end: &str, r: Bounds) -> (String, String) {
    (
        format!(
            r#"{{"id":"{id}","hazard_id":"{hazard}","type":"{kind}","outcome":"{outcome}","start_date":"2024-02-01","end_date":"{end}","team":"T1"}}"#
        ),
        rect(r.0, r.1, r.2, r.3),
    )
}

fn activities_file(s: &Scratch, name: &str, corrected: bool) -> std::path::PathBuf {
    let mut a = vec![
        activity(
            "A-1",
            "HZ-A",
            "NTS",
            "cancelled",
            "2024-03-01",
            (30.0, 50.0, 30.004, 50.005),
        ),
        // Entered with the wrong end date (after A-3, which overlaps it): corrected to before.
        activity(
            "A-2",
            "HZ-A",
            "clearance",
            "cleared",
            if corrected { "2024-03-10" } else { "2024-05-10" },
            (30.004, 50.0, 30.007, 50.005),
        ),
        activity(
            "A-3",
            "HZ-A",
            "TS",
            "reduced",
            "2024-04-01",
            (30.006, 50.0, 30.008, 50.005),
        ),
        activity(
            "B-1",
            "HZ-B",
            "NTS",
            "cancelled",
            "2024-03-15",
            (30.02, 50.0, 30.025, 50.006),
        ),
    ];
    if !corrected {
        // A duplicate of B-1 sent twice by the operator under another id.
        a.push(activity(
            "B-1-dup",
            "HZ-B",
            "TS",
            "reduced",
            "2024-03-14",
            (30.02, 50.0, 30.027, 50.006),
        ));
    }
    let refs: Vec<(&str, &str)> = a.iter().map(|(p, g)| (p.as_str(), g.as_str())).collect();
    s.file(name, &collection(&refs))
}

fn figures(v: &Value) -> Vec<(String, [f64; 5])> {
    let mut out: Vec<(String, [f64; 5])> = v["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let f = |k: &str| h[k].as_f64().unwrap();
            (
                h["id"].as_str().unwrap().to_string(),
                [
                    f("area_m2"),
                    f("cancelled_m2"),
                    f("reduced_m2"),
                    f("cleared_m2"),
                    f("remaining_m2"),
                ],
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn totals(v: &Value) -> [f64; 5] {
    let f = |k: &str| v[k].as_f64().unwrap();
    [
        f("hazard_area_m2"),
        f("cancelled_m2"),
        f("reduced_m2"),
        f("cleared_m2"),
        f("remaining_m2"),
    ]
}

#[test]
fn corrections_give_the_figures_of_the_corrected_data() {
    // The registry as it was entered, with its mistakes.
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", false));
    s.import_ok("activities", &activities_file(&s, "a.geojson", false));
    let before = s.ok_json(&["release", "--json"]);

    // The corrections: a re-surveyed boundary (amend --geometry), a wrong date (amend --set),
    // a duplicate (retire).
    let boundary = s.file(
        "boundary.geojson",
        &collection(&[(r#"{"id":"HZ-A"}"#, &rect(30.0, 50.0, 30.01, 50.005))]),
    );
    let ok = |args: &[&str]| {
        let (code, out, err) = s.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    let out = ok(&[
        "amend",
        "hazards",
        "HZ-A",
        "--geometry",
        boundary.to_str().unwrap(),
        "--reason",
        "re-survey of 2026-11",
    ]);
    assert!(out.contains("version 1 → 2"), "{out}");
    ok(&[
        "amend",
        "activities",
        "A-2",
        "--set",
        "end_date=2024-03-10",
        "--reason",
        "end date typed wrong",
    ]);
    ok(&["retire", "activities", "B-1-dup", "--reason", "duplicate of B-1"]);

    // The same data imported fresh, correct from the start.
    let fresh = Scratch::new();
    fresh.import_ok("hazards", &hazards_file(&fresh, "h.geojson", true));
    fresh.import_ok("activities", &activities_file(&fresh, "a.geojson", true));
    let want = fresh.ok_json(&["release", "--json"]);
    let got = s.ok_json(&["release", "--json"]);
    assert_eq!(figures(&got), figures(&want));
    assert_eq!(totals(&got), totals(&want));
    assert_ne!(figures(&got), figures(&before), "the corrections changed the figures");

    // The change log keeps before, after and the reason of each correction.
    let log = s.ok_json(&["log", "--limit", "100", "--json"]);
    let entry = |action: &str, id: &str| -> Value {
        log.as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action && e["entity_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {action} of {id} in {log}"))
    };
    let amend = entry("amend", "A-2");
    assert!(amend["before"].as_str().unwrap().contains("2024-05-10"));
    assert!(amend["after"].as_str().unwrap().contains("2024-03-10"));
    assert_eq!(amend["reason"], "end date typed wrong");
    let retire = entry("retire", "B-1-dup");
    assert!(retire["before"].as_str().unwrap().contains("B-1-dup"));
    assert_eq!(retire["reason"], "duplicate of B-1");
    assert_eq!(entry("amend", "HZ-A")["reason"], "re-survey of 2026-11");

    // A day before the corrections, the registry held what it held then: the old figures.
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let then = s.ok_json(&["release", "--json", "--as-of", &yesterday]);
    assert_eq!(figures(&then), figures(&before));
    assert_eq!(totals(&then), totals(&before));
    // `show` lists the earlier version with why it ended.
    let shown = s.ok_json(&["show", "hazards", "HZ-A", "--json"]);
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["versions"][0]["ended_by"], "amended");
    assert_eq!(shown["versions"][0]["reason"], "re-survey of 2026-11");
}

#[test]
fn an_upsert_replaces_re_surveyed_records_in_one_transaction() {
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", false));
    s.import_ok("activities", &activities_file(&s, "a.geojson", true));
    let before = s.ok_json(&["release", "--json"]);
    // The re-survey file: HZ-A corrected, HZ-B as it was, and a new HZ-C.
    let resurvey = {
        let fixed = std::fs::read_to_string(hazards_file(&s, "fixed.geojson", true)).unwrap();
        let mut v: Value = serde_json::from_str(&fixed).unwrap();
        let c: Value = serde_json::from_str(&collection(&[(
            r#"{"id":"HZ-C","class":"SHA","recorded_date":"2024-02-01"}"#,
            &rect(30.04, 50.0, 30.05, 50.005),
        )]))
        .unwrap();
        v["features"].as_array_mut().unwrap().push(c["features"][0].clone());
        s.file("resurvey.geojson", &v.to_string())
    };
    let out = s.ok_json(&[
        "import",
        "hazards",
        resurvey.to_str().unwrap(),
        "--upsert",
        "--reason",
        "re-survey",
        "--json",
    ]);
    assert_eq!((out["inserted"].as_u64(), out["replaced"].as_u64()), (Some(1), Some(2)));
    let fresh = Scratch::new();
    fresh.import_ok("hazards", &resurvey);
    fresh.import_ok("activities", &activities_file(&fresh, "a.geojson", true));
    assert_eq!(
        figures(&s.ok_json(&["release", "--json"])),
        figures(&fresh.ok_json(&["release", "--json"]))
    );
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    assert_eq!(
        figures(&s.ok_json(&["release", "--json", "--as-of", &yesterday])),
        figures(&before)
    );
    // Without --upsert the same file is refused: the ids are taken.
    let (code, _, err) = s.run(&["import", "hazards", resurvey.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("duplicate id 'HZ-A'"), "{err}");
}

#[test]
fn bad_corrections_are_refused_and_change_nothing() {
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", false));
    s.import_ok("activities", &activities_file(&s, "a.geojson", false));
    let fp = s.fingerprint();
    let refused = |args: &[&str]| -> String {
        let (code, _, err) = s.run(args);
        assert_eq!(code, 2, "{args:?} should be refused: {err}");
        assert_eq!(s.fingerprint(), fp, "{args:?} changed the registry");
        err
    };
    // A self-intersecting boundary: located like an import's problem.
    let bowtie = s.file(
        "bowtie.geojson",
        &collection(&[(
            r#"{"id":"HZ-A"}"#,
            r#"{"type":"Polygon","coordinates":[[[30,50],[30.01,50.005],[30.01,50],[30,50.005],[30,50]]]}"#,
        )]),
    );
    let e = refused(&[
        "amend",
        "hazards",
        "HZ-A",
        "--geometry",
        bowtie.to_str().unwrap(),
        "--reason",
        "x",
    ]);
    assert!(
        e.contains("bowtie.geojson") && e.contains("id 'HZ-A'") && e.contains("field `geometry`"),
        "{e}"
    );
    assert!(e.contains("self-intersect"), "{e}");
    // A value outside the contract.
    let e = refused(&["amend", "hazards", "HZ-A", "--set", "class=XHA", "--reason", "x"]);
    assert!(e.contains("field `class`") && e.contains("SHA, CHA"), "{e}");
    // A field that does not exist.
    let e = refused(&["amend", "hazards", "HZ-A", "--set", "clas=CHA", "--reason", "x"]);
    assert!(e.contains("field `clas`"), "{e}");
    // An end date before the start date.
    let e = refused(&[
        "amend",
        "activities",
        "A-1",
        "--set",
        "end_date=2023-01-01",
        "--reason",
        "x",
    ]);
    assert!(e.contains("field `end_date`") && e.contains("before start_date"), "{e}");
    // An unknown id, an unknown hazard reference.
    let e = refused(&["amend", "hazards", "HZ-404", "--set", "name=x", "--reason", "x"]);
    assert!(e.contains("no hazard 'HZ-404'"), "{e}");
    let e = refused(&[
        "amend",
        "activities",
        "A-1",
        "--set",
        "hazard_id=HZ-404",
        "--reason",
        "x",
    ]);
    assert!(e.contains("field `hazard_id`") && e.contains("HZ-404"), "{e}");
    // No reason.
    let e = refused(&["amend", "hazards", "HZ-A", "--set", "name=x", "--reason", " "]);
    assert!(e.contains("--reason"), "{e}");
    // A stale version.
    let e = refused(&[
        "amend",
        "hazards",
        "HZ-A",
        "--set",
        "name=x",
        "--reason",
        "x",
        "--if-version",
        "7",
    ]);
    assert!(e.contains("hazard 'HZ-A'") && e.contains("version 7"), "{e}");
    // A hazard with activities is not retired alone.
    let e = refused(&["retire", "hazards", "HZ-A", "--reason", "x"]);
    assert!(e.contains("--cascade"), "{e}");
    // An upsert file with one bad record writes none of it.
    let bad = s.file(
        "upsert.geojson",
        &collection(&[
            (r#"{"id":"HZ-A","class":"CHA"}"#, &rect(30.0, 50.0, 30.01, 50.005)),
            (r#"{"id":"HZ-B","class":"MAYBE"}"#, &rect(30.02, 50.0, 30.03, 50.006)),
        ]),
    );
    let e = refused(&["import", "hazards", bad.to_str().unwrap(), "--upsert"]);
    assert!(
        e.contains("record 2") && e.contains("id 'HZ-B'") && e.contains("field `class`"),
        "{e}"
    );

    // Retiring twice: the second time names the record and when it was retired.
    let (code, _, err) = s.run(&["retire", "activities", "B-1-dup", "--reason", "duplicate"]);
    assert_eq!(code, 0, "{err}");
    let fp = s.fingerprint();
    let (code, _, err) = s.run(&["retire", "activities", "B-1-dup", "--reason", "duplicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("activity 'B-1-dup' was retired"), "{err}");
    assert_eq!(s.fingerprint(), fp);
}

#[test]
fn a_hazard_retired_with_cascade_takes_its_work_and_keeps_its_finds() {
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", true));
    s.import_ok("activities", &activities_file(&s, "a.geojson", true));
    s.import_ok(
        "finds",
        &s.file(
            "f.geojson",
            &collection(&[(
                r#"{"id":"F-1","date":"2024-03-02","category":"AP_mine","hazard_id":"HZ-B"}"#,
                &point(30.021, 50.001),
            )]),
        ),
    );
    let v = s.ok_json(&[
        "retire",
        "hazards",
        "HZ-B",
        "--reason",
        "entered twice",
        "--cascade",
        "--json",
    ]);
    let cascaded: Vec<&str> = v["cascaded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        cascaded.contains(&"activities B-1") && cascaded.contains(&"finds F-1 (unlinked)"),
        "{cascaded:?}"
    );
    let status = s.ok_json(&["status", "--json"]);
    assert_eq!(
        (status["hazards"].as_u64(), status["finds"].as_u64()),
        (Some(1), Some(1))
    );
    let find = s.ok_json(&["show", "finds", "F-1", "--json"]);
    assert!(find["record"]["properties"]["hazard_id"].is_null(), "{find}");
}

#[test]
fn teams_and_organisations_come_from_the_registry() {
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", true));
    let orgs = s.file(
        "orgs.csv",
        "id,name,kind\nNGO-1,Demining NGO,ngo\nNGO-2,Engineers,military\n",
    );
    s.import_ok("organisations", &orgs);
    // A team of an organisation that is not there is refused with its record and field.
    let bad = s.file(
        "bad-teams.csv",
        "id,kind,productivity_m2_per_day,organisation\nT9,manual,40,NOPE\n",
    );
    let (code, _, err) = s.run(&["import", "teams", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("record 1") && err.contains("field `organisation`") && err.contains("NOPE"),
        "{err}"
    );
    let teams = s.file(
        "teams.geojson",
        &collection(&[
            (
                r#"{"id":"T-M1","kind":"manual","productivity_m2_per_day":300,"organisation":"NGO-1"}"#,
                &point(30.0, 49.99),
            ),
            (
                r#"{"id":"T-NTS","kind":"nts","productivity_m2_per_day":40000,"organisation":"NGO-2"}"#,
                &point(30.02, 49.99),
            ),
            (
                r#"{"id":"T-TS","kind":"ts","productivity_m2_per_day":5000,"organisation":"NGO-2"}"#,
                &point(30.02, 49.99),
            ),
        ]),
    );
    s.import_ok("teams", &teams);
    // Plans and forecasts use the registry's teams without --teams.
    let plan = s.ok_json(&["plan", "--json", "--calendar", "none", "--time-limit", "1"]);
    assert_eq!(plan["teams"], 3, "{plan}");
    let teams_used: std::collections::BTreeSet<&str> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["team"].as_str().unwrap())
        .collect();
    assert!(teams_used.contains("T-M1"), "{teams_used:?}");
    let shown = s.ok_json(&["show", "teams", "T-M1", "--json"]);
    assert_eq!(shown["record"]["geometry"]["coordinates"][0], 30.0);
    // The registry's teams come out as the planning contract's teams.csv, which a plan reads
    // back as the same teams (the start of a what-if), and organisations as their CSV.
    let out = s.dir.path().join("teams-out.csv");
    let (code, _, err) = s.run(&["export", "teams", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with(
            "id,organisation,kind,productivity_m2_per_day,base_lon,base_lat,start_date,end_date,cost_per_day\n"
        ) && csv.contains("T-M1,NGO-1,manual,300,30,49.99,,,\n"),
        "{csv}"
    );
    let from_file = s.ok_json(&[
        "plan",
        "--json",
        "--calendar",
        "none",
        "--time-limit",
        "1",
        "--teams",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        (&from_file["teams"], &from_file["objective"]),
        (&plan["teams"], &plan["objective"]),
        "{from_file}"
    );
    let orgs_out = s.dir.path().join("orgs-out.csv");
    let (code, _, err) = s.run(&["export", "organisations", orgs_out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&orgs_out).unwrap(),
        "id,name,kind\nNGO-1,Demining NGO,ngo\nNGO-2,Engineers,military\n"
    );
    let (code, _, err) = s.run(&["export", "teams", s.dir.path().join("t.geojson").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("exported as a CSV table") && err.contains("t.geojson"),
        "{err}"
    );
}

#[test]
fn reports_and_breakdowns_for_any_registry() {
    let s = Scratch::new();
    s.import_ok("hazards", &hazards_file(&s, "h.geojson", true));
    s.import_ok("activities", &activities_file(&s, "a.geojson", true));
    let v = s.ok_json(&["release", "--json", "--by", "organisation"]);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(
        groups.iter().map(|g| g["key"].as_str().unwrap()).collect::<Vec<_>>(),
        ["NGO-1", "NGO-2"]
    );
    let sum: f64 = groups.iter().map(|g| g["released_m2"].as_f64().unwrap()).sum();
    assert!(
        (sum - v["released_m2"].as_f64().unwrap()).abs() < 0.1,
        "no overlap here: groups sum to the total"
    );
    // By month, within a period: March 2024 only.
    let m = s.ok_json(&[
        "release",
        "--json",
        "--by",
        "month",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
    ]);
    let months: Vec<&str> = m["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2024-03"]);
    let (code, csv, err) = s.run(&["release", "--by", "month", "--csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(csv.starts_with("month,hazards,area_m2,cancelled_m2"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header, March and April: {csv}");
    let report = s.dir.path().join("r.html");
    let (code, _, err) = s.run(&[
        "report",
        "--out",
        report.to_str().unwrap(),
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--by",
        "organisation",
        "--by",
        "month",
        "--no-plan",
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("Released by organisation, 2024-01-01 to 2024-12-31") && html.contains("NGO-2"));
    assert!(html.contains("Released by month") && html.contains("2024-04"));
    // The same report in Ukrainian: headings, breakdowns and figures, the records as recorded.
    let report_uk = s.dir.path().join("r-uk.html");
    let (code, _, err) = s.run(&[
        "report",
        "--out",
        report_uk.to_str().unwrap(),
        "--from",
        "2024-01-01",
        "--by",
        "organisation",
        "--no-plan",
        "--lang",
        "uk",
    ]);
    assert_eq!(code, 0, "{err}");
    let uk = std::fs::read_to_string(&report_uk).unwrap();
    assert!(uk.contains("<html lang=\"uk\">") && uk.contains("Підсумки звільнення земель"));
    assert!(uk.contains("Звільнено за організаціями, від 2024-01-01") && uk.contains("NGO-2"));
    assert!(!uk.contains("Land release totals") && !uk.contains("Released by"));
    let (code, _, err) = s.run(&["report", "--out", report_uk.to_str().unwrap(), "--lang", "fr"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fr") && err.contains("uk"), "{err}");
    let (code, _, err) = s.run(&[
        "report",
        "--out",
        report.to_str().unwrap(),
        "--from",
        "2024-05-01",
        "--to",
        "2024-01-01",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--to"), "{err}");
}
