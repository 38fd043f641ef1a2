//! Which hazard a record belongs to: by the hazard id it names ([`ByHazard`]), or by where it
//! lies ([`HazardLocator`]: an R-tree of hazard boxes, then the polygon test).

use demine_core::{Activity, Hazard};
use geo::{BoundingRect, Contains, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use std::collections::HashMap;

/// The registry's hazards by id, and each hazard's activities in registry order (activities
/// naming no hazard of the list are left out).
pub struct ByHazard<'a> {
    /// Hazard id → index in the hazard list.
    pub index: HashMap<&'a str, usize>,
    /// `activities[i]`: the activities of hazard `i`.
    pub activities: Vec<Vec<&'a Activity>>,
}

impl<'a> ByHazard<'a> {
    pub fn new(hazards: &'a [Hazard], activities: &'a [Activity]) -> Self {
        let index: HashMap<&str, usize> = hazards.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
        let mut by_hazard: Vec<Vec<&Activity>> = vec![Vec::new(); hazards.len()];
        for a in activities {
            if let Some(&i) = index.get(a.hazard_id.as_str()) {
                by_hazard[i].push(a);
            }
        }
        ByHazard {
            index,
            activities: by_hazard,
        }
    }
}

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
