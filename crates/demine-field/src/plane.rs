//! A local metric plane for field work: the azimuthal equidistant projection on the WGS84
//! ellipsoid, centred on the work site, computed with Karney's geodesics (geographiclib-rs,
//! already under `geo`).
//!
//! Why this projection: lanes are laid out in metres, and within a few km of the centre its
//! scale error is below 1e-7 (distances from the centre are exact by construction), so a lane
//! of 1 m is 1 m on the ground. No zone bookkeeping (UTM) and no proj4 strings; the inverse is
//! the geodesic direct problem, so lon/lat → plane → lon/lat round-trips to well under a mm.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};

/// Azimuthal equidistant plane centred on `origin` (x east, y north, metres).
#[derive(Debug, Clone)]
pub struct LocalPlane {
    origin: Point<f64>,
    geod: Geodesic,
}

impl LocalPlane {
    /// A plane centred on `origin` (lon/lat degrees).
    pub fn new(origin: Point<f64>) -> LocalPlane {
        LocalPlane {
            origin,
            geod: Geodesic::wgs84(),
        }
    }

    /// A plane centred on the middle of the bounding box of `geometry`.
    pub fn around(geometry: &MultiPolygon<f64>) -> Option<LocalPlane> {
        use geo::BoundingRect;
        let r = geometry.bounding_rect()?;
        Some(LocalPlane::new(r.center().into()))
    }

    pub fn origin(&self) -> Point<f64> {
        self.origin
    }

    /// lon/lat → (x, y) metres.
    pub fn to_xy(&self, c: Coord<f64>) -> Coord<f64> {
        let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) =
            self.geod.inverse(self.origin.y(), self.origin.x(), c.y, c.x);
        let a = azi1.to_radians();
        Coord {
            x: s12 * a.sin(),
            y: s12 * a.cos(),
        }
    }

    /// (x, y) metres → lon/lat.
    pub fn to_lonlat(&self, c: Coord<f64>) -> Coord<f64> {
        let s = c.x.hypot(c.y);
        if s == 0.0 {
            return self.origin.0;
        }
        let azi = c.x.atan2(c.y).to_degrees();
        let (lat, lon): (f64, f64) = self.geod.direct(self.origin.y(), self.origin.x(), azi, s);
        Coord { x: lon, y: lat }
    }

    pub fn line_to_xy(&self, l: &LineString<f64>) -> LineString<f64> {
        l.0.iter().map(|&c| self.to_xy(c)).collect()
    }

    pub fn line_to_lonlat(&self, l: &LineString<f64>) -> LineString<f64> {
        l.0.iter().map(|&c| self.to_lonlat(c)).collect()
    }

    pub fn polygon_to_xy(&self, p: &Polygon<f64>) -> Polygon<f64> {
        Polygon::new(
            self.line_to_xy(p.exterior()),
            p.interiors().iter().map(|r| self.line_to_xy(r)).collect(),
        )
    }

    pub fn polygon_to_lonlat(&self, p: &Polygon<f64>) -> Polygon<f64> {
        Polygon::new(
            self.line_to_lonlat(p.exterior()),
            p.interiors().iter().map(|r| self.line_to_lonlat(r)).collect(),
        )
    }

    pub fn to_plane(&self, m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(m.0.iter().map(|p| self.polygon_to_xy(p)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_scale() {
        let plane = LocalPlane::new(Point::new(36.2, 50.0));
        for (x, y) in [(0.0, 0.0), (100.0, -250.0), (-1500.0, 1200.0), (3000.0, 3000.0)] {
            let ll = plane.to_lonlat(Coord { x, y });
            let back = plane.to_xy(ll);
            assert!((back.x - x).abs() < 1e-6 && (back.y - y).abs() < 1e-6, "{back:?}");
        }
        // 1 km east then 1 km north: the plane distance between them is the geodesic one.
        let a = plane.to_lonlat(Coord { x: 1000.0, y: 0.0 });
        let b = plane.to_lonlat(Coord { x: 0.0, y: 1000.0 });
        let geodesic: f64 = Geodesic::wgs84().inverse(a.y, a.x, b.y, b.x);
        assert!((geodesic - 2f64.sqrt() * 1000.0).abs() < 1e-3, "{geodesic}");
    }
}
