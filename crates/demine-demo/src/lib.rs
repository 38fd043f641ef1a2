//! # demine-demo
//!
//! A deterministic generator of **SYNTHETIC** mine action campaigns, for `demine demo`, for
//! tests and for benchmarks: a region with a former line of contact, settlements and roads;
//! operators and their teams; hazardous areas (SHA/CHA) concentrated along the line, around
//! settlements and at road junctions; the land-release activities already done on them (NTS
//! cancelled, TS reduced, clearance/BAC/EOD cleared); the items found; and accidents.
//!
//! **Owns:** the synthetic landscape and every random decision that makes a campaign look like
//! real registry data (shapes, sizes, attributes, dates, the usual data-quality problems such
//! as duplicate hazards reported by two operators, activities drawn slightly outside their
//! hazard and finds outside every recorded hazard).
//!
//! **Must never depend on:** the store, any file format, or the CLI. It returns
//! [`demine_core`] domain values; writing them anywhere is someone else's job.
//!
//! Guarantees:
//! * the same `(scale, seed)` gives an identical [`Campaign`], whatever the number of threads
//!   (every item draws from its own ChaCha8 stream keyed by seed, stage and index);
//! * every hazard and activity polygon passes
//!   [`demine_core::validate::validate_polygons`] with no error and no warning;
//! * every record says it is synthetic: `"synthetic": true` in its attributes, "(synthetic)" in
//!   hazard, settlement and operator names.
//!
//! ```
//! let c = demine_demo::generate(demine_demo::Scale::Small, 7);
//! assert!(c.name.starts_with("SYNTHETIC"));
//! assert!(!c.hazards.is_empty());
//! ```

mod activities;
mod actors;
mod extras;
mod hazards;
mod scale;
mod truth;
mod util;
mod world;

pub use scale::Scale;
pub use truth::TrueItem;

use demine_core::{Accident, Activity, Find, Hazard, Organisation, Team};
use geo::{LineString, Point};
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use util::{ident, item_rng, Stream};

/// A settlement of the synthetic landscape.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// Made-up name, marked "(synthetic)".
    pub name: String,
    /// Lon/lat, WGS84.
    pub location: Point<f64>,
    pub population: u32,
}

/// A complete synthetic campaign: landscape, operators, registry and field records.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// e.g. "SYNTHETIC campaign — Region scale, seed 42".
    pub name: String,
    /// min_lon, min_lat, max_lon, max_lat.
    pub region_bbox: [f64; 4],
    /// The former line of contact (lon/lat).
    pub line_of_contact: LineString<f64>,
    pub settlements: Vec<Settlement>,
    /// Roads between settlements (lon/lat).
    pub roads: Vec<LineString<f64>>,
    pub organisations: Vec<Organisation>,
    pub teams: Vec<Team>,
    pub hazards: Vec<Hazard>,
    /// Land-release activities, in the order they started.
    pub activities: Vec<Activity>,
    /// Items found, by date.
    pub finds: Vec<Find>,
    /// Accidents, by date.
    pub accidents: Vec<Accident>,
    /// The hidden ground truth: every item the synthetic world put in the ground, inside
    /// hazards and outside them, with whether it was found. Not part of the registry.
    pub ground_truth: Vec<TrueItem>,
}

/// Generates the campaign for a scale and seed.
pub fn generate(scale: Scale, seed: u64) -> Campaign {
    generate_with_progress(scale, seed, &|_, _| {})
}

/// Units of work reported by [`generate_with_progress`].
pub const PROGRESS_TOTAL: u64 = 1_000;

