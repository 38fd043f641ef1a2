//! Words on hazards (names, evidence, blockages), finds not tied to an activity, and accidents.

use crate::activities::{point_in, synthetic};
use crate::hazards::Draft;
use crate::scale::Params;
use crate::truth::Seeded;
use crate::util::{cumulative, day, day_index, item_rng, lognormal, norm, period_days, pick_cumulative, sub, Stream};
use crate::world::World;
use chrono::NaiveDate;
use demine_core::{Accident, Find, FindCategory, HazardClass};
use geo::{BoundingRect, Intersects};
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::HashSet;

/// Name, evidence and blockages of a hazard, in an information officer's words.
pub(crate) struct Words {
    pub name: String,
    pub evidence: String,
    pub blockages: Option<String>,
}

fn compass(d: [f64; 2]) -> &'static str {
    const POINTS: [&str; 8] = ["E", "NE", "N", "NW", "W", "SW", "S", "SE"];
    let a = d[1].atan2(d[0]).to_degrees().rem_euclid(360.0);
    POINTS[(((a + 22.5) / 45.0) as usize) % 8]
}

pub(crate) fn words(world: &World, draft: &Draft, seed: u64, index: usize) -> Words {
    let mut rng = item_rng(seed, Stream::Words, index as u64);
    let place = world.nearest_place(draft.centre).and_then(|i| world.places.get(i));
    let near_line = draft.near.signed_km.abs() < 3.0;
    let feature = match draft.land_use {
        "agricultural" => *["fields", "arable land", "orchards"]
            .choose(&mut rng)
            .unwrap_or(&"fields"),
        "forest" => *["forest", "forest belt", "woodland"]
            .choose(&mut rng)
            .unwrap_or(&"forest"),
        "grazing" => "pasture",
        "wetland" => "marsh",
        "road" => "road verges",
        "residential" => *["outskirts", "gardens", "farmstead"]
            .choose(&mut rng)
            .unwrap_or(&"outskirts"),
        _ => *["power line", "pumping station", "railway embankment", "gas pipeline"]
            .choose(&mut rng)
            .unwrap_or(&"power line"),
    };
    let feature = if near_line && matches!(draft.contamination, "AP_mines" | "AT_mines") && rng.gen::<f64>() < 0.5 {
        "former defensive line"
    } else {
        feature
    };
    let name = match place {
        Some(p) => {
            let d = sub(draft.centre, p.km);
            let km = norm(d);
            if km < 0.8 {
                format!("{}, {feature} (synthetic)", p.base_name)
            } else {
                format!("{} {} {:.1} km, {feature} (synthetic)", p.base_name, compass(d), km)
            }
        }
        None => format!("{feature} (synthetic)"),
    };
    let evidence = match draft.class {
        HazardClass::Sha => {
            let mut pool = [
                "military records",
                "local informant",
                "former defensive position",
                "craters observed",
                "drone imagery: disturbed ground",
                "livestock losses reported",
                "minefield record (incomplete)",
                "tripwire sighted",
            ];
            pool.shuffle(&mut rng);
            let k = rng.gen_range(1..=3);
            pool[..k].join("; ")
        }
        HazardClass::Cha => {
            let first = match draft.contamination {
                "cluster_munitions" => "submunitions on surface",
                "UXO" => "UXO on surface",
                _ => "mine found",
            };
            let second = [
                "accident",
                "EOD callout",
                "mine found during TS",
                "visible mines on surface",
            ]
            .choose(&mut rng)
            .copied()
            .unwrap_or("accident");
            if rng.gen::<f64>() < 0.6 {
                format!("{first}; {second}")
            } else {
                first.to_string()
            }
        }
    };
    let blockages = (rng.gen::<f64>() < 0.65).then(|| {
        let households = lognormal(&mut rng, 60.0, 1.0, 3.0, 3_000.0).round() as u32;
        let town = place.map_or("the village", |p| p.base_name.as_str());
        match draft.land_use {
            "agricultural" => format!("access to farmland; {households} households"),
            "grazing" => format!("grazing land; {households} households"),
            "forest" => format!("firewood and forest use; {households} households"),
            "wetland" => format!("fishing and water access; {households} households"),
            "road" => format!("road to {town} closed; {households} households"),
            "residential" => {
                if rng.gen::<bool>() {
                    format!("{households} households; school route")
                } else {
                    format!("{households} households cut off from their gardens")
                }
            }
            _ => format!("{feature} repair blocked; {} settlements", rng.gen_range(1..=6)),
        }
    });
    Words {
        name,
        evidence,
        blockages,
    }
}

/// The date a hazard was recorded: before its first activity.
pub(crate) fn reported_date(seed: u64, index: usize, first_start: Option<NaiveDate>) -> NaiveDate {
    let mut rng = item_rng(seed, Stream::Words, (1u64 << 40) + index as u64);
    match first_start {
        Some(d) => day(day_index(d) - rng.gen_range(0..60)),
        None => day(rng.gen_range(0..period_days())),
    }
}

