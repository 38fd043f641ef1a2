//! Metrics of a risk score against labels: ROC-AUC, average precision (PR-AUC), Brier score, and
//! the recall of positives among the top q of cells by score.
//!
//! Scores are compared with [`f64::total_cmp`]; ties are handled exactly (average ranks for
//! ROC-AUC, one threshold per distinct score for average precision, tied cells shared
//! proportionally at the cut-off for recall). Functions that need both classes return `None`
//! when one is absent.

/// ROC-AUC as the Mann–Whitney U statistic with average ranks for ties:
/// AUC = (Σ ranks of positives − n₊(n₊+1)/2) / (n₊·n₋). `None` if a class is absent.
///
/// ```
/// use demine_risk::metrics::roc_auc;
/// assert_eq!(roc_auc(&[false, true], &[0.1, 0.9]), Some(1.0));
/// assert_eq!(roc_auc(&[false, true], &[0.5, 0.5]), Some(0.5));
/// ```
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    let n = labels.len().min(scores.len());
    let n_pos = labels[..n].iter().filter(|&&l| l).count();
    let n_neg = n - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]].total_cmp(&scores[order[i]]).is_eq() {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        let pos_in_tie = order[i..=j].iter().filter(|&&k| labels[k]).count();
        rank_sum_pos += avg * pos_in_tie as f64;
        i = j + 1;
    }
    let np = n_pos as f64;
    Some((rank_sum_pos - np * (np + 1.0) / 2.0) / (np * n_neg as f64))
}

