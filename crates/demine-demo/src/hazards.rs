//! Hazard outlines and their attributes.
//!
//! Geometry is built so that it is valid by construction, then checked anyway:
//!
//! * every outline is a *star-shaped* polygon around its centre (vertices at strictly
//!   increasing angles, positive radii), stretched and rotated by a linear map — simple and
//!   counter-clockwise by construction;
//! * hazards never overlap: each outline is clamped, vertex by vertex along its ray from the
//!   centre, into the Voronoi cell of its centre (the half-planes towards every neighbouring
//!   centre close enough to matter), shrunk by a small gap. Clamping along rays keeps the
//!   polygon star-shaped, and all vertices inside a convex cell keep the whole outline inside it;
//! * holes (a farmstead in a field) sit inside the largest disc around the centre that the
//!   outline contains; second parts of multipolygons get their own half of the cell.
//!
//! The only overlaps are the deliberate duplicates (the same land reported by two operators).

use crate::scale::Params;
use crate::util::{
    add, dot, item_rng, lognormal, norm, normal, planar_area, point_segment_distance, ring_area, scale, shape_ok,
    strictly_valid, sub, unit, Frame, Stream,
};
use crate::world::{Nearest, World};
use demine_core::HazardClass;
use geo::{MultiPolygon, Polygon};
use rand::Rng;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::f64::consts::{PI, TAU};

/// Why a hazard centre was drawn where it was.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    /// In the belt along the line of contact.
    Belt,
    /// Around a settlement (index).
    Place,
    /// Beside a road or at a junction (road direction in radians).
    Road(f64),
}

/// A hazard centre with everything decided before the outline is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Centre {
    pub c: [f64; 2],
    pub origin: Origin,
    pub near: Nearest,
    pub class: HazardClass,
    pub contamination: &'static str,
    pub land_use: &'static str,
    kind: Kind,
    /// Desired area, km².
    pub area: f64,
    /// Radius of a disc of the desired area: the weight of this centre in the cell split.
    pub r: f64,
}

/// A generated hazard before identifiers and words are attached.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub class: HazardClass,
    pub contamination: &'static str,
    pub land_use: &'static str,
    pub centre: [f64; 2],
    pub near: Nearest,
    /// Outline in the km frame.
    pub km: MultiPolygon<f64>,
    /// Outline in lon/lat.
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
    /// For a deliberate duplicate: the index of the hazard it duplicates.
    pub duplicate_of: Option<usize>,
}

/// Proposals drawn per candidate; the first one far enough from the centres already
/// accepted is kept.
const PROPOSALS: usize = 6;

/// Draws hazard centres (a belt along the line of contact, around settlements, along roads)
/// with their attributes and desired size, then keeps them in order by dart throwing: a
/// proposal closer to an accepted centre than `spacing` × (sum of radii) is rejected. This
/// keeps cells roomy enough for the hazards to fill them. Proposals are drawn in parallel
/// (one stream per candidate); acceptance is sequential, so the result is deterministic.
pub(crate) fn centres(world: &World, params: &Params, seed: u64) -> Vec<Centre> {
    let proposals: Vec<Vec<Centre>> = (0..params.candidates)
        .into_par_iter()
        .map(|i| {
            let mut rng = item_rng(seed, Stream::Centre, i as u64);
            (0..PROPOSALS)
                .filter_map(|_| propose(&mut rng, world, params))
                .collect()
        })
        .collect();
    let r_max = proposals.iter().flatten().map(|c| c.r).fold(0.0, f64::max);
    let mut tree: RTree<GeomWithData<[f64; 2], f64>> = RTree::new();
    let mut out = Vec::with_capacity(params.candidates);
    for list in proposals {
        for cand in list {
            let reach = params.spacing * (cand.r + r_max);
            let clash = tree
                .locate_within_distance(cand.c, reach * reach)
                .any(|o| norm(sub(*o.geom(), cand.c)) < params.spacing * (cand.r + o.data));
            if !clash {
                tree.insert(GeomWithData::new(cand.c, cand.r));
                out.push(cand);
                break;
            }
        }
    }
    out
}

