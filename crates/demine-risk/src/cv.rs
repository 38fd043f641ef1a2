//! Spatial cross-validation: grouped K-fold, or leave-one-group-out when there are no more groups
//! than folds.
//!
//! Neighbouring cells share their evidence (the same minefield, the same front line), so a
//! random split lets a model "remember" a field it is then tested on and reports optimistic
//! figures. All labelled cells of a group (a municipality, an H3 parent cell…) therefore fall in
//! the same fold. Groups are shuffled by the seed and dealt, in that order, to the fold with the
//! fewest labelled cells so far, so folds are balanced and the split is reproducible. Unlabelled
//! rows take no part.
//!
//! Each fold fits a calibrated model ([`crate::RiskModel::fit`]) on the other folds and scores its
//! own cells. A held-out part with a single class has no ROC-AUC or average precision: such folds
//! are left out of those means (and of the recall means) and counted in
//! [`CvReport::folds_single_class`]; their Brier score still counts.

use crate::data::Dataset;
use crate::metrics::{average_precision, brier, recall_at, roc_auc};
use crate::{ModelKind, Result, RiskError, RiskModel};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// The top fractions of cells at which recall is reported.
pub const RECALL_FRACTIONS: [f64; 3] = [0.1, 0.2, 0.3];

/// How the folds were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoldScheme {
    /// Groups dealt to K folds.
    GroupKFold,
    /// One fold per group (there were no more groups than folds asked for).
    LeaveOneGroupOut,
}

/// Which fold each row belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct FoldAssignment {
    /// How the folds were made.
    pub scheme: FoldScheme,
    /// Number of folds.
    pub n_folds: usize,
    /// Fold of each row (`None` for unlabelled rows).
    pub fold_of_row: Vec<Option<usize>>,
}

/// Deals the groups of labelled rows to `k` folds (see the module doc). Leave-one-group-out when
/// there are at most `k` groups. Fails with fewer than 2 folds or fewer than 2 groups.
pub fn assign_folds(data: &Dataset, k: usize, seed: u64) -> Result<FoldAssignment> {
    if k < 2 {
        return Err(RiskError::Evaluation(format!(
            "cross-validation needs at least 2 folds (asked for {k})"
        )));
    }
    let rows = data.labelled_rows();
    let ids = data.group_ids();
    let mut sizes: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
    for &i in &rows {
        *sizes.entry(ids[i]).or_default() += 1;
    }
    let groups: Vec<u32> = sizes.keys().copied().collect();
    if groups.len() < 2 {
        let which = rows.first().map(|&i| data.group_name(i)).unwrap_or_default();
        return Err(RiskError::Evaluation(format!(
            "{}: all labelled cells are in one group ('{which}'); spatial cross-validation needs at least 2 groups",
            data.name()
        )));
    }
    let mut fold_of_group: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let (scheme, n_folds) = if groups.len() <= k {
        let mut by_name: Vec<u32> = groups.clone();
        if data.has_groups() {
            by_name.sort_by(|a, b| data.group_names()[*a as usize].cmp(&data.group_names()[*b as usize]));
        }
        for (f, g) in by_name.iter().enumerate() {
            fold_of_group.insert(*g, f);
        }
        (FoldScheme::LeaveOneGroupOut, groups.len())
    } else {
        let mut order = groups.clone();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let mut load = vec![0usize; k];
        for g in order {
            let f = (0..k).min_by_key(|&f| (load[f], f)).unwrap_or(0);
            load[f] += sizes[&g];
            fold_of_group.insert(g, f);
        }
        (FoldScheme::GroupKFold, k)
    };
    let mut fold_of_row = vec![None; data.n_rows()];
    for &i in &rows {
        fold_of_row[i] = fold_of_group.get(&ids[i]).copied();
    }
    Ok(FoldAssignment {
        scheme,
        n_folds,
        fold_of_row,
    })
}

