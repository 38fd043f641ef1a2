//! The campaign plan drawn from plain values: a Gantt chart of team work (SVG), the
//! released-area curve with its P10–P90 band, and the completion dates.

use crate::lang::{tr, tr_fill, Lang};
use crate::text::{escape, grouped, unit_km2};
use chrono::{Duration, NaiveDate};
use std::fmt::Write;

/// One bar of the Gantt chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub team: String,
    pub task: String,
    /// `nts`, `ts` or `clearance`.
    pub stage: String,
    /// Days from the plan start.
    pub start_day: f64,
    pub end_day: f64,
}

/// What the plan section shows.
#[derive(Debug, Clone)]
pub struct PlanSection {
    pub start_date: NaiveDate,
    /// Axis in days rather than dates (`--calendar none`).
    pub continuous_days: bool,
    /// Rows of the chart, in order.
    pub team_ids: Vec<String>,
    pub bars: Vec<Bar>,
    /// Planned cumulative m² released by the end of each month (`YYYY-MM`).
    pub released: Vec<(String, f64)>,
    /// Forecast band per month: (month, p10, p50, p90) cumulative m²; empty without a forecast.
    pub band: Vec<(String, f64, f64, f64)>,
    /// Planned completion date.
    pub completion: String,
    /// Forecast completion dates P10, P50, P90.
    pub completion_p: Option<[String; 3]>,
    pub synthetic: bool,
}

/// Most team rows drawn; the rest are summarised.
const MAX_ROWS: usize = 60;

fn stage_colour(stage: &str) -> &'static str {
    match stage {
        "nts" => "#8fb8de",
        "ts" => "#f2c572",
        "preparation" => "#b58b5a",
        _ => "#6aa36f",
    }
}

/// The Gantt chart: one row per team, one bar per piece of work, coloured by stage.
pub fn gantt_svg(lang: Lang, s: &PlanSection) -> String {
    let rows: Vec<&String> = s.team_ids.iter().take(MAX_ROWS).collect();
    let end = s.bars.iter().map(|b| b.end_day).fold(1.0, f64::max);
    let (left, width, row_h, top) = (110.0, 760.0, 14.0, 24.0);
    let height = top + row_h * rows.len() as f64 + 30.0;
    let x = |d: f64| left + d / end * width;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {height}" width="{w}" height="{height}" font-family="sans-serif" font-size="10">"#,
        w = left + width + 20.0
    );
    if s.synthetic {
        let _ = write!(out, r##"<text x="{left}" y="12" fill="#b00">SYNTHETIC</text>"##);
    }
    // Time axis: about eight ticks.
    for i in 0..=8 {
        let d = end * i as f64 / 8.0;
        let label = if s.continuous_days {
            tr_fill(lang, "day {}", &[&format!("{d:.0}")])
        } else {
            (s.start_date + Duration::days(d as i64)).format("%Y-%m-%d").to_string()
        };
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{y2:.1}" stroke="#ddd"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle">{label}</text>"##,
            x = x(d),
            y2 = height - 24.0,
            ty = height - 10.0
        );
    }
    for (r, team) in rows.iter().enumerate() {
        let y = top + r as f64 * row_h;
        let _ = write!(
            out,
            r#"<text x="{tx}" y="{ty:.1}" text-anchor="end">{name}</text>"#,
            tx = left - 4.0,
            ty = y + row_h - 4.0,
            name = escape(team)
        );
        for b in s.bars.iter().filter(|b| &&b.team == team) {
            let _ = write!(
                out,
                r##"<rect x="{x0:.2}" y="{y:.1}" width="{w:.2}" height="{h:.1}" fill="{c}" stroke="#333" stroke-width="0.3"><title>{title}</title></rect>"##,
                x0 = x(b.start_day),
                w = (x(b.end_day) - x(b.start_day)).max(0.5),
                h = row_h - 3.0,
                c = stage_colour(&b.stage),
                title = tr_fill(
                    lang,
                    "{} ({}) day {}–{}",
                    &[
                        &escape(&b.task),
                        &escape(&b.stage),
                        &grouped(lang, b.start_day, 1),
                        &grouped(lang, b.end_day, 1)
                    ]
                )
            );
        }
    }
    if s.team_ids.len() > MAX_ROWS {
        let _ = write!(
            out,
            r#"<text x="{left}" y="{y:.1}">{text}</text>"#,
            y = top + row_h * rows.len() as f64 + 10.0,
            text = tr_fill(lang, "… and {} more teams", &[&(s.team_ids.len() - MAX_ROWS)])
        );
    }
    out.push_str("</svg>");
    out
}

