//! `demine-risk`: where contamination is likely. This crate owns the way from features to
//! models to evaluation:
//!
//! - [`data`]: tabular cells (one row per cell: numeric features, an optional 0/1 label, an
//!   optional spatial group) read from CSV with clear, located errors;
//! - [`logistic`]: L2-regularised logistic regression (median imputation, missing indicators,
//!   standardisation, Newton/IRLS);
//! - [`gbt`]: a compact histogram gradient-boosted tree classifier (missing values routed
//!   natively, early stopping on a *grouped* inner validation split);
//! - [`calibrate`]: Platt scaling fitted on held-out scores, so probabilities are honest;
//! - [`cv`]: grouped K-fold (or leave-one-group-out) spatial cross-validation;
//! - [`metrics`]: ROC-AUC, average precision (PR-AUC), Brier score, recall in the top q % of cells;
//! - [`cells`]: risk features on H3 cells from registry values (hazards, finds, accidents, context
//!   layers), the labels, and cross-validation of cells with features made without the held-out
//!   labels;
//! - [`suggest`]: suggested SHAs, high-risk land outside every recorded hazard, dissolved into
//!   areas for non-technical survey;
//! - [`truth`]: a risk map scored against a known truth (the SYNTHETIC demo's items).
//!
//! It must never depend on the store, SQL, a file format other than the tabular CSV, or the CLI:
//! engines take and return domain values (here [`Dataset`], probabilities and reports), and only
//! `demine-app` wires them to files and commands. Everything random takes a seed: the same data
//! and seed give the same folds, models and figures, bit for bit.
//!
//! ```
//! use demine_risk::{Dataset, ModelKind, RiskModel};
//! // Two features, a clear signal in the first.
//! let x0: Vec<f64> = (0..200).map(|i| (i % 20) as f64).collect();
//! let x1: Vec<f64> = (0..200).map(|i| ((i * 7) % 13) as f64).collect();
//! let labels: Vec<Option<bool>> = x0.iter().map(|v| Some(*v >= 14.0)).collect();
//! let groups: Vec<String> = (0..200).map(|i| format!("g{}", i % 10)).collect();
//! let data = Dataset::new(vec!["x0".into(), "x1".into()], vec![x0, x1], labels, groups).unwrap();
//! let model = RiskModel::fit(ModelKind::Logistic, &data, 7).unwrap();
//! let p = model.predict_proba(&data).unwrap();
//! assert!(p[19] > 0.5 && p[0] < 0.5);
//! ```

#![warn(missing_docs)]

pub mod calibrate;
pub mod cells;
pub mod cv;
pub mod data;
pub mod gbt;
pub mod logistic;
pub mod metrics;
pub mod suggest;
pub mod truth;

