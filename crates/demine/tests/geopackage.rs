//! The registry file as other tools see it: GDAL's `ogrinfo` (Debian gdal-bin) reads the demo
//! GeoPackage with the right layers, counts and extents; exports round-trip exactly; a SIGKILL
//! in the middle of a large import leaves the registry as it was.

mod common;
use common::*;
use std::process::Command as Proc;
use std::time::{Duration, Instant};

fn ogrinfo(args: &[&str]) -> String {
    let out = Proc::new("ogrinfo").args(args).output().unwrap_or_else(|e| {
        panic!("ogrinfo not runnable ({e}): install Debian's gdal-bin (scripts/install-test-deps.sh does)")
    });
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn layer_summary(db: &str, layer: &str) -> (u64, [f64; 4]) {
    let text = ogrinfo(&["-ro", "-so", db, layer]);
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count for {layer}: {text}"))
        .trim()
        .parse()
        .unwrap();
    // Extent: (30.000000, 50.000000) - (30.010000, 50.010000)
    let ext = text
        .lines()
        .find_map(|l| l.strip_prefix("Extent: "))
        .unwrap_or_else(|| panic!("no extent: {text}"));
    let nums: Vec<f64> = ext
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty() && *s != "-")
        .map(|s| s.parse().unwrap())
        .collect();
    (count, [nums[0], nums[1], nums[2], nums[3]])
}

