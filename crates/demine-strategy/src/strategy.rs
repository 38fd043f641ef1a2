//! Strategies: per hazard, and within a hazard per unit (its land in one risk-map cell), what
//! is cancelled by non-technical survey, surveyed by technical survey (then reduced, or cleared
//! where the survey finds something) and cleared — and the residual risk that leaves.
//!
//! - `clear-all`: every square metre still suspected is cleared;
//! - `survey-led`: today's chain — NTS cancels a share of every hazard and TS reduces a share of
//!   what is left, the same shares everywhere (learned from the registry: [`learned_shares`]),
//!   whatever the evidence;
//! - `evidence-led`: land within the evidence radius of a find or an accident (the confirmed
//!   area and its buffer) is cleared — never cancelled (IMAS 07.11: NTS cancels only land without
//!   evidence). The rest of each unit goes by its evidence: the expected items not yet found in
//!   it, per hectare, from the fitted contamination model and the unit's finds, reports and
//!   accidents ([`crate::model`]). Below `cancel_below` NTS cancels it; at or above `clear_above`
//!   it is cleared; between, TS samples it, and the area around what the survey finds (the
//!   evidence radius) is cleared, the rest reduced. The thresholds are given, or derived from a
//!   horizon: the riskiest land first to clearance and survey, as much as the teams can do in it
//!   ([`decide_for_horizon`]).

use crate::evidence::{HazardUnits, LandPiece, Unit};
use crate::methods::Methods;
use crate::model::PriorModel;
use crate::residual::residual_of;
use demine_core::release::RegistryRelease;
use demine_core::{Activity, ActivityType, Hazard, HazardClass};
use demine_field::residual::Treatment;
use demine_plan::{Stage, TaskRates};
use rayon::prelude::*;
use serde::Serialize;

/// The strategies compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    ClearAll,
    SurveyLed,
    EvidenceLed,
}

impl StrategyKind {
    pub const ALL: [StrategyKind; 3] = [
        StrategyKind::ClearAll,
        StrategyKind::SurveyLed,
        StrategyKind::EvidenceLed,
    ];
    pub const ALLOWED: &'static [&'static str] = &["clear-all", "survey-led", "evidence-led"];

    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::ClearAll => "clear-all",
            StrategyKind::SurveyLed => "survey-led",
            StrategyKind::EvidenceLed => "evidence-led",
        }
    }
}

impl std::str::FromStr for StrategyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "clear-all" => Ok(StrategyKind::ClearAll),
            "survey-led" => Ok(StrategyKind::SurveyLed),
            "evidence-led" => Ok(StrategyKind::EvidenceLed),
            _ => Err(format!(
                "unknown strategy '{s}'; use one of {}",
                StrategyKind::ALLOWED.join(", ")
            )),
        }
    }
}

impl std::fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Evidence-led thresholds, in expected items not yet found per hectare of land still to release.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Below this NTS cancels the unit's land.
    pub cancel_below: f64,
    /// At or above this the unit's land is cleared; between the two TS samples it.
    pub clear_above: f64,
}

impl Default for Thresholds {
    /// One item expected in 50 ha may be cancelled; one in 2 ha is cleared outright.
    fn default() -> Self {
        Thresholds {
            cancel_below: 0.02,
            clear_above: 0.5,
        }
    }
}

impl Thresholds {
    /// The one-parameter family the frontier walks: cancel below `s`, clear from `ratio`·s.
    pub fn scaled(s: f64, ratio: f64) -> Thresholds {
        Thresholds {
            cancel_below: s,
            clear_above: s * ratio.max(1.0),
        }
    }
}

/// The survey-led chain's shares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChainShares {
    /// Share of a hazard NTS cancels.
    pub nts_cancel_share: f64,
    /// Share of what NTS leaves that TS reduces.
    pub ts_reduce_share: f64,
}

/// What is done to a unit's land still to release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Cancel,
    Survey,
    Clear,
    /// The survey-led chain: shares of the land cancelled, reduced and cleared.
    Chain,
}