pub use cv::{
    assign_folds, cross_validate, cross_validate_with, CvReport, FoldAssignment, FoldFeatures, FoldReport, FoldScheme,
};
pub use data::{read_csv, read_csv_with, CsvSpec, Dataset, IgnoredColumn, ReadReport};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong, each naming the file and the column, line or feature concerned.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// The CSV is malformed (unequal row lengths, bad quoting, bad UTF-8).
    #[error("{path}: line {line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file (the header is line 1).
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// A column named on the command line is not in the file.
    #[error("{path}: no {role} column '{name}'; the columns are: {}", .available.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// What the column was for: "label", "group" or "--exclude".
        role: String,
        /// The name asked for.
        name: String,
        /// The columns the file has.
        available: Vec<String>,
    },
    /// Two columns have the same name.
    #[error("{path}: the column name '{name}' appears twice in the header; column names must be unique")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// The file has a header but no data rows.
    #[error("{path}: no data rows (only a header); nothing to learn from")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A label that is neither 0/1, true/false, yes/no nor empty.
    #[error(
        "{path}: line {line}: label column '{column}' holds '{value}', which is not a label; \
         use 0/1 (also true/false, yes/no) and leave it empty for unlabelled cells"
    )]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// The label column.
        column: String,
        /// 1-based line in the file.
        line: u64,
        /// The value found.
        value: String,
    },
    /// All labelled rows have the same class (or there is none): a classifier cannot be fitted.
    #[error(
        "{path}: label column '{column}' has a single class among its {labelled} labelled row(s) \
         ({positives} positive, {negatives} negative); a model needs both positive (1) and negative (0) cells"
    )]
    SingleClass {
        /// The file (or the data set's name).
        path: PathBuf,
        /// The label column.
        column: String,
        /// Labelled rows.
        labelled: usize,
        /// Positive rows.
        positives: usize,
        /// Negative rows.
        negatives: usize,
    },
    /// No column can serve as a feature.
    #[error(
        "{path}: no numeric feature column (apart from label, group and excluded columns){}",
        ignored_list(.ignored)
    )]
    NoFeatures {
        /// The file.
        path: PathBuf,
        /// The columns left out, with why.
        ignored: Vec<IgnoredColumn>,
    },
    /// A model needs features the data does not have.
    #[error("{source_name}: the model needs feature column(s) that are missing: {}", .missing.join(", "))]
    MissingFeatures {
        /// The file (or data set) scored.
        source_name: String,
        /// The missing features, each with why (absent or not numeric).
        missing: Vec<String>,
    },
    /// The data cannot support the evaluation asked for (too few groups, a training part with one class…).
    #[error("{0}")]
    Evaluation(String),
    /// Inconsistent inputs given to a library function (lengths that differ…).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A model file that cannot be read back.
    #[error("{path}: not a demine risk model: {message}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn ignored_list(ignored: &[IgnoredColumn]) -> String {
    if ignored.is_empty() {
        String::new()
    } else {
        let v: Vec<String> = ignored.iter().map(|c| c.to_string()).collect();
        format!("; ignored: {}", v.join("; "))
    }
}

/// Result type of this crate.
pub type Result<T, E = RiskError> = std::result::Result<T, E>;

/// A probabilistic classifier of cells, fitted on the labelled rows of a [`Dataset`].
///
/// Implementations use only labelled rows to fit, look features up by name when predicting (so
/// column order does not matter), and are deterministic for a seed.
pub trait Classifier: Sized {
    /// Fits on the labelled rows of `data`.
    fn fit(data: &Dataset, seed: u64) -> Result<Self>;
    /// A score per row of `data` (all rows, labelled or not): a probability in [0, 1].
    fn predict_proba(&self, data: &Dataset) -> Result<Vec<f64>>;
    /// The feature names the model reads.
    fn feature_names(&self) -> &[String];
}

/// Which model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Logistic regression ([`logistic`]).
    #[serde(rename = "lr")]
    Logistic,
    /// Histogram gradient-boosted trees ([`gbt`]).
    #[serde(rename = "gbt")]
    Gbt,
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModelKind::Logistic => "lr",
            ModelKind::Gbt => "gbt",
        })
    }
}

/// The fitted model inside a [`RiskModel`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fitted {
    /// Logistic regression.
    #[serde(rename = "lr")]
    Logistic(logistic::LogisticModel),
    /// Gradient-boosted trees.
    #[serde(rename = "gbt")]
    Gbt(gbt::GbtModel),
}

/// The marker written in every model file.
pub const MODEL_FORMAT: &str = "demine-risk-model";
/// The version of the model file format.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// A calibrated risk model: a fitted classifier followed by Platt scaling fitted on held-out
/// scores. This is what `demine risk train` writes (as JSON) and `demine risk score` reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskModel {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Always [`MODEL_FORMAT_VERSION`] for files this version writes.
    pub version: u32,
    /// The seed it was fitted with.
    pub seed: u64,
    /// Labelled rows it was fitted on.
    pub trained_rows: usize,
    /// Positive rows among them.
    pub trained_positives: usize,
    /// The calibration applied to the raw score.
    pub calibration: calibrate::Platt,
    /// The model.
    pub model: Fitted,
}

