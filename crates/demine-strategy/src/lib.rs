//! # demine-strategy
//!
//! Evidence-led land release (IMAS 07.11): per hazard, and within a hazard per risk-map cell,
//! what non-technical survey cancels, technical survey samples and clearance clears, under the
//! strategies `clear-all`, `survey-led` and `evidence-led`; each strategy sized as demine-plan
//! tasks, planned and forecast; the residual risk it leaves (expected items, P(any) per hazard)
//! from a contamination model fitted on the registry's own finds and reports; the frontier of
//! completion against residual items; and, where the truth is known (the SYNTHETIC demo), the
//! items really left.
//!
//! **Owns:** hazard units and their evidence ([`evidence`]), method detection and coverage
//! ([`methods`]), detection to the depth past work recorded, learned from the finds' depths
//! ([`depth`]), the contamination prior and its maximum-likelihood fit ([`model`]), residual
//! risk of released land and its calibration bins ([`residual`]), non-saturating hazard risk
//! ([`risk_summary`]), strategy decisions ([`strategy`]), plan sizing, evaluation and the frontier
//! ([`evaluate`]), true residual counts ([`truth`]).
//!
//! **Must never depend on:** the store, SQL, the CLI, file formats or an async runtime. It takes
//! and returns domain values (demine-core, demine-plan); the residual mathematics lives in
//! `demine_field::residual`. Everything random takes a seed.
pub mod depth;
pub mod evaluate;
pub mod evidence;
pub mod methods;
pub mod model;
pub mod residual;
pub mod risk_summary;
mod spatial;
pub mod strategy;
pub mod truth;

pub use depth::DepthModel;
pub use evaluate::{
    apply_to_problem, choose_for_cap, choose_for_deadline, evaluate, evaluate_sized, frontier, registry_tasks,
    registry_teams, ChoiceError, EvalOptions, Evaluation, FrontierPoint,
};
pub use evidence::{hazard_units, EvidenceError, HazardUnits, Registry, Unit};
pub use methods::{MethodError, Methods, MAX_EVIDENCE_RADIUS_M};
pub use model::{fit, fit_options, fit_with, Fit, FitOptions, PriorModel};
pub use residual::{calibration_bins, released_land_residual, true_items_in_released, CalibrationBin, TruthItem};
pub use risk_summary::{hazard_risk_summaries, HazardRiskSummary};
pub use spatial::ByHazard;
pub use strategy::{
    decide, decide_fastest, decide_for_horizon, fastest_horizon, forced_clearance_m2, learned_shares, Action, Capacity,
    ChainShares, Context, HazardDecision, Reason, StrategyKind, StrategyPlan, Thresholds, Zone,
};
pub use truth::true_residual_items;
