//! The risk section: H3 hexagons coloured by modelled probability of contamination, and the
//! hazards ranked by the probability that they hold any item.

use crate::lang::{tr, tr_any, tr_fill};
use crate::map::{hazard_bounds, Projection, MAP_HEIGHT, WIDTH};
use crate::text::{escape, grouped, km2, thousands, with_decimal_mark};
use crate::ReportInput;
use demine_core::{HazardRisk, RiskCell};
use std::fmt::Write;

/// Hexagons drawn one by one up to this many; beyond it the map would outgrow a report.
pub const MAX_RISK_CELLS_DRAWN: usize = 60_000;
/// Hazards listed in the ranking.
pub const TOP_RISK_HAZARDS: usize = 20;

/// A risk map to show: from `demine risk build`.
#[derive(Debug, Clone)]
pub struct RiskSection<'a> {
    pub cells: &'a [RiskCell],
    pub hazards: &'a [HazardRisk],
    /// Mean ROC-AUC of the spatial cross-validation, when computed.
    pub auc: Option<f64>,
    /// Model family, e.g. `gbt`.
    pub model: String,
    /// How the map scored against a known truth (the SYNTHETIC demo's).
    pub truth: Option<TruthScore>,
    /// `hazards` come ranked (by the contamination model: expected items not yet found, then
    /// expected contaminated area) and are listed in that order; otherwise by P(any item).
    pub ranked: bool,
    /// Suggested new SHAs outside every hazard (`demine risk suggest`), when computed.
    pub suggested: Option<Suggested<'a>>,
}

/// How a risk map scored against the hidden truth of a SYNTHETIC demo: the share of the truly
/// contaminated cells in its riskiest 20 % of cells, over all cells and over cells nobody
/// looked at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthScore {
    /// Cells that really hold ordnance.
    pub contaminated_cells: usize,
    /// Share of them in the riskiest 20 % of cells, 0–1.
    pub recall: f64,
    /// `recall` over the 20 % a random ranking would get.
    pub lift: f64,
    /// The same among cells with no finds and no survey.
    pub unlabelled_recall: f64,
    pub unlabelled_lift: f64,
}

/// Suggested new SHAs: outlined on the risk map and counted under it.
#[derive(Debug, Clone)]
pub struct Suggested<'a> {
    /// One outline per suggested area (lon/lat).
    pub outlines: &'a [geo::MultiPolygon<f64>],
    /// Their total area in m².
    pub area_m2: f64,
}

/// Risk classes: upper bound (exclusive, last inclusive), colour, label.
const CLASSES: [(f64, &str, &str); 5] = [
    (0.1, "#ffffcc", "< 0.1"),
    (0.3, "#fed976", "0.1–0.3"),
    (0.5, "#fd8d3c", "0.3–0.5"),
    (0.7, "#e31a1c", "0.5–0.7"),
    (f64::INFINITY, "#800026", "≥ 0.7"),
];

fn class_of(risk: f64) -> usize {
    CLASSES
        .iter()
        .position(|(upper, _, _)| risk < *upper)
        .unwrap_or(CLASSES.len() - 1)
}

