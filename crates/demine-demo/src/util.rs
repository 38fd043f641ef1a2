//! Small building blocks: per-item random streams, samplers, the local metric frame, planar
//! geometry helpers and the validity gate every generated geometry passes through.

use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::TAU;

/// Independent random streams, one per generation stage.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Stream {
    World = 1,
    Centre = 2,
    Shape = 3,
    Select = 4,
    Activity = 5,
    Accident = 7,
    Teams = 8,
    Words = 9,
    Evidence = 10,
    Outside = 11,
    Truth = 12,
}

/// A random stream for item `index` of a stage: the same (seed, stage, index) always gives the
/// same numbers, whichever thread draws them.
pub(crate) fn item_rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(stream as u64).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(b"demine!!");
    ChaCha8Rng::from_seed(key)
}

/// Standard normal deviate (Box–Muller).
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// Exponential deviate with the given mean.
pub(crate) fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

/// Log-normal deviate with the given median and shape, truncated to `[lo, hi]` by resampling.
pub(crate) fn lognormal<R: Rng>(rng: &mut R, median: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    for _ in 0..32 {
        let v = median * (sigma * normal(rng)).exp();
        if (lo..=hi).contains(&v) {
            return v;
        }
    }
    median.clamp(lo, hi)
}

/// Poisson deviate (Knuth for small means, a rounded normal for large ones).
pub(crate) fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut k = 0u32;
    let mut p = rng.gen::<f64>();
    while p > limit {
        k += 1;
        p *= rng.gen::<f64>();
    }
    k
}

/// Picks one value by weight. Weights need not sum to one; an all-zero list gives the first.
pub(crate) fn weighted<R: Rng, T: Copy>(rng: &mut R, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w.max(0.0)).sum();
    let mut x = rng.gen::<f64>() * total;
    for (item, w) in items {
        let w = w.max(0.0);
        if x < w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// Index drawn from a cumulative weight table (strictly increasing, last = total).
pub(crate) fn pick_cumulative<R: Rng>(rng: &mut R, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.gen::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len().saturating_sub(1))
}

/// Running sums of weights, for [`pick_cumulative`].
pub(crate) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w.max(0.0);
            acc
        })
        .collect()
}

/// First day of the synthetic operations period.
pub(crate) const PERIOD_START: NaiveDate = match NaiveDate::from_ymd_opt(2024, 8, 1) {
    Some(d) => d,
    None => panic!("invalid constant date"),
};
/// Last day of the synthetic operations period.
pub(crate) const PERIOD_END: NaiveDate = match NaiveDate::from_ymd_opt(2025, 6, 30) {
    Some(d) => d,
    None => panic!("invalid constant date"),
};

/// Days in the period, counting both ends.
pub(crate) fn period_days() -> i64 {
    (PERIOD_END - PERIOD_START).num_days() + 1
}

/// The date `day` days after the start of the period (clamped to the period).
pub(crate) fn day(day: i64) -> NaiveDate {
    let d = day.clamp(0, period_days() - 1);
    PERIOD_START + chrono::TimeDelta::days(d)
}

/// Day index of a date in the period.
pub(crate) fn day_index(date: NaiveDate) -> i64 {
    (date - PERIOD_START).num_days()
}

/// A local equirectangular frame in kilometres around a reference point. The map is linear, so
/// it keeps simplicity, orientation and disjointness of polygons; areas are measured
/// geodesically after conversion back to lon/lat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Frame {
    /// A frame centred on the bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub(crate) fn new(bbox: [f64; 4]) -> Frame {
        let lon0 = 0.5 * (bbox[0] + bbox[2]);
        let lat0 = 0.5 * (bbox[1] + bbox[3]);
        Frame {
            lon0,
            lat0,
            kx: 111.320 * lat0.to_radians().cos(),
            ky: 110.574,
        }
    }

    /// Lon/lat to km.
    pub(crate) fn km(&self, lon: f64, lat: f64) -> [f64; 2] {
        [(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky]
    }

    /// Km to lon/lat.
    pub(crate) fn lonlat(&self, p: [f64; 2]) -> [f64; 2] {
        [self.lon0 + p[0] / self.kx, self.lat0 + p[1] / self.ky]
    }

    pub(crate) fn coord(&self, c: Coord<f64>) -> Coord<f64> {
        let [x, y] = self.lonlat([c.x, c.y]);
        Coord { x, y }
    }

    pub(crate) fn point(&self, p: [f64; 2]) -> geo::Point<f64> {
        let [x, y] = self.lonlat(p);
        geo::Point::new(x, y)
    }

    pub(crate) fn line_string(&self, pts: &[[f64; 2]]) -> LineString<f64> {
        LineString::from(
            pts.iter()
                .map(|&p| self.lonlat(p))
                .map(|[x, y]| Coord { x, y })
                .collect::<Vec<_>>(),
        )
    }

    /// A km multipolygon in lon/lat.
    pub(crate) fn multipolygon(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        let ring = |ls: &LineString<f64>| LineString::from(ls.0.iter().map(|&c| self.coord(c)).collect::<Vec<_>>());
        MultiPolygon::new(
            mp.0.iter()
                .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
                .collect(),
        )
    }
}

