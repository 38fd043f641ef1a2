//! `demine risk suggest`: high-risk land outside every hazard, proposed as new SHAs. Checked
//! on the region demo against its hidden ground truth (the unrecorded clusters outside every
//! hazard that `demine demo` writes to ground_truth.SYNTHETIC.csv).

mod common;
use common::*;
use geo::{BoundingRect, Contains, MultiPolygon, Point, Polygon};

fn polygons(geometry: &serde_json::Value) -> MultiPolygon<f64> {
    let ring = |r: &serde_json::Value| -> geo::LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect::<Vec<_>>()
            .into()
    };
    let polygon = |p: &serde_json::Value| -> Polygon<f64> {
        let rings = p.as_array().unwrap();
        Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    match geometry["type"].as_str().unwrap() {
        "Polygon" => MultiPolygon::new(vec![polygon(&geometry["coordinates"])]),
        "MultiPolygon" => MultiPolygon::new(
            geometry["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        ),
        t => panic!("unexpected geometry {t}"),
    }
}

fn read_collection(path: &std::path::Path) -> Vec<(serde_json::Value, MultiPolygon<f64>)> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["properties"].clone(), polygons(&f["geometry"])))
        .collect()
}

fn inside_any(shapes: &[(geo::Rect<f64>, MultiPolygon<f64>)], p: &Point<f64>) -> bool {
    shapes.iter().any(|(r, m)| r.contains(p) && m.contains(p))
}