/// Inner folds for early stopping and calibration, on rows that are all labelled: by group when
/// there are at least `k` groups, else rows dealt at random. Returns the fold of each row.
pub(crate) fn inner_folds(data: &Dataset, k: usize, seed: u64) -> Vec<usize> {
    let n = data.n_rows();
    let k = k.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_1AA7_F01D_0001);
    let ids = data.group_ids();
    let mut sizes: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
    for &g in ids {
        *sizes.entry(g).or_default() += 1;
    }
    if data.has_groups() && sizes.len() >= k {
        let mut order: Vec<u32> = sizes.keys().copied().collect();
        order.shuffle(&mut rng);
        let mut load = vec![0usize; k];
        let mut fold_of_group = std::collections::HashMap::new();
        for g in order {
            let f = (0..k).min_by_key(|&f| (load[f], f)).unwrap_or(0);
            load[f] += sizes[&g];
            fold_of_group.insert(g, f);
        }
        ids.iter().map(|g| fold_of_group.get(g).copied().unwrap_or(0)).collect()
    } else {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let mut fold = vec![0; n];
        for (pos, i) in order.into_iter().enumerate() {
            fold[i] = pos % k;
        }
        fold
    }
}

/// Figures of one fold.
#[derive(Debug, Clone, Serialize)]
pub struct FoldReport {
    /// Fold number, from 0.
    pub fold: usize,
    /// Groups held out.
    pub groups: usize,
    /// Labelled cells trained on.
    pub train_rows: usize,
    /// Labelled cells held out.
    pub test_rows: usize,
    /// Positives held out.
    pub test_positives: usize,
    /// Whether the held-out cells are all of one class (then no AUC).
    pub single_class: bool,
    /// ROC-AUC of the held-out cells.
    pub auc: Option<f64>,
    /// Average precision of the held-out cells.
    pub pr_auc: Option<f64>,
    /// Brier score of the held-out cells.
    pub brier: Option<f64>,
    /// Recall in the top 10 %, 20 %, 30 % of held-out cells.
    pub recall_at: [Option<f64>; 3],
}

/// Result of a cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    /// The model family.
    pub model: ModelKind,
    /// The seed.
    pub seed: u64,
    /// How the folds were made.
    pub scheme: FoldScheme,
    /// Folds used.
    pub folds: usize,
    /// Folds whose held-out part has one class only (left out of the AUC and recall means).
    pub folds_single_class: usize,
    /// Mean ROC-AUC over folds with both classes.
    pub auc_mean: Option<f64>,
    /// Standard deviation of ROC-AUC over those folds.
    pub auc_std: Option<f64>,
    /// Mean average precision over folds with both classes.
    pub pr_auc_mean: Option<f64>,
    /// Mean Brier score over all folds.
    pub brier_mean: Option<f64>,
    /// Mean recall in the top 10/20/30 % over folds with both classes.
    pub recall_at: [Option<f64>; 3],
    /// Metrics over all out-of-fold scores pooled (ROC-AUC, average precision, Brier).
    pub pooled_auc: Option<f64>,
    /// Pooled average precision.
    pub pooled_pr_auc: Option<f64>,
    /// Pooled Brier score.
    pub pooled_brier: Option<f64>,
    /// Per-fold figures.
    pub per_fold: Vec<FoldReport>,
    /// The fold of each row.
    #[serde(skip)]
    pub assignment: FoldAssignment,
    /// Out-of-fold probability of each row (`None` for unlabelled rows).
    #[serde(skip)]
    pub oof: Vec<Option<f64>>,
}

