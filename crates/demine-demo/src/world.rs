//! The landscape: bounding box, former line of contact, settlements and roads, all in the
//! local km frame, with the spatial indexes later stages query.

use crate::scale::Params;
use crate::util::{
    add, cumulative, dot, exponential, item_rng, lognormal, norm, normal, pick_cumulative, scale, sub, Frame, Stream,
};
use rand::Rng;
use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;
use std::collections::HashSet;

/// A polyline in km with its running length, for sampling along it.
#[derive(Debug, Clone)]
pub(crate) struct Polyline {
    pub pts: Vec<[f64; 2]>,
    cum: Vec<f64>,
}

impl Polyline {
    pub(crate) fn new(pts: Vec<[f64; 2]>) -> Polyline {
        let mut cum = Vec::with_capacity(pts.len());
        let mut acc = 0.0;
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                acc += norm(sub(*p, pts[i - 1]));
            }
            cum.push(acc);
        }
        Polyline { pts, cum }
    }

    pub(crate) fn length(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// Point and unit tangent at arc length `s`.
    pub(crate) fn at(&self, s: f64) -> ([f64; 2], [f64; 2]) {
        let n = self.pts.len();
        if n < 2 {
            return (self.pts.first().copied().unwrap_or([0.0, 0.0]), [1.0, 0.0]);
        }
        let i = self.cum.partition_point(|&c| c <= s).clamp(1, n - 1);
        let (a, b) = (self.pts[i - 1], self.pts[i]);
        let seg = self.cum[i] - self.cum[i - 1];
        let t = if seg > 0.0 {
            ((s - self.cum[i - 1]) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = sub(b, a);
        let len = norm(d);
        let tangent = if len > 0.0 { scale(d, 1.0 / len) } else { [1.0, 0.0] };
        (add(a, scale(d, t)), tangent)
    }
}

/// Where a point lies relative to the line of contact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Nearest {
    /// Distance in km, positive on the left of the line's direction.
    pub signed_km: f64,
    /// Unit tangent of the line at the nearest point.
    pub tangent: [f64; 2],
    /// Unit vector from the line towards the point (the normal on the point's side).
    pub away: [f64; 2],
}

/// Nearest-segment queries on a polyline.
pub(crate) struct LineIndex {
    tree: RTree<GeomWithData<Line<[f64; 2]>, usize>>,
}

impl LineIndex {
    pub(crate) fn new(pts: &[[f64; 2]]) -> LineIndex {
        let segs = pts
            .windows(2)
            .enumerate()
            .map(|(i, w)| GeomWithData::new(Line::new(w[0], w[1]), i))
            .collect();
        LineIndex {
            tree: RTree::bulk_load(segs),
        }
    }

    pub(crate) fn nearest(&self, p: [f64; 2]) -> Nearest {
        let Some(seg) = self.tree.nearest_neighbor(&p) else {
            return Nearest {
                signed_km: 1e9,
                tangent: [1.0, 0.0],
                away: [0.0, 1.0],
            };
        };
        let (a, b) = (seg.geom().from, seg.geom().to);
        let d = sub(b, a);
        let len2 = dot(d, d);
        let t = if len2 > 0.0 {
            (dot(sub(p, a), d) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let foot = add(a, scale(d, t));
        let len = len2.sqrt();
        let tangent = if len > 0.0 { scale(d, 1.0 / len) } else { [1.0, 0.0] };
        let left = [-tangent[1], tangent[0]];
        let off = sub(p, foot);
        let dist = norm(off);
        let side = if dot(off, left) >= 0.0 { 1.0 } else { -1.0 };
        let away = if dist > 1e-9 { scale(off, 1.0 / dist) } else { left };
        Nearest {
            signed_km: side * dist,
            tangent,
            away,
        }
    }
}

/// A settlement in the km frame.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// Made-up name without the "(synthetic)" mark.
    pub base_name: String,
    pub km: [f64; 2],
    pub population: u32,
}

/// Everything later stages need to know about the landscape.
pub(crate) struct World {
    pub frame: Frame,
    /// min_x, min_y, max_x, max_y in km.
    pub bbox_km: [f64; 4],
    pub line: Polyline,
    pub line_index: LineIndex,
    pub places: Vec<Place>,
    pub place_tree: RTree<GeomWithData<[f64; 2], usize>>,
    pub roads: Vec<Polyline>,
    /// Sampling tables for hazard centres near settlements and along roads.
    pub place_cum: Vec<f64>,
    pub road_cum: Vec<f64>,
    /// Orientation of the field pattern (radians), varying slowly across the region.
    pub field_angle: f64,
}

impl World {
    pub(crate) fn build(params: &Params, seed: u64) -> World {
        let mut rng = item_rng(seed, Stream::World, 0);
        let frame = Frame::new(params.bbox);
        let lo = frame.km(params.bbox[0], params.bbox[1]);
        let hi = frame.km(params.bbox[2], params.bbox[3]);
        let bbox_km = [lo[0], lo[1], hi[0], hi[1]];

        // Line of contact: the backbone, roughened by midpoint displacement, smoothed.
        let backbone: Vec<[f64; 2]> = params.backbone.iter().map(|p| frame.km(p[0], p[1])).collect();
        let mut pts = displace(&mut rng, &backbone, params.line_roughness, params.line_step_km);
        smooth(&mut pts, 2);
        for p in &mut pts {
            p[0] = p[0].clamp(bbox_km[0], bbox_km[2]);
            p[1] = p[1].clamp(bbox_km[1], bbox_km[3]);
        }
        let line_index = LineIndex::new(&pts);
        let line = Polyline::new(pts);

        // Settlements: spread over the box with a minimum spacing; the first few are towns.
        let n_places = rng.gen_range(params.settlements.0..=params.settlements.1);
        let mut places: Vec<Place> = Vec::with_capacity(n_places);
        let mut names = HashSet::new();
        let margin = params.settlement_spacing_km * 0.5;
        let mut tries = 0;
        while places.len() < n_places && tries < n_places * 200 {
            tries += 1;
            let p = [
                rng.gen_range(bbox_km[0] + margin..bbox_km[2] - margin),
                rng.gen_range(bbox_km[1] + margin..bbox_km[3] - margin),
            ];
            let spacing = params.settlement_spacing_km;
            if places.iter().any(|q| norm(sub(q.km, p)) < spacing) {
                continue;
            }
            let population = if places.len() < params.towns {
                lognormal(&mut rng, 9_000.0, 0.6, 3_000.0, 60_000.0)
            } else {
                lognormal(&mut rng, 450.0, 1.0, 30.0, 6_000.0)
            };
            let population = (population / 10.0).round() as u32 * 10;
            places.push(Place {
                base_name: place_name(&mut rng, &mut names),
                km: p,
                population,
            });
        }
        let place_tree = RTree::bulk_load(
            places
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(p.km, i))
                .collect(),
        );

        // Roads: a minimum spanning tree over the settlements, plus a few loops.
        let mut edges = minimum_spanning_tree(&places);
        let mut seen: HashSet<(usize, usize)> = edges.iter().copied().collect();
        for i in 0..places.len() {
            if rng.gen::<f64>() < 0.25 {
                let mut near: Vec<(f64, usize)> = (0..places.len())
                    .filter(|&j| j != i)
                    .map(|j| (norm(sub(places[i].km, places[j].km)), j))
                    .collect();
                near.sort_by(|a, b| a.0.total_cmp(&b.0));
                if let Some(&(_, j)) = near.get(1) {
                    let key = (i.min(j), i.max(j));
                    if seen.insert(key) {
                        edges.push(key);
                    }
                }
            }
        }
        let roads: Vec<Polyline> = edges
            .iter()
            .map(|&(i, j)| {
                let mut pts = displace(&mut rng, &[places[i].km, places[j].km], 0.07, params.road_step_km);
                smooth(&mut pts, 1);
                Polyline::new(pts)
            })
            .collect();

        let belt = params.belt_scale_km;
        let place_cum = cumulative(places.iter().map(|p| {
            let d = line_index.nearest(p.km).signed_km.abs();
            (p.population as f64).powf(0.4) * (-d / (2.0 * belt)).exp()
        }));
        let road_cum = cumulative(roads.iter().map(|r| {
            let (mid, _) = r.at(0.5 * r.length());
            let d = line_index.nearest(mid).signed_km.abs();
            r.length() * (-d / (2.0 * belt)).exp()
        }));
        let field_angle = rng.gen_range(0.0..std::f64::consts::PI);
        World {
            frame,
            bbox_km,
            line,
            line_index,
            places,
            place_tree,
            roads,
            place_cum,
            road_cum,
            field_angle,
        }
    }

    /// The settlement nearest to `p`.
    pub(crate) fn nearest_place(&self, p: [f64; 2]) -> Option<usize> {
        self.place_tree.nearest_neighbor(&p).map(|g| g.data)
    }

    /// Whether `p` lies inside the box, `margin` km from its edges.
    pub(crate) fn inside(&self, p: [f64; 2], margin: f64) -> bool {
        let b = self.bbox_km;
        p[0] >= b[0] + margin && p[0] <= b[2] - margin && p[1] >= b[1] + margin && p[1] <= b[3] - margin
    }

    /// A random point in the belt along the line of contact.
    pub(crate) fn belt_point<R: Rng>(&self, rng: &mut R, mean_km: f64, max_km: f64) -> [f64; 2] {
        let s = rng.gen::<f64>() * self.line.length();
        let (p, t) = self.line.at(s);
        let mut d = exponential(rng, mean_km);
        for _ in 0..8 {
            if d <= max_km {
                break;
            }
            d = exponential(rng, mean_km);
        }
        let d = d.min(max_km);
        let side = if rng.gen::<bool>() { 1.0 } else { -1.0 };
        add(p, scale([-t[1], t[0]], side * d))
    }

    /// A random point near a settlement (weighted by size and closeness to the line).
    pub(crate) fn place_point<R: Rng>(&self, rng: &mut R, sigma_km: f64) -> ([f64; 2], usize) {
        let i = pick_cumulative(rng, &self.place_cum);
        let c = self.places.get(i).map_or([0.0, 0.0], |p| p.km);
        let r = sigma_km * (0.3 + normal(rng).abs());
        let a = rng.gen::<f64>() * std::f64::consts::TAU;
        (add(c, [r * a.cos(), r * a.sin()]), i)
    }

    /// A random point beside a road (or at its ends, the junctions), with the road direction.
    pub(crate) fn road_point<R: Rng>(&self, rng: &mut R, sigma_km: f64) -> ([f64; 2], f64) {
        let i = pick_cumulative(rng, &self.road_cum);
        let Some(road) = self.roads.get(i) else {
            return (self.belt_point(rng, 1.0, 1.0), 0.0);
        };
        let at_junction = rng.gen::<f64>() < 0.3;
        let s = if at_junction {
            let ends = if rng.gen::<bool>() { 0.0 } else { road.length() };
            (ends + normal(rng) * 1.5 * sigma_km).clamp(0.0, road.length())
        } else {
            rng.gen::<f64>() * road.length()
        };
        let (p, t) = road.at(s);
        let off = normal(rng) * sigma_km;
        (add(p, scale([-t[1], t[0]], off)), t[1].atan2(t[0]))
    }
}

/// Roughens a polyline: repeatedly inserts displaced midpoints until segments are shorter than
/// `step_km`. The displacement is proportional to the segment length (self-similar wiggles).
fn displace<R: Rng>(rng: &mut R, pts: &[[f64; 2]], roughness: f64, step_km: f64) -> Vec<[f64; 2]> {
    let mut cur = pts.to_vec();
    for _ in 0..24 {
        let mut next = Vec::with_capacity(cur.len() * 2);
        let mut changed = false;
        for w in cur.windows(2) {
            next.push(w[0]);
            let d = sub(w[1], w[0]);
            let len = norm(d);
            if len > step_km {
                let n = [-d[1] / len, d[0] / len];
                let mid = add(scale(add(w[0], w[1]), 0.5), scale(n, len * roughness * normal(rng)));
                next.push(mid);
                changed = true;
            }
        }
        if let Some(&last) = cur.last() {
            next.push(last);
        }
        cur = next;
        if !changed {
            break;
        }
    }
    cur
}

/// Moving-average smoothing that keeps the end points.
fn smooth(pts: &mut [[f64; 2]], passes: usize) {
    for _ in 0..passes {
        if pts.len() < 3 {
            return;
        }
        let prev = pts.to_vec();
        for i in 1..pts.len() - 1 {
            pts[i] = [
                0.25 * prev[i - 1][0] + 0.5 * prev[i][0] + 0.25 * prev[i + 1][0],
                0.25 * prev[i - 1][1] + 0.5 * prev[i][1] + 0.25 * prev[i + 1][1],
            ];
        }
    }
}

/// Prim's algorithm over straight-line distances (O(n²), fine for a few hundred places).
fn minimum_spanning_tree(places: &[Place]) -> Vec<(usize, usize)> {
    let n = places.len();
    if n < 2 {
        return Vec::new();
    }
    let mut in_tree = vec![false; n];
    let mut best = vec![(f64::INFINITY, 0usize); n];
    in_tree[0] = true;
    for j in 1..n {
        best[j] = (norm(sub(places[0].km, places[j].km)), 0);
    }
    let mut edges = Vec::with_capacity(n - 1);
    for _ in 1..n {
        let mut k = usize::MAX;
        let mut kd = f64::INFINITY;
        for j in 0..n {
            if !in_tree[j] && best[j].0 < kd {
                kd = best[j].0;
                k = j;
            }
        }
        if k == usize::MAX {
            break;
        }
        in_tree[k] = true;
        edges.push((best[k].1.min(k), best[k].1.max(k)));
        for j in 0..n {
            if !in_tree[j] {
                let d = norm(sub(places[k].km, places[j].km));
                if d < best[j].0 {
                    best[j] = (d, k);
                }
            }
        }
    }
    edges
}

const ROOTS: &[&str] = &[
    "Dub", "Berez", "Sosn", "Lyp", "Kamian", "Krasn", "Zelen", "Pokrov", "Novosil", "Vyshn", "Hrab", "Topol", "Ozer",
    "Luh", "Pol", "Yabl", "Cher", "Bil", "Sokol", "Horod", "Kozach", "Mykhail", "Petr", "Hlyb", "Ryb", "Kalyn", "Krut",
    "Rudn", "Sad", "Yasen", "Klen", "Osyk", "Orl", "Lis", "Vovch", "Zhuk", "Bar", "Trost", "Mokr", "Sukh", "Kryn",
    "Shyr", "Vil", "Hor", "Dolyn", "Kut", "Mlyn", "Tern", "Kalach", "Hay", "Bor", "Ros", "Zarich", "Lozov", "Vorob",
    "Hrushev", "Smol", "Dobr", "Svitl", "Chorn",
];
const SUFFIXES: &[&str] = &[
    "ivka",
    "ove",
    "ivske",
    "anka",
    "ivtsi",
    "ychi",
    "yne",
    "ets",
    "yshche",
    "ova Balka",
    "yn Khutir",
    "ivka Druha",
];

/// A plausible made-up village name, unique within the campaign.
fn place_name<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    for attempt in 0..200 {
        let root = ROOTS[rng.gen_range(0..ROOTS.len())];
        // Simple suffixes are far more common than two-word names.
        let k = if rng.gen::<f64>() < 0.85 {
            rng.gen_range(0..9)
        } else {
            rng.gen_range(9..SUFFIXES.len())
        };
        let mut name = format!("{root}{}", SUFFIXES[k]);
        if attempt >= 100 {
            name = format!("{name} {}", attempt - 98);
        }
        if used.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("Selo {}", used.len() + 1);
    used.insert(name.clone());
    name
}
