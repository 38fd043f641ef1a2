//! Property tests of the accounting and validation invariants a national authority signs on.

use chrono::NaiveDate;
use demine_core::geodesy::area_m2;
use demine_core::release::{account_hazard, account_registry, Footprint, HazardWithActivities};
use demine_core::validate::validate_polygons;
use demine_core::{HazardStatus, Outcome};
use geo::{polygon, MultiPolygon};
use proptest::prelude::*;

fn rect(x0: f64, y0: f64, w: f64, h: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h)],
    ])
}

/// A star-shaped (hence simple) polygon around (cx, cy).
fn star(cx: f64, cy: f64, radii: &[f64]) -> MultiPolygon<f64> {
    let n = radii.len();
    let pts: Vec<(f64, f64)> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    MultiPolygon::new(vec![geo::Polygon::new(pts.into(), vec![])])
}

fn outcome(i: u8) -> Outcome {
    [Outcome::Cancelled, Outcome::Reduced, Outcome::Cleared][i as usize % 3]
}

prop_compose! {
    fn activity_rects()(v in prop::collection::vec((0.0..0.02f64, 0.0..0.02f64, 0.001..0.02f64, 0.001..0.02f64, 0u8..3, 0u32..400), 0..6))
        -> Vec<(MultiPolygon<f64>, Outcome, NaiveDate)> {
        v.into_iter().map(|(x, y, w, h, o, d)| (
            rect(30.0 + x, 50.0 + y, w, h),
            outcome(o),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d as u64),
        )).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// cancelled + reduced + cleared + remaining = area; no figure negative; status follows.
    #[test]
    fn accounting_identity(radii in prop::collection::vec(0.004..0.015f64, 5..16), acts in activity_rects()) {
        let hazard = star(30.02, 50.02, &radii);
        let fps: Vec<Footprint> = acts.iter().enumerate().map(|(i, (g, o, d))| Footprint {
            id: Box::leak(format!("A{i}").into_boxed_str()), end_date: *d, outcome: *o, geometry: g,
        }).collect();
        let r = account_hazard(&hazard, fps, false);
        for x in [r.cancelled_m2, r.reduced_m2, r.cleared_m2, r.remaining_m2] {
            prop_assert!(x >= 0.0);
        }
        let sum = r.released_m2() + r.remaining_m2;
        // Pieces cut along straight lon/lat lines, measured along geodesics: a cut of length L moves
        // the area by up to ~L·tan φ/8R relative (≈2.4e-5 for km-sized hazards at 50°N; seen 1.8e-5).
        prop_assert!((sum - r.area_m2).abs() <= 5e-5 * r.area_m2 + 0.02, "{sum} vs {}", r.area_m2);
        prop_assert!((r.area_m2 - area_m2(&hazard)).abs() < 1e-6);
        if r.remaining_m2 == 0.0 { prop_assert_eq!(r.status, HazardStatus::Released); }
        if r.released_m2() == 0.0 { prop_assert_eq!(r.status, HazardStatus::Active); }
    }

    /// Adding a later activity never un-releases land, and never changes what earlier ones released.
    #[test]
    fn later_activity_is_monotone(radii in prop::collection::vec(0.004..0.015f64, 5..12), acts in activity_rects(),
                                  extra in (0.0..0.02f64, 0.0..0.02f64, 0.001..0.02f64, 0u8..3)) {
        let hazard = star(30.02, 50.02, &radii);
        let mk = |acts: &[(MultiPolygon<f64>, Outcome, NaiveDate)]| -> Vec<(String, MultiPolygon<f64>, Outcome, NaiveDate)> {
            acts.iter().enumerate().map(|(i, (g, o, d))| (format!("A{i}"), g.clone(), *o, *d)).collect()
        };
        let base = mk(&acts);
        let fps = |v: &[(String, MultiPolygon<f64>, Outcome, NaiveDate)]| -> Vec<HazardRelease0> {
            v.iter().map(|(id, g, o, d)| (id.clone(), g.clone(), *o, *d)).collect()
        };
        type HazardRelease0 = (String, MultiPolygon<f64>, Outcome, NaiveDate);
        let run = |v: &[HazardRelease0]| {
            let f: Vec<Footprint> = v.iter().map(|(id, g, o, d)| Footprint { id, end_date: *d, outcome: *o, geometry: g }).collect();
            account_hazard(&hazard, f, false)
        };
        let before = run(&fps(&base));
        let mut more = fps(&base);
        more.push(("Z-LAST".into(), rect(30.0 + extra.0, 50.0 + extra.1, extra.2, extra.2), outcome(extra.3),
                   NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()));
        let after = run(&more);
        let tol = 1e-5 * before.area_m2 + 0.02;
        prop_assert!(after.released_m2() + tol >= before.released_m2());
        prop_assert!(after.remaining_m2 <= before.remaining_m2 + tol);
        // What the earlier activities released stays theirs.
        let grew = |a: f64, b: f64, same: bool| if same { (a - b).abs() <= tol } else { a + tol >= b };
        let o = outcome(extra.3);
        prop_assert!(grew(after.cancelled_m2, before.cancelled_m2, o != Outcome::Cancelled));
        prop_assert!(grew(after.reduced_m2, before.reduced_m2, o != Outcome::Reduced));
        prop_assert!(grew(after.cleared_m2, before.cleared_m2, o != Outcome::Cleared));
    }

    /// Totals over the union never exceed the sum of per-hazard figures, and equal it when
    /// hazards are disjoint.
    #[test]
    fn union_totals_bounded_by_sums(offsets in prop::collection::vec((0.0..0.05f64, 0.0..0.05f64), 1..6)) {
        let geoms: Vec<MultiPolygon<f64>> = offsets.iter().map(|(x, y)| rect(30.0 + x, 50.0 + y, 0.02, 0.02)).collect();
        let hz: Vec<HazardWithActivities> = geoms.iter().enumerate().map(|(i, g)| HazardWithActivities {
            id: Box::leak(format!("H{i}").into_boxed_str()), geometry: g,
            activities: vec![Footprint { id: Box::leak(format!("C{i}").into_boxed_str()), end_date: NaiveDate::from_ymd_opt(2024, 1, 1 + i as u32).unwrap(), outcome: Outcome::Cleared, geometry: g }],
        }).collect();
        let r = account_registry(&hz, false);
        let tol = 1e-5 * r.sum_of_hazard_areas_m2 + 0.1;
        prop_assert!(r.totals.area_m2 <= r.sum_of_hazard_areas_m2 + tol);
        prop_assert!((r.totals.cleared_m2 - r.totals.area_m2).abs() <= tol, "everything cleared: {:?}", r.totals);
        if r.overlap_groups.is_empty() {
            prop_assert!((r.totals.area_m2 - r.sum_of_hazard_areas_m2).abs() <= tol);
        }
    }

    /// Star-shaped polygons are valid; reversing them is fixable; area is orientation-free.
    #[test]
    fn validation_accepts_simple_polygons(radii in prop::collection::vec(0.001..0.02f64, 3..30), reverse in any::<bool>()) {
        let g = star(30.0, 50.0, &radii);
        let mut ring: Vec<[f64; 2]> = g.0[0].exterior().0.iter().map(|c| [c.x, c.y]).collect();
        if reverse { ring.reverse(); }
        let v = validate_polygons(&[vec![ring.clone()]], true).unwrap();
        prop_assert_eq!(v.repairs.len(), usize::from(reverse));
        prop_assert!((area_m2(&v.geometry) - area_m2(&g)).abs() <= 1e-9 * area_m2(&g));
    }

    /// A ring whose vertex is pushed across the opposite edge self-intersects, and is refused.
    #[test]
    fn validation_refuses_bowties(w in 0.001..0.05f64, h in 0.001..0.05f64) {
        let ring = vec![[30.0, 50.0], [30.0 + w, 50.0 + h], [30.0 + w, 50.0], [30.0, 50.0 + h], [30.0, 50.0]];
        let e = validate_polygons(&[vec![ring]], true).unwrap_err();
        prop_assert!(e[0].contains("self-intersection"), "{:?}", e);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The local first-cover areas add up to the area of the union, computed globally.
    #[test]
    fn first_cover_areas_sum_to_union(offsets in prop::collection::vec((0.0..0.04f64, 0.0..0.04f64, 0.005..0.03f64), 1..8)) {
        let geoms: Vec<MultiPolygon<f64>> = offsets.iter().map(|(x, y, w)| rect(30.0 + x, 50.0 + y, *w, *w * 0.7)).collect();
        let fresh = demine_core::release::first_cover_areas(&geoms);
        let union = geo::unary_union(geoms.iter());
        let expected = area_m2(&union);
        let sum: f64 = fresh.iter().sum();
        // Vertices inserted on km-long straight lon/lat edges move geodesic areas by ~1e-5.
        prop_assert!((sum - expected).abs() <= 1e-4 * expected + 0.1, "{sum} vs {expected}");
        prop_assert!((fresh[0] - area_m2(&geoms[0])).abs() < 1e-6);
        for (f, g) in fresh.iter().zip(&geoms) { prop_assert!(*f <= area_m2(g) * (1.0 + 1e-9) + 1e-6); }
    }
}

/// Identical and touching outlines (what shrinking and real duplicates produce) terminate and
/// count once.
#[test]
fn identical_outlines_count_once() {
    let a = rect(30.0, 50.0, 0.005, 0.0035);
    let geoms = vec![a.clone(), a.clone(), rect(30.005, 50.0, 0.005, 0.0035)];
    let fresh = demine_core::release::first_cover_areas(&geoms);
    assert!((fresh[0] - area_m2(&a)).abs() < 1e-6);
    assert!(fresh[1].abs() < 1e-3, "{fresh:?}");
    assert!((fresh[2] - area_m2(&geoms[2])).abs() < 1e-3 * area_m2(&a));
}
