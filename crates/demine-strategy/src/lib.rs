//! demine-strategy (in progress).
pub mod evidence;
pub mod methods;
pub mod model;
pub mod residual;
mod spatial;

pub use evidence::{hazard_units, EvidenceError, HazardUnits, Registry, Unit};
pub use methods::Methods;
pub use model::{fit, Fit, PriorModel};
pub use residual::{calibration_bins, released_land_residual, true_items_in_released, CalibrationBin, TruthItem};
