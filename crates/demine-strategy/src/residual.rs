//! Residual risk of land released (already, or by a strategy), hazard by hazard, and its check
//! against a known truth: calibration bins of predicted P(any item remains) against the share of
//! hazards that really keep one.

use crate::evidence::HazardUnits;
use crate::evidence::{LandPiece, Unit};
use crate::model::PriorModel;
use demine_core::{Activity, Hazard};
use demine_field::residual::{hazard_residual, HazardResidual, Treatment};
use geo::{BoundingRect, Contains, Point};
use rayon::prelude::*;
use serde::Serialize;

/// Residual risk of one hazard's released land.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleasedResidual {
    /// Index of the hazard in the registry's list.
    pub hazard: usize,
    pub id: String,
    pub released_m2: f64,
    /// P(at least one item remains in the released land).
    pub p_any: f64,
    /// Expected items remaining there.
    pub expected_items: f64,
    /// P(the hazard is contaminated at all), given the evidence.
    pub p_contaminated: f64,
}

/// The residual of a hazard, each piece of land with the treatment `treat(unit, piece)`.
pub fn residual_of(
    h: &HazardUnits,
    model: &PriorModel,
    treat: &dyn Fn(&Unit, &LandPiece) -> Treatment,
) -> HazardResidual {
    let (rho, cases) = model.cases(h, treat);
    hazard_residual(rho, &cases)
}

/// Residual risk of the land already released, for every hazard with released land (at least
/// 1 m²): each unit's released share was missed by its methods with the probability the
/// evidence gives.
pub fn released_land_residual(hazards: &[HazardUnits], model: &PriorModel) -> Vec<ReleasedResidual> {
    hazards
        .par_iter()
        .filter(|h| h.released_m2() >= 1.0)
        .map(|h| {
            let r = residual_of(h, model, &|_, p| Treatment::Miss(if p.released { 1.0 } else { 0.0 }));
            ReleasedResidual {
                hazard: h.index,
                id: h.id.clone(),
                released_m2: h.released_m2(),
                p_any: r.p_any_remaining,
                expected_items: r.expected_remaining,
                p_contaminated: r.p_contaminated,
            }
        })
        .collect()
}

/// An item of a known truth (the SYNTHETIC demo's hidden items).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthItem<'a> {
    pub location: Point<f64>,
    /// The hazard whose land holds it, if any.
    pub hazard_id: Option<&'a str>,
    /// Whether it has been found already.
    pub found: bool,
}

/// Per hazard (registry order): the true items not found that lie in land its activities
/// released. Items are matched to hazards by `hazard_id`.
pub fn true_items_in_released(hazards: &[Hazard], activities: &[Activity], items: &[TruthItem<'_>]) -> Vec<u32> {
    let crate::spatial::ByHazard {
        index,
        activities: acts,
    } = crate::spatial::ByHazard::new(hazards, activities);
    let mut out = vec![0u32; hazards.len()];
    for it in items.iter().filter(|i| !i.found) {
        let Some(&h) = it.hazard_id.and_then(|id| index.get(id)) else {
            continue;
        };
        let p = it.location;
        let inside = acts[h].iter().any(|a| {
            a.geometry
                .bounding_rect()
                .is_some_and(|b| p.x() >= b.min().x && p.x() <= b.max().x && p.y() >= b.min().y && p.y() <= b.max().y)
                && a.geometry.contains(&p)
        });
        if inside {
            out[h] += 1;
        }
    }
    out
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Smallest and largest prediction in the bin.
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub mean_predicted: f64,
    /// Share of the bin's cases that were positive.
    pub observed: f64,
}

/// Equal-count bins (`bins` of them; deciles for 10) of predictions sorted ascending, each with
/// its mean prediction and observed share: the reliability diagram of a probability.
pub fn calibration_bins(predicted: &[f64], observed: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let n = predicted.len().min(observed.len());
    if n == 0 || bins == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]).then(a.cmp(&b)));
    let bins = bins.min(n);
    (0..bins)
        .map(|b| {
            let part = &order[b * n / bins..(b + 1) * n / bins];
            let m = part.len().max(1) as f64;
            CalibrationBin {
                lo: predicted[part[0]],
                hi: predicted[*part.last().unwrap_or(&part[0])],
                n: part.len(),
                mean_predicted: part.iter().map(|&i| predicted[i]).sum::<f64>() / m,
                observed: part.iter().filter(|&&i| observed[i]).count() as f64 / m,
            }
        })
        .collect()
}
