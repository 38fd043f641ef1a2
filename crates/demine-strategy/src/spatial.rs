//! Which hazard holds a point (R-tree of hazard boxes, then the polygon test).

use demine_core::Hazard;
use geo::{BoundingRect, Contains, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

pub(crate) struct HazardLocator<'a> {
    hazards: &'a [Hazard],
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl<'a> HazardLocator<'a> {
    pub fn new(hazards: &'a [Hazard]) -> Self {
        let boxes = hazards
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                h.geometry.bounding_rect().map(|r| {
                    GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect();
        HazardLocator {
            hazards,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The first hazard (in registry order) whose polygon holds `p`.
    pub fn hazard_of(&self, p: Point<f64>) -> Option<usize> {
        self.tree
            .locate_all_at_point(&[p.x(), p.y()])
            .map(|g| g.data)
            .filter(|&i| self.hazards[i].geometry.contains(&p))
            .min()
    }
}
