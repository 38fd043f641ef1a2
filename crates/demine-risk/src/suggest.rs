//! Suggested SHAs: high-risk land **outside** every recorded hazard, grouped into areas for
//! non-technical survey (`demine risk suggest`).
//!
//! How (all of it deterministic for a seed):
//! 1. A model is trained on the labelled cells (mostly inside hazards) with only the features
//!    that mean the same outside hazards: distances to context layers, densities of finds and
//!    accidents around the cell, land cover and layer attributes — not `share_suspected` or
//!    `share_cha`, which are zero outside by construction ([`OUTSIDE_EXCLUDED`]).
//! 2. Each cell outside every hazard gets the model's probability `p`, combined with direct
//!    evidence: every find or accident recorded in the cell cuts the chance that it is clean
//!    tenfold, `risk = 1 − (1 − p)·0.1ⁿ` ([`EVIDENCE_FACTOR`]).
//! 3. Cells with `risk ≥ threshold` are kept, and so is every cell holding a find or an
//!    accident. The default threshold is the median out-of-fold risk of the labelled cells that
//!    hold finds or accidents: outside land is suggested when it looks at least as risky as
//!    half the cells where ordnance was actually found, judged by models that did not see them.
//! 4. Kept cells that touch (H3 neighbours) form one area, dissolved into a polygon (h3o's
//!    `Solvent`); areas of fewer than `min_cells` cells are dropped unless they hold a find or
//!    an accident; a zone of more than [`MAX_AREA_CELLS`] cells is cut along H3 parent cells
//!    three resolutions up (~36 km² at resolution 9), so each area is survey-sized.
//! 5. Areas are ranked by expected contaminated cells (the sum of their cells' risk) and
//!    numbered `SUGG-0001`, `SUGG-0002`, … in that order.

use crate::cells::CellTable;
use crate::{cross_validate, Dataset, ModelKind, Result, RiskError, RiskModel};
use geo::{MultiPolygon, Orient, Point};
use h3o::geom::SolventBuilder;
use h3o::CellIndex;
use std::collections::{HashMap, HashSet};

/// Largest area in cells before a zone is cut along H3 parents three resolutions up (7³).
pub const MAX_AREA_CELLS: usize = 343;

/// Connected groups (H3 neighbours) of `rows` (indexes into `cells`; `set` maps each of their
/// cells back to its row), each sorted, in the order of their first row: deterministic.
fn components(rows: &[usize], cells: &[CellIndex], set: &HashMap<CellIndex, usize>) -> Vec<Vec<usize>> {
    let mut seen: HashSet<usize> = HashSet::new();
    let mut groups = Vec::new();
    for &start in rows {
        if !seen.insert(start) {
            continue;
        }
        let mut group = vec![start];
        let mut k = 0;
        while k < group.len() {
            for nb in cells[group[k]].grid_disk::<Vec<CellIndex>>(1) {
                if let Some(&j) = set.get(&nb) {
                    if seen.insert(j) {
                        group.push(j);
                    }
                }
            }
            k += 1;
        }
        group.sort_unstable();
        groups.push(group);
    }
    groups
}

/// Features left out of the outside model: they are 0 outside hazards by construction, so a
/// model would read "outside" as "clean".
pub const OUTSIDE_EXCLUDED: [&str; 2] = ["share_suspected", "share_cha"];

/// Each find or accident in a cell multiplies the chance that the cell is clean by this.
pub const EVIDENCE_FACTOR: f64 = 0.1;

/// How to suggest.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// Keep cells at or above this risk; `None`: the median out-of-fold risk of cells with
    /// finds or accidents.
    pub threshold: Option<f64>,
    /// Keep at most this many areas (the highest ranked).
    pub max: Option<usize>,
    /// Drop areas of fewer cells, unless they hold direct evidence.
    pub min_cells: usize,
    /// Model family.
    pub model: ModelKind,
    /// Seed for folds and models.
    pub seed: u64,
    /// Folds of the cross-validation that sets the default threshold.
    pub folds: usize,
    /// Cross-validate on about this many labelled cells at most (whole groups, drawn by seed).
    pub cv_max_rows: usize,
}