/// One proposed centre with its attributes.
fn propose<R: Rng>(rng: &mut R, world: &World, params: &Params) -> Option<Centre> {
    let x = rng.gen::<f64>();
    let (c, origin) = if x < params.belt_share {
        (
            world.belt_point(rng, params.belt_scale_km, params.belt_max_km),
            Origin::Belt,
        )
    } else if x < params.belt_share + params.settlement_share {
        (world.place_point(rng, params.settlement_sigma_km).0, Origin::Place)
    } else {
        let (p, dir) = world.road_point(rng, params.road_sigma_km);
        (p, Origin::Road(dir))
    };
    if !world.inside(c, 0.1) {
        return None;
    }
    let near = world.line_index.nearest(c);
    let closeness = (-near.signed_km.abs() / params.front_km).exp();
    let class = if rng.gen::<f64>() < 0.06 + 0.45 * closeness {
        HazardClass::Cha
    } else {
        HazardClass::Sha
    };
    let w = closeness;
    let mut contamination = vec![
        ("AP_mines", 0.08 + 0.25 * w),
        ("AT_mines", 0.06 + 0.2 * w),
        ("mixed", 0.15 + 0.15 * w),
        ("UXO", 0.45 - 0.3 * w),
        ("cluster_munitions", 0.2 - 0.1 * w),
    ];
    if matches!(origin, Origin::Place) {
        contamination[3].1 += 0.2;
        contamination[4].1 += 0.15;
    }
    let contamination = weighted_str(rng, &contamination);
    let land_use = match origin {
        Origin::Belt => weighted_str(
            rng,
            &[
                ("agricultural", 0.42),
                ("forest", 0.28),
                ("grazing", 0.12),
                ("wetland", 0.06),
                ("infrastructure", 0.04),
                ("road", 0.04),
                ("residential", 0.04),
            ],
        ),
        Origin::Place => weighted_str(
            rng,
            &[
                ("residential", 0.4),
                ("agricultural", 0.25),
                ("grazing", 0.12),
                ("infrastructure", 0.13),
                ("forest", 0.1),
            ],
        ),
        Origin::Road(_) => weighted_str(
            rng,
            &[
                ("road", 0.55),
                ("infrastructure", 0.15),
                ("agricultural", 0.2),
                ("forest", 0.1),
            ],
        ),
    };
    let kind = if land_use == "road" && matches!(origin, Origin::Road(_)) {
        Kind::Strip
    } else if land_use == "agricultural" && rng.gen::<f64>() < 0.55 {
        Kind::Field
    } else if matches!(contamination, "AP_mines" | "AT_mines" | "mixed") && closeness > 0.4 && rng.gen::<f64>() < 0.65 {
        Kind::Minefield
    } else {
        Kind::Blob
    };
    // Size: log-normal, smaller for CHAs, settlements and roads.
    let mut area = lognormal(
        rng,
        params.size_median_km2,
        params.size_sigma,
        0.01,
        params.size_max_km2,
    );
    area *= match class {
        HazardClass::Cha => 0.35,
        HazardClass::Sha => 1.0,
    };
    area *= match land_use {
        "residential" => 0.4,
        "infrastructure" => 0.5,
        "road" => 0.3,
        "wetland" => 0.7,
        _ => 1.0,
    };
    if kind == Kind::Field {
        area = area.min(3.0);
    }
    let area = area.max(0.008);
    Some(Centre {
        c,
        origin,
        near,
        class,
        contamination,
        land_use,
        kind,
        area,
        r: (area / PI).sqrt(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Elongated along the line of contact.
    Minefield,
    /// A quadrilateral field parcel.
    Field,
    /// A narrow strip along a road.
    Strip,
    /// An irregular area.
    Blob,
}

/// A second part: its centre, vertex offsets, the direction from the main centre, and the
/// distance from the main centre of the line that separates the two parts.
type Satellite = ([f64; 2], Vec<[f64; 2]>, [f64; 2], f64);

/// A half-plane `n · v <= h` (n a unit vector), in km.
type Plane = ([f64; 2], f64);

/// Vertex offsets of a star-shaped outline around the origin, counter-clockwise, with unit
/// area; `aspect` stretches it along `angle`.
fn star<R: Rng>(n: usize, aspect: f64, angle: f64, noise: f64, rng: &mut R) -> Vec<[f64; 2]> {
    let phase = rng.gen::<f64>() * TAU;
    let harmonics: Vec<(f64, f64, f64)> = (2..=5)
        .map(|h| {
            (
                h as f64,
                noise * rng.gen::<f64>() / (h as f64 - 1.0),
                rng.gen::<f64>() * TAU,
            )
        })
        .collect();
    let (sx, sy) = (aspect.sqrt(), 1.0 / aspect.sqrt());
    let (ca, sa) = (angle.cos(), angle.sin());
    let mut pts: Vec<[f64; 2]> = (0..n)
        .map(|k| {
            let t = phase + (k as f64 + rng.gen_range(-0.3..0.3)) / n as f64 * TAU;
            let mut r = 1.0 + noise * 0.15 * rng.gen_range(-1.0..1.0);
            for &(h, a, ph) in &harmonics {
                r += a * (h * t + ph).cos();
            }
            let r = r.max(0.35);
            let (x, y) = (r * t.cos() * sx, r * t.sin() * sy);
            [x * ca - y * sa, x * sa + y * ca]
        })
        .collect();
    normalise(&mut pts, 1.0);
    pts
}

/// A field parcel: a slightly irregular rectangle, counter-clockwise, unit area.
fn quad<R: Rng>(aspect: f64, angle: f64, rng: &mut R) -> Vec<[f64; 2]> {
    let (a, b) = (aspect.sqrt(), 1.0 / aspect.sqrt());
    let j = 0.06 * b;
    let mut jit = |v: f64| v + rng.gen_range(-j..j);
    let corners = [[a, -b], [a, b], [-a, b], [-a, -b]];
    let (ca, sa) = (angle.cos(), angle.sin());
    let mut pts: Vec<[f64; 2]> = corners
        .iter()
        .map(|&[x, y]| {
            let (x, y) = (jit(x), jit(y));
            [x * ca - y * sa, x * sa + y * ca]
        })
        .collect();
    normalise(&mut pts, 1.0);
    pts
}

/// Scales offsets about the origin to the given area.
fn normalise(pts: &mut [[f64; 2]], area: f64) {
    let a0 = ring_area(pts).abs();
    if a0 > 0.0 {
        let k = (area / a0).sqrt();
        for p in pts.iter_mut() {
            *p = scale(*p, k);
        }
    }
}

fn extent(offsets: &[[f64; 2]]) -> f64 {
    offsets.iter().map(|&w| norm(w)).fold(0.0, f64::max)
}

/// Moves each vertex `centre + w` towards the centre along its ray until it satisfies every
/// half-plane. Star-shapedness, and so simplicity, is kept.
///
/// Vertices stopped by the same half-plane would be exactly collinear; each is pulled in by
/// a different hair (a few centimetres per kilometre) so that none is collinear.
/// `BooleanOps` drops collinear vertices, and an edge that loses its middle vertex is a
/// different geodesic: pieces of a hazard would no longer add up to the hazard.
fn clamp(centre: [f64; 2], offsets: &[[f64; 2]], planes: &[Plane]) -> Vec<[f64; 2]> {
    offsets
        .iter()
        .enumerate()
        .map(|(k, &w)| {
            let mut t: f64 = 1.0;
            for &(n, h) in planes {
                let nw = dot(n, w);
                if nw > 0.0 {
                    t = t.min((h - dot(n, centre)) / nw);
                }
            }
            if t < 1.0 {
                let hair = 1e-4 * (0.5 + (k as f64 * 0.618_033_988_75).fract());
                t *= 1.0 - hair;
            }
            add(centre, scale(w, t.max(0.0)))
        })
        .collect()
}

/// Whether `p` is strictly inside every half-plane, by `eps` km.
fn inside_planes(p: [f64; 2], planes: &[Plane], eps: f64) -> bool {
    planes.iter().all(|&(n, h)| h - dot(n, p) > eps)
}

fn weighted_str<R: Rng>(rng: &mut R, items: &[(&'static str, f64)]) -> &'static str {
    crate::util::weighted(rng, items)
}

/// Builds the outline of candidate `i`, or `None` if it does not fit among its neighbours.
pub(crate) fn shape(
    i: usize,
    centres: &[Centre],
    tree: &RTree<GeomWithData<[f64; 2], usize>>,
    r_max: f64,
    world: &World,
    params: &Params,
    seed: u64,
) -> Option<Draft> {
    let mut rng = item_rng(seed, Stream::Shape, i as u64);
    let Centre {
        c,
        origin,
        near,
        class,
        contamination,
        land_use,
        kind,
        area,
        r: r_i,
    } = centres[i];
    let (vmin, vmax) = params.vertices;
    let size_t = ((area / 0.01).ln() / (2000.0f64).ln()).clamp(0.0, 1.0);
    let pick_n = |rng: &mut rand_chacha::ChaCha8Rng, bonus: f64| -> usize {
        let t = (0.6 * size_t + 0.4 * rng.gen::<f64>() + bonus).clamp(0.0, 1.0);
        vmin + ((vmax - vmin) as f64 * t).round() as usize
    };
    let tangent_angle = near.tangent[1].atan2(near.tangent[0]);
    let mut offsets = match kind {
        Kind::Minefield => {
            let n = pick_n(&mut rng, 0.25);
            let aspect = rng.gen_range(2.0..5.0);
            star(n, aspect, tangent_angle + normal(&mut rng) * 0.14, 0.12, &mut rng)
        }
        Kind::Field => {
            let local = world.field_angle + 0.5 * (c[0] / 200.0).sin() + 0.5 * (c[1] / 170.0).cos();
            let turn = if rng.gen::<bool>() { PI / 2.0 } else { 0.0 };
            quad(rng.gen_range(1.2..3.0), local + turn + normal(&mut rng) * 0.1, &mut rng)
        }
        Kind::Strip => {
            let dir = match origin {
                Origin::Road(d) => d,
                _ => rng.gen_range(0.0..PI),
            };
            let n = pick_n(&mut rng, 0.0).max(12);
            star(
                n,
                rng.gen_range(4.0..9.0),
                dir + normal(&mut rng) * 0.07,
                0.06,
                &mut rng,
            )
        }
        Kind::Blob => {
            let n = pick_n(&mut rng, 0.0);
            let aspect = rng.gen_range(1.0..2.5);
            let angle = rng.gen_range(0.0..PI);
            let noise = rng.gen_range(0.12..0.3);
            star(n, aspect, angle, noise, &mut rng)
        }
    };
    normalise(&mut offsets, area);
    let e_main = extent(&offsets);

    // A second part for a few SHAs (a multipolygon).
    let mut satellite: Option<Satellite> = None;
    let g = params.gap_km;
    if class == HazardClass::Sha
        && matches!(land_use, "agricultural" | "forest" | "grazing")
        && area > 0.05
        && rng.gen::<f64>() < 0.03
    {
        let mut sat = star(
            vmin.max(10),
            rng.gen_range(1.0..2.0),
            rng.gen_range(0.0..PI),
            0.15,
            &mut rng,
        );
        normalise(&mut sat, area * rng.gen_range(0.1..0.4));
        let e_sat = extent(&sat);
        let dir = unit(rng.gen_range(0.0..TAU));
        let split = e_main + 2.0 * g;
        let sc = add(c, scale(dir, split + g + 0.9 * e_sat));
        satellite = Some((sc, sat, dir, split));
    }
    let reach = match &satellite {
        Some((sc, sat, _, _)) => norm(sub(*sc, c)) + extent(sat),
        None => e_main,
    };

    // The cell of the centre, shrunk by the gap, and the box. Cells are split additively
    // weighted: the boundary between centres i and j lies (L + r_i - r_j) / 2 from i (kept
    // within 20–80 % of the distance L), so a large hazard keeps its room beside a small one.
    // The split is the same line seen from either side, so cells never overlap; a centre j
    // farther than this radius cannot reach the outline.
    let radius = (5.0 * (reach + g)).min(2.0 * (reach + g) + (r_max - r_i).max(0.0)) + 1e-6;
    let mut planes: Vec<Plane> = Vec::new();
    for nb in tree.locate_within_distance(c, radius * radius) {
        if nb.data == i {
            continue;
        }
        let d = sub(*nb.geom(), c);
        let len = norm(d);
        if len < 1e-9 {
            return None;
        }
        let n = scale(d, 1.0 / len);
        let r_j = centres[nb.data].r;
        let split = (0.5 * (len + r_i - r_j)).clamp(0.2 * len, 0.8 * len);
        let half = split - g.min(0.1 * len);
        planes.push((n, dot(n, c) + half));
    }
    let b = world.bbox_km;
    let m = 0.02;
    planes.extend_from_slice(&[
        ([1.0, 0.0], b[2] - m),
        ([-1.0, 0.0], -(b[0] + m)),
        ([0.0, 1.0], b[3] - m),
        ([0.0, -1.0], -(b[1] + m)),
    ]);
    if !inside_planes(c, &planes, 1e-6) {
        return None;
    }

    let mut main_planes = planes.clone();
    let mut parts: Vec<Vec<[f64; 2]>> = Vec::new();
    if let Some((sc, sat, dir, split)) = &satellite {
        main_planes.push((*dir, dot(*dir, c) + split - g));
        let mut sat_planes = planes.clone();
        let back = scale(*dir, -1.0);
        sat_planes.push((back, -(dot(*dir, c) + split + g)));
        if inside_planes(*sc, &sat_planes, 1e-6) {
            let pts = clamp(*sc, sat, &sat_planes);
            if ring_area(&pts) >= 0.3 * ring_area(sat) && ring_area(&pts) >= 0.005 {
                parts.push(pts);
            }
        }
    }
    let main = clamp(c, &offsets, &main_planes);
    let main_area = ring_area(&main);
    if main_area < 0.006 {
        return None;
    }

    // A farmstead (hole) inside a few larger parcels.
    let mut holes: Vec<Vec<[f64; 2]>> = Vec::new();
    if parts.is_empty()
        && main_area > 0.25
        && matches!(land_use, "agricultural" | "grazing" | "forest")
        && rng.gen::<f64>() < 0.05
    {
        let n = main.len();
        let d_min = (0..n)
            .map(|k| point_segment_distance(c, main[k], main[(k + 1) % n]))
            .fold(f64::INFINITY, f64::min);
        let rh = rng.gen_range(0.03..0.1f64).min(0.35 * d_min);
        if rh >= 0.02 {
            let mut h = star(
                rng.gen_range(6..=10),
                rng.gen_range(1.0..1.5),
                rng.gen_range(0.0..PI),
                0.1,
                &mut rng,
            );
            let k = rh / extent(&h).max(1e-12);
            let mut ring: Vec<[f64; 2]> = h.iter_mut().map(|w| add(c, scale(*w, k))).collect();
            ring.reverse(); // holes clockwise
            holes.push(ring);
        }
    }

    let mut polys = vec![Polygon::new(
        crate::util::closed_ring(&main),
        holes.iter().map(|h| crate::util::closed_ring(h)).collect(),
    )];
    polys.extend(parts.iter().map(|p| Polygon::new(crate::util::closed_ring(p), vec![])));
    let km = MultiPolygon::new(polys);
    if !shape_ok(&km, 2.0, 4.5) {
        return None;
    }
    finish(world.frame, km, class, contamination, land_use, c, near, None)
}

/// Converts a km outline to lon/lat, checks it and measures it.
#[allow(clippy::too_many_arguments)]
fn finish(
    frame: Frame,
    km: MultiPolygon<f64>,
    class: HazardClass,
    contamination: &'static str,
    land_use: &'static str,
    centre: [f64; 2],
    near: Nearest,
    duplicate_of: Option<usize>,
) -> Option<Draft> {
    let geometry = frame.multipolygon(&km);
    if !strictly_valid(&geometry) {
        return None;
    }
    let area_m2 = demine_core::geodesy::area_m2(&geometry);
    Some(Draft {
        class,
        contamination,
        land_use,
        centre,
        near,
        km,
        geometry,
        area_m2,
        duplicate_of,
    })
}

/// A second report of hazard `of` by another operator: the same land, digitised differently
/// (shifted, rescaled, slightly rotated; holes and second parts not drawn).
pub(crate) fn duplicate<R: Rng>(rng: &mut R, of: usize, orig: &Draft, world: &World) -> Option<Draft> {
    let ext = orig.km.0.first()?.exterior();
    let pts = crate::util::open_ring(ext);
    let c = orig.centre;
    let e = pts.iter().map(|&p| norm(sub(p, c))).fold(0.0, f64::max);
    let shift = scale(unit(rng.gen_range(0.0..TAU)), e * rng.gen_range(0.05..0.2));
    let k = rng.gen_range(0.85..1.05);
    let a: f64 = rng.gen_range(-0.14..0.14);
    let (ca, sa) = (a.cos(), a.sin());
    let moved: Vec<[f64; 2]> = pts
        .iter()
        .map(|&p| {
            let w = sub(p, c);
            let w = [k * (w[0] * ca - w[1] * sa), k * (w[0] * sa + w[1] * ca)];
            add(add(c, shift), w)
        })
        .collect();
    if !moved.iter().all(|&p| world.inside(p, 0.01)) {
        return None;
    }
    let km = MultiPolygon::new(vec![Polygon::new(crate::util::closed_ring(&moved), vec![])]);
    if !shape_ok(&km, 2.0, 4.5) || planar_area(&km) <= 0.0 {
        return None;
    }
    let contamination = if rng.gen::<f64>() < 0.3 {
        "mixed"
    } else {
        orig.contamination
    };
    finish(
        world.frame,
        km,
        orig.class,
        contamination,
        orig.land_use,
        add(c, shift),
        orig.near,
        Some(of),
    )
}
