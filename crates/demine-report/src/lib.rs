//! # demine-report
//!
//! Printable, self-contained HTML reports of land release (IMAS 07.11) with an inline SVG map.
//!
//! **Owns:** the layout of the land-release report ([`render_html`]): header and SYNTHETIC
//! banner, totals over the union of hazards, status counts, the map (projection, styling by
//! status, class and outcome, legend, scale bar, north arrow, bounded size at national scale),
//! the table of hazards with the most land remaining, finds and accidents, and the footer; plus
//! the text helpers that make user data safe in HTML ([`escape`]) and put units on numbers; and
//! the words of every report in English and Ukrainian ([`lang`]: [`ReportInput::lang`] picks
//! one; user data — ids, names, a given title — stays as recorded).
//!
//! **Must never depend on:** the store, the CLI, a network, or file I/O. It takes domain values
//! from `demine-core` (already accounted by [`demine_core::release::account_registry`]) and
//! returns a `String`; the caller decides where it goes. The output loads nothing: no scripts,
//! no external style sheets, fonts or images, so a report opens offline and prints as is.
//!
//! Output is deterministic: the same input gives the same bytes (the generation time is given
//! by the caller).
//!
//! ```
//! use demine_core::release::{account_registry, HazardWithActivities};
//! use demine_core::{Hazard, HazardClass};
//! use demine_report::{render_html, ReportInput};
//! use geo::{polygon, MultiPolygon};
//!
//! let hazard = Hazard::new(
//!     "HZ-1",
//!     HazardClass::Cha,
//!     MultiPolygon::new(vec![polygon![
//!         (x: 30.0, y: 50.0), (x: 30.01, y: 50.0), (x: 30.01, y: 50.01), (x: 30.0, y: 50.01)]]),
//! );
//! let release = account_registry(
//!     &[HazardWithActivities { id: &hazard.id, geometry: &hazard.geometry, activities: vec![] }],
//!     true,
//! );
//! let hazards = [hazard];
//! let html = render_html(&ReportInput {
//!     lang: demine_report::Lang::En,
//!     title: "Land release — example".into(),
//!     synthetic: false,
//!     generated_at: "2025-01-01T00:00:00Z".into(),
//!     as_of: None,
//!     hazards: &hazards,
//!     release: &release,
//!     finds: &[],
//!     accidents: &[],
//!     context_lines: &[],
//!     context_points: &[],
//!     risk: None,
//!     priorities: None,
//!     plan: None,
//!     strategy: None,
//!     breakdowns: Vec::new(),
//! });
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("<svg"));
//! ```

pub mod breakdown;
pub mod certificate;
pub mod lang;
mod map;
#[cfg(test)]
mod tests;
mod text;

pub use map::{FULL_DETAIL_MAX_BYTES, FULL_DETAIL_MAX_HAZARDS};
pub mod plan;
pub mod priority;
pub mod risk;
pub mod strategy;
pub use lang::Lang;
pub use priority::{PriorityRow, PrioritySection};
pub use risk::{RiskSection, Suggested};
pub use text::{escape, grouped, unit_km2, unit_m2};

use demine_core::release::{HazardRelease, RegistryRelease, ReleaseFigures};
use demine_core::{Accident, Find, FindCategory, Hazard, HazardClass, HazardStatus};
use lang::{tr, tr_fill, Noun};
use std::fmt::Write;
use text::{count, km2, m2, pct, thousands};

/// How many hazards the per-hazard table lists.
pub const TOP_HAZARDS: usize = 50;

