//! The weights and parameters an authority sets, read from TOML.
//!
//! Every field has a default, so a file only states what it changes:
//!
//! ```toml
//! [weights]            # relative importance; any non-negative numbers, not all zero
//! risk = 3
//! settlements = 2
//!
//! [parameters]
//! road_scale_m = 500   # a road this far away scores 1/e
//!
//! [evidence]           # SHA → CHA suggestion
//! cha_threshold = 1.0
//! ```

use crate::PriorityError;
use serde::{Deserialize, Serialize};

/// Relative weights of the criteria. Scores are `Σ wᵢ·cᵢ / Σ wᵢ`, so only ratios matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Probability that the hazard holds any item (risk map), or the class default.
    pub risk: f64,
    /// Farmland blocked (land use agricultural or grazing; forest counts half).
    pub farmland: f64,
    /// Roads blocked or nearby.
    pub roads: f64,
    /// Infrastructure blocked (land use infrastructure, road or residential).
    pub infrastructure: f64,
    /// Population of settlements nearby, weighted by distance.
    pub settlements: f64,
    /// Expected beneficiaries (the hazard's `beneficiaries`, or households in its blockages).
    pub beneficiaries: f64,
    /// Accidents in and around the hazard.
    pub accidents: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            risk: 0.30,
            farmland: 0.15,
            roads: 0.10,
            infrastructure: 0.10,
            settlements: 0.10,
            beneficiaries: 0.15,
            accidents: 0.10,
        }
    }
}

impl Weights {
    /// `(criterion name, weight)` in a fixed order.
    pub fn entries(&self) -> [(&'static str, f64); 7] {
        [
            ("risk", self.risk),
            ("farmland", self.farmland),
            ("roads", self.roads),
            ("infrastructure", self.infrastructure),
            ("settlements", self.settlements),
            ("beneficiaries", self.beneficiaries),
            ("accidents", self.accidents),
        ]
    }
}

/// Distance scales and conversions used by the criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Parameters {
    /// Roads score `e^(−d/road_scale_m)`, d the distance from the hazard.
    pub road_scale_m: f64,
    /// Settlements count `population · e^(−d/settlement_scale_m)`.
    pub settlement_scale_m: f64,
    /// Settlements farther than this are ignored.
    pub settlement_max_m: f64,
    /// Accidents within this distance of the hazard count (inside always counts).
    pub accident_radius_m: f64,
    /// People per household, to turn "N households" into beneficiaries.
    pub persons_per_household: f64,
    /// P(any item) used for an SHA when there is no risk map.
    pub sha_default_risk: f64,
    /// P(any item) used for a CHA when there is no risk map.
    pub cha_default_risk: f64,
    /// Context layer names.
    pub roads_layer: String,
    pub settlements_layer: String,
    pub line_of_contact_layer: String,
    /// Attribute of settlement features holding the population.
    pub population_attribute: String,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            road_scale_m: 500.0,
            settlement_scale_m: 2_000.0,
            settlement_max_m: 10_000.0,
            accident_radius_m: 1_000.0,
            persons_per_household: 2.6,
            sha_default_risk: 0.3,
            cha_default_risk: 0.9,
            roads_layer: "roads".into(),
            settlements_layer: "settlements".into(),
            line_of_contact_layer: "line_of_contact".into(),
            population_attribute: "population".into(),
        }
    }
}

/// Weights of the evidence behind the SHA → CHA suggestion. Direct evidence (an item found or
/// an accident inside the hazard) is what IMAS requires of a CHA; indirect evidence (items and
/// accidents nearby, the risk model, closeness to the fighting) raises the case for technical
/// survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Evidence {
    /// Per item found inside the hazard.
    pub find_inside: f64,
    /// Per accident inside the hazard.
    pub accident_inside: f64,
    /// Per item found within `nearby_m` outside the hazard (counted up to `nearby_cap`).
    pub find_nearby: f64,
    /// Per accident within `nearby_m` outside the hazard (counted up to `nearby_cap`).
    pub accident_nearby: f64,
    pub nearby_m: f64,
    pub nearby_cap: f64,
    /// Times the risk map's P(any item) (not the class default: that would be circular).
    pub risk: f64,
    /// Times `e^(−d/front_scale_m)`, d the distance to the line of contact.
    pub front: f64,
    pub front_scale_m: f64,
    /// An SHA whose evidence reaches this is suggested as CHA.
    pub cha_threshold: f64,
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence {
            find_inside: 1.0,
            accident_inside: 1.0,
            find_nearby: 0.1,
            accident_nearby: 0.2,
            nearby_m: 1_000.0,
            nearby_cap: 5.0,
            risk: 0.5,
            front: 0.3,
            front_scale_m: 5_000.0,
            cha_threshold: 1.0,
        }
    }
}

/// Everything an authority can set, with defaults for what it does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub weights: Weights,
    pub parameters: Parameters,
    pub evidence: Evidence,
}

impl Config {
    /// Parses and checks a TOML configuration. `source` names the file in messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Config, PriorityError> {
        let config: Config = toml::from_str(text).map_err(|e| PriorityError::Config {
            file: source.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.check(source)?;
        Ok(config)
    }

    /// Every weight and parameter finite and non-negative, weights not all zero, scales positive.
    pub fn check(&self, source: &str) -> Result<(), PriorityError> {
        let bad = |field: String, message: &str| PriorityError::Config {
            file: source.to_string(),
            message: format!("`{field}` {message}"),
        };
        for (name, w) in self.weights.entries() {
            if !w.is_finite() || w < 0.0 {
                return Err(bad(format!("weights.{name}"), "must be a number ≥ 0"));
            }
        }
        if self.weights.entries().iter().all(|(_, w)| *w == 0.0) {
            return Err(bad(
                "weights".into(),
                "are all 0: give at least one criterion a positive weight",
            ));
        }
        let p = &self.parameters;
        for (name, v) in [
            ("road_scale_m", p.road_scale_m),
            ("settlement_scale_m", p.settlement_scale_m),
            ("settlement_max_m", p.settlement_max_m),
            ("accident_radius_m", p.accident_radius_m),
            ("persons_per_household", p.persons_per_household),
            ("evidence.nearby_m", self.evidence.nearby_m),
            ("evidence.front_scale_m", self.evidence.front_scale_m),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return Err(bad(format!("parameters.{name}"), "must be a number > 0"));
            }
        }
        for (name, v) in [
            ("sha_default_risk", p.sha_default_risk),
            ("cha_default_risk", p.cha_default_risk),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(format!("parameters.{name}"), "must be a probability in [0, 1]"));
            }
        }
        let e = &self.evidence;
        for (name, v) in [
            ("find_inside", e.find_inside),
            ("accident_inside", e.accident_inside),
            ("find_nearby", e.find_nearby),
            ("accident_nearby", e.accident_nearby),
            ("nearby_cap", e.nearby_cap),
            ("risk", e.risk),
            ("front", e.front),
            ("cha_threshold", e.cha_threshold),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(bad(format!("evidence.{name}"), "must be a number ≥ 0"));
            }
        }
        Ok(())
    }
}
