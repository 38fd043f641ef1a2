//! A strategy as a plan: its hazards become demine-plan tasks sized stage by stage, the plan is
//! scheduled and forecast (completion P10/P50/P90), and its team-days, cost and residual risk
//! are counted. The frontier walks the evidence-led thresholds from thorough to fast; a deadline
//! or a residual cap picks a point on it.

use crate::strategy::{decide, Context, StrategyKind, StrategyPlan, Thresholds};
use chrono::NaiveDate;
use demine_core::release::RegistryRelease;
use demine_core::Hazard;
use demine_plan::{Forecast, ForecastOptions, Plan, PlanOptions, Problem, Task};
use serde::Serialize;

/// Plan tasks for a registry: one per hazard with land still to release (at least 1 m²), as
/// `demine plan` makes them (site = centroid, terrain = land use, splittable above 20 ha), valued
/// by `value(hazard index)` (e.g. the priority score; remaining hectares when `None`). Stages
/// are set by [`apply_to_problem`].
pub fn registry_tasks(
    hazards: &[Hazard],
    release: &RegistryRelease,
    value: Option<&dyn Fn(usize) -> f64>,
) -> Vec<Task> {
    use geo::Centroid;
    hazards
        .iter()
        .zip(&release.per_hazard)
        .enumerate()
        .filter(|(_, (_, r))| r.remaining_m2 >= 1.0)
        .map(|(i, (h, r))| Task {
            id: h.id.clone(),
            area_m2: r.remaining_m2,
            value: value.map_or(r.remaining_m2 / 1e4, |f| f(i)),
            site: h.geometry.centroid().map(|c| (c.x(), c.y())),
            stage: demine_plan::Stage::Clearance,
            methods: vec![],
            terrain: h.land_use.clone(),
            ready_day: 0.0,
            splittable: r.remaining_m2 > 200_000.0,
            under_way_by: None,
            prepare_ground: false,
        })
        .collect()
}

/// Plan teams from the registry's teams (those with a productivity), at the default cost of
/// their kind.
pub fn registry_teams(teams: &[demine_core::Team]) -> Vec<demine_plan::Team> {
    teams
        .iter()
        .filter(|t| t.productivity_m2_per_day > 0.0)
        .map(|t| demine_plan::Team {
            id: t.id.clone(),
            kind: t.kind,
            productivity_m2_per_day: t.productivity_m2_per_day,
            productivity_by_terrain: vec![],
            base: t.base_lon.zip(t.base_lat),
            start_day: 0.0,
            end_day: None,
            cost_per_day: demine_plan::input::default_cost_per_day(t.kind),
        })
        .collect()
}

/// Clearance or survey work above this (m²) may be shared by several teams: about two months of
/// a manual team.
pub const SPLIT_WORK_M2: f64 = 100_000.0;

/// Suffix of the task that clears the land around a hazard's finds and accidents.
pub const EVIDENCE_TASK_SUFFIX: &str = "#evidence";

/// Sizes the problem's tasks by the strategy. Each task whose id is a hazard of the strategy:
///
/// - `survey-led`: starts at the chain's stage, with the problem-wide shares set to the chain's;
/// - `clear-all`: clearance of all of it;
/// - `evidence-led`: the land around finds and accidents becomes a task of its own,
///   `<id>#evidence`, cleared from the start (confirmed land waits for no survey); the rest
///   starts at its first stage with the hazard's own shares (what NTS cancels, what TS surveys
///   and reduces, what is cleared).
///
/// A task whose survey or clearance work exceeds [`SPLIT_WORK_M2`] may be shared by several
/// teams (one manual team would otherwise hold the campaign back). Other tasks are left as they
/// are.
pub fn apply_to_problem(p: &mut Problem, s: &StrategyPlan) {
    use crate::strategy::StrategyKind;
    use demine_plan::{Stage, TaskRates};
    let by_id: std::collections::HashMap<&str, &crate::strategy::HazardDecision> =
        s.hazards.iter().map(|h| (h.id.as_str(), h)).collect();
    if let Some(c) = s.shares {
        p.rates.nts_cancel_share = c.nts_cancel_share;
        p.rates.ts_reduce_share = c.ts_reduce_share;
    }
    let mut extra = Vec::new();
    for t in &mut p.tasks {
        let Some(h) = by_id.get(t.id.as_str()) else { continue };
        t.stage = h.first_stage;
        let mut rates = h.rates;
        if s.kind == StrategyKind::EvidenceLed && h.evidence_clear_m2 >= 1.0 && t.area_m2 > h.evidence_clear_m2 + 1.0 {
            let ev = h.evidence_clear_m2.min(t.area_m2);
            let mut e = t.clone();
            e.id = format!("{}{EVIDENCE_TASK_SUFFIX}", t.id);
            e.area_m2 = ev;
            e.value = t.value * ev / t.area_m2;
            e.stage = Stage::Clearance;
            e.splittable = ev > SPLIT_WORK_M2;
            e.under_way_by = None;
            extra.push(e);
            // The rest: the same cancellation, survey and escalation over less land.
            let a = t.area_m2 - ev;
            let left = a - h.cancel_m2;
            rates = TaskRates {
                nts_cancel_share: (h.cancel_m2 / a).clamp(0.0, 1.0),
                ts_survey_share: if left > 0.0 {
                    (h.survey_m2 / left).clamp(0.0, 1.0)
                } else {
                    0.0
                },
                ts_reduce_share: h.rates.ts_reduce_share,
            };
            t.value -= e_value(t.value, ev, t.area_m2);
            t.area_m2 = a;
            t.stage = if h.cancel_m2 > 0.0 {
                Stage::Nts
            } else if h.survey_m2 > 0.0 {
                Stage::Ts
            } else {
                Stage::Clearance
            };
        }
        if s.kind != StrategyKind::SurveyLed {
            p.rates.per_task.insert(t.id.clone(), rates);
        }
        let work = demine_plan::stage_areas_with(t.area_m2, t.stage, &p.rates.for_task(&t.id))
            .iter()
            .filter(|(s, _)| *s != Stage::Nts)
            .map(|(_, a)| *a)
            .fold(0.0, f64::max);
        t.splittable |= work > SPLIT_WORK_M2;
    }
    p.tasks.extend(extra);
}

