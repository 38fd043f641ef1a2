//! The risk map of the registry (H3 cells → features → model → risk per cell and hazard),
//! suggested SHAs outside the hazards, and the tabular risk models on CSV files of cells.

use crate::actor::Act;
use crate::{Actor, AppError, AppResult, Progress, Registry};
use anyhow::Context;
use demine_core::release::account_records;
use demine_core::{Accident, Activity, ContextFeature, Find, Hazard, HazardRisk, Outcome, RiskCell};
use demine_grid::{CellIndex, Grid};
use demine_risk::cells::{build_cells, hazard_grid, hazard_grid_each, newest_record_date, CellInputs};
use demine_risk::cv::RECALL_FRACTIONS;
use demine_risk::suggest::{outside_every_hazard, suggest as suggest_areas, SuggestOptions, SuggestReport, Suggestion};
pub use demine_risk::ModelKind;
use demine_risk::{cross_validate, read_csv, CsvSpec, CvReport, ReadReport, RiskError, RiskModel};
use demine_store::{Changeset, Query};
use geo::MultiPolygon;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The most cells one risk map may hold. A national map of ~170,000 km² at resolution 9 is
/// ~1.7 million cells (~2 GiB of work); tens of millions would exhaust the machine.
pub const MAX_CELLS: u64 = 6_000_000;

/// Options of `risk build`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct BuildOptions {
    pub resolution: u8,
    pub model: ModelKind,
    pub seed: u64,
    pub bandwidth_m: f64,
    pub margin_m: f64,
    /// The user's region: when given, the grid covers it instead of the hazards with a margin.
    #[serde(skip)]
    pub region: Option<Vec<MultiPolygon<f64>>>,
    pub folds: usize,
    /// Cross-validate on at most about this many labelled cells (whole groups, drawn by seed).
    pub cv_max_rows: usize,
    /// Train the map's model on at most about this many labelled cells (whole groups, drawn by
    /// seed; 0 = all). Every cell is scored either way.
    pub train_max_rows: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            resolution: 9,
            model: ModelKind::Gbt,
            seed: 42,
            bandwidth_m: 1000.0,
            margin_m: 0.0,
            region: None,
            folds: 5,
            cv_max_rows: 200_000,
            train_max_rows: TRAIN_MAX_ROWS,
        }
    }
}

/// Default cap on the labelled cells the map's model trains on. Boosting time grows with the
/// rows; past a few hundred thousand cells of whole groups, more rows of the same land add
/// little (the national demo's CV figures are made from models fitted on 160,000).
pub const TRAIN_MAX_ROWS: usize = 250_000;

/// The widest margin around the hazards, m: beyond it the map is of a region, not of land
/// around hazards (and its cells would not fit in memory).
pub const MAX_MARGIN_M: f64 = 100_000.0;

/// Refuses grid arguments that cannot make a map: the resolution outside 7–11, a bandwidth
/// that is not a positive number of metres, a margin outside 0–[`MAX_MARGIN_M`].
pub fn check_grid_args(res: u8, bandwidth_m: f64, margin_m: f64) -> AppResult<()> {
    if !demine_grid::RESOLUTIONS.contains(&res) {
        return Err(AppError::refused(format!(
            "--res: {}",
            demine_grid::GridError::Resolution(res)
        )));
    }
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Err(AppError::refused(format!(
            "--bandwidth-m {bandwidth_m}: the kernel bandwidth must be a positive number of metres (e.g. 1000)"
        )));
    }
    if !(0.0..=MAX_MARGIN_M).contains(&margin_m) {
        return Err(AppError::refused(format!(
            "--margin-m {margin_m}: the margin must be from 0 to 100,000 metres (100 km)"
        )));
    }
    Ok(())
}

/// Refuses a map that would hold more than [`MAX_CELLS`] cells, before any is made: the area to
/// cover (hazards widened by the margin, or the region) over the area of one cell.
fn check_map_size(hazards: &[Hazard], o: &BuildOptions) -> AppResult<()> {
    let cell_m2 = demine_grid::cell_area_m2(o.resolution);
    let area_m2: f64 = match &o.region {
        Some(region) => region.iter().map(demine_core::geodesy::area_m2).sum(),
        None => {
            let margin_cells = (o.margin_m / cell_m2.sqrt()).ceil();
            let per_hazard: f64 = hazards.iter().map(|h| demine_core::geodesy::area_m2(&h.geometry)).sum();
            // Each hazard gets at least one cell, and the margin adds rings of cells.
            per_hazard + hazards.len() as f64 * cell_m2 * (1.0 + 3.0 * margin_cells * (margin_cells + 1.0))
        }
    };
    let cells = area_m2 / cell_m2;
    if cells > MAX_CELLS as f64 {
        return Err(AppError::refused(format!(
            "a risk map of {:.0} km² at H3 resolution {} would hold about {:.1} million cells, more than the {:.0} million this machine can build; use a coarser resolution (--res {}), a smaller --region, or a smaller --margin-m",
            area_m2 / 1e6,
            o.resolution,
            cells / 1e6,
            MAX_CELLS as f64 / 1e6,
            o.resolution.saturating_sub(1).max(7)
        )));
    }
    Ok(())
}

