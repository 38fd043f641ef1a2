//! Hazard risk that does not saturate: per hazard, the calibrated probability that it holds an
//! item (after its evidence), the expected items not yet found, and the expected contaminated
//! area — to rank by expected items and contaminated area rather than by a P(any) that reads
//! 1.000 for every large hazard.

use crate::evidence::HazardUnits;
use crate::model::PriorModel;
use crate::residual::residual_of;
use demine_field::residual::Treatment;
use rayon::prelude::*;
use serde::Serialize;

/// A hazard's risk from the fitted contamination model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardRiskSummary {
    pub id: String,
    /// P(the hazard holds an item), given its evidence (calibrated against finds and reports).
    pub p_contaminated: f64,
    /// Expected items not yet found anywhere in it.
    pub expected_items: f64,
    /// Expected items in its land still to release.
    pub expected_items_unreleased: f64,
    /// Expected contaminated area: Σ over units of P(unit contaminated) × its area, m².
    pub expected_contaminated_m2: f64,
}

/// Summaries for every hazard, ranked by expected items (then contaminated area, then id).
pub fn hazard_risk_summaries(units: &[HazardUnits], model: &PriorModel) -> Vec<HazardRiskSummary> {
    let mut out: Vec<HazardRiskSummary> = units
        .par_iter()
        .map(|h| {
            let all = residual_of(h, model, &|_, _| Treatment::Miss(1.0));
            let unreleased = residual_of(h, model, &|_, p| Treatment::Miss(if p.released { 0.0 } else { 1.0 }));
            HazardRiskSummary {
                id: h.id.clone(),
                p_contaminated: all.p_contaminated,
                expected_items: all.expected_remaining,
                expected_items_unreleased: unreleased.expected_remaining,
                expected_contaminated_m2: h
                    .units
                    .iter()
                    .zip(&all.units)
                    .map(|(u, r)| u.area_m2 * r.p_contaminated)
                    .sum(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.expected_items
            .total_cmp(&a.expected_items)
            .then(b.expected_contaminated_m2.total_cmp(&a.expected_contaminated_m2))
            .then(a.id.cmp(&b.id))
    });
    out
}
