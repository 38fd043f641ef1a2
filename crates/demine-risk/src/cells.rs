//! Risk features on H3 cells, from registry values: the table [`crate::RiskModel`] learns from.
//!
//! One row per cell of a [`Grid`] over the region (by default the hazards' cells widened by a
//! margin: [`hazard_grid`]). Features, all numeric, with units in their names:
//! - `share_suspected`, `share_cha`: share of the cell inside any hazard / any CHA;
//! - `dist_<layer>_m`: distance from the cell centre to the nearest feature of each context layer
//!   (0 inside a polygon of it), and `share_<layer>` for polygon layers;
//! - `finds_nearby_per_km2`, `accidents_nearby_per_km2`: Gaussian kernel density of finds and of
//!   accidents **around** the cell (its own items left out, since they make its label).
//!
//! Labels: positive where a find or an accident lies in the cell; negative where at least half
//! the cell was released — cleared, reduced by technical survey, or cancelled by non-technical
//! survey (judged free of evidence) — and nothing was found; otherwise unlabelled.
//! Groups for spatial cross-validation: the cell's H3 parent two resolutions up (~49 cells).

use crate::{Dataset, Result, RiskError};
use demine_core::{Accident, ContextFeature, Find, Hazard, HazardClass, Outcome};
use demine_grid::Grid;
use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};

/// Everything the features are made from.
#[derive(Debug, Clone, Copy)]
pub struct CellInputs<'a> {
    /// Hazards: suspected and confirmed land.
    pub hazards: &'a [Hazard],
    /// Released land: (outcome, piece), from the land-release accounting.
    pub released: &'a [(Outcome, MultiPolygon<f64>)],
    /// Items found (positive labels, and densities around cells).
    pub finds: &'a [Find],
    /// Accidents (positive labels, and densities around cells).
    pub accidents: &'a [Accident],
    /// Context layers, all features (grouped by `layer` here).
    pub layers: &'a [ContextFeature],
    /// Kernel bandwidth for find and accident densities, in metres.
    pub bandwidth_m: f64,
}

/// The grid and its table: `dataset` row `i` is `grid.cells[i]`.
#[derive(Debug, Clone)]
pub struct CellTable {
    /// The cells.
    pub grid: Grid,
    /// Features, labels and groups, one row per cell.
    pub dataset: Dataset,
    /// Finds and accidents inside each cell (what the labels were made from).
    pub items: Vec<u32>,
}

/// The default grid: cells whose centre lies in a hazard, widened by `margin_m` (in whole H3
/// rings), so that land just outside recorded hazards is mapped too.
pub fn hazard_grid(hazards: &[Hazard], res: u8, margin_m: f64) -> Result<Grid> {
    let shapes: Vec<MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry.clone()).collect();
    Ok(Grid::cover(&shapes, res)
        .map_err(|e| RiskError::Invalid(e.to_string()))?
        .with_margin_m(margin_m))
}

fn polygons_of(g: &Geometry<f64>) -> Vec<Polygon<f64>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(m) => m.0.clone(),
        Geometry::Rect(r) => vec![r.to_polygon()],
        _ => Vec::new(),
    }
}

