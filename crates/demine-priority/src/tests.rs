use super::*;
use geo::{MultiPolygon, Point, Polygon};
use proptest::prelude::*;

fn square(id: &str, lon: f64, lat: f64, class: HazardClass) -> Hazard {
    let d = 0.005;
    Hazard {
        land_use: Some("agricultural".into()),
        ..Hazard::new(
            id,
            class,
            MultiPolygon::new(vec![Polygon::new(
                vec![
                    (lon, lat),
                    (lon + d, lat),
                    (lon + d, lat + d),
                    (lon, lat + d),
                    (lon, lat),
                ]
                .into(),
                vec![],
            )]),
        )
    }
}

fn find(id: &str, lon: f64, lat: f64) -> Find {
    Find::new(
        id,
        chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        demine_core::FindCategory::ApMine,
        Point::new(lon, lat),
    )
}

fn settlement(lon: f64, lat: f64, population: u32) -> ContextFeature {
    let mut attributes = demine_core::Attributes::new();
    attributes.insert("population".into(), population.into());
    ContextFeature {
        layer: "settlements".into(),
        id: None,
        geometry: Geometry::Point(Point::new(lon, lat)),
        attributes,
    }
}

fn run(hazards: &[Hazard], finds: &[Find], layers: &[ContextFeature], config: &Config) -> PriorityReport {
    let remaining = vec![10_000.0; hazards.len()];
    let risk = vec![None; hazards.len()];
    prioritise(
        &PriorityInputs {
            hazards,
            remaining_m2: &remaining,
            risk_p_any: &risk,
            finds,
            accidents: &[],
            layers,
        },
        config,
    )
    .unwrap()
}

fn by_id<'a>(r: &'a PriorityReport, id: &str) -> &'a HazardPriority {
    r.hazards.iter().find(|h| h.hazard_id == id).unwrap()
}

#[test]
fn population_nearby_raises_priority_only_when_weighted() {
    let hazards = [
        square("NEAR", 35.0, 50.0, HazardClass::Sha),
        square("FAR", 35.3, 50.0, HazardClass::Sha),
    ];
    // A town of 5,000 about 700 m east of NEAR; FAR is ~20 km away.
    let layers = [settlement(35.015, 50.0025, 5_000)];
    let r = run(&hazards, &[], &layers, &Config::default());
    assert_eq!(r.hazards[0].hazard_id, "NEAR");
    let near = by_id(&r, "NEAR")
        .breakdown
        .iter()
        .find(|c| c.criterion == "settlements")
        .unwrap();
    let far = by_id(&r, "FAR")
        .breakdown
        .iter()
        .find(|c| c.criterion == "settlements")
        .unwrap();
    assert!(
        near.measure.unwrap() > 3_000.0 && far.measure.unwrap() < 100.0,
        "{near:?} {far:?}"
    );
    assert_eq!(near.unit, "people (distance-weighted)");

    let mut config = Config::default();
    config.weights.settlements = 0.0;
    let r = run(&hazards, &[], &layers, &config);
    assert!((by_id(&r, "NEAR").score - by_id(&r, "FAR").score).abs() < 1e-9);
}

#[test]
fn missing_layers_are_said_not_guessed() {
    let r = run(
        &[square("H", 35.0, 50.0, HazardClass::Sha)],
        &[],
        &[],
        &Config::default(),
    );
    let roads = r.hazards[0].breakdown.iter().find(|c| c.criterion == "roads").unwrap();
    assert_eq!(roads.measure, None);
    assert_eq!(roads.score, 0.0);
    assert!(roads.note.contains("no `roads` layer"), "{}", roads.note);
    let risk = r.hazards[0].breakdown.iter().find(|c| c.criterion == "risk").unwrap();
    assert!(risk.note.contains("no risk map") && risk.score == 0.3);
    assert!(!r.risk_map);
}

#[test]
fn direct_evidence_makes_an_sha_a_cha_suggestion() {
    let hazards = [
        square("WITH-FIND", 35.0, 50.0, HazardClass::Sha),
        square("FIND-NEARBY", 35.1, 50.0, HazardClass::Sha),
        square("NOTHING", 35.2, 50.0, HazardClass::Sha),
    ];
    let finds = [
        find("F1", 35.002, 50.002),
        // 300 m east of FIND-NEARBY: indirect only.
        find("F2", 35.109, 50.002),
    ];
    let r = run(&hazards, &finds, &[], &Config::default());
    let c = &by_id(&r, "WITH-FIND").classification;
    assert_eq!(c.suggested, HazardClass::Cha);
    assert!(c.reason.contains("direct evidence"), "{}", c.reason);
    assert_eq!(
        c.terms.iter().find(|t| t.evidence == "finds inside").unwrap().value,
        1.0
    );
    let c = &by_id(&r, "FIND-NEARBY").classification;
    assert_eq!(c.suggested, HazardClass::Sha, "{c:?}");
    assert_eq!(
        c.terms.iter().find(|t| t.evidence == "finds nearby").unwrap().value,
        1.0
    );
    assert_eq!(by_id(&r, "NOTHING").classification.suggested, HazardClass::Sha);
    assert_eq!(r.suggested_cha().count(), 1);

    // An authority that counts nearby finds more heavily gets the indirect case too.
    let mut config = Config::default();
    config.evidence.find_nearby = 1.0;
    let r = run(&hazards, &finds, &[], &config);
    let c = &by_id(&r, "FIND-NEARBY").classification;
    assert_eq!(c.suggested, HazardClass::Cha);
    assert!(c.reason.contains("indirect"), "{}", c.reason);
}