/// Everything the report shows. Nothing here is read from disk or a database.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The language the report is written in; user data (ids, names) stays as recorded.
    pub lang: Lang,
    /// Title, e.g. "Land release — SYNTHETIC campaign, region scale, seed 42".
    pub title: String,
    /// When true: a "SYNTHETIC DATA" banner at the top, a watermark on the map and a note in
    /// the footer.
    pub synthetic: bool,
    /// ISO timestamp of generation, given by the caller so that output is deterministic.
    pub generated_at: String,
    /// The date the figures describe; `None` means all records.
    pub as_of: Option<chrono::NaiveDate>,
    pub hazards: &'a [Hazard],
    /// The accounting of `hazards`: `per_hazard[i]` belongs to `hazards[i]`; fill `pieces`
    /// (`keep_pieces = true`) to see released land on the map.
    pub release: &'a RegistryRelease,
    pub finds: &'a [Find],
    pub accidents: &'a [Accident],
    /// Roads, line of contact, boundaries: drawn thin grey.
    pub context_lines: &'a [geo::LineString<f64>],
    /// Settlements: small dots; the first few (list the largest first) are labelled.
    pub context_points: &'a [(String, geo::Point<f64>)],
    /// A risk map to show (from `demine risk build`), or `None`.
    pub risk: Option<risk::RiskSection<'a>>,
    /// The ranked list from `demine priority`, or `None`.
    pub priorities: Option<priority::PrioritySection<'a>>,
    /// The campaign plan and forecast (Gantt chart, released-area band), or `None`.
    pub plan: Option<plan::PlanSection>,
    /// The release strategies compared (frontier, chosen plan, reliability), or `None`.
    pub strategy: Option<strategy::StrategySection>,
    /// Released area by month, organisation or class.
    pub breakdowns: Vec<breakdown::Breakdown>,
}

/// The report's title when none is given: `Land release — NAME`, `(SYNTHETIC)` after it for
/// synthetic data.
///
/// ```
/// use demine_report::{default_title, Lang};
/// assert_eq!(default_title(Lang::Uk, "Харківська обл.", true), "Звільнення земель — Харківська обл. (SYNTHETIC)");
/// ```
pub fn default_title(lang: Lang, registry_name: &str, synthetic: bool) -> String {
    let template = if synthetic {
        "Land release — {} (SYNTHETIC)"
    } else {
        "Land release — {}"
    };
    tr_fill(lang, template, &[&registry_name])
}

/// Renders the land-release report as one self-contained HTML document.
pub fn render_html(input: &ReportInput) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let title = escape(&input.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"demine-report {}\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        input.lang.code(),
        env!("CARGO_PKG_VERSION")
    );
    let lang = input.lang;
    write_header(&mut out, input);
    write_totals(&mut out, lang, input.release);
    write_status(&mut out, input);
    write_map(&mut out, input);
    breakdown::write_breakdowns(&mut out, lang, &input.breakdowns);
    if let Some(r) = &input.risk {
        risk::write_risk(&mut out, input, r);
    }
    if let Some(p) = &input.priorities {
        priority::write_priorities(&mut out, lang, p);
    }
    if let Some(p) = &input.plan {
        out.push_str(&plan::plan_fragment(lang, p));
    }
    if let Some(s) = &input.strategy {
        out.push_str(&strategy::strategy_fragment(lang, s));
    }
    write_top_hazards(&mut out, input);
    write_finds_and_accidents(&mut out, input);
    write_footer(&mut out, input);
    out.push_str("</body>\n</html>\n");
    out
}

/// Hazards paired with their accounting (truncated to the shorter of the two).
fn pairs<'a>(input: &ReportInput<'a>) -> impl Iterator<Item = (&'a Hazard, &'a HazardRelease)> {
    input.hazards.iter().zip(input.release.per_hazard.iter())
}