/// Why a unit gets its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// clear-all clears everything.
    ClearAll,
    /// The survey-led chain treats all land alike.
    FixedShares,
    /// Within the evidence radius of a find or an accident: the confirmed area and its buffer.
    DirectEvidence,
    /// Expected items per hectare at or above the clearance threshold.
    HighRisk,
    /// Between the thresholds: a survey decides.
    Uncertain,
    /// Below the cancellation threshold.
    EvidenceOfAbsence,
}

/// Which land of a unit a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// Within the evidence radius of a find or an accident of the hazard.
    Evidence,
    /// The rest of the unit.
    Rest,
}

/// One unit's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitDecision {
    /// H3 cell of the risk map.
    pub cell: String,
    pub zone: Zone,
    /// Land still to release in the unit, m².
    pub area_m2: f64,
    pub action: Action,
    pub reason: Reason,
    /// Expected items not yet found per hectare of the unit's land still to release.
    pub items_per_ha: f64,
}

/// One hazard under a strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardDecision {
    /// Index of the hazard in the registry's list.
    #[serde(skip)]
    pub index: usize,
    pub id: String,
    pub class: HazardClass,
    pub remaining_m2: f64,
    /// Land NTS cancels, TS surveys, and clearance clears directly; m².
    pub cancel_m2: f64,
    pub survey_m2: f64,
    pub clear_m2: f64,
    /// Expected surveyed land cleared because the survey found something, m².
    pub escalated_m2: f64,
    /// Of `clear_m2`, the land around finds and accidents (cleared without waiting for surveys).
    pub evidence_clear_m2: f64,
    /// Expected released land by outcome: cancelled, reduced, cleared (sums to remaining_m2).
    pub released_by_outcome_m2: [f64; 3],
    /// The first stage of the hazard's plan task, and its shares.
    pub first_stage: Stage,
    pub rates: TaskRates,
    /// Expected items left in the land this strategy releases.
    pub expected_residual_items: f64,
    /// P(at least one item left there).
    pub p_any_residual: f64,
    /// What is done and why, in words.
    pub summary: String,
    pub units: Vec<UnitDecision>,
}

/// A strategy decided for every hazard with land still to release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyPlan {
    pub kind: StrategyKind,
    pub thresholds: Option<Thresholds>,
    pub shares: Option<ChainShares>,
    pub hazards: Vec<HazardDecision>,
    /// Expected released land by outcome over all hazards, m².
    pub released_by_outcome_m2: [f64; 3],
    pub expected_residual_items: f64,
}

/// Shares the survey-led chain uses, learned from the registry as `demine plan` learns them: land
/// cancelled over the area of hazards that had NTS, land reduced over what NTS left of hazards
/// that had TS (each at most 0.95); 0.5 where no hazard had the activity.
pub fn learned_shares(hazards: &[Hazard], activities: &[Activity], release: &RegistryRelease) -> ChainShares {
    use std::collections::HashSet;
    let had = |t: ActivityType| -> HashSet<&str> {
        activities
            .iter()
            .filter(|a| a.activity_type == t)
            .map(|a| a.hazard_id.as_str())
            .collect()
    };
    let (nts, ts) = (had(ActivityType::Nts), had(ActivityType::Ts));
    let (mut nts_area, mut cancelled, mut ts_area, mut reduced) = (0.0, 0.0, 0.0, 0.0);
    for (h, r) in hazards.iter().zip(&release.per_hazard) {
        if nts.contains(h.id.as_str()) {
            nts_area += r.area_m2;
            cancelled += r.cancelled_m2;
        }
        if ts.contains(h.id.as_str()) {
            ts_area += r.area_m2 - r.cancelled_m2;
            reduced += r.reduced_m2;
        }
    }
    ChainShares {
        nts_cancel_share: if nts_area > 0.0 {
            (cancelled / nts_area).clamp(0.0, 0.95)
        } else {
            0.5
        },
        ts_reduce_share: if ts_area > 0.0 {
            (reduced / ts_area).clamp(0.0, 0.95)
        } else {
            0.5
        },
    }
}

