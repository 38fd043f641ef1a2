//! Which methods worked which part of a hazard: the overlay of activity footprints.
//!
//! Residual risk needs, for every piece of land, the list of methods applied to it (machines
//! then manual teams on the same ground compose as Π(1 − p_i)). Footprints are clipped to the
//! hazard and overlaid in the order given (the caller sorts by date); areas are geodesic.

use demine_core::geodesy::area_m2;
use geo::{BooleanOps, MultiPolygon};

/// Pieces of `hazard` covered by `works` (footprint, method), each with the methods that covered
/// it in order, and their geodesic areas in m². Land no work covers is left out.
pub fn method_pieces(hazard: &MultiPolygon<f64>, works: &[(MultiPolygon<f64>, String)]) -> Vec<(f64, Vec<String>)> {
    let mut pieces: Vec<(MultiPolygon<f64>, Vec<String>)> = Vec::new();
    for (footprint, method) in works {
        let g = footprint.intersection(hazard);
        if g.0.is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(pieces.len() * 2 + 1);
        let mut rest = g.clone();
        for (pg, pm) in pieces {
            let inter = pg.intersection(&g);
            if !inter.0.is_empty() {
                let mut m = pm.clone();
                m.push(method.clone());
                next.push((inter, m));
                let outside = pg.difference(&g);
                if !outside.0.is_empty() {
                    next.push((outside, pm));
                }
                rest = rest.difference(&pg);
            } else {
                next.push((pg, pm));
            }
        }
        if !rest.0.is_empty() {
            next.push((rest, vec![method.clone()]));
        }
        pieces = next;
    }
    pieces
        .into_iter()
        .map(|(g, m)| (area_m2(&g), m))
        .filter(|(a, _)| *a > demine_core::RELEASE_TOLERANCE_M2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn overlapping_methods_compose() {
        let sq = |x0: f64, x1: f64| {
            MultiPolygon(vec![
                polygon![(x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 0.001), (x: x0, y: 0.001)],
            ])
        };
        let hazard = sq(0.0, 0.003);
        let pieces = method_pieces(
            &hazard,
            &[
                (sq(0.0, 0.002), "mechanical".into()),
                (sq(0.001, 0.004), "manual".into()),
            ],
        );
        let total: f64 = pieces.iter().map(|p| p.0).sum();
        assert!((total - area_m2(&hazard)).abs() < 1e-6 * total);
        let both: f64 = pieces.iter().filter(|p| p.1.len() == 2).map(|p| p.0).sum();
        assert!((both - area_m2(&sq(0.001, 0.002))).abs() < 1e-6 * total);
        assert!(pieces
            .iter()
            .any(|p| p.1 == ["mechanical".to_string(), "manual".to_string()]));
    }
}
