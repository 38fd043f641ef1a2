//! Field records: daily progress reports and post-clearance inspections (QA).
//!
//! Plain records; the checks that refuse impossible reports live in `demine-field`, the tables
//! in `demine-store` (migration 0004).

use chrono::NaiveDate;
use geo::MultiPolygon;
use serde::Serialize;

/// One day's work of one team on one task (a hazard).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyProgress {
    pub id: String,
    pub date: NaiveDate,
    pub hazard_id: String,
    pub team: String,
    /// manual | mechanical | mdd | ts | nts
    pub team_kind: String,
    /// The land worked that day, lon/lat.
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
    pub hours: f64,
    pub downtime_hours: f64,
    pub downtime_reason: Option<String>,
    pub finds: u32,
    /// Lanes of a lane plan, as given (e.g. "1-20").
    pub lanes: Option<String>,
    pub terrain: Option<String>,
    /// Geodesic area inside the task, m² (computed at entry).
    pub area_m2: f64,
    /// The clearance activity this report became.
    pub activity_id: Option<String>,
}

/// A post-clearance inspection of a lot (IMAS 09.20 sampling).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaInspection {
    pub id: String,
    pub hazard_id: String,
    pub date: NaiveDate,
    pub lot_units: u64,
    pub sample_units: u64,
    /// Size of one unit (box side), m.
    pub box_m: f64,
    /// Acceptance number.
    pub c: u64,
    /// Defective units found in the sample.
    pub defects: u64,
    pub accepted: bool,
    /// Detection probability assumed for the inspectors.
    pub detection: f64,
    /// Nonconformities with severity, e.g. `[{"severity":"critical","note":"AP mine at 20 cm"}]`.
    pub nonconformities: serde_json::Value,
    pub inspector: Option<String>,
}