pub(crate) fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

pub(crate) fn add(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

pub(crate) fn scale(a: [f64; 2], k: f64) -> [f64; 2] {
    [a[0] * k, a[1] * k]
}

pub(crate) fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

pub(crate) fn norm(a: [f64; 2]) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn unit(angle: f64) -> [f64; 2] {
    [angle.cos(), angle.sin()]
}

/// Distance from `p` to the segment `a`–`b`.
pub(crate) fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let ab = sub(b, a);
    let len2 = dot(ab, ab);
    let t = if len2 > 0.0 {
        (dot(sub(p, a), ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    norm(sub(p, add(a, scale(ab, t))))
}

/// Signed shoelace area of an open ring (positive when counter-clockwise).
pub(crate) fn ring_area(pts: &[[f64; 2]]) -> f64 {
    let n = pts.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let a = pts[i];
        let b = pts[(i + 1) % n];
        s += a[0] * b[1] - b[0] * a[1];
    }
    0.5 * s
}

/// A closed `geo` ring from an open list of km points.
pub(crate) fn closed_ring(pts: &[[f64; 2]]) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    if let Some(&first) = coords.first() {
        coords.push(first);
    }
    LineString::from(coords)
}

/// The open vertex list of a closed ring.
pub(crate) fn open_ring(ls: &LineString<f64>) -> Vec<[f64; 2]> {
    let n = ls.0.len().saturating_sub(1);
    ls.0[..n].iter().map(|c| [c.x, c.y]).collect()
}

/// Raw rings, as `demine_core::validate::validate_polygons` reads them.
pub(crate) fn to_raw(mp: &MultiPolygon<f64>) -> Vec<Vec<Vec<[f64; 2]>>> {
    mp.0.iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect()
}

/// True when a lon/lat geometry passes `validate_polygons` without errors or warnings.
pub(crate) fn strictly_valid(mp: &MultiPolygon<f64>) -> bool {
    match demine_core::validate::validate_polygons(&to_raw(mp), false) {
        Ok(v) => v.warnings.is_empty() && v.repairs.is_empty(),
        Err(_) => false,
    }
}

/// Planar shape checks in the km frame, a little stricter than the data-quality report:
/// no vertex angle below `min_angle_deg` (spikes) and no edge longer than `max_edge_km`.
pub(crate) fn shape_ok(mp: &MultiPolygon<f64>, min_angle_deg: f64, max_edge_km: f64) -> bool {
    let cos_limit = min_angle_deg.to_radians().cos();
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let pts = open_ring(ring);
            let n = pts.len();
            if n < 3 {
                return false;
            }
            for i in 0..n {
                let a = pts[(i + n - 1) % n];
                let b = pts[i];
                let c = pts[(i + 1) % n];
                let u = sub(a, b);
                let v = sub(c, b);
                let (nu, nv) = (norm(u), norm(v));
                if nu <= 1e-9 || nv <= 1e-9 || nv > max_edge_km {
                    return false;
                }
                if dot(u, v) / (nu * nv) > cos_limit {
                    return false;
                }
            }
        }
    }
    true
}

/// Planar area of a km multipolygon (km²).
pub(crate) fn planar_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter()
        .map(|p| {
            ring_area(&open_ring(p.exterior())).abs()
                - p.interiors()
                    .iter()
                    .map(|r| ring_area(&open_ring(r)).abs())
                    .sum::<f64>()
        })
        .sum()
}

/// A 6-digit (or wider) identifier such as `HAZ-000123`.
pub(crate) fn ident(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = item_rng(1, Stream::Shape, 7).gen();
        let b: u64 = item_rng(1, Stream::Shape, 7).gen();
        let c: u64 = item_rng(1, Stream::Shape, 8).gen();
        let d: u64 = item_rng(1, Stream::Centre, 7).gen();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn frame_round_trips() {
        let f = Frame::new([35.0, 51.0, 36.5, 51.6]);
        let p = f.km(35.3, 51.2);
        let q = f.lonlat(p);
        assert!((q[0] - 35.3).abs() < 1e-12 && (q[1] - 51.2).abs() < 1e-12);
    }

    #[test]
    fn samplers_have_sensible_means() {
        let mut rng = item_rng(3, Stream::Evidence, 0);
        let n = 20_000;
        let m: f64 = (0..n).map(|_| poisson(&mut rng, 4.0) as f64).sum::<f64>() / n as f64;
        assert!((m - 4.0).abs() < 0.1, "{m}");
        let m: f64 = (0..n).map(|_| exponential(&mut rng, 2.0)).sum::<f64>() / n as f64;
        assert!((m - 2.0).abs() < 0.1, "{m}");
    }
}
