//! Helpers for the CLI integration tests: run the real binary on a scratch registry.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("registry.gpkg")
    }
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write test file");
        p
    }
    pub fn demine(&self) -> Command {
        let mut c = Command::cargo_bin("demine").expect("binary");
        c.arg("--db").arg(self.db()).env("DEMINE_ACTOR", "test");
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

/// Runs `demine demo ARGS --out <scratch>/NAME`; panics with demine's stderr if it fails.
/// Returns the demo folder (its registry is `demine.gpkg` there) and what it printed.
pub fn demo_in(s: &Scratch, name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = s.dir.path().join(name);
    let o = Command::cargo_bin("demine")
        .expect("binary")
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
