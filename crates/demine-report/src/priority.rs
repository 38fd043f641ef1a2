//! The priority section: hazards ranked by the authority's multi-criteria score, each score
//! with the points every criterion gave it.

use crate::lang::{tr, tr_any, tr_fill, Lang};
use crate::text::{escape, grouped, m2, thousands};
use std::fmt::Write;

/// Hazards listed.
pub const TOP_PRIORITY_HAZARDS: usize = 25;

/// One ranked hazard, as plain values.
#[derive(Debug, Clone)]
pub struct PriorityRow {
    pub rank: usize,
    pub hazard_id: String,
    pub class: String,
    /// The class the evidence suggests (e.g. `CHA` for an SHA with finds inside).
    pub suggested_class: String,
    /// 0–100.
    pub score: f64,
    pub remaining_m2: f64,
    /// Points per criterion, in the order of [`PrioritySection::criteria`].
    pub points: Vec<f64>,
}

/// A ranked list from `demine priority`.
#[derive(Debug, Clone)]
pub struct PrioritySection<'a> {
    pub rows: &'a [PriorityRow],
    /// `(criterion, weight)`.
    pub criteria: Vec<(String, f64)>,
    /// SHAs the evidence suggests as CHAs.
    pub suggested_cha: usize,
    /// Hazards ranked in all.
    pub ranked: usize,
}

pub(crate) fn write_priorities(out: &mut String, lang: Lang, p: &PrioritySection) {
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", tr(lang, "Priorities"));
    let total: f64 = p.criteria.iter().map(|c| c.1).sum();
    let weights = p
        .criteria
        .iter()
        .map(|(c, w)| {
            format!(
                "{} {}&nbsp;%",
                escape(tr_any(lang, c)),
                grouped(lang, if total > 0.0 { 100.0 * w / total } else { 0.0 }, 0)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "<p>{}</p>",
        tr_fill(
            lang,
            "{} hazards with land left, ranked by a score of 0–100: Σ weight × criterion / Σ weights. Weights: {}. Columns give each criterion's points, so every score can be checked. {} SHA(s) are suggested as CHA from direct or indirect evidence (<code>demine priority</code> explains each).",
            &[
                &thousands(lang, p.ranked as u64),
                &weights,
                &thousands(lang, p.suggested_cha as u64)
            ]
        )
    );
    out.push_str("<table>\n<tr><th>#</th>");
    for head in ["Hazard", "Class", "Score", "Remaining"] {
        let _ = write!(out, "<th>{}</th>", tr(lang, head));
    }
    for (c, _) in &p.criteria {
        let _ = write!(out, "<th>{}</th>", escape(tr_any(lang, c)));
    }
    out.push_str("</tr>\n");
    for r in p.rows.iter().take(TOP_PRIORITY_HAZARDS) {
        let class = if r.class == r.suggested_class {
            escape(&r.class)
        } else {
            format!("{} → {}", escape(&r.class), escape(&r.suggested_class))
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{class}</td><td><b>{}</b></td><td>{}</td>",
            r.rank,
            escape(&r.hazard_id),
            grouped(lang, r.score, 1),
            m2(lang, r.remaining_m2)
        );
        for pts in &r.points {
            let _ = write!(out, "<td>{}</td>", grouped(lang, *pts, 1));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}