impl RiskModel {
    /// Fits a calibrated model of the given kind on the labelled rows of `data`.
    ///
    /// The calibration is fitted on held-out scores: out-of-fold scores of an inner grouped
    /// 3-fold split for logistic regression, the grouped early-stopping split for trees.
    pub fn fit(kind: ModelKind, data: &Dataset, seed: u64) -> Result<RiskModel> {
        let (positives, negatives) = data.class_counts();
        if positives == 0 || negatives == 0 {
            return Err(RiskError::SingleClass {
                path: PathBuf::from(data.name()),
                column: data.label_name().to_string(),
                labelled: positives + negatives,
                positives,
                negatives,
            });
        }
        let (model, calibration) = match kind {
            ModelKind::Logistic => {
                let (m, held) = logistic::fit_with_held_out(data, &logistic::LogisticParams::default(), seed)?;
                (Fitted::Logistic(m), calibrate::Platt::fit(&held.scores, &held.labels))
            }
            ModelKind::Gbt => {
                let (m, held) = gbt::fit_with_held_out(data, &gbt::GbtParams::default(), seed)?;
                (Fitted::Gbt(m), calibrate::Platt::fit(&held.scores, &held.labels))
            }
        };
        Ok(RiskModel {
            format: MODEL_FORMAT.into(),
            version: MODEL_FORMAT_VERSION,
            seed,
            trained_rows: positives + negatives,
            trained_positives: positives,
            calibration,
            model,
        })
    }

    /// The model family.
    pub fn kind(&self) -> ModelKind {
        match self.model {
            Fitted::Logistic(_) => ModelKind::Logistic,
            Fitted::Gbt(_) => ModelKind::Gbt,
        }
    }

    /// The feature names the model reads.
    pub fn feature_names(&self) -> &[String] {
        match &self.model {
            Fitted::Logistic(m) => m.feature_names(),
            Fitted::Gbt(m) => m.feature_names(),
        }
    }

    /// Raw (uncalibrated) scores: log-odds, one per row.
    pub fn decision_function(&self, data: &Dataset) -> Result<Vec<f64>> {
        match &self.model {
            Fitted::Logistic(m) => m.decision_function(data),
            Fitted::Gbt(m) => m.decision_function(data),
        }
    }

    /// Calibrated probabilities of contamination, one per row of `data`, in [0, 1].
    pub fn predict_proba(&self, data: &Dataset) -> Result<Vec<f64>> {
        let raw = self.decision_function(data)?;
        Ok(raw.into_iter().map(|s| self.calibration.apply(s)).collect())
    }

    /// The model as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| RiskError::Invalid(format!("cannot serialise the model: {e}")))
    }

    /// Reads a model back from JSON; `path` is only used in messages.
    pub fn from_json(text: &str, path: &std::path::Path) -> Result<RiskModel> {
        let err = |message: String| RiskError::ModelFile {
            path: path.to_path_buf(),
            message,
        };
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON ({e})")))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(MODEL_FORMAT) {
            return Err(err(format!(
                "no \"format\": \"{MODEL_FORMAT}\" marker; write one with `demine risk train`"
            )));
        }
        let m: RiskModel = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
        if m.version != MODEL_FORMAT_VERSION {
            return Err(err(format!(
                "format version {} is not supported (this demine reads version {MODEL_FORMAT_VERSION})",
                m.version
            )));
        }
        let checked = match &m.model {
            Fitted::Logistic(l) => l.validate(),
            Fitted::Gbt(g) => g.validate(),
        };
        checked.map_err(|why| {
            err(format!(
                "the model is malformed: {why}; write a model with `demine risk train`"
            ))
        })?;
        if !(m.calibration.a.is_finite() && m.calibration.b.is_finite()) {
            return Err(err("the calibration is not finite numbers".into()));
        }
        Ok(m)
    }
}

/// Held-out raw scores with their labels, for calibration.
#[derive(Debug, Clone, Default)]
pub struct HeldOut {
    /// Raw scores (log-odds) of rows the model (or its inner copy) did not see.
    pub scores: Vec<f64>,
    /// Their labels.
    pub labels: Vec<bool>,
}

impl Classifier for RiskModel {
    /// Fits a calibrated gradient-boosted tree model (the stronger default).
    fn fit(data: &Dataset, seed: u64) -> Result<Self> {
        RiskModel::fit(ModelKind::Gbt, data, seed)
    }
    fn predict_proba(&self, data: &Dataset) -> Result<Vec<f64>> {
        RiskModel::predict_proba(self, data)
    }
    fn feature_names(&self) -> &[String] {
        RiskModel::feature_names(self)
    }
}

/// The logistic function, safe for large |x|.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
