//! The evidence of each hazard, cut into units: the hazard's land inside one H3 cell of the risk
//! map. A unit knows its modelled risk, how much of it past work released and with which
//! detection, what is left, and the finds and accidents inside it.
//!
//! Land is measured by sampling: the H3 cells two (or more) resolutions finer than the risk map
//! whose centre lies in the hazard (at least [`MIN_POINTS`] per hazard) stand for equal shares of
//! its geodesic area. Each sample point carries the methods that worked it (every activity of the
//! hazard whose footprint holds it): an item there is found with probability 1 − Π(1 − pᵢ).
//! Items are taken as spread evenly within a unit, so a unit's *item shares* are shares of its
//! sample points weighted by detection.

use crate::methods::Methods;
use demine_core::release::RegistryRelease;
use demine_core::{Accident, Activity, Find, Hazard, HazardClass, Outcome, RiskCell};
use geo::{BoundingRect, Contains, Point};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Sample points a hazard gets at least (finer resolutions are tried until it has them).
pub const MIN_POINTS: usize = 24;

/// A hazard's land inside one risk-map cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    /// The risk map's cell.
    #[serde(serialize_with = "ser_cell")]
    pub cell: CellIndex,
    /// The risk map's calibrated probability for the cell (P(a find or an accident in it)).
    pub risk: f64,
    /// Area of the hazard inside the cell, m².
    pub area_m2: f64,
    /// That area over the cell's area (0–1).
    pub cell_share: f64,
    /// The unit's land in pieces worked alike: released or not, and the detection of past work.
    pub land: Vec<LandPiece>,
    /// Share of the unit's items past work was expected to find: Σ over its land of the
    /// detection of the methods that worked it, over the unit's area.
    pub found_share: f64,
    /// Share of the unit's items lying in land already released and missed by the methods
    /// that worked it.
    pub missed_share: f64,
    /// Share of the unit's land (and items) still to release.
    pub remaining_share: f64,
    /// Share of the unit's land released, by outcome (cancelled, reduced, cleared).
    pub released_by_outcome: [f64; 3],
    /// Finds in the unit: by past work, or reported by people (EOD call-outs) anywhere in it.
    pub finds: u32,
    /// Of those, finds outside the land past work covered (reports, call-outs).
    pub reported_finds: u32,
    /// Direct evidence the cell is contaminated whose chance is not modelled: an accident.
    pub evidence: bool,
    /// Distance on the risk map's grid (cells) to the nearest *other* unit of the hazard with
    /// finds or an accident; `None` when no other unit has any.
    pub evidence_distance: Option<u32>,
    /// Whether the unit is the hazard's land in its cell within [`Methods::evidence_radius_m`]
    /// of the direct evidence that confirmed the hazard ([`Methods::evidence_buffer_units`]).
    #[serde(default)]
    pub evidence_buffer: bool,
}

/// Land of a unit worked alike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LandPiece {
    /// Share of the unit's area.
    pub share: f64,
    /// Probability that past work found an item lying here (0 where no work reached).
    pub work_detection: f64,
    /// Whether the land has been released.
    pub released: bool,
    /// Whether it lies within [`Methods::evidence_radius_m`] of a find or accident of the hazard.
    pub near_evidence: bool,
}

fn ser_cell<S: serde::Serializer>(c: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// A hazard and its units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardUnits {
    /// Index of the hazard in the registry's list.
    pub index: usize,
    pub id: String,
    pub class: HazardClass,
    pub area_m2: f64,
    /// Land still to release (from the accounting), m².
    pub remaining_m2: f64,
    /// The contamination recorded for the hazard (`AP_mines`, `UXO`, …), if any.
    pub contamination: Option<String>,
    pub units: Vec<Unit>,
}

impl HazardUnits {
    /// Finds, over all units.
    pub fn finds(&self) -> u32 {
        self.units.iter().map(|u| u.finds).sum()
    }
    /// Whether any unit holds direct evidence (finds anywhere, accidents).
    pub fn has_direct_evidence(&self) -> bool {
        self.units.iter().any(|u| u.evidence || u.finds > 0)
    }
    /// Whether the hazard holds direct evidence recorded before any work: an accident, or a find
    /// that confirmed it (finds of later work or reports do not count; see
    /// [`Self::has_direct_evidence`]).
    pub fn has_evidence_before_work(&self) -> bool {
        self.units.iter().any(|u| u.evidence)
    }
    /// Released area of the hazard, m².
    pub fn released_m2(&self) -> f64 {
        self.units.iter().map(|u| u.area_m2 * (1.0 - u.remaining_share)).sum()
    }
}

