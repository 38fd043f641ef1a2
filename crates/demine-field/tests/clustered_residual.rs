//! The contaminated-hazard residual model (`hazard_residual`) is calibrated against simulations of
//! its own generative process (a contaminated hazard has at least one contaminated unit), item by
//! item, over 6·10⁴ released hazards: predicted P(any item
//! remains) per decile within ±3 percentage points of the simulated share; and its expected items
//! are non-negative and grow with what methods miss (property test).

use demine_field::residual::{hazard_residual, Treatment, UnitCase, UnitLand, UnitPrior};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};

#[test]
fn deciles_within_three_points_over_sixty_thousand_hazards() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let report = 0.15;
    let mut cases: Vec<(f64, bool)> = Vec::new();
    for _ in 0..60_000 {
        let rho: f64 = rng.gen_range(0.05..0.95);
        let n_units = rng.gen_range(1..6);
        let (mut units, mut left_any) = (Vec::new(), false);
        let contaminated = rng.gen::<f64>() < rho;
        let priors: Vec<UnitPrior> = (0..n_units)
            .map(|_| UnitPrior {
                phi: rng.gen_range(0.1..0.9),
                mu: rng.gen_range(1.0..30.0),
                shape: rng.gen_range(0.5..2.0),
                spread: 0.0,
            })
            .collect();
        // A contaminated hazard has at least one contaminated unit: the units' draws are
        // repeated until one is.
        let unit_contaminated: Vec<bool> = if contaminated {
            loop {
                let draw: Vec<bool> = priors.iter().map(|p| rng.gen::<f64>() < p.phi).collect();
                if draw.iter().any(|&c| c) {
                    break draw;
                }
            }
        } else {
            vec![false; n_units]
        };
        for (prior, unit_is_contaminated) in priors.into_iter().zip(unit_contaminated) {
            // Two pieces: released by a method with detection p, and not released.
            let s: f64 = rng.gen_range(0.1..0.9);
            let p: f64 = *[0.0, 0.19, 0.99].get(rng.gen_range(0..3)).unwrap();
            let d_rel = 1.0 - (1.0 - report) * (1.0 - p);
            let land = vec![
                UnitLand {
                    share: s,
                    found_share: d_rel,
                    treatment: Treatment::Miss(1.0),
                    holds_evidence: false,
                },
                UnitLand {
                    share: 1.0 - s,
                    found_share: report,
                    treatment: Treatment::Miss(0.0),
                    holds_evidence: false,
                },
            ];
            let mut finds = 0u64;
            if unit_is_contaminated {
                let lambda = Gamma::new(prior.shape, prior.mu / prior.shape)
                    .unwrap()
                    .sample(&mut rng);
                let items = if lambda > 0.0 {
                    Poisson::new(lambda).unwrap().sample(&mut rng) as u64
                } else {
                    0
                };
                let in_released = rng.gen::<f64>() < s;
                let d = if in_released { d_rel } else { report };
                for _ in 0..items {
                    if rng.gen::<f64>() < d {
                        finds += 1;
                    } else if in_released {
                        left_any = true;
                    }
                }
            }
            units.push(UnitCase {
                prior,
                land,
                finds,
                evidence: false,
            });
        }
        let r = hazard_residual(rho, &units);
        cases.push((r.p_any_remaining, left_any));
    }
    cases.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = cases.len();
    for d in 0..10 {
        let part = &cases[d * n / 10..(d + 1) * n / 10];
        let pred = part.iter().map(|c| c.0).sum::<f64>() / part.len() as f64;
        let obs = part.iter().filter(|c| c.1).count() as f64 / part.len() as f64;
        eprintln!("decile {d}: predicted {pred:.3}, simulated {obs:.3}");
        assert!(
            (pred - obs).abs() <= 0.03,
            "decile {d}: predicted {pred:.3}, simulated {obs:.3}"
        );
    }
}

