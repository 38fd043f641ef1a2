//! Validation at entry: geometry defects found before anything is written, each described so
//! that a data manager can find and mend it, and the safe repairs that `--fix` makes.
//!
//! Works on raw coordinates ([`RawPolygon`]) rather than `geo` types, because `geo` closes
//! rings silently and an unclosed ring is itself a defect worth reporting.
//!
//! | defect | without `--fix` | with `--fix` |
//! |---|---|---|
//! | non-finite number, lon/lat out of range | error | error |
//! | unclosed ring | error | closed, reported |
//! | repeated consecutive vertices | warning | removed, reported |
//! | ring orientation (RFC 7946: exterior counter-clockwise) | warning | reversed, reported |
//! | fewer than 3 distinct vertices | error | error |
//! | self-intersection (the point is given) | error | error |
//! | hole outside its exterior, rings crossing, parts overlapping | error | error |
//!
//! ```
//! use demine_core::validate::validate_polygons;
//! // A bow-tie: the ring crosses itself at (0.5, 0.5).
//! let bowtie = vec![vec![vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]];
//! let errors = validate_polygons(&bowtie, false).unwrap_err();
//! assert!(errors[0].contains("self-intersection at (0.5, 0.5)"), "{}", errors[0]);
//! ```

use geo::algorithm::sweep::{Cross, Intersections};
use geo::{Coord, Line, LineString, MultiPolygon, Point, Polygon, Validation};

/// A ring as read from a file: positions, possibly unclosed, possibly with repeats.
pub type RawRing = Vec<[f64; 2]>;
/// A polygon as read from a file: exterior ring first, then holes.
pub type RawPolygon = Vec<RawRing>;

/// A geometry that passed validation, with what was repaired and what was tolerated.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub geometry: MultiPolygon<f64>,
    /// Changes `--fix` made, one sentence each.
    pub repairs: Vec<String>,
    /// Tolerated oddities (repairable with `--fix`).
    pub warnings: Vec<String>,
}

/// Describes where a coordinate is bad, or `None` if it is a valid WGS84 lon/lat.
pub fn coordinate_problem(lon: f64, lat: f64) -> Option<String> {
    if !lon.is_finite() || !lat.is_finite() {
        return Some(format!(
            "non-finite coordinate ({lon}, {lat}): every coordinate must be a finite number"
        ));
    }
    let lon_ok = (-180.0..=180.0).contains(&lon);
    let lat_ok = (-90.0..=90.0).contains(&lat);
    if lon_ok && lat_ok {
        return None;
    }
    if lon.abs() > 1000.0 || lat.abs() > 1000.0 {
        return Some(format!(
            "coordinate ({lon}, {lat}) is outside longitude/latitude range; it looks like projected \
             metres (UTM or Web Mercator?): reproject to WGS84 longitude/latitude (EPSG:4326), \
             e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`"
        ));
    }
    if lon_ok && !lat_ok && lat.abs() <= 180.0 && lon.abs() <= 90.0 {
        return Some(format!(
            "latitude {lat} is outside -90..90 in ({lon}, {lat}); are longitude and latitude swapped? \
             GeoJSON and WKT put longitude first"
        ));
    }
    Some(format!(
        "coordinate ({lon}, {lat}) is outside longitude -180..180 / latitude -90..90 (WGS84, EPSG:4326)"
    ))
}

/// Validates a point location.
pub fn validate_point(lon: f64, lat: f64) -> Result<Point<f64>, String> {
    match coordinate_problem(lon, lat) {
        None => Ok(Point::new(lon, lat)),
        Some(p) => Err(p),
    }
}

fn ring_name(ring: usize) -> String {
    if ring == 0 {
        "exterior ring".to_string()
    } else {
        format!("hole {ring}")
    }
}

/// Twice the signed planar area in lon/lat: positive for counter-clockwise.
fn signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

#[derive(Clone, Copy)]
struct Segment {
    index: usize,
    line: Line<f64>,
}

impl Cross for Segment {
    type Scalar = f64;
    fn line(&self) -> Line<f64> {
        self.line
    }
}

