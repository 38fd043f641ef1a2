//! Post-clearance inspection sampling (the intent of IMAS 09.20, computed exactly).
//!
//! A *lot* is the cleared land divided into `N` inspection units (e.g. 10 × 10 m boxes). A lot
//! at the limiting quality `P` holds `D = ⌈P·N⌉` defective units (units where an item was
//! missed): ⌈·⌉ because every lot whose defect rate is *at least* `P` has at least that many,
//! and acceptance only falls as `D` grows, so the guarantee covers all of them. Inspectors
//! draw `n` units without replacement and accept the lot when at most `c` are defective. The
//! number of defective units in the sample is hypergeometric, so the probability of accepting
//! is `Pa = P(X ≤ c)`, `X ~ Hypergeometric(N, D, n)` — exact, with no binomial or Poisson
//! approximation (ISO 2859 tables use those; for the small lots of mine action they are off).
//!
//! ```
//! use demine_field::qa::{plan, PlanRequest};
//! // 1,000 boxes; a lot with 5 % of boxes missed must pass at most 10 % of the time.
//! let p = plan(&PlanRequest { lot_units: 1000, lq: 0.05, beta: 0.10, c: 0 }).unwrap();
//! assert!(p.p_accept_at_lq <= 0.10);
//! assert_eq!(p.defective_units, 50);
//! // Large lots approach the binomial ⌈ln β / ln(1 − P)⌉ = 45 from below.
//! assert!(p.n <= 45 && p.n >= 40);
//! ```

use serde::Serialize;

/// Why a sampling question has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QaError {
    #[error("--lot-units must be at least 1 (the lot is the inspected land divided into units, e.g. 10 × 10 m boxes); got {0}")]
    EmptyLot(u64),
    #[error("--lq (limiting quality, a defect rate) must be strictly between 0 and 1, e.g. 0.05 for 5 %; got {0}")]
    Lq(f64),
    #[error("--beta (the largest acceptable probability of accepting a lot at the limiting quality) must be strictly between 0 and 1, e.g. 0.1; got {0}")]
    Beta(f64),
    #[error("acceptance number --c {c} is not below the {d} defective units of a lot of {n} units at LQ {lq}: no sample can ever reject such a lot. Lower --c or raise --lq")]
    CTooLarge { c: u64, d: u64, n: u64, lq: f64 },
    #[error("the sample budget of {budget} units is larger than the lot of {lot} units; sample at most the whole lot")]
    BudgetTooLarge { budget: u64, lot: u64 },
    #[error(
        "a sample of {budget} units with acceptance number {c} cannot reject any lot (c must be below the sample size)"
    )]
    BudgetTooSmall { budget: u64, c: u64 },
}

/// The question "how many units must inspectors look at".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanRequest {
    /// Units in the lot (N).
    pub lot_units: u64,
    /// Limiting quality: the defect rate (0..1) that must be rejected.
    pub lq: f64,
    /// Consumer's risk: the largest probability of accepting a lot at LQ.
    pub beta: f64,
    /// Acceptance number: the most defective units found that still accept the lot.
    pub c: u64,
}

/// One point of the operating characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OcPoint {
    /// Defect rate of the lot, exactly `defective_units / lot_units`.
    pub p: f64,
    pub defective_units: u64,
    /// Probability that the lot is accepted.
    pub p_accept: f64,
}

/// A single sampling plan (n, c) and its operating characteristic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplingPlan {
    pub lot_units: u64,
    pub lq: f64,
    pub beta: f64,
    /// D = ⌈lq · lot_units⌉.
    pub defective_units: u64,
    /// Sample size.
    pub n: u64,
    /// Acceptance number.
    pub c: u64,
    /// Pa at the limiting quality (≤ beta).
    pub p_accept_at_lq: f64,
    /// Share of the lot inspected.
    pub sampled_fraction: f64,
    pub oc: Vec<OcPoint>,
}

fn check_lot_lq_beta(lot_units: u64, lq: f64, beta: f64) -> Result<(), QaError> {
    if lot_units == 0 {
        return Err(QaError::EmptyLot(lot_units));
    }
    if !(lq > 0.0 && lq < 1.0) {
        return Err(QaError::Lq(lq));
    }
    if !(beta > 0.0 && beta < 1.0) {
        return Err(QaError::Beta(beta));
    }
    Ok(())
}

