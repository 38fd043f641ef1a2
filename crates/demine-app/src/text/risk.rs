//! Text of the registry's risk map and of the suggested SHAs.

use super::{tr, tr_fill, Lang};
use crate::risk::{BuiltMap, SuggestRequest, Suggested};
use std::fmt::Write;

/// What `demine risk build` prints about the map it made: cells, labels, spatial
/// cross-validation and the hazards ranked by expected items or by P(contaminated).
pub fn risk_build_text(m: &BuiltMap, lang: Lang) -> String {
    let mut out = String::new();
    let heading = if m.region {
        tr_fill(
            lang,
            "risk map: {} H3 cells at resolution {} over the region given ({} layer(s) of context), model {}",
            &[&m.cells, &m.resolution, &m.context_layers, &m.model],
        )
    } else {
        tr_fill(
            lang,
            "risk map: {} H3 cells at resolution {} over {} hazards ({} layer(s) of context), model {}",
            &[
                &m.cells,
                &m.resolution,
                &m.hazards_mapped_from,
                &m.context_layers,
                &m.model,
            ],
        )
    };
    let _ = writeln!(out, "{heading}");
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  labelled cells: {} with finds or accidents, {} searched clean; model trained on {}",
            &[&m.labelled["positive"], &m.labelled["negative"], &m.trained_rows]
        )
    );
    let f = |k: &str| m.cv[k].as_f64().unwrap_or(f64::NAN);
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  spatial cross-validation ({} folds over {} labelled cells): ROC-AUC {}, PR-AUC {}, Brier {}",
            &[
                &m.cv["folds"],
                &m.cv["rows"],
                &format!("{:.3}", f("auc_mean")),
                &format!("{:.3}", f("pr_auc_mean")),
                &format!("{:.4}", f("brier_mean")),
            ]
        )
    );
    if !m.hazard_ranking.is_empty() {
        let _ = writeln!(out, "{}", tr(lang, "  hazards with the most expected items not yet found (items; calibrated P(contaminated); expected contaminated ha):"));
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
        "{}",
        tr(
            lang,
            "  hazards most likely to hold ordnance (P(contaminated), expected contaminated share):"
        )
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
pub fn risk_suggest_text(s: &Suggested, req: &SuggestRequest, lang: Lang) -> String {
    let mut out = String::new();
    let r = &s.report;
    let total_m2: f64 = r.suggestions.iter().map(|s| s.area_m2).sum();
    let tag = if s.synthetic {
        tr(lang, " (SYNTHETIC registry)")
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "suggested SHAs{}: {} area(s), {} km² of the {} km² outside every hazard that was looked at ({} H3 cells at resolution {})",
            &[
                &tag,
                &r.suggestions.len(),
                &format!("{:.2}", total_m2 / 1e6),
                &format!("{:.2}", r.outside_area_m2 / 1e6),
                &r.outside_cells,
                &req.resolution,
            ]
        )
    );
    let _ = writeln!(
        out,
        "{}",
        tr_fill(
            lang,
            "  threshold: risk ≥ {} — {}",
            &[&format!("{:.3}", r.threshold), &r.threshold_rule]
        )
    );
    if r.dropped_areas > 0 || r.beyond_max > 0 {
        let _ = writeln!(
            out,
            "{}",
            tr_fill(
                lang,
                "  left out: {} area(s) under {} cells without finds or accidents, {} beyond --max",
                &[&r.dropped_areas, &req.min_cells.max(1), &r.beyond_max]
            )
        );
    }
    let headers = [
        "id",
        tr(lang, "cells"),
        tr(lang, "area km²"),
        tr(lang, "mean risk"),
        tr(lang, "max risk"),
        tr(lang, "expected cells"),
        tr(lang, "finds"),
        tr(lang, "accidents"),
    ];
    let w = super::widths(lang, headers, [10, 6, 9, 9, 8, 13, 6, 9]);
    let _ = writeln!(out, "  {}  {}", super::table_row(&headers, &w, 1), tr(lang, "reason"));
    for x in &r.suggestions {
        let cells = [
            x.id.clone(),
            x.cells.len().to_string(),
            format!("{:.3}", x.area_m2 / 1e6),
            format!("{:.3}", x.mean_risk),
            format!("{:.3}", x.max_risk),
            format!("{:.2}", x.expected_contaminated_cells),
            x.finds.to_string(),
            x.accidents.to_string(),
        ];
        let _ = writeln!(out, "  {}  {}", super::table_row(&cells, &w, 1), x.reason);
    }
    match &req.out {
        Some(o) => {
            let _ = writeln!(
                out,
                "{}",
                tr_fill(
                    lang,
                    "wrote {} (import with `demine import hazards {}`); nothing was written to the registry",
                    &[&o.display(), &o.display()]
                )
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{}",
                tr(
                    lang,
                    "nothing was written to the registry; pass --out FILE.geojson to keep the areas"
                )
            );
        }
    }
    out
}
