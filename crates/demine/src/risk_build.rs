//! `demine risk build`: the registry → H3 cell features → a model → the risk map, saved as the
//! `risk_cells` layer and as each hazard's expected contaminated share and P(any item).

use anyhow::{bail, Context, Result};
use demine_core::release::account_records;
use demine_core::{HazardRisk, Outcome, RiskCell};
use demine_grid::{CellIndex, Grid};
use demine_risk::cells::{build_cells, hazard_grid_each, newest_record_date, CellInputs};
use demine_risk::{cross_validate, ModelKind, RiskModel};
use demine_store::{Changeset, GeoPackageStore, Repository};
use geo::MultiPolygon;
use rayon::prelude::*;
use std::process::ExitCode;

/// Options of `risk build`.
pub struct BuildOptions {
    pub resolution: u8,
    pub model: ModelKind,
    pub seed: u64,
    pub bandwidth_m: f64,
    pub margin_m: f64,
    /// The user's region: when given, the grid covers it instead of the hazards with a margin.
    pub region: Option<Vec<MultiPolygon<f64>>>,
    pub folds: usize,
    /// Cross-validate on at most about this many labelled cells (whole groups, drawn by seed).
    pub cv_max_rows: usize,
    /// Train the map's model on at most about this many labelled cells (whole groups, drawn by
    /// seed; 0 = all). Every cell is scored either way.
    pub train_max_rows: usize,
    pub json: bool,
}

/// Default cap on the labelled cells the map's model trains on. Boosting time grows with the
/// rows; past a few hundred thousand cells of whole groups, more rows of the same land add
/// little (the national demo's CV figures are made from models fitted on 160,000).
pub const TRAIN_MAX_ROWS: usize = 250_000;

/// Refuses grid arguments that cannot make a map: the resolution outside 7–11, a bandwidth
/// that is not a positive number of metres, a negative margin.
pub fn check_grid_args(res: u8, bandwidth_m: f64, margin_m: f64) -> std::result::Result<(), String> {
    if !demine_grid::RESOLUTIONS.contains(&res) {
        return Err(format!("--res: {}", demine_grid::GridError::Resolution(res)));
    }
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Err(format!(
            "--bandwidth-m {bandwidth_m}: the kernel bandwidth must be a positive number of metres (e.g. 1000)"
        ));
    }
    if !(margin_m.is_finite() && margin_m >= 0.0) {
        return Err(format!("--margin-m {margin_m}: the margin must be 0 or more metres"));
    }
    Ok(())
}

