//! L2-regularised logistic regression, solved by Newton's method (IRLS).
//!
//! Preprocessing is part of the model, fitted on the training rows only: a missing value is
//! replaced by the feature's training median and a 0/1 *missing indicator* column is added for
//! every feature that had missing values in training (in mine action data "no record" often
//! means something); then every column is standardised (zero mean, unit variance), so one L2
//! strength suits all features whatever their units (metres, %, counts).
//!
//! The objective is Σ log-loss + (λ/2)·‖w‖² on the standardised columns, intercept unpenalised:
//! with λ = 1 this is scikit-learn's `LogisticRegression(C=1)`. With a few dozen features the
//! Hessian is tiny, so Newton's method with a Cholesky solve and step halving converges in ~10
//! iterations to machine precision, with no learning rate to tune and no randomness at all.
//! That is why this is hand-written (about 150 lines) rather than taken from `linfa-logistic`: that
//! crate brings ndarray and argmin for an L-BFGS solve, has no missing-value handling and no
//! standardisation, and would still need the wrapping below.

use crate::cv::inner_folds;
use crate::data::Dataset;
use crate::{sigmoid, Classifier, HeldOut, Result, RiskError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per chunk of the parallel sums.
const CHUNK: usize = 4096;

/// Settings of the logistic regression.
#[derive(Debug, Clone)]
pub struct LogisticParams {
    /// L2 strength λ on standardised coefficients (λ = 1/C in scikit-learn terms).
    pub l2: f64,
    /// Newton iterations at most.
    pub max_iter: usize,
    /// Inner grouped folds used to get held-out scores for calibration.
    pub calibration_folds: usize,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            l2: 1.0,
            max_iter: 100,
            calibration_folds: 3,
        }
    }
}

/// A fitted logistic regression with its preprocessing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Features read, in order.
    pub features: Vec<String>,
    /// Training median of each feature (imputes missing values).
    pub medians: Vec<f64>,
    /// For each feature, whether a missing-indicator column follows the features.
    pub indicators: Vec<bool>,
    /// Mean of each design column (features, then indicators).
    pub means: Vec<f64>,
    /// Standard deviation of each design column (1 where constant).
    pub scales: Vec<f64>,
    /// Coefficient of each standardised design column.
    pub coef: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
}

impl LogisticModel {
    /// Checks a model read from a file: one median and indicator flag per feature, one mean,
    /// scale and coefficient per design column, finite numbers. `Err` says what is wrong.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let f = self.features.len();
        if self.medians.len() != f || self.indicators.len() != f {
            return Err(format!(
                "{f} features but {} medians and {} indicator flags",
                self.medians.len(),
                self.indicators.len()
            ));
        }
        let columns = f + self.indicators.iter().filter(|x| **x).count();
        for (name, v) in [("means", &self.means), ("scales", &self.scales), ("coef", &self.coef)] {
            if v.len() != columns {
                return Err(format!(
                    "{name} has {} values; the model has {columns} design columns",
                    v.len()
                ));
            }
        }
        let all = self
            .medians
            .iter()
            .chain(&self.means)
            .chain(&self.scales)
            .chain(&self.coef);
        if let Some(x) = all.chain(std::iter::once(&self.intercept)).find(|x| !x.is_finite()) {
            return Err(format!("{x} is not a finite number"));
        }
        if let Some(s) = self.scales.iter().find(|s| **s <= 0.0) {
            return Err(format!("scale {s} must be above 0"));
        }
        Ok(())
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Solves the symmetric positive-definite system `a·x = b` (a is d×d row-major) by Cholesky.
fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>, d: usize) -> Option<Vec<f64>> {
    for j in 0..d {
        let mut s = a[j * d + j];
        for k in 0..j {
            s -= a[j * d + k] * a[j * d + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let l = s.sqrt();
        a[j * d + j] = l;
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = s / l;
        }
    }
    for i in 0..d {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * d + k] * b[k];
        }
        b[i] = s / a[i * d + i];
    }
    for i in (0..d).rev() {
        let mut s = b[i];
        for k in i + 1..d {
            s -= a[k * d + i] * b[k];
        }
        b[i] = s / a[i * d + i];
    }
    Some(b)
}

impl LogisticModel {
    /// The standardised design matrix (row-major, `rows × d`) of the given rows.
    fn design(&self, cols: &[&[f64]], rows: &[usize]) -> Vec<f64> {
        let d = self.means.len();
        let mut z = vec![0.0; rows.len() * d];
        for (r, &i) in rows.iter().enumerate() {
            let out = &mut z[r * d..(r + 1) * d];
            let mut k = self.features.len();
            for (j, c) in cols.iter().enumerate() {
                let v = c[i];
                let (x, miss) = if v.is_nan() { (self.medians[j], 1.0) } else { (v, 0.0) };
                out[j] = (x - self.means[j]) / self.scales[j];
                if self.indicators[j] {
                    out[k] = (miss - self.means[k]) / self.scales[k];
                    k += 1;
                }
            }
        }
        z
    }