#[test]
fn ogrinfo_reads_the_demo_registry() {
    let s = Scratch::new();
    let (out, stdout) = demo_in(&s, "demo", &["--scale", "small", "--seed", "7"]);
    assert!(stdout.contains("SYNTHETIC"), "demo output must say SYNTHETIC: {stdout}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("SYNTHETIC") && report.contains("<svg"),
        "report.html lacks SYNTHETIC banner or map"
    );

    let db = out.join("demine.gpkg");
    let dbs = db.to_str().unwrap();
    let listing = ogrinfo(&["-ro", "-q", dbs]);
    for layer in ["hazards", "activities", "finds", "accidents", "released_land"] {
        assert!(
            listing.contains(&format!(": {layer} (")),
            "ogrinfo does not list {layer}: {listing}"
        );
    }
    let status: serde_json::Value = {
        let o = assert_cmd::Command::cargo_bin("demine")
            .unwrap()
            .args(["--db", dbs, "status", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    assert_eq!(status["data"], "SYNTHETIC");
    for layer in ["hazards", "activities", "finds", "accidents"] {
        let (count, extent) = layer_summary(dbs, layer);
        assert_eq!(
            Some(count),
            status[layer].as_u64(),
            "{layer}: ogrinfo count vs demine status"
        );
        assert!(count > 0, "{layer} is empty in the small demo");
        assert!(
            extent[0] < extent[2] && extent[1] < extent[3],
            "{layer}: degenerate extent {extent:?}"
        );
        assert!((-180.0..=180.0).contains(&extent[0]) && (-90.0..=90.0).contains(&extent[1]));
    }
    // The extent GDAL reports is the true extent of the features: export and compare.
    let gj = s.dir.path().join("h.geojson");
    s.ok_run_db(dbs, &["export", "hazards", gj.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    fn walk(v: &serde_json::Value, f: &mut dyn FnMut(f64, f64)) {
        if let Some(a) = v.as_array() {
            if a.len() >= 2 && a[0].is_number() {
                f(a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
            } else {
                a.iter().for_each(|x| walk(x, f));
            }
        }
    }
    for feat in v["features"].as_array().unwrap() {
        walk(&feat["geometry"]["coordinates"], &mut |x, y| {
            minx = minx.min(x);
            miny = miny.min(y);
            maxx = maxx.max(x);
            maxy = maxy.max(y);
        });
    }
    let (_, e) = layer_summary(dbs, "hazards");
    for (a, b) in e.iter().zip([minx, miny, maxx, maxy]) {
        assert!(
            (a - b).abs() < 1e-5,
            "extent {e:?} vs features ({minx}, {miny}, {maxx}, {maxy})"
        );
    }
}

trait RunDb {
    fn ok_run_db(&self, db: &str, args: &[&str]);
}
impl RunDb for Scratch {
    fn ok_run_db(&self, db: &str, args: &[&str]) {
        let o = assert_cmd::Command::cargo_bin("demine")
            .unwrap()
            .arg("--db")
            .arg(db)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn geojson_and_csv_exports_round_trip_coordinates_exactly() {
    let s = Scratch::new();
    // Coordinates with 15–17 significant digits, the kind GPS and reprojection produce.
    let g = r#"{"type":"Polygon","coordinates":[[[30.123456789012345,50.98765432109876],[30.133456789012344,50.98765432109876],
        [30.133456789012344,50.99765432109877],[30.1234567890123,50.997654321098765],[30.123456789012345,50.98765432109876]]]}"#;
    let src = collection(&[(r#"{"id":"R1","class":"CHA","name":"Поле біля річки","crew":7}"#, g)]);
    s.import_ok("hazards", &s.file("in.geojson", &src));
    let out = s.dir.path().join("out.geojson");
    let (code, _, err) = s.run(&["export", "hazards", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let a: serde_json::Value = serde_json::from_str(&src).unwrap();
    let b: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        a["features"][0]["geometry"]["coordinates"],
        b["features"][0]["geometry"]["coordinates"]
    );
    assert_eq!(b["features"][0]["properties"]["name"], "Поле біля річки");
    assert_eq!(
        b["features"][0]["properties"]["crew"], 7,
        "unknown properties are kept as attributes"
    );

    // CSV (WKT) out, then into a fresh registry, then GeoJSON out again: still the same bits.
    let csv = s.dir.path().join("out.csv");
    assert_eq!(s.run(&["export", "hazards", csv.to_str().unwrap()]).0, 0);
    let s2 = Scratch::new();
    s2.import_ok("hazards", &csv);
    let out2 = s2.dir.path().join("out2.geojson");
    assert_eq!(s2.run(&["export", "hazards", out2.to_str().unwrap()]).0, 0);
    let c: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out2).unwrap()).unwrap();
    assert_eq!(
        a["features"][0]["geometry"]["coordinates"],
        c["features"][0]["geometry"]["coordinates"]
    );

    // GDAL reads the export as well.
    let text = ogrinfo(&["-ro", "-al", "-so", out.to_str().unwrap()]);
    assert!(text.contains("Feature Count: 1"), "{text}");
}

#[test]
fn sigkill_during_a_large_import_leaves_the_registry_unchanged() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "seed.geojson",
            &collection(&[(r#"{"id":"KEEP","class":"SHA"}"#, &rect(29.0, 49.0, 29.01, 49.01))]),
        ),
    );
    let before = s.fingerprint();
    // 60,000 small hazards: long enough to be killed while writing.
    let mut feats = Vec::with_capacity(60_000);
    for i in 0..60_000 {
        let (x, y) = (30.0 + (i % 300) as f64 * 0.02, 45.0 + (i / 300) as f64 * 0.02);
        feats.push(format!(
            r#"{{"type":"Feature","properties":{{"id":"K{i}","class":"SHA","evidence":"padding padding padding padding"}},"geometry":{}}}"#,
            rect(x, y, x + 0.01, y + 0.01)
        ));
    }
    let big = s.file(
        "big.geojson",
        &format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, feats.join(",")),
    );
    let wal = std::path::PathBuf::from(format!("{}-wal", s.db().display()));
    let mut killed_mid_write = false;
    for attempt in 0..5 {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("demine"))
            .args([
                "--db",
                s.db().to_str().unwrap(),
                "import",
                "hazards",
                big.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the transaction has spilled pages into the WAL, then kill -9.
        let start = Instant::now();
        let base = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            let grown = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > base + 2_000_000;
            if grown || start.elapsed() > Duration::from_secs(120) {
                unsafe_kill(child.id());
                let status = child.wait().unwrap();
                killed_mid_write = grown && status.code().is_none();
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if killed_mid_write {
            break;
        }
        assert!(attempt < 4, "could not catch the import mid-write in 5 attempts");
    }
    assert!(killed_mid_write);
    assert_eq!(before, s.fingerprint(), "registry changed after SIGKILL mid-import");
}

fn unsafe_kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

#[test]
fn sigkill_during_a_first_import_leaves_no_registry() {
    let s = Scratch::new();
    let feats: Vec<String> = (0..40_000)
        .map(|i| {
            let (x, y) = (30.0 + (i % 200) as f64 * 0.02, 45.0 + (i / 200) as f64 * 0.02);
            format!(
                r#"{{"type":"Feature","properties":{{"id":"F{i}","class":"CHA"}},"geometry":{}}}"#,
                rect(x, y, x + 0.01, y + 0.01)
            )
        })
        .collect();
    let big = s.file(
        "first.geojson",
        &format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, feats.join(",")),
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("demine"))
        .args([
            "--db",
            s.db().to_str().unwrap(),
            "import",
            "hazards",
            big.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let writing = loop {
        let partial = std::fs::read_dir(s.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".partial-"));
        if partial || start.elapsed() > Duration::from_secs(120) || matches!(child.try_wait(), Ok(Some(_))) {
            break partial;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    unsafe_kill(child.id());
    let status = child.wait().unwrap();
    assert!(
        writing && status.code().is_none(),
        "the import was not caught while writing"
    );
    assert!(!s.db().exists(), "a killed first import must leave no registry");
}
