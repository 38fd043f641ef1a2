//! Geodesic measures on the WGS84 ellipsoid (Karney's algorithms via `geo`/geographiclib-rs).
//!
//! Areas are exact on the ellipsoid for geodesic edges; across a hazard of a few km the
//! difference between geodesic and lon/lat-straight edges is far below 0.01 %.

use geo::{Distance, Geodesic, GeodesicArea, MultiPolygon, Point, Polygon};

/// Unsigned geodesic area of a multipolygon, in m² (holes subtracted).
///
/// ```
/// use geo::polygon;
/// // A 0.01° × 0.01° square at the equator is about 1.2 km².
/// let sq = geo::MultiPolygon::new(vec![polygon![
///     (x: 0.0, y: 0.0), (x: 0.01, y: 0.0), (x: 0.01, y: 0.01), (x: 0.0, y: 0.01)]]);
/// let a = demine_core::geodesy::area_m2(&sq);
/// assert!((a - 1_230_000.0).abs() < 10_000.0, "{a}");
/// ```
pub fn area_m2(geometry: &MultiPolygon<f64>) -> f64 {
    geometry.0.iter().map(polygon_area_m2).sum()
}

/// Unsigned geodesic area of one polygon, in m².
pub fn polygon_area_m2(polygon: &Polygon<f64>) -> f64 {
    if polygon.exterior().0.len() < 4 {
        return 0.0;
    }
    // Signed-then-absolute is orientation-proof: the unsigned form of geographiclib returns
    // "the rest of the earth" for a ring traversed the wrong way.
    polygon.geodesic_area_signed().abs()
}

/// Geodesic distance between two lon/lat points, in metres.
pub fn distance_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Geodesic.distance(a, b)
}
