//! The data-quality report over a registry (`demine check`), in the spirit of GICHD's geocheck
//! scripts: what an information officer looks for before signing the figures.
//!
//! Checks: invalid polygons, spikes, consecutive vertices more than [`MAX_VERTEX_GAP_M`] apart,
//! hazards overlapping each other, activities reaching outside their hazard, activities whose
//! outcome does not fit their type, finds outside every hazard.

use crate::domain::{Activity, Find, Hazard};
use crate::geodesy::{area_m2, distance_m};
use crate::release::overlap_groups;
use crate::spikes::vertex_angle_deg;
pub use crate::spikes::SPIKE_ANGLE_DEG;
use geo::{BooleanOps, BoundingRect, Contains, Intersects, MultiPolygon, Point, Validation};
use rayon::prelude::*;
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;
use std::collections::HashMap;

/// Consecutive vertices farther apart than this are suspicious (a digitising slip).
pub const MAX_VERTEX_GAP_M: f64 = 5_000.0;
/// Overlaps and overhangs smaller than this are digitising noise and not reported.
pub const MIN_REPORTED_AREA_M2: f64 = 1.0;

/// One finding of the data-quality report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityIssue {
    /// Short machine-readable name of the check, e.g. `hazard_overlap`.
    pub check: &'static str,
    /// `error` (figures are wrong until mended) or `warning` (worth a look).
    pub severity: &'static str,
    /// `hazards`, `activities` or `finds`.
    pub layer: &'static str,
    pub id: String,
    pub message: String,
    /// Where to look: lon, lat.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

fn issue(
    check: &'static str,
    severity: &'static str,
    layer: &'static str,
    id: &str,
    message: String,
    at: Option<(f64, f64)>,
) -> QualityIssue {
    QualityIssue {
        check,
        severity,
        layer,
        id: id.to_string(),
        message,
        lon: at.map(|a| a.0),
        lat: at.map(|a| a.1),
    }
}

/// Shape checks on one polygon geometry: validity, spikes, long edges.
pub fn shape_issues(layer: &'static str, id: &str, g: &MultiPolygon<f64>) -> Vec<QualityIssue> {
    let mut out = Vec::new();
    if let Err(e) = g.check_validation() {
        let at = g.0.first().and_then(|p| p.exterior().0.first()).map(|c| (c.x, c.y));
        out.push(issue(
            "invalid_polygon",
            "error",
            layer,
            id,
            format!("invalid polygon: {e}"),
            at,
        ));
    }
    for poly in &g.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let pts = &ring.0;
            if pts.len() < 4 {
                continue;
            }
            let n = pts.len() - 1; // closed ring
            for i in 0..n {
                let a = pts[i];
                let b = pts[i + 1];
                let gap = distance_m(Point(a), Point(b));
                if gap > MAX_VERTEX_GAP_M {
                    out.push(issue(
                        "long_edge",
                        "warning",
                        layer,
                        id,
                        format!(
                            "consecutive vertices {:.1} km apart (more than {:.0} km): a missing vertex or a typo?",
                            gap / 1000.0,
                            MAX_VERTEX_GAP_M / 1000.0
                        ),
                        Some((a.x, a.y)),
                    ));
                }
                // Spike at b: angle between b->a and b->c.
                let c = pts[(i + 2) % n.max(1)];
                if let Some(angle) = vertex_angle_deg(a, b, c).filter(|&angle| angle < SPIKE_ANGLE_DEG) {
                    out.push(issue(
                        "spike",
                        "warning",
                        layer,
                        id,
                        format!(
                            "spike: edges meet at {angle:.2}° (less than {SPIKE_ANGLE_DEG}°) at vertex ({}, {})",
                            b.x, b.y
                        ),
                        Some((b.x, b.y)),
                    ));
                }
            }
        }
    }
    out
}

