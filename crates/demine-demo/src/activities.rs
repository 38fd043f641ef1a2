//! Land-release activities already done on a hazard, and the items they found.
//!
//! A worked hazard follows the IMAS sequence from its far side (away from the line of contact):
//! non-technical survey cancels a part, technical survey reduces the next part, clearance (or
//! BAC for UXO) clears strips sized by the team's productivity, EOD clears spots. Pieces are
//! the hazard cut by parallel half-planes (`geo::BooleanOps`), so they tile the hazard; a few
//! overlap the previous piece, and about 3 % are drawn a little too large (real sloppiness).
//! Every piece is validated; one that fails is skipped.

use crate::actors::TeamPool;
use crate::hazards::Draft;
use crate::truth::Seeded;
use crate::util::{
    add, day, dot, item_rng, normal, period_days, scale, shape_ok, strictly_valid, sub, weighted, Frame, Stream,
};
use chrono::NaiveDate;
use demine_core::{Activity, ActivityType, Attributes, Find, FindCategory, HazardClass, Outcome, Team, TeamKind};
use geo::{BooleanOps, BoundingRect, Contains, MultiPolygon, Orient, Polygon};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `{"synthetic": true}`.
pub(crate) fn synthetic() -> Attributes {
    let mut a = Attributes::new();
    a.insert("synthetic".into(), serde_json::Value::Bool(true));
    a
}

/// What was done on one hazard.
#[derive(Debug, Default)]
pub(crate) struct Worked {
    /// Activities (identifiers not yet assigned), in the order done.
    pub activities: Vec<Activity>,
    /// Finds, with the index of their activity in `activities`.
    pub finds: Vec<(usize, Find)>,
    /// `released`, `partially_released` or `active`, as the operator would report it.
    pub status: &'static str,
    pub first_start: Option<NaiveDate>,
    /// For each of the hazard's true items: whether it has been found (by evidence before
    /// the hazard was recorded, or by an activity).
    pub found: Vec<bool>,
}

/// Cuts a hazard by half-planes `x · u <= s` in the km frame.
struct Cutter<'a> {
    hazard: &'a MultiPolygon<f64>,
    u: [f64; 2],
    smin: f64,
    smax: f64,
    total: f64,
    size: f64,
    /// Range of the hazard across the cutting direction.
    tmin: f64,
    tmax: f64,
}

impl<'a> Cutter<'a> {
    fn new(hazard: &'a MultiPolygon<f64>, u: [f64; 2]) -> Cutter<'a> {
        let v = [-u[1], u[0]];
        let (mut smin, mut smax) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut tmin, mut tmax) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in &hazard.0 {
            for c in &p.exterior().0 {
                let (s, t) = (dot([c.x, c.y], u), dot([c.x, c.y], v));
                smin = smin.min(s);
                smax = smax.max(s);
                tmin = tmin.min(t);
                tmax = tmax.max(t);
            }
        }
        let size = (smax - smin) + (tmax - tmin);
        let mut cut = Cutter {
            hazard,
            u,
            smin,
            smax,
            total: 0.0,
            size,
            tmin,
            tmax,
        };
        cut.total = cut.area_below(f64::INFINITY);
        cut
    }

