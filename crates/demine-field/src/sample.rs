//! Where QA inspectors look: a seeded draw of sample units from the lot.
//!
//! The lot is the grid of `box_m` × `box_m` boxes over the cleared land (see
//! [`crate::lanes::grid_boxes_xy`]); a box is a unit of the lot when at least half of it is
//! cleared land, so every unit is mostly inside and the lot size does not depend on slivers.
//! Units are drawn uniformly without replacement — the hypergeometric model of [`crate::qa`].

use crate::lanes::{grid_boxes_xy, GridBox, LaneError};
use geo::MultiPolygon;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A unit belongs to the lot when at least this share of it is inside the cleared land.
pub const UNIT_INSIDE_SHARE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Grid(#[from] LaneError),
    #[error("the lot has {lot} units of {box_m} × {box_m} m, fewer than the {units} asked for: inspect the whole lot, or use smaller boxes")]
    LotSmallerThanSample { lot: usize, units: usize, box_m: f64 },
    #[error("sample size must be at least 1 unit")]
    Empty,
}

/// The lot and the sample drawn from it (sorted by row, then column, for the inspectors' walk).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub lot: Vec<GridBox>,
    pub sampled: Vec<GridBox>,
}

/// Draws `units` boxes of the lot over `site` (plane metres), reproducibly for `seed`.
pub fn draw_sample(site: &MultiPolygon<f64>, box_m: f64, units: usize, seed: u64) -> Result<Sample, SampleError> {
    if units == 0 {
        return Err(SampleError::Empty);
    }
    let lot: Vec<GridBox> = grid_boxes_xy(site, box_m, 0.0)?
        .into_iter()
        .filter(|b| b.inside_share >= UNIT_INSIDE_SHARE)
        .collect();
    if units > lot.len() {
        return Err(SampleError::LotSmallerThanSample {
            lot: lot.len(),
            units,
            box_m,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx = rand::seq::index::sample(&mut rng, lot.len(), units).into_vec();
    idx.sort_unstable();
    let sampled = idx.into_iter().map(|i| lot[i].clone()).collect();
    Ok(Sample { lot, sampled })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Contains};

    #[test]
    fn sample_is_seeded_inside_and_without_repeats() {
        let site = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
        ]);
        let a = draw_sample(&site, 10.0, 20, 7).unwrap();
        let b = draw_sample(&site, 10.0, 20, 7).unwrap();
        let c = draw_sample(&site, 10.0, 20, 8).unwrap();
        assert_eq!(a.lot.len(), 100);
        assert_eq!(a.sampled, b.sampled);
        assert_ne!(a.sampled, c.sampled);
        let mut keys: Vec<_> = a.sampled.iter().map(|s| (s.row, s.col)).collect();
        keys.dedup();
        assert_eq!(keys.len(), 20);
        assert!(a.sampled.iter().all(|s| site.contains(&geo::Point::from(s.centre))));
        assert!(matches!(
            draw_sample(&site, 10.0, 101, 7),
            Err(SampleError::LotSmallerThanSample { .. })
        ));
    }
}