/// What the units are made from.
#[derive(Debug, Clone, Copy)]
pub struct Registry<'a> {
    pub hazards: &'a [Hazard],
    pub activities: &'a [Activity],
    /// `account_records(hazards, activities, …)`: `per_hazard[i]` belongs to `hazards[i]`.
    pub release: &'a RegistryRelease,
    pub finds: &'a [Find],
    pub accidents: &'a [Accident],
    /// The risk map (all cells of one resolution).
    pub cells: &'a [RiskCell],
}

/// Why units cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the risk map is empty: build it first (`demine risk build`)")]
    NoRiskMap,
    #[error("risk cell '{0}' is not an H3 cell index")]
    BadCell(String),
    #[error("the risk map mixes H3 resolutions {0} and {1}")]
    MixedResolutions(u8, u8),
    #[error("the land-release accounting has {got} hazards, the registry {want}: account the same hazards")]
    Mismatch { got: usize, want: usize },
}

fn cell_of(p: Point<f64>, res: Resolution) -> Option<CellIndex> {
    LatLng::new(p.y(), p.x()).ok().map(|ll| ll.to_cell(res))
}

/// Sample points of a hazard: centres of fine H3 cells inside it, refined until there are at
/// least [`MIN_POINTS`]; a hazard too small even then is its first vertex.
fn sample_points(h: &Hazard, map_res: Resolution) -> Vec<Point<f64>> {
    let base = u8::from(map_res);
    let mut last = Vec::new();
    for extra in 2..=5u8 {
        let Ok(res) = Resolution::try_from((base + extra).min(15)) else {
            break;
        };
        let mut tiler = TilerBuilder::new(res)
            .containment_mode(ContainmentMode::ContainsCentroid)
            .build();
        let mut ok = true;
        for p in &h.geometry.0 {
            if tiler.add(p.clone()).is_err() {
                ok = false;
            }
        }
        if !ok {
            break;
        }
        let pts: Vec<Point<f64>> = tiler
            .into_coverage()
            .map(|c| {
                let ll = LatLng::from(c);
                Point::new(ll.lng(), ll.lat())
            })
            .collect();
        if pts.len() >= MIN_POINTS {
            return pts;
        }
        last = pts;
        if base + extra >= 15 {
            break;
        }
    }
    if last.is_empty() {
        if let Some(c) = h.geometry.0.first().and_then(|p| p.exterior().0.first()) {
            last.push(Point(*c));
        }
    }
    last
}

/// Whether `p` lies within `radius_m` of any of `points` (local equirectangular metres).
pub(crate) fn near_any(p: &Point<f64>, points: &[(Point<f64>, bool)], radius_m: f64) -> bool {
    if radius_m <= 0.0 {
        return false;
    }
    let frame = demine_core::geodesy::LocalFrame::at(p.x(), p.y());
    let r2 = radius_m * radius_m;
    points.iter().any(|(q, _)| {
        let d = frame.xy(q.0);
        d.x * d.x + d.y * d.y <= r2
    })
}

/// Sets each unit's [`Unit::evidence_distance`]: grid distance to the nearest other unit with
/// finds or an accident.
pub(crate) fn set_evidence_distances(units: &mut [Unit]) {
    let with: Vec<(usize, CellIndex)> = units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.finds > 0 || u.evidence)
        .map(|(k, u)| (k, u.cell))
        .collect();
    for (k, u) in units.iter_mut().enumerate() {
        u.evidence_distance = with
            .iter()
            .filter(|(j, _)| *j != k)
            .map(|(_, c)| u.cell.grid_distance(*c).map_or(u32::MAX, |d| d.unsigned_abs()))
            .min();
    }
}

/// Whether find `f` is the direct evidence that confirmed hazard `h`: a confirmed hazard's find
/// dated on or before the day the hazard was recorded. Such finds are why the hazard exists, not
/// a sample of how often people report items, so the model takes them as evidence whose chance
/// it does not model (as an accident), not as finds.
fn confirmed_it(h: &Hazard, f: &Find) -> bool {
    h.class == HazardClass::Cha && h.recorded_date.is_some_and(|d| f.date <= d)
}

