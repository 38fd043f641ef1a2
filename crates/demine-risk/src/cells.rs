//! Risk features on H3 cells, from registry values: the table [`crate::RiskModel`] learns from.
//!
//! One row per cell of a [`Grid`] over the region (by default the hazards' cells widened by a
//! margin: [`hazard_grid`]; or the user's region polygon). Features, all numeric, with units in
//! their names:
//! - `share_suspected`, `share_cha` (share 0..1): share of the cell inside any hazard / any CHA;
//! - `dist_<layer>_m` (metres): distance from the cell centre to the nearest feature of each
//!   context layer (0 inside a polygon of it), and `share_<layer>` (0..1) for polygon layers;
//! - `share_<layer>_<value>` (share 0..1): land-cover fractions — for a polygon layer whose
//!   features carry a categorical attribute (the first of [`CATEGORY_ATTRIBUTES`] present, with
//!   at most [`MAX_CATEGORIES`] distinct values), the share of the cell inside the polygons of
//!   each value (`value` lower-cased, other characters turned into `_`: [`sanitise`]);
//! - `<layer>_<attr>_nearest` (the attribute's own unit): for each attribute numeric in at
//!   least [`MIN_TYPED_SHARE`] of a layer's features, its value on the layer's feature nearest
//!   to the cell centre (the smallest polygon holding the centre, when one does); NaN where that
//!   feature has no number;
//! - `<layer>_<attr>_days_before` (days): for each attribute that is an ISO 8601 date
//!   (`YYYY-MM-DD`, optionally followed by a time) in at least [`MIN_TYPED_SHARE`] of the
//!   features — e.g. the date a line of contact held — the days from the nearest feature's date
//!   to [`CellInputs::as_of`] (the registry's newest activity, find or accident date);
//!   negative when the date is later; absent when there is no `as_of`;
//! - `finds_nearby_per_km2`, `accidents_nearby_per_km2` (per km²): Gaussian kernel density of
//!   finds and of accidents **around** the cell (its own items left out, since they make its
//!   label).
//!
//! Labels: positive where a find or an accident lies in the cell; negative where at least half
//! the cell was released — cleared, reduced by technical survey, or cancelled by non-technical
//! survey (judged free of evidence) — and nothing was found; otherwise unlabelled.
//! Groups for spatial cross-validation: the cell's H3 parent two resolutions up (~49 cells).

use crate::{Dataset, Result, RiskError};
use chrono::NaiveDate;
use demine_core::{Accident, ContextFeature, Find, Hazard, HazardClass, Outcome};
use demine_grid::Grid;
use geo::{BoundingRect, Contains, Geometry, LineString, MultiPolygon, Point, Polygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line as RLine, Rectangle};
use rstar::RTree;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Attribute names read as a polygon layer's category (land cover), first present wins.
pub const CATEGORY_ATTRIBUTES: [&str; 4] = ["class", "land_cover", "landcover", "type"];
/// Most distinct categories a layer may have to get one share feature per value.
pub const MAX_CATEGORIES: usize = 16;
/// Share of a layer's features in which an attribute must be a number (or a date) to become a
/// feature: a few blanks or typos are tolerated, a text column with some digits is not.
pub const MIN_TYPED_SHARE: f64 = 0.9;

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
    /// The date date-valued layer attributes are measured to (`<layer>_<attr>_days_before`):
    /// the newest activity, find or accident date of the registry ([`newest_record_date`]).
    pub as_of: Option<NaiveDate>,
}

/// The newest end date of an activity, or date of a find or accident: "now" for the registry.
pub fn newest_record_date(
    activities: &[demine_core::Activity],
    finds: &[Find],
    accidents: &[Accident],
) -> Option<NaiveDate> {
    activities
        .iter()
        .map(|a| a.end_date)
        .chain(finds.iter().map(|f| f.date))
        .chain(accidents.iter().map(|a| a.date))
        .max()
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
    Ok(hazard_grid_each(hazards, res, margin_m)?.0)
}

