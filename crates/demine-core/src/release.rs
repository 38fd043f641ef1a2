//! Land-release accounting (IMAS 07.11), computed from geometry, never from typed-in figures.
//!
//! The rules, in one place:
//! 1. An activity releases only land inside its own hazard: its polygon is clipped to the hazard.
//! 2. Overlapping activity polygons count their overlap once.
//! 3. A piece of land is released once, by the earliest activity that covers it, ordered by
//!    `end_date`, then by `id`; a later activity over land already released adds nothing.
//! 4. Remaining = hazard area − released land; a hazard whose remaining area is zero is released
//!    ([`HazardStatus::from_release`]).
//! 5. National (or any collection) totals are taken over the **union** of hazards: where two
//!    hazards overlap (two organisations reporting the same field), the shared land counts once,
//!    and it is released once, by the earliest activity of either hazard that covers it.
//!
//! All areas are geodesic on the WGS84 ellipsoid, in m².
//!
//! ```
//! use demine_core::release::{account_hazard, Footprint};
//! use demine_core::Outcome;
//! use geo::{polygon, MultiPolygon};
//! use chrono::NaiveDate;
//!
//! let hazard = MultiPolygon::new(vec![polygon![
//!     (x: 30.0, y: 50.0), (x: 30.01, y: 50.0), (x: 30.01, y: 50.01), (x: 30.0, y: 50.01)]]);
//! // NTS cancels the western half; a later clearance claims the whole hazard.
//! let west = MultiPolygon::new(vec![polygon![
//!     (x: 30.0, y: 50.0), (x: 30.005, y: 50.0), (x: 30.005, y: 50.01), (x: 30.0, y: 50.01)]]);
//! let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
//! let acts = vec![
//!     Footprint { id: "A1", end_date: d("2024-03-01"), outcome: Outcome::Cancelled, geometry: &west },
//!     Footprint { id: "A2", end_date: d("2024-05-01"), outcome: Outcome::Cleared, geometry: &hazard },
//! ];
//! let r = account_hazard(&hazard, acts, false);
//! assert!((r.cancelled_m2 - r.cleared_m2).abs() / r.area_m2 < 1e-3); // half and half
//! assert!(r.remaining_m2 < 1e-3);
//! ```

use crate::domain::{HazardStatus, Outcome, RELEASE_TOLERANCE_M2};
use crate::geodesy::area_m2;
use chrono::NaiveDate;
use geo::{BooleanOps, BoundingRect, Intersects, MultiPolygon, Rect};
use rayon::prelude::*;
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;

/// What the accounting needs to know of an activity.
#[derive(Debug, Clone, Copy)]
pub struct Footprint<'a> {
    pub id: &'a str,
    pub end_date: NaiveDate,
    pub outcome: Outcome,
    pub geometry: &'a MultiPolygon<f64>,
}

/// Land released, by outcome, of one hazard or one collection of hazards. Areas in m².
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReleaseFigures {
    pub area_m2: f64,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub remaining_m2: f64,
}

impl ReleaseFigures {
    /// Released land of any outcome, in m².
    pub fn released_m2(&self) -> f64 {
        self.cancelled_m2 + self.reduced_m2 + self.cleared_m2
    }

    fn add_outcome(&mut self, outcome: Outcome, m2: f64) {
        match outcome {
            Outcome::Cancelled => self.cancelled_m2 += m2,
            Outcome::Reduced => self.reduced_m2 += m2,
            Outcome::Cleared => self.cleared_m2 += m2,
        }
    }

    fn add(&mut self, other: &ReleaseFigures) {
        self.area_m2 += other.area_m2;
        self.cancelled_m2 += other.cancelled_m2;
        self.reduced_m2 += other.reduced_m2;
        self.cleared_m2 += other.cleared_m2;
        self.remaining_m2 += other.remaining_m2;
    }
}

/// A piece of released land: which activity released it, how, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedPiece {
    pub activity_id: String,
    pub outcome: Outcome,
    pub area_m2: f64,
    pub geometry: MultiPolygon<f64>,
}

