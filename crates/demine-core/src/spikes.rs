//! Spikes: a ring's vertex whose two edges meet at almost no angle, so that the boundary runs
//! out to it and back along nearly the same line. `demine check` reports them in the registry;
//! [`without_spikes`] removes them from geometry demine derives itself (the union of a day's
//! lanes, clipped to its hazard), where two boundaries that should coincide differ by a
//! rounding and leave a zero-width slit. The same rounding leaves dust: parts and holes of no
//! real area, which [`without_dust`] removes.

use crate::geodesy::{polygon_area_m2, LocalFrame};
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};

/// Parts and holes smaller than this are dust (10 × 10 cm): no land anyone works.
pub const DUST_M2: f64 = 0.01;
/// Parts, holes and spikes thinner than this on average (twice the area over the perimeter) are
/// slivers a rounding left, however long: a 166 m needle 1 mm wide is no land either.
pub const SLIVER_WIDTH_M: f64 = 0.01;

/// A vertex whose two edges meet at less than this angle is a spike.
pub const SPIKE_ANGLE_DEG: f64 = 1.0;
/// Consecutive vertices closer than this (degrees, about 0.1 mm) are one vertex.
const SAME_VERTEX_DEG: f64 = 1e-9;

/// The angle at `b` between its edges to `a` and to `c`, in degrees, measured in a local metric
/// frame (longitude scaled by the cosine of the latitude); `None` when an edge has no length.
///
/// ```
/// use demine_core::spikes::vertex_angle_deg;
/// use geo::coord;
/// let right = vertex_angle_deg(coord! { x: 30.0, y: 50.001 }, coord! { x: 30.0, y: 50.0 }, coord! { x: 30.001, y: 50.0 });
/// assert!((right.unwrap() - 90.0).abs() < 1e-9);
/// ```
pub fn vertex_angle_deg(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Option<f64> {
    let k = b.y.to_radians().cos();
    let (ux, uy) = ((a.x - b.x) * k, a.y - b.y);
    let (vx, vy) = ((c.x - b.x) * k, c.y - b.y);
    let (nu, nv) = ((ux * ux + uy * uy).sqrt(), (vx * vx + vy * vy).sqrt());
    if nu > 0.0 && nv > 0.0 {
        let cos = ((ux * vx + uy * vy) / (nu * nv)).clamp(-1.0, 1.0);
        Some(cos.acos().to_degrees())
    } else {
        None
    }
}

/// `g` without slits: every vertex whose edges meet at less than [`SPIKE_ANGLE_DEG`] and whose
/// triangle with its neighbours is thinner than [`SLIVER_WIDTH_M`] is dropped, and vertices that then
/// fall together are merged, until none is left; a ring that collapses goes (an exterior with
/// its polygon). A narrow wedge with land in it stays (`check` reports it), so the area stays.
///
/// ```
/// use demine_core::spikes::without_spikes;
/// use geo::{polygon, Area, MultiPolygon};
/// // A 1 m square's edge with a slit running 100 m out and back.
/// let spiky = polygon![(x: 30.0, y: 50.0), (x: 30.00001, y: 50.0), (x: 30.00001, y: 50.00001),
///     (x: 30.000005, y: 50.00001), (x: 30.000005, y: 50.001), (x: 30.000005, y: 50.00001),
///     (x: 30.0, y: 50.00001), (x: 30.0, y: 50.0)];
/// let clean = without_spikes(&MultiPolygon(vec![spiky.clone()]));
/// // The four corners and the slit's foot on the edge, closed.
/// assert_eq!(clean.0[0].exterior().0.len(), 6);
/// assert!((clean.unsigned_area() - spiky.unsigned_area()).abs() < 1e-15);
/// ```
pub fn without_spikes(g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(
        g.0.iter()
            .filter_map(|p| {
                let exterior = ring_without_spikes(p.exterior())?;
                let interiors = p.interiors().iter().filter_map(ring_without_spikes).collect();
                let clean = Polygon::new(exterior, interiors);
                // A narrow wedge is not a slit: cutting it off may leave a hole outside, or
                // rings crossing. Then the polygon stays as it was (`check` will show it).
                Some(if clean.is_valid() || !p.is_valid() {
                    clean
                } else {
                    p.clone()
                })
            })
            .collect(),
    )
}

/// `g` without dust: parts whose land (the exterior less its holes) is under [`DUST_M2`] or
/// thinner than [`SLIVER_WIDTH_M`] go, and such holes close (measured in the local metric frame
/// of each part).
///
/// ```
/// use demine_core::spikes::without_dust;
/// use geo::{polygon, MultiPolygon};
/// let land = polygon![(x: 30.0, y: 50.0), (x: 30.001, y: 50.0), (x: 30.001, y: 50.001), (x: 30.0, y: 50.001)];
/// let dust = polygon![(x: 30.002, y: 50.0), (x: 30.002_000_1, y: 50.0), (x: 30.002, y: 50.000_000_1)];
/// assert_eq!(without_dust(&MultiPolygon(vec![land.clone(), dust])), MultiPolygon(vec![land.clone()]));
/// // A part whose holes leave it no land (a net of zero-width walls) is dust too.
/// let net = geo::Polygon::new(land.exterior().clone(), vec![land.exterior().clone()]);
/// assert!(without_dust(&MultiPolygon(vec![net])).0.is_empty());
/// ```
pub fn without_dust(g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let land = |p: &Polygon<f64>| {
        let Some(&origin) = p.exterior().0.first() else {
            return false;
        };
        let m2 = polygon_area_m2(p);
        let frame = LocalFrame::at(origin.x, origin.y);
        m2 >= DUST_M2
            && !is_sliver(
                m2,
                perimeter_m(&frame, std::iter::once(p.exterior()).chain(p.interiors())),
            )
    };
    MultiPolygon(
        g.0.iter()
            .filter(|p| land(p))
            .map(|p| {
                let holes = p
                    .interiors()
                    .iter()
                    .filter(|h| land(&Polygon::new((*h).clone(), vec![])))
                    .cloned()
                    .collect();
                Polygon::new(p.exterior().clone(), holes)
            })
            .collect(),
    )
}

/// One ring without spikes, closed; `None` when fewer than three vertices are left.
fn ring_without_spikes(ring: &LineString<f64>) -> Option<LineString<f64>> {
    let mut vertices: Vec<Coord<f64>> = ring.0.clone();
    if vertices.len() > 1 && vertices.first() == vertices.last() {
        vertices.pop();
    }
    loop {
        let before = vertices.len();
        merge_coincident(&mut vertices);
        let n = vertices.len();
        if n < 3 {
            return None;
        }
        if let Some(spike) = (0..n).find(|&i| {
            let (a, b, c) = (vertices[(i + n - 1) % n], vertices[i], vertices[(i + 1) % n]);
            vertex_angle_deg(a, b, c).is_some_and(|angle| angle < SPIKE_ANGLE_DEG) && triangle_is_sliver(a, b, c)
        }) {
            vertices.remove(spike);
        } else if vertices.len() == before {
            break;
        }
    }
    vertices.push(vertices[0]);
    Some(LineString(vertices))
}

/// Whether land of `m2` inside `perimeter_m` is thinner than [`SLIVER_WIDTH_M`] on average.
fn is_sliver(m2: f64, perimeter_m: f64) -> bool {
    2.0 * m2 < SLIVER_WIDTH_M * perimeter_m
}

/// The length of `rings`, m, in the local metric `frame`.
fn perimeter_m<'a>(frame: &LocalFrame, rings: impl IntoIterator<Item = &'a LineString<f64>>) -> f64 {
    rings
        .into_iter()
        .flat_map(|r| r.0.windows(2))
        .map(|w| {
            let (a, b) = (frame.xy(w[0]), frame.xy(w[1]));
            (a.x - b.x).hypot(a.y - b.y)
        })
        .sum()
}