fn e_value(value: f64, part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        value * part / whole
    } else {
        0.0
    }
}

/// How hard to plan and how many Monte Carlo runs.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub plan: PlanOptions,
    pub forecast: ForecastOptions,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            plan: PlanOptions {
                seed: 1,
                search_budget_s: 5.0,
                lns_steps_per_job: 2,
                exact: false,
            },
            forecast: ForecastOptions {
                runs: 200,
                ..Default::default()
            },
        }
    }
}

/// A strategy's plan in figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub strategy: StrategyKind,
    pub thresholds: Option<Thresholds>,
    pub completion_p10: NaiveDate,
    pub completion_p50: NaiveDate,
    pub completion_p90: NaiveDate,
    pub p10_days: f64,
    pub p50_days: f64,
    pub p90_days: f64,
    /// Working days of teams in the plan (area ÷ productivity), and their cost.
    pub team_days: f64,
    pub cost: f64,
    /// Land released (expected), m², by outcome.
    pub released_m2: f64,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub expected_residual_items: f64,
    /// Hazards whose land is all released with P(any item left) ≥ 0.5.
    pub hazards_p_any_over_half: usize,
}

/// The problem sized by `s`, planned and forecast.
pub fn evaluate(base: &Problem, s: &StrategyPlan, opts: &EvalOptions) -> (Problem, Plan, Forecast, Evaluation) {
    let mut p = base.clone();
    apply_to_problem(&mut p, s);
    evaluate_sized(p, s, opts)
}

/// A problem already sized by `s` ([`apply_to_problem`]: a caller that checks it first),
/// planned and forecast.
pub fn evaluate_sized(p: Problem, s: &StrategyPlan, opts: &EvalOptions) -> (Problem, Plan, Forecast, Evaluation) {
    let plan = demine_plan::plan(&p, &opts.plan);
    let f = demine_plan::forecast(&p, &plan, &opts.forecast);
    let terrain: std::collections::HashMap<&str, Option<&str>> =
        p.tasks.iter().map(|t| (t.id.as_str(), t.terrain.as_deref())).collect();
    let teams: std::collections::HashMap<&str, &demine_plan::Team> =
        p.teams.iter().map(|t| (t.id.as_str(), t)).collect();
    let (mut team_days, mut cost) = (0.0, 0.0);
    for a in &plan.assignments {
        if let Some(t) = teams.get(a.team.as_str()) {
            let d = a.area_m2
                / t.productivity_on(terrain.get(a.task.as_str()).copied().flatten())
                    .max(1e-9);
            team_days += d;
            cost += d * t.cost_per_day;
        }
    }
    let date = |d: f64| demine_plan::calendar::end_date_of(p.start_date, d);
    let e = Evaluation {
        strategy: s.kind,
        thresholds: s.thresholds,
        completion_p10: date(f.p10_day),
        completion_p50: date(f.p50_day),
        completion_p90: date(f.p90_day),
        p10_days: f.p10_day,
        p50_days: f.p50_day,
        p90_days: f.p90_day,
        team_days,
        cost,
        released_m2: s.released_by_outcome_m2.iter().sum(),
        cancelled_m2: s.released_by_outcome_m2[0],
        reduced_m2: s.released_by_outcome_m2[1],
        cleared_m2: s.released_by_outcome_m2[2],
        expected_residual_items: s.expected_residual_items,
        hazards_p_any_over_half: s.hazards.iter().filter(|h| h.p_any_residual >= 0.5).count(),
    };
    (p, plan, f, e)
}