/// The first point where a closed ring (no repeated vertices) touches or crosses itself.
pub fn ring_self_intersection(ring: &[[f64; 2]]) -> Option<Coord<f64>> {
    let n = ring.len().saturating_sub(1); // segments
    if n < 3 {
        return None;
    }
    let segments = (0..n).map(|i| Segment {
        index: i,
        line: Line::new(
            Coord {
                x: ring[i][0],
                y: ring[i][1],
            },
            Coord {
                x: ring[i + 1][0],
                y: ring[i + 1][1],
            },
        ),
    });
    let mut first: Option<(usize, Coord<f64>)> = None;
    for (a, b, hit) in Intersections::from_iter(segments) {
        let (i, j) = (a.index.min(b.index), a.index.max(b.index));
        let adjacent = j == i + 1 || (i == 0 && j == n - 1);
        let point = match hit {
            geo::LineIntersection::SinglePoint { intersection, .. } => {
                // Neighbours always share their common vertex; that is not a defect.
                if adjacent {
                    continue;
                }
                intersection
            }
            // Collinear overlap: a spike folding back on itself, or two edges on one line.
            geo::LineIntersection::Collinear { intersection } => intersection.start,
        };
        if first.is_none_or(|(k, _)| i < k) {
            first = Some((i, point));
        }
    }
    first.map(|(_, p)| p)
}

fn fmt_coord(c: Coord<f64>) -> String {
    // Shortest representation that round-trips, trimmed of float noise.
    let r = |v: f64| {
        let s = format!("{:.9}", v);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    };
    format!("({}, {})", r(c.x), r(c.y))
}