/// As [`hazard_grid`], also returning each hazard's own cells (centre inside it, sorted).
pub fn hazard_grid_each(hazards: &[Hazard], res: u8, margin_m: f64) -> Result<(Grid, Vec<Vec<h3o::CellIndex>>)> {
    let shapes: Vec<MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry.clone()).collect();
    let (grid, each) = Grid::cover_each(&shapes, res).map_err(|e| RiskError::Invalid(e.to_string()))?;
    Ok((grid.with_margin_m(margin_m), each))
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
        // Layer, attribute and class names are the user's: two may sanitise to one name.
        let mut unique = name.clone();
        let mut k = 2;
        while names.contains(&unique) {
            unique = format!("{name}_{k}");
            k += 1;
        }
        names.push(unique);
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
        for (name, col) in land_cover_shares(&grid, layer, &feats, levels) {
            push(name, col);
        }
        for (name, col) in attribute_features(&grid, layer, &feats, inputs.as_of) {
            push(name, col);
        }
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

/// Names of the features made from finds and accidents (the labels' own evidence).
pub const LABEL_DERIVED_FEATURES: [&str; 2] = ["finds_nearby_per_km2", "accidents_nearby_per_km2"];

/// The table's data set with its label-derived features ([`LABEL_DERIVED_FEATURES`]) rebuilt
/// from the finds and accidents that do not lie in a `held_out` cell (row of the table): a fold's
/// features that its held-out cells' labels cannot reach. `inputs` must be those the table was
/// built from.
pub fn features_without(table: &CellTable, inputs: &CellInputs<'_>, held_out: &[bool]) -> Result<Dataset> {
    let grid = &table.grid;
    let keep = |p: &Point<f64>| -> bool {
        match grid.cell_of(*p).and_then(|c| grid.position(c)) {
            Some(i) => !held_out.get(i).copied().unwrap_or(false),
            None => true,
        }
    };
    let finds: Vec<Point<f64>> = inputs.finds.iter().map(|f| f.location).filter(|p| keep(p)).collect();
    let accidents: Vec<Point<f64>> = inputs
        .accidents
        .iter()
        .map(|a| a.location)
        .filter(|p| keep(p))
        .collect();
    let d = &table.dataset;
    let names = d.feature_names().to_vec();
    let columns: Vec<Vec<f64>> = names
        .iter()
        .enumerate()
        .map(|(j, n)| match n.as_str() {
            "finds_nearby_per_km2" => grid.neighbour_density_per_km2(&finds, inputs.bandwidth_m),
            "accidents_nearby_per_km2" => grid.neighbour_density_per_km2(&accidents, inputs.bandwidth_m),
            _ => d.column(j).to_vec(),
        })
        .collect();
    let groups: Vec<String> = d
        .group_ids()
        .iter()
        .map(|&g| d.group_names()[g as usize].clone())
        .collect();
    Ok(Dataset::new(names, columns, d.labels().to_vec(), groups)?
        .with_names(d.name().to_string(), d.label_name().to_string()))
}

/// Honest spatial cross-validation of a cell table: each fold's find and accident densities
/// are rebuilt without the finds and accidents of its held-out cells ([`features_without`]), so
/// a held-out cell's label never reaches a feature the model sees.
pub fn cross_validate_cells(
    table: &CellTable,
    inputs: &CellInputs<'_>,
    kind: crate::ModelKind,
    k: usize,
    seed: u64,
) -> Result<crate::CvReport> {
    let make = |held: &[bool]| features_without(table, inputs, held);
    crate::cv::cross_validate_with(&table.dataset, kind, k, seed, Some(&make))
}

/// `s` as a feature-name part: lower case, every run of other characters than `a-z`, `0-9`
/// turned into one `_`, no `_` at either end (`"Arable land"` → `arable_land`).
pub fn sanitise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let t = out.trim_matches('_');
    if t.is_empty() {
        "unnamed".into()
    } else {
        t.to_string()
    }
}