/// Same as [`generate`], reporting progress as `(done, total)` with `done` in `0..=total`
/// (total is [`PROGRESS_TOTAL`]), for a progress bar on the national scale. The callback may be
/// called from several threads, never with a smaller `done` than an earlier call.
pub fn generate_with_progress(scale: Scale, seed: u64, progress: &(dyn Fn(u64, u64) + Sync)) -> Campaign {
    let report = Reporter::new(progress);
    report.set(0);
    let params = scale.params();
    let world = world::World::build(&params, seed);

    // Hazard outlines: centres, then outlines clamped into their Voronoi cells (in parallel).
    let centres = hazards::centres(&world, &params, seed);
    report.set(20);
    let tree = RTree::bulk_load(
        centres
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(c.c, i))
            .collect(),
    );
    let r_max = centres.iter().map(|c| c.r).fold(0.0, f64::max);
    let done = AtomicU64::new(0);
    let n_candidates = centres.len() as u64;
    let candidates: Vec<Option<hazards::Draft>> = (0..centres.len())
        .into_par_iter()
        .map(|i| {
            let d = hazards::shape(i, &centres, &tree, r_max, &world, &params, seed);
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            report.stage(20, 550, k, n_candidates);
            d
        })
        .collect();
    drop(tree);

    // Take hazards in (spatially random) order until the suspected area reaches the target.
    let mut rng = item_rng(seed, Stream::Select, 0);
    let target_m2 = rng.gen_range(params.target_area_km2.0..=params.target_area_km2.1) * 1e6;
    let mut kept: Vec<hazards::Draft> = Vec::new();
    let mut total = 0.0;
    for d in candidates.into_iter().flatten() {
        if total >= target_m2 || kept.len() >= params.max_hazards {
            break;
        }
        total += d.area_m2;
        kept.push(d);
    }

    // Deliberate duplicates: the same land reported again by another operator.
    let n_dup = (kept.len() as f64 * rng.gen_range(0.02..0.03)).round() as usize;
    let originals = rand::seq::index::sample(&mut rng, kept.len(), n_dup.min(kept.len())).into_vec();
    let dups: Vec<hazards::Draft> = originals
        .par_iter()
        .filter_map(|&o| {
            let mut r = item_rng(seed, Stream::Select, 1 + o as u64);
            hazards::duplicate(&mut r, o, &kept[o], &world)
        })
        .collect();
    kept.extend(dups);

    // Registry order: shuffled, so that duplicates do not stand out by their identifier.
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.shuffle(&mut rng);
    let mut position = vec![0usize; kept.len()];
    for (pos, &k) in order.iter().enumerate() {
        position[k] = pos;
    }
    let mut slots: Vec<Option<hazards::Draft>> = kept.into_iter().map(Some).collect();
    let drafts: Vec<hazards::Draft> = order
        .iter()
        .filter_map(|&k| {
            let mut d = slots[k].take()?;
            d.duplicate_of = d.duplicate_of.map(|o| position[o]);
            Some(d)
        })
        .collect();
    let ids: Vec<String> = (0..drafts.len()).map(|i| ident("HAZ", i + 1)).collect();
    report.set(580);

    // Operators and teams.
    let organisations = actors::organisations();
    let teams = actors::teams(&world, &params, seed);
    let pool = actors::TeamPool::new(&teams, &world);

    // The hidden truth inside hazards; the items that made CHAs confirmed were found first.
    let items: Vec<Vec<truth::Seeded>> = drafts
        .par_iter()
        .enumerate()
        .map(|(i, d)| truth::hazard_items(seed, i, d, &params))
        .collect();
    let evidence: Vec<Vec<usize>> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| extras::evidence_picks(seed, i, d, &items[i]))
        .collect();

    // Activities and the items they found (in parallel, per hazard).
    let done = AtomicU64::new(0);
    let n_drafts = drafts.len() as u64;
    let worked: Vec<activities::Worked> = drafts
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let mut found = vec![false; items[i].len()];
            for &k in &evidence[i] {
                found[k] = true;
            }
            let w = activities::work(seed, i, d, &ids[i], &teams, &pool, world.frame, &items[i], found);
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            report.stage(580, 930, k, n_drafts);
            w
        })
        .collect();

    // Hazard records.
    let reported: Vec<chrono::NaiveDate> = worked
        .iter()
        .enumerate()
        .map(|(i, w)| extras::reported_date(seed, i, w.first_start))
        .collect();
    let orgs = operator_choices(seed, &drafts);
    let hazards: Vec<Hazard> = drafts
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let words = extras::words(&world, d, seed, i);
            let mut attributes = activities::synthetic();
            attributes.insert(
                "reported_date".into(),
                serde_json::Value::String(reported[i].to_string()),
            );
            if let Some(o) = d.duplicate_of {
                attributes.insert(
                    "synthetic_duplicate_of".into(),
                    serde_json::Value::String(ids[o].clone()),
                );
            }
            Hazard {
                id: ids[i].clone(),
                class: d.class,
                geometry: d.geometry.clone(),
                name: Some(words.name),
                reported_status: Some(worked[i].status.to_string()),
                organisation: Some(orgs[i].to_string()),
                land_use: Some(d.land_use.to_string()),
                contamination: Some(d.contamination.to_string()),
                evidence: Some(words.evidence),
                blockages: words.blockages,
                recorded_date: Some(reported[i]),
                attributes,
            }
        })
        .collect();

    // Activity identifiers in the order the work started; finds point at them.
    let mut acts: Vec<(usize, usize, Activity)> = Vec::new();
    let mut finds: Vec<((usize, usize), Find)> = Vec::new();
    let mut found: Vec<Vec<bool>> = Vec::with_capacity(worked.len());
    for (h, w) in worked.into_iter().enumerate() {
        found.push(w.found);
        for (k, a) in w.activities.into_iter().enumerate() {
            acts.push((h, k, a));
        }
        for (k, f) in w.finds {
            finds.push(((h, k), f));
        }
    }
    acts.sort_by_key(|a| (a.2.start_date, a.2.end_date, a.0, a.1));
    let mut act_ids: HashMap<(usize, usize), String> = HashMap::with_capacity(acts.len());
    let activities: Vec<Activity> = acts
        .into_iter()
        .enumerate()
        .map(|(n, (h, k, mut a))| {
            a.id = ident("ACT", n + 1);
            act_ids.insert((h, k), a.id.clone());
            a
        })
        .collect();
    let mut finds: Vec<Find> = finds
        .into_iter()
        .map(|(key, mut f)| {
            f.activity_id = act_ids.get(&key).cloned();
            f
        })
        .collect();
    report.set(950);

    // Finds that made CHAs confirmed; EOD call-outs; unrecorded contamination outside every
    // hazard, of which about 1 % of all finds are reported; accidents.
    finds.extend(extras::evidence_finds(
        seed, &drafts, &ids, &reported, &items, &evidence, &world,
    ));
    finds.extend(extras::callout_finds(seed, &ids, &items, &mut found, &world));
    let index = extras::HazardIndex::new(&drafts);
    let n_outside = ((finds.len() as f64) * 0.01).round().max(1.0) as usize;
    let outside = truth::outside_clusters(seed, (n_outside / 2).max(2), &world, &params, &|p| {
        index.containing(p).is_some()
    });
    let (outside_finds, outside_found) = extras::outside_finds(seed, n_outside, &outside, &world);
    finds.extend(outside_finds);
    finds.sort_by_key(|f| f.date);
    for (n, f) in finds.iter_mut().enumerate() {
        f.id = ident("FND", n + 1);
    }
    let accidents = extras::accidents(seed, &drafts, &ids, &items, &outside, &index, &world, &params);

    let mut ground_truth: Vec<TrueItem> = Vec::new();
    let truth_of = |it: &truth::Seeded, hazard_id: Option<String>, found: bool| TrueItem {
        location: world.frame.point(it.km),
        hazard_id,
        category: it.category,
        depth_cm: it.depth_cm,
        found,
    };
    for (i, list) in items.iter().enumerate() {
        for (k, it) in list.iter().enumerate() {
            ground_truth.push(truth_of(it, Some(ids[i].clone()), found[i][k]));
        }
    }
    for (c, list) in outside.iter().enumerate() {
        for (k, it) in list.iter().enumerate() {
            ground_truth.push(truth_of(it, None, outside_found.contains(&(c, k))));
        }
    }

    let settlements = world
        .places
        .iter()
        .map(|p| Settlement {
            name: format!("{} (synthetic)", p.base_name),
            location: world.frame.point(p.km),
            population: p.population,
        })
        .collect();
    let roads = world.roads.iter().map(|r| world.frame.line_string(&r.pts)).collect();
    let campaign = Campaign {
        name: format!("SYNTHETIC campaign — {} scale, seed {seed}", scale.title()),
        region_bbox: params.bbox,
        line_of_contact: world.frame.line_string(&world.line.pts),
        settlements,
        roads,
        organisations,
        teams,
        hazards,
        activities,
        finds,
        accidents,
        ground_truth,
    };
    report.set(PROGRESS_TOTAL);
    campaign
}