/// The accounting of one hazard.
#[derive(Debug, Clone, PartialEq)]
pub struct HazardRelease {
    pub figures: ReleaseFigures,
    pub status: HazardStatus,
    /// Pieces released, earliest first; filled only when asked (maps, reports).
    pub pieces: Vec<ReleasedPiece>,
}

impl std::ops::Deref for HazardRelease {
    type Target = ReleaseFigures;
    fn deref(&self) -> &ReleaseFigures {
        &self.figures
    }
}

fn bbox(g: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    g.bounding_rect()
}

fn rects_intersect(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

/// Accounts one hazard: rules 1–4 of the module doc. The running `remaining` starts as the
/// hazard, so every piece is clipped to it (rule 1) and released once (rules 2, 3).
pub fn account_hazard(
    hazard: &MultiPolygon<f64>,
    mut footprints: Vec<Footprint<'_>>,
    keep_pieces: bool,
) -> HazardRelease {
    let mut figures = ReleaseFigures {
        area_m2: area_m2(hazard),
        ..Default::default()
    };
    footprints.sort_by(|a, b| a.end_date.cmp(&b.end_date).then_with(|| a.id.cmp(b.id)));
    let mut remaining = hazard.clone();
    let mut remaining_box = bbox(&remaining);
    let mut pieces = Vec::new();
    for fp in &footprints {
        let Some(rbox) = remaining_box else { break };
        let geom = fp.geometry;
        match bbox(geom) {
            Some(gbox) if rects_intersect(&rbox, &gbox) => {}
            _ => continue,
        }
        let piece = remaining.intersection(geom);
        let piece_m2 = area_m2(&piece);
        if piece.0.is_empty() || piece_m2 <= 0.0 {
            continue;
        }
        figures.add_outcome(fp.outcome, piece_m2);
        // Subtract the activity, not the piece: the piece carries the rounding of one more
        // overlay, and slivers of it would stay "remaining" inside land already released.
        remaining = remaining.difference(geom);
        remaining_box = bbox(&remaining);
        if keep_pieces {
            pieces.push(ReleasedPiece {
                activity_id: fp.id.to_string(),
                outcome: fp.outcome,
                area_m2: piece_m2,
                geometry: piece,
            });
        }
    }
    // Remaining is hazard area minus released land, so that the four figures add up to the
    // hazard area as an authority signs them. It is zero when no land is left at all: pieces cut
    // along straight lon/lat lines and measured along geodesics differ from the whole by ~1e-6
    // relative, noise that must not keep a fully released hazard open.
    let subtracted = (figures.area_m2 - figures.released_m2()).max(0.0);
    let nearly_gone = subtracted <= 1e-5 * figures.area_m2 + 1.0;
    let noise_only = area_m2(&remaining) <= RELEASE_TOLERANCE_M2 || only_slivers(&remaining);
    figures.remaining_m2 = if remaining.0.is_empty() || (nearly_gone && noise_only) {
        0.0
    } else {
        subtracted
    };
    let status = HazardStatus::from_release(figures.area_m2, figures.remaining_m2, RELEASE_TOLERANCE_M2);
    HazardRelease {
        figures,
        status,
        pieces,
    }
}

/// Pieces narrower than this on average (2 × area / perimeter, metres) are overlay noise, not
/// land: a strip 1 cm wide cannot be surveyed, cleared or even measured in the field. Polygon
/// clipping (i_overlay, as GEOS) leaves such slivers where a task is released by many lanes
/// whose edges meet at slightly different floating-point positions (seen: 0.19 m² over
/// ~16 km of lane edges, micrometres wide).
pub const SLIVER_WIDTH_M: f64 = 0.01;

/// Whether every piece of `land` is a sliver ([`SLIVER_WIDTH_M`]).
fn only_slivers(land: &MultiPolygon<f64>) -> bool {
    use geo::GeodesicArea;
    land.0.iter().all(|p| {
        let perimeter = p.geodesic_perimeter();
        perimeter > 0.0 && 2.0 * crate::geodesy::polygon_area_m2(p) / perimeter < SLIVER_WIDTH_M
    })
}

/// One hazard and the activities recorded on it, for [`account_registry`].
#[derive(Debug, Clone)]
pub struct HazardWithActivities<'a> {
    pub id: &'a str,
    pub geometry: &'a MultiPolygon<f64>,
    pub activities: Vec<Footprint<'a>>,
}