struct Boxed {
    index: usize,
    envelope: AABB<[f64; 2]>,
}
impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// The whole data-quality report.
pub fn check_registry(hazards: &[Hazard], activities: &[Activity], finds: &[Find]) -> Vec<QualityIssue> {
    let mut out: Vec<QualityIssue> = hazards
        .par_iter()
        .flat_map_iter(|h| shape_issues("hazards", &h.id, &h.geometry))
        .collect();
    out.extend(
        activities
            .par_iter()
            .flat_map_iter(|a| shape_issues("activities", &a.id, &a.geometry))
            .collect::<Vec<_>>(),
    );

    // Hazards overlapping each other (pairs within overlap groups).
    let geoms: Vec<&MultiPolygon<f64>> = hazards.iter().map(|h| &h.geometry).collect();
    for group in overlap_groups(&geoms).into_iter().filter(|g| g.len() > 1) {
        for (k, &i) in group.iter().enumerate() {
            for &j in &group[k + 1..] {
                if !hazards[i].geometry.intersects(&hazards[j].geometry) {
                    continue;
                }
                let shared = hazards[i].geometry.intersection(&hazards[j].geometry);
                let m2 = area_m2(&shared);
                if m2 >= MIN_REPORTED_AREA_M2 {
                    let at = shared.bounding_rect().map(|r| (r.center().x, r.center().y));
                    out.push(issue(
                        "hazard_overlap",
                        "warning",
                        "hazards",
                        &hazards[i].id,
                        format!(
                            "overlaps hazard {} by {} m² ({:.1} % of {}): the same land recorded twice? National totals count it once",
                            hazards[j].id,
                            crate::spreadsheet::group_thousands(m2),
                            100.0 * m2 / area_m2(&hazards[i].geometry).max(f64::MIN_POSITIVE),
                            hazards[i].id
                        ),
                        at,
                    ));
                }
            }
        }
    }

    // Activities reaching outside their hazard.
    let by_id: HashMap<&str, &Hazard> = hazards.iter().map(|h| (h.id.as_str(), h)).collect();
    out.extend(
        activities
            .par_iter()
            .filter_map(|a| {
                let h = by_id.get(a.hazard_id.as_str())?;
                if !a.activity_type.allowed_outcomes().contains(&a.outcome) {
                    return Some(issue(
                        "outcome_type_mismatch",
                        "warning",
                        "activities",
                        &a.id,
                        format!(
                            "a {} activity recorded as '{}'; expected {}",
                            a.activity_type,
                            a.outcome,
                            a.activity_type
                                .allowed_outcomes()
                                .iter()
                                .map(|o| o.as_str())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                        None,
                    ));
                }
                if h.geometry.contains(&a.geometry) {
                    return None;
                }
                let outside = a.geometry.difference(&h.geometry);
                let m2 = area_m2(&outside);
                (m2 >= MIN_REPORTED_AREA_M2).then(|| {
                    let at = outside.bounding_rect().map(|r| (r.center().x, r.center().y));
                    issue(
                        "activity_outside_hazard",
                        "warning",
                        "activities",
                        &a.id,
                        format!(
                            "{} m² ({:.1} %) lies outside its hazard {}; only the part inside counts as released",
                            crate::spreadsheet::group_thousands(m2),
                            100.0 * m2 / area_m2(&a.geometry).max(f64::MIN_POSITIVE),
                            a.hazard_id
                        ),
                        at,
                    )
                })
            })
            .collect::<Vec<_>>(),
    );

    let finds: Vec<&Find> = finds.iter().collect();
    out.extend(finds_outside_hazards(hazards, &finds));
    out
}

/// Finds outside every hazard: what `check_registry` flags of `finds` alone (an import of
/// finds is checked against the registry's hazards without checking the hazards again).
pub fn finds_outside_hazards(hazards: &[Hazard], finds: &[&Find]) -> Vec<QualityIssue> {
    let tree = RTree::bulk_load(
        hazards
            .iter()
            .enumerate()
            .filter_map(|(index, h)| {
                h.geometry.bounding_rect().map(|r| Boxed {
                    index,
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect(),
    );
    finds
        .par_iter()
        .filter_map(|f| {
            let p = [f.location.x(), f.location.y()];
            let inside = tree
                .locate_in_envelope_intersecting(&AABB::from_point(p))
                .any(|b| hazards[b.index].geometry.intersects(&f.location));
            (!inside).then(|| {
                issue(
                    "find_outside_hazards",
                    "warning",
                    "finds",
                    &f.id,
                    format!(
                        "{} find at ({}, {}) lies outside every recorded hazard: survey the area and record a new SHA?",
                        f.category, p[0], p[1]
                    ),
                    Some((p[0], p[1])),
                )
            })
        })
        .collect()
}
