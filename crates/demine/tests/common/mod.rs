//! Helpers for the CLI integration tests: run the real binary on a scratch registry.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Scratch {
    pub dir: tempfile::TempDir,
    /// The registry's PostgreSQL URL, on the PostGIS backend (see [`backend`]).
    pub pg_url: Option<String>,
}

/// Which store the CLI tests run on: the GeoPackage file, or, with
/// `DEMINE_TEST_BACKEND=postgres` (the binary built with `--features postgres`, `DEMINE_TEST_PG`
/// naming the cluster of `scripts/pg-test-cluster.sh`), a fresh PostGIS database per test.
pub fn backend() -> &'static str {
    match std::env::var("DEMINE_TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        Ok("") | Ok("geopackage") | Err(_) => "geopackage",
        Ok(other) => panic!("DEMINE_TEST_BACKEND={other}: use geopackage or postgres"),
    }
}

/// Runs SQL on the test cluster with psql; its output.
pub fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql (scripts/pg-test-cluster.sh installs it)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn new_pg_database() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = std::env::var("DEMINE_TEST_PG").expect("DEMINE_TEST_BACKEND=postgres needs DEMINE_TEST_PG");
    let name = format!(
        "demine_cli_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    // The template may be busy while another test copies it.
    for _ in 0..100 {
        let out = std::process::Command::new("psql")
            .args([
                &admin,
                "-qAtc",
                &format!("CREATE DATABASE {name} TEMPLATE demine_template"),
            ])
            .output()
            .expect("psql");
        if out.status.success() {
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            return format!("{base}/{name}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("cannot create a test database on {admin}");
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
            pg_url: (backend() == "postgres").then(new_pg_database),
        }
    }
    /// The GeoPackage file (on the GeoPackage backend).
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("registry.gpkg")
    }
    /// What `--db` is given: the GeoPackage's path or the database's URL.
    pub fn db_arg(&self) -> String {
        match &self.pg_url {
            Some(u) => u.clone(),
            None => self.db().display().to_string(),
        }
    }
    /// The registry as GDAL opens it (`ogrinfo`): the file, or `PG:` and the database's URL.
    pub fn gdal_source(&self) -> String {
        match &self.pg_url {
            // GDAL 3.6 wants libpq's keyword form: postgres://USER@HOST:PORT/DB → PG:host=… .
            Some(u) => {
                let rest = u.split_once("://").expect("a URL").1;
                let (user, rest) = rest.split_once('@').expect("USER@");
                let (hostport, db) = rest.split_once('/').expect("/DB");
                let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
                format!("PG:host={host} port={port} user={user} dbname={db}")
            }
            None => self.db().display().to_string(),
        }
    }
    /// A copy of the registry to spoil in a test: a file copy, or a database made from this one
    /// as its template. What `--db` is given for the copy.
    pub fn copy_of_registry(&self, name: &str) -> String {
        match &self.pg_url {
            Some(u) => {
                let (base, db) = u.rsplit_once('/').expect("/DB");
                let copy = format!("{db}_{name}");
                let admin = std::env::var("DEMINE_TEST_PG").expect("DEMINE_TEST_PG");
                psql(&admin, &format!("CREATE DATABASE {copy} TEMPLATE {db}"));
                format!("{base}/{copy}")
            }
            None => {
                let copy = self.db().with_extension(format!("{name}.gpkg"));
                std::fs::copy(self.db(), &copy).expect("copy the registry");
                copy.display().to_string()
            }
        }
    }
    /// Runs SQL on a registry behind the store's back, as an intruder with database access
    /// would: sqlite3 on a file, psql on a database.
    pub fn sql_on(&self, db_arg: &str, sql: &str) {
        match &self.pg_url {
            Some(_) => {
                psql(db_arg, sql);
            }
            None => sqlite(Path::new(db_arg), sql),
        }
    }
    /// Whether a registry exists yet (a refused first import, or a read, creates none).
    pub fn registry_exists(&self) -> bool {
        match &self.pg_url {
            Some(u) => psql(u, "SELECT to_regclass('hazards') IS NOT NULL") == "t",
            None => self.db().exists(),
        }
    }
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write test file");
        p
    }
    pub fn demine(&self) -> Command {
        let mut c = bin();
        c.arg("--db").arg(self.db_arg()).env("DEMINE_ACTOR", "test");
        c
    }
    /// Runs and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.demine().args(args).output().expect("run demine");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    pub fn ok_json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "demine {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
    pub fn import_ok(&self, kind: &str, path: &Path) {
        let (code, _, err) = self.run(&["import", kind, path.to_str().unwrap()]);
        assert_eq!(code, 0, "import {kind} {} failed: {err}", path.display());
    }
    /// A fingerprint of everything the registry holds, to prove "unchanged".
    pub fn fingerprint(&self) -> String {
        let status = self.ok_json(&["status", "--json"]);
        let release = self.ok_json(&["release", "--json"]);
        let mut s = format!("{status}{release}");
        for kind in ["hazards", "activities", "finds", "accidents"] {
            let p = self.dir.path().join(format!("fp-{kind}.geojson"));
            let (code, _, err) = self.run(&["export", kind, p.to_str().unwrap()]);
            assert_eq!(code, 0, "{err}");
            s.push_str(&std::fs::read_to_string(&p).unwrap());
        }
        s
    }
}