/// The stage today's chain starts a hazard at: an SHA not yet surveyed starts with NTS; then
/// TS if none was done; else clearance (as `demine plan` does on a registry).
pub fn chain_first_stage(h: &Hazard, activities_of_hazard: &[&Activity]) -> Stage {
    let done = |t: ActivityType| activities_of_hazard.iter().any(|a| a.activity_type == t);
    if h.class == HazardClass::Sha && !done(ActivityType::Nts) {
        Stage::Nts
    } else if !done(ActivityType::Ts) {
        Stage::Ts
    } else {
        Stage::Clearance
    }
}

/// Everything a strategy decision needs.
pub struct Context<'a> {
    pub hazards: &'a [Hazard],
    pub activities: &'a [Activity],
    pub units: &'a [HazardUnits],
    pub model: &'a PriorModel,
    pub methods: Methods,
    pub shares: ChainShares,
}

/// Per unit and zone (evidence, rest): expected items not yet found in the zone's land still to
/// release, and that land's area (m², scaled to the accounting's remaining area).
fn zone_scores(h: &HazardUnits, model: &PriorModel) -> Vec<[(f64, f64); 2]> {
    let of = |zone_ev: bool| {
        residual_of(h, model, &|_, p| {
            Treatment::Miss(if !p.released && p.near_evidence == zone_ev {
                1.0
            } else {
                0.0
            })
        })
    };
    let (ev, rest) = (of(true), of(false));
    let total_sampled: f64 = h.units.iter().map(|u| u.area_m2 * u.remaining_share).sum();
    let scale = if total_sampled > 0.0 {
        h.remaining_m2 / total_sampled
    } else {
        0.0
    };
    h.units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let area = |zone_ev: bool| -> f64 {
                u.land
                    .iter()
                    .filter(|p| !p.released && p.near_evidence == zone_ev)
                    .map(|p| p.share)
                    .sum::<f64>()
                    * u.area_m2
                    * scale
            };
            [
                (ev.units[i].expected_remaining, area(true)),
                (rest.units[i].expected_remaining, area(false)),
            ]
        })
        .collect()
}

/// What becomes of unfound items in a piece of land still to release under an action.
fn treatment(action: Action, m: &Methods, shares: &ChainShares, first: Stage) -> Treatment {
    let q_clear = 1.0 - m.clearance_detection;
    let p_ts = m.ts_item_detection();
    match action {
        Action::Cancel => Treatment::Miss(1.0),
        Action::Clear => Treatment::Miss(q_clear),
        Action::Survey => Treatment::SurveyThenClear {
            detect: p_ts,
            clear_miss: q_clear,
        },
        Action::Chain => {
            // Items lie together, so the chain's shares are chances of where they lie; in
            // expectation a share c is cancelled, (1 − c)·r reduced after TS, the rest cleared.
            let c = if first == Stage::Nts {
                shares.nts_cancel_share
            } else {
                0.0
            };
            let r = if first == Stage::Clearance {
                0.0
            } else {
                shares.ts_reduce_share
            };
            let miss = c + (1.0 - c) * r * (1.0 - p_ts) + (1.0 - c) * (1.0 - r) * (1.0 - p_ts) * q_clear;
            Treatment::Miss(miss)
        }
    }
}

/// The evidence-led rule for the rest of a unit (outside the evidence radius).
fn rest_action(per_ha: f64, th: &Thresholds) -> (Action, Reason) {
    if per_ha >= th.clear_above {
        (Action::Clear, Reason::HighRisk)
    } else if per_ha >= th.cancel_below {
        (Action::Survey, Reason::Uncertain)
    } else {
        (Action::Cancel, Reason::EvidenceOfAbsence)
    }
}