    /// Planar area of the part with `x · u <= s` (Sutherland–Hodgman: exact area even where
    /// the clipped ring degenerates).
    fn area_below(&self, s: f64) -> f64 {
        let mut total = 0.0;
        for p in &self.hazard.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                let pts = crate::util::open_ring(ring);
                let n = pts.len();
                let mut out: Vec<[f64; 2]> = Vec::with_capacity(n + 4);
                for i in 0..n {
                    let (a, b) = (pts[i], pts[(i + 1) % n]);
                    let (da, db) = (dot(a, self.u) - s, dot(b, self.u) - s);
                    if da <= 0.0 {
                        out.push(a);
                    }
                    if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
                        let t = da / (da - db);
                        out.push(add(a, scale(sub(b, a), t)));
                    }
                }
                total += crate::util::ring_area(&out);
            }
        }
        total
    }

    /// The `s` below which lies the fraction `f` of the area.
    fn s_for(&self, f: f64) -> f64 {
        if f <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if f >= 1.0 {
            return f64::INFINITY;
        }
        let target = f * self.total;
        let (mut lo, mut hi) = (self.smin, self.smax);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if self.area_below(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// The hazard between `lo` and `hi` (either may be infinite). The cutting rectangle hugs
    /// the hazard: `BooleanOps` snaps to a grid scaled to its inputs, and a tight box keeps
    /// that grid fine, so pieces share the hazard's outline to well under a square metre.
    fn strip(&self, lo: f64, hi: f64) -> MultiPolygon<f64> {
        let margin = 0.01 * self.size + 1e-6;
        let lo = lo.max(self.smin - margin);
        let hi = hi.min(self.smax + margin);
        if hi <= lo {
            return MultiPolygon::new(vec![]);
        }
        let u = self.u;
        let v = [-u[1], u[0]];
        let at = |s: f64, t: f64| add(scale(u, s), scale(v, t));
        let (t0, t1) = (self.tmin - margin, self.tmax + margin);
        let rect = [at(lo, t0), at(hi, t0), at(hi, t1), at(lo, t1)];
        let rect = Polygon::new(crate::util::closed_ring(&rect), vec![]);
        self.hazard.intersection(&MultiPolygon::new(vec![rect]))
    }
}

/// Orients, drops crumbs, and checks a piece; returns it in km and lon/lat.
fn finish_piece(piece: MultiPolygon<f64>, frame: Frame) -> Option<(MultiPolygon<f64>, MultiPolygon<f64>)> {
    use geo::Area;
    let piece = piece.orient(geo::orient::Direction::Default);
    let polys: Vec<Polygon<f64>> = piece
        .0
        .into_iter()
        .filter(|p| p.unsigned_area() >= 1e-8)
        .map(|p| {
            let (ext, holes) = p.into_inner();
            let holes = holes
                .into_iter()
                .filter(|h| Polygon::new(h.clone(), vec![]).unsigned_area() >= 1e-8)
                .collect();
            Polygon::new(ext, holes)
        })
        .collect();
    if polys.is_empty() {
        return None;
    }
    let km = MultiPolygon::new(polys);
    if !shape_ok(&km, 1.5, 5.0) {
        return None;
    }
    let ll = frame.multipolygon(&km);
    strictly_valid(&ll).then_some((km, ll))
}

/// Enlarges a piece about the centre of its box (a sloppy survey drawing).
fn enlarge(piece: &MultiPolygon<f64>, k: f64) -> MultiPolygon<f64> {
    let Some(r) = piece.bounding_rect() else {
        return piece.clone();
    };
    let c = [r.center().x, r.center().y];
    let map = |ls: &geo::LineString<f64>| {
        geo::LineString::from(
            ls.0.iter()
                .map(|p| {
                    let q = add(c, scale(sub([p.x, p.y], c), k));
                    geo::Coord { x: q[0], y: q[1] }
                })
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon::new(
        piece
            .0
            .iter()
            .map(|p| Polygon::new(map(p.exterior()), p.interiors().iter().map(map).collect()))
            .collect(),
    )
}

/// A random point inside both polygons (km), or `None` after a bounded search.
pub(crate) fn point_in<R: Rng>(rng: &mut R, a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> Option<[f64; 2]> {
    let r = a.bounding_rect()?;
    for _ in 0..64 {
        let p = [
            rng.gen_range(r.min().x..=r.max().x),
            rng.gen_range(r.min().y..=r.max().y),
        ];
        let pt = geo::Point::new(p[0], p[1]);
        if a.contains(&pt) && b.contains(&pt) {
            return Some(p);
        }
    }
    None
}

/// Category, depth (cm), condition and disposition of an item, given the contamination.
pub(crate) fn item<R: Rng>(
    rng: &mut R,
    contamination: &str,
    max_depth: Option<f64>,
) -> (FindCategory, f64, &'static str, &'static str) {
    use FindCategory::*;
    let weights: &[(FindCategory, f64)] = match contamination {
        "AP_mines" => &[
            (ApMine, 0.78),
            (AtMine, 0.04),
            (Uxo, 0.12),
            (Submunition, 0.02),
            (Ied, 0.01),
            (Axo, 0.02),
            (Other, 0.01),
        ],
        "AT_mines" => &[
            (AtMine, 0.62),
            (ApMine, 0.12),
            (Uxo, 0.18),
            (Axo, 0.03),
            (Ied, 0.02),
            (Submunition, 0.02),
            (Other, 0.01),
        ],
        "UXO" => &[
            (Uxo, 0.72),
            (Axo, 0.12),
            (Submunition, 0.08),
            (ApMine, 0.03),
            (Other, 0.05),
        ],
        "cluster_munitions" => &[(Submunition, 0.7), (Uxo, 0.2), (Axo, 0.05), (Other, 0.05)],
        _ => &[
            (ApMine, 0.3),
            (AtMine, 0.22),
            (Uxo, 0.3),
            (Submunition, 0.08),
            (Ied, 0.03),
            (Axo, 0.04),
            (Other, 0.03),
        ],
    };
    let cat = weighted(rng, weights);
    let depth: f64 = match cat {
        ApMine => rng.gen_range(0.0..12.0),
        AtMine => rng.gen_range(5.0..35.0),
        Uxo if rng.gen::<f64>() < 0.6 => 0.0,
        Uxo => rng.gen_range(5.0..80.0),
        Submunition => rng.gen_range(0.0..15.0),
        Ied => rng.gen_range(5.0..45.0),
        Axo => 0.0,
        Other => rng.gen_range(0.0..25.0),
    };
    let depth = max_depth.map_or(depth, |m| depth.min(m)).round();
    let condition = match cat {
        ApMine | AtMine => weighted(
            rng,
            &[
                ("armed", 0.45),
                ("unfuzed", 0.15),
                ("corroded", 0.22),
                ("damaged", 0.12),
                ("booby-trapped", 0.06),
            ],
        ),
        Uxo => weighted(
            rng,
            &[
                ("fired, failed to function", 0.45),
                ("fuzed", 0.2),
                ("corroded", 0.2),
                ("damaged", 0.15),
            ],
        ),
        Submunition => weighted(
            rng,
            &[("fired, failed to function", 0.65), ("armed", 0.15), ("damaged", 0.2)],
        ),
        Ied => weighted(
            rng,
            &[("victim-operated", 0.5), ("command-operated", 0.2), ("armed", 0.3)],
        ),
        Axo => weighted(rng, &[("abandoned, intact", 0.6), ("corroded", 0.4)]),
        Other => weighted(rng, &[("fragment of ordnance", 0.5), ("corroded", 0.5)]),
    };
    let disposition = match cat {
        Uxo | Axo => weighted(rng, &[("destroyed in situ", 0.5), ("removed", 0.5)]),
        Ied => weighted(rng, &[("rendered safe", 0.5), ("destroyed in situ", 0.5)]),
        Other => "removed",
        _ => weighted(rng, &[("destroyed in situ", 0.85), ("removed", 0.15)]),
    };
    (cat, depth, condition, disposition)
}

/// One step of a hazard's plan: what to do and how much of the remaining land it takes.
#[derive(Clone, Copy)]
enum Step {
    /// NTS cancels the whole hazard.
    CancelAll,
    /// NTS cancels a fraction of the hazard.
    Cancel(f64),
    /// TS reduces a fraction of what remains (1.0: all of it).
    Reduce(f64),
    /// Clearance (BAC for UXO) clears what a team does in this many days.
    Clear(f64),
    /// Clears everything that remains, in as many clearance tasks as it takes.
    ClearAll,
    /// An EOD spot task.
    Eod,
}

struct Plan<'a> {
    rng: ChaCha8Rng,
    draft: &'a Draft,
    hazard_id: &'a str,
    teams: &'a [Team],
    pool: &'a TeamPool,
    frame: Frame,
    /// The hazard's true items (hidden ground truth); `out.found` marks those found.
    items: &'a [Seeded],
    cut: Cutter<'a>,
    /// Fraction of the area released from the far side so far.
    released: f64,
    /// Boundary of the released part (`x · u >= boundary` is released).
    boundary: f64,
    day: i64,
    out: Worked,
    stopped: bool,
}

impl Plan<'_> {
    fn team(&mut self, kind: TeamKind) -> Option<&Team> {
        let i = self.pool.pick(&mut self.rng, kind, self.draft.centre)?;
        self.teams.get(i)
    }

    /// Reserves `days` of work; `None` (and the plan stops) if it would end after the period.
    fn schedule(&mut self, days: i64) -> Option<(NaiveDate, NaiveDate)> {
        let start = self.day;
        let end = start + days.max(1) - 1;
        if end >= period_days() {
            self.stopped = true;
            return None;
        }
        self.day = end + 1 + self.rng.gen_range(3..45);
        Some((day(start), day(end)))
    }

    /// Cuts the next strip of fraction `f` of the hazard (from the released side). Returns the
    /// piece in km and lon/lat, the fraction it adds, and the state to [`Plan::commit`] once
    /// the work is scheduled.
    #[allow(clippy::type_complexity)]
    fn next_piece(&mut self, f: f64) -> Option<(MultiPolygon<f64>, MultiPolygon<f64>, f64, (f64, f64))> {
        let new_released = (self.released + f).min(1.0);
        let hi = if self.released <= 0.0 {
            f64::INFINITY
        } else if self.rng.gen::<f64>() < 0.15 {
            // Overlap the previous piece a little.
            self.boundary + self.rng.gen_range(0.02..0.08) * (self.cut.smax - self.cut.smin)
        } else {
            self.boundary
        };
        for attempt in 0..3 {
            let mut lo = if new_released >= 0.999 {
                f64::NEG_INFINITY
            } else {
                self.cut.s_for(1.0 - new_released)
            };
            if attempt > 0 && lo.is_finite() {
                lo += (self.rng.gen::<f64>() - 0.5) * 0.02 * (self.cut.smax - self.cut.smin);
            }
            let mut piece = self.cut.strip(lo, hi);
            if self.rng.gen::<f64>() < 0.045 {
                piece = enlarge(&piece, self.rng.gen_range(1.03..1.12));
            }
            if let Some((km, ll)) = finish_piece(piece, self.frame) {
                let gained = if new_released >= 0.999 { 1.0 - self.released } else { f };
                let after = if new_released >= 0.999 { 1.0 } else { new_released };
                return Some((km, ll, gained, (lo, after)));
            }
        }
        None
    }

    /// Records that the piece cut by [`Plan::next_piece`] was released.
    fn commit(&mut self, (boundary, released): (f64, f64)) {
        self.boundary = boundary;
        self.released = released;
    }

    fn push(
        &mut self,
        (t, outcome): (ActivityType, Outcome),
        dates: (NaiveDate, NaiveDate),
        team: &Team,
        method: &str,
        depth: Option<f64>,
        (km, geometry): (MultiPolygon<f64>, MultiPolygon<f64>),
    ) {
        let idx = self.out.activities.len();
        self.out.first_start = Some(self.out.first_start.map_or(dates.0, |d| d.min(dates.0)));
        self.out.activities.push(Activity {
            id: String::new(),
            hazard_id: self.hazard_id.to_string(),
            activity_type: t,
            outcome,
            start_date: dates.0,
            end_date: dates.1,
            geometry,
            organisation: team.organisation.clone(),
            team: Some(team.id.clone()),
            method: Some(method.to_string()),
            depth_cm: depth,
            attributes: synthetic(),
        });
        // Items found: the true items inside the piece that the method detects, dated within
        // the activity. Clearance finds what lies within its depth; TS samples lanes.
        let span = (dates.1 - dates.0).num_days();
        for k in 0..self.items.len() {
            if self.out.found[k] {
                continue;
            }
            let it = &self.items[k];
            if !km.contains(&geo::Point::new(it.km[0], it.km[1])) {
                continue;
            }
            let within_depth = depth.is_none_or(|d| it.depth_cm <= d + 5.0);
            let p_detect = match t {
                ActivityType::Clearance | ActivityType::Eod if within_depth => 0.99,
                ActivityType::Clearance | ActivityType::Eod => 0.2,
                ActivityType::Bac if within_depth => 0.9,
                ActivityType::Bac => 0.1,
                ActivityType::Ts => 0.2,
                ActivityType::Nts => 0.0,
            };
            if self.rng.gen::<f64>() >= p_detect {
                continue;
            }
            self.out.found[k] = true;
            let date = dates.0 + chrono::TimeDelta::days(self.rng.gen_range(0..=span));
            self.out.finds.push((
                idx,
                Find {
                    id: String::new(),
                    date,
                    category: it.category,
                    location: self.frame.point(it.km),
                    hazard_id: Some(self.hazard_id.to_string()),
                    activity_id: None,
                    depth_cm: Some(it.depth_cm),
                    condition: Some(it.condition.to_string()),
                    disposition: Some(it.disposition.to_string()),
                    attributes: synthetic(),
                },
            ));
        }
    }

    fn run(&mut self, step: Step) {
        if self.stopped || self.released >= 1.0 {
            return;
        }
        let area = self.draft.area_m2.max(1.0);
        match step {
            Step::CancelAll => {
                let Some(team) = self.team(TeamKind::Nts).cloned() else {
                    return;
                };
                let days = (area / team.productivity_m2_per_day).ceil().clamp(1.0, 45.0) as i64;
                let Some(dates) = self.schedule(days) else { return };
                let method = self.nts_method();
                self.released = 1.0;
                self.push(
                    (ActivityType::Nts, Outcome::Cancelled),
                    dates,
                    &team,
                    method,
                    None,
                    (self.draft.km.clone(), self.draft.geometry.clone()),
                );
            }
            Step::Cancel(f) => {
                let Some(team) = self.team(TeamKind::Nts).cloned() else {
                    return;
                };
                let f = f.min(team.productivity_m2_per_day * 45.0 / area);
                let Some((km, ll, got, next)) = self.next_piece(f) else {
                    return;
                };
                let piece_m2 = got * area;
                let days = (piece_m2 / team.productivity_m2_per_day).ceil().clamp(1.0, 45.0) as i64;
                let Some(dates) = self.schedule(days) else { return };
                self.commit(next);
                let method = self.nts_method();
                self.push(
                    (ActivityType::Nts, Outcome::Cancelled),
                    dates,
                    &team,
                    method,
                    None,
                    (km, ll),
                );
            }
            Step::Reduce(f) => {
                let mechanical = self.rng.gen::<f64>() < 0.3;
                let kind = if mechanical { TeamKind::Mechanical } else { TeamKind::Ts };
                let Some(team) = self.team(kind).cloned() else { return };
                let prod = team.productivity_m2_per_day;
                let cap = prod * self.rng.gen_range(20.0..150.0) / area;
                let f = (f * (1.0 - self.released)).min(cap);
                let Some((km, ll, got, next)) = self.next_piece(f) else {
                    return;
                };
                let piece_m2 = got * area;
                let days = (piece_m2 / prod).ceil().clamp(2.0, 150.0) as i64;
                let Some(dates) = self.schedule(days) else { return };
                self.commit(next);
                let method = if mechanical {
                    "TS: mechanical ground preparation + manual sampling"
                } else {
                    "TS: manual sampling lanes"
                };
                let outcome = if self.rng.gen::<f64>() < 0.9 {
                    Outcome::Reduced
                } else {
                    Outcome::Cleared
                };
                let depth = Some(self.rng.gen_range(13.0..=20.0f64).round());
                self.push((ActivityType::Ts, outcome), dates, &team, method, depth, (km, ll));
            }
            Step::Clear(days) => self.clear(days, false),
            Step::ClearAll => {
                for _ in 0..12 {
                    if self.stopped || self.released >= 1.0 {
                        break;
                    }
                    let days = self.rng.gen_range(20.0..100.0);
                    self.clear(days, true);
                }
            }
            Step::Eod => {
                let Some(team) = self.team(TeamKind::Manual).cloned() else {
                    return;
                };
                // A spot task around an item reported by the public: one not found yet.
                let unfound: Vec<usize> = (0..self.items.len()).filter(|&k| !self.out.found[k]).collect();
                if unfound.is_empty() {
                    return;
                }
                let p = self.items[unfound[self.rng.gen_range(0..unfound.len())]].km;
                let r = self.rng.gen_range(0.01..0.04);
                let spot: Vec<[f64; 2]> = (0..10)
                    .map(|k| {
                        let a = k as f64 / 10.0 * std::f64::consts::TAU;
                        add(
                            p,
                            [
                                r * a.cos() * (1.0 + 0.1 * normal(&mut self.rng).clamp(-2.0, 2.0)),
                                r * a.sin(),
                            ],
                        )
                    })
                    .collect();
                let spot = MultiPolygon::new(vec![Polygon::new(crate::util::closed_ring(&spot), vec![])]);
                let Some((km, ll)) = finish_piece(self.draft.km.intersection(&spot), self.frame) else {
                    return;
                };
                let days = self.rng.gen_range(1..=2);
                let Some(dates) = self.schedule(days) else { return };
                self.push(
                    (ActivityType::Eod, Outcome::Cleared),
                    dates,
                    &team,
                    "EOD spot task",
                    None,
                    (km, ll),
                );
            }
        }
    }

    fn clear(&mut self, days: f64, complete: bool) {
        let bac = matches!(self.draft.contamination, "UXO" | "cluster_munitions") && self.rng.gen::<f64>() < 0.7;
        let (kind, method) = if bac {
            (
                TeamKind::Manual,
                "BAC: surface and sub-surface search (large-loop detector)",
            )
        } else {
            weighted(
                &mut self.rng,
                &[
                    ((TeamKind::Manual, "manual"), 0.5),
                    ((TeamKind::Mdd, "mdd+manual"), 0.2),
                    ((TeamKind::Mechanical, "mechanical+manual"), 0.3),
                ],
            )
        };
        let Some(team) = self.team(kind).cloned() else { return };
        let prod = team.productivity_m2_per_day;
        let area = self.draft.area_m2.max(1.0);
        let remaining = 1.0 - self.released;
        let mut f = (prod * days / area).min(remaining);
        if remaining - f < 0.02 * remaining {
            f = remaining;
        }
        if !complete && f >= remaining {
            // Leave some land for the plan: partial clearance only.
            f = 0.5 * remaining;
        }
        let Some((km, ll, got, next)) = self.next_piece(f) else {
            self.stopped = true;
            return;
        };
        let piece_m2 = got * area;
        let work_days = (piece_m2 / prod).ceil().clamp(1.0, 200.0) as i64;
        let Some(dates) = self.schedule(work_days) else { return };
        self.commit(next);
        let (t, depth) = if bac {
            (ActivityType::Bac, self.rng.gen_range(0.0..=10.0f64).round())
        } else {
            (ActivityType::Clearance, self.rng.gen_range(13.0..=30.0f64).round())
        };
        self.push((t, Outcome::Cleared), dates, &team, method, Some(depth), (km, ll));
    }

    fn nts_method(&mut self) -> &'static str {
        weighted(
            &mut self.rng,
            &[
                ("NTS interviews; records review", 0.5),
                ("NTS interviews; site walkover", 0.3),
                ("NTS records review; drone imagery", 0.2),
            ],
        )
    }
}

/// Decides whether hazard `index` was worked on and, if so, what was done.
#[allow(clippy::too_many_arguments)]
pub(crate) fn work(
    seed: u64,
    index: usize,
    draft: &Draft,
    hazard_id: &str,
    teams: &[Team],
    pool: &TeamPool,
    frame: Frame,
    items: &[Seeded],
    found: Vec<bool>,
) -> Worked {
    let mut rng = item_rng(seed, Stream::Activity, index as u64);
    let share = if draft.duplicate_of.is_some() { 0.1 } else { 0.4 };
    if rng.gen::<f64>() >= share {
        return Worked {
            status: "active",
            found,
            ..Worked::default()
        };
    }
    // Work proceeds from the side away from the line of contact.
    let a = draft.near.away[1].atan2(draft.near.away[0]) + 0.35 * normal(&mut rng);
    let u = [a.cos(), a.sin()];
    let first_day = rng.gen_range(0..200);
    let mut steps: Vec<Step> = Vec::new();
    let r = rng.gen::<f64>();
    match draft.class {
        HazardClass::Sha => {
            if r < 0.22 {
                steps.push(Step::CancelAll);
            } else if r < 0.8 {
                steps.push(Step::Cancel(rng.gen_range(0.2..0.7)));
                if rng.gen::<f64>() < 0.5 {
                    steps.push(Step::Reduce(rng.gen_range(0.1..0.5)));
                    if rng.gen::<f64>() < 0.3 {
                        steps.push(Step::Clear(rng.gen_range(15.0..100.0)));
                    }
                }
            } else {
                steps.push(Step::Cancel(rng.gen_range(0.3..0.8)));
                steps.push(Step::Reduce(1.0));
            }
        }
        HazardClass::Cha => {
            if r < 0.45 {
                steps.push(Step::Reduce(rng.gen_range(0.1..0.5)));
                steps.push(if rng.gen::<f64>() < 0.3 {
                    Step::ClearAll
                } else {
                    Step::Clear(rng.gen_range(15.0..100.0))
                });
            } else if r < 0.75 {
                steps.push(if draft.area_m2 < 40_000.0 || rng.gen::<f64>() < 0.2 {
                    Step::ClearAll
                } else {
                    Step::Clear(rng.gen_range(15.0..100.0))
                });
            } else {
                steps.push(Step::Cancel(rng.gen_range(0.1..0.4)));
                steps.push(Step::Clear(rng.gen_range(15.0..100.0)));
            }
        }
    }
    let eod = matches!(draft.contamination, "UXO" | "cluster_munitions" | "mixed") && rng.gen::<f64>() < 0.12;
    let mut plan = Plan {
        rng,
        draft,
        hazard_id,
        teams,
        pool,
        frame,
        items,
        cut: Cutter::new(&draft.km, u),
        released: 0.0,
        boundary: f64::INFINITY,
        day: first_day,
        out: Worked {
            found,
            ..Worked::default()
        },
        stopped: false,
    };
    if eod {
        plan.run(Step::Eod);
    }
    for step in steps {
        plan.run(step);
    }
    let mut out = plan.out;
    out.status = if out.activities.is_empty() {
        "active"
    } else if plan.released >= 1.0 {
        "released"
    } else {
        "partially_released"
    };
    out
}
