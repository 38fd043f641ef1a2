//! `demine priority`: ranked hazards with transparent breakdowns, weights from a TOML file.

mod common;
use common::*;
use std::path::Path;

fn priority(db: &Path, args: &[&str]) -> std::process::Output {
    run_on(db, &[&["priority"], args].concat())
}

/// The small demo (seed 5) in the scratch folder; returns its registry.
fn demo(s: &Scratch) -> std::path::PathBuf {
    demo_in(s, "demo", &["--scale", "small", "--seed", "5"])
        .0
        .join("demine.gpkg")
}

#[test]
fn priorities_are_ranked_with_their_breakdown() {
    let s = Scratch::new();
    let db = demo(&s);
    let o = priority(&db, &["--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["synthetic"], true);
    assert_eq!(v["risk_map"], true, "the demo builds a risk map, priority must use it");
    let hazards = v["hazards"].as_array().unwrap();
    let release: serde_json::Value = serde_json::from_slice(
        &assert_cmd::Command::cargo_bin("demine")
            .unwrap()
            .arg("--db")
            .arg(&db)
            .args(["release", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let with_land_left = release["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["remaining_m2"].as_f64().unwrap() > 0.0)
        .count();
    assert_eq!(hazards.len(), with_land_left);
    assert_eq!(
        hazards.len() as u64 + v["released_not_ranked"].as_u64().unwrap(),
        release["hazards"].as_u64().unwrap()
    );
    let weights = &v["config"]["weights"];
    let weight_sum: f64 = weights.as_object().unwrap().values().map(|w| w.as_f64().unwrap()).sum();
    let mut last = f64::INFINITY;
    for (k, h) in hazards.iter().enumerate() {
        assert_eq!(h["rank"].as_u64(), Some(k as u64 + 1));
        let score = h["score"].as_f64().unwrap();
        assert!(score <= last + 1e-12 && (0.0..=100.0).contains(&score), "{h}");
        last = score;
        let breakdown = h["breakdown"].as_array().unwrap();
        assert_eq!(breakdown.len(), 7);
        let mut total = 0.0;
        for c in breakdown {
            let name = c["criterion"].as_str().unwrap();
            assert_eq!(c["weight"], weights[name], "{c}");
            let expected = 100.0 * c["weight"].as_f64().unwrap() * c["score"].as_f64().unwrap() / weight_sum;
            assert_close(c["points"].as_f64().unwrap(), expected, 1e-9, "points");
            total += expected;
        }
        assert_close(score, total, 1e-9, "score");
        let class = &h["classification"];
        assert!(class["terms"].as_array().unwrap().len() >= 4);
        assert!(!class["reason"].as_str().unwrap().is_empty());
        if class["current"] == "SHA" && class["suggested"] == "CHA" {
            assert!(class["evidence_score"].as_f64().unwrap() >= class["threshold"].as_f64().unwrap());
        }
    }
    // Text output names every criterion with units and says the data are synthetic.
    let o = priority(&db, &["--top", "2"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("SYNTHETIC") && text.contains("#1 ") && !text.contains("#3 "),
        "{text}"
    );
    for word in [
        "risk",
        "farmland",
        "roads",
        "infrastructure",
        "settlements",
        "beneficiaries",
        "accidents",
        "pts",
    ] {
        assert!(text.contains(word), "{word} missing: {text}");
    }
}

#[test]
fn the_authority_sets_the_weights() {
    let s = Scratch::new();
    let db = demo(&s);
    // Only people nearby counts: the ranking follows the settlements measure.
    let weights = s.dir.path().join("weights.toml");
    std::fs::write(
        &weights,
        "[weights]\nrisk = 0\nfarmland = 0\nroads = 0\ninfrastructure = 0\nsettlements = 1\nbeneficiaries = 0\naccidents = 0\n",
    )
    .unwrap();
    let csv = s.dir.path().join("ranked.csv");
    let o = priority(
        &db,
        &[
            "--json",
            "--weights",
            weights.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let people: Vec<f64> = v["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let c = h["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["criterion"] == "settlements")
                .unwrap();
            assert_close(
                h["score"].as_f64().unwrap(),
                100.0 * c["score"].as_f64().unwrap(),
                1e-9,
                "score",
            );
            c["measure"].as_f64().unwrap()
        })
        .collect();
    assert!(people.windows(2).all(|w| w[0] >= w[1]), "{people:?}");
    assert!(people[0] > people[people.len() - 1]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("rank,hazard_id,class,suggested_class,score,remaining_m2,risk_points"));
    assert_eq!(text.lines().count(), people.len() + 1);

    // A bad file is refused with its name, the key and what to do; exit 2.
    for (content, needle) in [
        ("[weights]\nrsik = 1\n", "rsik"),
        ("[weights]\nrisk = -2\n", "weights.risk"),
        ("[weights\n", "weights.toml"),
    ] {
        std::fs::write(&weights, content).unwrap();
        let o = priority(&db, &["--weights", weights.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{content}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("weights.toml") && err.contains(needle), "{err}");
        assert!(o.stdout.is_empty());
    }
    let o = priority(&db, &["--weights", s.dir.path().join("missing.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.toml"));
}
