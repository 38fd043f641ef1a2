//! `demine risk suggest`: high-risk land outside every hazard, proposed as new SHAs for
//! non-technical survey. Wires the registry to `demine_risk::suggest` and writes a GeoJSON file
//! that `demine import hazards` takes as it is; nothing is written to the registry.

use crate::risk::ModelArg;
use anyhow::{bail, Result};
use clap::Args;
use demine_core::release::account_records;
use demine_core::{Accident, Activity, ContextFeature, Find, Hazard, Outcome};
use demine_grid::Grid;
use demine_risk::cells::{build_cells, hazard_grid, newest_record_date, CellInputs};
use demine_risk::suggest::{outside_every_hazard, suggest, SuggestOptions, SuggestReport, Suggestion};
use demine_store::{GeoPackageStore, Repository};
use geo::MultiPolygon;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status for refused input (bad arguments, a bad region file): nothing was written.
const EXIT_REFUSED: u8 = 2;

/// Arguments of `demine risk suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// H3 resolution, 7 (~5 km² cells) to 11 (~2,150 m²); 9 is ~0.1 km².
    #[arg(long, default_value_t = 9)]
    pub res: u8,
    /// How far around the hazards to look, in metres (whole H3 rings). Ignored with --region.
    #[arg(long, default_value_t = 2000.0, value_name = "M")]
    pub margin_m: f64,
    /// Look inside this region instead: a GeoJSON or CSV (`wkt` column) file of polygons.
    #[arg(long, value_name = "FILE")]
    pub region: Option<PathBuf>,
    /// Keep cells at or above this risk (0..1). Default: the median out-of-fold risk of the
    /// cells with finds or accidents (land at least as risky as half the places ordnance was found).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Suggest at most N areas (the highest ranked by expected contaminated cells).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// Drop areas of fewer than K cells, unless a find or accident lies in them.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub min_cells: usize,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
    pub model: ModelArg,
    /// Random seed: the same seed gives the same suggestions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Kernel bandwidth for find and accident densities, in metres.
    #[arg(long, default_value_t = 1000.0, value_name = "M")]
    pub bandwidth_m: f64,
    /// Write the suggested areas to this GeoJSON file, importable with `demine import hazards`.
    #[arg(long, value_name = "FILE.geojson")]
    pub out: Option<PathBuf>,
    /// Machine-readable summary: one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Grid and model settings of one suggestion run.
pub struct SuggestRun {
    pub resolution: u8,
    pub margin_m: f64,
    pub region: Option<Vec<MultiPolygon<f64>>>,
    pub bandwidth_m: f64,
    pub options: SuggestOptions,
}

/// Registry values → cells over the hazards widened by the margin (or the region) → suggestions.
pub fn compute_suggestions(
    hazards: &[Hazard],
    activities: &[Activity],
    finds: &[Find],
    accidents: &[Accident],
    layers: &[ContextFeature],
    run: &SuggestRun,
) -> Result<SuggestReport> {
    let release = account_records(hazards, activities, None, true);
    let released: Vec<(Outcome, MultiPolygon<f64>)> = release
        .per_hazard
        .iter()
        .flat_map(|r| r.pieces.iter().map(|p| (p.outcome, p.geometry.clone())))
        .collect();
    let grid = match &run.region {
        Some(region) => Grid::cover(region, run.resolution)?,
        None if hazards.is_empty() => bail!("no hazards: import hazards first, or give a --region"),
        None => hazard_grid(hazards, run.resolution, run.margin_m)?,
    };
    let shapes: Vec<MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry.clone()).collect();
    // The same rule as the grid's: a cell is inside when its centre lies in a hazard.
    let hazard_cells = if shapes.is_empty() {
        None
    } else {
        Some(Grid::cover(&shapes, run.resolution)?)
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
    let table = build_cells(grid, &inputs)?;
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
    Ok(suggest(&table, &inside, &find_points, &accident_points, &run.options)?)
}

/// The demo's suggestions with the default settings (the same as `demine risk suggest --seed`).
pub fn for_demo(
    hazards: &[Hazard],
    activities: &[Activity],
    finds: &[Find],
    accidents: &[Accident],
    layers: &[ContextFeature],
    seed: u64,
) -> Result<SuggestReport> {
    let run = SuggestRun {
        resolution: 9,
        margin_m: 2000.0,
        region: None,
        bandwidth_m: 1000.0,
        options: default_options(seed, ModelArg::Gbt),
    };
    compute_suggestions(hazards, activities, finds, accidents, layers, &run)
}