/// Reads a region file (`--region`): GeoJSON or CSV polygons, validated as layer features are.
pub fn read_region(path: &Path) -> AppResult<Vec<MultiPolygon<f64>>> {
    if !path.exists() {
        return Err(AppError::refused(format!("{}: no such region file", path.display())));
    }
    let parsed = demine_io::parse_layer_file("region", path, false).map_err(|e| AppError::refused(e.to_string()))?;
    let mut problems: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| format!("{}: {p}", path.display()))
        .collect();
    let mut region = Vec::new();
    if problems.is_empty() {
        for (i, f) in parsed.records.iter().enumerate() {
            match &f.geometry {
                geo::Geometry::Polygon(p) => region.push(MultiPolygon::new(vec![p.clone()])),
                geo::Geometry::MultiPolygon(m) => region.push(m.clone()),
                other => problems.push(format!(
                    "{}: record {}, field `geometry`: {} — a region needs Polygon or MultiPolygon geometry",
                    path.display(),
                    i + 1,
                    geometry_name(other)
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Refused(Box::new(crate::Refusal {
            problems,
            hint: Some(format!(
                "{}: mend the region file (Polygon/MultiPolygon features, WGS84 lon/lat) and run again; nothing was written: the registry is unchanged",
                path.display()
            )),
            ..Default::default()
        })));
    }
    if region.is_empty() {
        return Err(AppError::refused(format!(
            "{}: the region file holds no polygon; give at least one Polygon or MultiPolygon feature",
            path.display()
        )));
    }
    Ok(region)
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::LineString(_) | geo::Geometry::Line(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        _ => "a geometry that is not a polygon",
    }
}

/// The grid a map covers: the user's region, or the hazards widened by the margin (then with
/// each hazard's own cells).
#[allow(clippy::type_complexity)]
fn map_grid(hazards: &[Hazard], o: &BuildOptions) -> anyhow::Result<(Grid, Option<Vec<Vec<CellIndex>>>)> {
    match &o.region {
        Some(region) => Ok((
            Grid::cover(region, o.resolution).context("covering the region with H3 cells")?,
            None,
        )),
        None => {
            let (grid, each) =
                hazard_grid_each(hazards, o.resolution, o.margin_m).context("covering the hazards with H3 cells")?;
            Ok((grid, Some(each)))
        }
    }
}

/// The labelled cells of whole groups, drawn in a seeded order until `max_rows` is reached
/// (0: all of them). For one seed a larger sample holds every smaller one.
fn cv_sample(data: &demine_risk::Dataset, max_rows: usize, seed: u64) -> demine_risk::Dataset {
    let labelled = data.labelled_rows();
    if max_rows == 0 || labelled.len() <= max_rows {
        return data.subset(&labelled);
    }
    let groups = data.group_ids();
    let mut by_group: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for &i in &labelled {
        by_group.entry(groups[i]).or_default().push(i);
    }
    let mut order: Vec<(u64, u32)> = by_group
        .keys()
        .map(|&g| ((g as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17), g))
        .collect();
    order.sort_unstable();
    let mut rows = Vec::with_capacity(max_rows + 64);
    for (_, g) in order {
        if rows.len() >= max_rows {
            break;
        }
        rows.extend_from_slice(&by_group[&g]);
    }
    rows.sort_unstable();
    data.subset(&rows)
}

/// Each hazard's summary: the cells whose centre lies in it (or, for a hazard smaller than a
/// cell, the cell holding its first vertex), weighted equally. Hazards with no cell on the map
/// (outside a `--region`) are left out.
fn hazard_risks(hazards: &[Hazard], covers: Option<&[Vec<CellIndex>]>, grid: &Grid, risk: &[f64]) -> Vec<HazardRisk> {
    hazards
        .par_iter()
        .enumerate()
        .filter_map(|(k, h)| {
            let tiled;
            let cells: &[CellIndex] = match covers.and_then(|c| c.get(k)) {
                Some(c) => c,
                None => {
                    tiled = Grid::cover(std::slice::from_ref(&h.geometry), u8::from(grid.resolution))
                        .map(|g| g.cells)
                        .unwrap_or_default();
                    &tiled
                }
            };
            let mut ps: Vec<f64> = cells
                .iter()
                .filter_map(|c| grid.position(*c))
                .map(|i| risk[i])
                .collect();
            if ps.is_empty() {
                let first = h.geometry.0.first().and_then(|p| p.exterior().0.first()).copied();
                if let Some(i) = first
                    .and_then(|c| grid.cell_of(geo::Point(c)))
                    .and_then(|c| grid.position(c))
                {
                    ps.push(risk[i]);
                }
            }
            if ps.is_empty() {
                return None;
            }
            let n = ps.len() as f64;
            Some(HazardRisk {
                hazard_id: h.id.clone(),
                expected_contaminated_share: ps.iter().sum::<f64>() / n,
                p_any: 1.0 - ps.iter().map(|p| 1.0 - p).product::<f64>(),
            })
        })
        .collect()
}

/// Every piece of released land with how it was released: what cell features measure.
fn released_land(hazards: &[Hazard], activities: &[Activity]) -> Vec<(Outcome, MultiPolygon<f64>)> {
    account_records(hazards, activities, None, true)
        .per_hazard
        .into_iter()
        .flat_map(|r| r.pieces.into_iter().map(|p| (p.outcome, p.geometry)))
        .collect()
}

/// A risk map, computed from registry values (no I/O).
pub struct RiskMap {
    pub cells: Vec<RiskCell>,
    pub hazards: Vec<HazardRisk>,
    pub cv: CvReport,
    pub cv_rows: usize,
    /// Whether each fold's features were built without its held-out cells' labels.
    pub cv_honest: bool,
    /// Labelled cells the model was trained on.
    pub trained_rows: usize,
    pub positives: usize,
    pub negatives: usize,
    pub features: Vec<String>,
    /// Seconds per stage.
    pub timings: Value,
}

/// Features on H3 cells → model → risk per cell and per hazard.
pub fn compute_risk_map(
    hazards: &[Hazard],
    activities: &[Activity],
    finds: &[Find],
    accidents: &[Accident],
    layers: &[ContextFeature],
    o: &BuildOptions,
) -> AppResult<RiskMap> {
    check_grid_args(o.resolution, o.bandwidth_m, o.margin_m)?;
    if o.folds < 2 {
        return Err(AppError::refused(format!(
            "--folds {}: cross-validation needs at least 2 folds (5 is usual)",
            o.folds
        )));
    }
    check_map_size(hazards, o)?;
    let started = std::time::Instant::now();
    let released = released_land(hazards, activities);
    let inputs = CellInputs {
        hazards,
        released: &released,
        finds,
        accidents,
        layers,
        bandwidth_m: o.bandwidth_m,
        as_of: newest_record_date(activities, finds, accidents),
    };
    let t_load = started.elapsed().as_secs_f64();
    let (grid, covers) = map_grid(hazards, o)?;
    let t_grid = started.elapsed().as_secs_f64();
    let table = build_cells(grid, &inputs).context("building cell features")?;
    let t_features = started.elapsed().as_secs_f64();
    let (positives, negatives) = table.dataset.class_counts();
    if positives == 0 || negatives == 0 {
        return Err(AppError::refused(format!(
            "the registry gives {positives} cells with finds or accidents and {negatives} searched-clean cells; \
             a risk model needs both (record finds, and clearance or technical survey that found nothing)"
        )));
    }
    // Honest cross-validation: each fold's find and accident densities are rebuilt without the
    // held-out cells' finds and accidents (on the seed-42 region demo ROC-AUC
    // 0.885 with every label in the features, 0.865 honestly; see README). Above `cv_max_rows` labelled cells
    // a sample of whole groups is cross-validated instead, with all labels in its features.
    let labelled = table.dataset.labelled_rows().len();
    let (cv, cv_rows, cv_honest) = if o.cv_max_rows == 0 || labelled <= o.cv_max_rows {
        let cv = demine_risk::cells::cross_validate_cells(&table, &inputs, o.model, o.folds, o.seed)
            .context("spatial cross-validation")?;
        (cv, labelled, true)
    } else {
        let cv_data = cv_sample(&table.dataset, o.cv_max_rows, o.seed);
        let cv = cross_validate(&cv_data, o.model, o.folds, o.seed).context("spatial cross-validation")?;
        (cv, cv_data.n_rows(), false)
    };
    let train_data = cv_sample(&table.dataset, o.train_max_rows, o.seed);
    let trained_rows = train_data.n_rows();
    let model = RiskModel::fit(o.model, &train_data, o.seed).context("training the risk model")?;
    drop(train_data);
    let risk = model.predict_proba(&table.dataset).context("scoring cells")?;
    let labels = table.dataset.labels();
    let cells: Vec<RiskCell> = table
        .grid
        .cells
        .par_iter()
        .enumerate()
        .map(|(i, c)| RiskCell {
            cell: c.to_string(),
            resolution: u8::from(table.grid.resolution),
            outline: Grid::outline(*c),
            risk: risk[i].clamp(0.0, 1.0),
            label: labels[i],
            items: table.items[i],
        })
        .collect();
    let t_model = started.elapsed().as_secs_f64();
    let hazard_summaries = hazard_risks(hazards, covers.as_deref(), &table.grid, &risk);
    drop(covers);
    let t_total = started.elapsed().as_secs_f64();
    Ok(RiskMap {
        cells,
        hazards: hazard_summaries,
        cv_rows,
        cv_honest,
        trained_rows,
        cv,
        positives,
        negatives,
        features: table.dataset.feature_names().to_vec(),
        timings: json!({
            "load_and_account_s": t_load, "grid_s": t_grid - t_load, "features_s": t_features - t_grid,
            "cv_and_model_s": t_model - t_features, "scoring_s": t_total - t_model,
        }),
    })
}

/// What `risk build` made and saved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuiltMap {
    pub cells: usize,
    pub resolution: u8,
    pub model: String,
    pub seed: u64,
    pub labelled: Value,
    pub trained_rows: usize,
    pub features: Vec<String>,
    pub cv: Value,
    pub hazards: Vec<HazardRisk>,
    /// The 20 hazards with the most expected items not yet found (the contamination model's
    /// calibrated figures; empty for a --region map).
    pub hazard_ranking: Vec<demine_strategy::HazardRiskSummary>,
    pub timings: Value,
    #[serde(skip)]
    pub hazards_mapped_from: usize,
    #[serde(skip)]
    pub context_layers: usize,
    #[serde(skip)]
    pub region: bool,
}

/// Builds the registry's risk map and saves it (layer `risk_cells`, hazards' risk columns).
pub async fn risk_build(
    reg: &Registry,
    actor: &Actor,
    o: &BuildOptions,
    progress: &dyn Progress,
) -> AppResult<BuiltMap> {
    actor.require(Act::Administer)?;
    check_grid_args(o.resolution, o.bandwidth_m, o.margin_m)?;
    let started = std::time::Instant::now();
    progress.stage("reading the registry");
    let crate::registry::Evidence {
        hazards,
        activities,
        finds,
        accidents,
        layers,
    } = reg.evidence(&Query::all()).await?;
    if hazards.is_empty() && o.region.is_none() {
        return Err(AppError::refused(format!(
            "{}: no hazards; import hazards first (the risk map covers the hazards with a margin)",
            reg.name()
        )));
    }
    let t_read = started.elapsed().as_secs_f64();
    progress.stage("building the risk map on H3 cells");
    let map = compute_risk_map(&hazards, &activities, &finds, &accidents, &layers, o)?;
    let n_hazards = hazards.len();
    let n_layers = layers
        .iter()
        .map(|f| f.layer.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let t_computed = started.elapsed().as_secs_f64();
    let RiskMap {
        cells,
        hazards: summaries,
        cv,
        cv_rows,
        cv_honest,
        trained_rows,
        positives,
        negatives,
        features,
        timings,
    } = map;
    let n_cells = cells.len();
    // The strategies' contamination model, fitted on this map and kept beside it; the hazards'
    // risk columns take its calibrated P(contaminated) (which does not saturate at 1 for large
    // hazards) rather than 1 − Π(1 − p) over their cells.
    let t_prior = std::time::Instant::now();
    let ev = crate::registry::Evidence {
        hazards,
        activities,
        finds,
        accidents,
        layers,
    };
    let (summaries, ranking, meta) = if o.region.is_none() && !ev.hazards.is_empty() {
        let d = crate::strategy::StrategyData::prepare(ev, cells.clone(), None, progress)?;
        let (risks, ranked) = d.hazard_risks();
        (risks, ranked, vec![d.prior_meta()])
    } else {
        (summaries, Vec::new(), Vec::new())
    };
    let t_prior = t_prior.elapsed().as_secs_f64();
    progress.stage(&format!("saving {n_cells} cells"));
    let changes = Changeset {
        meta,
        risk_map: Some((cells, summaries.clone())),
        ..Changeset::new(format!(
            "risk build: H3 resolution {}, model {}, seed {}",
            o.resolution, o.model, o.seed
        ))
    };
    reg.apply(&changes, actor).await?;
    progress.finish();
    let mut timings = timings;
    timings["strategy_model_s"] = json!(t_prior);
    timings["read_s"] = json!(t_read);
    timings["save_s"] = json!(started.elapsed().as_secs_f64() - t_computed);
    timings["total_s"] = json!(started.elapsed().as_secs_f64());
    Ok(BuiltMap {
        cells: n_cells,
        resolution: o.resolution,
        model: o.model.to_string(),
        seed: o.seed,
        labelled: json!({"positive": positives, "negative": negatives}),
        trained_rows,
        features,
        cv: json!({"rows": cv_rows, "honest": cv_honest, "folds": cv.folds, "folds_single_class": cv.folds_single_class, "auc_mean": cv.auc_mean, "pr_auc_mean": cv.pr_auc_mean, "brier_mean": cv.brier_mean}),
        hazards: summaries,
        hazard_ranking: ranking.into_iter().take(20).collect(),
        timings,
        hazards_mapped_from: n_hazards,
        context_layers: n_layers,
        region: o.region.is_some(),
    })
}

// ---------------------------------------------------------------- suggested SHAs

/// Grid and model settings of one suggestion run.
#[derive(Debug, Clone)]
pub struct SuggestRequest {
    pub resolution: u8,
    pub margin_m: f64,
    pub region: Option<Vec<MultiPolygon<f64>>>,
    pub region_file: Option<PathBuf>,
    pub bandwidth_m: f64,
    pub threshold: Option<f64>,
    pub max: Option<usize>,
    pub min_cells: usize,
    pub model: ModelKind,
    pub seed: u64,
    pub out: Option<PathBuf>,
}

impl SuggestRequest {
    /// The defaults of `demine risk suggest --seed SEED`.
    pub fn defaults(seed: u64) -> SuggestRequest {
        SuggestRequest {
            resolution: 9,
            margin_m: 2000.0,
            region: None,
            region_file: None,
            bandwidth_m: 1000.0,
            threshold: None,
            max: None,
            min_cells: 3,
            model: ModelKind::Gbt,
            seed,
            out: None,
        }
    }

    fn options(&self) -> SuggestOptions {
        SuggestOptions {
            threshold: self.threshold,
            max: self.max,
            min_cells: self.min_cells.max(1),
            model: self.model,
            seed: self.seed,
            folds: 5,
            cv_max_rows: 200_000,
        }
    }
}

/// Registry values → cells over the hazards widened by the margin (or the region) → suggestions.
pub fn compute_suggestions(
    hazards: &[Hazard],
    activities: &[Activity],
    finds: &[Find],
    accidents: &[Accident],
    layers: &[ContextFeature],
    run: &SuggestRequest,
) -> AppResult<SuggestReport> {
    let released = released_land(hazards, activities);
    let grid = match &run.region {
        Some(region) => Grid::cover(region, run.resolution).context("covering the region")?,
        None if hazards.is_empty() => {
            return Err(AppError::refused(
                "no hazards: import hazards first, or give a --region",
            ))
        }
        None => hazard_grid(hazards, run.resolution, run.margin_m).context("covering the hazards")?,
    };
    if grid.cells.len() as u64 > MAX_CELLS {
        return Err(AppError::refused(format!(
            "the area to look at holds {} H3 cells, more than {MAX_CELLS}; use a coarser --res or a smaller --margin-m/--region",
            grid.cells.len()
        )));
    }
    let shapes: Vec<MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry.clone()).collect();
    let hazard_cells = if shapes.is_empty() {
        None
    } else {
        Some(Grid::cover(&shapes, run.resolution).context("covering the hazards")?)
    };
    let inputs = CellInputs {
        hazards,
        released: &released,
        finds,
        accidents,
        layers,
        bandwidth_m: run.bandwidth_m,
        as_of: newest_record_date(activities, finds, accidents),
    };
    let table = build_cells(grid, &inputs).context("building cell features")?;
    let inside: Vec<bool> = table
        .grid
        .cells
        .iter()
        .map(|c| hazard_cells.as_ref().is_some_and(|h| h.position(*c).is_some()))
        .collect();
    let find_points: Vec<geo::Point<f64>> = finds.iter().map(|f| f.location).collect();
    let accident_points: Vec<geo::Point<f64>> = accidents.iter().map(|a| a.location).collect();
    let find_points = outside_every_hazard(&find_points, hazards);
    let accident_points = outside_every_hazard(&accident_points, hazards);
    suggest_areas(&table, &inside, &find_points, &accident_points, &run.options()).map_err(|e| match e {
        RiskError::Invalid(m) => AppError::refused(m),
        other => AppError::Internal(other.into()),
    })
}

/// One suggestion's properties: the import contract's `id`, `class`, `status`, then the figures.
pub fn suggestion_properties(s: &Suggestion, synthetic: bool) -> serde_json::Map<String, Value> {
    let round = |x: f64, digits: i32| {
        let k = 10f64.powi(digits);
        (x * k).round() / k
    };
    let mut p = serde_json::Map::new();
    p.insert("id".into(), s.id.clone().into());
    p.insert("class".into(), "SHA".into());
    p.insert("status".into(), "suggested".into());
    p.insert(
        "evidence".into(),
        "risk model (demine risk suggest); for non-technical survey".into(),
    );
    p.insert("area_m2".into(), json!(s.area_m2.round()));
    p.insert("cells".into(), json!(s.cells.len()));
    p.insert("mean_risk".into(), json!(round(s.mean_risk, 4)));
    p.insert("max_risk".into(), json!(round(s.max_risk, 4)));
    p.insert(
        "expected_contaminated_cells".into(),
        json!(round(s.expected_contaminated_cells, 3)),
    );
    p.insert("finds".into(), json!(s.finds));
    p.insert("accidents".into(), json!(s.accidents));
    p.insert("reason".into(), s.reason.clone().into());
    if synthetic {
        p.insert("synthetic".into(), true.into());
    }
    p
}

/// A GeoJSON FeatureCollection of the suggestions (RFC 7946: WGS84, exteriors counter-clockwise).
pub fn feature_collection(r: &SuggestReport, synthetic: bool) -> Value {
    let ring = |l: &geo::LineString<f64>| Value::Array(l.0.iter().map(|c| json!([c.x, c.y])).collect());
    let features: Vec<Value> = r
        .suggestions
        .iter()
        .map(|s| {
            let polys: Vec<Value> = s
                .geometry
                .0
                .iter()
                .map(|p| {
                    let mut rings = vec![ring(p.exterior())];
                    rings.extend(p.interiors().iter().map(ring));
                    Value::Array(rings)
                })
                .collect();
            let geometry = if polys.len() == 1 {
                json!({"type": "Polygon", "coordinates": polys[0]})
            } else {
                json!({"type": "MultiPolygon", "coordinates": polys})
            };
            json!({"type": "Feature", "properties": suggestion_properties(s, synthetic), "geometry": geometry})
        })
        .collect();
    let mut fc = json!({"type": "FeatureCollection", "features": features});
    if synthetic {
        fc["name"] = "suggested SHAs (SYNTHETIC registry)".into();
    }
    fc
}

/// Suggested SHAs, with what was looked at.
pub struct Suggested {
    pub report: SuggestReport,
    pub synthetic: bool,
    pub json: Value,
}

/// `risk suggest`: high-risk land outside every hazard, for non-technical survey. Nothing is
/// written to the registry; `out` gets a GeoJSON file `demine import hazards` takes.
pub async fn suggest(reg: &Registry, actor: &Actor, run: &SuggestRequest) -> AppResult<Suggested> {
    actor.require(Act::Read)?;
    check_grid_args(run.resolution, run.bandwidth_m, run.margin_m)?;
    if let Some(t) = run.threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(AppError::refused(format!(
                "--threshold {t}: a risk threshold is a probability between 0 and 1"
            )));
        }
    }
    if run.max == Some(0) {
        return Err(AppError::refused(
            "--max 0: ask for at least one area, or leave --max out for all",
        ));
    }
    if let Some(out) = &run.out {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(AppError::refused(format!(
                "--out {}: folder {} does not exist",
                out.display(),
                dir.display()
            )));
        }
    }
    let synthetic = reg.synthetic().await?;
    let q = Query::all().in_organisations(actor.scope());
    let e = reg.evidence(&q).await?;
    let r = compute_suggestions(&e.hazards, &e.activities, &e.finds, &e.accidents, &e.layers, run)?;
    if let Some(out) = &run.out {
        let text = serde_json::to_string_pretty(&feature_collection(&r, synthetic)).map_err(anyhow::Error::from)?;
        demine_io::write_atomically(out, text.as_bytes())?;
    }
    let total_m2: f64 = r.suggestions.iter().map(|s| s.area_m2).sum();
    let suggestions: Vec<Value> = r
        .suggestions
        .iter()
        .map(|s| Value::Object(suggestion_properties(s, synthetic)))
        .collect();
    let json = json!({
        "synthetic": synthetic,
        "written_to_registry": false,
        "out": run.out.as_ref().map(|p| p.display().to_string()),
        "resolution": run.resolution,
        "margin_m": if run.region.is_some() { Value::Null } else { json!(run.margin_m) },
        "region": run.region_file.as_ref().map(|p| p.display().to_string()),
        "model": run.model.to_string(),
        "seed": run.seed,
        "threshold": r.threshold,
        "threshold_rule": r.threshold_rule,
        "cv_auc_mean": r.cv_auc_mean,
        "features": r.features,
        "outside_cells": r.outside_cells,
        "outside_area_m2": r.outside_area_m2,
        "kept_cells": r.kept_cells,
        "dropped_areas": r.dropped_areas,
        "beyond_max": r.beyond_max,
        "suggested_area_m2": total_m2,
        "suggestions": suggestions,
    });
    Ok(Suggested {
        report: r,
        synthetic,
        json,
    })
}