/// Decides a strategy for every hazard with land still to release (at least 1 m²).
/// `thresholds` apply to `evidence-led` only.
pub fn decide(ctx: &Context<'_>, kind: StrategyKind, thresholds: Thresholds) -> StrategyPlan {
    let scores: Vec<Vec<[(f64, f64); 2]>> = ctx
        .units
        .par_iter()
        .map(|h| {
            if h.remaining_m2 >= 1.0 {
                zone_scores(h, ctx.model)
            } else {
                Vec::new()
            }
        })
        .collect();
    decide_scored(ctx, kind, thresholds, &scores)
}

/// Daily capacity of the teams, m² per working day: non-technical survey, technical survey,
/// clearance (manual, mechanical, dogs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Capacity {
    pub nts_m2_per_day: f64,
    pub ts_m2_per_day: f64,
    pub clearance_m2_per_day: f64,
}

impl Capacity {
    /// Sums the teams' productivity by kind.
    pub fn of(teams: &[demine_plan::Team]) -> Capacity {
        use demine_core::TeamKind;
        let sum = |f: &dyn Fn(TeamKind) -> bool| -> f64 {
            teams
                .iter()
                .filter(|t| f(t.kind))
                .map(|t| t.productivity_m2_per_day)
                .sum()
        };
        Capacity {
            nts_m2_per_day: sum(&|k| k == TeamKind::Nts),
            ts_m2_per_day: sum(&|k| k == TeamKind::Ts),
            clearance_m2_per_day: sum(&|k| demine_plan::model::CLEARANCE_KINDS.contains(&k)),
        }
    }
}

/// Evidence-led with the thresholds that fit a horizon: land within the evidence radius is
/// cleared first; the rest of every unit, riskiest first (expected items per hectare), is cleared
/// while the clearance teams can do it in `working_days` (counting the expected clearance of what
/// surveys find), then surveyed while the TS teams can; the rest is cancelled.
pub fn decide_for_horizon(ctx: &Context<'_>, capacity: &Capacity, working_days: f64) -> StrategyPlan {
    let scores: Vec<Vec<[(f64, f64); 2]>> = ctx
        .units
        .par_iter()
        .map(|h| {
            if h.remaining_m2 >= 1.0 {
                zone_scores(h, ctx.model)
            } else {
                Vec::new()
            }
        })
        .collect();
    let th = horizon_thresholds(ctx, &scores, capacity, working_days);
    decide_scored(ctx, StrategyKind::EvidenceLed, th, &scores)
}

/// Land that evidence-led clears whatever the thresholds (within the evidence radius of finds
/// and accidents), m².
pub fn forced_clearance_m2(ctx: &Context<'_>) -> f64 {
    let th = Thresholds {
        cancel_below: f64::INFINITY,
        clear_above: f64::INFINITY,
    };
    decide(ctx, StrategyKind::EvidenceLed, th)
        .hazards
        .iter()
        .map(|h| h.evidence_clear_m2)
        .sum()
}

/// The shortest horizon evidence-led can have, in working days: the time the clearance teams
/// need for the land around finds and accidents (which is never cancelled). At least 1.
pub fn fastest_horizon(ctx: &Context<'_>, capacity: &Capacity) -> f64 {
    if capacity.clearance_m2_per_day <= 0.0 {
        return 1.0;
    }
    (forced_clearance_m2(ctx) / capacity.clearance_m2_per_day).max(1.0)
}

/// Evidence-led at its fastest: the land around direct evidence cleared as soon as the teams
/// can, and in that time the survey teams sample the riskiest of the rest (see
/// [`decide_for_horizon`] at [`fastest_horizon`]).
pub fn decide_fastest(ctx: &Context<'_>, capacity: &Capacity) -> StrategyPlan {
    decide_for_horizon(ctx, capacity, fastest_horizon(ctx, capacity))
}

