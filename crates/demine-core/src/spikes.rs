//! Spikes: a ring's vertex whose two edges meet at almost no angle, so that the boundary runs
//! out to it and back along nearly the same line. `demine check` reports them in the registry;
//! [`without_spikes`] removes them from geometry demine derives itself (the union of a day's
//! lanes, clipped to its hazard), where two boundaries that should coincide differ by a
//! rounding and leave a zero-width slit.

use geo::{Coord, LineString, MultiPolygon, Polygon};

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

/// `g` without spikes: every vertex whose edges meet at less than [`SPIKE_ANGLE_DEG`] is
/// dropped, and vertices that then fall together are merged, until none is left; a ring that
/// collapses goes (an exterior with its polygon). A spike encloses no area, so the area stays.
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
                Some(Polygon::new(exterior, interiors))
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
            vertex_angle_deg(vertices[(i + n - 1) % n], vertices[i], vertices[(i + 1) % n])
                .is_some_and(|angle| angle < SPIKE_ANGLE_DEG)
        }) {
            vertices.remove(spike);
        } else if vertices.len() == before {
            break;
        }
    }
    vertices.push(vertices[0]);
    Some(LineString(vertices))
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
    use geo::{Area, Validation};
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
