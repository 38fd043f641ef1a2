//! Rules a registry keeps, through the real binary: a command that only reads never creates a
//! registry; a dry run writes nothing; a QA lot is cleared land only; a certificate needs all
//! land released and an accepted QA lot; `--as-of` leaves out hazards recorded later; model
//! files and sizes that would exhaust the machine are refused.

mod common;
use common::Cmd as Command;
use common::*;
use serde_json::Value;

/// A change to a model file, named.
type Mutation = (&'static str, Box<dyn Fn(&mut Value)>);

/// A CHA of 0.01° × 0.002° at 30°E 50°N: its western half cancelled by NTS, the next quarter
/// cleared, the last quarter still to do.
fn half_cancelled_quarter_cleared() -> Scratch {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(
                r#"{"id":"HZ-1","class":"CHA","recorded_date":"2024-01-10"}"#,
                &rect(30.0, 50.0, 30.01, 50.002),
            )]),
        ),
    );
    s.import_ok(
        "activities",
        &s.file(
            "a.geojson",
            &collection(&[
                (
                    r#"{"id":"NTS-1","hazard_id":"HZ-1","type":"NTS","outcome":"cancelled","start_date":"2024-02-01","end_date":"2024-02-02"}"#,
                    &rect(30.0, 50.0, 30.005, 50.002),
                ),
                (
                    r#"{"id":"CL-1","hazard_id":"HZ-1","type":"clearance","outcome":"cleared","start_date":"2024-03-01","end_date":"2024-03-20","team":"T1","method":"manual"}"#,
                    &rect(30.005, 50.0, 30.0075, 50.002),
                ),
            ]),
        ),
    );
    s
}

#[test]
fn a_command_that_only_reads_refuses_a_missing_registry_and_creates_none() {
    let s = Scratch::new();
    let typo = s.dir.path().join("typo.gpkg");
    for args in [
        vec!["status"],
        vec!["release", "--json"],
        vec!["check"],
        vec!["log"],
        vec!["priority"],
        vec!["show", "hazards", "H1"],
        vec!["residual", "H1"],
    ] {
        let out = Command::cargo_bin("demine")
            .unwrap()
            .arg("--db")
            .arg(&typo)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("typo.gpkg") && err.contains("no such registry"),
            "{args:?}: {err}"
        );
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    // `init` creates it; then status reads it.
    let init = Command::cargo_bin("demine")
        .unwrap()
        .arg("--db")
        .arg(&typo)
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success());
    assert!(typo.exists());
}