#[test]
fn released_hazards_are_not_ranked() {
    let hazards = [
        square("A", 35.0, 50.0, HazardClass::Sha),
        square("B", 35.1, 50.0, HazardClass::Sha),
    ];
    let r = prioritise(
        &PriorityInputs {
            hazards: &hazards,
            remaining_m2: &[0.0, 5.0],
            risk_p_any: &[None, None],
            finds: &[],
            accidents: &[],
            layers: &[],
        },
        &Config::default(),
    )
    .unwrap();
    assert_eq!(r.hazards.len(), 1);
    assert_eq!(r.hazards[0].hazard_id, "B");
    assert_eq!(r.released_not_ranked, 1);
}

#[test]
fn beneficiaries_from_attribute_or_households() {
    let mut h = square("H", 35.0, 50.0, HazardClass::Sha);
    h.blockages = Some("road to X closed; 12 households".into());
    assert_eq!(beneficiaries(&h, 2.5).unwrap().0, 30.0);
    h.attributes.insert("beneficiaries".into(), 450.into());
    assert_eq!(beneficiaries(&h, 2.5).unwrap().0, 450.0);
    h.attributes.clear();
    h.blockages = Some("road closed".into());
    assert!(beneficiaries(&h, 2.5).is_none());
}

#[test]
fn toml_configuration_is_checked() {
    let c = Config::from_toml("[weights]\nrisk = 5\n", "w.toml").unwrap();
    assert_eq!(c.weights.risk, 5.0);
    assert_eq!(c.weights.farmland, Weights::default().farmland);
    let err = |text: &str| Config::from_toml(text, "w.toml").unwrap_err().to_string();
    let e = err("[weights]\nrisks = 5\n");
    assert!(e.starts_with("w.toml") && e.contains("risks"), "{e}");
    assert!(err("[weights]\nrisk = -1\n").contains("weights.risk"));
    let zero =
        "[weights]\nrisk=0\nfarmland=0\nroads=0\ninfrastructure=0\nsettlements=0\nbeneficiaries=0\naccidents=0\n";
    assert!(err(zero).contains("all 0"));
    assert!(err("[parameters]\nroad_scale_m = 0\n").contains("road_scale_m"));
    assert!(err("[weights\n").starts_with("w.toml"));
}

fn arb_weights() -> impl Strategy<Value = Weights> {
    proptest::collection::vec(0.0f64..10.0, 7).prop_filter_map("not all zero", |w| {
        (w.iter().sum::<f64>() > 1e-6).then(|| Weights {
            risk: w[0],
            farmland: w[1],
            roads: w[2],
            infrastructure: w[3],
            settlements: w[4],
            beneficiaries: w[5],
            accidents: w[6],
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The score is the weighted mean of the criteria (0–100), equals the sum of its breakdown,
    /// and only the ratios of the weights matter.
    #[test]
    fn score_is_its_breakdown(weights in arb_weights(), k in 0.1f64..100.0, risks in proptest::collection::vec(0.0f64..1.0, 4)) {
        let hazards: Vec<Hazard> = (0..4).map(|i| square(&format!("H{i}"), 35.0 + 0.05 * i as f64, 50.0, HazardClass::Sha)).collect();
        let risk: Vec<Option<f64>> = risks.iter().map(|r| Some(*r)).collect();
        let layers = [settlement(35.02, 50.01, 3000)];
        let go = |w: Weights| prioritise(&PriorityInputs {
            hazards: &hazards, remaining_m2: &[1.0; 4], risk_p_any: &risk, finds: &[], accidents: &[], layers: &layers,
        }, &Config { weights: w, ..Config::default() }).unwrap();
        let r = go(weights.clone());
        let total: f64 = weights.entries().iter().map(|(_, w)| w).sum();
        for h in &r.hazards {
            let sum: f64 = h.breakdown.iter().map(|c| c.points).sum();
            prop_assert!((h.score - sum).abs() < 1e-9);
            let mean = 100.0 * h.breakdown.iter().map(|c| c.weight * c.score).sum::<f64>() / total;
            prop_assert!((h.score - mean).abs() < 1e-9);
            prop_assert!((0.0..=100.0 + 1e-9).contains(&h.score));
        }
        let scaled = Weights {
            risk: weights.risk * k, farmland: weights.farmland * k, roads: weights.roads * k,
            infrastructure: weights.infrastructure * k, settlements: weights.settlements * k,
            beneficiaries: weights.beneficiaries * k, accidents: weights.accidents * k,
        };
        let r2 = go(scaled);
        for (a, b) in r.hazards.iter().zip(&r2.hazards) {
            prop_assert_eq!(&a.hazard_id, &b.hazard_id);
            prop_assert!((a.score - b.score).abs() < 1e-6);
        }
        // Ranks are by score, best first.
        for w in r.hazards.windows(2) {
            prop_assert!(w[0].score >= w[1].score);
        }
    }

    /// More risk never lowers a hazard's score.
    #[test]
    fn more_risk_never_lowers_the_score(weights in arb_weights(), a in 0.0f64..1.0, b in 0.0f64..1.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let hazards = [square("H", 35.0, 50.0, HazardClass::Sha)];
        let score = |p: f64| prioritise(&PriorityInputs {
            hazards: &hazards, remaining_m2: &[1.0], risk_p_any: &[Some(p)], finds: &[], accidents: &[], layers: &[],
        }, &Config { weights: weights.clone(), ..Config::default() }).unwrap().hazards[0].score;
        prop_assert!(score(hi) >= score(lo) - 1e-12);
    }
}
