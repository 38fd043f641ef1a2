//! The contamination prior, learned from the registry: the risk map's probabilities turned into
//! P(hazard contaminated), P(unit contaminated | hazard) and items per contaminated unit, fitted
//! by maximum likelihood on the finds of past work (each method's detection thins the items).
//!
//! The risk map says how likely a *find* is in a cell, which is not how likely an item is, nor how
//! many there are: labels mix cleared land (items found), surveyed land (a share found) and
//! cancelled land (none found, whatever lies there). Here, with L = logit(p_cell) and f the share
//! of the cell inside the unit's hazard:
//!
//! - marginal P(unit contaminated) π = σ(a₀ + a₁L + a₂ ln f);
//! - P(hazard contaminated) ρ = 1 − Π(1 − π)^η, η = n^(−γ), n = Σ f the hazard's size in cells:
//!   γ = 0 makes the units independent (the saturating product), γ = 1 makes them one
//!   (ρ ≈ mean π); the data choose. A confirmed hazard (CHA) has ρ' = 1 − (1 − ρ)(1 − κ),
//!   with a κ of their own for those recorded without any direct evidence
//!   ([`fit_kappa_without_evidence`]);
//! - P(unit | hazard) φ = π/ρ (at most 1), the units independent given that at least one is
//!   contaminated (a contaminated hazard holds its items somewhere); items of a contaminated
//!   unit: mean μ = e^(m₀ + δ_c + m₁L) f^m₂, Gamma shape k;
//! - each item is reported by people (EOD call-outs) with probability r_c = σ(logit r + ε_c)
//!   wherever it lies, so finds outside worked land count too, and land without a report in
//!   years is evidence of absence;
//! - a unit whose finds or evidence locate its items holds them in its land around the evidence,
//!   together in one piece of it or, with probability `spread` (an option, 0 by default; not
//!   fitted: the likelihood of the finds always prefers 1), over all of it;
//! - δ_c and ε_c by the hazard's recorded contamination type c: a minefield holds many buried
//!   mines that people rarely report, a strike area a few shells lying on the surface; and by
//!   class: a confirmed hazard adds its own offsets to both (it is where the fighting was);
//! - the land within the evidence radius of the direct evidence that confirmed a hazard (an
//!   accident, the finds recorded with it) is a unit of its own in each cell it crosses, with
//!   offsets on logit π and ln μ, and the hazard's other units an offset on logit π: a cluster
//!   of items runs on past the cell that holds its evidence, and thins away from it. That
//!   evidence came before any work, so it is a covariate, not an outcome of the finds fitted;
//! - a hazard's units share how heavily it was contaminated: logit φ and ln μ of a unit move
//!   with ln(1 + finds in the hazard's other units), fitted as a pseudo-likelihood (each unit's
//!   finds given the others', as for autologistic models).
//!
//! The ten common numbers are fitted by Nelder–Mead on the log-likelihood of the finds in worked
//! land and of the reports ([`demine_field::residual::ln_likelihood`]) with a weak ridge towards
//! neutral values; then, each with the rest held, (δ_c, ε_c) type by type
//! ([`fit_contamination`]), the confirmed hazards' offsets ([`fit_confirmed`]) and the κ of
//! those without direct evidence ([`fit_kappa_without_evidence`]), the evidence
//! units' ([`fit_buffer`]) and the shared intensity ([`fit_intensity`]); then all again; then ρ
//! is recalibrated per class, on the hazards without direct evidence, on whether each has any
//! finds at all ([`recalibrate`]: the one negative binomial of the counts mis-states how often a
//! contaminated hazard yields no find, which is what a hazard without finds is judged by).
//! Accidents are not in the likelihood (their chance is not modelled) but mark their unit as
//! contaminated in every posterior; so do the finds that confirmed a hazard, dated up to the day
//! it was recorded (they are why it is in the registry, not a sample of how often people report).

use crate::evidence::HazardUnits;
use crate::evidence::{LandPiece, Unit};
use demine_core::HazardClass;
use demine_field::residual::{ln_likelihood, Treatment, UnitCase, UnitLand, UnitPrior};
use serde::Serialize;

/// Number of parameters.
pub const N_PARAMS: usize = 10;

/// Version of the model's formulation, kept with a stored model: one stored under another
/// formulation is fitted again. 2: a contaminated hazard has a contaminated unit; offsets by
/// contamination type; the finds that confirmed a hazard are evidence, not reports. 3: units
/// around that evidence; offsets of confirmed hazards; intensity shared by a hazard's units. 4:
/// ρ recalibrated per class on whether hazards have any finds ([`recalibrate`]). 5: κ of the
/// confirmed hazards without direct evidence fitted on them alone, and ρ recalibrated on the
/// hazards without direct evidence only.
pub const FORMULATION: u32 = 5;

/// The fitted parameters (see the module doc), on their natural scales.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PriorModel {
    pub a0: f64,
    pub a1: f64,
    pub a2: f64,
    /// Correlation exponent γ in [0, 1].
    pub gamma: f64,
    /// Extra contamination of confirmed hazards κ in [0, 1].
    pub kappa: f64,
    pub m0: f64,
    pub m1: f64,
    pub m2: f64,
    /// Gamma shape k of items per contaminated unit.
    pub shape: f64,
    /// Probability that an item is reported by people (EOD call-outs, evidence before the
    /// hazard was recorded) whether or not work reaches it: a detection over all land.
    pub report: f64,
    /// Offsets by the hazard's recorded contamination type (see [`fit_contamination`]).
    #[serde(default)]
    pub by_contamination: Vec<ContaminationOffsets>,
    /// ρ recalibrated on whether hazards have any finds at all, per class (suspected, then
    /// confirmed): `[α, β, θ]` for SHAs then CHAs (see [`recalibrate`]).
    pub recalibration: [f64; 6],
    /// Offsets on logit φ of a unit by where the hazard's other direct evidence lies: the
    /// nearest other unit with finds or an accident adjacent (grid distance ≤ 1), then farther
    /// (see [`fit_neighbours`]); zero when no other unit has any, and by default.
    #[serde(default)]
    pub neighbours: [f64; 2],
    /// P(a unit's items, located by its finds or evidence, are spread over all its land around
    /// them rather than together in one piece of it: [`UnitPrior::spread`]). 0 by default: on
    /// the region demo 0.15–0.2 moves the eighth decile's bias to the seventh (README).
    #[serde(default)]
    pub spread: f64,
    /// Offsets by where a unit lies against the direct evidence that confirmed its hazard
    /// ([`crate::Methods::evidence_buffer_units`]): on logit π and on ln μ of the units around
    /// it, then on logit π of the hazard's other units (see [`fit_buffer`]); zero in hazards
    /// without such evidence.
    #[serde(default)]
    pub buffer: [f64; 3],
    /// Offsets on logit φ and on ln μ per unit of ln(1 + finds in the hazard's other units): a
    /// hazard's units share how heavily it was contaminated (see [`fit_intensity`]).
    #[serde(default)]
    pub intensity: [f64; 2],
    /// Offsets of confirmed hazards on ln μ and on logit of the report probability, beside
    /// those of their contamination type (see [`fit_confirmed`]).
    #[serde(default)]
    pub confirmed: [f64; 2],
    /// κ of the confirmed hazards recorded without any direct evidence (no accident, no find
    /// that confirmed them), fitted on those hazards alone ([`fit_kappa_without_evidence`]);
    /// `None`: [`Self::kappa`].
    #[serde(default)]
    pub kappa_without_evidence: Option<f64>,
}