/// Whether the triangle `abc` is a sliver, measured in the local metric frame at `b`.
fn triangle_is_sliver(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    let frame = LocalFrame::at(b.x, b.y);
    let (u, v) = (frame.xy(a), frame.xy(c));
    let m2 = 0.5 * (u.x * v.y - u.y * v.x).abs();
    is_sliver(m2, perimeter_m(&frame, [&LineString(vec![a, b, c, a])]))
}

/// Drops each vertex that lies on the one before it (cyclically).
fn merge_coincident(vertices: &mut Vec<Coord<f64>>) {
    let same =
        |a: Coord<f64>, b: Coord<f64>| (a.x - b.x).abs() < SAME_VERTEX_DEG && (a.y - b.y).abs() < SAME_VERTEX_DEG;
    let mut kept: Vec<Coord<f64>> = Vec::with_capacity(vertices.len());
    for &v in vertices.iter() {
        if kept.last().is_none_or(|&last| !same(last, v)) {
            kept.push(v);
        }
    }
    while kept.len() > 1 && same(kept[0], kept[kept.len() - 1]) {
        kept.pop();
    }
    *vertices = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use proptest::prelude::*;

    fn square(x0: f64, y0: f64, side_deg: f64) -> Vec<Coord<f64>> {
        vec![
            Coord { x: x0, y: y0 },
            Coord {
                x: x0 + side_deg,
                y: y0,
            },
            Coord {
                x: x0 + side_deg,
                y: y0 + side_deg,
            },
            Coord {
                x: x0,
                y: y0 + side_deg,
            },
        ]
    }

    proptest! {
        /// A slit cut into any edge of a square, at any length and direction, leaves the
        /// square: the same area, no spike, valid.
        #[test]
        fn slits_go_and_the_area_stays(edge in 0usize..4, at in 0.1f64..0.9, length_deg in 1e-6f64..1e-2, outward in any::<bool>()) {
            let side = 1e-3;
            let mut ring = square(30.0, 50.0, side);
            let (a, b) = (ring[edge], ring[(edge + 1) % 4]);
            let foot = Coord { x: a.x + (b.x - a.x) * at, y: a.y + (b.y - a.y) * at };
            // The outward normal of a counter-clockwise ring's edge is its direction turned right.
            let (dx, dy) = ((b.x - a.x) / side, (b.y - a.y) / side);
            let sign = if outward { 1.0 } else { -1.0 };
            let length = if outward { length_deg } else { length_deg.min(side * 0.5) };
            let tip = Coord { x: foot.x + sign * dy * length, y: foot.y - sign * dx * length };
            ring.splice(edge + 1..edge + 1, [foot, tip, foot]);
            ring.push(ring[0]);
            let spiky = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
            let clean = without_spikes(&spiky);
            prop_assert_eq!(clean.0.len(), 1);
            // The four corners and the slit's foot, closed.
            prop_assert_eq!(clean.0[0].exterior().0.len(), 6, "{:?}", clean);
            prop_assert!((clean.unsigned_area() - side * side).abs() < 1e-12);
            prop_assert!(clean.is_valid());
        }
    }

    /// A wedge narrower than a spike's angle but with land in it (a hole inside): cutting it off
    /// would leave the hole outside its exterior, so the polygon stays as it was.
    #[test]
    fn a_narrow_wedge_holding_a_hole_stays() {
        let c = |x: f64, y: f64| Coord { x, y };
        let k = 50.0f64.to_radians().cos();
        let (east_m, north_m) = (1.0 / (111_320.0 * k), 1.0 / 111_320.0);
        // A 100 m square with a wedge on its east edge: 10 m wide there, 1 km long, its tip's
        // angle about 0.57°; a 1 m hole in the wedge 100 m out.
        let (x0, y0) = (30.0, 50.0);
        let (xe, ym) = (x0 + 100.0 * east_m, y0 + 50.0 * north_m);
        let exterior = LineString(vec![
            c(x0, y0),
            c(xe, y0),
            c(xe, ym - 5.0 * north_m),
            c(xe + 1000.0 * east_m, ym),
            c(xe, ym + 5.0 * north_m),
            c(xe, y0 + 100.0 * north_m),
            c(x0, y0 + 100.0 * north_m),
            c(x0, y0),
        ]);
        let (hx, hy) = (xe + 100.0 * east_m, ym - 0.5 * north_m);
        let hole = LineString(vec![
            c(hx, hy),
            c(hx, hy + north_m),
            c(hx + east_m, hy + north_m),
            c(hx + east_m, hy),
            c(hx, hy),
        ]);
        let g = MultiPolygon(vec![Polygon::new(exterior, vec![hole])]);
        assert!(g.is_valid());
        let tip = vertex_angle_deg(
            c(xe, ym - 5.0 * north_m),
            c(xe + 1000.0 * east_m, ym),
            c(xe, ym + 5.0 * north_m),
        );
        assert!(tip.unwrap() < SPIKE_ANGLE_DEG, "the tip is a spike: {tip:?}");
        let clean = without_spikes(&g);
        assert!(clean.is_valid());
        assert_eq!(clean, g);
    }

    /// A needle part 166 m long and a millimetre wide (0.11 m², more than dust) is a sliver.
    #[test]
    fn a_needle_part_goes_a_lane_stays() {
        let c = |x: f64, y: f64| Coord { x, y };
        let (east_m, north_m) = (1.0 / (111_320.0 * 50.0f64.to_radians().cos()), 1.0 / 111_320.0);
        let needle = Polygon::new(
            LineString(vec![
                c(30.0, 50.0),
                c(30.0 + 166.0 * east_m, 50.0),
                c(30.0, 50.0 + 0.0013 * north_m),
                c(30.0, 50.0),
            ]),
            vec![],
        );
        let lane = Polygon::new(
            LineString(vec![
                c(30.0, 50.001),
                c(30.0 + 166.0 * east_m, 50.001),
                c(30.0 + 166.0 * east_m, 50.001 + north_m),
                c(30.0, 50.001 + north_m),
                c(30.0, 50.001),
            ]),
            vec![],
        );
        let clean = without_dust(&MultiPolygon(vec![needle, lane.clone()]));
        assert_eq!(clean, MultiPolygon(vec![lane]));
    }

    #[test]
    fn a_polygon_that_is_all_spike_goes() {
        let needle = LineString(vec![
            Coord { x: 30.0, y: 50.0 },
            Coord { x: 30.0, y: 50.001 },
            Coord { x: 30.0, y: 50.0 },
            Coord { x: 30.0, y: 50.0 },
        ]);
        let keep = Polygon::new(LineString(square(31.0, 50.0, 1e-3)), vec![]);
        let g = MultiPolygon(vec![Polygon::new(needle, vec![]), keep.clone()]);
        let clean = without_spikes(&g);
        assert_eq!(clean.0.len(), 1);
        assert_eq!(clean.0[0].exterior().0.len(), 5);
    }
}
