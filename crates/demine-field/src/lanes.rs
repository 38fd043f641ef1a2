//! Clearance lanes and search boxes, in a local metric plane (see [`crate::plane`]).
//!
//! **Lanes** (boustrophedon): the site is cut into parallel strips of width `w` across the
//! heading (the direction teams walk or drive, degrees clockwise from north); each strip is
//! clipped to the site (holes and multipolygons included, `geo`'s boolean operations), and each
//! connected piece of a strip is a lane. Lanes are numbered in working order: strip after
//! strip from the end nearest the access point, direction alternating strip by strip (one
//! U-turn between strips), pieces of one strip in walking order. A last sliver narrower than
//! [`SLIVER_SHARE`] of `w` is folded into the last strip rather than given a lane of its own,
//! so a W × H rectangle aligned with the heading gets ⌈W / w⌉ lanes even when W was measured
//! with a slightly different scale.
//!
//! `auto` heading: every whole degree in [0°, 180°) and every edge direction of the site is
//! scored with a cheap scanline estimate (lane pieces on each strip's centre line); the best
//! few, plus 0° and 90°, are then laid out exactly and the best exact layout wins (fewest
//! lanes, then fewest turns, then least travel between lanes). So `auto` is never worse than
//! 0° or 90°.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use demine_field::lanes::{plan_lanes_xy, LaneOptions, Heading};
//! // A 10 m × 30 m field, lanes of 1 m walking north: 10 lanes.
//! let site = MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0)]]);
//! let plan = plan_lanes_xy(&site, &LaneOptions { width_m: 1.0, heading: Heading::Degrees(0.0), access_xy: None }).unwrap();
//! assert_eq!(plan.lanes.len(), 10);
//! assert!(plan.coverage_share > 0.9999);
//! ```

use geo::{Area, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use serde::Serialize;

/// A last strip narrower than this share of the lane width is folded into the strip before.
pub const SLIVER_SHARE: f64 = 0.005;

/// Strips per band: the site is cut into bands first, then each band into strips.
const BAND_STRIPS: usize = 16;

/// Pieces smaller than this (m²) are numerical dust of the clipping, not land.
const DUST_M2: f64 = 1e-6;

/// Why lanes cannot be laid out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LaneError {
    #[error("lane width must be a positive number of metres (e.g. --width 1 for manual teams, the flail width for machines); got {0}")]
    Width(f64),
    #[error("box size must be a positive number of metres (e.g. --boxes 10); got {0}")]
    BoxSize(f64),
    #[error("heading must be a finite number of degrees (0 = lanes run north), or auto; got {0}")]
    Heading(f64),
    #[error("the polygon has no area ({area_m2:.3} m²): lanes need land; check the file (a line, a point, or a ring with its vertices in a row?)")]
    NoArea { area_m2: f64 },
    #[error("{strips} strips of {width_m} m across {span_m:.0} m: too many; use a wider lane or split the task")]
    TooMany { strips: u64, width_m: f64, span_m: f64 },
}

/// Heading of the lanes: degrees clockwise from north, or searched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Heading {
    Auto,
    Degrees(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LaneOptions {
    pub width_m: f64,
    pub heading: Heading,
    /// Where the team arrives (plane metres); the first vertex of the site when `None`.
    pub access_xy: Option<Coord<f64>>,
}

/// One lane, in the plane (metres).
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// 1-based, in working order.
    pub number: usize,
    /// 0-based strip across the site.
    pub strip: usize,
    /// The land of the lane (strip ∩ site).
    pub area: Polygon<f64>,
    /// Where the team walks: start → end, along the strip's centre.
    pub centre_line: LineString<f64>,
    pub length_m: f64,
    pub area_m2: f64,
}

