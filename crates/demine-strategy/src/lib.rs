//! demine-strategy (in progress).
pub mod evaluate;
pub mod evidence;
pub mod methods;
pub mod model;
pub mod residual;
pub mod risk_summary;
mod spatial;
pub mod strategy;
pub mod truth;

pub use evaluate::{
    apply_to_problem, choose_for_cap, choose_for_deadline, evaluate, frontier, registry_tasks, registry_teams,
    ChoiceError, EvalOptions, Evaluation, FrontierPoint,
};
pub use evidence::{hazard_units, EvidenceError, HazardUnits, Registry, Unit};
pub use methods::Methods;
pub use model::{fit, Fit, PriorModel};
pub use residual::{calibration_bins, released_land_residual, true_items_in_released, CalibrationBin, TruthItem};
pub use risk_summary::{hazard_risk_summaries, HazardRiskSummary};
pub use strategy::{
    decide, decide_for_horizon, learned_shares, Action, Capacity, Context, Reason, StrategyKind, StrategyPlan,
    Thresholds, Zone,
};
pub use truth::true_residual_items;