fn horizon_thresholds(
    ctx: &Context<'_>,
    scores: &[Vec<[(f64, f64); 2]>],
    capacity: &Capacity,
    working_days: f64,
) -> Thresholds {
    let forced: f64 = scores.iter().flatten().map(|z| z[0].1).sum();
    // (items per ha, area) of the rest zones, riskiest first.
    let mut rest: Vec<(f64, f64)> = scores
        .iter()
        .flatten()
        .filter(|z| z[1].1 > 0.0)
        .map(|z| (z[1].0 / (z[1].1 / 1e4), z[1].1))
        .collect();
    rest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let clear_budget = capacity.clearance_m2_per_day * working_days.max(0.0);
    let ts_budget = capacity.ts_m2_per_day * working_days.max(0.0);
    let patch = ctx.methods.evidence_area_m2();
    // Expected clearance per m² surveyed (what surveys find), refined once.
    let mut escalation = 0.1;
    let mut th = Thresholds {
        cancel_below: f64::INFINITY,
        clear_above: f64::INFINITY,
    };
    for _ in 0..3 {
        let (mut cleared, mut surveyed) = (forced, 0.0);
        let mut i = 0;
        while i < rest.len()
            && cleared + rest[i].1 <= clear_budget - escalation * ts_budget.min(rest[i..].iter().map(|r| r.1).sum())
        {
            cleared += rest[i].1;
            i += 1;
        }
        let clear_above = if i == 0 {
            f64::INFINITY
        } else if i == rest.len() {
            0.0
        } else {
            rest[i - 1].0
        };
        let mut j = i;
        while j < rest.len() && surveyed + rest[j].1 <= ts_budget {
            surveyed += rest[j].1;
            j += 1;
        }
        let cancel_below = if j == rest.len() {
            0.0
        } else if j == 0 {
            f64::INFINITY
        } else {
            rest[j - 1].0
        };
        th = Thresholds {
            cancel_below: cancel_below.min(clear_above),
            clear_above,
        };
        // Re-estimate escalation from the model at these thresholds.
        let plan = decide_scored(ctx, StrategyKind::EvidenceLed, th, scores);
        let survey: f64 = plan.hazards.iter().map(|h| h.survey_m2).sum();
        let esc: f64 = plan.hazards.iter().map(|h| h.escalated_m2).sum();
        let new = if survey > 0.0 {
            (esc / survey).clamp(0.0, 1.0)
        } else {
            0.0
        };
        if (new - escalation).abs() < 0.01 {
            break;
        }
        escalation = new;
        let _ = patch;
    }
    th
}

fn decide_scored(
    ctx: &Context<'_>,
    kind: StrategyKind,
    thresholds: Thresholds,
    scores: &[Vec<[(f64, f64); 2]>],
) -> StrategyPlan {
    let acts = crate::spatial::ByHazard::new(ctx.hazards, ctx.activities).activities;
    let hazards: Vec<HazardDecision> = ctx
        .units
        .par_iter()
        .zip(scores)
        .filter(|(h, _)| h.remaining_m2 >= 1.0)
        .map(|(h, sc)| decide_hazard(ctx, h, kind, thresholds, &acts[h.index], sc))
        .collect();
    let mut by_outcome = [0.0; 3];
    for h in &hazards {
        for (acc, a) in by_outcome.iter_mut().zip(h.released_by_outcome_m2) {
            *acc += a;
        }
    }
    StrategyPlan {
        kind,
        thresholds: (kind == StrategyKind::EvidenceLed).then_some(thresholds),
        shares: (kind == StrategyKind::SurveyLed).then_some(ctx.shares),
        expected_residual_items: hazards.iter().map(|h| h.expected_residual_items).sum(),
        released_by_outcome_m2: by_outcome,
        hazards,
    }
}

