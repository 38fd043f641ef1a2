//! Calibration: Platt scaling, p = σ(a·s + b), fitted on held-out raw scores s.
//!
//! Risk scores feed expected contaminated areas and residual-risk statements, so a 0.2 must mean
//! "about one cell in five". Models fitted on one part of the land and applied to another are
//! usually over-confident; refitting a two-parameter sigmoid on scores the model did not train on
//! (out-of-fold or a grouped held-out split) corrects that without changing the ranking (a > 0
//! keeps the order). Platt's smoothed targets ((n₊+1)/(n₊+2) and 1/(n₋+2)) keep it finite when the
//! held-out scores separate perfectly. Isotonic regression was not chosen: with 2–10 % positives
//! and a few thousand held-out cells its steps are noisy and it creates ties that blunt ROC-AUC.

use crate::sigmoid;
use serde::{Deserialize, Serialize};

/// A fitted Platt scaling: probability = σ(a·score + b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope (1 = keep the model's confidence; < 1 = soften it).
    pub a: f64,
    /// Intercept (shifts the base rate).
    pub b: f64,
}

impl Default for Platt {
    fn default() -> Self {
        Platt { a: 1.0, b: 0.0 }
    }
}

impl Platt {
    /// Fits on held-out raw scores and their labels by Newton's method with backtracking
    /// (Lin, Lin & Weng 2007). With no scores, or one class only, returns the identity.
    pub fn fit(scores: &[f64], labels: &[bool]) -> Platt {
        let n = scores.len().min(labels.len());
        let n_pos = labels[..n].iter().filter(|&&l| l).count();
        let n_neg = n - n_pos;
        if n_pos == 0 || n_neg == 0 {
            return Platt::default();
        }
        let hi = (n_pos as f64 + 1.0) / (n_pos as f64 + 2.0);
        let lo = 1.0 / (n_neg as f64 + 2.0);
        let t: Vec<f64> = labels[..n].iter().map(|&l| if l { hi } else { lo }).collect();
        let s = &scores[..n];
        let loss = |a: f64, b: f64| -> f64 {
            (0..n)
                .map(|i| {
                    // −[t log p + (1−t) log(1−p)] written stably with z = a·s + b.
                    let z = a * s[i] + b;
                    let log1pexp = if z > 0.0 {
                        z + (-z).exp().ln_1p()
                    } else {
                        z.exp().ln_1p()
                    };
                    log1pexp - t[i] * z
                })
                .sum()
        };
        let (mut a, mut b) = (1.0, ((n_pos as f64 + 1.0) / (n_neg as f64 + 1.0)).ln());
        // Start from the identity slope on the score scale; shift b to the base rate.
        let mut f = loss(a, b);
        for _ in 0..100 {
            let (mut g1, mut g2, mut h11, mut h12, mut h22) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
            for i in 0..n {
                let p = sigmoid(a * s[i] + b);
                let d = p - t[i];
                let w = (p * (1.0 - p)).max(1e-12);
                g1 += d * s[i];
                g2 += d;
                h11 += w * s[i] * s[i];
                h12 += w * s[i];
                h22 += w;
            }
            if g1.abs() < 1e-9 * n as f64 && g2.abs() < 1e-9 * n as f64 {
                break;
            }
            let det = h11 * h22 - h12 * h12;
            if det.abs() < 1e-300 {
                break;
            }
            let da = -(h22 * g1 - h12 * g2) / det;
            let db = -(-h12 * g1 + h11 * g2) / det;
            let mut step = 1.0;
            let mut improved = false;
            while step > 1e-10 {
                let (na, nb) = (a + step * da, b + step * db);
                let nf = loss(na, nb);
                if nf < f + 1e-4 * step * (g1 * da + g2 * db) {
                    a = na;
                    b = nb;
                    f = nf;
                    improved = true;
                    break;
                }
                step /= 2.0;
            }
            if !improved {
                break;
            }
        }
        if !(a.is_finite() && b.is_finite()) {
            return Platt::default();
        }
        Platt { a, b }
    }

    /// The calibrated probability of a raw score.
    pub fn apply(&self, score: f64) -> f64 {
        sigmoid(self.a * score + self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_sigmoid() {
        // Outcomes drawn (deterministically, by quantile) from p = σ(0.5·s − 1).
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for k in 0..200 {
            let s = -6.0 + 12.0 * k as f64 / 199.0;
            let p = sigmoid(0.5 * s - 1.0);
            for r in 0..50 {
                scores.push(s);
                labels.push((r as f64 + 0.5) / 50.0 < p);
            }
        }
        let c = Platt::fit(&scores, &labels);
        assert!((c.a - 0.5).abs() < 0.02 && (c.b + 1.0).abs() < 0.03, "{c:?}");
    }

    #[test]
    fn one_class_or_nothing_is_identity() {
        assert_eq!(Platt::fit(&[], &[]), Platt::default());
        assert_eq!(Platt::fit(&[1.0, 2.0], &[true, true]), Platt::default());
        let c = Platt::fit(&[0.0, 0.0, 0.0], &[true, false, false]);
        assert!(c.a.is_finite() && c.b.is_finite());
    }
}