/// Scales of the evidence-led frontier (the cancellation threshold, items per hectare), from
/// thorough to fast; the clearance threshold is [`FRONTIER_RATIO`] times it.
pub const FRONTIER_SCALES: [f64; 10] = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 3.0];
/// Clearance threshold over cancellation threshold along the frontier.
pub const FRONTIER_RATIO: f64 = 25.0;

/// One point of the frontier: completion against expected residual items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    pub thresholds: Thresholds,
    pub completion_p50: NaiveDate,
    /// Completion at the asked confidence (days from the start).
    pub completion_days_at_confidence: f64,
    pub p50_days: f64,
    pub expected_residual_items: f64,
    pub cleared_m2: f64,
    pub cancelled_m2: f64,
}

/// The evidence-led frontier over [`FRONTIER_SCALES`]: each point decided, planned and forecast.
pub fn frontier(ctx: &Context<'_>, base: &Problem, opts: &EvalOptions, confidence: f64) -> Vec<FrontierPoint> {
    FRONTIER_SCALES
        .iter()
        .map(|&s| {
            let th = Thresholds::scaled(s, FRONTIER_RATIO);
            let plan = decide(ctx, StrategyKind::EvidenceLed, th);
            let (_, _, f, e) = evaluate(base, &plan, opts);
            FrontierPoint {
                thresholds: th,
                completion_p50: e.completion_p50,
                completion_days_at_confidence: f.quantile_day(confidence),
                p50_days: e.p50_days,
                expected_residual_items: e.expected_residual_items,
                cleared_m2: e.cleared_m2,
                cancelled_m2: e.cancelled_m2,
            }
        })
        .collect()
}

/// Why no thresholds can be chosen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChoiceError {
    #[error(
        "no evidence-led thresholds finish by {deadline} at {confidence_pct:.0} % confidence; the earliest at this confidence is {earliest} (everything without direct evidence below {fastest_cancel:.3} items/ha cancelled)"
    )]
    DeadlineUnreachable {
        deadline: NaiveDate,
        confidence_pct: f64,
        earliest: NaiveDate,
        fastest_cancel: f64,
    },
    #[error("no evidence-led thresholds leave at most {cap} expected items; the fewest is {best:.1} (clear more, or accept more)")]
    CapUnreachable { cap: f64, best: f64 },
    #[error("the deadline {deadline} is not after the plan start {start}: give a future date")]
    DeadlineInPast { deadline: NaiveDate, start: NaiveDate },
    #[error("the residual cap must be a number of items ≥ 0; got {0}")]
    NegativeCap(f64),
    #[error("no teams: the plan needs at least one team")]
    NoTeams,
}

/// The point of `points` with the fewest expected items that finishes by `deadline` at the
/// frontier's confidence.
pub fn choose_for_deadline(
    points: &[FrontierPoint],
    start: NaiveDate,
    deadline: NaiveDate,
    confidence: f64,
) -> Result<FrontierPoint, ChoiceError> {
    if deadline <= start {
        return Err(ChoiceError::DeadlineInPast { deadline, start });
    }
    let day = (deadline - start).num_days() as f64 + 1.0;
    points
        .iter()
        .filter(|p| p.completion_days_at_confidence <= day)
        .min_by(|a, b| a.expected_residual_items.total_cmp(&b.expected_residual_items))
        .cloned()
        .ok_or_else(|| {
            let fastest = points.iter().min_by(|a, b| {
                a.completion_days_at_confidence
                    .total_cmp(&b.completion_days_at_confidence)
            });
            ChoiceError::DeadlineUnreachable {
                deadline,
                confidence_pct: confidence * 100.0,
                earliest: fastest.map_or(deadline, |p| {
                    demine_plan::calendar::end_date_of(start, p.completion_days_at_confidence)
                }),
                fastest_cancel: fastest.map_or(0.0, |p| p.thresholds.cancel_below),
            }
        })
}

/// The fastest point of `points` that leaves at most `cap` expected items.
pub fn choose_for_cap(points: &[FrontierPoint], cap: f64) -> Result<FrontierPoint, ChoiceError> {
    if !(cap.is_finite() && cap >= 0.0) {
        return Err(ChoiceError::NegativeCap(cap));
    }
    points
        .iter()
        .filter(|p| p.expected_residual_items <= cap)
        .min_by(|a, b| {
            a.completion_days_at_confidence
                .total_cmp(&b.completion_days_at_confidence)
        })
        .cloned()
        .ok_or_else(|| ChoiceError::CapUnreachable {
            cap,
            best: points
                .iter()
                .map(|p| p.expected_residual_items)
                .fold(f64::INFINITY, f64::min),
        })
}
