//! Residual risk of released land: how many items may remain, and how likely is at least one.
//!
//! **Model.** Items lie in the land as a Poisson process of density λ (items/m²). λ itself is
//! uncertain: a Gamma prior with mean `density_per_m2` (from the risk model or a class default)
//! and shape `k` (how many "items' worth" of certainty the prior carries; `None` = λ known).
//! The land is cut into pieces; on piece j (area A_j) the methods applied in turn each detect
//! an item independently with probability p_i, and found items are removed. QA inspectors then
//! look at a share σ of the released land (their sample) with detection probability p_qa.
//!
//! **Thinning.** An item of piece j is found by the methods with probability 1 − q_j,
//! q_j = Π(1 − p_i); a missed one is found by QA with probability σ·p_qa; otherwise it remains.
//! Splitting a Poisson process by independent marks gives independent Poisson counts, so given λ
//! - finds F ~ Poisson(λ·E_f), E_f = Σ A_j (1 − q_j),
//! - QA defects d ~ Poisson(λ·E_qa), E_qa = σ·p_qa·Σ A_j q_j,
//! - remaining R ~ Poisson(λ·E_r), E_r = (1 − σ·p_qa)·Σ A_j q_j,
//!
//! and R is independent of (F, d) *given λ*: with λ known, finds and a clean QA sample tell
//! nothing more about what remains (the miss probabilities already carry it). What they do
//! tell is λ: the Gamma prior is conjugate, λ | F, d ~ Gamma(k + F + d, k/m + E_f + E_qa), and R
//! is then negative binomial:
//! P(R = 0) = (β'/(β' + E_r))^{α'}, E[R] = α'·E_r/β', with α' = k + F + d, β' = k/m + E_f + E_qa.
//! With λ known: P(R = 0) = exp(−λ·E_r), E[R] = λ·E_r.
//!
//! ```
//! use demine_field::residual::{residual_risk, Piece, Prior, QaResult};
//! let piece = Piece { area_m2: 10_000.0, methods: vec![("manual".into(), 0.99)] };
//! let prior = Prior { density_per_m2: 1e-3, shape: None, source: "class default CHA".into() };
//! let r = residual_risk(&prior, &[piece], 7, None).unwrap();
//! // 10 items expected, 1 % missed: 0.1 remain, P(any) = 1 − e^−0.1.
//! assert!((r.expected_remaining - 0.1).abs() < 1e-12);
//! assert!((r.p_any_remaining - (1.0 - (-0.1f64).exp())).abs() < 1e-12);
//! ```

use serde::Serialize;
use std::collections::BTreeMap;

/// Detection probabilities per method, assumed by default (configurable on the command line).
/// They are planning assumptions, not measured constants: set them from your own QA history.
pub const DEFAULT_DETECTION: &[(&str, f64)] = &[
    ("manual", 0.99),
    ("clearance", 0.99),
    ("mechanical", 0.85),
    ("mdd", 0.90),
    ("bac", 0.95),
    ("eod", 0.50),
    ("ts", 0.50),
    // Non-technical survey cancels land on evidence; it detects nothing physically.
    ("nts", 0.0),
];

/// Prior item density per hazard class, items/m² (when no risk model has been built).
pub const DEFAULT_DENSITY_PER_M2: &[(&str, f64)] = &[("CHA", 1e-3), ("SHA", 1e-4)];

/// Detection probability of QA inspectors in their sample (default).
pub const DEFAULT_QA_DETECTION: f64 = 0.99;

/// Why residual risk cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResidualError {
    #[error("prior density must be a finite number of items per m² ≥ 0; got {0}")]
    Density(f64),
    #[error("prior shape must be > 0 (or absent for a known density); got {0}")]
    Shape(f64),
    #[error("detection probability of method '{method}' must be in [0, 1]; got {p}")]
    Detection { method: String, p: f64 },
    #[error("piece area must be a finite number of m² ≥ 0; got {0}")]
    Area(f64),
    #[error("QA: inspected share must be in [0, 1] and detection in [0, 1]; got share {share}, detection {p}")]
    Qa { share: f64, p: f64 },
}