/// One suggested area: a new SHA for non-technical survey.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// `SUGG-0001`, … by rank.
    pub id: String,
    /// The area's outline (lon/lat, exterior rings counter-clockwise).
    pub geometry: MultiPolygon<f64>,
    /// Its cells.
    pub cells: Vec<CellIndex>,
    /// Area in m² (sum of its cells' areas).
    pub area_m2: f64,
    /// Mean and maximum cell risk (0..1).
    pub mean_risk: f64,
    /// Maximum cell risk (0..1).
    pub max_risk: f64,
    /// Expected number of contaminated cells: the sum of the cells' risk.
    pub expected_contaminated_cells: f64,
    /// Finds recorded inside it.
    pub finds: u32,
    /// Accidents recorded inside it.
    pub accidents: u32,
    /// Why, in words.
    pub reason: String,
}

/// What `suggest` found, with the figures a reader needs to judge it.
#[derive(Debug, Clone)]
pub struct SuggestReport {
    /// Suggested areas, best first.
    pub suggestions: Vec<Suggestion>,
    /// The risk threshold used.
    pub threshold: f64,
    /// How the threshold was set, in words.
    pub threshold_rule: String,
    /// Cells of the grid whose centre lies outside every hazard.
    pub outside_cells: usize,
    /// Their area in m².
    pub outside_area_m2: f64,
    /// Outside cells at or above the threshold, or holding evidence.
    pub kept_cells: usize,
    /// Areas dropped for having fewer than `min_cells` cells and no evidence.
    pub dropped_areas: usize,
    /// Areas left out by `max`.
    pub beyond_max: usize,
    /// Features of the outside model.
    pub features: Vec<String>,
    /// Mean ROC-AUC of the cross-validation that set the threshold (over labelled cells).
    pub cv_auc_mean: Option<f64>,
}

/// The points that lie outside every hazard: direct evidence of contamination nobody recorded
/// (a find inside a hazard whose edge cell has its centre outside is not).
pub fn outside_every_hazard(points: &[Point<f64>], hazards: &[demine_core::Hazard]) -> Vec<Point<f64>> {
    use geo::{BoundingRect, Contains};
    use rstar::primitives::{GeomWithData, Rectangle};
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = hazards
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let r = h.geometry.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let tree = rstar::RTree::bulk_load(boxes);
    points
        .iter()
        .filter(|p| {
            !tree
                .locate_all_at_point(&[p.x(), p.y()])
                .any(|b| hazards[b.data].geometry.contains(*p))
        })
        .copied()
        .collect()
}

/// The table's rows with only the columns of `names`.
fn with_columns(data: &Dataset, names: &[String]) -> Result<Dataset> {
    let columns = data.columns_for(names)?.into_iter().map(<[f64]>::to_vec).collect();
    let groups = (0..data.n_rows()).map(|i| data.group_name(i)).collect();
    Dataset::new(names.to_vec(), columns, data.labels().to_vec(), groups)
}

