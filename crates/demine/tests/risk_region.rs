//! `demine risk build --region FILE`: the risk map covers the user's region polygon.

mod common;
use common::*;

/// The demo's hazards' bounding box (lon/lat), from an export of the registry.
fn hazards_bbox(s: &Scratch, db: &std::path::Path) -> [f64; 4] {
    let p = s.dir.path().join("hazards.geojson");
    let o = assert_cmd::Command::cargo_bin("demine")
        .unwrap()
        .arg("--db")
        .arg(db)
        .args(["export", "hazards", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    fn walk(v: &serde_json::Value, b: &mut [f64; 4]) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x);
                b[3] = b[3].max(y);
            }
            Some(a) => a.iter().for_each(|x| walk(x, b)),
            None => {}
        }
    }
    for f in v["features"].as_array().unwrap() {
        walk(&f["geometry"]["coordinates"], &mut b);
    }
    b
}

#[test]
fn risk_build_covers_the_region_given() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "4"]);
    let db = out.join("demine.gpkg");
    let run = |args: &[&str]| run_on(&db, args);
    let [x0, y0, x1, y1] = hazards_bbox(&s, &db);
    // A rectangle around every hazard, 0.02° wider on each side.
    let (x0, y0, x1, y1) = (x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02);
    let region = s.file(
        "region.geojson",
        &collection(&[(r#"{"name":"district"}"#, &rect(x0, y0, x1, y1))]),
    );
    let o = run(&["risk", "build", "--json", "--region", region.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cells = v["cells"].as_u64().unwrap() as f64;
    // Cells whose centre is in the rectangle: its area over the area of a resolution-9 cell
    // there, to a few per cent (H3 cell areas vary a little across a region).
    let cell_m2 = h3o::LatLng::new((y0 + y1) / 2.0, (x0 + x1) / 2.0)
        .unwrap()
        .to_cell(h3o::Resolution::Nine)
        .area_m2();
    let expected = quadrangle_area_m2(x0, y0, x1, y1) / cell_m2;
    assert_close(cells, expected, 0.03, "cells over the region");
    // The hazards-only map (the default) covers far fewer cells.
    let o = run(&["risk", "build", "--json"]);
    let hazards_only: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        hazards_only["cells"].as_u64().unwrap() as f64 * 1.2 < cells,
        "{}",
        hazards_only["cells"]
    );

    // A region that leaves most hazards out: only hazards with cells get a figure.
    let mid = (x0 + x1) / 2.0;
    let west = s.file(
        "west.csv",
        &format!("id,wkt\nW,\"POLYGON(({x0} {y0},{mid} {y0},{mid} {y1},{x0} {y1},{x0} {y0}))\"\n"),
    );
    let o = run(&["risk", "build", "--json", "--region", west.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let all = v["hazards"].as_array().unwrap().len();
    let west_hazards = w["hazards"].as_array().unwrap().len();
    assert!(west_hazards > 0 && west_hazards < all, "{west_hazards} of {all}");
    assert!((w["cells"].as_f64().unwrap() / cells - 0.5).abs() < 0.05);
}

#[test]
fn a_bad_region_or_resolution_is_refused_and_nothing_changes() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"H","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let before = s.fingerprint();
    let line = s.file(
        "line.geojson",
        &collection(&[
            (r#"{"id":"A"}"#, &rect(30.0, 50.0, 30.05, 50.05)),
            (
                r#"{"id":"B"}"#,
                r#"{"type":"LineString","coordinates":[[30,50],[30.1,50.1]]}"#,
            ),
        ]),
    );
    let (code, _, err) = s.run(&["risk", "build", "--region", line.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line.geojson") && err.contains("record 2") && err.contains("Polygon"),
        "{err}"
    );
    assert!(err.contains("unchanged"), "{err}");

    let broken = s.file(
        "broken.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature""#,
    );
    let (code, _, err) = s.run(&["risk", "build", "--region", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.geojson"), "{err}");

    let bad_ring = s.file("ring.csv", "id,wkt\nR1,\"POLYGON((30 50,30.1 50,30.1 95,30 50))\"\n");
    let (code, _, err) = s.run(&["risk", "build", "--region", bad_ring.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ring.csv") && err.contains("record 1"), "{err}");

    let (code, _, err) = s.run(&["risk", "build", "--region", "no-such-region.geojson"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-region.geojson"), "{err}");

    for res in ["6", "12"] {
        let (code, _, err) = s.run(&["risk", "build", "--res", res]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!("resolution {res}")) && err.contains("7..=11"),
            "{err}"
        );
    }
    let (code, _, err) = s.run(&["risk", "build", "--bandwidth-m", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--bandwidth-m"), "{err}");
    assert_eq!(
        s.fingerprint(),
        before,
        "a refused risk build must leave the registry unchanged"
    );
}