// ---------------------------------------------------------------- models on CSV files

/// Which columns of a cells CSV play which part.
#[derive(Debug, Clone)]
pub struct CellsSpec {
    pub cells: PathBuf,
    pub label: String,
    pub exclude: Vec<String>,
    pub model: ModelKind,
    pub seed: u64,
    /// A label value that marks a row unlabelled (e.g. `-1`, scikit-learn's convention), besides
    /// an empty cell.
    pub unlabelled_value: Option<String>,
}

fn risk_refusal(e: RiskError) -> AppError {
    match e {
        RiskError::Io { .. } => AppError::refused(e.to_string()),
        other => AppError::refused(other.to_string()),
    }
}

fn read_cells(
    cells: &CellsSpec,
    group: Option<&str>,
    progress: &dyn Progress,
) -> AppResult<(demine_risk::Dataset, ReadReport)> {
    let spec = CsvSpec {
        label: Some(cells.label.clone()),
        group: group.map(str::to_string),
        exclude: cells.exclude.iter().filter(|e| !e.is_empty()).cloned().collect(),
    };
    let (ds, report) =
        demine_risk::read_csv_with(&cells.cells, &spec, cells.unlabelled_value.as_deref()).map_err(risk_refusal)?;
    for n in report.notes() {
        progress.note(&format!("{}: {n}", cells.cells.display()));
    }
    Ok((ds, report))
}