/// The prior on item density.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prior {
    /// Mean items per m².
    pub density_per_m2: f64,
    /// Gamma shape k; `None` = density known exactly.
    pub shape: Option<f64>,
    /// Where the density came from (risk model, class default, user).
    pub source: String,
}

/// A piece of released land and the methods that worked it, each with its detection probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Piece {
    pub area_m2: f64,
    pub methods: Vec<(String, f64)>,
}

/// A post-clearance inspection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaResult {
    /// Share of the released land inspected (sample area / released area).
    pub inspected_share: f64,
    /// Items the inspectors found (defects).
    pub defects: u64,
    /// Their detection probability.
    pub detection: f64,
}

/// The estimate and everything it assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Residual {
    pub expected_remaining: f64,
    pub p_any_remaining: f64,
    /// Posterior mean density, items/m².
    pub posterior_density_per_m2: f64,
    /// Items expected before any work (prior mean × area).
    pub prior_expected_items: f64,
    pub area_m2: f64,
    /// Area-weighted miss probability Σ A_j q_j / Σ A_j.
    pub miss_probability: f64,
    pub finds: u64,
    pub prior: Prior,
    pub qa: Option<QaResult>,
    /// Area per method combination, e.g. "mechanical+manual" → m².
    pub area_by_methods_m2: BTreeMap<String, f64>,
}

fn check_p(method: &str, p: f64) -> Result<(), ResidualError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(ResidualError::Detection {
            method: method.into(),
            p,
        });
    }
    Ok(())
}

/// The residual risk of `pieces` after `finds` items were found there, and a QA result if any.
pub fn residual_risk(
    prior: &Prior,
    pieces: &[Piece],
    finds: u64,
    qa: Option<&QaResult>,
) -> Result<Residual, ResidualError> {
    let m = prior.density_per_m2;
    if !(m.is_finite() && m >= 0.0) {
        return Err(ResidualError::Density(m));
    }
    if let Some(k) = prior.shape {
        if !(k.is_finite() && k > 0.0) {
            return Err(ResidualError::Shape(k));
        }
    }
    let (mut area, mut e_found, mut e_missed) = (0.0, 0.0, 0.0);
    let mut by_methods: BTreeMap<String, f64> = BTreeMap::new();
    for piece in pieces {
        if !(piece.area_m2.is_finite() && piece.area_m2 >= 0.0) {
            return Err(ResidualError::Area(piece.area_m2));
        }
        let mut q = 1.0;
        for (name, p) in &piece.methods {
            check_p(name, *p)?;
            q *= 1.0 - p;
        }
        area += piece.area_m2;
        e_found += piece.area_m2 * (1.0 - q);
        e_missed += piece.area_m2 * q;
        let key = if piece.methods.is_empty() {
            "none".to_string()
        } else {
            piece.methods.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join("+")
        };
        *by_methods.entry(key).or_default() += piece.area_m2;
    }
    let (qa_seen, qa_defects) = match qa {
        Some(r) => {
            if !((0.0..=1.0).contains(&r.inspected_share) && (0.0..=1.0).contains(&r.detection)) {
                return Err(ResidualError::Qa {
                    share: r.inspected_share,
                    p: r.detection,
                });
            }
            (r.inspected_share * r.detection, r.defects)
        }
        None => (0.0, 0),
    };
    let e_qa = qa_seen * e_missed;
    let e_rem = (1.0 - qa_seen) * e_missed;
    let (expected, p_any, posterior) = match prior.shape {
        None => {
            let mu = m * e_rem;
            (mu, -(-mu).exp_m1(), m)
        }
        // A zero mean with an uncertain density is Gamma(k, ∞): λ = 0 surely, whatever is found.
        Some(_) if m == 0.0 => (0.0, 0.0, 0.0),
        Some(k) => {
            let alpha = k + (finds + qa_defects) as f64;
            let beta = k / m + e_found + e_qa;
            // 1 − (β/(β+E))^α, written to keep precision when E ≪ β.
            let p_any = -(-alpha * (e_rem / beta).ln_1p()).exp_m1();
            (alpha * e_rem / beta, p_any, alpha / beta)
        }
    };
    Ok(Residual {
        expected_remaining: expected,
        p_any_remaining: p_any,
        posterior_density_per_m2: posterior,
        prior_expected_items: m * area,
        area_m2: area,
        miss_probability: if area > 0.0 { e_missed / area } else { 0.0 },
        finds,
        prior: prior.clone(),
        qa: qa.cloned(),
        area_by_methods_m2: by_methods,
    })
}

