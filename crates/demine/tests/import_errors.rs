//! Bad input: every defect of the import contract gives a non-zero exit, a message naming the
//! file, the record and the problem, and an unchanged registry.

mod common;
use common::*;

/// A registry with one hazard and one activity, to which bad files are then offered.
fn seeded() -> Scratch {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "ok.geojson",
            &collection(&[(r#"{"id":"H1","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let act = collection(&[(
        r#"{"id":"A1","hazard_id":"H1","type":"NTS","outcome":"cancelled","start_date":"2024-01-01","end_date":"2024-01-02"}"#,
        &rect(30.0, 50.0, 30.005, 50.01),
    )]);
    s.import_ok("activities", &s.file("ok-act.geojson", &act));
    s
}

/// Imports `content` as `kind` and checks refusal: non-zero exit, every `needles` in stderr,
/// registry unchanged.
fn refused(kind: &str, name: &str, content: &str, needles: &[&str]) {
    let s = seeded();
    let before = s.fingerprint();
    let path = s.file(name, content);
    let (code, _, err) = s.run(&["import", kind, path.to_str().unwrap()]);
    assert_ne!(code, 0, "import of {name} should fail; stderr: {err}");
    assert!(err.contains(name), "message should name the file {name}: {err}");
    for n in needles {
        assert!(err.contains(n), "message should contain {n:?}: {err}");
    }
    assert!(
        err.contains("unchanged"),
        "message should say the registry is unchanged: {err}"
    );
    assert_eq!(
        before,
        s.fingerprint(),
        "registry changed after a refused import of {name}"
    );
}

const GOOD: &str = r#"{"id":"H2","class":"SHA"}"#;

