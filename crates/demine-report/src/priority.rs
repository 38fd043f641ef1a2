//! The priority section: hazards ranked by the authority's multi-criteria score, each score
//! with the points every criterion gave it.

use crate::text::{escape, thousands};
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

pub(crate) fn write_priorities(out: &mut String, p: &PrioritySection) {
    out.push_str("<section>\n<h2>Priorities</h2>\n");
    let total: f64 = p.criteria.iter().map(|c| c.1).sum();
    let _ = writeln!(
        out,
        "<p>{} hazards with land left, ranked by a score of 0–100: Σ weight × criterion / Σ weights. \
         Weights: {}. Columns give each criterion's points, so every score can be checked. \
         {} SHA(s) are suggested as CHA from direct or indirect evidence (<code>demine priority</code> \
         explains each).</p>",
        thousands(p.ranked as u64),
        p.criteria
            .iter()
            .map(|(c, w)| format!(
                "{} {:.0} %",
                escape(c),
                if total > 0.0 { 100.0 * w / total } else { 0.0 }
            ))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(p.suggested_cha as u64)
    );
    out.push_str("<table>\n<tr><th>#</th><th>Hazard</th><th>Class</th><th>Score</th><th>Remaining</th>");
    for (c, _) in &p.criteria {
        let _ = write!(out, "<th>{}</th>", escape(c));
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
            "<tr><td>{}</td><td><code>{}</code></td><td>{class}</td><td><b>{:.1}</b></td><td>{} m²</td>",
            r.rank,
            escape(&r.hazard_id),
            r.score,
            thousands(r.remaining_m2.round() as u64)
        );
        for pts in &r.points {
            let _ = write!(out, "<td>{pts:.1}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}