/// Lanes over a site with their figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LanePlan {
    pub heading_deg: f64,
    pub width_m: f64,
    pub lanes: Vec<Lane>,
    pub total_length_m: f64,
    /// U-turns between strips.
    pub turns: usize,
    /// Walking between the end of one lane and the start of the next, m.
    pub transit_m: f64,
    pub site_area_m2: f64,
    pub covered_area_m2: f64,
    /// covered ∩ site / site.
    pub coverage_share: f64,
    /// Headings laid out exactly by `auto` and their (lanes, turns).
    pub candidates: Vec<HeadingScore>,
}

/// How one heading scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadingScore {
    pub heading_deg: f64,
    pub lanes: usize,
    pub turns: usize,
}

/// Rotation between the plane and lane coordinates: `s` across the lanes, `t` along them.
#[derive(Debug, Clone, Copy)]
struct Frame {
    sin: f64,
    cos: f64,
}

impl Frame {
    fn new(heading_deg: f64) -> Frame {
        let h = heading_deg.to_radians();
        Frame {
            sin: h.sin(),
            cos: h.cos(),
        }
    }
    /// plane (x east, y north) → (s across, t along the heading).
    fn to_st(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x * self.cos - c.y * self.sin,
            y: c.x * self.sin + c.y * self.cos,
        }
    }
    fn to_xy(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x * self.cos + c.y * self.sin,
            y: -c.x * self.sin + c.y * self.cos,
        }
    }
    fn map_poly(p: &Polygon<f64>, f: impl Fn(Coord<f64>) -> Coord<f64> + Copy) -> Polygon<f64> {
        let ring = |r: &LineString<f64>| -> LineString<f64> { r.0.iter().map(|&c| f(c)).collect() };
        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
    }
    fn multi_to_st(self, m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(m.0.iter().map(|p| Frame::map_poly(p, |c| self.to_st(c))).collect())
    }
}

fn check_site(site: &MultiPolygon<f64>) -> Result<f64, LaneError> {
    let area = site.unsigned_area();
    if !(area.is_finite() && area > DUST_M2) {
        return Err(LaneError::NoArea {
            area_m2: if area.is_finite() { area } else { 0.0 },
        });
    }
    Ok(area)
}

/// Strip edges across `[s0, s1]`: ⌈span / w⌉ strips, a final sliver folded in.
fn strip_edges(s0: f64, s1: f64, w: f64) -> Result<Vec<f64>, LaneError> {
    let span = s1 - s0;
    let k = ((span / w) - SLIVER_SHARE).ceil().max(1.0);
    if k > 2_000_000.0 {
        return Err(LaneError::TooMany {
            strips: k as u64,
            width_m: w,
            span_m: span,
        });
    }
    let k = k as usize;
    let mut e: Vec<f64> = (0..=k).map(|i| s0 + i as f64 * w).collect();
    // The last strip reaches past the far edge, whatever rounding did.
    e[k] = e[k].max(s1) + 1e-9 * w.max(span);
    e[0] -= 1e-9 * w.max(span);
    Ok(e)
}

/// Lanes over a site already in plane metres.
pub fn plan_lanes_xy(site: &MultiPolygon<f64>, opts: &LaneOptions) -> Result<LanePlan, LaneError> {
    let w = opts.width_m;
    if !(w.is_finite() && w > 0.0) {
        return Err(LaneError::Width(w));
    }
    let site_area = check_site(site)?;
    let access = opts.access_xy.unwrap_or_else(|| site.0[0].exterior().0[0]);
    match opts.heading {
        Heading::Degrees(h) => {
            if !h.is_finite() {
                return Err(LaneError::Heading(h));
            }
            let mut p = layout(site, site_area, w, h.rem_euclid(360.0), access)?;
            p.candidates = vec![p.score()];
            Ok(p)
        }
        Heading::Auto => {
            let mut estimates: Vec<(usize, usize, f64)> = candidate_headings(site)
                .into_par_iter()
                .map(|h| {
                    let (l, s) = estimate(site, w, h);
                    (l, s, h)
                })
                .collect();
            estimates.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
            let mut exact: Vec<f64> = estimates.iter().take(3).map(|e| e.2).collect();
            exact.extend([0.0, 90.0]);
            exact.dedup();
            let mut best: Option<LanePlan> = None;
            let mut scores = Vec::new();
            for h in exact {
                let p = layout(site, site_area, w, h, access)?;
                scores.push(p.score());
                let better = match &best {
                    None => true,
                    Some(b) => {
                        (p.lanes.len(), p.turns) < (b.lanes.len(), b.turns)
                            || ((p.lanes.len(), p.turns) == (b.lanes.len(), b.turns)
                                && p.transit_m < b.transit_m - 1e-6)
                    }
                };
                if better {
                    best = Some(p);
                }
            }
            let mut best = best.expect("0° and 90° are always laid out");
            best.candidates = scores;
            Ok(best)
        }
    }
}

