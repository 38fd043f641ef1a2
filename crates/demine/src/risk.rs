//! `demine risk evaluate | train | score`: the tabular risk model on a CSV of cells. Wires files
//! to `demine-risk` and prints results; the models and metrics live in that crate.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use demine_risk::cv::RECALL_FRACTIONS;
use demine_risk::{cross_validate, read_csv, CsvSpec, CvReport, ModelKind, ReadReport, RiskError, RiskModel};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status for input that was refused (bad data, bad model file).
const EXIT_REFUSED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Logistic regression (median imputation, missing indicators, standardised, L2).
    Lr,
    /// Gradient-boosted trees (histograms, native missing values, grouped early stopping).
    Gbt,
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Lr => ModelKind::Logistic,
            ModelArg::Gbt => ModelKind::Gbt,
        }
    }
}

/// Which columns of the cells CSV play which part.
#[derive(Debug, Args)]
pub struct CellsArgs {
    /// The cells: a CSV with a header, one row per cell. Numeric columns are features; others
    /// are ignored (and listed).
    #[arg(long, value_name = "FILE.csv")]
    pub cells: PathBuf,
    /// Label column: 1/0 (also true/false, yes/no); empty = unlabelled.
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Columns that are not features (ids, coordinates…), comma-separated.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
    pub model: ModelArg,
    /// Random seed: the same seed gives the same folds, models and figures.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Build the risk map of the registry: features on H3 cells over the hazards (with a
    /// margin), a model trained on cells with finds or accidents (positive) and cells searched
    /// clean (negative), scored by spatial cross-validation; saved as the `risk_cells` layer and
    /// per hazard as expected contaminated share and P(any item).
    Build {
        /// H3 resolution, 7 (~5 km² cells) to 11 (~2,150 m²); 9 is ~0.1 km².
        #[arg(long, default_value_t = 9)]
        res: u8,
        #[arg(long, value_enum, default_value_t = ModelArg::Gbt)]
        model: ModelArg,
        /// Random seed: the same seed gives the same map.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Kernel bandwidth for find and accident densities, in metres.
        #[arg(long, default_value_t = 1000.0, value_name = "M")]
        bandwidth_m: f64,
        /// Margin the grid adds around the hazards, in metres (whole H3 rings). Cells there carry
        /// no labels (nothing was searched), so their risk is the model's extrapolation: read it
        /// as a lead for non-technical survey, not as evidence.
        #[arg(long, default_value_t = 0.0, value_name = "M")]
        margin_m: f64,
        /// Map this region instead of the hazards: a GeoJSON or CSV (`wkt` column) file of
        /// Polygon/MultiPolygon features, WGS84. The grid is every cell whose centre lies in it
        /// (`--margin-m` is then ignored).
        #[arg(long, value_name = "FILE")]
        region: Option<PathBuf>,
        /// Folds of the spatial cross-validation reported with the map.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Cross-validate on at most about this many labelled cells (whole groups drawn by seed).
        #[arg(long, default_value_t = 200_000, value_name = "N")]
        cv_max_rows: usize,
        /// Train the map's model on at most about this many labelled cells (whole groups drawn by
        /// seed); 0 = every labelled cell. Every cell is still scored.
        #[arg(long, default_value_t = crate::risk_build::TRAIN_MAX_ROWS, value_name = "N")]
        train_max_rows: usize,
        #[arg(long)]
        json: bool,
    },
    /// Suggest new SHAs: high-risk land outside every hazard, for non-technical survey.
    ///
    /// A model trained on the labelled cells (with features that mean the same outside hazards)
    /// scores the land around the hazards (or in --region); finds and accidents outside every
    /// hazard count as direct evidence. Neighbouring cells above the threshold become one area;
    /// areas are ranked by expected contaminated cells. Nothing is written to the registry:
    /// --out writes a GeoJSON file that `demine import hazards` takes as it is.
    Suggest(crate::risk_suggest::SuggestArgs),
    /// Spatial cross-validation on a CSV of cells: ROC-AUC, PR-AUC, Brier, recall in the top 10/20/30 %.
    ///
    /// Cells of one group (a municipality, an H3 parent cell…) always fall in the same fold.
    /// Folds whose held-out cells are all of one class are left out of the AUC means and counted.
    Evaluate {
        #[command(flatten)]
        cells: CellsArgs,
        /// Group column: cells of a group are held out together.
        #[arg(long, value_name = "COL")]
        group: String,
        /// Number of folds (leave-one-group-out when there are no more groups than this).
        #[arg(long, default_value_t = 5, value_name = "K")]
        folds: usize,
        /// Write each row's fold and out-of-fold probability to this CSV
        /// (`row,group,label,fold,risk_oof`; row is the 0-based data row, fold is 1-based).
        #[arg(long, value_name = "FILE.csv")]
        folds_out: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Fit a calibrated model on all labelled cells and write it as JSON.
    Train {
        #[command(flatten)]
        cells: CellsArgs,
        /// Group column (optional): used for the inner held-out split (early stopping, calibration).
        #[arg(long, value_name = "COL")]
        group: Option<String>,
        /// The model file to write.
        #[arg(long, value_name = "MODEL.json")]
        out: PathBuf,
    },
    /// Score cells with a trained model: writes the CSV with a `risk` column (probability 0..1) added.
    Score {
        /// The cells: a CSV with the model's feature columns.
        #[arg(long, value_name = "FILE.csv")]
        cells: PathBuf,
        /// A model written by `demine risk train`.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// The scored CSV to write (all input columns, then `risk`).
        #[arg(long, value_name = "SCORED.csv")]
        out: PathBuf,
    },
}

/// Runs a `risk` subcommand. Refused input prints the reason and exits with status 2.
pub fn run(cmd: RiskCommand) -> Result<ExitCode> {
    let result = match cmd {
        RiskCommand::Evaluate {
            cells,
            group,
            folds,
            folds_out,
            json,
        } => evaluate(&cells, &group, folds, folds_out.as_deref(), json),
        RiskCommand::Train { cells, group, out } => train(&cells, group.as_deref(), &out),
        RiskCommand::Score { cells, model, out } => score(&cells, &model, &out),
        RiskCommand::Build { .. } | RiskCommand::Suggest(_) => {
            bail!("`risk build` and `risk suggest` work on the registry; they are dispatched with --db")
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast_ref::<RiskError>() {
            Some(r) => {
                eprintln!("error: {r}");
                Ok(ExitCode::from(EXIT_REFUSED))
            }
            None => Err(e),
        },
    }
}

fn read(cells: &CellsArgs, group: Option<&str>) -> Result<(demine_risk::Dataset, ReadReport)> {
    let spec = CsvSpec {
        label: Some(cells.label.clone()),
        group: group.map(str::to_string),
        exclude: cells.exclude.iter().filter(|e| !e.is_empty()).cloned().collect(),
    };
    let (ds, report) = read_csv(&cells.cells, &spec)?;
    for n in report.notes() {
        eprintln!("note: {}: {n}", cells.cells.display());
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

fn evaluate_json(cells: &CellsArgs, group: &str, rep: &ReadReport, cv: &CvReport) -> Value {
    let per_fold: Vec<Value> = cv
        .per_fold
        .iter()
        .map(|f| {
            json!({
                "fold": f.fold + 1,
                "groups": f.groups,
                "train_rows": f.train_rows,
                "test_rows": f.test_rows,
                "test_positives": f.test_positives,
                "single_class": f.single_class,
                "auc": opt(f.auc),
                "pr_auc": opt(f.pr_auc),
                "brier": opt(f.brier),
                "recall_at": recall_obj(&f.recall_at),
            })
        })
        .collect();
    let non_finite: serde_json::Map<String, Value> = rep
        .non_finite
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(*v)))
        .collect();
    json!({
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
    })
}

fn f3(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", 100.0 * x)).unwrap_or_else(|| "—".into())
}

fn evaluate_text(cells: &CellsArgs, group: &str, rep: &ReadReport, cv: &CvReport) -> String {
    let mut s = String::new();
    let scheme = match cv.scheme {
        demine_risk::FoldScheme::GroupKFold => "grouped K-fold",
        demine_risk::FoldScheme::LeaveOneGroupOut => "leave-one-group-out",
    };
    s.push_str(&format!(
        "Spatial cross-validation of {} — model {} (seed {})\n",
        cells.cells.display(),
        cv.model,
        cv.seed
    ));
    s.push_str(&format!(
        "cells: {} rows, {} labelled, {} positive ({:.1} % of labelled); {} groups by '{}'\n",
        rep.rows,
        rep.labelled,
        rep.positives,
        100.0 * rep.positives as f64 / rep.labelled.max(1) as f64,
        rep.groups,
        group
    ));
    s.push_str(&format!(
        "features ({}): {}\n",
        rep.features.len(),
        rep.features.join(", ")
    ));
    if !rep.ignored.is_empty() {
        let v: Vec<String> = rep.ignored.iter().map(|c| c.to_string()).collect();
        s.push_str(&format!("ignored columns: {}\n", v.join("; ")));
    }
    s.push_str(&format!(
        "folds: {} ({scheme}); {} with a single class in the held-out cells (left out of AUC and recall means)\n\n",
        cv.folds, cv.folds_single_class
    ));
    s.push_str(&format!(
        "{:>4} {:>6} {:>9} {:>9} {:>8} {:>8} {:>7} {:>10} {:>9} {:>9}\n",
        "fold", "groups", "held-out", "positive", "ROC-AUC", "PR-AUC", "Brier", "recall@10%", "@20%", "@30%"
    ));
    for f in &cv.per_fold {
        s.push_str(&format!(
            "{:>4} {:>6} {:>9} {:>9} {:>8} {:>8} {:>7} {:>10} {:>9} {:>9}\n",
            f.fold + 1,
            f.groups,
            f.test_rows,
            f.test_positives,
            f3(f.auc),
            f3(f.pr_auc),
            f3(f.brier),
            pct(f.recall_at[0]),
            pct(f.recall_at[1]),
            pct(f.recall_at[2]),
        ));
    }
    s.push_str(&format!(
        "{:>4} {:>6} {:>9} {:>9} {:>8} {:>8} {:>7} {:>10} {:>9} {:>9}\n",
        "mean",
        "",
        "",
        "",
        f3(cv.auc_mean),
        f3(cv.pr_auc_mean),
        f3(cv.brier_mean),
        pct(cv.recall_at[0]),
        pct(cv.recall_at[1]),
        pct(cv.recall_at[2]),
    ));
    s.push_str(&format!(
        "\nROC-AUC: 0.5 = random, 1 = perfect ranking (± {} over folds). PR-AUC: average precision; random = the \
         positive share ({:.3}). Brier: mean squared error of the probability (lower is better). recall@q: share of \
         the held-out positives among the top q of held-out cells by risk (random = q).\n",
        f3(cv.auc_std),
        rep.positives as f64 / rep.labelled.max(1) as f64,
    ));
    s
}

/// Writes `text` to `path` through a temporary file in the same folder, so a failure never
/// leaves half a file.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        bail!("{}: folder {} does not exist", path.display(), dir.display());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.flush()?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}

fn evaluate(cells: &CellsArgs, group: &str, folds: usize, folds_out: Option<&Path>, as_json: bool) -> Result<()> {
    let (ds, rep) = read(cells, Some(group))?;
    let cv = cross_validate(&ds, cells.model.into(), folds, cells.seed)?;
    if cv.folds_single_class == cv.folds {
        eprintln!(
            "note: {}: every held-out fold holds a single class, so there is no ROC-AUC, PR-AUC or recall; \
             use fewer folds (--folds) or larger groups",
            cells.cells.display()
        );
    }
    if let Some(p) = folds_out {
        write_atomically(p, |f| {
            let mut w = std::io::BufWriter::new(f);
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
            w.flush()
        })?;
    }
    if as_json {
        println!("{}", evaluate_json(cells, group, &rep, &cv));
    } else {
        print!("{}", evaluate_text(cells, group, &rep, &cv));
    }
    Ok(())
}

fn train(cells: &CellsArgs, group: Option<&str>, out: &Path) -> Result<()> {
    let (ds, rep) = read(cells, group)?;
    let model = RiskModel::fit(cells.model.into(), &ds, cells.seed)?;
    let text = model.to_json()?;
    write_atomically(out, |f| f.write_all(text.as_bytes()))?;
    eprintln!(
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
    );
    Ok(())
}

fn score(cells: &Path, model_path: &Path, out: &Path) -> Result<()> {
    let text = std::fs::read_to_string(model_path).map_err(|e| RiskError::Io {
        path: model_path.to_path_buf(),
        message: e.to_string(),
    })?;
    let model = RiskModel::from_json(&text, model_path)?;
    let (ds, rep) = match read_csv(cells, &CsvSpec::default()) {
        Ok(r) => r,
        // No numeric column at all: say which features the model needs.
        Err(RiskError::NoFeatures { .. }) => {
            return Err(RiskError::MissingFeatures {
                source_name: cells.display().to_string(),
                missing: model.feature_names().to_vec(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    // Name every missing feature, and say when it is there but not numeric.
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
        return Err(RiskError::MissingFeatures {
            source_name: cells.display().to_string(),
            missing,
        }
        .into());
    }
    let probs = model.predict_proba(&ds)?;
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(cells)
        .with_context(|| format!("{}: cannot read", cells.display()))?;
    let headers = rdr.headers()?.clone();
    if headers.iter().any(|h| h == "risk") {
        return Err(RiskError::Invalid(format!(
            "{}: already has a 'risk' column; rename or drop it before scoring",
            cells.display()
        ))
        .into());
    }
    write_atomically(out, |f| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
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
    eprintln!(
        "scored {} cells of {} with a {} model ({} features); wrote {} (column 'risk': probability 0..1)",
        ds.n_rows(),
        cells.display(),
        model.kind(),
        model.feature_names().len(),
        out.display()
    );
    Ok(())
}
