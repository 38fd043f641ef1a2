//! The risk section: H3 hexagons coloured by modelled probability of contamination, and the
//! hazards ranked by the probability that they hold any item.

use crate::map::{hazard_bounds, Projection, MAP_HEIGHT, WIDTH};
use crate::text::{escape, thousands};
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
    /// How the map scored against a known truth (the SYNTHETIC demo's), in words.
    pub truth_note: Option<String>,
    /// `hazards` come ranked (by the contamination model: expected items not yet found, then
    /// expected contaminated area) and are listed in that order; otherwise by P(any item).
    pub ranked: bool,
    /// Suggested new SHAs outside every hazard (`demine risk suggest`), when computed.
    pub suggested: Option<Suggested<'a>>,
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
    out.push_str("<section id=\"risk\">\n<h2>Contamination risk (model)</h2>\n");
    let _ = writeln!(
        out,
        "<p>{} H3 cells scored by the {} model{}. Colour: modelled probability that the cell holds \
         explosive ordnance.</p>",
        thousands(risk.cells.len() as u64),
        escape(&risk.model),
        risk.auc
            .map(|a| format!(" (spatial cross-validation ROC-AUC {a:.3})"))
            .unwrap_or_default()
    );
    if let Some(note) = &risk.truth_note {
        let _ = writeln!(out, "<p>{}</p>", escape(note));
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
            "<svg class=\"map\" viewBox=\"0 0 {WIDTH} {MAP_HEIGHT}\" role=\"img\" aria-label=\"risk map\">"
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
            let _ = write!(
                out,
                "<span style=\"background:{colour}\">&nbsp;&nbsp;&nbsp;</span> {label} &nbsp; "
            );
        }
        out.push_str("</p>\n");
        if drawn < risk.cells.len() {
            let _ = writeln!(
                out,
                "<p class=\"caption\">The first {} of {} cells are drawn; the layer risk_cells holds all.</p>",
                thousands(drawn as u64),
                thousands(risk.cells.len() as u64)
            );
        }
    }
    if let Some(sugg) = &risk.suggested {
        let _ = writeln!(
            out,
            "<p>{} suggested new SHA(s) outside every hazard, {:.2} km² in all (dashed blue outlines): land the \
             model rates at least as risky as half the cells where ordnance was found, or holding a find or an \
             accident outside every hazard; for non-technical survey (<code>demine risk suggest --out \
             FILE.geojson</code>).</p>",
            thousands(sugg.outlines.len() as u64),
            sugg.area_m2 / 1e6
        );
    }
    let mut ranked: Vec<&HazardRisk> = risk.hazards.iter().collect();
    if risk.ranked {
        out.push_str(
            "<h3>Hazards with the most expected items not yet found</h3>\n<table>\n<tr><th>#</th><th>Hazard</th>\
             <th>P(contaminated), calibrated</th><th>Expected contaminated share</th></tr>\n",
        );
    } else {
        ranked.sort_by(|a, b| b.p_any.total_cmp(&a.p_any).then_with(|| a.hazard_id.cmp(&b.hazard_id)));
        out.push_str(
            "<h3>Hazards most likely to hold ordnance</h3>\n<table>\n<tr><th>#</th><th>Hazard</th>\
             <th>P(any item)</th><th>Expected contaminated share</th></tr>\n",
        );
    }
    for (i, h) in ranked.iter().take(TOP_RISK_HAZARDS).enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{:.3}</td><td>{:.1} %</td></tr>",
            i + 1,
            escape(&h.hazard_id),
            h.p_any,
            100.0 * h.expected_contaminated_share
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