impl LanePlan {
    fn score(&self) -> HeadingScore {
        HeadingScore {
            heading_deg: self.heading_deg,
            lanes: self.lanes.len(),
            turns: self.turns,
        }
    }
}

/// Whole degrees in [0, 180) and the directions of the site's edges (mod 180°).
fn candidate_headings(site: &MultiPolygon<f64>) -> Vec<f64> {
    let mut hs: Vec<f64> = (0..180).map(f64::from).collect();
    let mut edges: Vec<(f64, f64)> = Vec::new();
    for p in &site.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines() {
                let (dx, dy) = (l.end.x - l.start.x, l.end.y - l.start.y);
                let len = dx.hypot(dy);
                if len > 0.0 {
                    let h = dx.atan2(dy).to_degrees().rem_euclid(180.0);
                    // rem_euclid can return 180 itself for a hair below 0: that is heading 0.
                    edges.push((len, if h >= 180.0 - 1e-9 { 0.0 } else { h }));
                }
            }
        }
    }
    // The longest edges matter; a site with thousands of vertices need not try them all.
    edges.sort_by(|a, b| b.0.total_cmp(&a.0));
    hs.extend(edges.iter().take(64).map(|e| e.1));
    hs.sort_by(f64::total_cmp);
    hs.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
    hs
}

/// (lane pieces, strips with land) on each strip's centre line: a scanline estimate.
fn estimate(site: &MultiPolygon<f64>, w: f64, heading: f64) -> (usize, usize) {
    let f = Frame::new(heading);
    let mut segs: Vec<(f64, f64)> = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in &site.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines() {
                let (a, b) = (f.to_st(l.start).x, f.to_st(l.end).x);
                lo = lo.min(a);
                hi = hi.max(a);
                segs.push((a.min(b), a.max(b)));
            }
        }
    }
    let Ok(edges) = strip_edges(lo, hi, w) else {
        return (usize::MAX, usize::MAX);
    };
    segs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut pieces, mut strips) = (0, 0);
    for win in edges.windows(2) {
        let sc = 0.5 * (win[0] + win[1]);
        // Half-open crossing rule: an edge crosses when its ends lie on both sides of sc.
        let crossings = segs.iter().take_while(|s| s.0 <= sc).filter(|s| s.1 > sc).count();
        if crossings > 0 {
            pieces += crossings / 2;
            strips += 1;
        }
    }
    (pieces.max(1), strips)
}

/// A piece of one strip, in lane coordinates: (t_min, t_max, s of its centre line, land).
type StripPiece = (f64, f64, f64, Polygon<f64>);