/// The released-area curve (planned) and the forecast P10–P90 band, in km², per month.
pub fn released_svg(lang: Lang, s: &PlanSection) -> String {
    let n = s.released.len().max(s.band.len()).max(2);
    let max = s
        .released
        .iter()
        .map(|r| r.1)
        .chain(s.band.iter().map(|b| b.3))
        .fold(1.0, f64::max);
    let (left, width, top, height) = (60.0, 760.0, 10.0, 200.0);
    let x = |i: usize| left + i as f64 / (n - 1) as f64 * width;
    let y = |m2: f64| top + height - m2 / max * height;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 840 250" width="840" height="250" font-family="sans-serif" font-size="10">"#
    );
    if !s.band.is_empty() {
        let mut d = String::new();
        for (i, b) in s.band.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(b.3));
        }
        for (i, b) in s.band.iter().enumerate().rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x(i), y(b.1));
        }
        let _ = write!(
            out,
            r##"<path d="{d}Z" fill="#6aa36f" fill-opacity="0.25" stroke="none"/>"##
        );
        let mut m = String::new();
        for (i, b) in s.band.iter().enumerate() {
            let _ = write!(m, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(b.2));
        }
        let _ = write!(
            out,
            r##"<path d="{m}" fill="none" stroke="#6aa36f" stroke-dasharray="4 2"/>"##
        );
    }
    let mut p = String::new();
    for (i, r) in s.released.iter().enumerate() {
        let _ = write!(p, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(r.1));
    }
    let _ = write!(out, r##"<path d="{p}" fill="none" stroke="#225" stroke-width="1.5"/>"##);
    let months: Vec<&String> = if s.band.len() >= s.released.len() {
        s.band.iter().map(|b| &b.0).collect()
    } else {
        s.released.iter().map(|r| &r.0).collect()
    };
    let step = (months.len() / 8).max(1);
    for (i, m) in months.iter().enumerate().step_by(step) {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(i),
            top + height + 14.0,
            escape(m)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{} {}</text><text x="{:.1}" y="{:.1}" text-anchor="end">0</text>"#,
        left - 4.0,
        top + 8.0,
        grouped(lang, max / 1e6, 2),
        unit_km2(lang),
        left - 4.0,
        top + height
    );
    out.push_str("</svg>");
    out
}

/// The plan section as an HTML fragment (headings, dates, both charts).
pub fn plan_fragment(lang: Lang, s: &PlanSection) -> String {
    let mut out = format!("<section><h2>{}</h2><p>", tr(lang, "Plan and forecast"));
    out.push_str(&tr_fill(
        lang,
        "Planned completion: <b>{}</b>",
        &[&escape(&s.completion)],
    ));
    if let Some([p10, p50, p90]) = &s.completion_p {
        out.push_str(&tr_fill(
            lang,
            "; forecast completion P10 <b>{}</b>, P50 <b>{}</b>, P90 <b>{}</b>",
            &[&escape(p10), &escape(p50), &escape(p90)],
        ));
    }
    let _ = write!(
        out,
        ".</p><h3>{}</h3>",
        tr(lang, "Team schedule (Gantt): NTS blue, TS yellow, clearance green")
    );
    out.push_str(&gantt_svg(lang, s));
    let _ = write!(
        out,
        "<h3>{}</h3>",
        tr(
            lang,
            "Land released (cumulative): plan, forecast P50 dashed, P10–P90 band"
        )
    );
    out.push_str(&released_svg(lang, s));
    out.push_str("</section>");
    out
}

/// A standalone HTML page of the plan section.
pub fn plan_html(lang: Lang, s: &PlanSection) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}{}</title></head><body>{}{}</body></html>",
        lang.code(),
        tr(lang, "demine plan"),
        if s.synthetic { " (SYNTHETIC)" } else { "" },
        if s.synthetic {
            format!("<p><b>{}</b></p>", tr(lang, "SYNTHETIC DATA"))
        } else {
            String::new()
        },
        plan_fragment(lang, s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gantt_has_one_bar_per_piece_and_escapes_names() {
        let s = PlanSection {
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            continuous_days: false,
            team_ids: vec!["A<1>".into(), "B".into()],
            bars: vec![
                Bar {
                    team: "A<1>".into(),
                    task: "t1".into(),
                    stage: "nts".into(),
                    start_day: 0.0,
                    end_day: 3.0,
                },
                Bar {
                    team: "B".into(),
                    task: "t2".into(),
                    stage: "clearance".into(),
                    start_day: 1.0,
                    end_day: 9.0,
                },
            ],
            released: vec![("2026-01".into(), 10.0)],
            band: vec![("2026-01".into(), 5.0, 10.0, 15.0)],
            completion: "2026-01-10".into(),
            completion_p: Some(["2026-01-09".into(), "2026-01-10".into(), "2026-01-20".into()]),
            synthetic: true,
        };
        let svg = gantt_svg(Lang::En, &s);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("A&lt;1&gt;") && svg.contains("SYNTHETIC"));
        let html = plan_html(Lang::En, &s);
        assert!(html.contains("P90 <b>2026-01-20</b>"));
        let uk = plan_html(Lang::Uk, &s);
        assert!(uk.contains("прогноз завершення P10 <b>2026-01-09</b>") && uk.contains("SYNTHETIC"));
    }
}
