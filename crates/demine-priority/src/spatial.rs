//! Distances between hazards and context features, in metres.
//!
//! Indexes are R-trees in lon/lat; each hazard is measured in its own local frame (an
//! equirectangular projection at its centroid with the WGS84 meridian and prime-vertical radii),
//! which is exact to well under 1 % within tens of kilometres — far finer than a priority
//! criterion needs, and much cheaper than geodesic distances to every candidate.

use geo::{BoundingRect, Centroid, Coord, Distance, Euclidean, Line, MultiPolygon, Point};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

/// A local metric frame around a point.
pub(crate) type Local = demine_core::geodesy::LocalFrame;

/// A hazard in its local frame, with its lon/lat bounding box.
pub(crate) struct LocalHazard {
    pub local: Local,
    pub shape: MultiPolygon<f64>,
    pub bbox: [f64; 4],
}

impl LocalHazard {
    pub(crate) fn new(geometry: &MultiPolygon<f64>) -> Option<LocalHazard> {
        let bbox = geometry.bounding_rect()?;
        let c = geometry.centroid().unwrap_or_else(|| Point::from(bbox.center()));
        let local = Local::at(c.x(), c.y());
        let shape = MultiPolygon::new(
            geometry
                .0
                .iter()
                .map(|p| {
                    let ring = |l: &geo::LineString<f64>| l.0.iter().map(|&c| local.xy(c)).collect::<Vec<_>>().into();
                    geo::Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
                })
                .collect(),
        );
        Some(LocalHazard {
            local,
            shape,
            bbox: [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y],
        })
    }

    /// The lon/lat envelope of the hazard widened by `metres`.
    pub(crate) fn envelope(&self, metres: f64) -> AABB<[f64; 2]> {
        let (dx, dy) = self.local.degrees(metres);
        AABB::from_corners(
            [self.bbox[0] - dx, self.bbox[1] - dy],
            [self.bbox[2] + dx, self.bbox[3] + dy],
        )
    }

    /// Distance in metres from the hazard to a lon/lat point (0 inside).
    pub(crate) fn distance_to_point_m(&self, p: [f64; 2]) -> f64 {
        let q = self.local.xy(Coord { x: p[0], y: p[1] });
        Euclidean.distance(&Point::from(q), &self.shape)
    }

    /// Distance in metres from the hazard to a lon/lat segment (0 if they meet).
    pub(crate) fn distance_to_segment_m(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        let line = Line::new(
            self.local.xy(Coord { x: a[0], y: a[1] }),
            self.local.xy(Coord { x: b[0], y: b[1] }),
        );
        Euclidean.distance(&line, &self.shape)
    }
}

/// Points with a value each (a population, or 1).
pub(crate) type PointIndex = RTree<GeomWithData<[f64; 2], f64>>;

pub(crate) fn point_index(points: impl IntoIterator<Item = ([f64; 2], f64)>) -> PointIndex {
    RTree::bulk_load(points.into_iter().map(|(p, v)| GeomWithData::new(p, v)).collect())
}

/// Line segments of a layer.
pub(crate) type SegmentIndex = RTree<rstar::primitives::Line<[f64; 2]>>;

pub(crate) fn segment_index(lines: impl IntoIterator<Item = geo::LineString<f64>>) -> SegmentIndex {
    let mut segs = Vec::new();
    for l in lines {
        for w in l.0.windows(2) {
            segs.push(rstar::primitives::Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]));
        }
        if l.0.len() == 1 {
            let p = [l.0[0].x, l.0[0].y];
            segs.push(rstar::primitives::Line::new(p, p));
        }
    }
    RTree::bulk_load(segs)
}

/// Distance in metres from the hazard to the nearest segment within `max_m`; `None` if none is.
pub(crate) fn nearest_segment_m(h: &LocalHazard, index: &SegmentIndex, max_m: f64) -> Option<f64> {
    index
        .locate_in_envelope_intersecting(&h.envelope(max_m))
        .map(|s| h.distance_to_segment_m(s.from, s.to))
        .filter(|d| *d <= max_m)
        .min_by(f64::total_cmp)
}

/// `(distance_m, value)` of every point within `max_m` of the hazard.
pub(crate) fn points_within(h: &LocalHazard, index: &PointIndex, max_m: f64) -> Vec<(f64, f64)> {
    index
        .locate_in_envelope(&h.envelope(max_m))
        .map(|p| (h.distance_to_point_m(*p.geom()), p.data))
        .filter(|(d, _)| *d <= max_m)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64, side_deg: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![geo::Polygon::new(
            vec![
                (lon, lat),
                (lon + side_deg, lat),
                (lon + side_deg, lat + side_deg),
                (lon, lat + side_deg),
                (lon, lat),
            ]
            .into(),
            vec![],
        )])
    }

    #[test]
    fn distances_match_geodesic_ones_locally() {
        let h = LocalHazard::new(&square(35.0, 50.0, 0.01)).unwrap();
        // A point 0.02° of latitude north of the square's north edge: geodesic ≈ 2,224 m.
        let p = [35.005, 50.03];
        let geodesic = demine_core::geodesy::distance_m(Point::new(35.005, 50.01), Point::new(p[0], p[1]));
        let d = h.distance_to_point_m(p);
        assert!((d - geodesic).abs() / geodesic < 0.002, "{d} vs {geodesic}");
        assert_eq!(h.distance_to_point_m([35.005, 50.005]), 0.0);
        // A segment crossing the square touches it.
        assert_eq!(h.distance_to_segment_m([34.9, 50.005], [35.1, 50.005]), 0.0);
        // East of it, 0.01° of longitude ≈ 715 m at 50°N.
        let east = h.distance_to_segment_m([35.02, 49.0], [35.02, 51.0]);
        let geodesic = demine_core::geodesy::distance_m(Point::new(35.01, 50.005), Point::new(35.02, 50.005));
        assert!((east - geodesic).abs() / geodesic < 0.002, "{east} vs {geodesic}");
    }
}