/// What a recorded contamination type changes: items per contaminated unit (a minefield holds
/// many buried mines, a strike area a few shells, most on the surface) and how often people
/// report an item (surface items far more often than buried ones).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ContaminationOffsets {
    pub contamination: String,
    /// Added to ln μ.
    pub ln_items: f64,
    /// Added to logit of the report probability.
    pub logit_report: f64,
    /// Hazards of the type the fit used.
    pub hazards: usize,
}

impl Default for PriorModel {
    /// Neutral values: the risk map taken at its word, units independent, 10 items a unit.
    fn default() -> Self {
        PriorModel::from_vec(&START)
    }
}

const IDENTITY: [f64; 6] = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0];

const START: [f64; N_PARAMS] = [0.0, 1.0, 1.0, 0.0, 0.0, 2.3, 0.0, 1.0, -0.7, -2.0];
/// Ridge weight towards `START`, per parameter (a weak prior: data dominate).
const RIDGE: f64 = 0.05;

/// p moved by `c` on the logit scale (p itself when `c` is 0).
fn shift_logit(p: f64, c: f64) -> f64 {
    if c == 0.0 {
        p
    } else {
        sigmoid(logit_wide(p) + c)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

/// logit over (1e-9, 1 − 1e-9).
fn logit_wide(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

impl PriorModel {
    /// This model with the ten common numbers set from `v` (the fit's scales), the offsets kept.
    fn with_params(&self, v: &[f64; N_PARAMS]) -> PriorModel {
        PriorModel {
            by_contamination: self.by_contamination.clone(),
            recalibration: self.recalibration,
            neighbours: self.neighbours,
            spread: self.spread,
            buffer: self.buffer,
            intensity: self.intensity,
            confirmed: self.confirmed,
            kappa_without_evidence: self.kappa_without_evidence,
            ..PriorModel::from_vec(v)
        }
    }

    fn from_vec(v: &[f64; N_PARAMS]) -> PriorModel {
        PriorModel {
            a0: v[0],
            a1: v[1],
            a2: v[2],
            gamma: sigmoid(v[3]),
            kappa: sigmoid(v[4] - 3.0),
            m0: v[5],
            m1: v[6],
            m2: v[7],
            shape: v[8].exp().clamp(0.02, 50.0),
            report: sigmoid(v[9]),
            by_contamination: Vec::new(),
            recalibration: IDENTITY,
            neighbours: [0.0; 2],
            spread: 0.0,
            buffer: [0.0; 3],
            intensity: [0.0; 2],
            confirmed: [0.0; 2],
            kappa_without_evidence: None,
        }
    }

    /// The offsets of hazard `h`'s recorded contamination: (ln items, logit report).
    fn offsets_of(&self, h: &HazardUnits) -> (f64, f64) {
        let (ln_items, logit_report) = h
            .contamination
            .as_deref()
            .and_then(|c| self.by_contamination.iter().find(|o| o.contamination == c))
            .map_or((0.0, 0.0), |o| (o.ln_items, o.logit_report));
        if h.class == HazardClass::Cha {
            (ln_items + self.confirmed[0], logit_report + self.confirmed[1])
        } else {
            (ln_items, logit_report)
        }
    }

    /// Probability that an item of hazard `h` is reported by people.
    pub fn report_of(&self, h: &HazardUnits) -> f64 {
        let (_, logit_report) = self.offsets_of(h);
        if logit_report == 0.0 {
            return self.report;
        }
        sigmoid(logit_wide(self.report) + logit_report)
    }

    /// The recalibration of a class: (α, β, θ).
    fn recalibration_of(&self, class: HazardClass) -> (f64, f64, f64) {
        let k = if class == HazardClass::Cha { 3 } else { 0 };
        (
            self.recalibration[k],
            self.recalibration[k + 1],
            self.recalibration[k + 2],
        )
    }

    /// ρ and the units' priors for a hazard.
    pub fn priors(&self, h: &HazardUnits) -> (f64, Vec<UnitPrior>) {
        let mut ln_clean = 0.0;
        let mut size = 0.0;
        let mut max_pi: f64 = 0.0;
        let mut pis = Vec::with_capacity(h.units.len());
        let (ln_items, _) = self.offsets_of(h);
        let has_buffer = h.units.iter().any(|u| u.evidence_buffer);
        let hazard_finds = h.finds();
        for u in &h.units {
            let others = f64::from(hazard_finds - u.finds).ln_1p();
            let [intensity_phi, intensity_mu] = self.intensity.map(|c| c * others);
            let f = u.cell_share.clamp(1e-4, 1.0);
            size += f;
            let l = logit(u.risk);
            let (buffer_pi, buffer_mu) = match (u.evidence_buffer, has_buffer) {
                (true, _) => (self.buffer[0], self.buffer[1]),
                (false, true) => (self.buffer[2], 0.0),
                (false, false) => (0.0, 0.0),
            };
            let pi = sigmoid(self.a0 + buffer_pi + self.a1 * l + self.a2 * f.ln()).clamp(1e-9, 1.0 - 1e-9);
            ln_clean += (1.0 - pi).ln();
            max_pi = max_pi.max(pi);
            let mu = (self.m0 + ln_items + buffer_mu + intensity_mu + self.m1 * l).exp() * f.powf(self.m2);
            pis.push((pi, mu.clamp(1e-6, 1e6), intensity_phi));
        }
        let eta = size.max(1.0).powf(-self.gamma);
        let rho_risk = (1.0 - (eta * ln_clean).exp()).max(max_pi).clamp(1e-9, 1.0);
        // A confirmed hazard is more likely contaminated than its risk says; given that it is,
        // its units are as likely contaminated as any contaminated hazard's: φ = π/ρ of the risk.
        let rho = if h.class == HazardClass::Cha {
            1.0 - (1.0 - rho_risk) * (1.0 - self.kappa_of(h))
        } else {
            rho_risk
        };
        let priors: Vec<UnitPrior> = pis
            .into_iter()
            .zip(&h.units)
            .map(|((pi, mu, intensity_phi), u)| UnitPrior {
                // The other units' finds move φ, not ρ: they are outcomes, not the hazard's prior.
                phi: shift_logit(self.neighbour_phi((pi / rho_risk).min(1.0), u), intensity_phi),
                mu,
                shape: self.shape,
                spread: self.spread,
            })
            .collect();
        // The units of a contaminated hazard keep ρ as fitted; the hazard-level probability is
        // the recalibrated one: logit ρ' = α + β·logit ρ + (θ − 1)·ln e, e = P(no find so far |
        // contaminated), so that a hazard without finds has the posterior odds of ρ'' = σ(α +
        // β·logit ρ) with its evidence e^θ (see [`recalibrate`]). With finds, ρ' does not matter.
        let (a, b, theta) = self.recalibration_of(h.class);
        if a == 0.0 && b == 1.0 && theta == 1.0 {
            return (rho, priors);
        }
        let ln_e = self.ln_no_find(h, &priors);
        let rho_h = sigmoid(a + b * logit_wide(rho) + (theta - 1.0) * ln_e).clamp(1e-9, 1.0);
        (rho_h, priors)
    }

    /// κ of confirmed hazard `h`: the evidence that confirmed a hazard makes it contaminated in
    /// every posterior, so the κ fitted over all confirmed hazards (near 1) only holds for those
    /// with such evidence.
    fn kappa_of(&self, h: &HazardUnits) -> f64 {
        match self.kappa_without_evidence {
            Some(k) if !h.has_evidence_before_work() => k,
            _ => self.kappa,
        }
    }

    /// φ of unit `u` moved by where the hazard's other direct evidence lies ([`Self::neighbours`]).
    fn neighbour_phi(&self, phi: f64, u: &Unit) -> f64 {
        match u.evidence_distance {
            None => phi,
            Some(0..=1) => shift_logit(phi, self.neighbours[0]),
            Some(_) => shift_logit(phi, self.neighbours[1]),
        }
    }

    /// ln P(no find so far | the hazard is contaminated), for units with `priors`.
    fn ln_no_find(&self, h: &HazardUnits, priors: &[UnitPrior]) -> f64 {
        let cases: Vec<UnitCase> = self
            .cases_with(h, priors, &|_, _| Treatment::Miss(0.0))
            .into_iter()
            .map(|mut c| {
                c.finds = 0;
                c.evidence = false;
                c
            })
            .collect();
        ln_likelihood(1.0, &cases).min(0.0)
    }
}

impl PriorModel {
    /// Log-likelihood of the finds and reports of `hazards` under the model (what every fit
    /// maximises).
    pub fn ln_likelihood_of(&self, hazards: &[&HazardUnits]) -> f64 {
        hazards
            .iter()
            .map(|h| {
                let (rho, cases) = self.cases(h, &|_, _| Treatment::Miss(0.0));
                ln_likelihood(rho, &cases)
            })
            .sum()
    }

    /// The hazard's units as the residual model takes them, each piece of land with the
    /// treatment `treat(unit, piece)` gives its items not found.
    pub fn cases(&self, h: &HazardUnits, treat: &dyn Fn(&Unit, &LandPiece) -> Treatment) -> (f64, Vec<UnitCase>) {
        let (rho, priors) = self.priors(h);
        (rho, self.cases_with(h, &priors, treat))
    }

    fn cases_with(
        &self,
        h: &HazardUnits,
        priors: &[UnitPrior],
        treat: &dyn Fn(&Unit, &LandPiece) -> Treatment,
    ) -> Vec<UnitCase> {
        let report = self.report_of(h);
        h.units
            .iter()
            .zip(priors)
            .map(|(u, prior)| UnitCase {
                prior: *prior,
                land: u
                    .land
                    .iter()
                    .map(|p| UnitLand {
                        share: p.share,
                        found_share: 1.0 - (1.0 - report) * (1.0 - p.work_detection),
                        treatment: treat(u, p),
                        holds_evidence: p.near_evidence,
                    })
                    .collect(),
                finds: u64::from(u.finds),
                evidence: u.evidence,
            })
            .collect()
    }
}

/// The fit and how it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub model: PriorModel,
    /// Log-likelihood of the registry's finds at the fit.
    pub log_likelihood: f64,
    /// Hazards the fit used.
    pub hazards_used: usize,
    pub evaluations: usize,
}

fn objective(v: &[f64; N_PARAMS], offsets: &PriorModel, data: &[&HazardUnits]) -> f64 {
    let ll = offsets.with_params(v).ln_likelihood_of(data);
    let ridge: f64 = v.iter().zip(START.iter()).map(|(a, b)| (a - b).powi(2)).sum::<f64>() * RIDGE;
    -ll + ridge
}

/// Fits the prior on the hazards' units (deterministic: Nelder–Mead from fixed starts), then
/// recalibrates ρ per class on whether each hazard has any finds at all ([`recalibrate`]).
pub fn fit(hazards: &[HazardUnits]) -> Fit {
    fit_with(hazards, true)
}

/// What [`fit_options`] fits beyond the ten parameters of the prior.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FitOptions {
    /// Recalibrate ρ on the presence of finds ([`recalibrate`]).
    pub recalibrate: bool,
    /// Let φ depend on where the hazard's other evidence lies ([`fit_neighbours`]).
    pub neighbours: bool,
    /// [`PriorModel::spread`] to fit with (held, not fitted).
    pub spread: f64,
}

/// The prior, then, with `recalibrate`, ρ recalibrated on the presence of finds
/// ([`recalibrate`]). [`fit`] recalibrates (formulation 4): on 25 region demos the suspected
/// hazards without finds no longer read 3–5 points too contaminated in the middle deciles, and
/// the expected items left come within +4 % of the truth on average instead of +8 % (README,
/// "Release strategies").
pub fn fit_with(hazards: &[HazardUnits], recalibrate_rho: bool) -> Fit {
    fit_options(
        hazards,
        FitOptions {
            recalibrate: recalibrate_rho,
            ..FitOptions::default()
        },
    )
}

/// [`fit`], then the options: φ by the nearness of other evidence, then ρ recalibrated.
pub fn fit_options(hazards: &[HazardUnits], options: FitOptions) -> Fit {
    // Every hazard informs the fit: people report items wherever they lie, so even land no
    // work reached says something (no report in years is evidence of absence).
    let data: Vec<&HazardUnits> = hazards.iter().filter(|h| !h.units.is_empty()).collect();
    if data.is_empty() {
        return Fit {
            model: PriorModel::default(),
            log_likelihood: 0.0,
            hazards_used: 0,
            evaluations: 0,
        };
    }
    // The offsets beside the ten common numbers, each fitted with the rest held.
    let mut m = PriorModel {
        spread: options.spread.clamp(0.0, 1.0),
        ..PriorModel::default()
    };
    let mut evaluations = 0;
    let mut best = START;
    // Restarts from the best point shrink the simplex around it: Nelder–Mead alone stalls. The
    // offsets are fitted with the rest held, then the rest again.
    for steps in [&[1.0, 0.5, 0.25][..], &[0.25]] {
        let f = |v: &[f64; N_PARAMS]| objective(v, &m, &data);
        let mut best_f = f(&best);
        for &step in steps {
            let (x, fx, n) = nelder_mead(&f, best, step, 1500);
            evaluations += n;
            if fx < best_f {
                best = x;
                best_f = fx;
            }
        }
        m = m.with_params(&best);
        m.by_contamination = fit_contamination(&m, &data);
        m.confirmed = fit_confirmed(&m, &data);
        m.kappa_without_evidence = fit_kappa_without_evidence(&m, &data);
        m.buffer = fit_buffer(&m, &data);
        m.intensity = fit_intensity(&m, &data);
    }
    if options.neighbours {
        m.neighbours = fit_neighbours(&m, &data);
    }
    if options.recalibrate {
        m.recalibration = recalibrate(&m, &data);
    }
    let ll = m.ln_likelihood_of(&data);
    Fit {
        model: m,
        log_likelihood: ll,
        hazards_used: data.len(),
        evaluations,
    }
}

/// Hazards of a contamination type, and of them with finds, below which the type keeps the
/// common parameters.
const MIN_TYPE_HAZARDS: usize = 30;
const MIN_TYPE_HAZARDS_WITH_FINDS: usize = 10;

/// Whether a group of hazards is large enough for offsets of its own: at least
/// [`MIN_TYPE_HAZARDS`], of them [`MIN_TYPE_HAZARDS_WITH_FINDS`] with finds.
fn enough_for_offsets(hazards: &[&HazardUnits]) -> bool {
    hazards.len() >= MIN_TYPE_HAZARDS && hazards.iter().filter(|h| h.finds() > 0).count() >= MIN_TYPE_HAZARDS_WITH_FINDS
}

/// Fits [`ContaminationOffsets`] per recorded contamination type with the rest of `m` held: the
/// offsets on ln μ and logit r that maximise the likelihood of the finds and reports of that
/// type's hazards (each hazard has one type, so the types are fitted one by one). Types with
/// too few hazards keep the common values. A weak ridge keeps the offsets near 0.
pub fn fit_contamination(m: &PriorModel, data: &[&HazardUnits]) -> Vec<ContaminationOffsets> {
    let mut types: Vec<&str> = data.iter().filter_map(|h| h.contamination.as_deref()).collect();
    types.sort_unstable();
    types.dedup();
    let mut out = Vec::new();
    for t in types {
        let of_type: Vec<&HazardUnits> = data
            .iter()
            .copied()
            .filter(|h| h.contamination.as_deref() == Some(t))
            .collect();
        if !enough_for_offsets(&of_type) {
            continue;
        }
        let set = |mm: &mut PriorModel, [ln_items, logit_report]: [f64; 2]| {
            mm.by_contamination = vec![ContaminationOffsets {
                contamination: t.to_string(),
                ln_items,
                logit_report,
                hazards: 0,
            }]
        };
        let [ln_items, logit_report] = fit_offsets(m, &of_type, 1, set, [0.0; 2], 0.5, 5.0);
        out.push(ContaminationOffsets {
            contamination: t.to_string(),
            ln_items,
            logit_report,
            hazards: of_type.len(),
        });
    }
    out
}

/// Recalibrates ρ on the presence of finds. The likelihood of the counts of finds fits items
/// per unit with one negative binomial; where counts are clustered (a minefield, a strike area)
/// that compromise mis-states how often a contaminated hazard yields no find at all, and so
/// the posterior of hazards without finds. Given each hazard's ρ and e = P(no find so far |
/// contaminated) under the fitted units, per class (α, β, θ) maximise the likelihood of
/// whether each hazard has any finds, P(finds) = σ(α + β·logit ρ)·(1 − e^θ): Platt scaling of
/// ρ, and θ the weight of the evidence "no find" (θ > 1: a contaminated hazard rarely goes
/// without a find). A weak ridge keeps them near the identity (0, 1, 1). Only hazards without
/// direct evidence inform it: every posterior takes the others as contaminated, whatever ρ.
fn recalibrate(m: &PriorModel, data: &[&HazardUnits]) -> [f64; 6] {
    let mut out = IDENTITY;
    for (k, class) in [(0, HazardClass::Sha), (3, HazardClass::Cha)] {
        let obs: Vec<(f64, f64, bool)> = data
            .iter()
            .filter(|h| h.class == class && !h.has_evidence_before_work())
            .map(|h| {
                let (rho, priors) = m.priors(h);
                (logit_wide(rho), m.ln_no_find(h, &priors), h.finds() > 0)
            })
            .collect();
        if obs.iter().filter(|o| o.2).count() < 10 || obs.iter().filter(|o| !o.2).count() < 10 {
            continue;
        }
        let ll = |x: [f64; 3]| -> f64 {
            let [a, b, theta] = x;
            obs.iter()
                .map(|&(l, ln_e, y)| {
                    let p = (sigmoid(a + b * l) * -(theta * ln_e).exp_m1()).clamp(1e-12, 1.0 - 1e-12);
                    if y {
                        p.ln()
                    } else {
                        (1.0 - p).ln()
                    }
                })
                .sum::<f64>()
                - RIDGE * (a * a + (b - 1.0).powi(2) + (theta - 1.0).powi(2))
        };
        let x = coordinate_ascent(
            ll,
            [0.0, 1.0, 1.0],
            [1.0, 0.25, 0.25],
            [(f64::NEG_INFINITY, f64::INFINITY), (0.05, 5.0), (0.1, 10.0)],
        );
        out[k..k + 3].copy_from_slice(&x);
    }
    out
}

/// Fits `N` offsets of `m` by coordinate ascent with the rest of `m` held: those that `set`
/// writes into a copy, maximising the likelihood of the finds and reports of the `used`
/// hazards with a weak ridge towards 0, from the current values `x0`. Fewer than `min_used`
/// hazards keep 0.
fn fit_offsets<const N: usize>(
    m: &PriorModel,
    used: &[&HazardUnits],
    min_used: usize,
    set: impl Fn(&mut PriorModel, [f64; N]),
    x0: [f64; N],
    step: f64,
    bound: f64,
) -> [f64; N] {
    if used.len() < min_used.max(1) {
        return [0.0; N];
    }
    let ll = |x: [f64; N]| -> f64 {
        let mut mm = m.clone();
        set(&mut mm, x);
        mm.ln_likelihood_of(used) - RIDGE * x.iter().map(|v| v * v).sum::<f64>()
    };
    coordinate_ascent(ll, x0, [step; N], [(-bound, bound); N])
}

/// Fits [`PriorModel::confirmed`] with the rest of `m` held, on the confirmed hazards (too few,
/// by [`enough_for_offsets`], keep 0).
/// Confirmed hazards are where the fighting was, so they hold more items than a suspected hazard
/// of the same contamination type, and report them differently.
pub fn fit_confirmed(m: &PriorModel, data: &[&HazardUnits]) -> [f64; 2] {
    let used: Vec<&HazardUnits> = data.iter().copied().filter(|h| h.class == HazardClass::Cha).collect();
    if !enough_for_offsets(&used) {
        return [0.0; 2];
    }
    fit_offsets(m, &used, 1, |mm, x| mm.confirmed = x, m.confirmed, 0.5, 5.0)
}

/// Confirmed hazards without direct evidence below which they keep the common κ.
const MIN_CONFIRMED_WITHOUT_EVIDENCE: usize = 10;

/// Fits [`PriorModel::kappa_without_evidence`] with the rest of `m` held, on the confirmed
/// hazards recorded without any direct evidence (at least 10; fewer keep the common κ).
/// The common κ is pushed to 1 by the hazards their evidence confirms, which every posterior
/// takes as contaminated anyway; a confirmed hazard without such evidence (a second report of
/// land already recorded, evidence not entered) is judged by its own finds and reports.
pub fn fit_kappa_without_evidence(m: &PriorModel, data: &[&HazardUnits]) -> Option<f64> {
    let used: Vec<&HazardUnits> = data
        .iter()
        .copied()
        .filter(|h| h.class == HazardClass::Cha && !h.has_evidence_before_work())
        .collect();
    if used.len() < MIN_CONFIRMED_WITHOUT_EVIDENCE {
        return None;
    }
    let start = logit(m.kappa_without_evidence.unwrap_or(m.kappa));
    let [x] = fit_offsets(
        m,
        &used,
        1,
        |mm, [x]| mm.kappa_without_evidence = Some(sigmoid(x)),
        [start],
        1.0,
        9.0,
    );
    Some(sigmoid(x))
}

/// Fits [`PriorModel::buffer`] with the rest of `m` held: the offsets on logit π and ln μ of the
/// units around the direct evidence that confirmed a hazard, and on logit π of its other units,
/// on the hazards with such units (at least 10). That evidence was there before any work, so
/// whether land lies around it is a covariate, not an outcome of the finds being fitted.
pub fn fit_buffer(m: &PriorModel, data: &[&HazardUnits]) -> [f64; 3] {
    let used: Vec<&HazardUnits> = data
        .iter()
        .copied()
        .filter(|h| h.units.iter().any(|u| u.evidence_buffer))
        .collect();
    fit_offsets(m, &used, 10, |mm, x| mm.buffer = x, m.buffer, 1.0, 8.0)
}

/// Fits [`PriorModel::intensity`] with the rest of `m` held, on the hazards with finds and at
/// least two units (at least 10): a pseudo-likelihood, each unit's finds given its hazard's
/// others', as for autologistic models.
pub fn fit_intensity(m: &PriorModel, data: &[&HazardUnits]) -> [f64; 2] {
    let used: Vec<&HazardUnits> = data
        .iter()
        .copied()
        .filter(|h| h.finds() > 0 && h.units.len() > 1)
        .collect();
    fit_offsets(m, &used, 10, |mm, x| mm.intensity = x, m.intensity, 0.5, 4.0)
}

/// Fits [`PriorModel::neighbours`] with the rest of `m` held: the offsets on logit φ that
/// maximise the likelihood of the finds, each unit's φ conditioned on whether the hazard's other
/// direct evidence lies next to it or farther (a pseudo-likelihood, as for autologistic models:
/// contamination comes in clusters that straddle cells, so a unit next to finds is more likely
/// to hold items than one across the hazard). Only hazards with direct evidence in some unit and
/// at least two units are affected (at least 10 of them).
pub fn fit_neighbours(m: &PriorModel, data: &[&HazardUnits]) -> [f64; 2] {
    let used: Vec<&HazardUnits> = data
        .iter()
        .copied()
        .filter(|h| h.units.iter().any(|u| u.evidence_distance.is_some()))
        .collect();
    fit_offsets(m, &used, 10, |mm, x| mm.neighbours = x, [0.0; 2], 1.0, 8.0)
}

/// Maximises `f` by coordinate search from `x0`: each coordinate tried at ± its step (clamped to
/// its bounds), every step halved when no move improves, until the first step is below 1e-3 or
/// after 200 rounds. Few parameters and a smooth, cheap-to-bound objective: no gradient needed.
fn coordinate_ascent<const N: usize>(
    f: impl Fn([f64; N]) -> f64,
    x0: [f64; N],
    mut step: [f64; N],
    bounds: [(f64, f64); N],
) -> [f64; N] {
    let mut x = x0;
    let mut best = f(x);
    for _ in 0..200 {
        let mut moved = false;
        for d in 0..N {
            for sign in [1.0, -1.0] {
                let mut y = x;
                y[d] = (y[d] + sign * step[d]).clamp(bounds[d].0, bounds[d].1);
                let v = f(y);
                if v > best {
                    best = v;
                    x = y;
                    moved = true;
                }
            }
        }
        if !moved {
            step.iter_mut().for_each(|s| *s *= 0.5);
            if step[0] < 1e-3 {
                break;
            }
        }
    }
    x
}

/// Minimises `f` from `x0` with a simplex of edge `step`; returns (x, f(x), evaluations).
fn nelder_mead(
    f: &dyn Fn(&[f64; N_PARAMS]) -> f64,
    x0: [f64; N_PARAMS],
    step: f64,
    max_evals: usize,
) -> ([f64; N_PARAMS], f64, usize) {
    let n = N_PARAMS;
    let mut simplex: Vec<([f64; N_PARAMS], f64)> = Vec::with_capacity(n + 1);
    simplex.push((x0, f(&x0)));
    for i in 0..n {
        let mut x = x0;
        x[i] += step;
        simplex.push((x, f(&x)));
    }
    let mut evals = n + 1;
    while evals < max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let spread = simplex[n].1 - simplex[0].1;
        if spread.abs() < 1e-7 * (1.0 + simplex[0].1.abs()) {
            break;
        }
        let mut c = [0.0; N_PARAMS];
        for (x, _) in &simplex[..n] {
            for j in 0..n {
                c[j] += x[j] / n as f64;
            }
        }
        let worst = simplex[n].0;
        let at = |t: f64| {
            let mut x = [0.0; N_PARAMS];
            for j in 0..n {
                x[j] = c[j] + t * (worst[j] - c[j]);
            }
            x
        };
        let xr = at(-1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < simplex[0].1 {
            let xe = at(-2.0);
            let fe = f(&xe);
            evals += 1;
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let (xc, fc) = if fr < simplex[n].1 {
                let x = at(-0.5);
                (x, f(&x))
            } else {
                let x = at(0.5);
                (x, f(&x))
            };
            evals += 1;
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (xc, fc);
            } else {
                let best = simplex[0].0;
                for s in simplex.iter_mut().skip(1) {
                    for (x, b) in s.0.iter_mut().zip(best.iter()) {
                        *x = b + 0.5 * (*x - b);
                    }
                    s.1 = f(&s.0);
                }
                evals += n;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    (simplex[0].0, simplex[0].1, evals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{set_evidence_distances, LandPiece};
    use h3o::{CellIndex, LatLng, Resolution};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn unit(cell: CellIndex, contaminated: bool) -> Unit {
        Unit {
            cell,
            risk: 0.5,
            area_m2: 1e5,
            cell_share: 1.0,
            land: vec![LandPiece {
                share: 1.0,
                work_detection: 0.99,
                released: true,
                near_evidence: false,
            }],
            found_share: 0.99,
            missed_share: 0.01,
            remaining_share: 0.0,
            released_by_outcome: [0.0, 0.0, 1.0],
            finds: if contaminated { 20 } else { 0 },
            reported_finds: 0,
            evidence: false,
            evidence_distance: None,
            evidence_buffer: false,
        }
    }

    /// Pairs of units of confirmed hazards, cleared (a contaminated unit always yields finds):
    /// a unit is contaminated with probability 0.3 when the other is not; when the other is,
    /// with 0.7 if they are adjacent and 0.1 if they are two cells apart. The fitted offsets on
    /// logit φ recover logit 0.7 − logit 0.3 and logit 0.1 − logit 0.3.
    #[test]
    fn coordinate_ascent_finds_the_maximum_within_its_bounds() {
        let f = |[x, y]: [f64; 2]| -(x - 2.0).powi(2) - (y + 1.0).powi(2);
        let free = coordinate_ascent(f, [0.0, 0.0], [1.0, 1.0], [(-10.0, 10.0); 2]);
        assert!((free[0] - 2.0).abs() < 1e-3 && (free[1] + 1.0).abs() < 1e-3, "{free:?}");
        let bounded = coordinate_ascent(f, [0.0, 0.5], [1.0, 1.0], [(-10.0, 10.0), (0.0, 5.0)]);
        assert!((bounded[0] - 2.0).abs() < 1e-3 && bounded[1] == 0.0, "{bounded:?}");
    }

    /// Confirmed one-unit hazards of two contamination types, half cleared (detection 0.99) and
    /// half not worked: type "rows" holds Poisson(20) items that people report with probability
    /// 0.1, type "shells" Poisson(3) reported with 0.4. From a common prior of 8 items reported
    /// with 0.2, the offsets recover ln(20/8), ln(3/8), logit 0.1 − logit 0.2, logit 0.4 − logit 0.2.
    #[test]
    fn contamination_offsets_recover_items_and_reporting_by_type() {
        use rand_distr::{Distribution, Poisson};
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut hazards = Vec::new();
        for k in 0..4000 {
            let (kind, mean, report) = if k % 2 == 0 {
                ("rows", 20.0, 0.1)
            } else {
                ("shells", 3.0, 0.4)
            };
            let items = Poisson::new(mean).unwrap().sample(&mut rng) as u32;
            let in_cleared = rng.gen::<f64>() < 0.5;
            let found_share = if in_cleared {
                1.0 - (1.0 - report) * 0.01
            } else {
                report
            };
            let finds = (0..items).filter(|_| rng.gen::<f64>() < found_share).count() as u32;
            let piece = |work_detection| LandPiece {
                share: 0.5,
                work_detection,
                released: work_detection > 0.0,
                near_evidence: false,
            };
            let mut u = unit(c, false);
            u.land = vec![piece(0.99), piece(0.0)];
            u.finds = finds;
            hazards.push(HazardUnits {
                index: k,
                id: format!("H{k}"),
                class: HazardClass::Cha,
                area_m2: 1e5,
                remaining_m2: 5e4,
                contamination: Some(kind.into()),
                units: vec![u],
            });
        }
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let mut m = PriorModel::from_vec(&[0.0, 0.0, 0.0, 0.0, 0.0, 8f64.ln(), 0.0, 0.0, 50f64.ln(), logit(0.2)]);
        m.kappa = 1.0;
        let data: Vec<&HazardUnits> = hazards.iter().collect();
        let offsets = fit_contamination(&m, &data);
        let of = |t: &str| offsets.iter().find(|o| o.contamination == t).unwrap();
        for (t, items, report) in [("rows", 20.0f64, 0.1), ("shells", 3.0, 0.4)] {
            let o = of(t);
            assert_eq!(o.hazards, 2000);
            assert!((o.ln_items - (items / 8.0).ln()).abs() < 0.1, "{o:?}");
            assert!((o.logit_report - (logit(report) - logit(0.2))).abs() < 0.15, "{o:?}");
        }
        // A type the fit never saw keeps the common values.
        let other = HazardUnits {
            contamination: Some("IED".into()),
            ..hazards[0].clone()
        };
        m.by_contamination = offsets;
        assert_eq!(m.report_of(&other), m.report);
        assert!((m.report_of(&hazards[0]) - 0.1).abs() < 0.02);
    }

    /// The prior of the offset tests: π = the risk, units independent, confirmed hazards
    /// contaminated, many items a contaminated unit (cleared land always yields finds), nothing
    /// reported by people.
    fn sure_finds_model() -> PriorModel {
        let mut m = PriorModel::from_vec(&[0.0, 1.0, 0.0, -30.0, 0.0, 20f64.ln(), 0.0, 0.0, 50f64.ln(), -30.0]);
        m.kappa = 1.0;
        m
    }

    fn confirmed_hazard(k: usize, units: Vec<Unit>) -> HazardUnits {
        HazardUnits {
            index: k,
            id: format!("H{k}"),
            class: HazardClass::Cha,
            area_m2: 1e5 * units.len() as f64,
            remaining_m2: 0.0,
            contamination: None,
            units,
        }
    }

    /// Confirmed hazards of three cleared units: the land around the evidence that confirmed
    /// the hazard in its own cell (always contaminated), the land around it in the next cell
    /// (contaminated with probability 0.7) and land away from it (0.1), all at risk 0.3. The
    /// fitted offsets on logit π recover logit 0.7 − logit 0.3 and logit 0.1 − logit 0.3.
    #[test]
    fn buffer_offsets_recover_contamination_around_the_evidence() {
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let hazards: Vec<HazardUnits> = (0..6000)
            .map(|k| {
                let evidence = Unit {
                    risk: 1.0 - 1e-6,
                    evidence: true,
                    evidence_buffer: true,
                    ..unit(c, true)
                };
                let around = Unit {
                    risk: 0.3,
                    evidence_buffer: true,
                    ..unit(c, rng.gen::<f64>() < 0.7)
                };
                let away = Unit {
                    risk: 0.3,
                    ..unit(c, rng.gen::<f64>() < 0.1)
                };
                confirmed_hazard(k, vec![evidence, around, away])
            })
            .collect();
        let data: Vec<&HazardUnits> = hazards.iter().collect();
        let [around, _, away] = fit_buffer(&sure_finds_model(), &data);
        let logit = |p: f64| (p / (1.0 - p)).ln();
        assert!((around - (logit(0.7) - logit(0.3))).abs() < 0.1, "around {around:.3}");
        assert!((away - (logit(0.1) - logit(0.3))).abs() < 0.1, "away {away:.3}");
        // Hazards without such evidence keep their priors.
        let mut m = sure_finds_model();
        let plain = confirmed_hazard(0, vec![unit(c, false), unit(c, true)]);
        let before = m.priors(&plain);
        m.buffer = [around, 0.5, away];
        assert_eq!(m.priors(&plain), before);
    }

    /// Confirmed hazards recorded without direct evidence, one cleared unit at risk 0.3 each,
    /// contaminated with probability 0.58 = 1 − 0.7·(1 − 0.4): their own κ comes out near 0.4,
    /// while the hazards their evidence confirmed keep the common κ.
    #[test]
    fn confirmed_hazards_without_evidence_get_their_own_kappa() {
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let risky = |contaminated| Unit {
            risk: 0.3,
            ..unit(c, contaminated)
        };
        let hazards: Vec<HazardUnits> = (0..4000)
            .map(|k| confirmed_hazard(k, vec![risky(rng.gen::<f64>() < 0.58)]))
            .collect();
        let data: Vec<&HazardUnits> = hazards.iter().collect();
        let m = sure_finds_model();
        let kappa = fit_kappa_without_evidence(&m, &data).expect("4,000 hazards are enough");
        assert!((kappa - 0.4).abs() < 0.04, "κ without evidence {kappa:.3}");
        assert_eq!(
            fit_kappa_without_evidence(&m, &data[..MIN_CONFIRMED_WITHOUT_EVIDENCE - 1]),
            None
        );

        let mut fitted = m.clone();
        fitted.kappa_without_evidence = Some(kappa);
        let plain = confirmed_hazard(0, vec![risky(false)]);
        assert!((fitted.priors(&plain).0 - 0.58).abs() < 0.03);
        let evidenced = confirmed_hazard(
            1,
            vec![
                Unit {
                    evidence: true,
                    ..risky(true)
                },
                risky(false),
            ],
        );
        assert_eq!(fitted.priors(&evidenced), m.priors(&evidenced));
        // Hazards with evidence do not count towards it.
        let with_evidence: Vec<HazardUnits> = (0..50)
            .map(|k| {
                confirmed_hazard(
                    k,
                    vec![Unit {
                        evidence: true,
                        ..risky(true)
                    }],
                )
            })
            .collect();
        let with_evidence: Vec<&HazardUnits> = with_evidence.iter().collect();
        assert_eq!(fit_kappa_without_evidence(&m, &with_evidence), None);
    }

    /// The recalibration learns from the hazards without direct evidence only: confirmed hazards
    /// that all hold evidence leave it at the identity whatever their finds, while the same
    /// hazards without evidence move it.
    #[test]
    fn recalibration_leaves_out_hazards_with_direct_evidence() {
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let hazards = |evidence: bool| -> Vec<HazardUnits> {
            (0..40)
                .map(|k| {
                    let u = Unit {
                        risk: 0.3,
                        evidence,
                        ..unit(c, k % 4 == 0)
                    };
                    confirmed_hazard(k, vec![u])
                })
                .collect()
        };
        let m = sure_finds_model();
        let with_evidence = hazards(true);
        let fitted = recalibrate(&m, &with_evidence.iter().collect::<Vec<_>>());
        assert_eq!(fitted, IDENTITY);
        let without = hazards(false);
        let fitted = recalibrate(&m, &without.iter().collect::<Vec<_>>());
        assert_ne!(fitted[3..], IDENTITY[3..], "a quarter with finds where ρ says all");
    }

    /// Confirmed hazards of three cleared units at risk 0.3: when their units are contaminated
    /// independently the fitted intensity offset on logit φ is near 0; when a hazard is heavily
    /// contaminated (each unit with probability 0.9) or lightly (0.1), half and half, a unit's
    /// chance rises with the finds in the others, and so does the offset.
    #[test]
    fn intensity_offsets_follow_contamination_shared_by_a_hazards_units() {
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let m = sure_finds_model();
        // The model's own φ for three units at π = 0.3: π / (1 − 0.7³).
        let phi = 0.3 / (1.0 - 0.7f64.powi(3));
        let simulate = |seed: u64, shared: bool| -> Vec<HazardUnits> {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut out = Vec::new();
            while out.len() < 4000 {
                let p = if !shared {
                    phi
                } else if rng.gen::<bool>() {
                    0.9
                } else {
                    0.1
                };
                let hit: Vec<bool> = (0..3).map(|_| rng.gen::<f64>() < p).collect();
                // A contaminated hazard has a contaminated unit.
                if !hit.iter().any(|&h| h) {
                    continue;
                }
                let units = hit
                    .into_iter()
                    .map(|h| Unit {
                        risk: 0.3,
                        ..unit(c, h)
                    })
                    .collect();
                out.push(confirmed_hazard(out.len(), units));
            }
            out
        };
        let fitted = |hazards: &[HazardUnits]| fit_intensity(&m, &hazards.iter().collect::<Vec<_>>());
        let [independent, _] = fitted(&simulate(3, false));
        // Not exactly 0: the likelihood is the hazard's joint one with each unit's φ given the
        // others' finds, not a product of conditionals; on three-unit hazards it leans a little
        // negative (−0.17 here), well short of what shared contamination gives.
        assert!(independent.abs() < 0.25, "independent units: {independent:.3}");
        let [shared, _] = fitted(&simulate(4, true));
        assert!(
            shared - independent > 0.4,
            "units sharing their hazard's contamination: {shared:.3}, independent {independent:.3}"
        );
    }

    #[test]
    fn neighbour_offsets_recover_the_simulated_conditionals() {
        let c = LatLng::new(48.5, 35.0).unwrap().to_cell(Resolution::Nine);
        let disk: Vec<CellIndex> = c.grid_disk(2);
        let at = |d: i32| *disk.iter().find(|x| c.grid_distance(**x).ok() == Some(d)).unwrap();
        let (near, far) = (at(1), at(2));
        let logit = |p: f64| (p / (1.0 - p)).ln();
        // Confirmed hazards of two units: A, where the risk map is sure (φ ≈ 1), always holds
        // items; B, at φ = 0.3 by the risk map, is contaminated with probability 0.7 when it
        // lies next to A and 0.1 when it lies two cells away.
        let with_risk = |cell, contaminated, risk| Unit {
            risk,
            ..unit(cell, contaminated)
        };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut hazards = Vec::new();
        for (k, (other, given)) in [(near, 0.7), (far, 0.1)].iter().cycle().take(20_000).enumerate() {
            let b = rng.gen::<f64>() < *given;
            let mut units = vec![with_risk(c, true, 1.0 - 1e-6), with_risk(*other, b, 0.3)];
            set_evidence_distances(&mut units);
            hazards.push(HazardUnits {
                index: k,
                id: format!("H{k}"),
                class: HazardClass::Cha,
                area_m2: 2e5,
                remaining_m2: 0.0,
                contamination: None,
                units,
            });
        }
        // The prior: π = the risk, confirmed hazards contaminated, many items a contaminated
        // unit, nothing reported by people.
        let mut m = PriorModel::from_vec(&[0.0, 1.0, 0.0, 0.0, 0.0, 1000f64.ln(), 0.0, 0.0, 50f64.ln(), -30.0]);
        m.kappa = 1.0;
        let data: Vec<&HazardUnits> = hazards.iter().collect();
        let [adjacent, farther] = fit_neighbours(&m, &data);
        let want = [logit(0.7) - logit(0.3), logit(0.1) - logit(0.3)];
        assert!(
            (adjacent - want[0]).abs() < 0.1,
            "adjacent {adjacent:.3}, want {:.3}",
            want[0]
        );
        assert!(
            (farther - want[1]).abs() < 0.1,
            "farther {farther:.3}, want {:.3}",
            want[1]
        );
        // Without other evidence in the hazard, φ is the prior's.
        m.neighbours = [adjacent, farther];
        let lone = HazardUnits {
            units: vec![with_risk(c, false, 0.3), with_risk(near, false, 0.3)],
            ..hazards[0].clone()
        };
        let plain = PriorModel {
            neighbours: [0.0; 2],
            ..m.clone()
        };
        assert_eq!(m.priors(&lone), plain.priors(&lone));
    }
}
