//! The strategies section: each strategy's completion, work, released land and residual risk
//! (predicted, and true on SYNTHETIC demo data), the frontier of completion against expected
//! residual items (SVG), the chosen strategy's Gantt chart, and reliability diagrams of
//! predicted probabilities against what was observed.

use crate::lang::{tr, tr_fill, Lang};
use crate::plan::{gantt_svg, PlanSection};
use crate::text::{escape, grouped, thousands};
use chrono::NaiveDate;
use std::fmt::Write;

/// One strategy's figures.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub completion_p10: NaiveDate,
    pub completion_p50: NaiveDate,
    pub completion_p90: NaiveDate,
    pub team_days: f64,
    pub cost: f64,
    /// Released land by outcome: cancelled, reduced, cleared (m²).
    pub by_outcome_m2: [f64; 3],
    pub expected_residual_items: f64,
    /// Items of the demo's hidden truth left in released land (SYNTHETIC only).
    pub true_residual_items: Option<u64>,
}

/// One point of the frontier.
#[derive(Debug, Clone)]
pub struct FrontierDot {
    /// The strategy's name (`clear-all`, `survey-led`, `evidence-led`).
    pub strategy: String,
    /// For evidence-led points: the planning horizon that chose its thresholds, in working days.
    pub horizon_days: Option<f64>,
    /// Completion at the section's confidence.
    pub completion: NaiveDate,
    pub expected_residual_items: f64,
}

/// A reliability diagram: (mean predicted, observed share, cases) per bin.
#[derive(Debug, Clone)]
pub struct Reliability {
    pub bins: Vec<(f64, f64, usize)>,
    /// Expected items left over the cases, and the true count (SYNTHETIC demo only).
    pub expected_items: f64,
    pub true_items: u64,
}

/// What the section shows.
#[derive(Debug, Clone)]
pub struct StrategySection {
    pub synthetic: bool,
    pub rows: Vec<Row>,
    pub frontier: Vec<FrontierDot>,
    pub confidence: f64,
    /// The chosen strategy and its plan.
    pub chosen: String,
    pub gantt: PlanSection,
    pub reliability: Vec<Reliability>,
}

/// The frontier: completion date (x) against expected residual items (y, log scale).
pub fn frontier_svg(lang: Lang, dots: &[FrontierDot]) -> String {
    let (left, top, w, h) = (70.0, 16.0, 560.0, 240.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">",
        left + w + 20.0,
        top + h + 40.0
    );
    if dots.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let first = dots.iter().map(|d| d.completion).min().unwrap_or_default();
    let last = dots.iter().map(|d| d.completion).max().unwrap_or_default();
    let span = ((last - first).num_days() as f64).max(1.0);
    let ly = |v: f64| (v.max(0.0) + 1.0).log10();
    let ymax = dots.iter().map(|d| ly(d.expected_residual_items)).fold(0.1, f64::max);
    let x = |d: NaiveDate| left + (d - first).num_days() as f64 / span * w;
    let y = |v: f64| top + h - ly(v) / ymax * h;
    let _ = write!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>"
    );
    for (d, anchor) in [(first, "start"), (last, "end")] {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{d}</text>",
            x(d),
            top + h + 14.0
        );
    }
    let mut tick = 1.0;
    while ly(tick) <= ymax {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{tick:.0}</text><line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>",
            left - 4.0,
            y(tick) + 4.0,
            left + w,
            y(tick),
            y(tick)
        );
        tick *= 10.0;
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
        left + w / 2.0,
        top + h + 30.0,
        tr(lang, "completion"),
        top + h / 2.0,
        top + h / 2.0,
        tr(lang, "expected items left")
    );
    let mut line: Vec<&FrontierDot> = dots.iter().filter(|d| d.strategy == "evidence-led").collect();
    line.sort_by_key(|d| d.completion);
    let pts: Vec<String> = line
        .iter()
        .map(|d| format!("{:.1},{:.1}", x(d.completion), y(d.expected_residual_items)))
        .collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#6aa36f\" stroke-width=\"1.5\"/>",
        pts.join(" ")
    );
    for d in dots {
        let colour = if d.strategy == "evidence-led" {
            "#6aa36f"
        } else {
            "#c0392b"
        };
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"><title>{}</title></circle>",
            x(d.completion),
            y(d.expected_residual_items),
            tr_fill(
                lang,
                "{}: {}, {} items",
                &[
                    &escape(&dot_label(lang, d)),
                    &d.completion,
                    &grouped(lang, d.expected_residual_items, 0)
                ]
            )
        );
    }
    out.push_str("</svg>");
    out
}

