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

// ------------------------------------------------------------------ contamination in clusters

/// What a unit of land (a hazard's land inside one risk-map cell) is known to hold, before the
/// evidence: the *contaminated-hazard* model of [`hazard_residual`].
///
/// Contamination comes in clusters (a minefield, a strike area), so most suspected land holds
/// nothing and the land that does holds several items. A hazard is contaminated with
/// probability ρ; a unit of a contaminated hazard with probability φ; a contaminated unit holds
/// Poisson(λ) items with λ ~ Gamma(shape k, mean μ), in its land as [`UnitCase`] says. A contaminated
/// hazard has at least one contaminated unit, and its units are independent given that; so the
/// hazard's P(any item) is at most ρ however many units it has (the product over cells of the
/// risk map saturates at 1 for large hazards; this does not).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitPrior {
    /// P(the unit is contaminated | its hazard is).
    pub phi: f64,
    /// Mean items of a contaminated unit.
    pub mu: f64,
    /// Gamma shape k of λ (small: counts vary a lot from one contaminated unit to another).
    pub shape: f64,
    /// P(the items of a unit whose finds or evidence locate them are spread over all its land
    /// around the evidence, as a cluster that straddles the edge of the land worked), rather
    /// than together in one piece of it. 0: always together.
    pub spread: f64,
}

/// One piece of a unit's land: its share of the unit's area, the probability that an item lying
/// there has been found (by the methods that worked it, by people reporting it), and what becomes
/// of the items there that were not found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitLand {
    pub share: f64,
    pub found_share: f64,
    pub treatment: Treatment,
    /// Whether the land lies around the unit's finds or accidents: when the unit has any, its
    /// items lie there (they were found or hit there), not in its other pieces.
    pub holds_evidence: bool,
}

/// A unit of land: its prior, its pieces, and what was seen there (finds; direct evidence of
/// contamination whose chance is not modelled, e.g. an accident).
///
/// A contaminated unit's items lie together — a minefield, a strike area — in one of its pieces,
/// chosen with probability equal to the piece's share: a unit half cancelled holds its items in
/// the cancelled half or in the other, not a few in each. When finds or evidence locate them,
/// they lie in the pieces around it ([`UnitLand::holds_evidence`]): together in one of them, or,
/// with probability [`UnitPrior::spread`], spread over all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCase {
    pub prior: UnitPrior,
    pub land: Vec<UnitLand>,
    pub finds: u64,
    pub evidence: bool,
}

/// What becomes of the items of a piece of land that were not found: the land a residual figure
/// is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Treatment {
    /// Each item not found stays with this probability: 1 for land released with no further
    /// look (or already released), 1 − p for land cleared with detection p, 0 for land not
    /// asked about.
    Miss(f64),
    /// Technical survey: it finds each item with probability `detect`; if it finds anything the
    /// land is cleared, and each item still there stays with probability `clear_miss`; if it
    /// finds nothing the land is reduced and what it missed stays.
    SurveyThenClear { detect: f64, clear_miss: f64 },
}

/// The posterior of one unit, inside [`HazardResidual`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitResidual {
    /// P(the unit is contaminated | the hazard's evidence).
    pub p_contaminated: f64,
    /// Expected items left after the treatments.
    pub expected_remaining: f64,
    /// Expected items in the unit not found yet (wherever they lie), before the treatments.
    pub expected_unfound: f64,
    /// P(a survey treatment finds something and the land is cleared).
    pub p_escalated: f64,
}

/// A hazard's residual risk under the contaminated-hazard model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardResidual {
    /// P(the hazard is contaminated | evidence).
    pub p_contaminated: f64,
    /// P(at least one item remains after the treatments).
    pub p_any_remaining: f64,
    /// Expected items remaining after the treatments.
    pub expected_remaining: f64,
    pub units: Vec<UnitResidual>,
}