#[test]
fn a_dry_run_writes_nothing_for_any_import_kind() {
    let s = half_cancelled_quarter_cleared();
    let before = s.fingerprint();
    let log_before = s.ok_json(&["log", "--limit", "1000", "--json"]);
    let progress = s.file(
        "p.geojson",
        &collection(&[(
            r#"{"id":"DP-1","date":"2024-04-01","task":"HZ-1","team":"T1","team_kind":"manual","hours":7}"#,
            &rect(30.0075, 50.0, 30.0076, 50.0002),
        )]),
    );
    let teams = s.file("t.csv", "id,kind,productivity_m2_per_day\nT9,manual,50\n");
    let orgs = s.file("o.csv", "id,name,kind\nNGO-1,Demining NGO,ngo\n");
    let finds = s.file(
        "f.geojson",
        &collection(&[(
            r#"{"id":"F-9","date":"2024-03-02","category":"AP_mine"}"#,
            &point(30.006, 50.001),
        )]),
    );
    for (kind, file) in [
        ("progress", &progress),
        ("teams", &teams),
        ("organisations", &orgs),
        ("finds", &finds),
    ] {
        let (code, _, err) = s.run(&["import", kind, file.to_str().unwrap(), "--dry-run"]);
        assert_eq!(code, 0, "{kind}: {err}");
        assert!(err.contains("--dry-run: nothing written"), "{kind}: {err}");
    }
    let (code, out, err) = s.run(&[
        "progress",
        "add",
        "--date",
        "2024-04-01",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--hours",
        "7",
        "--polygon",
        progress.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing written"), "{out}");
    assert_eq!(s.fingerprint(), before);
    assert_eq!(s.ok_json(&["log", "--limit", "1000", "--json"]), log_before);
}

#[test]
fn a_qa_lot_is_the_cleared_land_only() {
    let s = half_cancelled_quarter_cleared();
    let cleared = s.ok_json(&["release", "--json"])["cleared_m2"].as_f64().unwrap();
    let out = s.dir.path().join("sample.geojson");
    let v = s.ok_json(&[
        "qa",
        "sample",
        "HZ-1",
        "--units",
        "30",
        "--box-m",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    // The lot counts the boxes of the cleared quarter (~2.8 ha), not the cancelled half.
    let lot = v["lot_units"].as_f64().unwrap();
    assert!(
        (lot * 100.0 - cleared).abs() / cleared < 0.15,
        "lot {lot} boxes for {cleared} m² cleared"
    );
    assert!(v["lot"].as_str().unwrap().contains("cleared land"), "{v}");
    for u in v["sample"].as_array().unwrap() {
        let lon = u["centre"][0].as_f64().unwrap();
        assert!(
            (30.005..=30.0075).contains(&lon),
            "a sample unit outside the cleared land: {u}"
        );
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("cleared land only"),
        "the exported sample says what the lot is"
    );
    // A hazard with no cleared land (only cancelled) has no lot.
    let s2 = Scratch::new();
    s2.import_ok(
        "hazards",
        &s2.file(
            "h.geojson",
            &collection(&[(r#"{"id":"HZ-2","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.002))]),
        ),
    );
    s2.import_ok(
        "activities",
        &s2.file(
            "a.geojson",
            &collection(&[(
                r#"{"id":"N","hazard_id":"HZ-2","type":"NTS","outcome":"cancelled","start_date":"2024-02-01","end_date":"2024-02-02"}"#,
                &rect(30.0, 50.0, 30.01, 50.002),
            )]),
        ),
    );
    let (code, _, err) = s2.run(&["qa", "sample", "HZ-2", "--units", "5", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no cleared land") && err.contains("cancelled"), "{err}");
    let (code, out, _) = s.run(&["qa", "plan", "--lot-units", "1000", "--lq", "0.05", "--beta", "0.1"]);
    assert_eq!(code, 0);
    assert!(out.contains("cleared land only"), "{out}");
}

#[test]
fn a_certificate_needs_all_land_released_and_an_accepted_lot() {
    let s = half_cancelled_quarter_cleared();
    let cert = s.dir.path().join("c.html");
    let c = cert.to_str().unwrap();
    // A quarter of the hazard remains.
    let (code, _, err) = s.run(&["certificate", "HZ-1", "--out", c]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not fully released") && err.contains("no post-clearance inspection"),
        "{err}"
    );
    assert!(!cert.exists(), "no certificate written");
    let (code, out, err) = s.run(&["certificate", "HZ-1", "--out", c, "--draft"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("NOT VALID"), "{out}");
    assert!(std::fs::read_to_string(&cert).unwrap().contains("NOT VALID"));
    std::fs::remove_file(&cert).unwrap();
    // Clear the rest; a rejected lot still blocks it.
    s.import_ok(
        "activities",
        &s.file(
            "rest.geojson",
            &collection(&[(
                r#"{"id":"CL-2","hazard_id":"HZ-1","type":"clearance","outcome":"cleared","start_date":"2024-04-01","end_date":"2024-04-20","team":"T1","method":"manual"}"#,
                &rect(30.0075, 50.0, 30.01, 50.002),
            )]),
        ),
    );
    let record = |date: &str, defects: &str| {
        s.run(&[
            "qa",
            "record",
            "HZ-1",
            "--date",
            date,
            "--lot-units",
            "600",
            "--sample-units",
            "45",
            "--defects",
            defects,
        ])
    };
    assert_eq!(record("2024-05-01", "2").0, 0);
    let (code, _, err) = s.run(&["certificate", "HZ-1", "--out", c]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rejected") && !err.contains("not fully released"), "{err}");
    // Re-inspected and accepted: the certificate is issued, valid.
    assert_eq!(record("2024-06-01", "0").0, 0);
    let (code, out, err) = s.run(&["certificate", "HZ-1", "--out", c]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("NOT VALID"));
    assert!(!std::fs::read_to_string(&cert).unwrap().contains("NOT VALID"));
}

#[test]
fn release_as_of_leaves_out_hazards_recorded_later() {
    let s = half_cancelled_quarter_cleared();
    s.import_ok(
        "hazards",
        &s.file(
            "later.geojson",
            &collection(&[(
                r#"{"id":"HZ-LATER","class":"SHA","recorded_date":"2025-06-01"}"#,
                &rect(31.0, 50.0, 31.01, 50.01),
            )]),
        ),
    );
    let ids = |v: &Value| -> Vec<String> {
        v["per_hazard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&s.ok_json(&["release", "--json", "--as-of", "2025-05-31"])),
        vec!["HZ-1"]
    );
    assert_eq!(
        ids(&s.ok_json(&["release", "--json", "--as-of", "2025-06-01"])),
        vec!["HZ-1", "HZ-LATER"]
    );
    // A hazard imported without a recorded date is recorded today: not there yesterday.
    s.import_ok(
        "hazards",
        &s.file(
            "today.geojson",
            &collection(&[(r#"{"id":"HZ-NOW","class":"SHA"}"#, &rect(32.0, 50.0, 32.01, 50.01))]),
        ),
    );
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    assert!(!ids(&s.ok_json(&["release", "--json", "--as-of", &yesterday])).contains(&"HZ-NOW".to_string()));
    let shown = s.ok_json(&["show", "hazards", "HZ-NOW", "--json"]);
    assert_eq!(
        shown["record"]["properties"]["recorded_date"],
        chrono::Utc::now().date_naive().to_string()
    );
}

#[test]
fn hostile_model_files_are_refused_not_followed() {
    let s = Scratch::new();
    let mut csv = String::from("cell,g,x,mine\n");
    for i in 0..400 {
        let x = (i % 20) as f64;
        csv.push_str(&format!("c{i},{},{x},{}\n", i % 8, u8::from(x > 12.0 || i % 17 == 0)));
    }
    let cells = s.file("cells.csv", &csv);
    let model = s.dir.path().join("m.json");
    let (code, _, err) = s.run(&[
        "risk",
        "train",
        "--cells",
        cells.to_str().unwrap(),
        "--label",
        "mine",
        "--group",
        "g",
        "--exclude",
        "cell",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let first_split = |m: &Value| -> (usize, usize) {
        for (t, tree) in m["model"]["trees"].as_array().unwrap().iter().enumerate() {
            for (k, n) in tree["nodes"].as_array().unwrap().iter().enumerate() {
                if n.get("split").is_some() {
                    return (t, k);
                }
            }
        }
        panic!("no split in {m}")
    };
    let (t, k) = first_split(&good);
    let mutations: Vec<Mutation> = vec![
        (
            "cycle",
            Box::new(move |m: &mut Value| m["model"]["trees"][t]["nodes"][k]["split"]["left"] = Value::from(k)),
        ),
        (
            "missing child",
            Box::new(move |m: &mut Value| m["model"]["trees"][t]["nodes"][k]["split"]["right"] = Value::from(99_999)),
        ),
        (
            "unknown feature",
            Box::new(move |m: &mut Value| m["model"]["trees"][t]["nodes"][k]["split"]["feature"] = Value::from(7)),
        ),
        (
            "empty tree",
            Box::new(move |m: &mut Value| m["model"]["trees"][t]["nodes"] = Value::Array(vec![])),
        ),
    ];
    let score_out = s.dir.path().join("scored.csv");
    for (what, mutate) in mutations {
        let mut m = good.clone();
        mutate(&mut m);
        let bad = s.file("bad.json", &m.to_string());
        let out = s
            .demine()
            .args([
                "risk",
                "score",
                "--cells",
                cells.to_str().unwrap(),
                "--model",
                bad.to_str().unwrap(),
                "--out",
            ])
            .arg(&score_out)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains("malformed") && err.contains("bad.json"), "{what}: {err}");
        assert!(!score_out.exists(), "{what}: nothing scored");
    }
}

#[test]
fn work_that_would_exhaust_the_machine_is_refused() {
    let s = Scratch::new();
    // A lot of a trillion units.
    let (code, _, err) = s.run(&[
        "qa",
        "plan",
        "--lot-units",
        "1000000000000",
        "--lq",
        "0.00000001",
        "--beta",
        "0.1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--lot-units"), "{err}");
    // A risk map of a country at the finest resolution: tens of millions of cells.
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"BIG","class":"SHA"}"#, &rect(30.0, 46.0, 38.0, 52.0))]),
        ),
    );
    let (code, _, err) = s.run(&["risk", "build", "--res", "11"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("million cells"), "{err}");
    // Boxes of a centimetre over a hectare.
    let poly = s.file(
        "p.geojson",
        &collection(&[(r#"{"id":"P"}"#, &rect(30.0, 50.0, 30.002, 50.001))]),
    );
    let out = s.dir.path().join("b.geojson");
    let (code, _, err) = s.run(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--boxes",
        "0.01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pieces"), "{err}");
}
