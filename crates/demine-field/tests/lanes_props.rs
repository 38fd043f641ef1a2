//! Lane invariants users rely on: the lane count of an aligned rectangle, full coverage at any
//! heading and on polygons with holes, lanes that stay on the site, and `auto` never worse than
//! 0° or 90°. Coverage is measured independently of the planner: the site minus every lane.

use demine_field::lanes::{plan_lanes_xy, Heading, LaneOptions, LanePlan, SLIVER_SHARE};
use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects, LineString, MultiPolygon, Point, Polygon, Rect};
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

/// Share of the site not covered by any lane, and lane area outside the site (m²).
///
/// Coverage is sampled on a fine grid of points rather than by subtracting lanes from the site
/// one after another: a chain of hundreds of polygon differences accumulates floating-point
/// damage in the clipping library (geo 0.33 once *gained* area on a sliver), so it would measure
/// the clipper, not the planner. A point test is exact.
fn uncovered_share_and_outside(site: &MultiPolygon<f64>, plan: &LanePlan) -> (f64, f64) {
    let outside = plan
        .lanes
        .iter()
        .map(|lane| MultiPolygon(vec![lane.area.clone()]).difference(site).unsigned_area())
        .sum();
    let boxes: Vec<Rect<f64>> = plan.lanes.iter().map(|l| l.area.bounding_rect().unwrap()).collect();
    let bb = site.bounding_rect().unwrap();
    let step = (bb.width() * bb.height() / 40_000.0).sqrt();
    let (mut inside, mut missed) = (0usize, 0usize);
    // An irrational offset keeps sample points off lane edges, which lie on round numbers.
    let mut y = bb.min().y + step * 0.381_966_011;
    while y < bb.max().y {
        let mut x = bb.min().x + step * 0.414_213_562;
        while x < bb.max().x {
            let p = Point::new(x, y);
            if site.contains(&p) {
                inside += 1;
                let hit = plan
                    .lanes
                    .iter()
                    .zip(&boxes)
                    .any(|(l, b)| b.intersects(&p) && l.area.intersects(&p));
                if !hit {
                    missed += 1;
                }
            }
            x += step;
        }
        y += step;
    }
    (missed as f64 / inside.max(1) as f64, outside)
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
        let (uncovered, outside) = uncovered_share_and_outside(&site, &plan);
        prop_assert!(uncovered <= 1e-3, "{} of the site uncovered", uncovered);
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
        let (uncovered, outside) = uncovered_share_and_outside(&site, &plan);
        prop_assert!(uncovered <= 1e-3, "{} of the site uncovered", uncovered);
        prop_assert!(outside <= 1e-6 * area, "lane land outside the site {}", outside);
        // Lanes are disjoint and inside the site, so their areas add up to the site's.
        prop_assert!((plan.covered_area_m2 - area).abs() <= 1e-6 * area, "covered {} of {}", plan.covered_area_m2, area);
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

/// A case proptest found on CI: a triangular hole near the edge of a star-shaped site, where
/// chained polygon differences in the test's old coverage measure went wrong.
#[test]
fn triangular_hole_regression_is_covered() {
    let outer = [
        82.183_126_683_801_73,
        60.0,
        149.724_696_504_363_32,
        60.0,
        119.424_790_527_360_06,
    ];
    let outer = [
        &outer[..],
        &[136.604_653_488_654_24, 114.641_456_612_752_35, 78.048_884_849_623_5],
    ]
    .concat();
    let outer = [&outer[..], &[64.884_265_612_287_2, 98.258_252_632_886_6]].concat();
    let hole = star(0.0, -15.471_146_238_098_395, &[5.0, 5.0, 5.0], false);
    let site = MultiPolygon(vec![Polygon::new(star(0.0, 0.0, &outer, false), vec![])])
        .difference(&MultiPolygon(vec![Polygon::new(hole, vec![])]));
    let area = site.unsigned_area();
    let plan = plan_lanes_xy(
        &site,
        &opts(1.462_284_369_561_334_8, Heading::Degrees(138.557_032_172_479_58)),
    )
    .unwrap();
    let (uncovered, outside) = uncovered_share_and_outside(&site, &plan);
    assert!(uncovered <= 1e-3, "{uncovered} of the site uncovered");
    assert!(outside <= 1e-6 * area);
    assert!((plan.covered_area_m2 - area).abs() <= 1e-6 * area);
}