fn decide_hazard(
    ctx: &Context<'_>,
    h: &HazardUnits,
    kind: StrategyKind,
    th: Thresholds,
    acts: &[&Activity],
    scores: &[[(f64, f64); 2]],
) -> HazardDecision {
    let chain_stage = chain_first_stage(&ctx.hazards[h.index], acts);
    // decisions[unit][zone]
    let decisions: Vec<[(Action, Reason); 2]> = scores
        .iter()
        .map(|z| match kind {
            StrategyKind::ClearAll => [(Action::Clear, Reason::ClearAll); 2],
            StrategyKind::SurveyLed => [(Action::Chain, Reason::FixedShares); 2],
            StrategyKind::EvidenceLed => {
                let (items, area) = z[1];
                let per_ha = if area > 0.0 { items / (area / 1e4) } else { 0.0 };
                [(Action::Clear, Reason::DirectEvidence), rest_action(per_ha, &th)]
            }
        })
        .collect();
    let first_for_treat = match kind {
        StrategyKind::SurveyLed => chain_stage,
        _ => Stage::Nts,
    };
    let treat = |u: &Unit, p: &LandPiece| -> Treatment {
        if p.released {
            return Treatment::Miss(0.0);
        }
        let k = h.units.iter().position(|v| v.cell == u.cell).unwrap_or(0);
        let zone = if p.near_evidence { 0 } else { 1 };
        treatment(decisions[k][zone].0, &ctx.methods, &ctx.shares, first_for_treat)
    };
    let res = residual_of(h, ctx.model, &treat);
    let patch = ctx.methods.evidence_area_m2();
    let (mut cancel, mut survey, mut clear, mut escalated) = (0.0, 0.0, 0.0, 0.0);
    for (i, z) in scores.iter().enumerate() {
        for zone in 0..2 {
            let area = z[zone].1;
            match decisions[i][zone].0 {
                Action::Cancel => cancel += area,
                Action::Clear => clear += area,
                Action::Survey => {
                    survey += area;
                    // What the survey finds is cleared with its radius; the unit's posterior
                    // chance of a find stands for the zone's.
                    escalated += area.min(patch) * res.units[i].p_escalated;
                }
                Action::Chain => {}
            }
        }
    }
    let a = h.remaining_m2;
    let (first_stage, rates, by_outcome) = match kind {
        StrategyKind::ClearAll => (
            Stage::Clearance,
            TaskRates {
                nts_cancel_share: 0.0,
                ts_survey_share: 0.0,
                ts_reduce_share: 0.0,
            },
            [0.0, 0.0, a],
        ),
        StrategyKind::SurveyLed => {
            let c = if chain_stage == Stage::Nts {
                ctx.shares.nts_cancel_share
            } else {
                0.0
            };
            let r = if chain_stage == Stage::Clearance {
                0.0
            } else {
                ctx.shares.ts_reduce_share
            };
            (
                chain_stage,
                TaskRates {
                    nts_cancel_share: c,
                    ts_survey_share: 1.0,
                    ts_reduce_share: r,
                },
                [a * c, a * (1.0 - c) * r, a * (1.0 - c) * (1.0 - r)],
            )
        }
        StrategyKind::EvidenceLed => {
            let sum = cancel + survey + clear;
            let (cancel, survey, clear, escalated) = if sum > 0.0 {
                let k = a / sum;
                (cancel * k, survey * k, clear * k, escalated * k)
            } else {
                (0.0, 0.0, a, 0.0)
            };
            let left = a - cancel;
            let first = if cancel > 0.0 {
                Stage::Nts
            } else if survey > 0.0 {
                Stage::Ts
            } else {
                Stage::Clearance
            };
            let rates = TaskRates {
                nts_cancel_share: if a > 0.0 { (cancel / a).clamp(0.0, 1.0) } else { 0.0 },
                ts_survey_share: if left > 0.0 {
                    (survey / left).clamp(0.0, 1.0)
                } else {
                    0.0
                },
                ts_reduce_share: if survey > 0.0 {
                    ((survey - escalated) / survey).clamp(0.0, 1.0)
                } else {
                    0.0
                },
            };
            (first, rates, [cancel, survey - escalated, clear + escalated])
        }
    };
    let mut units: Vec<UnitDecision> = Vec::new();
    for ((u, z), d) in h.units.iter().zip(scores).zip(&decisions) {
        for (zone_i, zone) in [Zone::Evidence, Zone::Rest].into_iter().enumerate() {
            let (items, area) = z[zone_i];
            if area <= 0.0 {
                continue;
            }
            units.push(UnitDecision {
                cell: u.cell.to_string(),
                zone,
                area_m2: area,
                action: d[zone_i].0,
                reason: d[zone_i].1,
                items_per_ha: items / (area / 1e4),
            });
        }
    }
    let summary = summarise(kind, &units, by_outcome, &rates);
    let scale_to = {
        let sum: f64 = units.iter().map(|u| u.area_m2).sum();
        if sum > 0.0 {
            a / sum
        } else {
            0.0
        }
    };
    let evidence_clear: f64 = units
        .iter()
        .filter(|u| u.zone == Zone::Evidence && u.action == Action::Clear)
        .map(|u| u.area_m2)
        .sum::<f64>()
        * scale_to;
    let direct_clear: f64 = units
        .iter()
        .filter(|u| u.action == Action::Clear)
        .map(|u| u.area_m2)
        .sum();
    HazardDecision {
        index: h.index,
        id: h.id.clone(),
        class: h.class,
        remaining_m2: a,
        cancel_m2: by_outcome[0].min(a),
        survey_m2: if kind == StrategyKind::EvidenceLed {
            survey_area(&units)
        } else {
            0.0
        },
        clear_m2: if kind == StrategyKind::EvidenceLed {
            direct_clear
        } else {
            by_outcome[2]
        },
        escalated_m2: if kind == StrategyKind::EvidenceLed {
            (by_outcome[2] - direct_clear).max(0.0)
        } else {
            0.0
        },
        evidence_clear_m2: if kind == StrategyKind::EvidenceLed {
            evidence_clear
        } else {
            0.0
        },
        released_by_outcome_m2: by_outcome,
        first_stage,
        rates,
        expected_residual_items: res.expected_remaining,
        p_any_residual: res.p_any_remaining,
        summary,
        units,
    }
}