#[test]
fn self_intersection_names_the_point() {
    let bowtie = r#"{"type":"Polygon","coordinates":[[[30,50],[30.02,50.02],[30.02,50],[30,50.02],[30,50]]]}"#;
    let c = collection(&[
        (GOOD, &rect(31.0, 50.0, 31.01, 50.01)),
        (r#"{"id":"BOW","class":"SHA"}"#, bowtie),
    ]);
    refused(
        "hazards",
        "bowtie.geojson",
        &c,
        &["record 2", "'BOW'", "geometry", "self-intersection at (30.01, 50.01)"],
    );
}

#[test]
fn unclosed_ring() {
    let g = r#"{"type":"Polygon","coordinates":[[[30,50],[30.01,50],[30.01,50.01],[30,50.01]]]}"#;
    refused(
        "hazards",
        "unclosed.geojson",
        &collection(&[(r#"{"id":"U","class":"SHA"}"#, g)]),
        &["record 1", "unclosed ring", "--fix"],
    );
}

#[test]
fn fewer_than_three_distinct_vertices() {
    let g = r#"{"type":"Polygon","coordinates":[[[30,50],[30.01,50],[30,50],[30.01,50],[30,50]]]}"#;
    refused(
        "hazards",
        "thin.geojson",
        &collection(&[(r#"{"id":"T","class":"SHA"}"#, g)]),
        &["'T'", "2 distinct vertices"],
    );
}

#[test]
fn projected_metres_are_named_as_such() {
    let g = rect(500000.0, 5500000.0, 500100.0, 5500100.0);
    refused(
        "hazards",
        "utm.geojson",
        &collection(&[(r#"{"id":"P","class":"SHA"}"#, &g)]),
        &["'P'", "projected metres", "EPSG:4326"],
    );
}

#[test]
fn latitude_out_of_range() {
    let g = rect(30.0, 95.0, 30.01, 95.01);
    refused(
        "hazards",
        "lat.geojson",
        &collection(&[(r#"{"id":"L","class":"SHA"}"#, &g)]),
        &["'L'", "latitude"],
    );
}

#[test]
fn non_finite_numbers() {
    // Python's json module and JavaScript write NaN/Infinity into "GeoJSON".
    let g = r#"{"type":"Polygon","coordinates":[[[30,50],[NaN,50],[30.01,50.01],[30,50]]]}"#;
    refused(
        "hazards",
        "nan.geojson",
        &collection(&[
            (GOOD, &rect(31.0, 50.0, 31.01, 50.01)),
            (r#"{"id":"N1","class":"SHA"}"#, g),
        ]),
        &["record 2", "'N1'", "non-finite number NaN"],
    );
    let c = collection(&[(
        r#"{"id":"F3","date":"2024-01-01","category":"UXO","depth_cm":Infinity}"#,
        r#"{"type":"Point","coordinates":[30.0,50.0]}"#,
    )]);
    refused(
        "finds",
        "inf.geojson",
        &c,
        &["'F3'", "depth_cm", "non-finite number Infinity"],
    );
    // CSV is where NaN and inf arrive in practice (spreadsheets).
    refused(
        "finds",
        "nan.csv",
        "id,date,category,lon,lat\nF1,2024-01-01,UXO,NaN,50.0\n",
        &["record 1", "'F1'", "non-finite"],
    );
    refused(
        "hazards",
        "inf.csv",
        "id,class,wkt\nH9,SHA,\"POLYGON((30 50,inf 50,30.01 50.01,30 50))\"\n",
        &["record 1", "H9"],
    );
}

#[test]
fn duplicate_id_in_file_and_in_store() {
    let c = collection(&[
        (GOOD, &rect(31.0, 50.0, 31.01, 50.01)),
        (GOOD, &rect(32.0, 50.0, 32.01, 50.01)),
    ]);
    refused(
        "hazards",
        "dup.geojson",
        &c,
        &["record 2", "duplicate id 'H2'", "record 1"],
    );
    let c = collection(&[(r#"{"id":"H1","class":"SHA"}"#, &rect(31.0, 50.0, 31.01, 50.01))]);
    refused(
        "hazards",
        "dup-store.geojson",
        &c,
        &["duplicate id 'H1'", "registry already holds"],
    );
}

#[test]
fn unknown_hazard_id() {
    let c = collection(&[(
        r#"{"id":"A9","hazard_id":"NOPE","type":"NTS","outcome":"cancelled","start_date":"2024-01-01","end_date":"2024-01-02"}"#,
        &rect(30.0, 50.0, 30.005, 50.01),
    )]);
    refused(
        "activities",
        "orphan.geojson",
        &c,
        &["'A9'", "hazard_id", "unknown hazard 'NOPE'"],
    );
}

#[test]
fn end_before_start() {
    let c = collection(&[(
        r#"{"id":"A9","hazard_id":"H1","type":"TS","outcome":"reduced","start_date":"2024-03-01","end_date":"2024-02-01"}"#,
        &rect(30.0, 50.0, 30.005, 50.01),
    )]);
    refused(
        "activities",
        "dates.geojson",
        &c,
        &["'A9'", "end_date", "before start_date"],
    );
}

#[test]
fn value_outside_enumeration_lists_allowed_values() {
    let c = collection(&[(r#"{"id":"X","class":"MAYBE"}"#, &rect(31.0, 50.0, 31.01, 50.01))]);
    refused("hazards", "enum.geojson", &c, &["'X'", "class", "'MAYBE'", "SHA, CHA"]);
    refused(
        "finds",
        "cat.csv",
        "id,date,category,lon,lat\nF1,2024-01-01,grenade,30.0,50.0\n",
        &["F1", "category", "AP_mine, AT_mine, UXO, AXO, IED, submunition, other"],
    );
}

#[test]
fn empty_and_wrong_geometry_types() {
    let c = collection(&[(r#"{"id":"E","class":"SHA"}"#, "null")]);
    refused("hazards", "empty.geojson", &c, &["'E'", "empty or missing geometry"]);
    let c = collection(&[(
        r#"{"id":"W","class":"SHA"}"#,
        r#"{"type":"LineString","coordinates":[[30,50],[31,51]]}"#,
    )]);
    refused(
        "hazards",
        "line.geojson",
        &c,
        &["'W'", "wrong geometry type LineString"],
    );
    let c = collection(&[(
        r#"{"id":"F2","date":"2024-01-01","category":"UXO"}"#,
        &rect(30.0, 50.0, 30.01, 50.01),
    )]);
    refused("finds", "poly-find.geojson", &c, &["'F2'", "a Point is required"]);
}

#[test]
fn malformed_files_give_line_and_column() {
    refused(
        "hazards",
        "broken.geojson",
        "{\"type\": \"FeatureCollection\",\n \"features\": [ {\"type\": }\n]}",
        &["broken.geojson:2:", "not valid JSON"],
    );
    refused(
        "hazards",
        "ragged.csv",
        "id,class,wkt\nH5,SHA\n",
        &["ragged.csv:2", "fields"],
    );
    refused(
        "hazards",
        "badwkt.csv",
        "id,class,wkt\nH5,SHA,\"POLYGON((30 50, 31\"\n",
        &["record 1", "WKT"],
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let c = collection(&[
        (r#"{"id":"A","class":"SHA"}"#, &rect(30.0, 95.0, 30.01, 95.01)),
        (r#"{"id":"B","class":"NOPE"}"#, &rect(31.0, 50.0, 31.01, 50.01)),
        (r#"{"class":"SHA"}"#, &rect(32.0, 50.0, 32.01, 50.01)),
    ]);
    refused(
        "hazards",
        "many.geojson",
        &c,
        &[
            "record 1",
            "record 2",
            "record 3",
            "missing required field `id`",
            "3 problem(s)",
        ],
    );
}

#[test]
fn fix_repairs_and_says_what_it_changed() {
    let s = seeded();
    // Clockwise, unclosed, with a repeated vertex.
    let g = r#"{"type":"Polygon","coordinates":[[[31,50],[31,50.01],[31,50.01],[31.01,50.01],[31.01,50]]]}"#;
    let path = s.file("fixable.geojson", &collection(&[(r#"{"id":"FX","class":"SHA"}"#, g)]));
    let (code, _, err) = s.run(&["import", "hazards", path.to_str().unwrap()]);
    assert_ne!(code, 0, "unclosed ring must be refused without --fix");
    let (code, _, err2) = s.run(&["import", "hazards", path.to_str().unwrap(), "--fix"]);
    assert_eq!(code, 0, "{err} / {err2}");
    for n in ["closed the ring", "removed 1 repeated", "counter-clockwise"] {
        assert!(err2.contains(n), "--fix should report {n:?}: {err2}");
    }
    let v = s.ok_json(&["release", "--json"]);
    let fx = v["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "FX")
        .unwrap()
        .clone();
    assert_close(
        fx["area_m2"].as_f64().unwrap(),
        quadrangle_area_m2(31.0, 50.0, 31.01, 50.01),
        1e-4,
        "fixed area",
    );
}

#[test]
fn missing_file_and_not_a_registry() {
    let s = Scratch::new();
    let (code, _, err) = s.run(&["import", "hazards", "/nonexistent/x.geojson"]);
    assert_ne!(code, 0);
    assert!(err.contains("/nonexistent/x.geojson"), "{err}");
    let not_db = s.file("text.gpkg", "hello, I am not a database");
    let out = assert_cmd::Command::cargo_bin("demine")
        .unwrap()
        .args(["--db", not_db.to_str().unwrap(), "status"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a demine registry") || err.contains("not an SQLite"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&not_db).unwrap(), "hello, I am not a database");
}

#[test]
fn a_refused_first_import_creates_no_registry() {
    let s = Scratch::new();
    let bad = s.file(
        "bad.geojson",
        &collection(&[(r#"{"id":"X","class":"NOPE"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
    );
    let (code, _, err) = s.run(&["import", "hazards", bad.to_str().unwrap()]);
    assert_ne!(code, 0, "{err}");
    assert!(
        !s.registry_exists(),
        "a refused import must not leave a registry file behind"
    );
    let names: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().contains("partial")),
        "{names:?}"
    );
    // A good first import creates it, complete.
    s.import_ok(
        "hazards",
        &s.file("ok.geojson", &collection(&[(GOOD, &rect(30.0, 50.0, 30.01, 50.01))])),
    );
    assert!(s.registry_exists());
    assert_eq!(s.ok_json(&["status", "--json"])["hazards"], 1);
}

#[test]
fn a_team_faster_than_any_team_is_refused() {
    refused(
        "teams",
        "teams.csv",
        "id,kind,productivity_m2_per_day\nT1,manual,99999999999999999999999999\n",
        &["T1", "productivity_m2_per_day", "more than 100 km² a day"],
    );
}

#[test]
fn qa_inspections_point_to_their_own_command() {
    let s = seeded();
    let path = s.file("qa.csv", "id,hazard_id\nQ1,H1\n");
    let (code, _, err) = s.run(&["import", "qa", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("qa.csv") && err.contains("`demine qa record`"), "{err}");
}

/// A file without records imports nothing and says so (a scheduled export may be empty, so it
/// is not refused).
#[test]
fn a_file_without_records_is_named_in_a_warning() {
    let s = seeded();
    let before = s.fingerprint();
    let path = s.file("empty.csv", "id,class,wkt\n");
    let (code, _, err) = s.run(&["import", "hazards", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: ") && err.contains("empty.csv: the file holds no records"),
        "{err}"
    );
    assert_eq!(before, s.fingerprint());
}

/// A device or a named pipe where a file is expected (`/dev/null`, a FIFO) is refused, never
/// replaced by a file and never waited on: the registry, a GeoPackage or a shapefile export.
#[cfg(unix)]
#[test]
fn a_pipe_is_no_registry_and_no_export_target() {
    use std::os::unix::fs::FileTypeExt;
    let s = seeded();
    let pipes: Vec<_> = ["registry.gpkg", "out.gpkg", "out.shp"]
        .iter()
        .map(|n| s.dir.path().join(format!("pipe-{n}")))
        .collect();
    for p in &pipes {
        if !std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .is_ok_and(|st| st.success())
        {
            eprintln!("no mkfifo here: skipped");
            return;
        }
    }
    let hazards = s.file(
        "h.geojson",
        &collection(&[(r#"{"id":"HZ-P","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
    );
    let registry = pipes[0].to_str().unwrap();
    let runs = [
        (
            false,
            vec!["--db", registry, "import", "hazards", hazards.to_str().unwrap()],
        ),
        (false, vec!["--db", registry, "status"]),
        (true, vec!["export", "hazards", pipes[1].to_str().unwrap()]),
        (true, vec!["export", "hazards", pipes[2].to_str().unwrap()]),
    ];
    for (on_scratch, args) in runs {
        let mut c = if on_scratch { s.demine() } else { bin() };
        let out = c
            .args(&args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run demine");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("pipe"), "{args:?}: {err}");
    }
    for p in &pipes {
        assert!(
            std::fs::metadata(p).unwrap().file_type().is_fifo(),
            "{} was replaced",
            p.display()
        );
    }
}