fn category_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(sanitise(s)),
        Value::Number(n) => Some(sanitise(&n.to_string())),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Land-cover fractions: `share_<layer>_<value>` per value of the layer's category attribute.
fn land_cover_shares(grid: &Grid, layer: &str, feats: &[&ContextFeature], levels: u8) -> Vec<(String, Vec<f64>)> {
    let polygonal: Vec<(&ContextFeature, MultiPolygon<f64>)> = feats
        .iter()
        .map(|f| (*f, MultiPolygon::new(polygons_of(&f.geometry))))
        .filter(|(_, m)| !m.0.is_empty())
        .collect();
    let Some(attr) = CATEGORY_ATTRIBUTES.iter().find(|a| {
        polygonal
            .iter()
            .any(|(f, _)| f.attributes.get(**a).and_then(category_of).is_some())
    }) else {
        return Vec::new();
    };
    // Values that sanitise alike ("Farm land", "farm_land") are one class.
    let mut by_value: BTreeMap<String, Vec<MultiPolygon<f64>>> = BTreeMap::new();
    for (f, m) in &polygonal {
        if let Some(v) = f.attributes.get(*attr).and_then(category_of) {
            by_value.entry(v).or_default().push(m.clone());
        }
    }
    if by_value.len() > MAX_CATEGORIES {
        return Vec::new();
    }
    by_value
        .into_iter()
        .map(|(v, land)| (format!("share_{layer}_{v}"), grid.shares_inside(&land, levels)))
        .collect()
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

fn date_of(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?.trim();
    let (day, rest) = (s.get(..10)?, &s[10..]);
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// `<layer>_<attr>_nearest` for numeric attributes and `<layer>_<attr>_days_before` for dates.
fn attribute_features(
    grid: &Grid,
    layer: &str,
    feats: &[&ContextFeature],
    as_of: Option<NaiveDate>,
) -> Vec<(String, Vec<f64>)> {
    let keys: BTreeSet<&str> = feats
        .iter()
        .flat_map(|f| f.attributes.keys().map(String::as_str))
        .filter(|k| *k != "synthetic")
        .collect();
    let need = |count: usize| !feats.is_empty() && count as f64 >= MIN_TYPED_SHARE * feats.len() as f64;
    // Each column: (name, the value per feature).
    let mut wanted: Vec<(String, Vec<f64>)> = Vec::new();
    for key in keys {
        let values = |parse: &dyn Fn(&Value) -> Option<f64>| -> Vec<f64> {
            feats
                .iter()
                .map(|f| f.attributes.get(key).and_then(parse).unwrap_or(f64::NAN))
                .collect()
        };
        let numbers = values(&number_of);
        if need(numbers.iter().filter(|x| !x.is_nan()).count()) {
            wanted.push((format!("{layer}_{}_nearest", sanitise(key)), numbers));
            continue;
        }
        if let Some(as_of) = as_of {
            let days = values(&|v| date_of(v).map(|d| (as_of - d).num_days() as f64));
            if need(days.iter().filter(|x| !x.is_nan()).count()) {
                wanted.push((format!("{layer}_{}_days_before", sanitise(key)), days));
            }
        }
    }
    if wanted.is_empty() {
        return Vec::new();
    }
    let nearest = nearest_features(grid, feats);
    wanted
        .into_iter()
        .map(|(name, per_feature)| {
            let col = nearest
                .iter()
                .map(|i| i.map_or(f64::NAN, |i| per_feature[i as usize]))
                .collect();
            (name, col)
        })
        .collect()
}

/// Metres per degree of latitude, for the local equirectangular frame of nearest-feature search.
const M_PER_DEG: f64 = 111_320.0;

/// Lon/lat in a frame where x is shrunk by cos(latitude): distances there are proportional to
/// ground distances within a region, which is all the nearest-feature search needs.
fn local_xy(x: f64, y: f64) -> [f64; 2] {
    [x * y.to_radians().cos().max(0.05) * M_PER_DEG, y * M_PER_DEG]
}

/// For each cell, the index of the feature whose polygon holds its centre (the smallest such,
/// by bounding box), else of the feature nearest to it (R-tree over every segment and point).
fn nearest_features(grid: &Grid, feats: &[&ContextFeature]) -> Vec<Option<u32>> {
    let mut segments: Vec<GeomWithData<RLine<[f64; 2]>, u32>> = Vec::new();
    let mut boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, u32>> = Vec::new();
    for (i, f) in feats.iter().enumerate() {
        for l in lines_of(&f.geometry) {
            for seg in l.lines() {
                let a = local_xy(seg.start.x, seg.start.y);
                let b = local_xy(seg.end.x, seg.end.y);
                segments.push(GeomWithData::new(RLine::new(a, b), i as u32));
            }
        }
        if let Some(r) = f
            .geometry
            .bounding_rect()
            .filter(|_| !polygons_of(&f.geometry).is_empty())
        {
            let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            boxes.push(GeomWithData::new(rect, i as u32));
        }
    }
    let lines = RTree::bulk_load(segments);
    let areas = RTree::bulk_load(boxes);
    grid.centres()
        .par_iter()
        .map(|c| {
            // Nested polygons (a field inside a district): the smallest holder is the most specific.
            let holder = areas
                .locate_all_at_point(&[c.x(), c.y()])
                .filter(|b| match &feats[b.data as usize].geometry {
                    Geometry::Polygon(p) => p.contains(c),
                    Geometry::MultiPolygon(m) => m.contains(c),
                    Geometry::Rect(r) => r.contains(c),
                    _ => false,
                })
                .map(|b| {
                    let [w, h] = [
                        b.geom().upper()[0] - b.geom().lower()[0],
                        b.geom().upper()[1] - b.geom().lower()[1],
                    ];
                    (w * h, b.data)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, i)| i);
            holder.or_else(|| {
                let q = local_xy(c.x(), c.y());
                lines.nearest_neighbor(&q).map(|s| s.data)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use geo::polygon;

    fn hazard(id: &str, x: f64, class: HazardClass) -> Hazard {
        Hazard::new(
            id,
            class,
            MultiPolygon::new(vec![polygon![
                (x: x, y: 51.0), (x: x + 0.02, y: 51.0), (x: x + 0.02, y: 51.02), (x: x, y: 51.02)]]),
        )
    }

    #[test]
    fn features_labels_and_groups() {
        let hazards = vec![
            hazard("A", 35.0, HazardClass::Cha),
            hazard("B", 35.05, HazardClass::Sha),
        ];
        let cleared = vec![(Outcome::Cleared, hazards[1].geometry.clone())];
        // The pieces released by outcome are what makes negatives.
        let find = Find::new(
            "F",
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            demine_core::FindCategory::ApMine,
            Point::new(35.01, 51.01),
        );
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
            as_of: None,
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

    fn feature(layer: &str, geometry: Geometry<f64>, attrs: serde_json::Value) -> ContextFeature {
        ContextFeature {
            layer: layer.into(),
            id: None,
            geometry,
            attributes: attrs.as_object().cloned().unwrap_or_default(),
        }
    }

    fn square(x: f64, y: f64, d: f64) -> Polygon<f64> {
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)]
    }

    /// The table over `grid` with only context layers (and one find and one cleared hazard
    /// elsewhere, so labels exist).
    fn table(grid: Grid, layers: &[ContextFeature], as_of: Option<NaiveDate>) -> CellTable {
        let inputs = CellInputs {
            hazards: &[],
            released: &[],
            finds: &[],
            accidents: &[],
            layers,
            bandwidth_m: 500.0,
            as_of,
        };
        build_cells(grid, &inputs).unwrap()
    }

    #[test]
    fn land_cover_shares_per_class() {
        // Farmland to the west of 35.05, forest to the east; cells well inside each.
        let layers = vec![
            feature(
                "landcover",
                Geometry::Polygon(square(35.0, 51.0, 0.05)),
                serde_json::json!({"class": "Farm land"}),
            ),
            feature(
                "landcover",
                Geometry::Polygon(square(35.05, 51.0, 0.05)),
                serde_json::json!({"class": "forest"}),
            ),
        ];
        let farm = Grid::cover(&[MultiPolygon::new(vec![square(35.01, 51.01, 0.02)])], 9).unwrap();
        let t = table(farm, &layers, None);
        let farm_share = t
            .dataset
            .column_by_name("share_landcover_farm_land")
            .expect("farmland share");
        let forest_share = t
            .dataset
            .column_by_name("share_landcover_forest")
            .expect("forest share");
        assert!(farm_share.iter().all(|s| *s == 1.0), "{farm_share:?}");
        assert!(forest_share.iter().all(|s| *s == 0.0));
        // The layer's own share is the union of its classes.
        let any = t.dataset.column_by_name("share_landcover").unwrap();
        assert!(any.iter().all(|s| *s == 1.0));
        // On the border, the two classes split the cell.
        let border = Grid::cover(&[MultiPolygon::new(vec![square(35.045, 51.02, 0.01)])], 9).unwrap();
        let t = table(border, &layers, None);
        let f = t.dataset.column_by_name("share_landcover_farm_land").unwrap();
        let g = t.dataset.column_by_name("share_landcover_forest").unwrap();
        assert!(f.iter().zip(g).any(|(a, b)| *a > 0.0 && *b > 0.0));
        assert!(f.iter().zip(g).all(|(a, b)| a + b <= 1.0 + 1e-9));

        // More than MAX_CATEGORIES values: a name or id column, not a category.
        let many: Vec<ContextFeature> = (0..=MAX_CATEGORIES)
            .map(|i| {
                let x = 35.0 + 0.01 * i as f64;
                feature(
                    "parcels",
                    Geometry::Polygon(square(x, 51.0, 0.01)),
                    serde_json::json!({"type": format!("p{i}")}),
                )
            })
            .collect();
        let grid = Grid::cover(&[MultiPolygon::new(vec![square(35.0, 51.0, 0.05)])], 9).unwrap();
        let t = table(grid, &many, None);
        assert!(!t
            .dataset
            .feature_names()
            .iter()
            .any(|n| n.starts_with("share_parcels_")));
    }

    #[test]
    fn nearest_numeric_attributes_and_dates() {
        // Two settlements: a village to the west, a town to the east.
        let mut layers = vec![
            feature(
                "settlements",
                Geometry::Point(Point::new(35.0, 51.0)),
                serde_json::json!({"population": 120, "name": "A"}),
            ),
            feature(
                "settlements",
                Geometry::Point(Point::new(35.07, 51.0)),
                serde_json::json!({"population": "5400", "name": "B"}),
            ),
        ];
        // A zone whose edge is farther from the western cells than the edge of a small zone
        // beside them: the zone holding a cell's centre wins over a nearer edge.
        let big = polygon![(x: 34.97, y: 50.97), (x: 35.03, y: 50.97), (x: 35.03, y: 51.04), (x: 34.97, y: 51.04)];
        layers.push(feature(
            "zones",
            Geometry::Polygon(big),
            serde_json::json!({"elevation_m": 150.5}),
        ));
        layers.push(feature(
            "zones",
            Geometry::Polygon(square(35.015, 51.0, 0.003)),
            serde_json::json!({"elevation_m": 90}),
        ));
        // A line of contact with the date it held.
        layers.push(feature(
            "line_of_contact",
            Geometry::LineString(LineString::from(vec![(35.0, 51.05), (35.2, 51.05)])),
            serde_json::json!({"date": "2022-03-01"}),
        ));
        let west = MultiPolygon::new(vec![square(35.0, 51.0, 0.01)]);
        let east = MultiPolygon::new(vec![square(35.06, 51.0, 0.01)]);
        let grid = Grid::cover(&[west, east], 9).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2024, 3, 1);
        let t = table(grid.clone(), &layers, as_of);
        let pop = t
            .dataset
            .column_by_name("settlements_population_nearest")
            .expect("population");
        let elev = t
            .dataset
            .column_by_name("zones_elevation_m_nearest")
            .expect("elevation");
        let days = t
            .dataset
            .column_by_name("line_of_contact_date_days_before")
            .expect("days");
        assert!(
            !t.dataset.feature_names().iter().any(|n| n.contains("name")),
            "text is no feature"
        );
        assert!(grid.centres().iter().any(|c| c.x() > 35.05) && grid.centres().iter().any(|c| c.x() < 35.02));
        for ((c, p), (e, d)) in grid.centres().iter().zip(pop).zip(elev.iter().zip(days)) {
            let expected = if c.x() < 35.035 { 120.0 } else { 5400.0 };
            assert_eq!(*p, expected, "cell at {c:?}");
            // West: inside the big zone (the small zone's edge is nearer); east: its edge is nearest.
            assert_eq!(*e, 150.5, "cell at {c:?}");
            // 2022-03-01 → 2023-03-01 is 365 days, → 2024-03-01 366 more (29 February 2024).
            assert_eq!(*d, 731.0);
        }
        // Without an as-of date there is no days feature.
        let t = table(grid, &layers, None);
        assert!(t.dataset.column_by_name("line_of_contact_date_days_before").is_none());
        // Cells inside the small zone take its value, not the big one's (the smallest holder).
        let small = Grid::cover(&[MultiPolygon::new(vec![square(35.0152, 51.0003, 0.0026)])], 10).unwrap();
        let t = table(small, &layers, as_of);
        let elev = t.dataset.column_by_name("zones_elevation_m_nearest").unwrap();
        assert!(!elev.is_empty() && elev.iter().all(|e| *e == 90.0), "{elev:?}");
    }

    #[test]
    fn mostly_text_attributes_are_not_features() {
        // Numeric in 8 of 10 features (< 90 %): not a feature; 9 of 10: a feature, NaN where blank.
        let layers: Vec<ContextFeature> = (0..10)
            .map(|i| {
                let depth = if i < 8 {
                    serde_json::json!(i)
                } else {
                    serde_json::json!("unknown")
                };
                let width = if i < 9 {
                    serde_json::json!(i as f64 * 1.5)
                } else {
                    serde_json::Value::Null
                };
                feature(
                    "rivers",
                    Geometry::Point(Point::new(35.0 + 0.01 * i as f64, 51.0)),
                    serde_json::json!({"depth": depth, "width": width}),
                )
            })
            .collect();
        let grid = Grid::cover(&[MultiPolygon::new(vec![square(35.0, 50.99, 0.1)])], 9).unwrap();
        let t = table(grid, &layers, None);
        assert!(t.dataset.column_by_name("rivers_depth_nearest").is_none());
        let w = t.dataset.column_by_name("rivers_width_nearest").expect("width");
        assert!(w.iter().any(|x| x.is_nan()) && w.contains(&0.0));
        assert_eq!(sanitise(" Arable land / pasture "), "arable_land_pasture");
        assert_eq!(sanitise("€"), "unnamed");
    }

    proptest::proptest! {
        /// Any attribute value makes a valid feature-name part, and sanitising is idempotent.
        #[test]
        fn sanitised_names_are_identifiers(v in "\\PC{0,24}") {
            let n = sanitise(&v);
            proptest::prop_assert!(!n.is_empty());
            proptest::prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            proptest::prop_assert!(!n.starts_with('_') && !n.ends_with('_') && !n.contains("__"));
            proptest::prop_assert_eq!(sanitise(&n), n.clone());
        }
    }
}