/// Reads a region file (`--region`): GeoJSON or CSV polygons, validated as layer features are.
/// `Err` is the whole refusal, naming the file, the record, the field and what to do.
pub fn read_region(path: &std::path::Path) -> std::result::Result<Vec<MultiPolygon<f64>>, String> {
    if !path.exists() {
        return Err(format!("{}: no such region file", path.display()));
    }
    let parsed = demine_io::parse_layer_file("region", path, false).map_err(|e| e.to_string())?;
    let mut problems: Vec<String> = parsed
        .problems
        .iter()
        .map(|p| format!("{}: {p}", path.display()))
        .collect();
    let mut region = Vec::new();
    if problems.is_empty() {
        // Without problems every record is kept, in file order: record i + 1 is feature i.
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
        return Err(format!(
            "{}\n{}: {} problem(s); mend the region file (Polygon/MultiPolygon features, WGS84 lon/lat) and run again",
            problems.join("\n"),
            path.display(),
            problems.len()
        ));
    }
    if region.is_empty() {
        return Err(format!(
            "{}: the region file holds no polygon; give at least one Polygon or MultiPolygon feature",
            path.display()
        ));
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
pub fn map_grid(hazards: &[demine_core::Hazard], o: &BuildOptions) -> Result<(Grid, Option<Vec<Vec<CellIndex>>>)> {
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
/// (0: all of them): cross-validation figures and a model on a national map without fitting
/// millions of cells. For one seed a larger sample holds every smaller one.
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
/// cell, the cell holding its first vertex), weighted equally (H3 cells of one resolution have
/// nearly equal areas). Hazards with no cell on the map (outside a `--region`) are left out.
/// `covers`: each hazard's cells when the grid was made from them (else each is tiled here).
fn hazard_risks(
    hazards: &[demine_core::Hazard],
    covers: Option<&[Vec<CellIndex>]>,
    grid: &Grid,
    risk: &[f64],
) -> Vec<HazardRisk> {
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
            // A hazard outside the mapped region gets no figure rather than a made-up zero.
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

/// A risk map, computed from registry values (no I/O).
pub struct RiskMap {
    pub cells: Vec<RiskCell>,
    pub hazards: Vec<HazardRisk>,
    pub cv: demine_risk::CvReport,
    pub cv_rows: usize,
    /// Labelled cells the model was trained on.
    pub trained_rows: usize,
    pub positives: usize,
    pub negatives: usize,
    pub features: Vec<String>,
    /// Seconds per stage.
    pub timings: serde_json::Value,
}

/// Features on H3 cells → model → risk per cell and per hazard.
pub fn compute_risk_map(
    hazards: &[demine_core::Hazard],
    activities: &[demine_core::Activity],
    finds: &[demine_core::Find],
    accidents: &[demine_core::Accident],
    layers: &[demine_core::ContextFeature],
    o: &BuildOptions,
) -> Result<RiskMap> {
    let started = std::time::Instant::now();
    let (hazards, activities, finds, accidents, layers) = (hazards, activities, finds, accidents, layers);
    let release = account_records(hazards, activities, None, true);
    let released: Vec<(Outcome, MultiPolygon<f64>)> = release
        .per_hazard
        .iter()
        .flat_map(|r| r.pieces.iter().map(|p| (p.outcome, p.geometry.clone())))
        .collect();
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
        bail!(
            "the registry gives {positives} cells with finds or accidents and {negatives} searched-clean cells; \
             a risk model needs both (record finds, and clearance or technical survey that found nothing)"
        );
    }
    let cv_data = cv_sample(&table.dataset, o.cv_max_rows, o.seed);
    let cv = cross_validate(&cv_data, o.model, o.folds, o.seed).context("spatial cross-validation")?;
    let cv_rows = cv_data.n_rows();
    drop(cv_data);
    // Whole groups, as for CV: the model's inner early-stopping and calibration folds stay
    // spatial, so its calibration is still fitted on land it did not train on.
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
        trained_rows,
        cv,
        positives,
        negatives,
        features: table.dataset.feature_names().to_vec(),
        timings: serde_json::json!({
            "load_and_account_s": t_load, "grid_s": t_grid - t_load, "features_s": t_features - t_grid,
            "cv_and_model_s": t_model - t_features, "scoring_s": t_total - t_model,
        }),
    })
}

pub async fn risk_build(store: GeoPackageStore, actor: &str, o: &BuildOptions) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let hazards = store.hazards().await?;
    if hazards.is_empty() && o.region.is_none() {
        bail!(
            "{}: no hazards; import hazards first (the risk map covers the hazards with a margin)",
            store.path().display()
        );
    }
    let activities = store.activities().await?;
    let finds = store.finds().await?;
    let accidents = store.accidents().await?;
    let layers = store.context_features(None).await?;
    let t_read = started.elapsed().as_secs_f64();
    let map = compute_risk_map(&hazards, &activities, &finds, &accidents, &layers, o)?;
    // The records are not needed past this point: free them before the hexagons are encoded.
    let n_hazards = hazards.len();
    let n_layers = layers
        .iter()
        .map(|f| f.layer.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    drop((hazards, activities, finds, accidents, layers));
    let t_computed = started.elapsed().as_secs_f64();
    let RiskMap {
        cells,
        hazards: hazard_summaries,
        cv,
        cv_rows,
        trained_rows,
        positives,
        negatives,
        features,
        timings,
    } = map;
    let n_cells = cells.len();
    let changes = Changeset {
        description: format!(
            "risk build: H3 resolution {}, model {}, seed {}",
            o.resolution, o.model, o.seed
        ),
        risk_map: Some((cells, hazard_summaries.clone())),
        ..Default::default()
    };
    store.apply(&changes, actor).await?;
    let mut timings = timings;
    timings["read_s"] = serde_json::json!(t_read);
    timings["save_s"] = serde_json::json!(started.elapsed().as_secs_f64() - t_computed);
    timings["total_s"] = serde_json::json!(started.elapsed().as_secs_f64());
    let path = store.path().to_owned();
    store.close().await?;
    let mut top: Vec<&HazardRisk> = hazard_summaries.iter().collect();
    top.sort_by(|a, b| b.p_any.total_cmp(&a.p_any).then_with(|| a.hazard_id.cmp(&b.hazard_id)));
    if o.json {
        println!(
            "{}",
            serde_json::json!({
                "cells": n_cells,
                "resolution": o.resolution,
                "model": o.model.to_string(),
                "seed": o.seed,
                "labelled": {"positive": positives, "negative": negatives},
                "trained_rows": trained_rows,
                "features": features,
                "cv": {"rows": cv_rows, "folds": cv.folds, "folds_single_class": cv.folds_single_class, "auc_mean": cv.auc_mean, "pr_auc_mean": cv.pr_auc_mean, "brier_mean": cv.brier_mean},
                "hazards": hazard_summaries,
                "timings": timings,
            })
        );
    } else {
        println!(
            "risk map: {n_cells} H3 cells at resolution {} over {} ({} layer(s) of context), model {}",
            o.resolution,
            if o.region.is_some() {
                "the region given".to_string()
            } else {
                format!("{n_hazards} hazards")
            },
            n_layers,
            o.model
        );
        println!(
            "  labelled cells: {positives} with finds or accidents, {negatives} searched clean; model trained on {trained_rows}"
        );
        println!(
            "  spatial cross-validation ({} folds over {} labelled cells): ROC-AUC {:.3}, PR-AUC {:.3}, Brier {:.4}",
            cv.folds,
            cv_rows,
            cv.auc_mean.unwrap_or(f64::NAN),
            cv.pr_auc_mean.unwrap_or(f64::NAN),
            cv.brier_mean.unwrap_or(f64::NAN)
        );
        println!("  hazards most likely to hold ordnance (P(any item), expected contaminated share):");
        for h in top.iter().take(10) {
            println!(
                "    {:<14} {:>6.3}  {:>6.3}",
                h.hazard_id, h.p_any, h.expected_contaminated_share
            );
        }
        eprintln!("timings (s): {timings}");
        println!(
            "saved: layer risk_cells and hazards.risk_p_any / risk_expected_share in {}",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