/// Labelled rows of whole groups, drawn in a seeded order until about `max_rows`.
fn cv_rows(data: &Dataset, max_rows: usize, seed: u64) -> Vec<usize> {
    let labelled = data.labelled_rows();
    if labelled.len() <= max_rows {
        return labelled;
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
    let mut rows = Vec::new();
    for (_, g) in order {
        if rows.len() >= max_rows {
            break;
        }
        rows.extend_from_slice(&by_group[&g]);
    }
    rows.sort_unstable();
    rows
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Suggests new SHAs from a cell table. `inside_hazard[i]` tells whether cell `i`'s centre
/// lies in a hazard; `finds` and `accidents` are the item locations outside every hazard
/// ([`outside_every_hazard`]): the direct evidence.
pub fn suggest(
    table: &CellTable,
    inside_hazard: &[bool],
    finds: &[Point<f64>],
    accidents: &[Point<f64>],
    o: &SuggestOptions,
) -> Result<SuggestReport> {
    let n = table.grid.len();
    if inside_hazard.len() != n {
        return Err(RiskError::Invalid(format!(
            "{} inside flags for {n} cells",
            inside_hazard.len()
        )));
    }
    if let Some(t) = o.threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(RiskError::Invalid(format!(
                "--threshold {t}: a risk threshold is a probability between 0 and 1"
            )));
        }
    }
    let features: Vec<String> = table
        .dataset
        .feature_names()
        .iter()
        .filter(|f| !OUTSIDE_EXCLUDED.contains(&f.as_str()))
        .cloned()
        .collect();
    let data = with_columns(&table.dataset, &features)?;
    let (positives, negatives) = data.class_counts();
    if positives == 0 || negatives == 0 {
        return Err(RiskError::Invalid(format!(
            "the registry gives {positives} cells with finds or accidents and {negatives} searched-clean cells; \
             suggesting land needs both (record finds, and clearance or technical survey that found nothing)"
        )));
    }
    let model = RiskModel::fit(o.model, &data, o.seed)?;
    let p = model.predict_proba(&data)?;
    let finds_in = table.grid.counts(finds);
    let accidents_in = table.grid.counts(accidents);
    let risk: Vec<f64> = (0..n)
        .map(|i| {
            let items = finds_in[i] + accidents_in[i];
            1.0 - (1.0 - p[i].clamp(0.0, 1.0)) * EVIDENCE_FACTOR.powi(items as i32)
        })
        .collect();

    let cv_data = data.subset(&cv_rows(&data, o.cv_max_rows, o.seed));
    let cv = cross_validate(&cv_data, o.model, o.folds, o.seed).ok();
    let (threshold, threshold_rule) = match o.threshold {
        Some(t) => (t, format!("given: risk ≥ {t}")),
        None => {
            let oof_pos: Vec<f64> = cv
                .as_ref()
                .map(|cv| {
                    cv_data
                        .labels()
                        .iter()
                        .zip(&cv.oof)
                        .filter_map(|(l, r)| if *l == Some(true) { *r } else { None })
                        .collect()
                })
                .unwrap_or_default();
            match median(oof_pos) {
                Some(t) => (
                    t,
                    format!(
                        "median out-of-fold risk of the cells with finds or accidents ({t:.3}): outside land at least as \
                         risky as half the cells where ordnance was found"
                    ),
                ),
                None => {
                    let pos: Vec<f64> = (0..n).filter(|&i| data.labels()[i] == Some(true)).map(|i| p[i]).collect();
                    let t = median(pos).unwrap_or(0.5);
                    (
                        t,
                        format!(
                            "median risk of the cells with finds or accidents ({t:.3}; too few groups for \
                             cross-validation, so in-sample)"
                        ),
                    )
                }
            }
        }
    };

    let outside: Vec<usize> = (0..n).filter(|&i| !inside_hazard[i]).collect();
    let areas = table.grid.areas_m2();
    let outside_area_m2: f64 = outside.iter().map(|&i| areas[i]).sum();
    let evidence = |i: usize| finds_in[i] + accidents_in[i] > 0;
    let kept: Vec<usize> = outside
        .iter()
        .copied()
        .filter(|&i| risk[i] >= threshold || evidence(i))
        .collect();
    let kept_set: HashMap<CellIndex, usize> = kept.iter().map(|&i| (table.grid.cells[i], i)).collect();

    let mut groups = components(&kept, &table.grid.cells, &kept_set);
    let before = groups.len();
    groups.retain(|g| g.len() >= o.min_cells || g.iter().any(|&i| evidence(i)));
    let dropped_areas = before - groups.len();
    // A zone larger than one H3 parent three resolutions up (343 cells: ~36 km² at resolution 9)
    // is cut along those parents, so that each suggestion is an area one survey can take on.
    let parent_res = h3o::Resolution::try_from(u8::from(table.grid.resolution).saturating_sub(3))
        .map_err(|e| RiskError::Invalid(e.to_string()))?;
    let mut pieces: Vec<(Vec<usize>, Option<usize>)> = Vec::new();
    for g in groups {
        if g.len() <= MAX_AREA_CELLS {
            pieces.push((g, None));
            continue;
        }
        let zone = g.len();
        let mut by_parent: std::collections::BTreeMap<Option<CellIndex>, Vec<usize>> = Default::default();
        for &i in &g {
            by_parent
                .entry(table.grid.cells[i].parent(parent_res))
                .or_default()
                .push(i);
        }
        for part in by_parent.into_values() {
            let set: HashMap<CellIndex, usize> = part.iter().map(|&i| (table.grid.cells[i], i)).collect();
            for piece in components(&part, &table.grid.cells, &set) {
                pieces.push((piece, Some(zone)));
            }
        }
    }

    let stats = OutsideStats::new(&data, &outside);
    let mut suggestions: Vec<Suggestion> = pieces
        .iter()
        .map(|(g, zone)| {
            let cells: Vec<CellIndex> = g.iter().map(|&i| table.grid.cells[i]).collect();
            let geometry = SolventBuilder::new()
                .build()
                .dissolve(cells.iter().copied())
                .map(|m| m.orient(geo::orient::Direction::Default))
                .unwrap_or_else(|_| MultiPolygon::new(Vec::new()));
            let expected: f64 = g.iter().map(|&i| risk[i]).sum();
            let finds: u32 = g.iter().map(|&i| finds_in[i]).sum();
            let accidents: u32 = g.iter().map(|&i| accidents_in[i]).sum();
            Suggestion {
                id: String::new(),
                geometry,
                area_m2: g.iter().map(|&i| areas[i]).sum(),
                mean_risk: expected / g.len() as f64,
                max_risk: g.iter().map(|&i| risk[i]).fold(0.0, f64::max),
                expected_contaminated_cells: expected,
                finds,
                accidents,
                reason: stats.reason(&data, g, *zone, finds, accidents, threshold),
                cells,
            }
        })
        .collect();
    suggestions.sort_by(|a, b| {
        b.expected_contaminated_cells
            .total_cmp(&a.expected_contaminated_cells)
            .then_with(|| a.cells[0].cmp(&b.cells[0]))
    });
    let beyond_max = o.max.map_or(0, |m| suggestions.len().saturating_sub(m));
    if let Some(m) = o.max {
        suggestions.truncate(m);
    }
    for (k, s) in suggestions.iter_mut().enumerate() {
        s.id = format!("SUGG-{:04}", k + 1);
    }
    Ok(SuggestReport {
        suggestions,
        threshold,
        threshold_rule,
        outside_cells: outside.len(),
        outside_area_m2,
        kept_cells: kept.len(),
        dropped_areas,
        beyond_max,
        features,
        cv_auc_mean: cv.and_then(|c| c.auc_mean),
    })
}