/// The exact layout at one heading.
fn layout(
    site: &MultiPolygon<f64>,
    site_area: f64,
    w: f64,
    heading: f64,
    access: Coord<f64>,
) -> Result<LanePlan, LaneError> {
    let f = Frame::new(heading);
    let st = f.multi_to_st(site);
    let bb = st.bounding_rect().ok_or(LaneError::NoArea { area_m2: 0.0 })?;
    let edges = strip_edges(bb.min().x, bb.max().x, w)?;
    let (t0, t1) = (bb.min().y - 1.0, bb.max().y + 1.0);
    // Per strip: its pieces as (t_min, t_max, s_centre, piece) in lane coordinates. The site is
    // first cut into bands of BAND_STRIPS strips, so that each strip is clipped against a small
    // band rather than the whole site; bands are independent, so they run in parallel.
    let rect = |a: f64, b: f64| {
        MultiPolygon(vec![
            Rect::new(Coord { x: a, y: t0 }, Coord { x: b, y: t1 }).to_polygon()
        ])
    };
    let n_strips = edges.len() - 1;
    let strips: Vec<Vec<StripPiece>> = (0..n_strips.div_ceil(BAND_STRIPS))
        .into_par_iter()
        .flat_map_iter(|band| {
            let (first, last) = (band * BAND_STRIPS, ((band + 1) * BAND_STRIPS).min(n_strips));
            let band_land = st.intersection(&rect(edges[first], edges[last]));
            (first..last)
                .map(|i| {
                    let (a, b) = (edges[i], edges[i + 1]);
                    let mut pieces: Vec<StripPiece> = if band_land.0.is_empty() {
                        Vec::new()
                    } else {
                        band_land
                            .intersection(&rect(a, b))
                            .0
                            .into_iter()
                            .filter(|p| p.unsigned_area() > DUST_M2)
                            .filter_map(|p| {
                                let r = p.bounding_rect()?;
                                let sc = (0.5 * (a + b)).clamp(r.min().x, r.max().x);
                                Some((r.min().y, r.max().y, sc, p))
                            })
                            .collect()
                    };
                    pieces.sort_by(|x, y| x.0.total_cmp(&y.0));
                    pieces
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let worked: Vec<usize> = (0..strips.len()).filter(|&i| !strips[i].is_empty()).collect();
    let access_st = f.to_st(access);
    // Four ways to start: from either side, first lane walking either way; nearest start wins.
    let mut best: Option<(f64, bool, bool)> = None;
    for from_low_s in [true, false] {
        for first_up in [true, false] {
            let i = if from_low_s {
                worked[0]
            } else {
                worked[worked.len() - 1]
            };
            let ps = &strips[i];
            let start = if first_up {
                Coord { x: ps[0].2, y: ps[0].0 }
            } else {
                let l = &ps[ps.len() - 1];
                Coord { x: l.2, y: l.1 }
            };
            let d = (start.x - access_st.x).hypot(start.y - access_st.y);
            if best.is_none_or(|b| d < b.0 - 1e-9) {
                best = Some((d, from_low_s, first_up));
            }
        }
    }
    let (_, from_low_s, first_up) = best.expect("a site with area has a worked strip");
    let order: Vec<usize> = if from_low_s {
        worked.clone()
    } else {
        worked.iter().rev().copied().collect()
    };
    let mut lanes = Vec::new();
    let mut transit = 0.0;
    let mut last_end: Option<Coord<f64>> = None;
    for (k, &i) in order.iter().enumerate() {
        let up = first_up == (k % 2 == 0);
        let mut ps: Vec<&StripPiece> = strips[i].iter().collect();
        if !up {
            ps.reverse();
        }
        for (tmin, tmax, sc, piece) in ps {
            let (a, b) = if up { (*tmin, *tmax) } else { (*tmax, *tmin) };
            let (start, end) = (Coord { x: *sc, y: a }, Coord { x: *sc, y: b });
            if let Some(e) = last_end {
                transit += (start.x - e.x).hypot(start.y - e.y);
            }
            last_end = Some(end);
            let area_m2 = piece.unsigned_area();
            lanes.push(Lane {
                number: lanes.len() + 1,
                strip: i,
                area: Frame::map_poly(piece, |c| f.to_xy(c)),
                centre_line: LineString::new(vec![f.to_xy(start), f.to_xy(end)]),
                length_m: tmax - tmin,
                area_m2,
            });
        }
    }
    let covered: f64 = lanes.iter().map(|l| l.area_m2).sum();
    Ok(LanePlan {
        heading_deg: heading,
        width_m: w,
        total_length_m: lanes.iter().map(|l| l.length_m).sum(),
        turns: order.len().saturating_sub(1),
        transit_m: transit,
        site_area_m2: site_area,
        covered_area_m2: covered,
        // Strips are disjoint and each piece lies inside the site, so the sum is the union.
        coverage_share: (covered / site_area).min(1.0),
        lanes,
        candidates: Vec::new(),
    })
}

/// One box of a grid laid over a site.
#[derive(Debug, Clone, PartialEq)]
pub struct GridBox {
    /// 0-based row (along the heading) and column (across it).
    pub row: usize,
    pub col: usize,
    /// The whole box, in plane metres.
    pub outline: Polygon<f64>,
    pub centre: Coord<f64>,
    /// Share of the box inside the site.
    pub inside_share: f64,
}

/// A grid of `box_m` × `box_m` boxes aligned with `heading_deg`, covering the site: every box
/// that holds land of the site, with the share of it inside.
pub fn grid_boxes_xy(site: &MultiPolygon<f64>, box_m: f64, heading_deg: f64) -> Result<Vec<GridBox>, LaneError> {
    if !(box_m.is_finite() && box_m > 0.0) {
        return Err(LaneError::BoxSize(box_m));
    }
    if !heading_deg.is_finite() {
        return Err(LaneError::Heading(heading_deg));
    }
    check_site(site)?;
    let f = Frame::new(heading_deg);
    let st = f.multi_to_st(site);
    let bb = st.bounding_rect().ok_or(LaneError::NoArea { area_m2: 0.0 })?;
    let (s0, t0) = (bb.min().x, bb.min().y);
    let cols = ((bb.max().x - s0) / box_m).ceil().max(1.0);
    let rows = ((bb.max().y - t0) / box_m).ceil().max(1.0);
    if cols * rows > 20_000_000.0 {
        return Err(LaneError::TooMany {
            strips: (cols * rows) as u64,
            width_m: box_m,
            span_m: (bb.max().x - s0).max(bb.max().y - t0),
        });
    }
    let (cols, rows) = (cols as usize, rows as usize);
    let mut out = Vec::new();
    for row in 0..rows {
        let (ta, tb) = (t0 + row as f64 * box_m, t0 + (row + 1) as f64 * box_m);
        let band = MultiPolygon(vec![Rect::new(
            Coord { x: s0 - 1.0, y: ta },
            Coord {
                x: s0 + cols as f64 * box_m + 1.0,
                y: tb,
            },
        )
        .to_polygon()]);
        let in_band = st.intersection(&band);
        if in_band.unsigned_area() <= DUST_M2 {
            continue;
        }
        for col in 0..cols {
            let (sa, sb) = (s0 + col as f64 * box_m, s0 + (col + 1) as f64 * box_m);
            let cell = Rect::new(Coord { x: sa, y: ta }, Coord { x: sb, y: tb }).to_polygon();
            let inside = in_band.intersection(&MultiPolygon(vec![cell.clone()])).unsigned_area();
            if inside <= DUST_M2 {
                continue;
            }
            out.push(GridBox {
                row,
                col,
                outline: Frame::map_poly(&cell, |c| f.to_xy(c)),
                centre: f.to_xy(Coord {
                    x: 0.5 * (sa + sb),
                    y: 0.5 * (ta + tb),
                }),
                inside_share: (inside / (box_m * box_m)).min(1.0),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn rect(w: f64, h: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: w, y: 0.0), (x: w, y: h), (x: 0.0, y: h)],
        ])
    }

    #[test]
    fn lanes_alternate_and_start_near_access() {
        let opts = LaneOptions {
            width_m: 2.0,
            heading: Heading::Degrees(0.0),
            access_xy: Some(Coord { x: 11.0, y: 31.0 }),
        };
        let p = plan_lanes_xy(&rect(10.0, 30.0), &opts).unwrap();
        assert_eq!(p.lanes.len(), 5);
        assert_eq!(p.turns, 4);
        // The team arrives at the north-east corner: the first lane is the eastern one, walking south.
        let first = &p.lanes[0].centre_line.0;
        assert!(first[0].x > 8.0 && first[0].y > 29.0 && first[1].y < 1.0, "{first:?}");
        let second = &p.lanes[1].centre_line.0;
        assert!(second[0].y < 1.0 && second[1].y > 29.0);
        assert!((p.total_length_m - 150.0).abs() < 1e-6);
    }

    #[test]
    fn a_hole_splits_strips_into_more_lanes() {
        let site = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]),
            vec![LineString::from(vec![
                (4.0, 4.0),
                (6.0, 4.0),
                (6.0, 6.0),
                (4.0, 6.0),
                (4.0, 4.0),
            ])],
        )]);
        let p = plan_lanes_xy(
            &site,
            &LaneOptions {
                width_m: 1.0,
                heading: Heading::Degrees(0.0),
                access_xy: None,
            },
        )
        .unwrap();
        assert_eq!(p.lanes.len(), 12);
        assert_eq!(p.turns, 9);
        assert!((p.covered_area_m2 - 96.0).abs() < 1e-6);
    }

    #[test]
    fn auto_finds_the_long_axis_of_a_tilted_rectangle() {
        let f = Frame::new(-30.0);
        let tilted = MultiPolygon(vec![Frame::map_poly(&rect(10.0, 200.0).0[0], |c| f.to_xy(c))]);
        let opts = |heading| LaneOptions {
            width_m: 1.0,
            heading,
            access_xy: None,
        };
        let auto = plan_lanes_xy(&tilted, &opts(Heading::Auto)).unwrap();
        assert_eq!(auto.lanes.len(), 10, "heading {}", auto.heading_deg);
        for h in [0.0, 90.0] {
            assert!(auto.lanes.len() <= plan_lanes_xy(&tilted, &opts(Heading::Degrees(h))).unwrap().lanes.len());
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let o = |w| LaneOptions {
            width_m: w,
            heading: Heading::Degrees(0.0),
            access_xy: None,
        };
        assert!(matches!(
            plan_lanes_xy(&rect(10.0, 10.0), &o(0.0)),
            Err(LaneError::Width(_))
        ));
        assert!(matches!(
            plan_lanes_xy(&rect(10.0, 10.0), &o(-1.0)),
            Err(LaneError::Width(_))
        ));
        assert!(matches!(
            plan_lanes_xy(&rect(10.0, 10.0), &o(f64::NAN)),
            Err(LaneError::Width(_))
        ));
        assert!(matches!(
            plan_lanes_xy(&rect(10.0, 0.0), &o(1.0)),
            Err(LaneError::NoArea { .. })
        ));
        assert!(matches!(
            plan_lanes_xy(&MultiPolygon(vec![]), &o(1.0)),
            Err(LaneError::NoArea { .. })
        ));
        assert!(matches!(
            grid_boxes_xy(&rect(10.0, 10.0), 0.0, 0.0),
            Err(LaneError::BoxSize(_))
        ));
    }

    #[test]
    fn boxes_cover_the_site() {
        let site = rect(25.0, 12.0);
        let b = grid_boxes_xy(&site, 10.0, 0.0).unwrap();
        assert_eq!(b.len(), 6);
        let inside: f64 = b.iter().map(|x| x.inside_share * 100.0).sum();
        assert!((inside - 300.0).abs() < 1e-6);
    }
}