/// The detection table: defaults overridden by `overrides` (method → p), names lower-cased.
pub fn detection_table(overrides: &[(String, f64)]) -> Result<BTreeMap<String, f64>, ResidualError> {
    let mut t: BTreeMap<String, f64> = DEFAULT_DETECTION.iter().map(|(k, p)| (k.to_string(), *p)).collect();
    for (k, p) in overrides {
        check_p(k, *p)?;
        t.insert(k.to_lowercase(), *p);
    }
    Ok(t)
}

/// Density from a risk model's P(any item) for a hazard of `area_m2`: under the Poisson model
/// P(any) = 1 − e^{−λA}, so λ = −ln(1 − P)/A.
pub fn density_from_p_any(p_any: f64, area_m2: f64) -> Option<f64> {
    (p_any.is_finite() && (0.0..1.0).contains(&p_any) && area_m2 > 0.0).then(|| -(-p_any).ln_1p() / area_m2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(m: f64, k: Option<f64>) -> Prior {
        Prior {
            density_per_m2: m,
            shape: k,
            source: "test".into(),
        }
    }

    #[test]
    fn methods_compose_as_product_of_misses() {
        let p = Piece {
            area_m2: 1000.0,
            methods: vec![("mechanical".into(), 0.8), ("manual".into(), 0.9)],
        };
        let r = residual_risk(&prior(0.01, None), &[p], 0, None).unwrap();
        assert!((r.expected_remaining - 10.0 * 0.2 * 0.1).abs() < 1e-12);
        assert!((r.miss_probability - 0.02).abs() < 1e-12);
    }

    #[test]
    fn finds_raise_the_estimate_only_when_density_is_uncertain() {
        let p = || {
            vec![Piece {
                area_m2: 1000.0,
                methods: vec![("manual".into(), 0.9)],
            }]
        };
        let known0 = residual_risk(&prior(0.001, None), &p(), 0, None).unwrap();
        let known9 = residual_risk(&prior(0.001, None), &p(), 9, None).unwrap();
        assert_eq!(known0.expected_remaining, known9.expected_remaining);
        let unc0 = residual_risk(&prior(0.001, Some(1.0)), &p(), 0, None).unwrap();
        let unc9 = residual_risk(&prior(0.001, Some(1.0)), &p(), 9, None).unwrap();
        assert!(unc9.expected_remaining > 3.0 * unc0.expected_remaining);
        // A clean QA sample lowers it; QA defects raise it.
        let clean = QaResult {
            inspected_share: 0.2,
            defects: 0,
            detection: 0.99,
        };
        let dirty = QaResult {
            defects: 2,
            ..clean.clone()
        };
        let c = residual_risk(&prior(0.001, Some(1.0)), &p(), 9, Some(&clean)).unwrap();
        let d = residual_risk(&prior(0.001, Some(1.0)), &p(), 9, Some(&dirty)).unwrap();
        assert!(c.expected_remaining < unc9.expected_remaining && d.expected_remaining > c.expected_remaining);
    }

    #[test]
    fn density_from_risk_inverts_p_any() {
        let l = density_from_p_any(0.3, 5000.0).unwrap();
        assert!((1.0 - (-l * 5000.0).exp() - 0.3).abs() < 1e-12);
        assert!(density_from_p_any(1.0, 5000.0).is_none());
    }

    #[test]
    fn bad_input_is_refused() {
        let bad = Piece {
            area_m2: 1.0,
            methods: vec![("x".into(), 1.5)],
        };
        assert!(residual_risk(&prior(0.1, None), &[bad], 0, None).is_err());
        assert!(residual_risk(&prior(-1.0, None), &[], 0, None).is_err());
        assert!(residual_risk(&prior(0.1, Some(0.0)), &[], 0, None).is_err());
    }
}
