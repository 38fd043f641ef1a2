//! `demine risk build` on the registry: a risk map of H3 cells saved where GIS reads it.

mod common;
use common::*;

#[test]
fn risk_build_on_the_small_demo() {
    let s = Scratch::new();
    let (out, stdout) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3"]);
    // The demo already built a risk map and shows it in the report.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("Contamination risk (model)")
            && report.contains("Hazards with the most expected items not yet found")
    );
    assert!(stdout.contains("risk map:"));
    let db = out.join("demine.gpkg");
    let run = |args: &[&str]| run_on(&db, args);
    let o = run(&["risk", "build", "--json", "--seed", "5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cells = v["cells"].as_u64().unwrap();
    assert!(cells > 100, "{v}");
    assert!(v["labelled"]["positive"].as_u64().unwrap() > 0);
    assert!(v["labelled"]["negative"].as_u64().unwrap() > 0);
    let hazards = v["hazards"].as_array().unwrap();
    assert!(!hazards.is_empty());
    for h in hazards {
        let p = h["p_any"].as_f64().unwrap();
        let e = h["expected_contaminated_share"].as_f64().unwrap();
        assert!(
            (0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&e) && e <= p + 1e-12,
            "{h}"
        );
    }
    // Saved: the layer GIS reads, with as many cells as reported.
    let st: serde_json::Value = serde_json::from_slice(&run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(st["risk_cells"].as_u64(), Some(cells));
    let info = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", db.to_str().unwrap(), "risk_cells"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains(&format!("Feature Count: {cells}")), "{text}");
    // Deterministic for a seed.
    let mut again: serde_json::Value =
        serde_json::from_slice(&run(&["risk", "build", "--json", "--seed", "5"]).stdout).unwrap();
    let mut v = v;
    v["timings"] = serde_json::Value::Null; // wall-clock times are the only thing allowed to differ
    again["timings"] = serde_json::Value::Null;
    assert_eq!(v, again);
}

#[test]
fn risk_build_refuses_bad_input() {
    let s = Scratch::new();
    s.import_ok(
        "hazards",
        &s.file(
            "h.geojson",
            &collection(&[(r#"{"id":"H","class":"SHA"}"#, &rect(30.0, 50.0, 30.01, 50.01))]),
        ),
    );
    let (code, _, err) = s.run(&["risk", "build", "--res", "12"]);
    assert_ne!(code, 0);
    assert!(err.contains("resolution 12"), "{err}");
    // Refused as input (exit 2) before any work, not failed as a fault (exit 1).
    let (code, _, err) = s.run(&["risk", "build", "--folds", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--folds 0"), "{err}");
    // No finds and nothing searched: nothing to learn from.
    let (code, _, err) = s.run(&["risk", "build"]);
    assert_ne!(code, 0);
    assert!(err.contains("needs both"), "{err}");
    let empty = Scratch::new();
    let (code, _, err) = empty.run(&["risk", "build"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such registry"), "{err}");
    assert_eq!(empty.run(&["init"]).0, 0);
    let (code, _, err) = empty.run(&["risk", "build"]);
    assert_eq!(code, 2);
    assert!(err.contains("no hazards"), "{err}");
}

/// The demo's hidden ground truth (where the synthetic items really are) scores the demo's
/// risk map: the riskiest 20 % of cells must hold at least twice the share of contaminated
/// cells that random ranking gives, also among cells the model had no label for.
#[test]
fn demo_risk_map_finds_the_hidden_contamination() {
    let s = Scratch::new();
    for seed in ["11", "12"] {
        let (out, stdout) = demo_in(&s, &format!("demo-{seed}"), &["--json", "--seed", seed]);
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let truth = &v["risk_map"]["truth"];
        assert!(truth["contaminated_cells"].as_u64().unwrap() > 100, "{truth}");
        assert_eq!(truth["top_share"].as_f64(), Some(0.2));
        let lift = truth["lift"].as_f64().unwrap();
        let hidden_lift = truth["unlabelled_lift"].as_f64().unwrap();
        assert!(lift >= 2.0 && hidden_lift >= 2.0, "seed {seed}: {truth}");

        // The truth file is there for anyone to check, and says what it is; the registry
        // does not hold it (only the finds: far fewer than the items).
        let csv = std::fs::read_to_string(out.join("ground_truth.SYNTHETIC.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("lon,lat,hazard_id,category,depth_cm,found,synthetic")
        );
        let items = lines.count();
        let status = json_on(&out.join("demine.gpkg"), &["status", "--json"]);
        let recorded = status["finds"].as_u64().unwrap() as usize;
        assert!(
            recorded > 0 && items > 2 * recorded,
            "{items} true items, {recorded} finds"
        );
    }
}