/// Cuts every hazard into units (see the module doc).
pub fn hazard_units(reg: &Registry<'_>, methods: &Methods) -> Result<Vec<HazardUnits>, EvidenceError> {
    if reg.release.per_hazard.len() != reg.hazards.len() {
        return Err(EvidenceError::Mismatch {
            got: reg.release.per_hazard.len(),
            want: reg.hazards.len(),
        });
    }
    let first = reg.cells.first().ok_or(EvidenceError::NoRiskMap)?;
    let res = Resolution::try_from(first.resolution).map_err(|_| EvidenceError::BadCell(first.cell.clone()))?;
    let mut risk: HashMap<CellIndex, f64> = HashMap::with_capacity(reg.cells.len());
    for c in reg.cells {
        if c.resolution != first.resolution {
            return Err(EvidenceError::MixedResolutions(first.resolution, c.resolution));
        }
        let idx: CellIndex = c.cell.parse().map_err(|_| EvidenceError::BadCell(c.cell.clone()))?;
        risk.insert(idx, c.risk.clamp(0.0, 1.0));
    }
    let mean_risk = reg.cells.iter().map(|c| c.risk).sum::<f64>() / reg.cells.len() as f64;

    let crate::spatial::ByHazard {
        index,
        activities: acts,
    } = crate::spatial::ByHazard::new(reg.hazards, reg.activities);
    // Work to a recorded depth finds deeper items only by chance (`depth`), learned from the
    // depths of the registry's finds.
    let depth = if methods.depth_aware {
        crate::depth::DepthModel::fit(reg.hazards, reg.activities, reg.finds)
    } else {
        None
    };
    let detection_of = |a: &Activity, contamination: Option<&str>| match &depth {
        Some(d) => d.detection(methods, a.activity_type, a.depth_cm, contamination),
        None => methods.item_detection(a.activity_type),
    };
    // Finds and accidents by hazard: their hazard id, else the hazard holding them. The finds that
    // confirmed a hazard go with the accidents ([`confirmed_it`]).
    let locate = crate::spatial::HazardLocator::new(reg.hazards);
    let mut points_of: Vec<Vec<(Point<f64>, bool)>> = vec![Vec::new(); reg.hazards.len()];
    for f in reg.finds {
        let h = f
            .hazard_id
            .as_deref()
            .and_then(|id| index.get(id).copied())
            .or_else(|| locate.hazard_of(f.location));
        if let Some(i) = h {
            points_of[i].push((f.location, !confirmed_it(&reg.hazards[i], f)));
        }
    }
    for a in reg.accidents {
        let h = a
            .hazard_id
            .as_deref()
            .and_then(|id| index.get(id).copied())
            .or_else(|| locate.hazard_of(a.location));
        if let Some(i) = h {
            points_of[i].push((a.location, false));
        }
    }

    Ok(reg
        .hazards
        .par_iter()
        .enumerate()
        .map(|(i, h)| {
            let rel = &reg.release.per_hazard[i];
            let mut works: Vec<(&Activity, geo::Rect<f64>)> = acts[i]
                .iter()
                .filter_map(|a| a.geometry.bounding_rect().map(|b| (*a, b)))
                .collect();
            // Earliest first: the outcome of a piece of land is that of the first activity.
            works.sort_by(|a, b| (a.0.end_date, &a.0.id).cmp(&(b.0.end_date, &b.0.id)));
            let pts = sample_points(h, res);
            // Per cell: (points, found mass, missed mass, remaining points, by outcome, pieces).
            #[allow(clippy::type_complexity)]
            let mut acc: Vec<(
                (CellIndex, bool),
                f64,
                f64,
                f64,
                f64,
                [f64; 3],
                Vec<(bool, f64, bool, f64)>,
            )> = Vec::new();
            let near = |p: &Point<f64>| near_any(p, &points_of[i], methods.evidence_radius_m);
            // The evidence known before any work (accidents, the finds that confirmed the
            // hazard): land around it is a unit of its own, a covariate rather than an outcome.
            let direct: Vec<(Point<f64>, bool)> = points_of[i].iter().filter(|p| !p.1).copied().collect();
            let buffer =
                |p: &Point<f64>| methods.evidence_buffer_units && near_any(p, &direct, methods.evidence_radius_m);
            for p in &pts {
                let Some(cell) = cell_of(*p, res) else { continue };
                let mut q = 1.0;
                let mut outcome: Option<Outcome> = None;
                for (a, bb) in &works {
                    let c = p.0;
                    if c.x < bb.min().x || c.x > bb.max().x || c.y < bb.min().y || c.y > bb.max().y {
                        continue;
                    }
                    if a.geometry.contains(p) {
                        q *= 1.0 - detection_of(a, h.contamination.as_deref());
                        outcome.get_or_insert(a.outcome);
                    }
                }
                let key = (cell, buffer(p));
                let k = match acc.iter().position(|e| e.0 == key) {
                    Some(k) => k,
                    None => {
                        acc.push((key, 0.0, 0.0, 0.0, 0.0, [0.0; 3], Vec::new()));
                        acc.len() - 1
                    }
                };
                let e = &mut acc[k];
                e.1 += 1.0;
                match outcome {
                    Some(o) => {
                        e.2 += 1.0 - q;
                        e.3 += q;
                        e.5[o as usize] += 1.0;
                    }
                    None => e.4 += 1.0,
                }
                // Pieces: same released state, detection (to 0.1 %) and nearness to evidence.
                let key = (outcome.is_some(), ((1.0 - q) * 1000.0).round() / 1000.0, near(p));
                match e.6.iter_mut().find(|p| p.0 == key.0 && p.1 == key.1 && p.2 == key.2) {
                    Some(p) => p.3 += 1.0,
                    None => e.6.push((key.0, key.1, key.2, 1.0)),
                }
            }
            let n = pts.len().max(1) as f64;
            let hazard_risk = {
                let known: Vec<f64> = acc.iter().filter_map(|e| risk.get(&e.0 .0).copied()).collect();
                if known.is_empty() {
                    mean_risk
                } else {
                    known.iter().sum::<f64>() / known.len() as f64
                }
            };
            let mut units: Vec<Unit> = acc
                .iter()
                .map(|e| Unit {
                    cell: e.0 .0,
                    risk: risk.get(&e.0 .0).copied().unwrap_or(hazard_risk),
                    area_m2: rel.area_m2 * e.1 / n,
                    cell_share: (rel.area_m2 * e.1 / n / e.0 .0.area_m2()).clamp(1e-6, 1.0),
                    land: e
                        .6
                        .iter()
                        .map(|p| LandPiece {
                            share: p.3 / e.1,
                            work_detection: p.1,
                            released: p.0,
                            near_evidence: p.2,
                        })
                        .collect(),
                    found_share: e.2 / e.1,
                    missed_share: e.3 / e.1,
                    remaining_share: e.4 / e.1,
                    released_by_outcome: e.5.map(|x| x / e.1),
                    finds: 0,
                    reported_finds: 0,
                    evidence: false,
                    evidence_distance: None,
                    evidence_buffer: e.0 .1,
                })
                .collect();
            for (pt, is_find) in &points_of[i] {
                if units.is_empty() {
                    break;
                }
                let cell = cell_of(*pt, res);
                let in_buffer = buffer(pt);
                let k = cell
                    .and_then(|c| {
                        let in_cell = |u: &&Unit| u.cell == c;
                        units
                            .iter()
                            .position(|u| in_cell(&u) && u.evidence_buffer == in_buffer)
                            .or_else(|| units.iter().position(|u| in_cell(&u)))
                    })
                    .or_else(|| {
                        // Outside the hazard's sampled cells: the nearest unit on the grid.
                        let c = cell?;
                        units
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, u)| u.cell.grid_distance(c).unwrap_or(i32::MAX))
                            .map(|(k, _)| k)
                    })
                    .unwrap_or(0);
                if *is_find {
                    units[k].finds += 1;
                    if !works.iter().any(|(a, _)| a.geometry.contains(pt)) {
                        units[k].reported_finds += 1;
                    }
                } else {
                    units[k].evidence = true;
                }
            }
            set_evidence_distances(&mut units);
            HazardUnits {
                index: i,
                id: h.id.clone(),
                class: h.class,
                area_m2: rel.area_m2,
                remaining_m2: rel.remaining_m2,
                contamination: h.contamination.clone(),
                units,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
    }

    /// Hazard "H" of `class` over `geometry`, recorded on 2024-03-10.
    fn hazard(class: HazardClass, geometry: geo::MultiPolygon<f64>) -> Hazard {
        Hazard {
            recorded_date: Some(day("2024-03-10")),
            ..Hazard::new("H", class, geometry)
        }
    }

    /// A find in hazard "H".
    fn find(id: &str, date: &str, location: Point<f64>) -> Find {
        Find {
            hazard_id: Some("H".into()),
            ..Find::new(id, day(date), demine_core::FindCategory::Uxo, location)
        }
    }

    #[test]
    fn only_a_confirmed_hazards_finds_up_to_its_recording_confirmed_it() {
        let hazard = |class| hazard(class, geo::MultiPolygon::new(vec![]));
        let find = |date: &str| find("F", date, Point::new(35.0, 48.5));
        assert!(confirmed_it(&hazard(HazardClass::Cha), &find("2024-03-10")));
        assert!(!confirmed_it(&hazard(HazardClass::Cha), &find("2024-03-11")));
        assert!(!confirmed_it(&hazard(HazardClass::Sha), &find("2024-01-01")));
        let unrecorded = Hazard {
            recorded_date: None,
            ..hazard(HazardClass::Cha)
        };
        assert!(!confirmed_it(&unrecorded, &find("2024-01-01")));
    }

    /// A confirmed hazard of about 600 m × 600 m with the find that confirmed it at its centre
    /// and a find of later work near a corner: the land within 100 m of the confirming find is
    /// a unit of its own (in each cell it crosses), about π·100² m² in all; the work find, an
    /// outcome rather than a covariate, makes no such unit.
    #[test]
    fn land_around_the_evidence_that_confirmed_a_hazard_is_a_unit_of_its_own() {
        let (lon, lat, half_lon, half_lat) = (35.0, 48.5, 0.0041, 0.0027);
        let square = geo::Polygon::new(
            geo::LineString::from(vec![
                (lon - half_lon, lat - half_lat),
                (lon + half_lon, lat - half_lat),
                (lon + half_lon, lat + half_lat),
                (lon - half_lon, lat + half_lat),
                (lon - half_lon, lat - half_lat),
            ]),
            vec![],
        );
        let hazards = vec![hazard(HazardClass::Cha, geo::MultiPolygon::new(vec![square]))];
        let finds = vec![
            find("F1", "2024-03-01", Point::new(lon, lat)),
            find(
                "F2",
                "2024-06-01",
                Point::new(lon + 0.8 * half_lon, lat + 0.8 * half_lat),
            ),
        ];
        let cell = LatLng::new(lat, lon).unwrap().to_cell(Resolution::Nine);
        let cells = vec![RiskCell {
            cell: cell.to_string(),
            resolution: 9,
            outline: geo::Polygon::new(geo::LineString::new(vec![]), vec![]),
            risk: 0.2,
            label: None,
            items: 0,
        }];
        let release = demine_core::release::account_records(&hazards, &[], None, false);
        let reg = Registry {
            hazards: &hazards,
            activities: &[],
            release: &release,
            finds: &finds,
            accidents: &[],
            cells: &cells,
        };
        let with = hazard_units(&reg, &Methods::default()).unwrap().remove(0);
        let buffer: Vec<&Unit> = with.units.iter().filter(|u| u.evidence_buffer).collect();
        let buffer_m2: f64 = buffer.iter().map(|u| u.area_m2).sum();
        let circle_m2 = std::f64::consts::PI * 100.0 * 100.0;
        assert!(
            (buffer_m2 / circle_m2 - 1.0).abs() < 0.35,
            "{buffer_m2:.0} m² around the evidence, want about {circle_m2:.0}"
        );
        assert!(buffer.iter().any(|u| u.evidence) && buffer.iter().all(|u| u.finds == 0));
        assert_eq!(with.finds(), 1, "the confirming find is evidence, the work find a find");
        assert!(with.units.iter().any(|u| !u.evidence_buffer && u.finds == 1));
        // Off: one unit a cell, the same land.
        let methods = Methods {
            evidence_buffer_units: false,
            ..Methods::default()
        };
        let without = hazard_units(&reg, &methods).unwrap().remove(0);
        assert!(without.units.iter().all(|u| !u.evidence_buffer));
        let mut cells_of: Vec<CellIndex> = without.units.iter().map(|u| u.cell).collect();
        cells_of.dedup();
        assert_eq!(cells_of.len(), without.units.len());
        assert!(with.units.len() > without.units.len());
        let area = |h: &HazardUnits| h.units.iter().map(|u| u.area_m2).sum::<f64>();
        assert!((area(&with) - area(&without)).abs() < 1e-6 * area(&without));
    }
}