fn survey_area(units: &[UnitDecision]) -> f64 {
    units
        .iter()
        .filter(|u| u.action == Action::Survey)
        .map(|u| u.area_m2)
        .sum()
}

fn summarise(kind: StrategyKind, units: &[UnitDecision], by: [f64; 3], rates: &TaskRates) -> String {
    // Hectares to one decimal, thousands grouped (the Ukrainian text regroups them).
    let ha = |m2: f64| demine_core::spreadsheet::group_thousands_to(m2 / 1e4, 1);
    match kind {
        StrategyKind::ClearAll => format!("clear all {} ha", ha(by[2])),
        StrategyKind::SurveyLed => format!(
            "fixed shares: NTS cancels {:.0} %, TS reduces {:.0} % of the rest, clear the remainder ({} ha)",
            rates.nts_cancel_share * 100.0,
            rates.ts_reduce_share * 100.0,
            ha(by[2])
        ),
        StrategyKind::EvidenceLed => {
            let mut parts = Vec::new();
            let area = |a: Action, r: Option<Reason>| -> (f64, usize) {
                let v: Vec<&UnitDecision> = units
                    .iter()
                    .filter(|u| u.action == a && r.is_none_or(|r| u.reason == r))
                    .collect();
                (v.iter().map(|u| u.area_m2).sum(), v.len())
            };
            let (c, n) = area(Action::Cancel, None);
            if n > 0 {
                parts.push(format!(
                    "cancel {} ha in {n} cell(s) (no evidence, expected items below the threshold)",
                    ha(c)
                ));
            }
            let (s, n) = area(Action::Survey, None);
            if n > 0 {
                parts.push(format!(
                    "survey {} ha in {n} cell(s) (uncertain), clear around what TS finds",
                    ha(s)
                ));
            }
            let (cl, n) = area(Action::Clear, None);
            if n > 0 {
                let (ce, ne) = area(Action::Clear, Some(Reason::DirectEvidence));
                parts.push(format!(
                    "clear {} ha in {n} cell(s) ({} ha around finds or accidents, the rest high risk)",
                    ha(cl),
                    ha(if ne > 0 { ce } else { 0.0 })
                ));
            }
            parts.join("; ")
        }
    }
}
