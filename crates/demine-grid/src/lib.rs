//! # demine-grid
//!
//! The H3 grid that risk features live on: which cells cover a region, their outlines and
//! areas, and per-cell measures of geometry — the share of each cell inside given land, the
//! distance from each cell's centre to lines or points, the kernel density of points.
//!
//! **Owns:** H3 tessellation (via `h3o`, `ContainsCentroid` mode: fast and every place in one
//! cell), per-cell geometric measures.
//!
//! **Must never depend on:** the store, file formats, models, or the CLI. It takes geometries
//! (WGS84 lon/lat) and returns one value per cell, in the grid's cell order.
//!
//! ```
//! use demine_grid::Grid;
//! use geo::{polygon, MultiPolygon};
//! let field = MultiPolygon::new(vec![polygon![
//!     (x: 35.0, y: 51.0), (x: 35.05, y: 51.0), (x: 35.05, y: 51.03), (x: 35.0, y: 51.03)]]);
//! let grid = Grid::cover(&[field.clone()], 9).unwrap();
//! // ~11.6 km² in cells of ~0.1 km²: about 110 cells.
//! assert!((90..140).contains(&grid.len()), "{}", grid.len());
//! let shares = grid.shares_inside(&[field], 2);
//! let inside = shares.iter().filter(|s| **s > 0.99).count();
//! assert!(inside > grid.len() / 2);
//! ```

use geo::{Closest, ClosestPoint, Coord, Distance, Haversine, Line, LineString, MultiPolygon, Point, Polygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
pub use h3o::CellIndex;
use h3o::{LatLng, Resolution};
use rayon::prelude::*;
use rstar::{RTree, RTreeObject, AABB};

/// The mean area of an H3 cell at `res`, in m² (0 for a resolution H3 does not have): what a
/// caller needs to know how many cells a region will make before making them.
///
/// ```
/// assert!((demine_grid::cell_area_m2(9) - 105_332.5).abs() < 1.0);
/// ```
pub fn cell_area_m2(res: u8) -> f64 {
    Resolution::try_from(res).map(|r| r.area_m2()).unwrap_or(0.0)
}

/// Resolutions demine accepts: 7 (~5.2 km² cells) to 11 (~2,150 m² cells).
pub const RESOLUTIONS: std::ops::RangeInclusive<u8> = 7..=11;

/// What can go wrong building a grid.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GridError {
    #[error("H3 resolution {0} is outside {min}..={max}; use 9 (~0.1 km² cells) unless you need finer or coarser cells", min = RESOLUTIONS.start(), max = RESOLUTIONS.end())]
    Resolution(u8),
    #[error("region polygon {index} cannot be tiled: {why}")]
    Geometry { index: usize, why: String },
    #[error("the region is empty: give a region polygon or a registry with hazards")]
    Empty,
}

/// H3 cells covering a region, in ascending index order.
#[derive(Debug, Clone)]
pub struct Grid {
    pub resolution: Resolution,
    pub cells: Vec<CellIndex>,
    /// Cell centres, computed once on first use: distances, densities and nearest features
    /// all start from them (a million `cell → lat/lng` each time otherwise).
    centres: std::sync::OnceLock<Vec<Point<f64>>>,
}

impl PartialEq for Grid {
    fn eq(&self, other: &Grid) -> bool {
        self.resolution == other.resolution && self.cells == other.cells
    }
}

fn resolution(res: u8) -> Result<Resolution, GridError> {
    if !RESOLUTIONS.contains(&res) {
        return Err(GridError::Resolution(res));
    }
    Resolution::try_from(res).map_err(|_| GridError::Resolution(res))
}

/// Cells whose centre lies in each of `polygons` (sorted, unique), in the polygons' order.
fn tile_each(polygons: &[MultiPolygon<f64>], res: Resolution) -> Result<Vec<Vec<CellIndex>>, GridError> {
    polygons
        .par_iter()
        .enumerate()
        .map(|(index, mp)| {
            let mut tiler = TilerBuilder::new(res)
                .containment_mode(ContainmentMode::ContainsCentroid)
                .build();
            for p in &mp.0 {
                tiler.add(p.clone()).map_err(|e| GridError::Geometry {
                    index,
                    why: e.to_string(),
                })?;
            }
            let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
            // Parts of a multipolygon may overlap.
            cells.sort_unstable();
            cells.dedup();
            Ok(cells)
        })
        .collect()
}