/// A unit whose finds locate its items, simulated item by item and conditioned on its finds by
/// rejection: its items lie in the pieces around the evidence, together in one of them or, with
/// probability `spread`, each in any of them by share; released and cancelled pieces keep what
/// was missed, surveyed pieces are cleared where the survey finds something.
#[test]
fn located_items_together_or_spread_match_a_simulation() {
    let prior = |spread| UnitPrior {
        phi: 0.6,
        mu: 8.0,
        shape: 1.5,
        spread,
    };
    let piece = |share, found_share, treatment, holds_evidence| UnitLand {
        share,
        found_share,
        treatment,
        holds_evidence,
    };
    let land = vec![
        piece(0.3, 0.9, Treatment::Miss(1.0), true),
        piece(0.2, 0.1, Treatment::Miss(1.0), true),
        piece(
            0.15,
            0.1,
            Treatment::SurveyThenClear {
                detect: 0.3,
                clear_miss: 0.05,
            },
            true,
        ),
        piece(
            0.1,
            0.1,
            Treatment::SurveyThenClear {
                detect: 0.6,
                clear_miss: 0.1,
            },
            true,
        ),
        // Away from the evidence: no items there once the finds locate them.
        piece(0.25, 0.1, Treatment::Miss(1.0), false),
    ];
    let finds = 3u64;
    let near: Vec<&UnitLand> = land.iter().filter(|l| l.holds_evidence).collect();
    let near_share: f64 = near.iter().map(|l| l.share).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for spread in [0.0, 0.4, 1.0] {
        let (mut kept, mut any, mut items_left) = (0u64, 0u64, 0u64);
        while kept < 40_000 {
            let p = prior(spread);
            let lambda = Gamma::new(p.shape, p.mu / p.shape).unwrap().sample(&mut rng);
            let n = Poisson::new(lambda).unwrap().sample(&mut rng) as u64;
            let pick = |rng: &mut ChaCha8Rng| {
                let mut x = rng.gen::<f64>() * near_share;
                near.iter()
                    .position(|l| {
                        x -= l.share;
                        x < 0.0
                    })
                    .unwrap_or(near.len() - 1)
            };
            let together = rng.gen::<f64>() >= spread;
            let one_piece = pick(&mut rng);
            // Per piece: items not found so far.
            let mut unfound = vec![0u64; near.len()];
            let mut found = 0u64;
            for _ in 0..n {
                let j = if together { one_piece } else { pick(&mut rng) };
                if rng.gen::<f64>() < near[j].found_share {
                    found += 1;
                } else {
                    unfound[j] += 1;
                }
            }
            if found != finds {
                continue;
            }
            kept += 1;
            let mut left = 0u64;
            for (l, &u) in near.iter().zip(&unfound) {
                left += match l.treatment {
                    Treatment::Miss(m) => (0..u).filter(|_| rng.gen::<f64>() < m).count() as u64,
                    Treatment::SurveyThenClear { detect, clear_miss } => {
                        let seen = (0..u).filter(|_| rng.gen::<f64>() < detect).count() as u64;
                        let missed = u - seen;
                        if seen > 0 {
                            (0..missed).filter(|_| rng.gen::<f64>() < clear_miss).count() as u64
                        } else {
                            missed
                        }
                    }
                };
            }
            any += u64::from(left > 0);
            items_left += left;
        }
        let unit = UnitCase {
            prior: prior(spread),
            land: land.clone(),
            finds,
            evidence: false,
        };
        let r = hazard_residual(0.5, &[unit]);
        let (p_sim, e_sim) = (any as f64 / kept as f64, items_left as f64 / kept as f64);
        eprintln!(
            "spread {spread}: P(any) {:.4} simulated {p_sim:.4}; E {:.3} simulated {e_sim:.3}",
            r.p_any_remaining, r.expected_remaining
        );
        assert!((r.p_any_remaining - p_sim).abs() < 0.012, "spread {spread}");
        assert!((r.expected_remaining / e_sim - 1.0).abs() < 0.05, "spread {spread}");
    }
}

proptest! {
    #[test]
    fn residual_is_non_negative_and_grows_with_misses(
        rho in 0.01f64..1.0, phi in 0.01f64..1.0, mu in 0.1f64..50.0, k in 0.2f64..5.0,
        finds in 0u64..5, m1 in 0.0f64..1.0, m2 in 0.0f64..1.0, share in 0.05f64..0.95,
    ) {
        let (lo, hi) = if m1 <= m2 { (m1, m2) } else { (m2, m1) };
        let case = |m: f64| UnitCase {
            prior: UnitPrior { phi, mu, shape: k, spread: 0.0 },
            land: vec![
                UnitLand { share, found_share: 0.5, treatment: Treatment::Miss(m), holds_evidence: false },
                UnitLand { share: 1.0 - share, found_share: 0.1, treatment: Treatment::Miss(0.0), holds_evidence: false },
            ],
            finds,
            evidence: false,
        };
        let a = hazard_residual(rho, &[case(lo)]);
        let b = hazard_residual(rho, &[case(hi)]);
        prop_assert!(a.expected_remaining >= 0.0 && a.p_any_remaining >= 0.0 && a.p_any_remaining <= 1.0);
        prop_assert!(b.expected_remaining + 1e-12 >= a.expected_remaining);
        prop_assert!(b.p_any_remaining + 1e-12 >= a.p_any_remaining);
    }
}