fn write_header(out: &mut String, input: &ReportInput) {
    let lang = input.lang;
    if input.synthetic {
        let _ = writeln!(
            out,
            "<div class=\"synthetic-banner\" role=\"note\">{}</div>",
            tr(
                lang,
                "SYNTHETIC DATA — generated for demonstration and testing; not a real contamination picture. Do not use for operations."
            )
        );
    }
    let as_of = match input.as_of {
        Some(d) => tr_fill(lang, "As of <b>{}</b>", &[&d]),
        None => tr(lang, "As of <b>all records</b> (no cut-off date)").to_string(),
    };
    let _ = writeln!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">{as_of} · {} <b>{}</b> · demine-report {}</p>\n</header>",
        escape(&input.title),
        tr(lang, "Generated"),
        escape(&input.generated_at),
        env!("CARGO_PKG_VERSION")
    );
    let (h, r) = (input.hazards.len(), input.release.per_hazard.len());
    if h != r {
        let _ = writeln!(
            out,
            "<p class=\"warn\">{}</p>",
            tr_fill(
                lang,
                "The accounting covers {} but the registry lists {}: per-hazard figures and the map show only the first {}.",
                &[
                    &count(lang, r, Noun::Hazard),
                    &count(lang, h, Noun::Hazard),
                    &thousands(lang, h.min(r) as u64)
                ]
            )
        );
    }
}

/// One row of the totals table: label, then km², m² and % of the hazard area.
fn figure_row(out: &mut String, lang: Lang, id: &str, label: &'static str, m2_value: f64, whole: f64, class: &str) {
    let label = tr(lang, label);
    let _ = writeln!(
        out,
        "<tr id=\"total-{id}\"{class}><th scope=\"row\">{label}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td></tr>",
        km2(lang, m2_value),
        m2(lang, m2_value),
        pct(lang, m2_value, whole)
    );
}

fn write_totals(out: &mut String, lang: Lang, release: &RegistryRelease) {
    let t: &ReleaseFigures = &release.totals;
    let whole = t.area_m2;
    let _ = writeln!(
        out,
        "<section id=\"totals\">\n<h2>{}</h2>\n<table class=\"figures\">\n<thead><tr><th>{}</th>\
         <th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>",
        tr(lang, "Land release totals"),
        tr(lang, "Figure"),
        tr(lang, "Area (km²)"),
        tr(lang, "Area (m²)"),
        tr(lang, "Share of hazard area")
    );
    let none = "";
    figure_row(
        out,
        lang,
        "area",
        "Hazard area (union of hazards)",
        t.area_m2,
        whole,
        " class=\"sum\"",
    );
    figure_row(
        out,
        lang,
        "cancelled",
        "Cancelled by non-technical survey",
        t.cancelled_m2,
        whole,
        none,
    );
    figure_row(
        out,
        lang,
        "reduced",
        "Reduced by technical survey",
        t.reduced_m2,
        whole,
        none,
    );
    figure_row(out, lang, "cleared", "Cleared", t.cleared_m2, whole, none);
    figure_row(
        out,
        lang,
        "released",
        "Released (cancelled + reduced + cleared)",
        t.released_m2(),
        whole,
        " class=\"sum\"",
    );
    figure_row(
        out,
        lang,
        "remaining",
        "Remaining",
        t.remaining_m2,
        whole,
        " class=\"sum key\"",
    );
    out.push_str("</tbody>\n<tbody class=\"overlaps\">\n");
    let _ = writeln!(
        out,
        "<tr id=\"total-hazards\"><th scope=\"row\">{}</th><td class=\"n\" colspan=\"3\">{}</td></tr>",
        tr(lang, "Hazards"),
        count(lang, release.per_hazard.len(), Noun::Hazard)
    );
    let sum = release.sum_of_hazard_areas_m2;
    figure_row(
        out,
        lang,
        "sum-reported",
        "Sum of hazard areas as reported",
        sum,
        whole,
        none,
    );
    figure_row(
        out,
        lang,
        "inflation",
        "Overlap inflation avoided (sum − union)",
        (sum - whole).max(0.0),
        whole,
        none,
    );
    let in_groups: usize = release.overlap_groups.iter().map(Vec::len).sum();
    let _ = writeln!(
        out,
        "<tr id=\"total-overlap-groups\"><th scope=\"row\">{}</th><td class=\"n\" colspan=\"3\">{}</td></tr>",
        tr(lang, "Overlap groups"),
        tr_fill(
            lang,
            "{} ({} in them)",
            &[
                &count(lang, release.overlap_groups.len(), Noun::Group),
                &count(lang, in_groups, Noun::Hazard)
            ]
        )
    );
    let _ = writeln!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">{}</p>\n</section>",
        tr(
            lang,
            "Where hazards overlap (the same land reported twice), the shared land counts once in these totals and is released once, by the earliest activity that covers it."
        )
    );
}