fn opt(v: Option<f64>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

fn recall_obj(r: &[Option<f64>; 3]) -> Value {
    let mut m = serde_json::Map::new();
    for (q, v) in RECALL_FRACTIONS.iter().zip(r) {
        m.insert(format!("{q}"), opt(*v));
    }
    Value::Object(m)
}

/// A cross-validation: the report and what it was run on.
pub struct Evaluated {
    pub cv: CvReport,
    pub read: ReadReport,
    pub json: Value,
}

/// `risk evaluate`: spatial cross-validation on a cells CSV.
pub fn evaluate(
    cells: &CellsSpec,
    group: &str,
    folds: usize,
    folds_out: Option<&Path>,
    progress: &dyn Progress,
) -> AppResult<Evaluated> {
    let (ds, rep) = read_cells(cells, Some(group), progress)?;
    let cv = cross_validate(&ds, cells.model, folds, cells.seed).map_err(risk_refusal)?;
    if cv.folds_single_class == cv.folds {
        progress.note(&format!(
            "{}: every held-out fold holds a single class, so there is no ROC-AUC, PR-AUC or recall; \
             use fewer folds (--folds) or larger groups",
            cells.cells.display()
        ));
    }
    if let Some(p) = folds_out {
        demine_io::write_with(p, |w| {
            writeln!(w, "row,group,label,fold,risk_oof")?;
            for i in 0..ds.n_rows() {
                let g = ds.group_name(i);
                let g = if g.contains([',', '"', '\n']) {
                    format!("\"{}\"", g.replace('"', "\"\""))
                } else {
                    g
                };
                let label = match ds.labels()[i] {
                    Some(true) => "1",
                    Some(false) => "0",
                    None => "",
                };
                let fold = cv.assignment.fold_of_row[i]
                    .map(|f| (f + 1).to_string())
                    .unwrap_or_default();
                let oof = cv.oof[i].map(|p| format!("{p}")).unwrap_or_default();
                writeln!(w, "{i},{g},{label},{fold},{oof}")?;
            }
            Ok(())
        })?;
    }
    let per_fold: Vec<Value> = cv
        .per_fold
        .iter()
        .map(|f| {
            json!({
                "fold": f.fold + 1, "groups": f.groups, "train_rows": f.train_rows, "test_rows": f.test_rows,
                "test_positives": f.test_positives, "single_class": f.single_class, "auc": opt(f.auc),
                "pr_auc": opt(f.pr_auc), "brier": opt(f.brier), "recall_at": recall_obj(&f.recall_at),
            })
        })
        .collect();
    let non_finite: serde_json::Map<String, Value> = rep
        .non_finite
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(*v)))
        .collect();
    let json = json!({
        "cells": cells.cells.display().to_string(),
        "label": cells.label,
        "group": group,
        "model": cv.model.to_string(),
        "seed": cv.seed,
        "rows": rep.rows,
        "labelled": rep.labelled,
        "positives": rep.positives,
        "base_rate": rep.positives as f64 / rep.labelled.max(1) as f64,
        "groups": rep.groups,
        "scheme": cv.scheme,
        "folds": cv.folds,
        "folds_single_class": cv.folds_single_class,
        "auc_mean": opt(cv.auc_mean),
        "auc_std": opt(cv.auc_std),
        "pr_auc_mean": opt(cv.pr_auc_mean),
        "brier_mean": opt(cv.brier_mean),
        "recall_at": recall_obj(&cv.recall_at),
        "pooled": {"auc": opt(cv.pooled_auc), "pr_auc": opt(cv.pooled_pr_auc), "brier": opt(cv.pooled_brier)},
        "per_fold": per_fold,
        "features": rep.features,
        "ignored_columns": rep.ignored,
        "non_finite_values": non_finite,
    });
    Ok(Evaluated { cv, read: rep, json })
}