#[test]
fn suggestions_capture_the_unrecorded_contamination_of_the_region_demo() {
    let s = Scratch::new();
    let (out, text) = demo_in(&s, "demo", &["--seed", "21"]);
    assert!(
        text.contains("suggested SHAs"),
        "the demo shows its suggestions: {text}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("suggested new SHA"),
        "report.html shows the suggestions"
    );
    let db = out.join("demine.gpkg");
    let run = |args: &[&str]| run_on(&db, args);
    let status = |run: &dyn Fn(&[&str]) -> std::process::Output| run(&["status", "--json"]).stdout;
    let before = status(&run);
    let file = s.dir.path().join("suggested.geojson");
    let o = run(&[
        "risk",
        "suggest",
        "--json",
        "--seed",
        "3",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["written_to_registry"], false);
    assert_eq!(v["synthetic"], true);
    assert_eq!(status(&run), before, "risk suggest must not write to the registry");

    // Every suggested area is outside every hazard: no H3 cell of it has its centre in one.
    let hazards_file = s.dir.path().join("hazards.geojson");
    assert!(run(&["export", "hazards", hazards_file.to_str().unwrap()])
        .status
        .success());
    let hazards: Vec<(geo::Rect<f64>, MultiPolygon<f64>)> = read_collection(&hazards_file)
        .into_iter()
        .map(|(_, m)| (m.bounding_rect().unwrap(), m))
        .collect();
    let suggested = read_collection(&file);
    assert!(!suggested.is_empty(), "{v}");
    assert_eq!(suggested.len(), v["suggestions"].as_array().unwrap().len());
    let mut total_m2 = 0.0;
    for (k, (props, shape)) in suggested.iter().enumerate() {
        assert_eq!(props["id"], format!("SUGG-{:04}", k + 1));
        assert_eq!(
            (props["class"].as_str(), props["status"].as_str()),
            (Some("SHA"), Some("suggested"))
        );
        assert_eq!(props["synthetic"], true);
        assert!(!props["reason"].as_str().unwrap().is_empty());
        let mut tiler = h3o::geom::TilerBuilder::new(h3o::Resolution::Nine)
            .containment_mode(h3o::geom::ContainmentMode::ContainsCentroid)
            .build();
        for p in &shape.0 {
            tiler.add(p.clone()).unwrap();
        }
        let cells: Vec<h3o::CellIndex> = tiler.into_coverage().collect();
        assert_eq!(cells.len() as u64, props["cells"].as_u64().unwrap(), "{props}");
        // Survey-sized: big zones are cut along H3 parents (343 cells of resolution 9).
        assert!(cells.len() <= 343, "{props}");
        for c in cells {
            let ll = h3o::LatLng::from(c);
            let centre = Point::new(ll.lng(), ll.lat());
            assert!(
                !inside_any(&hazards, &centre),
                "{} has a cell inside a hazard",
                props["id"]
            );
        }
        let area = props["area_m2"].as_f64().unwrap();
        assert_close(area, geo::GeodesicArea::geodesic_area_unsigned(shape), 0.01, "area_m2");
        total_m2 += area;
    }
    // Ranked by expected contamination.
    let expected: Vec<f64> = suggested
        .iter()
        .map(|(p, _)| p["expected_contaminated_cells"].as_f64().unwrap())
        .collect();
    assert!(expected.windows(2).all(|w| w[0] >= w[1]), "{expected:?}");

    // Importable as it is.
    let o = run(&["import", "hazards", file.to_str().unwrap(), "--dry-run"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fresh = Scratch::new();
    fresh.import_ok("hazards", &file);
    let st = fresh.ok_json(&["status", "--json"]);
    assert_eq!(st["hazards"].as_u64(), Some(suggested.len() as u64));

    // Against the hidden truth: the share of the unrecorded true items (outside every hazard)
    // inside the suggestions, over the share of the looked-at outside area they cover.
    let truth = std::fs::read_to_string(out.join("ground_truth.SYNTHETIC.csv")).unwrap();
    let shapes: Vec<(geo::Rect<f64>, MultiPolygon<f64>)> = suggested
        .iter()
        .map(|(_, m)| (m.bounding_rect().unwrap(), m.clone()))
        .collect();
    let (mut outside_items, mut caught) = (0usize, 0usize);
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if !f[2].is_empty() {
            continue;
        }
        outside_items += 1;
        let p = Point::new(f[0].parse().unwrap(), f[1].parse().unwrap());
        if inside_any(&shapes, &p) {
            caught += 1;
        }
    }
    assert!(outside_items > 50, "{outside_items} unrecorded items");
    let item_share = caught as f64 / outside_items as f64;
    let area_share = total_m2 / v["outside_area_m2"].as_f64().unwrap();
    let lift = item_share / area_share;
    eprintln!(
        "suggest lift: {caught} of {outside_items} unrecorded items ({:.1} %) in {:.1} % of the outside area: {lift:.2}×",
        100.0 * item_share,
        100.0 * area_share
    );
    assert!(area_share > 0.0 && area_share < 0.5, "{area_share}");
    assert!(
        lift >= 2.0,
        "lift {lift:.2}: {caught}/{outside_items} items in {area_share:.3} of the area"
    );
}

#[test]
fn suggest_refuses_bad_arguments() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"H","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let before = s.fingerprint();
    for (args, says) in [
        (vec!["--threshold", "1.5"], "--threshold"),
        (vec!["--res", "12"], "resolution 12"),
        (vec!["--margin-m=-5"], "--margin-m"),
        // A margin of light-years once aborted the process while covering it with cells.
        (vec!["--margin-m", "99999999999999999999"], "100,000 metres"),
        (vec!["--max", "0"], "--max"),
        (vec!["--region", "missing.geojson"], "missing.geojson"),
        (vec!["--out", "/no/such/folder/s.geojson"], "does not exist"),
    ] {
        let mut all = vec!["risk", "suggest"];
        all.extend(args.iter());
        let (code, _, err) = s.run(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Nothing to learn from (no finds, nothing searched): a clear message, not a panic.
    let (code, _, err) = s.run(&["risk", "suggest"]);
    assert_ne!(code, 0);
    assert!(err.contains("needs both"), "{err}");
    assert_eq!(s.fingerprint(), before);
}