fn status_header(lang: Lang, s: HazardStatus) -> &'static str {
    tr(
        lang,
        match s {
            HazardStatus::Active => "Active",
            HazardStatus::PartiallyReleased => "Partially released",
            HazardStatus::Released => "Released",
        },
    )
}

fn write_status(out: &mut String, input: &ReportInput) {
    let lang = input.lang;
    // counts[class][status]
    let mut counts = [[0usize; 3]; 2];
    let status_index = |s: HazardStatus| HazardStatus::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let class_index = |c: HazardClass| HazardClass::ALL.iter().position(|x| *x == c).unwrap_or(0);
    for (h, r) in pairs(input) {
        counts[class_index(h.class)][status_index(r.status)] += 1;
    }
    let _ = write!(
        out,
        "<section id=\"status\">\n<h2>{}</h2>\n<table class=\"counts\">\n<thead><tr><th>{}</th>",
        tr(lang, "Hazards by status"),
        tr(lang, "Class")
    );
    for s in HazardStatus::ALL {
        let _ = write!(out, "<th class=\"n\">{}</th>", status_header(lang, *s));
    }
    let _ = writeln!(out, "<th class=\"n\">{}</th></tr></thead>\n<tbody>", tr(lang, "Total"));
    let row = |out: &mut String, id: &str, label: &str, c: [usize; 3]| {
        let _ = write!(out, "<tr id=\"status-{id}\"><th scope=\"row\">{label}</th>");
        for n in c {
            let _ = write!(out, "<td class=\"n\">{}</td>", thousands(lang, n as u64));
        }
        let _ = writeln!(
            out,
            "<td class=\"n\">{}</td></tr>",
            thousands(lang, c.iter().sum::<usize>() as u64)
        );
    };
    for (k, class) in HazardClass::ALL.iter().enumerate() {
        let label = match class {
            HazardClass::Sha => "SHA (suspected)",
            HazardClass::Cha => "CHA (confirmed)",
        };
        row(out, class.as_str(), tr(lang, label), counts[k]);
    }
    let all = [0, 1, 2].map(|s| counts[0][s] + counts[1][s]);
    out.push_str("</tbody>\n<tbody>\n");
    row(out, "all", tr(lang, "All hazards"), all);
    let _ = writeln!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">{}</p>\n</section>",
        tr(
            lang,
            "Status is computed from the accounting: released when no land remains, partially released as soon as any land is released."
        )
    );
}

fn write_map(out: &mut String, input: &ReportInput) {
    let m = map::render(input);
    let _ = writeln!(
        out,
        "<section id=\"map\">\n<h2>{}</h2>\n<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n</section>",
        tr(input.lang, "Map"),
        m.svg,
        m.caption
    );
}