/// Average precision, as scikit-learn's `average_precision_score`: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the
/// distinct score thresholds taken from the highest down. `None` without positives or without
/// negatives (a one-class fold says nothing about ranking).
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Option<f64> {
    let n = labels.len().min(scores.len());
    let n_pos = labels[..n].iter().filter(|&&l| l).count();
    if n_pos == 0 || n_pos == n {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut prev_recall = 0.0;
    let mut ap = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && scores[order[j]].total_cmp(&scores[order[i]]).is_eq() {
            if labels[order[j]] {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        let recall = tp as f64 / n_pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        i = j;
    }
    Some(ap)
}

/// Brier score: mean squared difference between probability and outcome (0 is perfect,
/// 0.25 is a constant ½). `None` for no rows.
pub fn brier(labels: &[bool], probs: &[f64]) -> Option<f64> {
    let n = labels.len().min(probs.len());
    if n == 0 {
        return None;
    }
    let s: f64 = (0..n)
        .map(|i| {
            let d = probs[i] - if labels[i] { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    Some(s / n as f64)
}

/// Share of all positives found among the top `fraction` of cells by score (the cells a survey
/// would visit first). The cut-off takes ⌈fraction·n⌉ cells; cells tied with the last one taken
/// count proportionally, so the result does not depend on row order. `None` without positives.
/// Random ordering gives `fraction` on average.
///
/// ```
/// use demine_risk::metrics::recall_at;
/// let labels = [true, false, true, false, false, false, false, false, false, false];
/// let scores = [0.9, 0.8, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// assert_eq!(recall_at(&labels, &scores, 0.2), Some(0.5));
/// ```
pub fn recall_at(labels: &[bool], scores: &[f64], fraction: f64) -> Option<f64> {
    let n = labels.len().min(scores.len());
    let n_pos = labels[..n].iter().filter(|&&l| l).count();
    if n_pos == 0 {
        return None;
    }
    let k = ((fraction.clamp(0.0, 1.0) * n as f64).ceil() as usize).min(n);
    if k == 0 {
        return Some(0.0);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let cut = scores[order[k - 1]];
    // Strictly above the cut-off: all taken; tied with it: taken in proportion.
    let above: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| scores[i].total_cmp(&cut).is_gt())
        .collect();
    let tied: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| scores[i].total_cmp(&cut).is_eq())
        .collect();
    let pos_above = above.iter().filter(|&&i| labels[i]).count() as f64;
    let pos_tied = tied.iter().filter(|&&i| labels[i]).count() as f64;
    let share = (k - above.len()) as f64 / tied.len() as f64;
    Some((pos_above + pos_tied * share) / n_pos as f64)
}

/// Mean log-loss (cross-entropy) of probabilities, clipped to [1e-15, 1 − 1e-15].
pub fn log_loss(labels: &[bool], probs: &[f64]) -> Option<f64> {
    let n = labels.len().min(probs.len());
    if n == 0 {
        return None;
    }
    let s: f64 = (0..n)
        .map(|i| {
            let p = probs[i].clamp(1e-15, 1.0 - 1e-15);
            if labels[i] {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    Some(s / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn auc_by_hand() {
        // Pairs (pos, neg): 0.8>0.2 ✓, 0.8>0.4 ✓, 0.4=0.4 ½, 0.4>0.2 ✓ → 3.5/4.
        let l = [true, true, false, false];
        let s = [0.8, 0.4, 0.4, 0.2];
        close(roc_auc(&l, &s).unwrap(), 0.875);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        close(roc_auc(&[true, false], &[0.1, 0.2]).unwrap(), 0.0);
    }

    #[test]
    fn ap_by_hand() {
        // Order: 0.9 (+), 0.8 (−), 0.7 (+): P@1 = 1 (R ½), P@3 = ⅔ (R 1) → ½ + ½·⅔.
        close(
            average_precision(&[true, false, true], &[0.9, 0.8, 0.7]).unwrap(),
            0.5 + 1.0 / 3.0,
        );
        // A tie of (+, −) at the top is one threshold: P = ½, R = 1.
        close(average_precision(&[true, false], &[0.5, 0.5]).unwrap(), 0.5);
        assert_eq!(average_precision(&[false, false], &[0.5, 0.1]), None);
    }

    #[test]
    fn brier_and_recall_by_hand() {
        close(brier(&[true, false], &[0.75, 0.25]).unwrap(), 0.0625);
        // Top 50 % of 4 cells = 2 cells; the 2nd and 3rd tie (one positive) → ½ of it.
        let l = [true, false, true, false];
        let s = [0.9, 0.5, 0.5, 0.1];
        close(recall_at(&l, &s, 0.5).unwrap(), (1.0 + 0.5) / 2.0);
        close(recall_at(&l, &s, 1.0).unwrap(), 1.0);
        // ⌈0.3·4⌉ = 2 cells.
        close(recall_at(&l, &s, 0.3).unwrap(), 0.75);
        assert_eq!(recall_at(&[false], &[0.1], 0.1), None);
    }

    /// Expected values computed with scikit-learn 1.9.1 (Python 3, `roc_auc_score`,
    /// `average_precision_score`, `brier_score_loss`, `log_loss`) on exactly these arrays, in a
    /// scratch session while writing this module.
    #[test]
    fn agrees_with_scikit_learn() {
        let l = [
            true, false, true, true, false, false, true, false, false, false, true, false, false, true, false, false,
            false, true, false, false,
        ];
        let s = [
            0.9, 0.1, 0.8, 0.4, 0.4, 0.35, 0.8, 0.2, 0.05, 0.6, 0.4, 0.1, 0.7, 0.3, 0.3, 0.1, 0.2, 0.55, 0.4, 0.0,
        ];
        close(roc_auc(&l, &s).unwrap(), SK_AUC);
        close(average_precision(&l, &s).unwrap(), SK_AP);
        close(brier(&l, &s).unwrap(), SK_BRIER);
        close(log_loss(&l, &s).unwrap(), SK_LOGLOSS);
    }

    const SK_AUC: f64 = 0.8516483516483516;
    const SK_AP: f64 = 0.7721611721611721;
    const SK_BRIER: f64 = 0.149875;
    const SK_LOGLOSS: f64 = 0.446453673743441;
}

/// One bin of a reliability diagram: predictions in [lo, hi), their mean and the observed
/// share of positives.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin.
    pub lo: f64,
    /// Upper edge of the bin.
    pub hi: f64,
    /// Cases in the bin.
    pub n: usize,
    /// Mean predicted probability in the bin (`None` when empty).
    pub mean_predicted: Option<f64>,
    /// Share of positives in the bin (`None` when empty).
    pub observed: Option<f64>,
}

/// Reliability diagram of probabilities against outcomes: `bins` equal-width bins over [0, 1]
/// (the last includes 1). A calibrated model's bins lie on the diagonal.
pub fn reliability_bins(labels: &[bool], probs: &[f64], bins: usize) -> Vec<ReliabilityBin> {
    let bins = bins.max(1);
    let mut acc = vec![(0usize, 0.0f64, 0usize); bins];
    for (l, p) in labels.iter().zip(probs) {
        if !p.is_finite() {
            continue;
        }
        let b = ((p.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += usize::from(*l);
    }
    acc.iter()
        .enumerate()
        .map(|(b, &(n, sum, pos))| ReliabilityBin {
            lo: b as f64 / bins as f64,
            hi: (b + 1) as f64 / bins as f64,
            n,
            mean_predicted: (n > 0).then(|| sum / n as f64),
            observed: (n > 0).then(|| pos as f64 / n as f64),
        })
        .collect()
}
