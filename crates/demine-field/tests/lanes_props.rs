//! Lane invariants users rely on: the lane count of an aligned rectangle, full coverage at any
//! heading and on polygons with holes, lanes that stay on the site, and `auto` never worse than
//! 0° or 90°. Coverage is measured independently of the planner: the site minus every lane.

use demine_field::lanes::{plan_lanes_xy, Heading, LaneOptions, LanePlan, SLIVER_SHARE};
use geo::{Area, BooleanOps, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;

/// The rectangle [0, w] × [0, h] in lane coordinates (s across, t along), turned so that its
/// long side t runs along `heading_deg` (clockwise from north), shifted to (x0, y0).
fn aligned_rect(w: f64, h: f64, heading_deg: f64, x0: f64, y0: f64) -> MultiPolygon<f64> {
    let (sin, cos) = heading_deg.to_radians().sin_cos();
    let xy = |s: f64, t: f64| (x0 + s * cos + t * sin, y0 - s * sin + t * cos);
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![xy(0.0, 0.0), xy(w, 0.0), xy(w, h), xy(0.0, h), xy(0.0, 0.0)]),
        vec![],
    )])
}

/// Site area not covered by any lane, and lane area outside the site (m²).
fn uncovered_and_outside(site: &MultiPolygon<f64>, plan: &LanePlan) -> (f64, f64) {
    let mut rest = site.clone();
    let mut outside = 0.0;
    for lane in &plan.lanes {
        let l = MultiPolygon(vec![lane.area.clone()]);
        rest = rest.difference(&l);
        outside += l.difference(site).unsigned_area();
    }
    (rest.unsigned_area(), outside)
}

/// A star-shaped ring around (cx, cy) with radii in [r0, r1].
fn star(cx: f64, cy: f64, radii: &[f64], clockwise: bool) -> LineString<f64> {
    let n = radii.len();
    let mut pts: Vec<(f64, f64)> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    if clockwise {
        pts.reverse();
    }
    pts.push(pts[0]);
    LineString::from(pts)
}

fn opts(width_m: f64, heading: Heading) -> LaneOptions {
    LaneOptions {
        width_m,
        heading,
        access_xy: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn aligned_rectangle_gets_ceil_w_over_w_lanes(
        w_lanes in 1.0f64..40.0, h in 5.0f64..300.0, width in 0.5f64..12.0, heading in 0.0f64..360.0,
        x0 in -500.0f64..500.0, y0 in -500.0f64..500.0,
    ) {
        let w = w_lanes * width;
        let site = aligned_rect(w, h, heading, x0, y0);
        let plan = plan_lanes_xy(&site, &opts(width, Heading::Degrees(heading))).unwrap();
        // ⌈W / w⌉, a last sliver narrower than SLIVER_SHARE of a lane folded in.
        let expected = ((w / width) - SLIVER_SHARE).ceil() as usize;
        prop_assert_eq!(plan.lanes.len(), expected);
        prop_assert_eq!(plan.turns, expected - 1);
        for (i, lane) in plan.lanes.iter().enumerate() {
            prop_assert_eq!(lane.number, i + 1);
            prop_assert!((lane.length_m - h).abs() < 1e-6 * h.max(1.0));
        }
    }

    #[test]
    fn rectangles_are_covered_at_any_heading(
        w in 3.0f64..200.0, h in 3.0f64..200.0, rect_heading in 0.0f64..180.0,
        lane_heading in 0.0f64..360.0, width in 0.5f64..10.0,
    ) {
        let site = aligned_rect(w, h, rect_heading, 10.0, -20.0);
        let plan = plan_lanes_xy(&site, &opts(width, Heading::Degrees(lane_heading))).unwrap();
        let area = site.unsigned_area();
        let (uncovered, outside) = uncovered_and_outside(&site, &plan);
        prop_assert!(1.0 - uncovered / area >= 0.9999, "coverage {}", 1.0 - uncovered / area);
        prop_assert!(outside <= 1e-6 * area);
        prop_assert!(plan.coverage_share >= 0.9999);
    }

    #[test]
    fn polygons_with_holes_are_covered(
        outer in prop::collection::vec(60.0f64..150.0, 5..14),
        inner in prop::collection::vec(5.0f64..30.0, 3..8),
        holes_at in prop::collection::vec((-20.0f64..20.0, -20.0f64..20.0), 1..3),
        width in 0.8f64..8.0, heading in 0.0f64..180.0,
    ) {
        // Holes stay inside: the exterior is star-shaped with radius ≥ 60 around the origin and a
        // hole reaches at most 20·√2 + 30 < 60 from it; holes may overlap each other, so merge them.
        let mut holes = MultiPolygon::<f64>(vec![]);
        for &(cx, cy) in &holes_at {
            holes = holes.union(&MultiPolygon(vec![Polygon::new(star(cx, cy, &inner, false), vec![])]));
        }
        let site = MultiPolygon(vec![Polygon::new(star(0.0, 0.0, &outer, false), vec![])]).difference(&holes);
        let area = site.unsigned_area();
        let plan = plan_lanes_xy(&site, &opts(width, Heading::Degrees(heading))).unwrap();
        let (uncovered, outside) = uncovered_and_outside(&site, &plan);
        prop_assert!(1.0 - uncovered / area >= 0.999, "coverage {}", 1.0 - uncovered / area);
        prop_assert!(outside <= 1e-6 * area, "lane land outside the site {}", outside);
        prop_assert!((plan.covered_area_m2 - (area - uncovered)).abs() <= 1e-6 * area);
    }

    #[test]
    fn auto_is_never_worse_than_0_or_90_degrees(
        outer in prop::collection::vec(20.0f64..120.0, 4..10), width in 1.0f64..10.0,
    ) {
        let site = MultiPolygon(vec![Polygon::new(star(0.0, 0.0, &outer, false), vec![])]);
        let auto = plan_lanes_xy(&site, &opts(width, Heading::Auto)).unwrap();
        for h in [0.0, 90.0] {
            let fixed = plan_lanes_xy(&site, &opts(width, Heading::Degrees(h))).unwrap();
            prop_assert!(
                (auto.lanes.len(), auto.turns) <= (fixed.lanes.len(), fixed.turns),
                "auto {}° {} lanes {} turns vs {h}° {} lanes {} turns",
                auto.heading_deg, auto.lanes.len(), auto.turns, fixed.lanes.len(), fixed.turns
            );
        }
    }
}

#[test]
fn multipolygon_parts_each_get_lanes() {
    let a = aligned_rect(10.0, 20.0, 0.0, 0.0, 0.0);
    let b = aligned_rect(10.0, 20.0, 0.0, 30.0, 0.0);
    let site = MultiPolygon(a.0.into_iter().chain(b.0).collect());
    let plan = plan_lanes_xy(&site, &opts(1.0, Heading::Degrees(0.0))).unwrap();
    assert_eq!(plan.lanes.len(), 20);
}
