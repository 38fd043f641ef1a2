//! The items a strategy really leaves, where the truth is known (the SYNTHETIC demo): every item
//! not yet found in land still to release meets the strategy's methods, each detecting it with
//! its probability, drawn from a seeded generator (the same seed, the same count).

use crate::methods::Methods;
use crate::residual::TruthItem;
use crate::strategy::{Action, StrategyPlan, Zone};
use demine_core::{Activity, Hazard};
use geo::{BoundingRect, Contains, Point};
use h3o::{CellIndex, LatLng, Resolution};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// True items left in the land the strategy releases: in total and per hazard decision (in the
/// plan's order). Items are matched to hazards by `hazard_id`; items in land already released
/// are not counted (they are not the strategy's). An item's zone is "evidence" when it lies within
/// the evidence radius of a find or accident of its hazard (`evidence`: their locations and
/// hazard ids). A survey clears the evidence radius around each item it finds.
#[allow(clippy::too_many_arguments)]
pub fn true_residual_items(
    plan: &StrategyPlan,
    hazards: &[Hazard],
    activities: &[Activity],
    evidence: &[(Point<f64>, Option<&str>)],
    items: &[TruthItem<'_>],
    methods: &Methods,
    resolution: u8,
    seed: u64,
) -> (u64, Vec<u64>) {
    let Ok(res) = Resolution::try_from(resolution) else {
        return (0, vec![0; plan.hazards.len()]);
    };
    let crate::spatial::ByHazard {
        index: hazard_index,
        activities: acts,
    } = crate::spatial::ByHazard::new(hazards, activities);
    let decision_of: HashMap<usize, usize> = plan.hazards.iter().enumerate().map(|(k, d)| (d.index, k)).collect();
    let mut evidence_of: Vec<Vec<(Point<f64>, bool)>> = vec![Vec::new(); hazards.len()];
    for (p, h) in evidence {
        if let Some(&i) = h.and_then(|id| hazard_index.get(id)) {
            evidence_of[i].push((*p, true));
        }
    }
    // Items still in land to release, per decision: (location, cell, zone is evidence).
    let mut by_decision: Vec<Vec<(Point<f64>, CellIndex, bool)>> = vec![Vec::new(); plan.hazards.len()];
    for it in items.iter().filter(|i| !i.found) {
        let Some(&h) = it.hazard_id.and_then(|id| hazard_index.get(id)) else {
            continue;
        };
        let Some(&k) = decision_of.get(&h) else { continue };
        let p = it.location;
        let released = acts[h].iter().any(|a| {
            a.geometry
                .bounding_rect()
                .is_some_and(|b| p.x() >= b.min().x && p.x() <= b.max().x && p.y() >= b.min().y && p.y() <= b.max().y)
                && a.geometry.contains(&p)
        });
        if released {
            continue;
        }
        if let Some(c) = LatLng::new(p.y(), p.x()).ok().map(|ll| ll.to_cell(res)) {
            let near = crate::evidence::near_any(&p, &evidence_of[h], methods.evidence_radius_m);
            by_decision[k].push((p, c, near));
        }
    }
    let p_ts = methods.ts_item_detection();
    let q_clear = 1.0 - methods.clearance_detection;
    let mut per = vec![0u64; plan.hazards.len()];
    for (k, list) in by_decision.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let d = &plan.hazards[k];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(d.index as u64);
        let decision_cells: Vec<(CellIndex, Zone)> = d
            .units
            .iter()
            .filter_map(|u| u.cell.parse().ok().map(|c| (c, u.zone)))
            .collect();
        // The decision an item falls under: its cell and zone, else its cell, else the nearest.
        let decision_for = |c: CellIndex, zone: Zone| -> Option<usize> {
            decision_cells
                .iter()
                .position(|&(u, z)| u == c && z == zone)
                .or_else(|| decision_cells.iter().position(|&(u, _)| u == c))
                .or_else(|| {
                    decision_cells
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, (u, _))| u.grid_distance(c).unwrap_or(i32::MAX))
                        .map(|(i, _)| i)
                })
        };
        let mut groups: std::collections::BTreeMap<usize, Vec<Point<f64>>> = Default::default();
        for &(p, c, near) in list {
            let zone = if near { Zone::Evidence } else { Zone::Rest };
            match decision_for(c, zone) {
                Some(u) => groups.entry(u).or_default().push(p),
                None => per[k] += 1,
            }
        }
        for (u, pts) in groups {
            let n = pts.len();
            let left = match d.units[u].action {
                Action::Cancel => n as u64,
                Action::Clear => (0..n).filter(|_| rng.gen::<f64>() < q_clear).count() as u64,
                Action::Survey => {
                    let found: Vec<bool> = (0..n).map(|_| rng.gen::<f64>() < p_ts).collect();
                    let hits: Vec<(Point<f64>, bool)> = pts
                        .iter()
                        .zip(&found)
                        .filter(|(_, &f)| f)
                        .map(|(p, _)| (*p, true))
                        .collect();
                    let mut left = 0;
                    for (p, &f) in pts.iter().zip(&found) {
                        if f {
                            continue;
                        }
                        // Cleared around what the survey found; reduced elsewhere.
                        if crate::evidence::near_any(p, &hits, methods.evidence_radius_m) {
                            left += u64::from(rng.gen::<f64>() < q_clear);
                        } else {
                            left += 1;
                        }
                    }
                    left
                }
                Action::Chain => {
                    let (c, r) = match d.first_stage {
                        demine_plan::Stage::Nts => (d.rates.nts_cancel_share, d.rates.ts_reduce_share),
                        demine_plan::Stage::Ts => (0.0, d.rates.ts_reduce_share),
                        _ => (0.0, 0.0),
                    };
                    (0..n)
                        .filter(|_| {
                            let x: f64 = rng.gen();
                            if x < c {
                                true
                            } else if x < c + (1.0 - c) * r {
                                rng.gen::<f64>() >= p_ts
                            } else {
                                rng.gen::<f64>() >= p_ts && rng.gen::<f64>() < q_clear
                            }
                        })
                        .count() as u64
                }
            };
            per[k] += left;
        }
    }
    (per.iter().sum(), per)
}