/// The reporting operator of each hazard; a duplicate is always reported by another operator
/// than the hazard it duplicates.
fn operator_choices(seed: u64, drafts: &[hazards::Draft]) -> Vec<&'static str> {
    let pick = |i: usize, d: &hazards::Draft, not: Option<&str>| -> &'static str {
        let mut rng = item_rng(seed, Stream::Words, (2u64 << 40) + i as u64);
        let closeness = (-d.near.signed_km.abs() / 3.0).exp();
        let weights: Vec<(&'static str, f64)> = actors::OPERATORS
            .iter()
            .map(|(id, _, kind, _)| {
                let w = match *kind {
                    "military" => 1.0 + 3.0 * closeness,
                    "ngo" => 2.0,
                    "authority" => 1.5,
                    _ => 1.0,
                };
                (*id, if Some(*id) == not { 0.0 } else { w })
            })
            .collect();
        util::weighted(&mut rng, &weights)
    };
    let mut out: Vec<&'static str> = drafts.iter().enumerate().map(|(i, d)| pick(i, d, None)).collect();
    for (i, d) in drafts.iter().enumerate() {
        if let Some(o) = d.duplicate_of {
            let not = out[o];
            out[i] = pick(i, d, Some(not));
        }
    }
    out
}

/// Turns stage progress into monotone calls of the user's callback, about every 0.5 %.
struct Reporter<'a> {
    callback: &'a (dyn Fn(u64, u64) + Sync),
    last: Mutex<u64>,
}

impl<'a> Reporter<'a> {
    fn new(callback: &'a (dyn Fn(u64, u64) + Sync)) -> Reporter<'a> {
        Reporter {
            callback,
            last: Mutex::new(0),
        }
    }

    fn set(&self, done: u64) {
        let done = done.min(PROGRESS_TOTAL);
        if let Ok(mut last) = self.last.lock() {
            if done >= *last {
                *last = done;
                (self.callback)(done, PROGRESS_TOTAL);
            }
        }
    }

    /// Progress `k` of `n` within the stage spanning `from..to` units.
    fn stage(&self, from: u64, to: u64, k: u64, n: u64) {
        let step = (n / 200).max(1);
        if k % step == 0 || k == n {
            self.set(from + (to - from) * k / n.max(1));
        }
    }
}

#[cfg(test)]
mod tests;