/// The cells of per-polygon covers, deduplicated and sorted.
fn merge(per_polygon: &[Vec<CellIndex>]) -> Vec<CellIndex> {
    let mut cells = Vec::with_capacity(per_polygon.iter().map(Vec::len).sum());
    for c in per_polygon {
        cells.extend_from_slice(c);
    }
    cells.par_sort_unstable();
    cells.dedup();
    cells
}

/// Cells whose centre lies in any of `polygons`, deduplicated and sorted.
fn tile(polygons: &[MultiPolygon<f64>], res: Resolution) -> Result<Vec<CellIndex>, GridError> {
    Ok(merge(&tile_each(polygons, res)?))
}

impl Grid {
    /// Covers `region` (one or more polygons) with cells of resolution `res` (7–11).
    pub fn cover(region: &[MultiPolygon<f64>], res: u8) -> Result<Grid, GridError> {
        let resolution = resolution(res)?;
        if region.iter().all(|m| m.0.is_empty()) {
            return Err(GridError::Empty);
        }
        Ok(Grid::from_cells(resolution, tile(region, resolution)?))
    }

    /// As [`Grid::cover`], also returning each polygon's own cells (those whose centre lies in
    /// it), for per-polygon summaries without tiling the polygons a second time.
    pub fn cover_each(region: &[MultiPolygon<f64>], res: u8) -> Result<(Grid, Vec<Vec<CellIndex>>), GridError> {
        let resolution = resolution(res)?;
        if region.iter().all(|m| m.0.is_empty()) {
            return Err(GridError::Empty);
        }
        let each = tile_each(region, resolution)?;
        Ok((Grid::from_cells(resolution, merge(&each)), each))
    }

    /// A grid of `cells`, which must be sorted and unique.
    fn from_cells(resolution: Resolution, cells: Vec<CellIndex>) -> Grid {
        Grid {
            resolution,
            cells,
            centres: Default::default(),
        }
    }