    /// Fits on the labelled rows of `data`.
    pub fn fit_params(data: &Dataset, params: &LogisticParams) -> Result<LogisticModel> {
        let rows = data.labelled_rows();
        let y: Vec<f64> = rows
            .iter()
            .map(|&i| if data.labels()[i] == Some(true) { 1.0 } else { 0.0 })
            .collect();
        let n_pos = y.iter().filter(|&&v| v > 0.5).count();
        if n_pos == 0 || n_pos == y.len() {
            return Err(RiskError::Evaluation(format!(
                "{}: logistic regression needs both classes among the {} training rows",
                data.name(),
                y.len()
            )));
        }
        let p = data.n_features();
        let cols: Vec<&[f64]> = (0..p).map(|j| data.column(j)).collect();
        let mut medians = Vec::with_capacity(p);
        let mut indicators = Vec::with_capacity(p);
        for c in &cols {
            let mut present: Vec<f64> = rows.iter().map(|&i| c[i]).filter(|v| !v.is_nan()).collect();
            indicators.push(present.len() < rows.len());
            medians.push(median(&mut present));
        }
        let d = p + indicators.iter().filter(|&&b| b).count();
        let mut model = LogisticModel {
            features: data.feature_names().to_vec(),
            medians,
            indicators,
            means: vec![0.0; d],
            scales: vec![1.0; d],
            coef: vec![0.0; d],
            intercept: 0.0,
        };
        // Raw (unstandardised) design to get means and scales.
        let raw = model.design(&cols, &rows);
        let n = rows.len();
        for k in 0..d {
            let mean = (0..n).map(|r| raw[r * d + k]).sum::<f64>() / n as f64;
            let var = (0..n).map(|r| (raw[r * d + k] - mean).powi(2)).sum::<f64>() / n as f64;
            model.means[k] = mean;
            model.scales[k] = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let z = model.design(&cols, &rows);
        let (coef, intercept) = newton(&z, &y, d, params)?;
        model.coef = coef;
        model.intercept = intercept;
        Ok(model)
    }

    /// Log-odds for every row of `data` (features looked up by name).
    pub fn decision_function(&self, data: &Dataset) -> Result<Vec<f64>> {
        let cols = data.columns_for(&self.features)?;
        let d = self.means.len();
        let rows: Vec<usize> = (0..data.n_rows()).collect();
        let z = self.design(&cols, &rows);
        Ok((0..rows.len())
            .map(|r| self.intercept + (0..d).map(|k| z[r * d + k] * self.coef[k]).sum::<f64>())
            .collect())
    }
}

/// Newton/IRLS on the standardised design `z` (n × d, row-major): returns (coef, intercept).
fn newton(z: &[f64], y: &[f64], d: usize, params: &LogisticParams) -> Result<(Vec<f64>, f64)> {
    let n = y.len();
    let m = d + 1; // parameters: coef then intercept
    let mut w = vec![0.0; m];
    let base = y.iter().sum::<f64>() / n as f64;
    w[d] = (base / (1.0 - base)).ln();
    // Sums over fixed chunks of rows, added in chunk order: parallel, yet the same bits
    // whatever the number of threads.
    let objective = |w: &[f64]| -> f64 {
        let parts: Vec<f64> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut f = 0.0;
                for r in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    let t = w[d] + (0..d).map(|k| z[r * d + k] * w[k]).sum::<f64>();
                    let log1pexp = if t > 0.0 {
                        t + (-t).exp().ln_1p()
                    } else {
                        t.exp().ln_1p()
                    };
                    f += log1pexp - y[r] * t;
                }
                f
            })
            .collect();
        parts.iter().sum::<f64>() + 0.5 * params.l2 * w[..d].iter().map(|v| v * v).sum::<f64>()
    };
    let mut f = objective(&w);
    for _ in 0..params.max_iter {
        let parts: Vec<(Vec<f64>, Vec<f64>)> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut g = vec![0.0; m];
                let mut h = vec![0.0; m * m];
                let mut x = vec![0.0; m];
                for r in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    x[..d].copy_from_slice(&z[r * d..(r + 1) * d]);
                    x[d] = 1.0;
                    let t: f64 = (0..m).map(|k| x[k] * w[k]).sum();
                    let p = sigmoid(t);
                    let q = (p * (1.0 - p)).max(1e-12);
                    let e = p - y[r];
                    for a in 0..m {
                        g[a] += e * x[a];
                        let qa = q * x[a];
                        for b in 0..=a {
                            h[a * m + b] += qa * x[b];
                        }
                    }
                }
                (g, h)
            })
            .collect();
        let mut g = vec![0.0; m];
        let mut h = vec![0.0; m * m];
        for (pg, ph) in &parts {
            g.iter_mut().zip(pg).for_each(|(a, b)| *a += b);
            h.iter_mut().zip(ph).for_each(|(a, b)| *a += b);
        }
        for a in 0..m {
            for b in 0..a {
                h[b * m + a] = h[a * m + b];
            }
        }
        for k in 0..d {
            g[k] += params.l2 * w[k];
            h[k * m + k] += params.l2;
        }
        h[d * m + d] += 1e-10;
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gmax < 1e-8 * (n as f64).max(1.0) {
            break;
        }
        let step = cholesky_solve(h, g.clone(), m)
            .ok_or_else(|| RiskError::Evaluation("logistic regression: the Newton system is singular".into()))?;
        let slope: f64 = -(0..m).map(|k| step[k] * g[k]).sum::<f64>();
        let mut t = 1.0;
        let mut moved = false;
        while t > 1e-8 {
            let cand: Vec<f64> = (0..m).map(|k| w[k] - t * step[k]).collect();
            let fc = objective(&cand);
            if fc <= f + 1e-4 * t * slope {
                let done = (f - fc).abs() < 1e-12 * f.abs().max(1.0);
                w = cand;
                f = fc;
                moved = !done;
                break;
            }
            t /= 2.0;
        }
        if !moved {
            break;
        }
    }
    if w.iter().any(|v| !v.is_finite()) {
        return Err(RiskError::Evaluation(
            "logistic regression did not converge (non-finite coefficients)".into(),
        ));
    }
    let intercept = w[d];
    w.truncate(d);
    Ok((w, intercept))
}