/// Which of a CHA's true items made it confirmed: one or two found before it was recorded.
pub(crate) fn evidence_picks(seed: u64, index: usize, draft: &Draft, items: &[Seeded]) -> Vec<usize> {
    if draft.class != HazardClass::Cha || draft.duplicate_of.is_some() || items.is_empty() {
        return Vec::new();
    }
    let mut rng = item_rng(seed, Stream::Evidence, index as u64);
    let n = (1 + usize::from(rng.gen::<f64>() < 0.4)).min(items.len());
    rand::seq::index::sample(&mut rng, items.len(), n).into_vec()
}

/// The finds that made CHAs confirmed ([`evidence_picks`]), dated up to the day each hazard
/// was recorded, outside any activity.
pub(crate) fn evidence_finds(
    seed: u64,
    drafts: &[Draft],
    ids: &[String],
    reported: &[NaiveDate],
    items: &[Vec<Seeded>],
    picks: &[Vec<usize>],
    world: &World,
) -> Vec<Find> {
    (0..drafts.len())
        .into_par_iter()
        .filter(|&i| !picks[i].is_empty())
        .flat_map_iter(|i| {
            let mut rng = item_rng(seed, Stream::Evidence, (1u64 << 40) + i as u64);
            picks[i]
                .iter()
                .map(|&k| {
                    let it = &items[i][k];
                    Find {
                        id: String::new(),
                        date: day(rng.gen_range(0..=day_index(reported[i]).max(0))),
                        category: it.category,
                        location: world.frame.point(it.km),
                        hazard_id: Some(ids[i].clone()),
                        activity_id: None,
                        depth_cm: Some(it.depth_cm),
                        condition: Some(it.condition.to_string()),
                        disposition: Some(it.disposition.to_string()),
                        attributes: synthetic(),
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Items reported by people and destroyed by EOD call-outs, outside any planned activity:
/// most finds in a real registry. Surface items are reported far more often than buried
/// ones. Marks them found.
pub(crate) fn callout_finds(
    seed: u64,
    ids: &[String],
    items: &[Vec<Seeded>],
    found: &mut [Vec<bool>],
    world: &World,
) -> Vec<Find> {
    found
        .par_iter_mut()
        .enumerate()
        .flat_map_iter(|(i, found)| {
            let mut rng = item_rng(seed, Stream::Truth, (1u64 << 40) + i as u64);
            let mut out = Vec::new();
            for (k, it) in items[i].iter().enumerate() {
                let p_reported = if it.depth_cm <= 0.0 { 0.35 } else { 0.08 };
                if found[k] || rng.gen::<f64>() >= p_reported {
                    continue;
                }
                found[k] = true;
                let mut attributes = synthetic();
                attributes.insert(
                    "note".into(),
                    serde_json::Value::String("EOD call-out (synthetic)".into()),
                );
                out.push(Find {
                    id: String::new(),
                    date: day(rng.gen_range(0..period_days())),
                    category: it.category,
                    location: world.frame.point(it.km),
                    hazard_id: Some(ids[i].clone()),
                    activity_id: None,
                    depth_cm: Some(it.depth_cm),
                    condition: Some(it.condition.to_string()),
                    disposition: Some(it.disposition.to_string()),
                    attributes,
                });
            }
            out
        })
        .collect()
}

/// Hazard outlines (km) indexed by bounding box, to tell whether a point is in any hazard.
pub(crate) struct HazardIndex<'a> {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    drafts: &'a [Draft],
}

impl<'a> HazardIndex<'a> {
    pub(crate) fn new(drafts: &'a [Draft]) -> HazardIndex<'a> {
        let items = drafts
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let r = d.km.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        HazardIndex {
            tree: RTree::bulk_load(items),
            drafts,
        }
    }

    /// Index of a hazard containing `p` (km), if any.
    pub(crate) fn containing(&self, p: [f64; 2]) -> Option<usize> {
        let pt = geo::Point::new(p[0], p[1]);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point(p))
            .map(|g| g.data)
            .filter(|&i| self.drafts[i].km.intersects(&pt))
            .min()
    }
}

/// About `count` finds outside every recorded hazard, reported by the public from the
/// unrecorded clusters (round robin over clusters): evidence of contamination nobody suspected.
/// Returns the finds and which (cluster, item) each one is.
pub(crate) fn outside_finds(
    seed: u64,
    count: usize,
    clusters: &[Vec<Seeded>],
    world: &World,
) -> (Vec<Find>, HashSet<(usize, usize)>) {
    let mut out = Vec::with_capacity(count);
    let mut taken = HashSet::new();
    let mut rng = item_rng(seed, Stream::Outside, 1u64 << 40);
    let nonempty: Vec<usize> = (0..clusters.len()).filter(|&c| !clusters[c].is_empty()).collect();
    for k in 0..count {
        let Some(&c) = nonempty.get(k % nonempty.len().max(1)) else {
            break;
        };
        let i = rng.gen_range(0..clusters[c].len());
        if !taken.insert((c, i)) {
            continue;
        }
        let it = &clusters[c][i];
        let mut attributes = synthetic();
        attributes.insert(
            "note".into(),
            serde_json::Value::String("found outside every recorded hazard (synthetic)".into()),
        );
        out.push(Find {
            id: String::new(),
            date: day(rng.gen_range(0..period_days())),
            category: it.category,
            location: world.frame.point(it.km),
            hazard_id: None,
            activity_id: None,
            depth_cm: Some(it.depth_cm),
            condition: Some(it.condition.to_string()),
            disposition: Some(it.disposition.to_string()),
            attributes,
        });
    }
    (out, taken)
}

/// Accidents near the line of contact, some inside hazards (mostly CHAs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn accidents(
    seed: u64,
    drafts: &[Draft],
    ids: &[String],
    items: &[Vec<Seeded>],
    outside: &[Vec<Seeded>],
    index: &HazardIndex<'_>,
    world: &World,
    params: &Params,
) -> Vec<Accident> {
    let mut rng = item_rng(seed, Stream::Accident, 0);
    let n = rng.gen_range(params.accidents.0..=params.accidents.1);
    let cum = cumulative(drafts.iter().map(|d| {
        let w = if d.class == HazardClass::Cha { 3.0 } else { 1.0 };
        w * (-d.near.signed_km.abs() / params.front_km).exp() * d.area_m2.sqrt()
    }));
    let mut out: Vec<Accident> = (0..n)
        .into_par_iter()
        .map(|k| {
            let mut rng = item_rng(seed, Stream::Accident, 1 + k as u64);
            // Accidents happen where items are: in hazards (at one of their items when they
            // hold any), at unrecorded clusters, or anywhere in the belt (items not modelled).
            let mut p = None;
            let r: f64 = rng.gen();
            if !drafts.is_empty() && r < 0.45 {
                let h = pick_cumulative(&mut rng, &cum);
                p = if items[h].is_empty() {
                    point_in(&mut rng, &drafts[h].km, &drafts[h].km)
                } else {
                    Some(items[h][rng.gen_range(0..items[h].len())].km)
                };
            } else if r < 0.65 && !outside.is_empty() {
                let c = &outside[rng.gen_range(0..outside.len())];
                p = c.get(rng.gen_range(0..c.len().max(1))).map(|it| it.km);
            }
            let p = p.unwrap_or_else(|| {
                let mut q = world.belt_point(&mut rng, params.front_km, params.belt_max_km);
                for _ in 0..20 {
                    if world.inside(q, 0.05) {
                        break;
                    }
                    q = world.belt_point(&mut rng, params.front_km, params.belt_max_km);
                }
                q
            });
            let killed = crate::util::weighted(&mut rng, &[(0u32, 0.6), (1, 0.3), (2, 0.08), (3, 0.02)]);
            let mut injured = crate::util::weighted(&mut rng, &[(0u32, 0.3), (1, 0.45), (2, 0.17), (3, 0.08)]);
            if killed + injured == 0 {
                injured = 1;
            }
            let mut attributes = synthetic();
            let activity = crate::util::weighted(
                &mut rng,
                &[
                    ("farming", 0.3),
                    ("walking", 0.15),
                    ("driving", 0.15),
                    ("collecting firewood", 0.12),
                    ("herding livestock", 0.1),
                    ("demining", 0.08),
                    ("repair work", 0.06),
                    ("handling an item", 0.04),
                ],
            );
            let device = crate::util::weighted(
                &mut rng,
                &[
                    (FindCategory::ApMine, 0.4),
                    (FindCategory::AtMine, 0.2),
                    (FindCategory::Uxo, 0.2),
                    (FindCategory::Submunition, 0.1),
                    (FindCategory::Ied, 0.05),
                    (FindCategory::Other, 0.05),
                ],
            );
            attributes.insert("victim_activity".into(), serde_json::Value::String(activity.into()));
            attributes.insert("device".into(), serde_json::Value::String(device.as_str().into()));
            Accident {
                id: String::new(),
                date: day(rng.gen_range(0..period_days())),
                killed,
                injured,
                location: world.frame.point(p),
                hazard_id: index.containing(p).map(|i| ids[i].clone()),
                attributes,
            }
        })
        .collect();
    out.sort_by_key(|a| a.date);
    for (k, a) in out.iter_mut().enumerate() {
        a.id = crate::util::ident("ACC", k + 1);
    }
    out
}