/// The accounting of a whole registry (or region): per hazard, and totals over the union.
#[derive(Debug, Clone)]
pub struct RegistryRelease {
    /// In the order the hazards were given.
    pub per_hazard: Vec<HazardRelease>,
    /// Totals over the union of hazards (rule 5).
    pub totals: ReleaseFigures,
    /// Sum of hazard areas as reported, counting overlaps twice: shows the inflation avoided.
    pub sum_of_hazard_areas_m2: f64,
    /// Groups of hazards that overlap one another (indices into the input), only those of 2+.
    pub overlap_groups: Vec<Vec<usize>>,
}

struct Indexed {
    index: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Groups of hazards connected by overlap (union-find over an R-tree of bounding boxes).
/// Hazards that merely touch are grouped too: the union then has the same area.
pub fn overlap_groups(geometries: &[&MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    let boxes: Vec<Option<Rect<f64>>> = geometries.iter().map(|g| bbox(g)).collect();
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(index, b)| {
                b.map(|r| Indexed {
                    index,
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect(),
    );
    let pairs: Vec<(usize, usize)> = boxes
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, b)| {
            let mut out = Vec::new();
            if let Some(r) = b {
                let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                for cand in tree.locate_in_envelope_intersecting(&env) {
                    let j = cand.index;
                    if j > i && geometries[i].intersects(geometries[j]) {
                        out.push((i, j));
                    }
                }
            }
            out
        })
        .collect();
    let mut parent: Vec<usize> = (0..geometries.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (a, b) in pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..geometries.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups.into_values().collect()
}

/// For geometries taken in order, the area each covers that none before it covered, in m²:
/// `area(g_i − ∪_{j<i} g_j)`. Their sum is the area of the union. Only overlapping earlier
/// geometries (R-tree on bounding boxes) are subtracted, so the work stays local however large
/// a connected group of overlaps grows; each geometry is independent, hence parallel.
pub fn first_cover_areas(geometries: &[MultiPolygon<f64>]) -> Vec<f64> {
    let boxes: Vec<Option<Rect<f64>>> = geometries.iter().map(bbox).collect();
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(index, b)| {
                b.map(|r| Indexed {
                    index,
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect(),
    );
    geometries
        .par_iter()
        .enumerate()
        .map(|(i, g)| {
            let Some(r) = boxes[i] else { return 0.0 };
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            let mut earlier: Vec<usize> = tree
                .locate_in_envelope_intersecting(&env)
                .map(|c| c.index)
                .filter(|&j| j < i)
                .collect();
            if earlier.is_empty() {
                return area_m2(g);
            }
            earlier.sort_unstable();
            let mut fresh = g.clone();
            for j in earlier {
                if fresh.0.is_empty() {
                    break;
                }
                if geometries[j].intersects(&fresh) {
                    fresh = fresh.difference(&geometries[j]);
                }
            }
            area_m2(&fresh)
        })
        .collect()
}

/// Accounts every hazard (in parallel) and the totals over their union (rule 5).
pub fn account_registry(hazards: &[HazardWithActivities<'_>], keep_pieces: bool) -> RegistryRelease {
    let per_hazard: Vec<HazardRelease> = hazards
        .par_iter()
        .map(|h| account_hazard(h.geometry, h.activities.clone(), keep_pieces))
        .collect();
    let geometries: Vec<&MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry).collect();
    let groups = overlap_groups(&geometries);

    // Hazards that overlap no other: their own figures are their share of the union.
    let mut totals = ReleaseFigures::default();
    let mut grouped: Vec<usize> = Vec::new();
    for group in &groups {
        match group.as_slice() {
            [only] => totals.add(&per_hazard[*only].figures),
            members => grouped.extend_from_slice(members),
        }
    }
    // Overlapping hazards: the union's area is what each hazard adds to those before it, and
    // land is released by the first activity (of any of them) whose clipped footprint covers it.
    if !grouped.is_empty() {
        grouped.sort_unstable();
        let outlines: Vec<MultiPolygon<f64>> = grouped.iter().map(|&i| hazards[i].geometry.clone()).collect();
        let area: f64 = first_cover_areas(&outlines).iter().sum();
        let mut footprints: Vec<(Footprint<'_>, usize)> = grouped
            .iter()
            .flat_map(|&i| hazards[i].activities.iter().map(move |fp| (*fp, i)))
            .collect();
        footprints.sort_by(|(a, _), (b, _)| a.end_date.cmp(&b.end_date).then_with(|| a.id.cmp(b.id)));
        let clipped: Vec<MultiPolygon<f64>> = footprints
            .par_iter()
            .map(|(fp, i)| fp.geometry.intersection(hazards[*i].geometry))
            .collect();
        let fresh = first_cover_areas(&clipped);
        let mut figures = ReleaseFigures {
            area_m2: area,
            ..Default::default()
        };
        for ((fp, _), m2) in footprints.iter().zip(fresh) {
            figures.add_outcome(fp.outcome, m2);
        }
        figures.remaining_m2 = (figures.area_m2 - figures.released_m2()).max(0.0);
        if figures.remaining_m2 <= RELEASE_TOLERANCE_M2 {
            figures.remaining_m2 = 0.0;
        }
        totals.add(&figures);
    }
    RegistryRelease {
        sum_of_hazard_areas_m2: per_hazard.iter().map(|r| r.area_m2).sum(),
        per_hazard,
        totals,
        overlap_groups: groups.into_iter().filter(|g| g.len() > 1).collect(),
    }
}

/// Accounts a registry given as domain records: activities are matched to their hazard by
/// `hazard_id`; with `as_of`, only activities that ended on or before that day count.
/// `per_hazard[i]` belongs to `hazards[i]`.
pub fn account_records(
    hazards: &[crate::Hazard],
    activities: &[crate::Activity],
    as_of: Option<NaiveDate>,
    keep_pieces: bool,
) -> RegistryRelease {
    let index: std::collections::HashMap<&str, usize> =
        hazards.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
    let mut inputs: Vec<HazardWithActivities<'_>> = hazards
        .iter()
        .map(|h| HazardWithActivities {
            id: &h.id,
            geometry: &h.geometry,
            activities: Vec::new(),
        })
        .collect();
    for a in activities {
        if as_of.is_some_and(|d| a.end_date > d) {
            continue;
        }
        if let Some(&i) = index.get(a.hazard_id.as_str()) {
            inputs[i].activities.push(Footprint {
                id: &a.id,
                end_date: a.end_date,
                outcome: a.outcome,
                geometry: &a.geometry,
            });
        }
    }
    account_registry(&inputs, keep_pieces)
}

/// Accounts each hazard on its own, without totals over their union: what the store writes as
/// each hazard's computed columns. `result[i]` belongs to `hazards[i]`.
pub fn account_each(
    hazards: &[crate::Hazard],
    activities: &[crate::Activity],
    keep_pieces: bool,
) -> Vec<HazardRelease> {
    let index: std::collections::HashMap<&str, usize> =
        hazards.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
    let mut footprints: Vec<Vec<Footprint<'_>>> = vec![Vec::new(); hazards.len()];
    for a in activities {
        if let Some(&i) = index.get(a.hazard_id.as_str()) {
            footprints[i].push(Footprint {
                id: &a.id,
                end_date: a.end_date,
                outcome: a.outcome,
                geometry: &a.geometry,
            });
        }
    }
    hazards
        .par_iter()
        .zip(footprints)
        .map(|(h, fps)| account_hazard(&h.geometry, fps, keep_pieces))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A hazard cleared but for a strip: a strip a millimetre wide is overlay noise and the
    /// hazard is released; a strip a metre wide is land still to clear.
    #[test]
    fn slivers_of_overlay_noise_do_not_keep_a_hazard_open() {
        let hazard = rect(30.0, 50.0, 30.01, 50.001);
        // 1e-8 degrees of longitude at 50°N is ~0.7 mm; 1e-5 is ~0.7 m.
        for (gap_deg, released) in [(1e-8, true), (1e-5, false)] {
            let cleared = rect(30.0, 50.0, 30.01 - gap_deg, 50.001);
            let fp = Footprint {
                id: "A1",
                end_date: d("2025-01-01"),
                outcome: Outcome::Cleared,
                geometry: &cleared,
            };
            let r = account_hazard(&hazard, vec![fp], false);
            assert_eq!(
                r.status == HazardStatus::Released,
                released,
                "gap of {gap_deg}°: {:?}",
                r.figures
            );
            if released {
                assert_eq!(r.remaining_m2, 0.0);
            } else {
                assert!(r.remaining_m2 > 50.0, "{:?}", r.figures);
            }
        }
    }

    #[test]
    fn earliest_activity_wins_and_overlap_counts_once() {
        let h = rect(30.0, 50.0, 30.02, 50.01);
        let a = rect(30.0, 50.0, 30.012, 50.01); // 60 %
        let b = rect(30.008, 50.0, 30.02, 50.01); // 60 %, overlapping a by 20 %
        let r = account_hazard(
            &h,
            vec![
                Footprint {
                    id: "B",
                    end_date: d("2024-02-01"),
                    outcome: Outcome::Cleared,
                    geometry: &b,
                },
                Footprint {
                    id: "A",
                    end_date: d("2024-01-01"),
                    outcome: Outcome::Reduced,
                    geometry: &a,
                },
            ],
            true,
        );
        let share = |x: f64| x / r.area_m2;
        assert!((share(r.reduced_m2) - 0.6).abs() < 1e-3, "{r:?}");
        assert!((share(r.cleared_m2) - 0.4).abs() < 1e-3, "{r:?}");
        assert_eq!(r.remaining_m2, 0.0);
        assert_eq!(r.status, HazardStatus::Released);
        assert_eq!(r.pieces[0].activity_id, "A");
    }

    #[test]
    fn activity_outside_hazard_is_clipped() {
        let h = rect(30.0, 50.0, 30.01, 50.01);
        let a = rect(30.005, 49.99, 30.02, 50.02); // half of the hazard, much land outside
        let r = account_hazard(
            &h,
            vec![Footprint {
                id: "A",
                end_date: d("2024-01-01"),
                outcome: Outcome::Cancelled,
                geometry: &a,
            }],
            false,
        );
        assert!((r.cancelled_m2 / r.area_m2 - 0.5).abs() < 1e-3);
        assert!((r.remaining_m2 / r.area_m2 - 0.5).abs() < 1e-3);
        assert_eq!(r.status, HazardStatus::PartiallyReleased);
    }

    #[test]
    fn overlapping_hazards_count_once_in_totals() {
        let h1 = rect(30.0, 50.0, 30.02, 50.01);
        let h2 = rect(30.01, 50.0, 30.03, 50.01); // half overlaps h1
        let c1 = rect(30.0, 50.0, 30.02, 50.01); // clears all of h1
        let c2 = rect(30.01, 50.0, 30.03, 50.01); // later clears all of h2
        let hz = vec![
            HazardWithActivities {
                id: "H1",
                geometry: &h1,
                activities: vec![Footprint {
                    id: "C1",
                    end_date: d("2024-01-01"),
                    outcome: Outcome::Cleared,
                    geometry: &c1,
                }],
            },
            HazardWithActivities {
                id: "H2",
                geometry: &h2,
                activities: vec![Footprint {
                    id: "C2",
                    end_date: d("2024-02-01"),
                    outcome: Outcome::Cancelled,
                    geometry: &c2,
                }],
            },
        ];
        let r = account_registry(&hz, false);
        let one = area_m2(&h1);
        assert!((r.totals.area_m2 / one - 1.5).abs() < 1e-3, "{:?}", r.totals);
        assert!((r.sum_of_hazard_areas_m2 / one - 2.0).abs() < 1e-3);
        assert!((r.totals.cleared_m2 / one - 1.0).abs() < 1e-3);
        assert!((r.totals.cancelled_m2 / one - 0.5).abs() < 1e-3);
        assert_eq!(r.overlap_groups, vec![vec![0, 1]]);
        // Per hazard, each is fully released by its own activity.
        assert_eq!(r.per_hazard[1].status, HazardStatus::Released);
    }
}