fn write_top_hazards(out: &mut String, input: &ReportInput) {
    let lang = input.lang;
    let mut rows: Vec<(&Hazard, &HazardRelease)> = pairs(input).collect();
    rows.sort_by(|a, b| {
        b.1.remaining_m2
            .total_cmp(&a.1.remaining_m2)
            .then_with(|| a.0.id.cmp(&b.0.id))
    });
    let total = rows.len();
    let _ = writeln!(
        out,
        "<section id=\"top-hazards\">\n<h2>{}</h2>\n<p class=\"note\">{}</p>",
        tr(lang, "Hazards with the most land remaining"),
        tr_fill(
            lang,
            "The {} largest by remaining area, of {}. Areas in m², per hazard as recorded (overlaps not removed).",
            &[
                &thousands(lang, TOP_HAZARDS.min(total) as u64),
                &count(lang, total, Noun::Hazard)
            ]
        )
    );
    out.push_str("<table class=\"hazards\">\n<thead><tr><th class=\"n\">#</th>");
    for (numeric, head) in [
        (false, "Hazard"),
        (false, "Class"),
        (false, "Status"),
        (true, "Area (m²)"),
        (true, "Cancelled (m²)"),
        (true, "Reduced (m²)"),
        (true, "Cleared (m²)"),
        (true, "Remaining (m²)"),
    ] {
        let class = if numeric { " class=\"n\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", tr(lang, head));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (rank, (h, r)) in rows.iter().take(TOP_HAZARDS).enumerate() {
        let name = match &h.name {
            Some(n) if !n.trim().is_empty() => format!("<br><span class=\"name\">{}</span>", escape(n)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td class=\"id\">{}{name}</td><td>{}</td><td><span class=\"st {}\">{}</span></td>\
             {}{}{}{}{}</tr>",
            rank + 1,
            escape(&h.id),
            h.class,
            r.status.as_str(),
            status_header(lang, r.status),
            cell_m2(lang, r.area_m2),
            cell_m2(lang, r.cancelled_m2),
            cell_m2(lang, r.reduced_m2),
            cell_m2(lang, r.cleared_m2),
            cell_m2(lang, r.remaining_m2)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if total > TOP_HAZARDS {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            tr_fill(
                lang,
                "{} more in <code>demine release --json</code>.",
                &[&thousands(lang, (total - TOP_HAZARDS) as u64)]
            )
        );
    }
    out.push_str("</section>\n");
}

/// A table cell with whole m²; zero is muted so that the figures that matter stand out.
fn cell_m2(lang: Lang, x: f64) -> String {
    let v = grouped(lang, x, 0);
    if v == "0" {
        "<td class=\"n z\">0</td>".to_string()
    } else {
        format!("<td class=\"n\">{v}</td>")
    }
}

fn category_label(lang: Lang, c: FindCategory) -> &'static str {
    let en = match c {
        FindCategory::ApMine => "Anti-personnel mines",
        FindCategory::AtMine => "Anti-tank mines",
        FindCategory::Uxo => "Unexploded ordnance (UXO)",
        FindCategory::Axo => "Abandoned ordnance (AXO)",
        FindCategory::Ied => "Improvised explosive devices (IED)",
        FindCategory::Submunition => "Submunitions",
        FindCategory::Other => "Other",
    };
    tr(lang, en)
}

fn write_finds_and_accidents(out: &mut String, input: &ReportInput) {
    let lang = input.lang;
    let _ = writeln!(
        out,
        "<section id=\"finds\">\n<h2>{}</h2>\n<div class=\"cols\">\n<div>\n\
         <table class=\"counts\">\n<thead><tr><th>{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>",
        tr(lang, "Explosive ordnance found and accidents"),
        tr(lang, "Category"),
        tr(lang, "Items found")
    );
    for c in FindCategory::ALL {
        let n = input.finds.iter().filter(|f| f.category == *c).count();
        let _ = writeln!(
            out,
            "<tr id=\"finds-{}\"><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>",
            c.as_str(),
            category_label(lang, *c),
            count(lang, n, Noun::Item)
        );
    }
    let _ = writeln!(
        out,
        "</tbody>\n<tbody><tr class=\"sum\" id=\"finds-total\"><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr></tbody>\n</table>\n</div>",
        tr(lang, "All finds"),
        count(lang, input.finds.len(), Noun::Item)
    );
    let killed: u64 = input.accidents.iter().map(|a| u64::from(a.killed)).sum();
    let injured: u64 = input.accidents.iter().map(|a| u64::from(a.injured)).sum();
    let _ = writeln!(
        out,
        "<div>\n<table class=\"counts\">\n<thead><tr><th>{accidents}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>\n\
         <tr id=\"accidents-count\"><th scope=\"row\">{accidents}</th><td class=\"n\">{}</td></tr>\n\
         <tr id=\"accidents-killed\"><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n\
         <tr id=\"accidents-injured\"><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n\
         <tr class=\"sum\" id=\"accidents-casualties\"><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n\
         </tbody>\n</table>\n</div>\n</div>\n</section>",
        tr(lang, "Number"),
        count(lang, input.accidents.len(), Noun::Accident),
        tr(lang, "Killed"),
        count(lang, killed as usize, Noun::Person),
        tr(lang, "Injured"),
        count(lang, injured as usize, Noun::Person),
        tr(lang, "Casualties"),
        count(lang, (killed + injured) as usize, Noun::Person),
        accidents = tr(lang, "Accidents")
    );
}

fn write_footer(out: &mut String, input: &ReportInput) {
    let lang = input.lang;
    let _ = writeln!(
        out,
        "<footer>\n<p>{}</p>",
        tr(
            lang,
            "Areas are geodesic on the WGS84 ellipsoid; land released once, by the earliest activity (IMAS 07.11); national totals over the union of hazards."
        )
    );
    if input.synthetic {
        let _ = writeln!(
            out,
            "<p class=\"synthetic-note\">{}</p>",
            tr(
                lang,
                "<strong>SYNTHETIC DATA.</strong> Every figure and every shape in this report was generated; none describes real contamination."
            )
        );
    }
    let _ = writeln!(
        out,
        "<p>{}</p>\n</footer>",
        tr_fill(
            lang,
            "Generated {} by demine-report {}.",
            &[&escape(&input.generated_at), &env!("CARGO_PKG_VERSION")]
        )
    );
}

const CSS: &str = "
:root{--ink:#1b1b1b;--muted:#5f5f5f;--rule:#d6d6d6}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);
margin:0 auto;max-width:1060px;padding:16px 24px 32px;line-height:1.4;font-size:14px;background:#fff}
h1{font-size:22px;margin:10px 0 4px}
h2{font-size:16px;margin:26px 0 8px;padding-bottom:3px;border-bottom:2px solid var(--ink)}
.meta{color:var(--muted);margin:0}
.synthetic-banner{background:#b00020;color:#fff;font-weight:700;text-align:center;padding:8px 12px;
letter-spacing:.04em;border-radius:3px}
.warn{background:#fff3cd;border:1px solid #e0c36b;padding:6px 10px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
thead th{border-bottom:1.5px solid var(--ink);font-weight:600}
tbody th{font-weight:normal}
.n{text-align:right;white-space:nowrap}
th.n{white-space:normal}
table.figures td:first-child{white-space:nowrap}
td code{white-space:nowrap}
svg.chart{display:block;width:100%;max-width:760px;height:auto}
svg.chart .cancelled{fill:#9ecae1}svg.chart .reduced{fill:#ffe34d}svg.chart .cleared{fill:#41ab5d}
tr.sum th,tr.sum td{font-weight:600}
tr.key td{background:#fdecea}
td.z{color:#b0b0b0}
tbody+tbody tr:first-child th,tbody+tbody tr:first-child td{border-top:1.5px solid var(--ink)}
table.figures{max-width:820px}
table.counts{max-width:640px}
td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:break-word}
.name{font-family:system-ui,sans-serif;color:var(--muted);font-size:12px}
.st{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;white-space:nowrap}
.st.active{background:#f9d3cd}.st.partially_released{background:#fde0c2}.st.released{background:#d8efd3}
figure{margin:0}
svg.dm-map{display:block;width:100%;height:auto;border:1px solid var(--rule)}
figcaption{color:var(--muted);font-size:12px;margin-top:6px}
.note{color:var(--muted);font-size:12px;margin:6px 0}
.cols{display:flex;gap:28px;flex-wrap:wrap}.cols>div{flex:1 1 320px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
footer{margin-top:30px;padding-top:8px;border-top:1px solid var(--rule);color:var(--muted);font-size:12px}
.synthetic-note{color:#b00020}
@media print{
@page{size:A4;margin:12mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{max-width:none;padding:0;font-size:9.5pt}
h2{break-after:avoid;page-break-after:avoid}
figure,table.figures,table.counts,tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
#map{break-before:page;page-break-before:always}
#top-hazards{break-before:page;page-break-before:always}
svg.dm-map{border:none}
}
";