/// Means and spreads of each feature over the outside cells, to say what sets an area apart.
struct OutsideStats {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl OutsideStats {
    fn new(data: &Dataset, outside: &[usize]) -> OutsideStats {
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for j in 0..data.n_features() {
            let col = data.column(j);
            let v: Vec<f64> = outside.iter().map(|&i| col[i]).filter(|x| x.is_finite()).collect();
            let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt();
            mean.push(m);
            std.push(s);
        }
        OutsideStats { mean, std }
    }

    /// Direct evidence first, then the two features on which the area stands out most from the
    /// outside land as a whole (in standard deviations).
    fn reason(
        &self,
        data: &Dataset,
        group: &[usize],
        zone: Option<usize>,
        finds: u32,
        accidents: u32,
        threshold: f64,
    ) -> String {
        let mut parts = Vec::new();
        if finds + accidents > 0 {
            parts.push(format!(
                "{finds} find(s) and {accidents} accident(s) recorded outside every hazard"
            ));
        }
        let mut standout: Vec<(f64, String)> = (0..data.n_features())
            .filter(|&j| self.std[j] > 0.0)
            .filter_map(|j| {
                let col = data.column(j);
                let v: Vec<f64> = group.iter().map(|&i| col[i]).filter(|x| x.is_finite()).collect();
                if v.is_empty() {
                    return None;
                }
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let z = (m - self.mean[j]) / self.std[j];
                let name = &data.feature_names()[j];
                Some((
                    z.abs(),
                    format!("{name} {} (outside mean {})", short(m), short(self.mean[j])),
                ))
            })
            .collect();
        standout.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let drivers: Vec<String> = standout.into_iter().take(2).map(|(_, s)| s).collect();
        parts.push(format!(
            "{} cell(s) at risk ≥ {threshold:.3} next to each other; stands out by {}",
            group.len(),
            if drivers.is_empty() {
                "nothing in particular".to_string()
            } else {
                drivers.join(", ")
            }
        ));
        if let Some(zone) = zone {
            parts.push(format!(
                "part of a zone of {zone} such cells, cut along H3 parent cells into survey-sized areas"
            ));
        }
        parts.join("; ")
    }
}

/// A number with about three significant digits.
fn short(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{build_cells, CellInputs};
    use demine_core::{Find, FindCategory, Hazard, HazardClass, Outcome};
    use demine_grid::Grid;
    use geo::{polygon, Contains};

    fn find(id: usize, x: f64, y: f64) -> Find {
        Find::new(
            format!("F{id}"),
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            FindCategory::Uxo,
            Point::new(x, y),
        )
    }

    /// One cleared hazard (negatives), a hazard with finds (positives), finds outside both:
    /// the suggestions lie outside every hazard, hold the outside finds, and are ranked.
    #[test]
    fn suggestions_are_outside_hazards_and_hold_the_evidence() {
        let square = |x: f64, y: f64, d: f64| {
            MultiPolygon::new(vec![
                polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)],
            ])
        };
        let hazard = |id: &str, geometry: MultiPolygon<f64>| Hazard::new(id, HazardClass::Sha, geometry);
        let hazards = vec![
            hazard("CLEAN", square(35.0, 51.0, 0.03)),
            hazard("DIRTY", square(35.1, 51.0, 0.03)),
        ];
        let released = vec![(Outcome::Cleared, hazards[0].geometry.clone())];
        let mut finds: Vec<Find> = (0..40)
            .map(|k| find(k, 35.1 + 0.0007 * k as f64, 51.001 + 0.0007 * k as f64))
            .collect();
        // Two finds outside every hazard, far apart.
        finds.push(find(100, 35.075, 51.045));
        finds.push(find(101, 35.17, 50.99));
        let inputs = CellInputs {
            hazards: &hazards,
            released: &released,
            finds: &finds,
            accidents: &[],
            layers: &[],
            bandwidth_m: 800.0,
            as_of: None,
        };
        let shapes: Vec<MultiPolygon<f64>> = hazards.iter().map(|h| h.geometry.clone()).collect();
        let grid = Grid::cover(&shapes, 9).unwrap().with_margin_m(6000.0);
        let table = build_cells(grid, &inputs).unwrap();
        let inside_cells = Grid::cover(&shapes, 9).unwrap();
        let inside: Vec<bool> = table
            .grid
            .cells
            .iter()
            .map(|c| inside_cells.position(*c).is_some())
            .collect();
        let points: Vec<Point<f64>> = finds.iter().map(|f| f.location).collect();
        let o = SuggestOptions {
            threshold: None,
            max: None,
            min_cells: 3,
            model: ModelKind::Logistic,
            seed: 1,
            folds: 3,
            cv_max_rows: 100_000,
        };
        let r = suggest(&table, &inside, &points, &[], &o).unwrap();
        assert!(!r.suggestions.is_empty());
        assert!(!r.features.iter().any(|f| OUTSIDE_EXCLUDED.contains(&f.as_str())));
        for s in &r.suggestions {
            for c in &s.cells {
                let ll = h3o::LatLng::from(*c);
                let centre = Point::new(ll.lng(), ll.lat());
                assert!(
                    !shapes.iter().any(|h| h.contains(&centre)),
                    "{} holds a hazard's cell",
                    s.id
                );
            }
            assert!(s.area_m2 > 0.0 && s.mean_risk <= s.max_risk && s.max_risk <= 1.0);
        }
        // Both outside finds are in suggested areas (direct evidence is always kept).
        assert_eq!(r.suggestions.iter().map(|s| s.finds).sum::<u32>(), 2);
        for p in &points[40..] {
            assert!(
                r.suggestions.iter().any(|s| s.geometry.contains(p)),
                "{p:?} not suggested"
            );
        }
        // Ranked by expected contaminated cells, numbered in that order.
        assert!(r
            .suggestions
            .windows(2)
            .all(|w| w[0].expected_contaminated_cells >= w[1].expected_contaminated_cells));
        assert_eq!(r.suggestions[0].id, "SUGG-0001");
        // --max keeps the best; a threshold of 1 keeps only cells with evidence.
        let one = suggest(
            &table,
            &inside,
            &points,
            &[],
            &SuggestOptions {
                max: Some(1),
                ..o.clone()
            },
        )
        .unwrap();
        assert_eq!(one.suggestions.len(), 1);
        assert_eq!(one.suggestions[0].cells, r.suggestions[0].cells);
        let strict = suggest(
            &table,
            &inside,
            &points,
            &[],
            &SuggestOptions {
                threshold: Some(1.0),
                ..o.clone()
            },
        )
        .unwrap();
        assert_eq!(strict.kept_cells, 2);
        assert!(strict.suggestions.iter().all(|s| s.finds > 0));
        assert!(suggest(
            &table,
            &inside,
            &points,
            &[],
            &SuggestOptions {
                threshold: Some(1.5),
                ..o
            }
        )
        .is_err());
    }
}