/// The binary, printing English whatever the machine's locale, as the tests that read its text
/// expect (a test of Ukrainian asks for it: `--lang uk` or `DEMINE_LANG=uk`).
pub fn bin() -> Command {
    let mut c = Command::cargo_bin("demine").expect("binary");
    c.env("DEMINE_LANG", "en");
    c
}

/// Runs `demine demo ARGS --out <scratch>/NAME`; panics with demine's stderr if it fails.
/// Returns the demo folder (its registry is `demine.gpkg` there) and what it printed.
pub fn demo_in(s: &Scratch, name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = s.dir.path().join(name);
    let o = bin()
        .arg("demo")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run demine demo");
    assert!(
        o.status.success(),
        "demine demo {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (out, String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Runs demine on the registry `db` (e.g. a demo's) and returns what it did.
pub fn run_on(db: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("demine")
        .expect("binary")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run demine")
}

/// Runs demine on `db`, asserts success and parses stdout as JSON.
pub fn json_on(db: &Path, args: &[&str]) -> Value {
    let o = run_on(db, args);
    assert!(
        o.status.success(),
        "demine {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// A GeoJSON FeatureCollection from (properties JSON, geometry JSON) pairs.
pub fn collection(features: &[(&str, &str)]) -> String {
    let fs: Vec<String> = features
        .iter()
        .map(|(props, geom)| format!(r#"{{"type":"Feature","properties":{props},"geometry":{geom}}}"#))
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","))
}

/// A lon/lat rectangle as a GeoJSON Polygon (counter-clockwise).
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#)
}

/// Area of the quadrangle bounded by two meridians and two parallels on the WGS84 ellipsoid,
/// in closed form (authalic latitude): an independent check of the geodesic areas. For the
/// small rectangles of these tests, geodesic and parallel edges differ by < 0.002 %.
pub fn quadrangle_area_m2(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let a: f64 = 6_378_137.0;
    let f: f64 = 1.0 / 298.257_223_563;
    let b = a * (1.0 - f);
    let e2 = f * (2.0 - f);
    let e = e2.sqrt();
    let q = |phi: f64| {
        let s = phi.to_radians().sin();
        s / (1.0 - e2 * s * s) + (1.0 / (2.0 * e)) * ((1.0 + e * s) / (1.0 - e * s)).ln()
    };
    (b * b / 2.0) * (x1 - x0).to_radians() * (q(y1) - q(y0))
}

pub fn assert_close(actual: f64, expected: f64, rel: f64, what: &str) {
    let err = if expected == 0.0 {
        actual.abs()
    } else {
        ((actual - expected) / expected).abs()
    };
    assert!(
        err <= rel,
        "{what}: {actual} vs expected {expected} (relative error {err:.2e} > {rel:.0e})"
    );
}

/// A GeoJSON Point.
pub fn point(x: f64, y: f64) -> String {
    format!(r#"{{"type":"Point","coordinates":[{x},{y}]}}"#)
}

#[allow(unused_imports)]
pub use assert_cmd::Command as Cmd;

/// Runs SQL on a GeoPackage behind demine's back (Python's sqlite3), as an intruder would.
pub fn sqlite(db: &Path, sql: &str) {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()",
        ])
        .arg(db)
        .arg(sql)
        .output()
        .expect("python3 (sqlite3) edits the registry as an intruder would");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