fn default_options(seed: u64, model: ModelArg) -> SuggestOptions {
    SuggestOptions {
        threshold: None,
        max: None,
        min_cells: 3,
        model: model.into(),
        seed,
        folds: 5,
        cv_max_rows: 200_000,
    }
}

/// One suggestion's properties: the import contract's `id`, `class`, `status`, then the figures.
fn properties(s: &Suggestion, synthetic: bool) -> serde_json::Map<String, Value> {
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

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

fn ring(l: &geo::LineString<f64>) -> Value {
    Value::Array(l.0.iter().map(|c| json!([c.x, c.y])).collect())
}

/// A GeoJSON FeatureCollection of the suggestions (RFC 7946: WGS84, exteriors counter-clockwise).
pub fn feature_collection(r: &SuggestReport, synthetic: bool) -> Value {
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
            json!({"type": "Feature", "properties": properties(s, synthetic), "geometry": geometry})
        })
        .collect();
    let mut fc = json!({"type": "FeatureCollection", "features": features});
    if synthetic {
        fc["name"] = "suggested SHAs (SYNTHETIC registry)".into();
    }
    fc
}

/// Runs `demine risk suggest` on the registry at `db`.
pub async fn run(db: &Path, a: &SuggestArgs) -> Result<ExitCode> {
    let refuse = |why: String| {
        eprintln!("error: {why}");
        Ok(ExitCode::from(EXIT_REFUSED))
    };
    if let Err(why) = crate::risk_build::check_grid_args(a.res, a.bandwidth_m, a.margin_m) {
        return refuse(why);
    }
    if let Some(t) = a.threshold {
        if !(0.0..=1.0).contains(&t) {
            return refuse(format!(
                "--threshold {t}: a risk threshold is a probability between 0 and 1"
            ));
        }
    }
    if a.max == Some(0) {
        return refuse("--max 0: ask for at least one area, or leave --max out for all".into());
    }
    if let Some(out) = &a.out {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return refuse(format!(
                "--out {}: folder {} does not exist",
                out.display(),
                dir.display()
            ));
        }
    }
    let region = match a.region.as_deref().map(crate::risk_build::read_region).transpose() {
        Ok(r) => r,
        Err(why) => return refuse(why),
    };
    if !db.exists() {
        return refuse(format!(
            "{}: no registry here; import hazards first, or pass --db PATH",
            db.display()
        ));
    }
    let store = GeoPackageStore::open(db).await?;
    let synthetic = store.meta("synthetic").await?.as_deref() == Some("true");
    let hazards = store.hazards().await?;
    let activities = store.activities().await?;
    let finds = store.finds().await?;
    let accidents = store.accidents().await?;
    let layers = store.context_features(None).await?;
    store.close().await?;
    let run = SuggestRun {
        resolution: a.res,
        margin_m: a.margin_m,
        region,
        bandwidth_m: a.bandwidth_m,
        options: SuggestOptions {
            threshold: a.threshold,
            max: a.max,
            min_cells: a.min_cells.max(1),
            ..default_options(a.seed, a.model)
        },
    };
    let r = compute_suggestions(&hazards, &activities, &finds, &accidents, &layers, &run)?;
    if let Some(out) = &a.out {
        let text = serde_json::to_string_pretty(&feature_collection(&r, synthetic))?;
        crate::risk::write_atomically(out, |f| std::io::Write::write_all(f, text.as_bytes()))?;
    }
    let total_m2: f64 = r.suggestions.iter().map(|s| s.area_m2).sum();
    if a.json {
        let suggestions: Vec<Value> = r
            .suggestions
            .iter()
            .map(|s| Value::Object(properties(s, synthetic)))
            .collect();
        println!(
            "{}",
            json!({
                "synthetic": synthetic,
                "written_to_registry": false,
                "out": a.out.as_ref().map(|p| p.display().to_string()),
                "resolution": a.res,
                "margin_m": if a.region.is_some() { Value::Null } else { json!(a.margin_m) },
                "region": a.region.as_ref().map(|p| p.display().to_string()),
                "model": demine_risk::ModelKind::from(a.model).to_string(),
                "seed": a.seed,
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
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let tag = if synthetic { " (SYNTHETIC registry)" } else { "" };
    println!(
        "suggested SHAs{tag}: {} area(s), {:.2} km² of the {:.2} km² outside every hazard that was looked at ({} H3 cells at resolution {})",
        r.suggestions.len(),
        total_m2 / 1e6,
        r.outside_area_m2 / 1e6,
        r.outside_cells,
        a.res
    );
    println!("  threshold: risk ≥ {:.3} — {}", r.threshold, r.threshold_rule);
    if r.dropped_areas > 0 || r.beyond_max > 0 {
        println!(
            "  left out: {} area(s) under {} cells without finds or accidents, {} beyond --max",
            r.dropped_areas, run.options.min_cells, r.beyond_max
        );
    }
    println!(
        "  {:<10} {:>6} {:>9} {:>9} {:>8} {:>13} {:>6} {:>9}  reason",
        "id", "cells", "area km²", "mean risk", "max risk", "expected cells", "finds", "accidents"
    );
    for s in &r.suggestions {
        println!(
            "  {:<10} {:>6} {:>9.3} {:>9.3} {:>8.3} {:>13.2} {:>6} {:>9}  {}",
            s.id,
            s.cells.len(),
            s.area_m2 / 1e6,
            s.mean_risk,
            s.max_risk,
            s.expected_contaminated_cells,
            s.finds,
            s.accidents,
            s.reason
        );
    }
    match &a.out {
        Some(out) => println!(
            "wrote {} (import with `demine import hazards {}`); nothing was written to the registry",
            out.display(),
            out.display()
        ),
        None => println!("nothing was written to the registry; pass --out FILE.geojson to keep the areas"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's suggestions, scored against its hidden ground truth: what `demine demo` prints
/// and shows in report.html.
pub struct DemoSuggestions {
    pub outlines: Vec<MultiPolygon<f64>>,
    pub area_m2: f64,
    pub outside_area_m2: f64,
    /// True items outside every hazard (unrecorded contamination), and how many of them lie in
    /// a suggested area.
    pub outside_items: usize,
    pub caught_items: usize,
}

impl DemoSuggestions {
    /// Suggestions with the defaults of `demine risk suggest --seed SEED`; `None` (with a note)
    /// when the campaign gives nothing to learn from.
    pub fn compute(c: &demine_demo::Campaign, layers: &[ContextFeature], seed: u64) -> Option<DemoSuggestions> {
        let r = match for_demo(&c.hazards, &c.activities, &c.finds, &c.accidents, layers, seed) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("note: no suggested SHAs for this campaign: {e:#}");
                return None;
            }
        };
        let outlines: Vec<MultiPolygon<f64>> = r.suggestions.iter().map(|s| s.geometry.clone()).collect();
        let boxes: Vec<Option<geo::Rect<f64>>> = outlines.iter().map(geo::BoundingRect::bounding_rect).collect();
        let outside: Vec<&geo::Point<f64>> = c
            .ground_truth
            .iter()
            .filter(|t| t.hazard_id.is_none())
            .map(|t| &t.location)
            .collect();
        let caught_items = outside
            .iter()
            .filter(|p| {
                outlines.iter().zip(&boxes).any(|(m, b)| {
                    b.is_some_and(|b| geo::Contains::contains(&b, **p)) && geo::Contains::contains(m, **p)
                })
            })
            .count();
        Some(DemoSuggestions {
            area_m2: r.suggestions.iter().map(|s| s.area_m2).sum(),
            outside_area_m2: r.outside_area_m2,
            outlines,
            outside_items: outside.len(),
            caught_items,
        })
    }

    /// Share of the unrecorded true items caught, over the share of the outside area suggested.
    pub fn lift(&self) -> Option<f64> {
        let area_share = self.area_m2 / self.outside_area_m2;
        (self.outside_items > 0 && area_share > 0.0)
            .then(|| self.caught_items as f64 / self.outside_items as f64 / area_share)
    }

    pub fn json(&self) -> Value {
        json!({
            "areas": self.outlines.len(),
            "area_m2": self.area_m2,
            "outside_area_m2": self.outside_area_m2,
            "truth": {"outside_items": self.outside_items, "caught_items": self.caught_items, "lift": self.lift()},
        })
    }

    pub fn text(&self) -> String {
        format!(
            "suggested SHAs outside every hazard: {} area(s), {:.2} km² ({:.1} % of the {:.1} km² within 2 km); they hold \
             {} of the {} unrecorded true items ({:.1}× random); `demine risk suggest --out FILE.geojson` writes them",
            self.outlines.len(),
            self.area_m2 / 1e6,
            100.0 * self.area_m2 / self.outside_area_m2.max(1.0),
            self.outside_area_m2 / 1e6,
            self.caught_items,
            self.outside_items,
            self.lift().unwrap_or(0.0)
        )
    }

    pub fn section(&self) -> demine_report::Suggested<'_> {
        demine_report::Suggested {
            outlines: &self.outlines,
            area_m2: self.area_m2,
        }
    }
}