    /// This grid widened by about `margin_m` metres on every side: every cell within
    /// `round(margin_m / centre spacing)` rings of a cell of the grid (H3's own buffer, exact in
    /// cells and far cheaper than buffering polygons).
    pub fn with_margin_m(self, margin_m: f64) -> Grid {
        let spacing_m = self.resolution.edge_length_m() * 3f64.sqrt();
        let rings = (margin_m.max(0.0) / spacing_m).round() as u32;
        if rings == 0 {
            return self;
        }
        let mut cells: Vec<CellIndex> = self
            .cells
            .par_iter()
            .flat_map_iter(|c| c.grid_disk::<Vec<CellIndex>>(rings))
            .collect();
        cells.par_sort_unstable();
        cells.dedup();
        Grid::from_cells(self.resolution, cells)
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when no cell covers the region (a region smaller than one cell's centre spacing).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Index of a cell in [`Grid::cells`].
    pub fn position(&self, cell: CellIndex) -> Option<usize> {
        self.cells.binary_search(&cell).ok()
    }

    /// Centre of each cell as a lon/lat point (computed on first use, then kept).
    pub fn centres(&self) -> &[Point<f64>] {
        let centres = self.centres.get_or_init(|| {
            self.cells
                .par_iter()
                .map(|c| {
                    let ll = LatLng::from(*c);
                    Point::new(ll.lng(), ll.lat())
                })
                .collect()
        });
        debug_assert_eq!(
            centres.len(),
            self.cells.len(),
            "cells changed after their centres were computed"
        );
        centres
    }

    /// Outline of a cell as a lon/lat polygon.
    pub fn outline(cell: CellIndex) -> Polygon<f64> {
        let ring: Vec<Coord<f64>> = cell
            .boundary()
            .iter()
            .map(|ll| Coord {
                x: ll.lng(),
                y: ll.lat(),
            })
            .collect();
        Polygon::new(LineString::from(ring), vec![])
    }

    /// Area of each cell in m² (on the authalic sphere, as H3 defines it).
    pub fn areas_m2(&self) -> Vec<f64> {
        self.cells.par_iter().map(|c| c.area_m2()).collect()
    }

    /// Share (0..=1) of each cell inside the union of `land`, estimated from which of its
    /// descendants `levels` resolutions finer (7 per level: 1 → steps of 1/7, 2 → 1/49) have
    /// their centre in the land. Overlapping land polygons count once.
    pub fn shares_inside(&self, land: &[MultiPolygon<f64>], levels: u8) -> Vec<f64> {
        let fine_res = u8::from(self.resolution) + levels.clamp(1, 3);
        let Ok(fine) = Resolution::try_from(fine_res.min(15)) else {
            return vec![0.0; self.len()];
        };
        let Ok(children) = tile(land, fine) else {
            return vec![0.0; self.len()];
        };
        let per_cell = self.cells.first().map(|c| c.children_count(fine) as f64).unwrap_or(1.0);
        // Children come sorted, so siblings are consecutive: one parent lookup per run, runs
        // counted in parallel chunks (integer counts: the same in any order).
        let runs: Vec<(usize, u32)> = children
            .par_chunks(1 << 16)
            .flat_map_iter(|chunk| {
                let mut runs: Vec<(usize, u32)> = Vec::new();
                let mut last: Option<(CellIndex, Option<usize>)> = None;
                for ch in chunk {
                    let Some(parent) = ch.parent(self.resolution) else {
                        continue;
                    };
                    let pos = match last {
                        Some((p, pos)) if p == parent => pos,
                        _ => {
                            let pos = self.position(parent);
                            last = Some((parent, pos));
                            if let Some(i) = pos {
                                runs.push((i, 0));
                            }
                            pos
                        }
                    };
                    if pos.is_some() {
                        if let Some(run) = runs.last_mut() {
                            run.1 += 1;
                        }
                    }
                }
                runs
            })
            .collect();
        let mut counts = vec![0u32; self.len()];
        for (i, n) in runs {
            counts[i] += n;
        }
        counts.iter().map(|&n| (n as f64 / per_cell).min(1.0)).collect()
    }

    /// Distance in metres from each cell's centre to the nearest of `lines` (roads, rivers,
    /// lines of contact), or `f64::INFINITY` when there are none.
    pub fn distance_to_lines_m(&self, lines: &[LineString<f64>]) -> Vec<f64> {
        let segments: Vec<Segment> = lines.iter().flat_map(|l| l.lines().map(Segment)).collect();
        if segments.is_empty() {
            return vec![f64::INFINITY; self.len()];
        }
        let tree = RTree::bulk_load(segments);
        self.centres()
            .par_iter()
            .map(|p| {
                // Nearest in degrees, scaled for latitude, then measured on the sphere.
                let k = p.y().to_radians().cos().max(0.05);
                let query = [p.x() * k, p.y()];
                tree.nearest_neighbor(&query).map_or(f64::INFINITY, |s| {
                    let closest = match s.0.closest_point(p) {
                        Closest::Intersection(c) | Closest::SinglePoint(c) => c,
                        Closest::Indeterminate => s.0.start_point(),
                    };
                    Haversine.distance(*p, closest)
                })
            })
            .collect()
    }

    /// Distance in metres from each cell's centre to the nearest of `points`.
    pub fn distance_to_points_m(&self, points: &[Point<f64>]) -> Vec<f64> {
        let lines: Vec<LineString<f64>> = points.iter().map(|p| LineString::from(vec![p.0, p.0])).collect();
        self.distance_to_lines_m(&lines)
    }

    /// Gaussian kernel density of `points` at each cell's centre, in points per km², with
    /// bandwidth `bandwidth_m` (points beyond 4 bandwidths are ignored).
    pub fn kernel_density_per_km2(&self, points: &[Point<f64>], bandwidth_m: f64) -> Vec<f64> {
        self.density(points, bandwidth_m, false)
    }

    /// As [`Grid::kernel_density_per_km2`], leaving out the points inside each cell itself: the
    /// evidence *around* a cell, for features of a model whose label is what lies inside it.
    pub fn neighbour_density_per_km2(&self, points: &[Point<f64>], bandwidth_m: f64) -> Vec<f64> {
        self.density(points, bandwidth_m, true)
    }

    /// The cell of this grid's resolution that holds each point.
    pub fn cell_of(&self, p: Point<f64>) -> Option<CellIndex> {
        LatLng::new(p.y(), p.x()).ok().map(|ll| ll.to_cell(self.resolution))
    }

    /// Number of `points` inside each cell.
    pub fn counts(&self, points: &[Point<f64>]) -> Vec<u32> {
        let positions: Vec<Option<usize>> = points
            .par_iter()
            .map(|p| self.cell_of(*p).and_then(|c| self.position(c)))
            .collect();
        let mut out = vec![0u32; self.len()];
        for i in positions.into_iter().flatten() {
            out[i] += 1;
        }
        out
    }

    fn density(&self, points: &[Point<f64>], bandwidth_m: f64, exclude_own: bool) -> Vec<f64> {
        if points.is_empty() || bandwidth_m.is_nan() || bandwidth_m <= 0.0 {
            return vec![0.0; self.len()];
        }
        // Points are binned by (their cell, the cell two resolutions finer) and each bin counts
        // at the mean position of its points: a million finds clustered in minefields become a
        // few hundred thousand weighted points. Using the bin's centroid (not its centre) makes
        // the first-order error of moving points cancel; what is left is of order (bin size /
        // bandwidth)², far below 1 % (tested against the exact sum). Keying by the point's own
        // cell keeps "leave the cell's own points out" exact.
        let fine = Resolution::try_from((u8::from(self.resolution) + 2).min(15)).unwrap_or(self.resolution);
        // (own cell, fine cell, point index), sorted: each bin's points lie together, in input
        // order, so its sums are the same whatever the thread count.
        let mut keyed: Vec<(CellIndex, CellIndex, u32)> = points
            .par_iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let ll = LatLng::new(p.y(), p.x()).ok()?;
                Some((ll.to_cell(self.resolution), ll.to_cell(fine), i as u32))
            })
            .collect();
        keyed.par_sort_unstable();
        #[allow(clippy::type_complexity)] // (own cell, fine cell) → (Σx, Σy, count)
        let mut bins: Vec<((CellIndex, CellIndex), (f64, f64, u32))> = Vec::new();
        for &(own, fine_cell, i) in &keyed {
            let p = points[i as usize];
            match bins.last_mut() {
                Some((key, bin)) if *key == (own, fine_cell) => {
                    bin.0 += p.x();
                    bin.1 += p.y();
                    bin.2 += 1;
                }
                _ => bins.push(((own, fine_cell), (p.x(), p.y(), 1))),
            }
        }
        drop(keyed);
        let located: Vec<([f64; 2], f64, Option<CellIndex>)> = bins
            .iter()
            .map(|((own, _), (sx, sy, n))| {
                let w = f64::from(*n);
                ([sx / w, sy / w], w, exclude_own.then_some(*own))
            })
            .collect();
        let tree = RTree::bulk_load(
            located
                .iter()
                .enumerate()
                .map(|(i, (xy, _, _))| Tagged(*xy, i))
                .collect::<Vec<_>>(),
        );
        let norm = 1.0 / (2.0 * std::f64::consts::PI * bandwidth_m * bandwidth_m) * 1e6;
        let reach_m = 4.0 * bandwidth_m;
        let inv_two_bw2 = 0.5 / (bandwidth_m * bandwidth_m);
        self.cells
            .par_iter()
            .zip(self.centres().par_iter())
            .map(|(cell, &c)| {
                let cos_lat = c.y().to_radians().cos();
                let dlat = reach_m / 111_320.0;
                let dlon = dlat / cos_lat.max(0.05);
                let env = AABB::from_corners([c.x() - dlon, c.y() - dlat], [c.x() + dlon, c.y() + dlat]);
                // Within 4 bandwidths (a few km) the local flat-earth distance differs from the
                // great-circle one by < 0.1 %: no trigonometry per pair of a million-cell map.
                let mut near: Vec<usize> = tree
                    .locate_in_envelope(&env)
                    .map(|t| t.1)
                    .filter(|&i| !exclude_own || located[i].2 != Some(*cell))
                    .collect();
                near.sort_unstable();
                near.iter()
                    .map(|&i| {
                        let (xy, weight, _) = located[i];
                        let dx = (xy[0] - c.x()) * M_PER_DEGREE * cos_lat;
                        let dy = (xy[1] - c.y()) * M_PER_DEGREE;
                        weight * (-(dx * dx + dy * dy) * inv_two_bw2).exp()
                    })
                    .sum::<f64>()
                    * norm
            })
            .collect()
    }
}

