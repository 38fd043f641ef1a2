//! Released area broken down by month, organisation or class: tables, and a bar chart of the
//! months (stacked by outcome) with the cumulative released area.

use crate::lang::{tr, tr_fill, Lang};
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

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakdownBy {
    /// The month the releasing activity ended (a chart, and cumulative released area).
    Month,
    Organisation,
    /// Hazard class (SHA, CHA).
    Class,
}

/// A breakdown table over an optional period; the report writes its title, header and note in
/// the report's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub by: BreakdownBy,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub rows: Vec<BreakdownRow>,
}

impl Breakdown {
    /// Section title, e.g. "Released by organisation, 2024-01-01 to 2024-12-31".
    pub fn title(&self, lang: Lang) -> String {
        let by = tr(
            lang,
            match self.by {
                BreakdownBy::Month => "Released by month",
                BreakdownBy::Organisation => "Released by organisation",
                BreakdownBy::Class => "Released by hazard class",
            },
        );
        let span = match (self.from, self.to) {
            (Some(f), Some(t)) => tr_fill(lang, ", {} to {}", &[&f, &t]),
            (Some(f), None) => tr_fill(lang, ", from {}", &[&f]),
            (None, Some(t)) => tr_fill(lang, ", to {}", &[&t]),
            (None, None) => String::new(),
        };
        format!("{by}{span}")
    }

    fn key_label(&self, lang: Lang) -> &'static str {
        tr(
            lang,
            match self.by {
                BreakdownBy::Month => "Month",
                BreakdownBy::Organisation => "Organisation",
                BreakdownBy::Class => "Class",
            },
        )
    }

    fn note(&self, lang: Lang) -> &'static str {
        tr(
            lang,
            match self.by {
                BreakdownBy::Month => "Land counted in the month its releasing activity ended; each piece of land once, by the earliest activity.",
                _ => "Sums of the group's hazards (land shared by overlapping hazards of two groups counts in both).",
            },
        )
    }

    fn chart(&self) -> bool {
        self.by == BreakdownBy::Month
    }
}

fn kmn(lang: Lang, m2: f64) -> String {
    grouped(lang, m2 / 1e6, 3)
}

fn released(r: &BreakdownRow) -> f64 {
    r.cancelled_m2 + r.reduced_m2 + r.cleared_m2
}

/// Writes the breakdown sections.
pub(crate) fn write_breakdowns(out: &mut String, lang: Lang, breakdowns: &[Breakdown]) {
    let kmn = |m2| kmn(lang, m2);
    for (i, b) in breakdowns.iter().enumerate() {
        let _ = writeln!(
            out,
            "<section id=\"breakdown-{i}\">\n<h2>{}</h2>",
            escape(&b.title(lang))
        );
        if b.rows.is_empty() {
            let _ = writeln!(
                out,
                "<p>{}</p>\n</section>",
                tr(lang, "No land was released in this period.")
            );
            continue;
        }
        if b.chart() {
            out.push_str(&month_chart(lang, &b.rows));
        }
        let _ = write!(
            out,
            "<table class=\"figures\">\n<thead><tr><th>{}</th>",
            b.key_label(lang)
        );
        for head in [
            "Hazards",
            "Cancelled (km²)",
            "Reduced (km²)",
            "Cleared (km²)",
            "Released (km²)",
            if b.chart() {
                "Cumulative released (km²)"
            } else {
                "Remaining (km²)"
            },
        ] {
            let _ = write!(out, "<th class=\"n\">{}</th>", tr(lang, head));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        let (mut c, mut r, mut cl) = (0.0, 0.0, 0.0);
        for row in &b.rows {
            c += row.cancelled_m2;
            r += row.reduced_m2;
            cl += row.cleared_m2;
            let last = if b.chart() {
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
            "<tr class=\"sum\"><td>{}</td><td></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td></tr>\n</tbody>\n</table>",
            tr(lang, "Total"),
            kmn(c),
            kmn(r),
            kmn(cl),
            kmn(c + r + cl)
        );
        let _ = writeln!(out, "<p class=\"note\">{}</p>\n</section>", b.note(lang));
    }
}

/// Stacked bars of the land released each month (cancelled, reduced, cleared).
fn month_chart(lang: Lang, rows: &[BreakdownRow]) -> String {
    let (w, h, pad) = (760.0, 220.0, 40.0);
    let max = rows.iter().map(released).fold(0.0_f64, f64::max).max(1.0);
    let bw = ((w - 2.0 * pad) / rows.len() as f64).min(40.0);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n",
        tr(lang, "Land released per month, by outcome")
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
                    "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{} {}: {}</title></rect>",
                    (bw - 2.0).max(1.0),
                    escape(&r.key),
                    tr(lang, class),
                    km2(lang, v)
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
        "<text x=\"4\" y=\"14\" font-size=\"10\">{}</text>",
        tr_fill(lang, "{} max / month", &[&km2(lang, max)])
    );
    // The outcomes' colours, top right.
    for (k, (class, label)) in [
        ("cancelled", "Cancelled (NTS)"),
        ("reduced", "Reduced (TS)"),
        ("cleared", "Cleared"),
    ]
    .iter()
    .enumerate()
    {
        let x = w - 390.0 + 130.0 * k as f64;
        let _ = writeln!(
            s,
            "<rect class=\"{class}\" x=\"{x}\" y=\"5\" width=\"12\" height=\"10\"/><text x=\"{}\" y=\"14\" font-size=\"10\">{}</text>",
            x + 16.0,
            tr(lang, label)
        );
    }
    s.push_str("</svg>\n");
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
            by: BreakdownBy::Month,
            from: None,
            to: chrono::NaiveDate::from_ymd_opt(2024, 6, 30),
            rows: vec![row("2024-05", 1.0e5), row("2024-06", 0.0)],
        };
        let mut out = String::new();
        write_breakdowns(&mut out, Lang::En, std::slice::from_ref(&b));
        assert!(out.contains("<svg") && out.contains("2024-06"));
        assert!(out.contains("<td>Total</td>") && out.contains("<h2>Released by month, to 2024-06-30</h2>"));
        let mut uk = String::new();
        write_breakdowns(&mut uk, Lang::Uk, &[b]);
        assert!(uk.contains("<td>Разом</td>") && uk.contains("<h2>Звільнено за місяцями, до 2024-06-30</h2>"));
        assert_eq!(
            out.matches("</title></rect>").count(),
            3,
            "two outcomes in May, one in June"
        );
    }
}