/// `risk train`: a calibrated model on every labelled cell, written as JSON.
pub fn train(cells: &CellsSpec, group: Option<&str>, out: &Path, progress: &dyn Progress) -> AppResult<String> {
    let (ds, rep) = read_cells(cells, group, progress)?;
    let model = RiskModel::fit(cells.model, &ds, cells.seed).map_err(risk_refusal)?;
    let text = model.to_json().map_err(risk_refusal)?;
    demine_io::write_atomically(out, text.as_bytes())?;
    Ok(format!(
        "trained {} on {} labelled cells ({} positive) of {}, {} features, seed {}; \
         calibration a = {:.3}, b = {:.3}; wrote {}",
        model.kind(),
        rep.labelled,
        rep.positives,
        cells.cells.display(),
        rep.features.len(),
        cells.seed,
        model.calibration.a,
        model.calibration.b,
        out.display()
    ))
}

/// `risk score`: the cells CSV with a `risk` column added. The model file is validated before
/// use: a malformed or hostile file is refused, never followed.
pub fn score(cells: &Path, model_path: &Path, out: &Path) -> AppResult<String> {
    let text = std::fs::read_to_string(model_path).map_err(|e| {
        risk_refusal(RiskError::Io {
            path: model_path.to_path_buf(),
            message: e.to_string(),
        })
    })?;
    let model = RiskModel::from_json(&text, model_path).map_err(risk_refusal)?;
    let (ds, rep) = match read_csv(cells, &CsvSpec::default()) {
        Ok(r) => r,
        Err(RiskError::NoFeatures { .. }) => {
            return Err(risk_refusal(RiskError::MissingFeatures {
                source_name: cells.display().to_string(),
                missing: model.feature_names().to_vec(),
            }))
        }
        Err(e) => return Err(risk_refusal(e)),
    };
    let missing: Vec<String> = model
        .feature_names()
        .iter()
        .filter(|f| ds.column_by_name(f).is_none())
        .map(|f| match rep.ignored.iter().find(|c| &c.name == f) {
            Some(c) => format!("{f} (present but {})", c.reason),
            None => f.clone(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(risk_refusal(RiskError::MissingFeatures {
            source_name: cells.display().to_string(),
            missing,
        }));
    }
    let probs = model.predict_proba(&ds).map_err(risk_refusal)?;
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(cells)
        .map_err(|e| AppError::refused(format!("{}: cannot read: {e}", cells.display())))?;
    let headers = rdr
        .headers()
        .map_err(|e| AppError::refused(format!("{}: {e}", cells.display())))?
        .clone();
    if headers.iter().any(|h| h == "risk") {
        return Err(AppError::refused(format!(
            "{}: already has a 'risk' column; rename or drop it before scoring",
            cells.display()
        )));
    }
    demine_io::write_with(out, |f| {
        let mut w = csv::Writer::from_writer(f);
        let mut h: Vec<&str> = headers.iter().collect();
        h.push("risk");
        w.write_record(&h)?;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec?;
            let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
            row.push(format!("{:.6}", probs.get(i).copied().unwrap_or(f64::NAN)));
            w.write_record(&row)?;
        }
        w.flush()
    })?;
    Ok(format!(
        "scored {} cells of {} with a {} model ({} features); wrote {} (column 'risk': probability 0..1)",
        ds.n_rows(),
        cells.display(),
        model.kind(),
        model.feature_names().len(),
        out.display()
    ))
}