/// Pa within this of beta counts as meeting it: exact ties (e.g. 1 defective in 10 units,
/// sample 9: Pa = 1/10 = beta) must not be lost to the last bit of floating point.
pub const TIE_TOLERANCE: f64 = 1e-12;

/// D = ⌈lq · N⌉, with a guard so that 0.05 · 1000 is 50, not 51, in floating point.
pub fn defective_units(lot_units: u64, lq: f64) -> u64 {
    let x = lq * lot_units as f64;
    let r = x.round();
    let d = if (x - r).abs() <= 1e-9 * x.max(1.0) {
        r
    } else {
        x.ceil()
    };
    (d as u64).clamp(1, lot_units)
}

/// `P(X ≤ c)` for `X ~ Hypergeometric(population N, successes D, draws n)`.
///
/// Computed in log space: the first term of the support by a product of ratios written with
/// `ln_1p` (no factorials, so no cancellation between numbers of size N·ln N), then the ratio
/// recurrence pmf(k+1)/pmf(k) = (D−k)(n−k) / ((k+1)(N−D−n+k+1)), summed with a running maximum
/// so that a first term below `f64::MIN_POSITIVE` does not lose the sum. Absolute error is far
/// below 1e-12 for lots up to millions of units (checked against scipy by `bench/qa_scipy.sh`).
pub fn hypergeom_cdf(c: u64, population: u64, successes: u64, draws: u64) -> f64 {
    let (big_n, d, n) = (population, successes.min(population), draws.min(population));
    let good = big_n - d;
    let k_lo = n.saturating_sub(good);
    let k_hi = n.min(d);
    if c < k_lo {
        return 0.0;
    }
    if c >= k_hi {
        return 1.0;
    }
    let lp0 = ln_pmf_lowest(big_n, d, n);
    let mut lp = lp0;
    let mut max = lp0;
    let mut terms = vec![lp0];
    for k in k_lo..c {
        let (kf, df, nf, gf) = (k as f64, d as f64, n as f64, good as f64);
        lp += ((df - kf) * (nf - kf)).ln() - ((kf + 1.0) * (gf - nf + kf + 1.0)).ln();
        max = max.max(lp);
        terms.push(lp);
    }
    let s: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (max + s.ln()).exp().min(1.0)
}

/// ln pmf at the lowest value of the support, k_lo = max(0, n − (N − D)).
fn ln_pmf_lowest(big_n: u64, d: u64, n: u64) -> f64 {
    let good = big_n - d;
    let nf = big_n as f64;
    if n <= good {
        // pmf(0) = C(N−D, n) / C(N, n) = Π_{i<n} (N−D−i)/(N−i) = Π (1 − D/(N−i)).
        (0..n).map(|i| (-(d as f64) / (nf - i as f64)).ln_1p()).sum()
    } else {
        // All good units drawn: pmf = C(D, n−G)/C(N, n) = Π_{i<G} (n−i)/(N−i) = Π (1 − (N−n)/(N−i)).
        (0..good)
            .map(|i| (-((big_n - n) as f64) / (nf - i as f64)).ln_1p())
            .sum()
    }
}

/// Probability of accepting a lot of `lot_units` with `defective` units, sampling `n` with
/// acceptance number `c`.
pub fn p_accept(lot_units: u64, defective: u64, n: u64, c: u64) -> f64 {
    hypergeom_cdf(c, lot_units, defective, n)
}