fn lines_of(g: &Geometry<f64>) -> Vec<LineString<f64>> {
    match g {
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        Geometry::Line(l) => vec![LineString::from(vec![l.start, l.end])],
        Geometry::Point(p) => vec![LineString::from(vec![p.0, p.0])],
        Geometry::MultiPoint(m) => m.0.iter().map(|p| LineString::from(vec![p.0, p.0])).collect(),
        // A polygon's distance is to its boundary (and 0 inside, from its share).
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Rect(_) => polygons_of(g)
            .into_iter()
            .flat_map(|p| {
                let (exterior, interiors) = p.into_inner();
                std::iter::once(exterior).chain(interiors)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds the cell table over `grid`.
pub fn build_cells(grid: Grid, inputs: &CellInputs<'_>) -> Result<CellTable> {
    if grid.is_empty() {
        return Err(RiskError::Invalid(
            "the region covers no H3 cell centre at this resolution".into(),
        ));
    }
    let levels = if grid.len() > 300_000 { 1 } else { 2 };
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut push = |name: String, col: Vec<f64>| {
        names.push(name);
        columns.push(col);
    };

    let hazard_shapes: Vec<MultiPolygon<f64>> = inputs.hazards.iter().map(|h| h.geometry.clone()).collect();
    push("share_suspected".into(), grid.shares_inside(&hazard_shapes, levels));
    let cha: Vec<MultiPolygon<f64>> = inputs
        .hazards
        .iter()
        .filter(|h| h.class == HazardClass::Cha)
        .map(|h| h.geometry.clone())
        .collect();
    push("share_cha".into(), grid.shares_inside(&cha, levels));
    let mut released_share = vec![0.0; grid.len()];
    for outcome in Outcome::ALL {
        let land: Vec<MultiPolygon<f64>> = inputs
            .released
            .iter()
            .filter(|(o, _)| o == outcome)
            .map(|(_, g)| g.clone())
            .collect();
        let share = grid.shares_inside(&land, levels);
        // Released shares make the negative labels, so they are not features: a model would
        // learn the labelling rule instead of where ordnance lies.
        for (acc, s) in released_share.iter_mut().zip(&share) {
            *acc += s;
        }
    }

    let mut layer_names: Vec<&str> = inputs.layers.iter().map(|f| f.layer.as_str()).collect();
    layer_names.sort_unstable();
    layer_names.dedup();
    for layer in layer_names {
        let feats: Vec<&ContextFeature> = inputs.layers.iter().filter(|f| f.layer == layer).collect();
        let lines: Vec<LineString<f64>> = feats.iter().flat_map(|f| lines_of(&f.geometry)).collect();
        let mut dist = grid.distance_to_lines_m(&lines);
        let polys: Vec<MultiPolygon<f64>> = feats
            .iter()
            .map(|f| MultiPolygon::new(polygons_of(&f.geometry)))
            .filter(|m| !m.0.is_empty())
            .collect();
        if !polys.is_empty() {
            let share = grid.shares_inside(&polys, levels);
            for (d, s) in dist.iter_mut().zip(&share) {
                if *s > 0.0 {
                    *d = 0.0;
                }
            }
            push(format!("share_{layer}"), share);
        }
        push(
            format!("dist_{layer}_m"),
            dist.into_iter()
                .map(|d| if d.is_finite() { d } else { f64::NAN })
                .collect(),
        );
    }

    let find_points: Vec<Point<f64>> = inputs.finds.iter().map(|f| f.location).collect();
    let accident_points: Vec<Point<f64>> = inputs.accidents.iter().map(|a| a.location).collect();
    push(
        "finds_nearby_per_km2".into(),
        grid.neighbour_density_per_km2(&find_points, inputs.bandwidth_m),
    );
    push(
        "accidents_nearby_per_km2".into(),
        grid.neighbour_density_per_km2(&accident_points, inputs.bandwidth_m),
    );

    let finds_in = grid.counts(&find_points);
    let accidents_in = grid.counts(&accident_points);
    let items: Vec<u32> = finds_in.iter().zip(&accidents_in).map(|(a, b)| a + b).collect();
    let labels: Vec<Option<bool>> = items
        .iter()
        .zip(&released_share)
        .map(|(n, searched)| {
            if *n > 0 {
                Some(true)
            } else if *searched >= 0.5 {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    let group_res = h3o::Resolution::try_from(u8::from(grid.resolution).saturating_sub(2))
        .map_err(|e| RiskError::Invalid(e.to_string()))?;
    let groups: Vec<String> = grid
        .cells
        .iter()
        .map(|c| c.parent(group_res).map(|p| p.to_string()).unwrap_or_default())
        .collect();
    let dataset = Dataset::new(names, columns, labels, groups)?.with_names("cells", "contaminated");
    Ok(CellTable { grid, dataset, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use geo::polygon;

    fn hazard(id: &str, x: f64, class: HazardClass) -> Hazard {
        Hazard {
            id: id.into(),
            class,
            geometry: MultiPolygon::new(vec![polygon![
                (x: x, y: 51.0), (x: x + 0.02, y: 51.0), (x: x + 0.02, y: 51.02), (x: x, y: 51.02)]]),
            name: None,
            reported_status: None,
            organisation: None,
            land_use: None,
            contamination: None,
            evidence: None,
            blockages: None,
            attributes: Default::default(),
        }
    }

    #[test]
    fn features_labels_and_groups() {
        let hazards = vec![
            hazard("A", 35.0, HazardClass::Cha),
            hazard("B", 35.05, HazardClass::Sha),
        ];
        let cleared = vec![(Outcome::Cleared, hazards[1].geometry.clone())];
        // The pieces released by outcome are what makes negatives.
        let find = Find {
            id: "F".into(),
            date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            category: demine_core::FindCategory::ApMine,
            location: Point::new(35.01, 51.01),
            hazard_id: None,
            activity_id: None,
            depth_cm: None,
            condition: None,
            disposition: None,
            attributes: Default::default(),
        };
        let road = ContextFeature {
            layer: "roads".into(),
            id: None,
            geometry: Geometry::LineString(LineString::from(vec![(35.0, 50.99), (35.1, 50.99)])),
            attributes: Default::default(),
        };
        let inputs = CellInputs {
            hazards: &hazards,
            released: &cleared,
            finds: std::slice::from_ref(&find),
            accidents: &[],
            layers: std::slice::from_ref(&road),
            bandwidth_m: 500.0,
        };
        let grid = hazard_grid(&hazards, 9, 1000.0).unwrap();
        let t = build_cells(grid, &inputs).unwrap();
        let names = t.dataset.feature_names().to_vec();
        for n in ["share_suspected", "share_cha", "dist_roads_m", "finds_nearby_per_km2"] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
        assert!(
            !names.iter().any(|x| x == "share_cleared"),
            "what defines labels must not be a feature"
        );
        let (pos, neg) = t.dataset.class_counts();
        assert_eq!(pos, 1, "one cell holds the find");
        assert!(neg > 10, "cells of the cleared hazard are negatives: {neg}");
        assert_eq!(t.items.iter().sum::<u32>(), 1);
        let dist = t.dataset.column_by_name("dist_roads_m").unwrap();
        assert!(dist.iter().all(|d| *d >= 0.0 && *d < 5_000.0));
        assert!(t.dataset.has_groups());
    }
}
