//! Text of the registry's risk map and of the suggested SHAs.

use crate::risk::{BuiltMap, SuggestRequest, Suggested};
use std::fmt::Write;

/// What `demine risk build` prints about the map it made: cells, labels, spatial
/// cross-validation and the hazards ranked by expected items or by P(contaminated).
pub fn risk_build_text(m: &BuiltMap) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "risk map: {} H3 cells at resolution {} over {} ({} layer(s) of context), model {}",
        m.cells,
        m.resolution,
        if m.region {
            "the region given".to_string()
        } else {
            format!("{} hazards", m.hazards_mapped_from)
        },
        m.context_layers,
        m.model
    );
    let _ = writeln!(
        out,
        "  labelled cells: {} with finds or accidents, {} searched clean; model trained on {}",
        m.labelled["positive"], m.labelled["negative"], m.trained_rows
    );
    let f = |k: &str| m.cv[k].as_f64().unwrap_or(f64::NAN);
    let _ = writeln!(
        out,
        "  spatial cross-validation ({} folds over {} labelled cells): ROC-AUC {:.3}, PR-AUC {:.3}, Brier {:.4}",
        m.cv["folds"],
        m.cv["rows"],
        f("auc_mean"),
        f("pr_auc_mean"),
        f("brier_mean")
    );
    if !m.hazard_ranking.is_empty() {
        let _ = writeln!(out, "  hazards with the most expected items not yet found (items; calibrated P(contaminated); expected contaminated ha):");
        for h in m.hazard_ranking.iter().take(10) {
            let _ = writeln!(
                out,
                "    {:<14} {:>8.1}  {:>6.3}  {:>8.1}",
                h.id,
                h.expected_items,
                h.p_contaminated,
                h.expected_contaminated_m2 / 1e4
            );
        }
    }
    let mut top: Vec<_> = m.hazards.iter().collect();
    top.sort_by(|a, b| b.p_any.total_cmp(&a.p_any).then_with(|| a.hazard_id.cmp(&b.hazard_id)));
    let _ = writeln!(
        out,
        "  hazards most likely to hold ordnance (P(contaminated), expected contaminated share):"
    );
    for h in top.iter().take(10).filter(|_| m.hazard_ranking.is_empty()) {
        let _ = writeln!(
            out,
            "    {:<14} {:>6.3}  {:>6.3}",
            h.hazard_id, h.p_any, h.expected_contaminated_share
        );
    }
    out
}

/// What `demine risk suggest` prints: the suggested SHAs of run `req`, their table, and where
/// they were written.
pub fn risk_suggest_text(s: &Suggested, req: &SuggestRequest) -> String {
    let mut out = String::new();
    let r = &s.report;
    let total_m2: f64 = r.suggestions.iter().map(|s| s.area_m2).sum();
    let tag = if s.synthetic { " (SYNTHETIC registry)" } else { "" };
    let _ = writeln!(
        out,
        "suggested SHAs{tag}: {} area(s), {:.2} km² of the {:.2} km² outside every hazard that was looked at ({} H3 cells at resolution {})",
        r.suggestions.len(),
        total_m2 / 1e6,
        r.outside_area_m2 / 1e6,
        r.outside_cells,
        req.resolution
    );
    let _ = writeln!(out, "  threshold: risk ≥ {:.3} — {}", r.threshold, r.threshold_rule);
    if r.dropped_areas > 0 || r.beyond_max > 0 {
        let _ = writeln!(
            out,
            "  left out: {} area(s) under {} cells without finds or accidents, {} beyond --max",
            r.dropped_areas,
            req.min_cells.max(1),
            r.beyond_max
        );
    }
    let _ = writeln!(
        out,
        "  {:<10} {:>6} {:>9} {:>9} {:>8} {:>13} {:>6} {:>9}  reason",
        "id", "cells", "area km²", "mean risk", "max risk", "expected cells", "finds", "accidents"
    );
    for x in &r.suggestions {
        let _ = writeln!(
            out,
            "  {:<10} {:>6} {:>9.3} {:>9.3} {:>8.3} {:>13.2} {:>6} {:>9}  {}",
            x.id,
            x.cells.len(),
            x.area_m2 / 1e6,
            x.mean_risk,
            x.max_risk,
            x.expected_contaminated_cells,
            x.finds,
            x.accidents,
            x.reason
        );
    }
    match &req.out {
        Some(o) => {
            let _ = writeln!(
                out,
                "wrote {} (import with `demine import hazards {}`); nothing was written to the registry",
                o.display(),
                o.display()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "nothing was written to the registry; pass --out FILE.geojson to keep the areas"
            );
        }
    }
    out
}
