//! The hidden ground truth: where the synthetic world really put its explosive items.
//!
//! Contamination is drawn first, finds second: an item is found only when an activity works
//! the land it lies in and the method detects it (clearance to its depth almost always, TS
//! sampling lanes about one item in five, NTS never). So the registry sees a thinned, biased
//! sample of the truth, as in real life, and a risk model can be scored against what it
//! could not see.
//!
//! The process (in the km frame):
//! * every CHA is contaminated; an SHA is with probability `0.04 + 0.5·e^(−d/front)`, d its
//!   distance to the line of contact — most suspected land far from the fighting holds nothing;
//! * a contaminated hazard holds `1 + Poisson(3·area_km2·(0.3 + e^(−d/front)))` clusters:
//!   mine rows along the line of contact for mines, scatters (discs) for UXO and submunitions;
//! * each cluster holds `Poisson(μ)` items, μ by contamination type, scaled by closeness to the
//!   line and the scale's find density; items outside the hazard are dropped;
//! * outside every hazard, unrecorded clusters near the line ([`outside_clusters`]): land
//!   nobody suspected yet, what `demine risk suggest` should point at.

use crate::activities::{item, point_in};
use crate::hazards::Draft;
use crate::scale::Params;
use crate::util::{add, item_rng, normal, poisson, scale, Stream};
use crate::world::World;
use demine_core::{FindCategory, HazardClass};
use geo::{Contains, Point};
use rand::Rng;

/// An explosive item where the synthetic world put it: the hidden ground truth of a demo
/// campaign. Never written to the registry; `demine demo` writes it to a separate file so
/// the risk map can be scored against it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueItem {
    /// Lon/lat, WGS84.
    pub location: Point<f64>,
    /// The hazard whose land holds it; `None` for unrecorded contamination.
    pub hazard_id: Option<String>,
    pub category: FindCategory,
    pub depth_cm: f64,
    /// Whether it was reported as a find by the end of the campaign.
    pub found: bool,
}

/// An item before identifiers: km position and what a find of it would record.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub km: [f64; 2],
    pub category: FindCategory,
    pub depth_cm: f64,
    pub condition: &'static str,
    pub disposition: &'static str,
}

/// Closeness to the fighting, 1 on the line of contact.
fn closeness(distance_km: f64, params: &Params) -> f64 {
    (-distance_km.abs() / params.front_km).exp()
}

/// Mean items per cluster for a contamination type.
fn cluster_mean(contamination: &str) -> f64 {
    match contamination {
        "AP_mines" => 25.0,
        "AT_mines" => 12.0,
        "UXO" => 6.0,
        "cluster_munitions" => 20.0,
        _ => 14.0,
    }
}

/// One cluster of `n` items around `centre`: a row along `tangent` for mines, a disc otherwise.
fn cluster<R: Rng>(rng: &mut R, centre: [f64; 2], tangent: [f64; 2], contamination: &str, n: u32) -> Vec<[f64; 2]> {
    let row = match contamination {
        "AP_mines" | "AT_mines" => true,
        "mixed" => rng.gen::<bool>(),
        _ => false,
    };
    if row {
        let turn = 0.35 * normal(rng);
        let (c, s) = (turn.cos(), turn.sin());
        let along = [tangent[0] * c - tangent[1] * s, tangent[0] * s + tangent[1] * c];
        let across = [-along[1], along[0]];
        let length_km = rng.gen_range(0.05..0.4);
        let width_km = rng.gen_range(0.01..0.03);
        (0..n)
            .map(|_| {
                let a = (rng.gen::<f64>() - 0.5) * length_km;
                let b = (rng.gen::<f64>() - 0.5) * width_km;
                add(add(centre, scale(along, a)), scale(across, b))
            })
            .collect()
    } else {
        let radius_km = rng.gen_range(0.04..0.2);
        (0..n)
            .map(|_| {
                let r = radius_km * rng.gen::<f64>().sqrt();
                let a = rng.gen::<f64>() * std::f64::consts::TAU;
                add(centre, [r * a.cos(), r * a.sin()])
            })
            .collect()
    }
}

/// The items inside hazard `index` (empty for deliberate duplicates: their land's items
/// belong to the hazard they duplicate).
pub(crate) fn hazard_items(seed: u64, index: usize, draft: &Draft, params: &Params) -> Vec<Seeded> {
    if draft.duplicate_of.is_some() {
        return Vec::new();
    }
    let mut rng = item_rng(seed, Stream::Truth, index as u64);
    let near = closeness(draft.near.signed_km, params);
    let p_contaminated = match draft.class {
        HazardClass::Cha => 1.0,
        HazardClass::Sha => 0.04 + 0.5 * near,
    };
    if rng.gen::<f64>() >= p_contaminated {
        return Vec::new();
    }
    let area_km2 = draft.area_m2 / 1e6;
    let clusters = 1 + poisson(&mut rng, 3.0 * area_km2 * (0.3 + near)).min(40);
    let mean = cluster_mean(draft.contamination) * params.find_density * (0.4 + near);
    let mut out = Vec::new();
    for _ in 0..clusters {
        let Some(c) = point_in(&mut rng, &draft.km, &draft.km) else {
            continue;
        };
        let n = poisson(&mut rng, mean).max(1);
        for p in cluster(&mut rng, c, draft.near.tangent, draft.contamination, n) {
            if !draft.km.contains(&Point::new(p[0], p[1])) {
                continue;
            }
            let (category, depth_cm, condition, disposition) = item(&mut rng, draft.contamination, None);
            out.push(Seeded {
                km: p,
                category,
                depth_cm,
                condition,
                disposition,
            });
        }
    }
    out
}

/// Unrecorded contamination: `count` clusters near the line of contact, outside every hazard
/// (`inside_hazard` tells). Each is a list of items.
pub(crate) fn outside_clusters(
    seed: u64,
    count: usize,
    world: &World,
    params: &Params,
    inside_hazard: &(dyn Fn([f64; 2]) -> bool + Sync),
) -> Vec<Vec<Seeded>> {
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|k| {
            let mut rng = item_rng(seed, Stream::Outside, k as u64);
            for _ in 0..50 {
                let c = world.belt_point(&mut rng, params.front_km * 0.7, params.belt_max_km);
                if !world.inside(c, 0.2) || inside_hazard(c) {
                    continue;
                }
                let contamination = if rng.gen::<f64>() < 0.6 { "UXO" } else { "mixed" };
                let near = closeness(world.line_index.nearest(c).signed_km, params);
                let n = poisson(
                    &mut rng,
                    cluster_mean(contamination) * params.find_density * (0.4 + near),
                )
                .max(1);
                let tangent = world.line_index.nearest(c).tangent;
                return cluster(&mut rng, c, tangent, contamination, n)
                    .into_iter()
                    .filter(|&p| world.inside(p, 0.05) && !inside_hazard(p))
                    .map(|p| {
                        let (category, depth_cm, condition, disposition) = item(&mut rng, contamination, None);
                        Seeded {
                            km: p,
                            category,
                            depth_cm,
                            condition,
                            disposition,
                        }
                    })
                    .collect();
            }
            Vec::new()
        })
        .collect()
}
