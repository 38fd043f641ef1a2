//! What each land-release method does to the items in the land it works: non-technical survey
//! releases land without detecting anything; technical survey lays lanes over a share of the
//! ground and detects what lies in them; clearance covers all of it, to depth.

use demine_core::ActivityType;
use serde::Serialize;

/// Detection and coverage of the methods. Defaults are planning assumptions in the IMAS ranges,
/// not measurements: set them from your own QA history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Methods {
    /// Share of a technical-survey area its sampling lanes cover (IMAS 07.11 practice: 10–20 %).
    pub ts_coverage: f64,
    /// Detection of an item lying in a TS lane.
    pub ts_detection: f64,
    /// Detection of clearance (manual, dogs, machines followed by manual teams), to depth.
    pub clearance_detection: f64,
    /// Detection of battle area clearance (surface and shallow sub-surface).
    pub bac_detection: f64,
    /// Detection of an EOD spot task in its spot.
    pub eod_detection: f64,
    /// Radius cleared around direct evidence (a find, an accident) and around what a technical
    /// survey finds, metres: the confirmed area and its buffer.
    pub evidence_radius_m: f64,
    /// Whether past clearance, BAC and EOD find items below the depth they recorded only by
    /// chance, as the registry's finds say ([`crate::depth::DepthModel`]; the default). Off,
    /// each finds with its detection whatever the depth. A registry with too few finds by work
    /// with depths to fit the depth model falls back to that.
    pub depth_aware: bool,
    /// Whether a hazard's land within [`Self::evidence_radius_m`] of the direct evidence that
    /// confirmed it (an accident, a find recorded with the hazard) is a unit of its own in each
    /// risk-map cell, with its own contamination prior ([`crate::PriorModel::buffer`]): a
    /// cluster of items runs on past the cell that holds its evidence (the default).
    pub evidence_buffer_units: bool,
}

impl Default for Methods {
    fn default() -> Self {
        Methods {
            ts_coverage: 0.2,
            ts_detection: 0.95,
            clearance_detection: 0.99,
            bac_detection: 0.9,
            eod_detection: 0.99,
            evidence_radius_m: 100.0,
            depth_aware: true,
            evidence_buffer_units: true,
        }
    }
}

/// The largest radius cleared around direct evidence a setting may give, metres: IMAS practice
/// is tens of metres, a few hundred for cluster strikes; beyond a kilometre it is a hazard of
/// its own, to be recorded as one.
pub const MAX_EVIDENCE_RADIUS_M: f64 = 1_000.0;

/// A method setting outside its range: a share outside (0, 1], a radius outside
/// [0, [`MAX_EVIDENCE_RADIUS_M`]].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("method setting `{name}` must be {rule}; got {value}")]
pub struct MethodError {
    pub name: &'static str,
    /// What the setting must be.
    pub rule: &'static str,
    pub value: f64,
}

impl Methods {
    /// Refuses coverage and detection outside (0, 1] (a method that covers or detects nothing
    /// finds nothing, and past finds by it could not be), and a radius outside
    /// [0, [`MAX_EVIDENCE_RADIUS_M`]].
    pub fn check(&self) -> Result<(), MethodError> {
        for (name, value) in [
            ("ts_coverage", self.ts_coverage),
            ("ts_detection", self.ts_detection),
            ("clearance_detection", self.clearance_detection),
            ("bac_detection", self.bac_detection),
            ("eod_detection", self.eod_detection),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return Err(MethodError {
                    name,
                    rule: "above 0 and at most 1",
                    value,
                });
            }
        }
        if !(self.evidence_radius_m >= 0.0 && self.evidence_radius_m <= MAX_EVIDENCE_RADIUS_M) {
            return Err(MethodError {
                name: "evidence_radius_m",
                rule: "from 0 to 1,000 m",
                value: self.evidence_radius_m,
            });
        }
        Ok(())
    }

    /// Area cleared around one piece of evidence, m².
    pub fn evidence_area_m2(&self) -> f64 {
        std::f64::consts::PI * self.evidence_radius_m.powi(2)
    }

    /// Probability that an item in land a TS works is found (lane coverage × detection).
    pub fn ts_item_detection(&self) -> f64 {
        self.ts_coverage * self.ts_detection
    }

    /// Probability that an item in land an activity of `t` worked is found.
    pub fn item_detection(&self, t: ActivityType) -> f64 {
        match t {
            ActivityType::Nts => 0.0,
            ActivityType::Ts => self.ts_item_detection(),
            ActivityType::Clearance => self.clearance_detection,
            ActivityType::Bac => self.bac_detection,
            ActivityType::Eod => self.eod_detection,
        }
    }
}