fn mean(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        None
    } else {
        Some(v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// Cross-validates a calibrated model of `kind` with `k` grouped folds (see the module doc).
///
/// Use [`cross_validate_with`] when some features are made from the labels (densities of finds
/// around a cell): each fold must then rebuild them without its held-out cells' labels.
pub fn cross_validate(data: &Dataset, kind: ModelKind, k: usize, seed: u64) -> Result<CvReport> {
    cross_validate_with(data, kind, k, seed, None)
}

/// Rebuilds a data set's features for one fold, given which rows are held out (their labels must
/// not reach any row's features).
pub type FoldFeatures<'a> = &'a (dyn Fn(&[bool]) -> Result<Dataset> + Sync);

/// [`cross_validate`] where each fold's features are rebuilt by `fold_features` from what the
/// held-out rows' labels cannot have touched (`None`: the features as they are).
pub fn cross_validate_with(
    data: &Dataset,
    kind: ModelKind,
    k: usize,
    seed: u64,
    fold_features: Option<FoldFeatures<'_>>,
) -> Result<CvReport> {
    let assignment = assign_folds(data, k, seed)?;
    let parts = |f: usize| -> (Vec<usize>, Vec<usize>) {
        let train = (0..data.n_rows())
            .filter(|&i| matches!(assignment.fold_of_row[i], Some(g) if g != f))
            .collect();
        let test = (0..data.n_rows())
            .filter(|&i| assignment.fold_of_row[i] == Some(f))
            .collect();
        (train, test)
    };
    for f in 0..assignment.n_folds {
        let (train, _) = parts(f);
        let tp = train.iter().filter(|&&i| data.labels()[i] == Some(true)).count();
        let tn = train.len() - tp;
        if tp == 0 || tn == 0 {
            return Err(RiskError::Evaluation(format!(
                "{}: fold {}: the cells outside it are all {} ({} cells); no model can be trained. \
                 Use fewer folds (--folds) or groups that mix positive and negative cells",
                data.name(),
                f + 1,
                if tp == 0 { "negative" } else { "positive" },
                tp + tn
            )));
        }
    }
    // Folds are independent: fit them in parallel; results are merged in fold order.
    let fitted: Vec<(FoldReport, Vec<usize>, Vec<f64>)> = (0..assignment.n_folds)
        .into_par_iter()
        .map(|f| -> Result<(FoldReport, Vec<usize>, Vec<f64>)> {
            let (train, test) = parts(f);
            let fold_seed = seed.wrapping_add((f as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let rebuilt;
            let data = match fold_features {
                Some(make) => {
                    let held: Vec<bool> = (0..data.n_rows())
                        .map(|i| assignment.fold_of_row[i] == Some(f))
                        .collect();
                    rebuilt = make(&held)?;
                    &rebuilt
                }
                None => data,
            };
            let model = RiskModel::fit(kind, &data.subset(&train), fold_seed)?;
            let test_ds = data.subset(&test);
            let probs = model.predict_proba(&test_ds)?;
            let labels: Vec<bool> = test_ds.labels().iter().map(|l| *l == Some(true)).collect();
            let positives = labels.iter().filter(|&&l| l).count();
            let single = positives == 0 || positives == labels.len();
            let groups: std::collections::HashSet<u32> = test.iter().map(|&i| data.group_ids()[i]).collect();
            let report = FoldReport {
                fold: f,
                groups: groups.len(),
                train_rows: train.len(),
                test_rows: test.len(),
                test_positives: positives,
                single_class: single,
                auc: roc_auc(&labels, &probs),
                pr_auc: average_precision(&labels, &probs),
                brier: brier(&labels, &probs),
                recall_at: if single {
                    [None; 3]
                } else {
                    RECALL_FRACTIONS.map(|q| recall_at(&labels, &probs, q))
                },
            };
            Ok((report, test, probs))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut per_fold = Vec::with_capacity(assignment.n_folds);
    let mut oof = vec![None; data.n_rows()];
    for (report, test, probs) in fitted {
        for (r, &i) in test.iter().enumerate() {
            oof[i] = Some(probs[r]);
        }
        per_fold.push(report);
    }
    let two: Vec<&FoldReport> = per_fold.iter().filter(|r| !r.single_class).collect();
    let aucs: Vec<f64> = two.iter().filter_map(|r| r.auc).collect();
    let auc_mean = mean(&aucs);
    let auc_std = auc_mean.map(|m| (aucs.iter().map(|a| (a - m).powi(2)).sum::<f64>() / aucs.len() as f64).sqrt());
    let pr: Vec<f64> = two.iter().filter_map(|r| r.pr_auc).collect();
    let br: Vec<f64> = per_fold.iter().filter_map(|r| r.brier).collect();
    let recall = [0, 1, 2].map(|q| mean(&two.iter().filter_map(|r| r.recall_at[q]).collect::<Vec<_>>()));
    let (mut pl, mut ps) = (Vec::new(), Vec::new());
    for (i, p) in oof.iter().enumerate() {
        if let (Some(p), Some(l)) = (p, data.labels()[i]) {
            pl.push(l);
            ps.push(*p);
        }
    }
    Ok(CvReport {
        model: kind,
        seed,
        scheme: assignment.scheme,
        folds: assignment.n_folds,
        folds_single_class: per_fold.len() - two.len(),
        auc_mean,
        auc_std,
        pr_auc_mean: mean(&pr),
        brier_mean: mean(&br),
        recall_at: recall,
        pooled_auc: roc_auc(&pl, &ps),
        pooled_pr_auc: average_precision(&pl, &ps),
        pooled_brier: brier(&pl, &ps),
        per_fold,
        assignment,
        oof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n_groups: usize, per_group: usize) -> Dataset {
        let n = n_groups * per_group;
        let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
        let labels = x.iter().map(|v| Some(*v > 70.0)).collect();
        let groups = (0..n).map(|i| format!("g{}", i / per_group)).collect();
        Dataset::new(vec!["x".into()], vec![x], labels, groups).unwrap()
    }

    #[test]
    fn groups_stay_together_and_folds_balance() {
        let ds = toy(23, 10);
        let a = assign_folds(&ds, 5, 3).unwrap();
        assert_eq!(a.scheme, FoldScheme::GroupKFold);
        for g in 0..23 {
            let folds: std::collections::HashSet<_> = (g * 10..(g + 1) * 10).map(|i| a.fold_of_row[i]).collect();
            assert_eq!(folds.len(), 1);
        }
        let mut load = [0; 5];
        for f in a.fold_of_row.iter().flatten() {
            load[*f] += 1;
        }
        assert!(load.iter().all(|&l| (40..=50).contains(&l)), "{load:?}");
        // Same seed, same folds; another seed, other folds.
        assert_eq!(assign_folds(&ds, 5, 3).unwrap().fold_of_row, a.fold_of_row);
        assert_ne!(assign_folds(&ds, 5, 4).unwrap().fold_of_row, a.fold_of_row);
    }

    #[test]
    fn few_groups_give_leave_one_group_out() {
        let ds = toy(3, 20);
        let a = assign_folds(&ds, 5, 1).unwrap();
        assert_eq!(a.scheme, FoldScheme::LeaveOneGroupOut);
        assert_eq!(a.n_folds, 3);
        assert!(assign_folds(&toy(1, 20), 5, 1).is_err());
        assert!(assign_folds(&ds, 1, 1).is_err());
    }

    #[test]
    fn single_class_folds_are_counted_not_averaged() {
        // Group g0 holds only negatives.
        let mut x = Vec::new();
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for g in 0..3 {
            for i in 0..40 {
                let v = i as f64;
                x.push(v);
                labels.push(Some(g > 0 && v > 25.0));
                groups.push(format!("g{g}"));
            }
        }
        let ds = Dataset::new(vec!["x".into()], vec![x], labels, groups).unwrap();
        let r = cross_validate(&ds, ModelKind::Logistic, 5, 1).unwrap();
        assert_eq!(r.folds, 3);
        assert_eq!(r.folds_single_class, 1);
        assert!(r.auc_mean.unwrap() > 0.9);
        assert_eq!(r.per_fold.iter().filter(|f| f.auc.is_none()).count(), 1);
        assert!(r.brier_mean.is_some());
    }
}
