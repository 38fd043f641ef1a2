//! Residual risk is calibrated: simulate items one by one (Poisson counts from a Gamma-distributed
//! density, each item found or missed by each method in turn, then by QA inspectors in their
//! sample), and compare the predicted P(any item remains | what was observed) with how often an
//! item really remained among runs that observed the same thing. 10⁵ seeded runs per setting.

use demine_field::residual::{residual_risk, Piece, Prior, QaResult};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use std::collections::BTreeMap;

struct Setting {
    density_per_m2: f64,
    shape: Option<f64>,
    pieces: Vec<Piece>,
    qa: Option<(f64, f64)>, // (inspected share, detection)
}

/// Returns (worst bin, overall): |mean predicted − simulated frequency| in percentage points,
/// over ten bins of runs sorted by predicted P(any remaining) (≥ 10 % of the runs each, so
/// sampling noise is ≤ 0.5 pp), and over all runs together.
fn calibration(s: &Setting, runs: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // observation (finds, qa defects) → (runs, runs with something left)
    let mut groups: BTreeMap<(u64, u64), (u64, u64)> = BTreeMap::new();
    for _ in 0..runs {
        let lambda = match s.shape {
            Some(k) => Gamma::new(k, s.density_per_m2 / k).unwrap().sample(&mut rng),
            None => s.density_per_m2,
        };
        let (mut finds, mut defects, mut left) = (0u64, 0u64, 0u64);
        for piece in &s.pieces {
            let mean = lambda * piece.area_m2;
            let items = if mean > 0.0 {
                Poisson::new(mean).unwrap().sample(&mut rng) as u64
            } else {
                0
            };
            for _ in 0..items {
                let found = piece.methods.iter().any(|(_, p)| rng.gen::<f64>() < *p);
                if found {
                    finds += 1;
                    continue;
                }
                match s.qa {
                    Some((share, p)) if rng.gen::<f64>() < share && rng.gen::<f64>() < p => defects += 1,
                    _ => left += 1,
                }
            }
        }
        let g = groups.entry((finds, defects)).or_default();
        g.0 += 1;
        g.1 += u64::from(left > 0);
    }
    let prior = Prior {
        density_per_m2: s.density_per_m2,
        shape: s.shape,
        source: "test".into(),
    };
    // (predicted, runs, runs with something left), by predicted probability.
    let mut predicted: Vec<(f64, u64, u64)> = groups
        .iter()
        .map(|(&(finds, defects), &(n, left))| {
            let qa = s.qa.map(|(inspected_share, detection)| QaResult {
                inspected_share,
                defects,
                detection,
            });
            let r = residual_risk(&prior, &s.pieces, finds, qa.as_ref()).unwrap();
            (r.p_any_remaining, n, left)
        })
        .collect();
    predicted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut worst, mut pred_all, mut sim_all) = (0.0f64, 0.0, 0.0);
    let (mut bin_pred, mut bin_n, mut bin_left) = (0.0, 0u64, 0u64);
    let mut bins = 0;
    for (i, &(p, n, left)) in predicted.iter().enumerate() {
        pred_all += p * n as f64;
        sim_all += left as f64;
        bin_pred += p * n as f64;
        bin_n += n;
        bin_left += left;
        let last = i + 1 == predicted.len();
        if bin_n as f64 >= 0.1 * runs as f64 || last {
            if bin_n as f64 >= 0.05 * runs as f64 {
                let d = (bin_pred / bin_n as f64 - bin_left as f64 / bin_n as f64).abs() * 100.0;
                worst = worst.max(d);
                bins += 1;
            }
            (bin_pred, bin_n, bin_left) = (0.0, 0, 0);
        }
    }
    assert!(bins >= 1);
    eprintln!(
        "  {bins} bins, mean predicted {:.4}, simulated {:.4}",
        pred_all / runs as f64,
        sim_all / runs as f64
    );
    (worst, (pred_all - sim_all).abs() / runs as f64 * 100.0)
}

fn piece(area_m2: f64, methods: &[(&str, f64)]) -> Piece {
    Piece {
        area_m2,
        methods: methods.iter().map(|(m, p)| (m.to_string(), *p)).collect(),
    }
}

#[test]
fn known_density_one_method() {
    let s = Setting {
        density_per_m2: 2e-3,
        shape: None,
        pieces: vec![piece(5_000.0, &[("manual", 0.9)])],
        qa: None,
    };
    let (worst, all) = calibration(&s, 100_000, 1);
    eprintln!("known density: worst bin {worst:.3} pp, overall {all:.3} pp");
    assert!(worst <= 2.0 && all <= 2.0);
}

#[test]
fn uncertain_density_two_methods_and_qa() {
    let s = Setting {
        density_per_m2: 1e-3,
        shape: Some(2.0),
        pieces: vec![
            piece(4_000.0, &[("mechanical", 0.8), ("manual", 0.95)]),
            piece(6_000.0, &[("mdd", 0.85)]),
        ],
        qa: Some((0.1, 0.99)),
    };
    let (worst, all) = calibration(&s, 100_000, 2);
    eprintln!("gamma k=2, two methods + QA: worst bin {worst:.3} pp, overall {all:.3} pp");
    assert!(worst <= 2.0 && all <= 2.0);
}

#[test]
fn vague_prior_many_pieces_and_qa() {
    let s = Setting {
        density_per_m2: 5e-4,
        shape: Some(0.5),
        pieces: vec![
            piece(2_000.0, &[("ts", 0.5)]),
            piece(8_000.0, &[("manual", 0.99)]),
            piece(3_000.0, &[("mechanical", 0.85), ("mdd", 0.9)]),
            piece(1_000.0, &[("nts", 0.0)]),
        ],
        qa: Some((0.25, 0.9)),
    };
    let (worst, all) = calibration(&s, 100_000, 3);
    eprintln!("gamma k=0.5, four pieces + QA: worst bin {worst:.3} pp, overall {all:.3} pp");
    assert!(worst <= 2.0 && all <= 2.0);
}