/// Laplace transform of Gamma(α, rate β): E[e^{−sλ}] = (β/(β+s))^α.
fn gamma_mgf(alpha: f64, beta: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return 1.0;
    }
    (-alpha * (s / beta).ln_1p()).exp()
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos (g = 7, n = 9): ~1e-15 relative for x > 0.
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// ln P(F = finds | the items lie in a piece with found share d): negative binomial,
/// Gamma(k, k/μ) thinned by d.
fn ln_nb(prior: &UnitPrior, d: f64, finds: u64) -> f64 {
    let k = prior.shape;
    let beta = k / prior.mu.max(1e-300);
    let d = d.max(0.0);
    let f = finds as f64;
    if d <= 0.0 {
        return if finds == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    let mut l = -k * (d / beta).ln_1p();
    if finds > 0 {
        l += ln_gamma(k + f) - ln_gamma(k) - ln_gamma(f + 1.0) + f * (d / (beta + d)).ln();
    }
    l
}

/// Per piece: P(F | Z, piece) · share, P(none remains | F, piece), E[remaining | F, piece],
/// E[unfound | F, piece], P(escalated | F, piece).
fn piece_terms(u: &UnitCase) -> Vec<(f64, f64, f64, f64, f64)> {
    let located = (u.finds > 0 || u.evidence) && u.land.iter().any(|l| l.holds_evidence && l.share > 0.0);
    // Items located by evidence lie around it: together in one piece there, or spread over all.
    let spread = if located { u.prior.spread.clamp(0.0, 1.0) } else { 0.0 };
    let k = u.prior.shape;
    let beta0 = k / u.prior.mu.max(1e-300);
    let alpha = k + u.finds as f64;
    u.land
        .iter()
        .map(|l| {
            let d = l.found_share.clamp(0.0, 1.0);
            let possible = !located || l.holds_evidence;
            let w = if possible {
                (1.0 - spread) * l.share.max(0.0) * ln_nb(&u.prior, d, u.finds).exp()
            } else {
                0.0
            };
            let beta = beta0 + d;
            let unfound = 1.0 - d;
            let (p0, e, esc) = match l.treatment {
                Treatment::Miss(m) => {
                    let r = unfound * m.clamp(0.0, 1.0);
                    (gamma_mgf(alpha, beta, r), alpha * r / beta, 0.0)
                }
                Treatment::SurveyThenClear { detect, clear_miss } => {
                    let t = unfound * detect;
                    let v = unfound * (1.0 - detect);
                    let q = clear_miss;
                    let p0 = gamma_mgf(alpha, beta, t + v) + gamma_mgf(alpha, beta, v * q)
                        - gamma_mgf(alpha, beta, t + v * q);
                    let e =
                        v * (1.0 - q) * (alpha / beta) * (beta / (beta + t)).powf(alpha + 1.0) + v * q * alpha / beta;
                    (p0.clamp(0.0, 1.0), e, 1.0 - gamma_mgf(alpha, beta, t))
                }
            };
            (w, p0, e, alpha / beta * unfound, esc)
        })
        .chain((spread > 0.0).then(|| {
            let mut t = located_terms(u);
            t.0 *= spread;
            t
        }))
        .collect()
}

/// Survey pieces expanded exactly in [`located_terms`]; more are pooled into one.
const MAX_SPREAD_SURVEYS: usize = 6;

/// [`piece_terms`] of a unit whose finds or evidence locate its items: they lie around the
/// evidence, spread over every piece there in proportion to its share (a cluster straddles the
/// edge of the land that was worked), so they are one alternative with the evidence land's mean
/// found share. Given λ the pieces' items are independent Poisson; a survey piece escalates on
/// its own finds, so P(none remains) = E[Π_j g_j(λ)] expands into sums of e^{−λs}, each taken
/// through the Gamma's Laplace transform.
fn located_terms(u: &UnitCase) -> (f64, f64, f64, f64, f64) {
    let near: Vec<&UnitLand> = u.land.iter().filter(|l| l.holds_evidence && l.share > 0.0).collect();
    let total_share: f64 = near.iter().map(|l| l.share).sum();
    let mean_found = near
        .iter()
        .map(|l| l.share * l.found_share.clamp(0.0, 1.0))
        .sum::<f64>()
        / total_share;
    let w = total_share * ln_nb(&u.prior, mean_found, u.finds).exp();
    let alpha = u.prior.shape + u.finds as f64;
    let beta = u.prior.shape / u.prior.mu.max(1e-300) + mean_found;
    // P(none remains | λ) = Σ c·e^{−λs}: (c, s) terms.
    let mut terms: Vec<(f64, f64)> = vec![(1.0, 0.0)];
    let (mut expected, mut unfound, mut surveyed) = (0.0, 0.0, 0.0);
    let mut pooled = (0.0, 0.0, 0.0); // pooled survey pieces: (t, v, v·q)
    let mut surveys = 0;
    for l in &near {
        // Of λ, the expected items of this piece not found so far.
        let a = l.share / total_share * (1.0 - l.found_share.clamp(0.0, 1.0));
        unfound += alpha / beta * a;
        match l.treatment {
            Treatment::Miss(m) => {
                let r = a * m.clamp(0.0, 1.0);
                terms.iter_mut().for_each(|t| t.1 += r);
                expected += alpha * r / beta;
            }
            Treatment::SurveyThenClear { detect, clear_miss } => {
                let (t, v, q) = (a * detect, a * (1.0 - detect), clear_miss);
                expected +=
                    v * (1.0 - q) * (alpha / beta) * (beta / (beta + t)).powf(alpha + 1.0) + v * q * alpha / beta;
                surveyed += t;
                surveys += 1;
                if surveys > MAX_SPREAD_SURVEYS {
                    pooled = (pooled.0 + t, pooled.1 + v, pooled.2 + v * q);
                } else {
                    terms = expand_survey(&terms, t, v, v * q);
                }
            }
        }
    }
    if pooled.0 > 0.0 || pooled.1 > 0.0 {
        terms = expand_survey(&terms, pooled.0, pooled.1, pooled.2);
    }
    let p0: f64 = terms.iter().map(|&(c, s)| c * gamma_mgf(alpha, beta, s)).sum();
    (
        w,
        p0.clamp(0.0, 1.0),
        expected,
        unfound,
        1.0 - gamma_mgf(alpha, beta, surveyed),
    )
}

/// Multiplies Σ c·e^{−λs} by a survey piece's P(none remains | λ) = e^{−λ(t+v)} + e^{−λvq} −
/// e^{−λ(t+vq)}.
fn expand_survey(terms: &[(f64, f64)], t: f64, v: f64, vq: f64) -> Vec<(f64, f64)> {
    terms
        .iter()
        .flat_map(|&(c, s)| [(c, s + t + v), (c, s + vq), (-c, s + t + vq)])
        .collect()
}

/// ln P(what was seen in the hazard) under the model, for fitting ρ, φ, μ and k. Direct
/// evidence is left out (its chance is not modelled); finds are in.
pub fn ln_likelihood(rho: f64, units: &[UnitCase]) -> f64 {
    let mut all_clean = true;
    let (mut ln_s, mut ln_c0) = (0.0f64, 0.0f64);
    for u in units {
        let nb: f64 = piece_terms(u).iter().map(|t| t.0).sum();
        let term = if u.finds == 0 {
            (1.0 - u.prior.phi) + u.prior.phi * nb
        } else {
            all_clean = false;
            u.prior.phi * nb
        };
        ln_s += term.max(1e-300).ln();
        ln_c0 += ln_clean_unit(&u.prior);
    }
    let ln_contaminated = rho.max(1e-300).ln() + ln_given_some_unit(ln_s, ln_c0, all_clean);
    if all_clean {
        ((1.0 - rho).max(0.0) + ln_contaminated.exp()).max(1e-300).ln()
    } else {
        ln_contaminated
    }
}

/// ln(1 − φ): the unit is clean although its hazard is contaminated.
fn ln_clean_unit(prior: &UnitPrior) -> f64 {
    (1.0 - prior.phi).max(1e-300).ln()
}

/// ln(1 − c₀): some unit of a contaminated hazard is, before the units' own priors are
/// conditioned on it.
fn ln_some_unit_contaminated(ln_c0: f64) -> f64 {
    (-ln_c0.exp_m1()).max(1e-300).ln()
}

/// ln[(Π S − c₀·[every unit may be clean]) / (1 − c₀)], from ln Π S and ln c₀, c₀ = Π(1 − φ):
/// what was seen given that the hazard is contaminated, which means that at least one of its
/// units is. The units are independent given that, so the configuration with every unit clean
/// is taken out and the rest renormalised; a one-unit hazard's unit is then always contaminated.
fn ln_given_some_unit(ln_s: f64, ln_c0: f64, may_all_be_clean: bool) -> f64 {
    let ln_norm = ln_some_unit_contaminated(ln_c0);
    let ln_seen = if may_all_be_clean {
        ln_s + (-(ln_c0 - ln_s).min(0.0).exp_m1()).max(1e-300).ln()
    } else {
        ln_s
    };
    ln_seen - ln_norm
}

/// The residual risk of a hazard under the contaminated-hazard model: its prior ρ and its units
/// (see [`UnitPrior`], [`UnitCase`]), each piece of land with its treatment.
///
/// Given its hazard and its own contamination, and that its items lie in piece j, a unit's λ is
/// Gamma(k + F, k/μ + d_j) after F finds; what remains of the items not found (a share 1 − d_j)
/// under the piece's treatment follows from the Gamma's Laplace transform M(s) = (β/(β + s))^α:
/// `Miss(m)`, r = (1 − d)m: P(none) = M(r), E = α r/β; `SurveyThenClear` (the survey finds
/// Poisson(λt), t = (1 − d)p, and misses Poisson(λv), v = (1 − d)(1 − p)): P(none) = M(t + v) +
/// M(vq) − M(t + vq) and E = v(1 − q)(α/β)(β/(β + t))^{α+1} + vq α/β, q = clear_miss. Pieces are
/// weighted by share × P(F | piece); units mix clean (1 − φ, only with no finds and no
/// evidence) and contaminated (φ); the hazard mixes clean (1 − ρ, only if every unit can be
/// clean) and contaminated.
///
/// ```
/// use demine_field::residual::*;
/// let prior = UnitPrior { phi: 0.5, mu: 10.0, shape: 1.0, spread: 0.0 };
/// let land = |share, m| UnitLand { share, found_share: 0.0, treatment: Treatment::Miss(m), holds_evidence: false };
/// let unit = UnitCase { prior, land: vec![land(0.5, 1.0), land(0.5, 0.0)], finds: 0, evidence: false };
/// // Nothing seen; a contaminated hazard's only unit is contaminated, and its items lie in the
/// // cancelled half with probability ½: P(any) = ρ ½ (1 − M(1)), M(1) = 1/(1 + 10).
/// let r = hazard_residual(0.4, &[unit.clone()]);
/// assert!((r.p_any_remaining - 0.4 * 0.5 * (1.0 - 1.0 / 11.0)).abs() < 1e-12);
/// assert!((r.expected_remaining - 0.4 * 0.5 * 10.0).abs() < 1e-12);
/// // With a second unit like it, the hazard is contaminated when either unit is: each is with
/// // probability φ / (1 − (1 − φ)²) = 2/3 given that.
/// let r = hazard_residual(0.4, &[unit.clone(), unit]);
/// assert!((r.units[0].p_contaminated - 0.4 * 2.0 / 3.0).abs() < 1e-12);
/// ```
pub fn hazard_residual(rho: f64, units: &[UnitCase]) -> HazardResidual {
    let n = units.len();
    let mut all_clean = true;
    let (mut ln_s, mut ln_s0, mut ln_c0) = (0.0f64, 0.0f64, 0.0f64);
    // (S, contaminated term, E|Z, unfound|Z, escalated|Z)
    let mut per: Vec<(f64, f64, f64, f64, f64)> = Vec::with_capacity(n);
    for u in units {
        let terms = piece_terms(u);
        let nb: f64 = terms.iter().map(|t| t.0).sum();
        let clean = u.finds == 0 && !u.evidence;
        if !clean {
            all_clean = false;
        }
        let zero = if clean { 1.0 - u.prior.phi } else { 0.0 };
        let contaminated = u.prior.phi * nb;
        let big_s = zero + contaminated;
        let big_s0 = zero + u.prior.phi * terms.iter().map(|t| t.0 * t.1).sum::<f64>();
        ln_s += big_s.max(1e-300).ln();
        ln_s0 += big_s0.max(1e-300).ln();
        ln_c0 += ln_clean_unit(&u.prior);
        let cond = |f: fn(&(f64, f64, f64, f64, f64)) -> f64| {
            if nb > 0.0 {
                terms.iter().map(|t| t.0 * f(t)).sum::<f64>() / nb
            } else {
                0.0
            }
        };
        per.push((big_s, contaminated, cond(|t| t.2), cond(|t| t.3), cond(|t| t.4)));
    }
    let clean_w = if all_clean { (1.0 - rho).max(0.0) } else { 0.0 };
    let ln_given_contaminated = ln_given_some_unit(ln_s, ln_c0, all_clean);
    let cont_w = rho * ln_given_contaminated.exp();
    let total = clean_w + cont_w;
    if total.is_nan() || total <= 0.0 {
        let zero = UnitResidual {
            p_contaminated: 0.0,
            expected_remaining: 0.0,
            expected_unfound: 0.0,
            p_escalated: 0.0,
        };
        return HazardResidual {
            p_contaminated: if all_clean { 0.0 } else { 1.0 },
            p_any_remaining: 0.0,
            expected_remaining: 0.0,
            units: vec![zero; n],
        };
    }
    let p_h = cont_w / total;
    let p_none = (clean_w + rho * ln_given_some_unit(ln_s0, ln_c0, all_clean).exp()) / total;
    // P(unit u contaminated | evidence) = ρ·φ_u·N_u·Π_{v≠u} S_v / ((1 − c₀)·total): the
    // configuration with every unit clean, taken out of p_h, never had u contaminated.
    let units_w = rho * (ln_s - ln_some_unit_contaminated(ln_c0)).exp() / total;
    let units: Vec<UnitResidual> = per
        .iter()
        .map(|&(big_s, contaminated, e, unfound, esc)| {
            let pz = (units_w * if big_s > 0.0 { contaminated / big_s } else { 0.0 }).min(p_h);
            UnitResidual {
                p_contaminated: pz,
                expected_remaining: pz * e,
                expected_unfound: pz * unfound,
                p_escalated: pz * esc,
            }
        })
        .collect();
    HazardResidual {
        p_contaminated: p_h,
        p_any_remaining: (1.0 - p_none).clamp(0.0, 1.0),
        expected_remaining: units.iter().map(|u| u.expected_remaining).sum(),
        units,
    }
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