impl Classifier for LogisticModel {
    fn fit(data: &Dataset, _seed: u64) -> Result<Self> {
        LogisticModel::fit_params(data, &LogisticParams::default())
    }
    /// Uncalibrated probabilities σ(log-odds).
    fn predict_proba(&self, data: &Dataset) -> Result<Vec<f64>> {
        Ok(self.decision_function(data)?.into_iter().map(sigmoid).collect())
    }
    fn feature_names(&self) -> &[String] {
        &self.features
    }
}

/// Fits on all labelled rows and returns, for calibration, out-of-fold scores of an inner
/// grouped split (`params.calibration_folds` folds; folds whose training part has one class are
/// skipped).
pub fn fit_with_held_out(data: &Dataset, params: &LogisticParams, seed: u64) -> Result<(LogisticModel, HeldOut)> {
    let labelled = data.subset(&data.labelled_rows());
    let folds = inner_folds(&labelled, params.calibration_folds, seed);
    let mut held = HeldOut::default();
    for f in 0..params.calibration_folds {
        let train: Vec<usize> = (0..labelled.n_rows()).filter(|&i| folds[i] != f).collect();
        let test: Vec<usize> = (0..labelled.n_rows()).filter(|&i| folds[i] == f).collect();
        if test.is_empty() {
            continue;
        }
        let Ok(m) = LogisticModel::fit_params(&labelled.subset(&train), params) else {
            continue;
        };
        let test_ds = labelled.subset(&test);
        held.scores.extend(m.decision_function(&test_ds)?);
        held.labels.extend(test_ds.labels().iter().map(|l| *l == Some(true)));
    }
    let model = LogisticModel::fit_params(&labelled, params)?;
    Ok((model, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves() {
        let x = cholesky_solve(vec![4.0, 2.0, 2.0, 3.0], vec![2.0, 1.0], 2).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
    }

    /// Coefficients checked against scikit-learn 1.9.1: `LogisticRegression(C=1.0, tol=1e-10,
    /// max_iter=10000)` on `StandardScaler().fit_transform(x)` for exactly this data (a scratch
    /// session while writing this module).
    #[test]
    fn matches_scikit_learn_on_a_small_problem() {
        let x0 = vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0];
        let x1 = vec![3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, 8.0];
        let y = [0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1];
        let labels = y.iter().map(|&v| Some(v == 1)).collect();
        let ds = Dataset::new(vec!["x0".into(), "x1".into()], vec![x0, x1], labels, vec![]).unwrap();
        let m = LogisticModel::fit_params(&ds, &LogisticParams::default()).unwrap();
        assert!(!m.indicators.iter().any(|&b| b));
        for (a, b) in m.coef.iter().zip(SK_COEF) {
            assert!((a - b).abs() < 1e-6, "{:?} vs {:?}", m.coef, SK_COEF);
        }
        assert!((m.intercept - SK_INTERCEPT).abs() < 1e-6, "{}", m.intercept);
    }
    const SK_COEF: [f64; 2] = [1.4114030441912215, -0.7525631294338649];
    const SK_INTERCEPT: f64 = -0.005429740238643321;

    #[test]
    fn missing_values_get_median_and_indicator() {
        let x0 = vec![1.0, f64::NAN, 3.0, 4.0, f64::NAN, 6.0];
        let labels = vec![
            Some(false),
            Some(true),
            Some(false),
            Some(true),
            Some(true),
            Some(false),
        ];
        let ds = Dataset::new(vec!["x0".into()], vec![x0], labels, vec![]).unwrap();
        let m = LogisticModel::fit_params(&ds, &LogisticParams::default()).unwrap();
        assert_eq!(m.medians, vec![3.5]);
        assert_eq!(m.indicators, vec![true]);
        // Missing rows are all positive: the indicator carries a positive weight.
        assert!(m.coef[1] > 0.0, "{:?}", m.coef);
        let p = m.predict_proba(&ds).unwrap();
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