pub(crate) fn write_risk(out: &mut String, input: &ReportInput, risk: &RiskSection) {
    let lang = input.lang;
    let _ = writeln!(
        out,
        "<section id=\"risk\">\n<h2>{}</h2>",
        tr(lang, "Contamination risk (model)")
    );
    let _ = writeln!(
        out,
        "<p>{}</p>",
        tr_fill(
            lang,
            "{} H3 cells scored by the {} model{}. Colour: modelled probability that the cell holds explosive ordnance.",
            &[
                &thousands(lang, risk.cells.len() as u64),
                &escape(tr_any(lang, &risk.model)),
                &risk
                    .auc
                    .map(|a| tr_fill(lang, " (spatial cross-validation ROC-AUC {})", &[&grouped(lang, a, 3)]))
                    .unwrap_or_default()
            ]
        )
    );
    if let Some(t) = &risk.truth {
        let share = |x: f64| format!("{}&nbsp;%", grouped(lang, 100.0 * x, 0));
        let _ = writeln!(
            out,
            "<p>{}</p>",
            tr_fill(
                lang,
                "Against the demo's hidden ground truth (SYNTHETIC): the riskiest 20 % of cells hold {} of the {} cells that really hold ordnance ({}× random); among cells with no finds and no survey, {} ({}× random).",
                &[
                    &share(t.recall),
                    &thousands(lang, t.contaminated_cells as u64),
                    &grouped(lang, t.lift, 1),
                    &share(t.unlabelled_recall),
                    &grouped(lang, t.unlabelled_lift, 1)
                ]
            )
        );
    }
    let drawn = risk.cells.len().min(MAX_RISK_CELLS_DRAWN);
    if let Some(bounds) = hazard_bounds(input.hazards) {
        let proj = Projection::fit(bounds);
        let mut paths: Vec<String> = vec![String::new(); CLASSES.len()];
        for cell in &risk.cells[..drawn] {
            let d = &mut paths[class_of(cell.risk)];
            for (k, c) in cell.outline.exterior().0.iter().enumerate() {
                let (x, y) = proj.xy(c.x, c.y);
                let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        let _ = writeln!(
            out,
            "<svg class=\"map\" viewBox=\"0 0 {WIDTH} {MAP_HEIGHT}\" role=\"img\" aria-label=\"{}\">",
            tr(lang, "risk map")
        );
        for (i, d) in paths.iter().enumerate() {
            if !d.is_empty() {
                let _ = writeln!(out, "<path d=\"{d}\" fill=\"{}\" stroke=\"none\"/>", CLASSES[i].1);
            }
        }
        if let Some(sugg) = &risk.suggested {
            let mut d = String::new();
            for ring in sugg.outlines.iter().flat_map(|m| &m.0).map(|p| p.exterior()) {
                for (k, c) in ring.0.iter().enumerate() {
                    let (x, y) = proj.xy(c.x, c.y);
                    let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
            if !d.is_empty() {
                let _ = writeln!(
                    out,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"#1f78b4\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>"
                );
            }
        }
        out.push_str("</svg>\n<p class=\"legend\">");
        for (_, colour, label) in CLASSES {
            let label = with_decimal_mark(lang, label);
            let _ = write!(
                out,
                "<span style=\"background:{colour}\">&nbsp;&nbsp;&nbsp;</span> {label} &nbsp; "
            );
        }
        out.push_str("</p>\n");
        if drawn < risk.cells.len() {
            let _ = writeln!(
                out,
                "<p class=\"caption\">{}</p>",
                tr_fill(
                    lang,
                    "The first {} of {} cells are drawn; the layer risk_cells holds all.",
                    &[
                        &thousands(lang, drawn as u64),
                        &thousands(lang, risk.cells.len() as u64)
                    ]
                )
            );
        }
    }
    if let Some(sugg) = &risk.suggested {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            tr_fill(
                lang,
                "{} suggested new SHA(s) outside every hazard, {} in all (dashed blue outlines): land the model rates at least as risky as half the cells where ordnance was found, or holding a find or an accident outside every hazard; for non-technical survey (<code>demine risk suggest --out FILE.geojson</code>).",
                &[&thousands(lang, sugg.outlines.len() as u64), &km2(lang, sugg.area_m2)]
            )
        );
    }
    let mut ranked: Vec<&HazardRisk> = risk.hazards.iter().collect();
    let (heading, p_column) = if risk.ranked {
        (
            "Hazards with the most expected items not yet found",
            "P(contaminated), calibrated",
        )
    } else {
        ranked.sort_by(|a, b| b.p_any.total_cmp(&a.p_any).then_with(|| a.hazard_id.cmp(&b.hazard_id)));
        ("Hazards most likely to hold ordnance", "P(any item)")
    };
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<table>\n<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        tr(lang, heading),
        tr(lang, "Hazard"),
        tr(lang, p_column),
        tr(lang, "Expected contaminated share")
    );
    for (i, h) in ranked.iter().take(TOP_RISK_HAZARDS).enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}&nbsp;%</td></tr>",
            i + 1,
            escape(&h.hazard_id),
            grouped(lang, h.p_any, 3),
            grouped(lang, 100.0 * h.expected_contaminated_share, 1)
        );
    }
    out.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_zero_to_one() {
        assert_eq!(class_of(0.0), 0);
        assert_eq!(class_of(0.2), 1);
        assert_eq!(class_of(0.69), 3);
        assert_eq!(class_of(1.0), 4);
    }
}
