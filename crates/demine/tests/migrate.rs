//! `demine migrate`: a registry moved to another store and back is the same registry — land
//! release, change log, versions and audit chain — and a target that already holds data is
//! refused and left as it was. GeoPackage → GeoPackage always; GeoPackage → PostGIS →
//! GeoPackage when the binary is built with `--features postgres` and `DEMINE_TEST_PG` is set.

mod common;
use common::*;
use serde_json::Value;

/// A registry with history: two operators' hazards, activities, an amended hazard (version 2),
/// a retired activity, finds and a user account.
fn registry_with_history(s: &Scratch) -> String {
    let db = s.dir.path().join("source.gpkg").display().to_string();
    let run = |args: &[&str]| {
        let out = run_on(std::path::Path::new(&db), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let orgs = s.file(
        "orgs.csv",
        "id,name,kind\nNGO-A,Operator A,ngo\nNGO-B,Оператор Б,commercial\n",
    );
    run(&["import", "organisations", orgs.to_str().unwrap()]);
    let hazards = s.file(
        "h.geojson",
        &collection(&[
            (
                r#"{"id":"HZ-A","class":"CHA","organisation":"NGO-A","name":"Поле біля ферми","recorded_date":"2024-01-10"}"#,
                &rect(30.0, 50.0, 30.01, 50.004),
            ),
            (
                r#"{"id":"HZ-B","class":"SHA","organisation":"NGO-B","recorded_date":"2024-01-12"}"#,
                &rect(30.02, 50.0, 30.03, 50.004),
            ),
        ]),
    );
    run(&["import", "hazards", hazards.to_str().unwrap()]);
    let activities = s.file(
        "a.geojson",
        &collection(&[
            (
                r#"{"id":"NTS-A","hazard_id":"HZ-A","type":"NTS","outcome":"cancelled","start_date":"2024-02-01","end_date":"2024-02-02","organisation":"NGO-A"}"#,
                &rect(30.0, 50.0, 30.005, 50.004),
            ),
            (
                r#"{"id":"CL-A","hazard_id":"HZ-A","type":"clearance","outcome":"cleared","start_date":"2024-03-01","end_date":"2024-03-20","organisation":"NGO-A"}"#,
                &rect(30.005, 50.0, 30.0075, 50.004),
            ),
            (
                r#"{"id":"NTS-B","hazard_id":"HZ-B","type":"NTS","outcome":"cancelled","start_date":"2024-02-03","end_date":"2024-02-04","organisation":"NGO-B"}"#,
                &rect(30.02, 50.0, 30.025, 50.004),
            ),
        ]),
    );
    run(&["import", "activities", activities.to_str().unwrap()]);
    let finds = s.file(
        "f.geojson",
        &collection(&[(
            r#"{"id":"F-1","date":"2024-03-05","category":"AP_mine","hazard_id":"HZ-A","activity_id":"CL-A","depth_cm":12}"#,
            &point(30.006, 50.001),
        )]),
    );
    run(&["import", "finds", finds.to_str().unwrap()]);
    let boundary = s.file(
        "boundary.geojson",
        &collection(&[(r#"{"id":"HZ-B"}"#, &rect(30.02, 50.0, 30.03, 50.005))]),
    );
    run(&[
        "amend",
        "hazards",
        "HZ-B",
        "--geometry",
        boundary.to_str().unwrap(),
        "--reason",
        "re-survey",
    ]);
    run(&["retire", "activities", "NTS-B", "--reason", "recorded twice"]);
    let out = Cmd::cargo_bin("demine")
        .unwrap()
        .args([
            "--db",
            &db,
            "user",
            "add",
            "planner-a",
            "--role",
            "planner",
            "--org",
            "NGO-A",
        ])
        .env("DEMINE_ACTOR", "test")
        .write_stdin("correct horse battery\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn json_at(db: &str, args: &[&str]) -> Value {
    let out = Cmd::cargo_bin("demine")
        .unwrap()
        .args(["--db", db])
        .args(args)
        .env("DEMINE_ACTOR", "test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "--db {db} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

fn migrate(from: &str, to: &str) -> (i32, String, String) {
    let out = Cmd::cargo_bin("demine")
        .unwrap()
        .args(["migrate", "--from", from, "--to", to, "--json"])
        .env("DEMINE_ACTOR", "test")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What must survive a move: land release, the change log, a record's versions, the audit chain.
fn what_a_registry_holds(db: &str) -> Vec<Value> {
    let mut audit = json_at(db, &["audit", "verify", "--json"]);
    assert_eq!(audit["first_bad"], Value::Null, "{db}: {audit}");
    // Where the registry is is not what it holds.
    audit.as_object_mut().unwrap().remove("location");
    vec![
        json_at(db, &["release", "--json"]),
        json_at(db, &["release", "--json", "--by", "organisation"]),
        json_at(db, &["release", "--json", "--as-of", "2024-02-15"]),
        json_at(db, &["log", "--json", "--limit", "1000"]),
        json_at(db, &["show", "hazards", "HZ-B", "--json"]),
        json_at(db, &["user", "list", "--json"]),
        audit,
    ]
}

fn round_trip_through(middle: &str, s: &Scratch) {
    let source = registry_with_history(s);
    let want = what_a_registry_holds(&source);
    let (code, out, err) = migrate(&source, middle);
    assert_eq!(code, 0, "migrate → {middle}: {err}");
    let moved: Value = serde_json::from_str(&out).unwrap();
    assert!(moved["rows"].as_u64().unwrap() > 20, "{moved}");
    assert_eq!(what_a_registry_holds(middle), want, "the registry in {middle}");
    let back = s.dir.path().join("back.gpkg").display().to_string();
    let (code, _, err) = migrate(middle, &back);
    assert_eq!(code, 0, "migrate {middle} → back: {err}");
    assert_eq!(what_a_registry_holds(&back), want, "the registry moved back");
    // The copy is a working registry: it takes new records after the moved ones.
    let more = s.file(
        "more.geojson",
        &collection(&[(
            r#"{"id":"HZ-C","class":"SHA","organisation":"NGO-A","recorded_date":"2024-04-01"}"#,
            &rect(30.04, 50.0, 30.05, 50.004),
        )]),
    );
    for db in [middle, back.as_str()] {
        let out = Cmd::cargo_bin("demine")
            .unwrap()
            .args(["--db", db, "import", "hazards", more.to_str().unwrap()])
            .env("DEMINE_ACTOR", "test")
            .output()
            .unwrap();
        assert!(out.status.success(), "{db}: {}", String::from_utf8_lossy(&out.stderr));
        let audit = json_at(db, &["audit", "verify", "--json"]);
        assert_eq!(audit["first_bad"], Value::Null, "{db}: {audit}");
    }

    // A target that holds data is refused, naming it, and left as it was.
    let before = what_a_registry_holds(middle);
    let (code, _, err) = migrate(&source, middle);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty") && err.contains("new, empty"), "{err}");
    assert_eq!(what_a_registry_holds(middle), before);
}

#[test]
fn a_registry_moved_to_another_geopackage_and_back_is_the_same_registry() {
    let s = Scratch::new();
    let middle = s.dir.path().join("middle.gpkg").display().to_string();
    round_trip_through(&middle, &s);
}

#[test]
fn a_registry_with_a_broken_audit_chain_is_not_moved() {
    let s = Scratch::new();
    let source = registry_with_history(&s);
    sqlite(
        std::path::Path::new(&source),
        "DROP TRIGGER IF EXISTS change_log_no_update; UPDATE change_log SET actor = 'someone else' WHERE fid = 2;",
    );
    let target = s.dir.path().join("t.gpkg").display().to_string();
    let (code, _, err) = migrate(&source, &target);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("audit chain does not verify"), "{err}");
}

#[cfg(feature = "postgres")]
#[test]
fn a_registry_moved_to_postgis_and_back_is_the_same_registry() {
    let Ok(admin) = std::env::var("DEMINE_TEST_PG") else {
        eprintln!("DEMINE_TEST_PG is not set: the PostGIS round trip runs in scripts/test.sh");
        return;
    };
    let s = Scratch::new();
    let name = format!("demine_migrate_{}", std::process::id());
    psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&admin, &format!("CREATE DATABASE {name} TEMPLATE demine_template"));
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    round_trip_through(&url, &s);
    // An independent computation in PostGIS agrees with demine's accounting: the union of the
    // hazards on the ellipsoid.
    let postgis_m2: f64 = psql(&url, "SELECT ST_Area(ST_Union(geom)::geography, true) FROM hazards")
        .parse()
        .unwrap();
    let release = json_at(&url, &["release", "--json"]);
    let demine_m2 = release["hazard_area_m2"].as_f64().unwrap();
    assert!(
        (postgis_m2 - demine_m2).abs() / demine_m2 < 1e-4,
        "PostGIS {postgis_m2} m² vs demine {demine_m2} m²"
    );
}