/// The smallest n with Pa(n, c) ≤ beta at D = ⌈lq·N⌉ (Pa falls as n grows, so bisection).
pub fn plan(req: &PlanRequest) -> Result<SamplingPlan, QaError> {
    check_lot_lq_beta(req.lot_units, req.lq, req.beta)?;
    let big_n = req.lot_units;
    let d = defective_units(big_n, req.lq);
    if req.c >= d {
        return Err(QaError::CTooLarge {
            c: req.c,
            d,
            n: big_n,
            lq: req.lq,
        });
    }
    // At n = N the sample is the lot: X = D > c, Pa = 0, so an answer exists.
    let (mut lo, mut hi) = (req.c, big_n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if p_accept(big_n, d, mid, req.c) <= req.beta + TIE_TOLERANCE {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let n = hi;
    Ok(SamplingPlan {
        lot_units: big_n,
        lq: req.lq,
        beta: req.beta,
        defective_units: d,
        n,
        c: req.c,
        p_accept_at_lq: p_accept(big_n, d, n, req.c),
        sampled_fraction: n as f64 / big_n as f64,
        oc: oc_curve(big_n, n, req.c, d),
    })
}

/// The operating characteristic at about 25 defect rates from 0 to 3 × LQ, and at LQ itself.
pub fn oc_curve(lot_units: u64, n: u64, c: u64, lq_defective: u64) -> Vec<OcPoint> {
    let top = (3 * lq_defective).clamp(1, lot_units);
    let mut ds: Vec<u64> = (0..=24)
        .map(|i| (top as f64 * i as f64 / 24.0).round() as u64)
        .collect();
    ds.push(lq_defective);
    ds.sort_unstable();
    ds.dedup();
    ds.into_iter()
        .map(|d| OcPoint {
            p: d as f64 / lot_units as f64,
            defective_units: d,
            p_accept: p_accept(lot_units, d, n, c),
        })
        .collect()
}

/// The answer to "we can inspect only `budget` units: what quality can we guarantee?"
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetAnswer {
    pub lot_units: u64,
    pub beta: f64,
    pub n: u64,
    pub c: u64,
    /// The smallest defect rate D/N whose lots are accepted with probability ≤ beta.
    pub lq: f64,
    pub defective_units: u64,
    pub p_accept_at_lq: f64,
    pub oc: Vec<OcPoint>,
}

/// Reverse question: with `budget` units sampled and acceptance number `c`, the smallest
/// defect rate D/N rejected with probability ≥ 1 − beta (Pa falls as D grows, so bisection).
pub fn lq_for_budget(lot_units: u64, budget: u64, beta: f64, c: u64) -> Result<BudgetAnswer, QaError> {
    check_lot_lq_beta(lot_units, 0.5, beta)?;
    if budget > lot_units {
        return Err(QaError::BudgetTooLarge { budget, lot: lot_units });
    }
    if budget <= c {
        return Err(QaError::BudgetTooSmall { budget, c });
    }
    // With D = N every unit is defective: X = n > c, Pa = 0.
    let (mut lo, mut hi) = (c, lot_units);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if p_accept(lot_units, mid, budget, c) <= beta + TIE_TOLERANCE {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let d = hi;
    Ok(BudgetAnswer {
        lot_units,
        beta,
        n: budget,
        c,
        lq: d as f64 / lot_units as f64,
        defective_units: d,
        p_accept_at_lq: p_accept(lot_units, d, budget, c),
        oc: oc_curve(lot_units, budget, c, d),
    })
}

/// The large-lot (binomial, c = 0) sample size ⌈ln β / ln(1 − P)⌉.
pub fn binomial_n_c0(lq: f64, beta: f64) -> u64 {
    (beta.ln() / (-lq).ln_1p()).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact binomial coefficients by Pascal's rule in u128 (no floating point, no factorials).
    fn pascal(max: usize) -> Vec<Vec<u128>> {
        let mut t = vec![vec![1u128]];
        for n in 1..=max {
            let prev = &t[n - 1];
            let mut row = vec![1u128; n + 1];
            for k in 1..n {
                row[k] = prev[k - 1] + prev[k];
            }
            t.push(row);
        }
        t
    }

    fn exact_cdf(t: &[Vec<u128>], c: usize, big_n: usize, d: usize, n: usize) -> f64 {
        let choose = |a: usize, b: usize| if b > a { 0 } else { t[a][b] };
        let num: u128 = (0..=c.min(n))
            .map(|k| choose(d, k) * choose(big_n - d, n.saturating_sub(k)) * u128::from(k <= n))
            .sum();
        num as f64 / choose(big_n, n) as f64
    }

    #[test]
    fn cdf_matches_exact_rational_arithmetic() {
        let t = pascal(120);
        let mut worst = 0.0f64;
        for big_n in [1usize, 2, 7, 30, 64, 101, 120] {
            for d in [0, 1, big_n / 3, big_n / 2, big_n.saturating_sub(1), big_n] {
                for n in [0, 1, big_n / 4, big_n / 2, big_n.saturating_sub(2), big_n] {
                    for c in [0usize, 1, 2, 5, n / 2] {
                        let got = hypergeom_cdf(c as u64, big_n as u64, d as u64, n as u64);
                        let want = exact_cdf(&t, c, big_n, d, n);
                        worst = worst.max((got - want).abs());
                    }
                }
            }
        }
        assert!(worst < 1e-13, "max |diff| {worst}");
    }

    #[test]
    fn plan_is_the_smallest_sample_meeting_beta() {
        for (big_n, lq, beta, c) in [
            (50, 0.1, 0.1, 0),
            (500, 0.02, 0.05, 1),
            (2000, 0.01, 0.1, 2),
            (10, 0.3, 0.2, 0),
        ] {
            let p = plan(&PlanRequest {
                lot_units: big_n,
                lq,
                beta,
                c,
            })
            .unwrap();
            assert!(p.p_accept_at_lq <= beta);
            assert!(
                p_accept(big_n, p.defective_units, p.n - 1, c) > beta,
                "n - 1 also works"
            );
        }
    }

    #[test]
    fn exact_ties_meet_beta() {
        // One defective unit in 10: a sample of 9 misses it with probability exactly 1/10.
        let p = plan(&PlanRequest {
            lot_units: 10,
            lq: 0.1,
            beta: 0.1,
            c: 0,
        })
        .unwrap();
        assert_eq!(p.n, 9);
        let p = plan(&PlanRequest {
            lot_units: 50,
            lq: 0.02,
            beta: 0.1,
            c: 0,
        })
        .unwrap();
        assert_eq!(p.n, 45);
    }

    #[test]
    fn large_lots_approach_the_binomial_sample_size() {
        for (lq, beta) in [(0.01, 0.05), (0.05, 0.1), (0.001, 0.1), (0.02, 0.01)] {
            let binom = binomial_n_c0(lq, beta);
            let mut last = 0;
            for big_n in [10_000u64, 100_000, 1_000_000, 10_000_000] {
                let p = plan(&PlanRequest {
                    lot_units: big_n,
                    lq,
                    beta,
                    c: 0,
                })
                .unwrap();
                // Without replacement needs no more than with replacement, and grows towards it.
                assert!(p.n <= binom && p.n >= last, "N {big_n}: n {} binomial {binom}", p.n);
                last = p.n;
            }
            assert!(binom - last <= 1, "N = 1e7: n {last} vs binomial {binom}");
        }
    }

    #[test]
    fn budget_reverse_is_consistent_with_plan() {
        let a = lq_for_budget(1000, 45, 0.1, 0).unwrap();
        assert!(a.p_accept_at_lq <= 0.1);
        assert!(p_accept(1000, a.defective_units - 1, 45, 0) > 0.1);
        let p = plan(&PlanRequest {
            lot_units: 1000,
            lq: a.lq,
            beta: 0.1,
            c: 0,
        })
        .unwrap();
        assert!(p.n <= 45);
    }

    #[test]
    fn bad_questions_are_refused() {
        let r = |lot_units, lq, beta, c| plan(&PlanRequest { lot_units, lq, beta, c });
        assert!(matches!(r(0, 0.1, 0.1, 0), Err(QaError::EmptyLot(_))));
        assert!(matches!(r(10, 0.0, 0.1, 0), Err(QaError::Lq(_))));
        assert!(matches!(r(10, 1.0, 0.1, 0), Err(QaError::Lq(_))));
        assert!(matches!(r(10, f64::NAN, 0.1, 0), Err(QaError::Lq(_))));
        assert!(matches!(r(10, 0.1, 1.5, 0), Err(QaError::Beta(_))));
        assert!(matches!(r(10, 0.1, 0.1, 1), Err(QaError::CTooLarge { .. })));
        assert!(matches!(
            lq_for_budget(10, 11, 0.1, 0),
            Err(QaError::BudgetTooLarge { .. })
        ));
    }
}