/// Metres per degree of latitude on the mean Earth sphere (R = 6,371,008.8 m, as
/// `geo::Haversine`).
const M_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A point with its index, for the density R-tree.
struct Tagged([f64; 2], usize);

impl RTreeObject for Tagged {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.0)
    }
}

/// A line segment in an R-tree whose x is scaled by cos(latitude) at query time: the envelope
/// is in raw degrees, so nearest-neighbour order is approximate across latitudes but exact
/// enough to pick the nearest segment within a region; the distance itself is on the sphere.
struct Segment(Line<f64>);

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        let k = ((self.0.start.y + self.0.end.y) / 2.0).to_radians().cos().max(0.05);
        AABB::from_corners([self.0.start.x * k, self.0.start.y], [self.0.end.x * k, self.0.end.y])
    }
}

impl rstar::PointDistance for Segment {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        let k = ((self.0.start.y + self.0.end.y) / 2.0).to_radians().cos().max(0.05);
        let a = Coord {
            x: self.0.start.x * k,
            y: self.0.start.y,
        };
        let b = Coord {
            x: self.0.end.x * k,
            y: self.0.end.y,
        };
        let p = Coord {
            x: point[0],
            y: point[1],
        };
        let ab = b - a;
        let len2 = ab.x * ab.x + ab.y * ab.y;
        let t = if len2 > 0.0 {
            (((p - a).x * ab.x + (p - a).y * ab.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = a + ab * t;
        (p.x - q.x).powi(2) + (p.y - q.y).powi(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)],
        ])
    }

    #[test]
    fn margin_widens_by_rings() {
        let grid = Grid::cover(&[square(35.0, 51.0, 0.02)], 9).unwrap();
        let n = grid.len();
        let wider = grid.clone().with_margin_m(700.0); // ~2 rings at resolution 9
        assert!(wider.len() > n + 20, "{} vs {n}", wider.len());
        assert!(grid.cells.iter().all(|c| wider.position(*c).is_some()));
        assert_eq!(grid.clone().with_margin_m(0.0), grid);
    }

    #[test]
    fn resolution_out_of_range_is_an_error() {
        assert_eq!(
            Grid::cover(&[square(35.0, 51.0, 0.01)], 6),
            Err(GridError::Resolution(6))
        );
        assert_eq!(
            Grid::cover(&[square(35.0, 51.0, 0.01)], 12),
            Err(GridError::Resolution(12))
        );
        assert!(Grid::cover(&[], 9).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn cover_area_matches_region_area() {
        let region = square(35.0, 51.0, 0.1);
        let grid = Grid::cover(std::slice::from_ref(&region), 9).unwrap();
        let cells_m2: f64 = grid.areas_m2().iter().sum();
        let region_m2 = demine_core_free_area(&region);
        assert!((cells_m2 / region_m2 - 1.0).abs() < 0.03, "{cells_m2} vs {region_m2}");
        // Sorted and unique.
        assert!(grid.cells.windows(2).all(|w| w[0] < w[1]));
    }

    /// Geodesic area without depending on demine-core (this crate must stay below it).
    fn demine_core_free_area(m: &MultiPolygon<f64>) -> f64 {
        use geo::GeodesicArea;
        m.geodesic_area_unsigned()
    }

    #[test]
    fn shares_are_one_inside_zero_outside_and_partial_on_edges() {
        let region = square(35.0, 51.0, 0.1);
        let land = square(35.0, 51.0, 0.05); // the south-west quarter
        let grid = Grid::cover(&[region], 9).unwrap();
        let shares = grid.shares_inside(&[land.clone(), land], 2); // overlap counts once
        assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)));
        let total: f64 = shares.iter().zip(grid.areas_m2()).map(|(s, a)| s * a).sum();
        let quarter = demine_core_free_area(&square(35.0, 51.0, 0.05));
        assert!((total / quarter - 1.0).abs() < 0.03, "{total} vs {quarter}");
        assert!(shares.iter().any(|s| *s > 0.0 && *s < 1.0));
    }

    #[test]
    fn distances_to_a_line_and_points() {
        let grid = Grid::cover(&[square(35.0, 51.0, 0.05)], 9).unwrap();
        // A north-south road along lon 35.0: distance ≈ (lon − 35.0) × 111.32 km × cos(lat).
        let road = LineString::from(vec![(35.0, 50.9), (35.0, 51.2)]);
        let d = grid.distance_to_lines_m(&[road]);
        for (c, dist) in grid.centres().iter().zip(&d) {
            let expected = (c.x() - 35.0).abs() * 111_320.0 * c.y().to_radians().cos();
            assert!((dist - expected).abs() < 0.01 * expected + 5.0, "{dist} vs {expected}");
        }
        let p = grid.distance_to_points_m(&[Point::new(35.025, 51.015)]);
        assert!(p.iter().cloned().fold(f64::INFINITY, f64::min) < 250.0);
        assert!(grid.distance_to_lines_m(&[]).iter().all(|d| d.is_infinite()));
    }

    #[test]
    fn kernel_density_integrates_to_the_number_of_points() {
        let grid = Grid::cover(&[square(34.9, 50.9, 0.3)], 9).unwrap();
        let pts = vec![
            Point::new(35.05, 51.05),
            Point::new(35.06, 51.04),
            Point::new(35.04, 51.06),
        ];
        let dens = grid.kernel_density_per_km2(&pts, 500.0);
        // Flat-earth distances (0.1 %); points binned at their centroids (second-order error).
        let norm = 1e6 / (2.0 * std::f64::consts::PI * 500.0 * 500.0);
        for (c, d) in grid.centres().iter().zip(&dens) {
            let exact: f64 = pts
                .iter()
                .map(|p| Haversine.distance(*c, *p))
                .map(|m| (-0.5 * (m / 500.0).powi(2)).exp() * norm)
                .sum();
            // (Points beyond the 4-bandwidth reach, left out, weigh < e^-8 each.)
            assert!(
                (d - exact).abs() <= 2e-3 * exact + 3.0 * (-8f64).exp() * norm,
                "{d} vs {exact}"
            );
        }
        let total: f64 = dens.iter().zip(grid.areas_m2()).map(|(d, a)| d * a / 1e6).sum();
        assert!((total - 3.0).abs() < 0.1, "{total}");
        assert!(grid.kernel_density_per_km2(&pts, 0.0).iter().all(|d| *d == 0.0));
        // Leaving out each cell's own points lowers the density exactly where the points are.
        let around = grid.neighbour_density_per_km2(&pts, 500.0);
        let counts = grid.counts(&pts);
        assert_eq!(counts.iter().sum::<u32>(), 3);
        for ((d, a), n) in dens.iter().zip(&around).zip(&counts) {
            if *n > 0 {
                assert!(a < d);
            } else {
                assert!((a - d).abs() < 1e-12);
            }
        }
    }

    /// Binning points (at the centroid of each fine bin) keeps the density at every cell within
    /// 0.5 % of the exact kernel sum over thousands of scattered points.
    #[test]
    fn binned_density_matches_the_exact_kernel_sum() {
        let grid = Grid::cover(&[square(34.95, 50.95, 0.1)], 9).unwrap();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<Point<f64>> = (0..3000)
            .map(|_| Point::new(34.95 + 0.1 * next(), 50.95 + 0.1 * next()))
            .collect();
        let bandwidth_m = 500.0;
        let dens = grid.kernel_density_per_km2(&pts, bandwidth_m);
        let norm = 1e6 / (2.0 * std::f64::consts::PI * bandwidth_m * bandwidth_m);
        for (cell, d) in grid.cells.iter().zip(&dens).step_by(37) {
            let ll = LatLng::from(*cell);
            let c = Point::new(ll.lng(), ll.lat());
            let exact: f64 = pts
                .iter()
                .map(|p| Haversine.distance(c, *p))
                .filter(|d| *d <= 4.0 * bandwidth_m)
                .map(|d| (-0.5 * (d / bandwidth_m).powi(2)).exp())
                .sum::<f64>()
                * norm;
            assert!((d - exact).abs() <= 0.005 * exact + 1e-6, "{d} vs {exact}");
        }
    }
}
