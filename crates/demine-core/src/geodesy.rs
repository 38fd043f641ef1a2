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

/// A local metric frame: the equirectangular projection at an origin, with the WGS84 meridian
/// and prime-vertical radii there. Within tens of kilometres it is exact to well under 1 %:
/// what distance comparisons (nearest road, finds within 100 m) need, at a fraction of the cost
/// of geodesics. Field layouts, which need 1 m to stay 1 m, use `demine-field`'s azimuthal
/// plane instead.
///
/// ```
/// use demine_core::geodesy::LocalFrame;
/// let f = LocalFrame::at(30.0, 50.0);
/// let p = f.xy(geo::coord! { x: 30.001, y: 50.001 });
/// assert!((p.x - 71.7).abs() < 0.1 && (p.y - 111.2).abs() < 0.1, "{p:?}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    /// Metres per degree of longitude and of latitude at the origin.
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    const WGS84_A: f64 = 6_378_137.0;
    const WGS84_E2: f64 = 0.006_694_379_990_14;

    /// The frame at (`lon0`, `lat0`), degrees.
    pub fn at(lon0: f64, lat0: f64) -> LocalFrame {
        let phi = lat0.to_radians();
        let w = 1.0 - Self::WGS84_E2 * phi.sin().powi(2);
        let n = Self::WGS84_A / w.sqrt();
        let m = Self::WGS84_A * (1.0 - Self::WGS84_E2) / w.powf(1.5);
        LocalFrame {
            lon0,
            lat0,
            kx: n * phi.cos() * std::f64::consts::PI / 180.0,
            ky: m * std::f64::consts::PI / 180.0,
        }
    }

    /// Lon/lat to metres east and north of the origin.
    pub fn xy(&self, c: geo::Coord<f64>) -> geo::Coord<f64> {
        geo::Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// Metres east and north of the origin to lon/lat.
    pub fn lonlat(&self, c: geo::Coord<f64>) -> geo::Coord<f64> {
        geo::Coord {
            x: self.lon0 + c.x / self.kx.max(1e-9),
            y: self.lat0 + c.y / self.ky,
        }
    }

    /// Degrees of longitude and latitude that `metres` spans here (for search envelopes).
    pub fn degrees(&self, metres: f64) -> (f64, f64) {
        (metres / self.kx.max(1e-9), metres / self.ky)
    }
}
