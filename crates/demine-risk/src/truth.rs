//! Scoring a risk map against a known truth: where the items really are.
//!
//! Real registries never have this; the SYNTHETIC demo does (its hidden ground truth), so the
//! model can be judged on what it could not see. A cell is *contaminated* when it holds at
//! least one true item. The score is the recall of contaminated cells among the top share of
//! cells by risk, against the same share for random ranking.

use crate::metrics::recall_at;
use demine_core::RiskCell;
use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Recall of truly contaminated cells among the riskiest cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthScore {
    /// Cells scored.
    pub cells: usize,
    /// Cells holding at least one true item.
    pub contaminated_cells: usize,
    /// The share of cells looked at, riskiest first (e.g. 0.2).
    pub top_share: f64,
    /// Share of contaminated cells among the top `top_share` of cells by risk.
    pub recall: Option<f64>,
    /// `recall / top_share`: how many times better than random ranking.
    pub lift: Option<f64>,
    /// The same over the cells the model had no label for (nothing found, not searched):
    /// contamination it could only infer.
    pub unlabelled_cells: usize,
    /// Unlabelled cells holding at least one true item.
    pub unlabelled_contaminated_cells: usize,
    /// Recall among unlabelled cells, riskiest `top_share` of them.
    pub unlabelled_recall: Option<f64>,
    /// `unlabelled_recall / top_share`.
    pub unlabelled_lift: Option<f64>,
}

/// Scores `cells` (all of one H3 resolution) against true item locations (lon/lat).
/// Items outside every scored cell are ignored (they are outside the map's extent).
///
/// ```
/// use demine_core::RiskCell;
/// let p = geo::Point::new(35.3, 51.3);
/// let cell = h3o::LatLng::new(51.3, 35.3).unwrap().to_cell(h3o::Resolution::Nine);
/// let other = cell.grid_disk::<Vec<_>>(1).into_iter().find(|c| *c != cell).unwrap();
/// let risk_cell = |c: h3o::CellIndex, risk: f64| RiskCell {
///     cell: c.to_string(), resolution: 9, outline: demine_grid::Grid::outline(c),
///     risk, label: None, items: 0,
/// };
/// let cells = vec![risk_cell(cell, 0.9), risk_cell(other, 0.1)];
/// let score = demine_risk::truth::score_against_truth(&cells, &[p], 0.5);
/// assert_eq!(score.contaminated_cells, 1);
/// assert_eq!(score.recall, Some(1.0)); // the riskier half holds the item
/// assert_eq!(score.lift, Some(2.0));
/// ```
pub fn score_against_truth(cells: &[RiskCell], items: &[geo::Point<f64>], top_share: f64) -> TruthScore {
    let index: HashMap<CellIndex, usize> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.cell.parse::<CellIndex>().ok().map(|h| (h, i)))
        .collect();
    let mut contaminated: HashSet<usize> = HashSet::new();
    if let Some(res) = cells.first().and_then(|c| Resolution::try_from(c.resolution).ok()) {
        for p in items {
            if let Ok(ll) = LatLng::new(p.y(), p.x()) {
                if let Some(&i) = index.get(&ll.to_cell(res)) {
                    contaminated.insert(i);
                }
            }
        }
    }
    let labels: Vec<bool> = (0..cells.len()).map(|i| contaminated.contains(&i)).collect();
    let risk: Vec<f64> = cells.iter().map(|c| c.risk).collect();
    let recall = recall_at(&labels, &risk, top_share);
    let unlabelled: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].label.is_none()).collect();
    let u_labels: Vec<bool> = unlabelled.iter().map(|&i| labels[i]).collect();
    let u_risk: Vec<f64> = unlabelled.iter().map(|&i| risk[i]).collect();
    let unlabelled_recall = recall_at(&u_labels, &u_risk, top_share);
    TruthScore {
        cells: cells.len(),
        contaminated_cells: contaminated.len(),
        top_share,
        recall,
        lift: recall.map(|r| r / top_share),
        unlabelled_cells: unlabelled.len(),
        unlabelled_contaminated_cells: u_labels.iter().filter(|&&b| b).count(),
        unlabelled_recall,
        unlabelled_lift: unlabelled_recall.map(|r| r / top_share),
    }
}
