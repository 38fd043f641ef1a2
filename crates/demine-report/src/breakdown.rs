//! Released area broken down by month, organisation or class: tables, and a bar chart of the
//! months (stacked by outcome) with the cumulative released area.

use crate::text::{escape, grouped, km2};
use std::fmt::Write as _;

/// One row: a month (`2024-05`), an organisation or a class. Areas in m².
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownRow {
    pub key: String,
    pub hazards: usize,
    pub area_m2: f64,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub remaining_m2: f64,
    /// Months: released up to the end of the month.
    pub cumulative_released_m2: Option<f64>,
}

/// A breakdown table.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// Section title, e.g. "Released by organisation, 2024-01-01 to 2024-12-31".
    pub title: String,
    /// Header of the key column: "Month", "Organisation", "Class".
    pub key_label: String,
    /// How the figures are made (shown under the table).
    pub note: String,
    pub rows: Vec<BreakdownRow>,
    /// Draw the bar chart (months).
    pub chart: bool,
}

/// km² with three decimals, no unit (the column header has it).
fn kmn(m2: f64) -> String {
    grouped(m2 / 1e6, 3)
}

fn released(r: &BreakdownRow) -> f64 {
    r.cancelled_m2 + r.reduced_m2 + r.cleared_m2
}

/// Writes the breakdown sections.
pub(crate) fn write_breakdowns(out: &mut String, breakdowns: &[Breakdown]) {
    for (i, b) in breakdowns.iter().enumerate() {
        let _ = writeln!(out, "<section id=\"breakdown-{i}\">\n<h2>{}</h2>", escape(&b.title));
        if b.rows.is_empty() {
            out.push_str("<p>No land was released in this period.</p>\n</section>\n");
            continue;
        }
        if b.chart {
            out.push_str(&month_chart(&b.rows));
        }
        let _ = write!(
            out,
            "<table class=\"figures\">\n<thead><tr><th>{}</th><th class=\"n\">Hazards</th><th class=\"n\">Cancelled (km²)</th>\
             <th class=\"n\">Reduced (km²)</th><th class=\"n\">Cleared (km²)</th><th class=\"n\">Released (km²)</th>\
             <th class=\"n\">{}</th></tr></thead>\n<tbody>\n",
            escape(&b.key_label),
            if b.chart { "Cumulative released (km²)" } else { "Remaining (km²)" }
        );
        let (mut c, mut r, mut cl) = (0.0, 0.0, 0.0);
        for row in &b.rows {
            c += row.cancelled_m2;
            r += row.reduced_m2;
            cl += row.cleared_m2;
            let last = if b.chart {
                row.cumulative_released_m2.unwrap_or(0.0)
            } else {
                row.remaining_m2
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&row.key),
                row.hazards,
                kmn(row.cancelled_m2),
                kmn(row.reduced_m2),
                kmn(row.cleared_m2),
                kmn(released(row)),
                kmn(last)
            );
        }
        let _ = writeln!(
            out,
            "<tr class=\"sum\"><td>Total</td><td></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td></tr>\n</tbody>\n</table>",
            kmn(c),
            kmn(r),
            kmn(cl),
            kmn(c + r + cl)
        );
        let _ = writeln!(out, "<p class=\"note\">{}</p>\n</section>", escape(&b.note));
    }
}

/// Stacked bars of the land released each month (cancelled, reduced, cleared).
fn month_chart(rows: &[BreakdownRow]) -> String {
    let (w, h, pad) = (760.0, 220.0, 40.0);
    let max = rows.iter().map(released).fold(0.0_f64, f64::max).max(1.0);
    let bw = ((w - 2.0 * pad) / rows.len() as f64).min(40.0);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Land released per month, by outcome\">\n"
    );
    for (i, r) in rows.iter().enumerate() {
        let x = pad + i as f64 * bw;
        let mut y = h - pad;
        for (v, class) in [
            (r.cancelled_m2, "cancelled"),
            (r.reduced_m2, "reduced"),
            (r.cleared_m2, "cleared"),
        ] {
            let bh = (h - 2.0 * pad) * v / max;
            if bh > 0.0 {
                y -= bh;
                let _ = writeln!(
                    s,
                    "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{} {class}: {} km²</title></rect>",
                    (bw - 2.0).max(1.0),
                    escape(&r.key),
                    km2(v)
                );
            }
        }
        if rows.len() <= 24 || i % (rows.len() / 12 + 1) == 0 {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                x + bw / 2.0,
                h - pad + 12.0,
                escape(&r.key)
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"4\" y=\"14\" font-size=\"10\">{} km² max / month</text></svg>",
        km2(max)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_drawn_and_totalled() {
        let row = |k: &str, c: f64| BreakdownRow {
            key: k.into(),
            hazards: 1,
            area_m2: 1e6,
            cancelled_m2: c,
            reduced_m2: 0.0,
            cleared_m2: 2.0e4,
            remaining_m2: 0.0,
            cumulative_released_m2: Some(c + 2.0e4),
        };
        let b = Breakdown {
            title: "Released by month".into(),
            key_label: "Month".into(),
            note: "by the month the releasing activity ended".into(),
            rows: vec![row("2024-05", 1.0e5), row("2024-06", 0.0)],
            chart: true,
        };
        let mut out = String::new();
        write_breakdowns(&mut out, &[b]);
        assert!(out.contains("<svg") && out.contains("2024-06"));
        assert!(out.contains("<td>Total</td>"));
        assert_eq!(out.matches("<rect").count(), 3, "two outcomes in May, one in June");
    }
}