/// A reliability diagram: observed share against mean prediction per bin, with the diagonal.
/// A frontier point's name: the strategy, and the horizon of an evidence-led point.
fn dot_label(lang: Lang, d: &FrontierDot) -> String {
    match d.horizon_days {
        Some(h) => tr_fill(lang, "{}, {} working days", &[&d.strategy, &grouped(lang, h, 0)]),
        None => d.strategy.clone(),
    }
}

pub fn reliability_svg(lang: Lang, r: &Reliability) -> String {
    let (left, top, s) = (40.0, 10.0, 200.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"10\">\
         <rect x=\"{left}\" y=\"{top}\" width=\"{s}\" height=\"{s}\" fill=\"none\" stroke=\"#999\"/>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{top}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text x=\"10\" y=\"{}\" transform=\"rotate(-90 10 {})\" text-anchor=\"middle\">{}</text>",
        left + s + 10.0,
        top + s + 30.0,
        top + s,
        left + s,
        left + s / 2.0,
        top + s + 24.0,
        tr(lang, "predicted"),
        top + s / 2.0,
        top + s / 2.0,
        tr(lang, "observed")
    );
    for &(p, o, n) in &r.bins {
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#2c7fb8\"><title>{}</title></circle>",
            left + p.clamp(0.0, 1.0) * s,
            top + s - o.clamp(0.0, 1.0) * s,
            tr_fill(
                lang,
                "predicted {}, observed {}, {} cases",
                &[&grouped(lang, p, 3), &grouped(lang, o, 3), &thousands(lang, n as u64)]
            )
        );
    }
    out.push_str("</svg>");
    out
}

/// The section as an HTML fragment.
pub fn strategy_fragment(lang: Lang, s: &StrategySection) -> String {
    let mut out = format!("<section><h2>{}</h2>", tr(lang, "Release strategies"));
    if s.synthetic {
        let _ = write!(
            out,
            "<p>{}</p>",
            tr(
                lang,
                "<b>SYNTHETIC DATA</b>: true items come from the demo's hidden ground truth."
            )
        );
    }
    out.push_str("<table><tr>");
    for head in [
        "strategy",
        "P10",
        "P50",
        "P90",
        "team-days",
        "cost (teams' currency)",
        "cancelled km²",
        "reduced km²",
        "cleared km²",
        "expected items left",
        "true items left",
    ] {
        let _ = write!(out, "<th>{}</th>", tr(lang, head));
    }
    out.push_str("</tr>");
    for r in &s.rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&r.name),
            r.completion_p10,
            r.completion_p50,
            r.completion_p90,
            grouped(lang, r.team_days, 0),
            grouped(lang, r.cost, 0),
            grouped(lang, r.by_outcome_m2[0] / 1e6, 1),
            grouped(lang, r.by_outcome_m2[1] / 1e6, 1),
            grouped(lang, r.by_outcome_m2[2] / 1e6, 1),
            grouped(lang, r.expected_residual_items, 0),
            r.true_residual_items.map_or("—".into(), |t| thousands(lang, t))
        );
    }
    out.push_str("</table>");
    let _ = write!(
        out,
        "<h3>{}</h3>",
        tr_fill(
            lang,
            "Frontier: completion ({} confidence) against expected items left in released land",
            &[&format!("{}&nbsp;%", grouped(lang, 100.0 * s.confidence, 0))]
        )
    );
    out.push_str(&frontier_svg(lang, &s.frontier));
    if !s.reliability.is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><div>",
            tr(lang, "Reliability: predicted probability against what was observed")
        );
        for r in &s.reliability {
            let _ = write!(
                out,
                "<figure style=\"display:inline-block\">{}<figcaption>{}</figcaption></figure>",
                reliability_svg(lang, r),
                tr_fill(
                    lang,
                    "Released land of {} hazards: predicted P(an item is left) against the hidden truth (SYNTHETIC); {} items expected, {} true",
                    &[
                        &thousands(lang, r.bins.iter().map(|b| b.2 as u64).sum()),
                        &grouped(lang, r.expected_items, 0),
                        &thousands(lang, r.true_items)
                    ]
                )
            );
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "<h3>{}</h3>",
        tr_fill(
            lang,
            "Team schedule of {} (Gantt): NTS blue, TS yellow, clearance green",
            &[&escape(&s.chosen)]
        )
    );
    out.push_str(&gantt_svg(lang, &s.gantt));
    out.push_str("</section>");
    out
}