/// Validates (and with `fix`, repairs) a polygon or multipolygon given as raw rings.
/// Returns every problem found, or the valid geometry with the repairs made.
pub fn validate_polygons(polygons: &[RawPolygon], fix: bool) -> Result<Validated, Vec<String>> {
    let mut errors = Vec::new();
    let mut repairs = Vec::new();
    let mut warnings = Vec::new();
    let multi = polygons.len() > 1;
    if polygons.is_empty() {
        return Err(vec![
            "empty geometry: a polygon with at least 3 distinct vertices is required".into(),
        ]);
    }
    let mut out = Vec::with_capacity(polygons.len());
    for (pi, poly) in polygons.iter().enumerate() {
        let prefix = |ring: usize| {
            if multi {
                format!("polygon {}, {}", pi + 1, ring_name(ring))
            } else {
                ring_name(ring)
            }
        };
        if poly.is_empty() || poly[0].is_empty() {
            errors.push(format!(
                "{}: empty polygon",
                if multi {
                    format!("polygon {}", pi + 1)
                } else {
                    "geometry".into()
                }
            ));
            continue;
        }
        let mut rings: Vec<Vec<[f64; 2]>> = Vec::with_capacity(poly.len());
        let mut poly_ok = true;
        for (ri, ring) in poly.iter().enumerate() {
            let where_ = prefix(ri);
            // 1. Every coordinate must be a finite WGS84 lon/lat.
            let mut bad_coord = false;
            for (vi, p) in ring.iter().enumerate() {
                if let Some(problem) = coordinate_problem(p[0], p[1]) {
                    errors.push(format!("{where_}, vertex {}: {problem}", vi + 1));
                    bad_coord = true;
                    break; // one per ring is enough to locate the defect
                }
            }
            if bad_coord {
                poly_ok = false;
                continue;
            }
            let mut r = ring.clone();
            // 2. Closed?
            if r.len() >= 2 && r.first() != r.last() {
                if fix {
                    r.push(r[0]);
                    repairs.push(format!("{where_}: closed the ring by repeating its first vertex"));
                } else {
                    let f = r[0];
                    let l = r[r.len() - 1];
                    errors.push(format!(
                        "{where_}: unclosed ring: first vertex ({}, {}) differs from last vertex ({}, {}); \
                         repeat the first vertex at the end (or import with --fix)",
                        f[0], f[1], l[0], l[1]
                    ));
                    poly_ok = false;
                    continue;
                }
            }
            // 3. Repeated consecutive vertices.
            let before = r.len();
            let mut dedup: Vec<[f64; 2]> = Vec::with_capacity(r.len());
            for p in &r {
                if dedup.last() != Some(p) {
                    dedup.push(*p);
                }
            }
            let repeats = before - dedup.len();
            if repeats > 0 {
                if fix {
                    r = dedup.clone();
                    repairs.push(format!("{where_}: removed {repeats} repeated consecutive vertices"));
                } else {
                    warnings.push(format!(
                        "{where_}: {repeats} repeated consecutive vertices (kept; --fix removes them)"
                    ));
                }
            }
            // 4. At least 3 distinct vertices (the closing vertex not counted).
            let mut distinct: Vec<[f64; 2]> = dedup[..dedup.len().saturating_sub(1)].to_vec();
            distinct.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            distinct.dedup();
            if distinct.len() < 3 {
                errors.push(format!(
                    "{where_}: has {} distinct vertices; a ring needs at least 3 distinct vertices enclosing an area",
                    distinct.len()
                ));
                poly_ok = false;
                continue;
            }
            // 5. Self-intersection, with the point.
            if let Some(p) = ring_self_intersection(&dedup) {
                errors.push(format!(
                    "{where_}: self-intersection at {}: the ring crosses or touches itself; \
                     split it into valid polygons or redraw the boundary",
                    fmt_coord(p)
                ));
                poly_ok = false;
                continue;
            }
            // 6. Orientation (RFC 7946 right-hand rule).
            let ccw = signed_area2(&r) > 0.0;
            let want_ccw = ri == 0;
            if ccw != want_ccw {
                let want = if want_ccw { "counter-clockwise" } else { "clockwise" };
                if fix {
                    r.reverse();
                    repairs.push(format!("{where_}: reversed to {want} orientation (RFC 7946)"));
                } else {
                    warnings.push(format!(
                        "{where_}: not {want} as RFC 7946 asks (kept; --fix reverses it)"
                    ));
                }
            }
            rings.push(r);
        }
        if !poly_ok {
            continue;
        }
        let to_ls =
            |r: &Vec<[f64; 2]>| LineString::from(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect::<Vec<_>>());
        let polygon = Polygon::new(to_ls(&rings[0]), rings[1..].iter().map(to_ls).collect());
        // 7. Ring relations: holes inside the exterior, rings not crossing.
        if let Err(e) = polygon.check_validation() {
            let p = if multi {
                format!("polygon {}: ", pi + 1)
            } else {
                String::new()
            };
            errors.push(format!("{p}{e}"));
            continue;
        }
        out.push(polygon);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let geometry = MultiPolygon::new(out);
    if multi {
        if let Err(e) = geometry.check_validation() {
            return Err(vec![format!(
                "{e}: parts of a multipolygon must not overlap; merge them into one polygon"
            )]);
        }
    }
    Ok(Validated {
        geometry,
        repairs,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq() -> RawRing {
        vec![[30.0, 50.0], [30.01, 50.0], [30.01, 50.01], [30.0, 50.01], [30.0, 50.0]]
    }

    #[test]
    fn valid_square_passes() {
        let v = validate_polygons(&[vec![sq()]], false).unwrap();
        assert!(v.warnings.is_empty() && v.repairs.is_empty());
        assert_eq!(v.geometry.0.len(), 1);
    }

    #[test]
    fn unclosed_ring_is_error_and_fixable() {
        let mut r = sq();
        r.pop();
        let e = validate_polygons(&[vec![r.clone()]], false).unwrap_err();
        assert!(e[0].contains("unclosed ring"), "{e:?}");
        let v = validate_polygons(&[vec![r]], true).unwrap();
        assert!(v.repairs[0].contains("closed"));
    }

    #[test]
    fn projected_metres_are_recognised() {
        let r = vec![
            [500000.0, 5500000.0],
            [500100.0, 5500000.0],
            [500100.0, 5500100.0],
            [500000.0, 5500000.0],
        ];
        let e = validate_polygons(&[vec![r]], false).unwrap_err();
        assert!(e[0].contains("projected metres"), "{e:?}");
    }

    #[test]
    fn too_few_distinct_vertices() {
        let r = vec![[30.0, 50.0], [30.01, 50.0], [30.01, 50.0], [30.0, 50.0]];
        let e = validate_polygons(&[vec![r]], false).unwrap_err();
        assert!(e[0].contains("2 distinct vertices"), "{e:?}");
    }

    #[test]
    fn orientation_and_repeats_fixed() {
        let mut r = sq();
        r.reverse();
        r.insert(1, r[1]);
        let v = validate_polygons(&[vec![r.clone()]], false).unwrap();
        assert_eq!(v.warnings.len(), 2, "{:?}", v.warnings);
        let v = validate_polygons(&[vec![r]], true).unwrap();
        assert_eq!(v.repairs.len(), 2, "{:?}", v.repairs);
        assert!(
            signed_area2(
                &v.geometry.0[0]
                    .exterior()
                    .0
                    .iter()
                    .map(|c| [c.x, c.y])
                    .collect::<Vec<_>>()
            ) > 0.0
        );
    }

    #[test]
    fn hole_outside_exterior_is_error() {
        let hole = vec![
            [31.0, 51.0],
            [31.0, 51.001],
            [31.001, 51.001],
            [31.001, 51.0],
            [31.0, 51.0],
        ];
        let e = validate_polygons(&[vec![sq(), hole]], false).unwrap_err();
        assert!(e[0].contains("not contained"), "{e:?}");
    }

    #[test]
    fn spike_is_self_intersection() {
        let r = vec![
            [30.0, 50.0],
            [30.01, 50.0],
            [30.02, 50.0],
            [30.01, 50.0],
            [30.01, 50.01],
            [30.0, 50.0],
        ];
        let e = validate_polygons(&[vec![r]], false).unwrap_err();
        assert!(e[0].contains("self-intersection"), "{e:?}");
    }
}
