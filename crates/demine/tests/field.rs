//! Field work and quality through the CLI: QA sampling plans and their refusals, lanes over a
//! polygon and a task, daily progress feeding land release (and refused when impossible),
//! QA sampling and records, residual risk and the release certificate.

mod common;
use common::*;
use serde_json::Value;

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// East–west length of a parallel arc on the WGS84 ellipsoid (prime-vertical radius).
fn parallel_arc_m(dlon_deg: f64, lat_deg: f64) -> f64 {
    let a = 6_378_137.0_f64;
    let e2 = (1.0 / 298.257_223_563) * (2.0 - 1.0 / 298.257_223_563);
    let s = lat_deg.to_radians().sin();
    a / (1.0 - e2 * s * s).sqrt() * lat_deg.to_radians().cos() * dlon_deg.to_radians()
}

#[test]
fn qa_plan_json_and_refusals() {
    let s = Scratch::new();
    let v = s.ok_json(&[
        "qa",
        "plan",
        "--lot-units",
        "400",
        "--lq",
        "0.05",
        "--beta",
        "0.1",
        "--json",
    ]);
    assert_eq!(v["c"], 0);
    assert_eq!(v["defective_units"], 20);
    let n = v["n"].as_u64().unwrap();
    // Without replacement never needs more than the binomial ⌈ln β / ln(1 − P)⌉ = 45.
    assert!(n > 0 && n <= 45, "n = {n}");
    let oc = v["oc"].as_array().unwrap();
    assert!(oc.len() > 10);
    assert_eq!(oc[0]["p"], 0.0);
    assert_eq!(oc[0]["p_accept"], 1.0);
    let at_lq = oc.iter().find(|o| o["defective_units"] == 20).unwrap();
    assert!(f(at_lq, "p_accept") <= 0.1);
    // The OC falls as the lot gets worse.
    assert!(oc.windows(2).all(|w| f(&w[1], "p_accept") <= f(&w[0], "p_accept")));

    let b = s.ok_json(&[
        "qa",
        "plan",
        "--lot-units",
        "400",
        "--beta",
        "0.1",
        "--budget",
        &n.to_string(),
        "--json",
    ]);
    assert!(f(&b, "lq") <= 0.05, "the plan's own n guarantees LQ 0.05: {b}");

    for (args, needle) in [
        (
            vec!["--lot-units", "10", "--lq", "0.1", "--beta", "0.1", "--budget", "20"],
            "larger than the lot",
        ),
        (vec!["--lot-units", "10", "--lq", "1.5", "--beta", "0.1"], "--lq"),
        (vec!["--lot-units", "10", "--lq", "0", "--beta", "0.1"], "--lq"),
        (vec!["--lot-units", "10", "--lq", "0.1", "--beta", "1"], "--beta"),
        (vec!["--lot-units", "0", "--lq", "0.1", "--beta", "0.1"], "--lot-units"),
        (
            vec!["--lot-units", "100", "--lq", "0.01", "--beta", "0.1", "--c", "1"],
            "acceptance number",
        ),
    ] {
        let mut a = vec!["qa", "plan"];
        a.extend(args.iter());
        let (code, out, err) = s.run(&a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(out.is_empty() && err.contains(needle), "{a:?}: {err}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn lanes_over_an_aligned_rectangle_and_refusals() {
    let s = Scratch::new();
    let (x0, y0, x1, y1) = (36.2, 50.0, 36.201, 50.0005);
    let poly = s.file(
        "field.geojson",
        &collection(&[(r#"{"id":"F1"}"#, &rect(x0, y0, x1, y1))]),
    );
    let width = 5.0;
    let out = s.dir.path().join("lanes.geojson");
    let v = s.ok_json(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--width",
        "5",
        "--heading",
        "0",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    // Lanes run north, stacked east–west: ⌈W / w⌉ of them (W measured on the southern edge, the widest).
    let w_m = parallel_arc_m(x1 - x0, y0);
    assert_eq!(v["lanes"].as_u64().unwrap(), (w_m / width).ceil() as u64, "W = {w_m} m");
    assert!(f(&v, "coverage_pct") >= 99.99);
    assert_close(
        f(&v, "site_area_m2"),
        quadrangle_area_m2(x0, y0, x1, y1),
        1e-4,
        "site area",
    );
    assert_eq!(f(&v, "turns") as u64, v["lanes"].as_u64().unwrap() - 1);
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let lanes: Vec<&Value> = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "lane")
        .collect();
    assert_eq!(lanes.len() as u64, v["lanes"].as_u64().unwrap());
    let sum: f64 = lanes.iter().map(|l| f(&l["properties"], "area_m2")).sum();
    assert_close(sum, f(&v, "site_area_m2"), 1e-4, "lane areas");

    // Auto is never worse than 0° and 90°; GPX and KML hold one entry per lane.
    let auto = s.ok_json(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--width",
        "5",
        "--out",
        s.dir.path().join("l.gpx").to_str().unwrap(),
        "--json",
    ]);
    assert!(auto["lanes"].as_u64() <= v["lanes"].as_u64());
    let gpx = std::fs::read_to_string(s.dir.path().join("l.gpx")).unwrap();
    assert!(gpx.matches("<trk>").count() as u64 >= 2 * auto["lanes"].as_u64().unwrap());
    let kml_path = s.dir.path().join("boxes.kml");
    let b = s.ok_json(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--boxes",
        "10",
        "--out",
        kml_path.to_str().unwrap(),
        "--json",
    ]);
    let kml = std::fs::read_to_string(&kml_path).unwrap();
    assert_eq!(kml.matches("<Placemark>").count() as u64, b["boxes"].as_u64().unwrap());
    assert!(f(&b, "coverage_pct") >= 99.99);

    let bad_w = s.run(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--width",
        "0",
        "--out",
        "x.geojson",
    ]);
    assert_eq!(bad_w.0, 2, "{}", bad_w.2);
    assert!(bad_w.2.contains("lane width"));
    // A sign mistake, written as users write it, reaches demine's own check.
    let neg = s.run(&[
        "lanes",
        "--polygon",
        poly.to_str().unwrap(),
        "--width",
        "-1",
        "--out",
        "x.geojson",
    ]);
    assert_eq!(neg.0, 2, "{}", neg.2);
    assert!(neg.2.contains("lane width"), "{}", neg.2);
    // A heading west of north, negative, is the same heading as 360° less.
    let west = |h: &str, s: &Scratch| {
        let o = s.dir.path().join(format!("h{h}.geojson"));
        s.ok_json(&[
            "lanes",
            "--polygon",
            poly.to_str().unwrap(),
            "--width",
            "5",
            "--heading",
            h,
            "--out",
            o.to_str().unwrap(),
            "--json",
        ])
    };
    let (minus, plus) = (west("-30", &s), west("330", &s));
    assert_eq!(f(&minus, "heading_deg"), 330.0);
    assert_eq!(minus["lanes"], plus["lanes"]);
    // A file holding a bare Polygon geometry (no Feature around it) is a polygon file too.
    let bare = s.file("bare.geojson", &rect(x0, y0, x1, y1));
    let b = s.ok_json(&[
        "lanes",
        "--polygon",
        bare.to_str().unwrap(),
        "--width",
        "5",
        "--heading",
        "0",
        "--out",
        s.dir.path().join("b.geojson").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(b["lanes"], v["lanes"]);
    let flat = s.file(
        "flat.geojson",
        &collection(&[(
            r#"{"id":"L"}"#,
            r#"{"type":"Polygon","coordinates":[[[36.2,50.0],[36.201,50.0],[36.202,50.0],[36.2,50.0]]]}"#,
        )]),
    );
    let (code, _, err) = s.run(&[
        "lanes",
        "--polygon",
        flat.to_str().unwrap(),
        "--width",
        "1",
        "--out",
        "x.geojson",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!s.dir.path().join("x.geojson").exists());
}

/// A registry with one CHA hazard of about 71 m × 55 m and one manual team.
fn registry() -> (Scratch, (f64, f64, f64, f64)) {
    let s = Scratch::new();
    let bbox = (36.2, 50.0, 36.201, 50.0005);
    let hz = s.file(
        "hz.geojson",
        &collection(&[(
            r#"{"id":"HZ-1","class":"CHA","land_use":"farmland"}"#,
            &rect(bbox.0, bbox.1, bbox.2, bbox.3),
        )]),
    );
    s.import_ok("hazards", &hz);
    (s, bbox)
}

fn remaining(s: &Scratch) -> f64 {
    let r = s.ok_json(&["release", "--json"]);
    f(&r["per_hazard"][0], "remaining_m2")
}

#[test]
fn progress_feeds_land_release_and_impossible_reports_are_refused() {
    let (s, (x0, y0, x1, y1)) = registry();
    let plan = s.dir.path().join("plan.geojson");
    let v = s.ok_json(&[
        "lanes",
        "HZ-1",
        "--width",
        "2",
        "--heading",
        "0",
        "--out",
        plan.to_str().unwrap(),
        "--json",
    ]);
    let lanes = v["lanes"].as_u64().unwrap();
    assert!(lanes >= 30);
    assert_eq!(v["access_from"], "first vertex");
    // With a road along the north-east, lane 1 starts at the north-east corner, nearest the road.
    let road = s.file(
        "roads.geojson",
        &collection(&[(
            r#"{"id":"RD-1"}"#,
            &format!(
                r#"{{"type":"LineString","coordinates":[[{},{}],[{},{}]]}}"#,
                x1 + 0.001,
                y1 + 0.0005,
                x1 + 0.002,
                y1 + 0.0005
            ),
        )]),
    );
    let (code, _, err) = s.run(&["import", "layer", "roads", road.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let by_road = s.ok_json(&[
        "lanes",
        "HZ-1",
        "--width",
        "2",
        "--heading",
        "0",
        "--out",
        s.dir.path().join("r.geojson").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(by_road["access_from"], "nearest road RD-1");
    let start = &by_road["lane_list"][0]["start"];
    let (sx, sy) = (start[0].as_f64().unwrap(), start[1].as_f64().unwrap());
    assert!(sx > x1 - 0.0001 && sy > y1 - 0.00001, "lane 1 starts at {sx},{sy}");
    let before = remaining(&s);

    // A report from the future is refused and changes nothing.
    let fp = s.fingerprint();
    let (code, _, err) = s.run(&[
        "progress",
        "add",
        "--date",
        "2999-01-01",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--lanes",
        "1-5",
        "--lane-plan",
        plan.to_str().unwrap(),
        "--hours",
        "8",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("future"), "{err}");
    // More land than a manual team can do in one hour.
    let (code, _, err) = s.run(&[
        "progress",
        "add",
        "--date",
        "2025-06-02",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--lanes",
        "1-20",
        "--lane-plan",
        plan.to_str().unwrap(),
        "--hours",
        "1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("more than a manual team"), "{err}");
    // Land outside the task.
    let outside = s.file(
        "out.geojson",
        &collection(&[(r#"{"id":"X"}"#, &rect(x1, y0, x1 + 0.0005, y1))]),
    );
    let (code, _, err) = s.run(&[
        "progress",
        "add",
        "--date",
        "2025-06-02",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--polygon",
        outside.to_str().unwrap(),
        "--hours",
        "8",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("outside task HZ-1"), "{err}");
    assert_eq!(s.fingerprint(), fp, "refused reports leave the registry unchanged");

    // A good day: lanes 1-5 are cleared, and the hazard's remaining land shrinks by their area.
    let lane_area: f64 = v["lane_list"].as_array().unwrap()[..5]
        .iter()
        .map(|l| f(l, "area_m2"))
        .sum();
    let ok = s.ok_json(&[
        "progress",
        "add",
        "--date",
        "2025-06-02",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--lanes",
        "1-5",
        "--lane-plan",
        plan.to_str().unwrap(),
        "--hours",
        "6",
        "--downtime-hours",
        "2",
        "--downtime-reason",
        "rain",
        "--finds",
        "1",
        "--json",
    ]);
    assert_close(f(&ok, "area_m2"), lane_area, 1e-3, "reported area");
    assert_close(before - remaining(&s), lane_area, 1e-3, "released by the report");
    // The same land again: accepted with a warning, released once.
    let (code, out, err) = s.run(&[
        "progress",
        "add",
        "--date",
        "2025-06-03",
        "--task",
        "HZ-1",
        "--team",
        "T1",
        "--team-kind",
        "manual",
        "--lanes",
        "4-8",
        "--lane-plan",
        plan.to_str().unwrap(),
        "--hours",
        "8",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("already cleared"), "{err}");
    let again: Value = serde_json::from_str(&out).unwrap();
    let lanes_1_8: f64 = v["lane_list"].as_array().unwrap()[..8]
        .iter()
        .map(|l| f(l, "area_m2"))
        .sum();
    assert_close(before - f(&again, "remaining_m2"), lanes_1_8, 1e-3, "land counted once");

    let stats = s.ok_json(&["progress", "stats", "--json"]);
    assert_eq!(stats["reports"], 2);
    let exported = s.dir.path().join("progress-out.geojson");
    let (code, _, err) = s.run(&["export", "progress", exported.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    assert_eq!(gj["features"].as_array().unwrap().len(), 2);
    assert_eq!(gj["features"][0]["properties"]["downtime_reason"], "rain");
    let g = &stats["groups"][0];
    assert_eq!(g["team_kind"], "manual");
    assert_eq!(g["terrain"], "farmland");
    assert_close(f(g, "hours"), 14.0, 1e-12, "hours");
    assert_close(f(g, "m2_per_hour"), f(g, "area_m2") / 14.0, 1e-12, "m²/h");

    // import progress: all or nothing.
    let fp = s.fingerprint();
    let file = s.file(
        "progress.geojson",
        &collection(&[
            (
                r#"{"id":"P-9","date":"2025-06-04","task":"HZ-1","team":"T2","team_kind":"mdd","hours":7}"#,
                &rect(x0, y0, x0 + 0.0002, y1),
            ),
            (
                r#"{"id":"P-10","date":"2025-06-04","task":"HZ-404","team":"T2","team_kind":"mdd","hours":7}"#,
                &rect(x0, y0, x0 + 0.0002, y1),
            ),
        ]),
    );
    let (code, _, err) = s.run(&["import", "progress", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("HZ-404") && err.contains("unchanged"), "{err}");
    assert_eq!(s.fingerprint(), fp);
}

#[test]
fn qa_residual_and_certificate_of_a_cleared_hazard() {
    let (s, (x0, y0, x1, y1)) = registry();
    // Cleared in three days by a manual team (up to 1,600 m² a day).
    for (i, (a, b)) in [(x0, x0 + 0.0004), (x0 + 0.0004, x0 + 0.0008), (x0 + 0.0008, x1)]
        .iter()
        .enumerate()
    {
        let p = s.file(
            &format!("day{i}.geojson"),
            &collection(&[(r#"{"id":"D"}"#, &rect(*a, y0, *b, y1))]),
        );
        let date = format!("2025-06-0{}", i + 2);
        let (code, _, err) = s.run(&[
            "progress",
            "add",
            "--date",
            &date,
            "--task",
            "HZ-1",
            "--team",
            "T1",
            "--team-kind",
            "manual",
            "--polygon",
            p.to_str().unwrap(),
            "--hours",
            "12",
            "--finds",
            "1",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    assert!(remaining(&s) < 0.01);
    let r0 = s.ok_json(&["residual", "HZ-1", "--json"]);
    for k in ["expected_remaining", "p_any_remaining"] {
        let x = f(&r0, k);
        assert!(x > 0.0 && x < 1.0, "{k} = {x}");
    }
    assert_eq!(r0["assumptions"]["finds"], 3);
    assert_eq!(r0["assumptions"]["prior"]["source"], "class default for CHA");
    assert!(r0["assumptions"]["qa"].is_null());
    // Known density, one method: E = λ·A·(1 − p), exactly.
    let known = s.ok_json(&[
        "residual",
        "HZ-1",
        "--prior-shape",
        "known",
        "--density-per-m2",
        "0.001",
        "--json",
    ]);
    assert_close(
        f(&known, "expected_remaining"),
        0.001 * f(&known, "released_area_m2") * 0.01,
        1e-9,
        "λ·A·(1−p)",
    );

    // QA: sample, record (clean), and the residual estimate falls.
    let sample = s.dir.path().join("sample.gpx");
    let v = s.ok_json(&[
        "qa",
        "sample",
        "HZ-1",
        "--units",
        "8",
        "--seed",
        "5",
        "--out",
        sample.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["sample"].as_array().unwrap().len(), 8);
    let too_many = s.run(&[
        "qa",
        "sample",
        "HZ-1",
        "--units",
        "100000",
        "--out",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(too_many.0, 2, "{}", too_many.2);
    assert!(too_many.2.contains("fewer than the 100000"), "{}", too_many.2);
    let lot = v["lot_units"].as_u64().unwrap();
    assert!(std::fs::read_to_string(&sample).unwrap().matches("<wpt").count() == 8);
    let rec = s.ok_json(&[
        "qa",
        "record",
        "HZ-1",
        "--date",
        "2025-06-10",
        "--lot-units",
        &lot.to_string(),
        "--sample-units",
        "8",
        "--json",
    ]);
    assert_eq!(rec["accepted"], true);
    let r1 = s.ok_json(&["residual", "HZ-1", "--json"]);
    assert!(f(&r1, "p_any_remaining") < f(&r0, "p_any_remaining"));
    assert_eq!(r1["assumptions"]["qa"]["defects"], 0);
    let bad = s.run(&[
        "qa",
        "record",
        "HZ-1",
        "--date",
        "2025-06-11",
        "--lot-units",
        "5",
        "--sample-units",
        "8",
    ]);
    assert_eq!(bad.0, 2, "{}", bad.2);

    for lang in ["en", "uk"] {
        let out = s.dir.path().join(format!("cert-{lang}.html"));
        let (code, _, err) = s.run(&["certificate", "HZ-1", "--out", out.to_str().unwrap(), "--lang", lang]);
        assert_eq!(code, 0, "{err}");
        let html = std::fs::read_to_string(&out).unwrap();
        assert!(html.contains("HZ-1") && html.contains("<svg") && html.contains("T1"));
        let pct = format!("{:.2} %", 100.0 * f(&r1, "p_any_remaining"));
        assert!(html.contains(&pct), "{lang}: residual {pct} not stated");
        assert!(html.contains(if lang == "en" { "ACCEPTED" } else { "ПРИЙНЯТО" }));
    }
    let (code, _, err) = s.run(&["certificate", "HZ-404", "--out", "c.html"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_demo_brings_progress_qa_and_a_certificate() {
    let s = Scratch::new();
    let (out, stdout) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3"]);
    assert!(stdout.contains("field work (SYNTHETIC)"), "{stdout}");
    let db = out.join("demine.gpkg");
    let on_demo = |args: &[&str]| -> Value { json_on(&db, args) };
    let stats = on_demo(&["progress", "stats", "--json"]);
    assert!(stats["reports"].as_u64().unwrap() >= 5, "{stats}");
    let certs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with("certificate-"))
        .collect();
    assert_eq!(certs.len(), 2, "{certs:?}");
    let id = certs[0]
        .trim_start_matches("certificate-")
        .rsplit_once('-')
        .unwrap()
        .0
        .to_string();
    let r = on_demo(&["residual", &id, "--json"]);
    assert_eq!(r["data"], "SYNTHETIC");
    assert_eq!(r["assumptions"]["qa"]["defects"], 0);
    let html = std::fs::read_to_string(out.join(&certs[0])).unwrap();
    assert!(html.contains("SYNTHETIC") || html.contains("СИНТЕТИЧНІ"));
    // The progress reports released the hazard through the ordinary accounting.
    let rel = on_demo(&["release", "--json"]);
    let h = rel["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id.as_str())
        .unwrap();
    assert!(f(h, "remaining_m2") < 1.0, "{h}");
    // The day's land, the union of its lanes clipped to the hazard, is clean: lanes sharing an
    // edge leave no zero-width slit for `check` to call a spike.
    let check = on_demo(&["check", "--json"]);
    let spikes: Vec<&Value> = check["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["check"] == "spike" && i["id"].as_str().unwrap().starts_with("DP-"))
        .collect();
    assert!(spikes.is_empty(), "{spikes:#?}");
}

/// The demo's field work clears land; the figures the demo prints afterwards are the
/// registry's, exactly what `demine release` says of it.
#[test]
fn the_demo_figures_include_its_field_work() {
    let s = Scratch::new();
    let (out, stdout) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3", "--json"]);
    let demo: Value = serde_json::from_str(&stdout).unwrap();
    let registry = json_on(&out.join("demine.gpkg"), &["release", "--json"]);
    for key in [
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "released_m2",
        "remaining_m2",
    ] {
        assert_eq!(
            demo[key], registry[key],
            "{key}: demo printed {} but the registry holds {}",
            demo[key], registry[key]
        );
    }
    let stats = json_on(&out.join("demine.gpkg"), &["progress", "stats", "--json"]);
    assert!(
        stats["reports"].as_u64().unwrap() >= 5,
        "the demo recorded field work: {stats}"
    );
}
