//! The land-release report (self-contained HTML) for any registry: totals, map, released area
//! per month, organisation and class over a period, risk map, priorities, plan and forecast.

use crate::actor::Act;
use crate::release::{breakdown, By};
use crate::util::period;
use crate::{Actor, AppError, AppResult, Progress, Registry};
use chrono::NaiveDate;
use demine_core::release::account_records;
use demine_core::ContextFeature;
use demine_store::{Query, Repository};
use std::path::PathBuf;

/// What the report covers.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ReportRequest {
    pub as_of: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Breakdowns to show (default: month and organisation).
    pub by: Vec<By>,
    pub title: Option<String>,
    /// Add the plan and its forecast (a few seconds of search).
    pub plan: bool,
    /// Seed of the plan and forecast.
    pub seed: u64,
    /// Language of the report: `en` or `uk`.
    pub lang: String,
}

impl Default for ReportRequest {
    fn default() -> Self {
        ReportRequest {
            as_of: None,
            from: None,
            to: None,
            by: vec![By::Month, By::Organisation],
            title: None,
            plan: true,
            seed: 1,
            lang: "en".into(),
        }
    }
}

/// A settlement (or other named point) for the map.
pub type NamedPoint = (String, geo::Point<f64>);

/// Lines (roads, lines of contact, boundaries) and named points (settlements) of the context
/// layers, for the report's map.
pub fn context_for_map(layers: &[ContextFeature]) -> (Vec<geo::LineString<f64>>, Vec<NamedPoint>) {
    let mut lines = Vec::new();
    let mut points: Vec<(f64, String, geo::Point<f64>)> = Vec::new();
    for f in layers {
        match &f.geometry {
            geo::Geometry::LineString(l) => lines.push(l.clone()),
            geo::Geometry::MultiLineString(m) => lines.extend(m.0.iter().cloned()),
            geo::Geometry::Point(p) => {
                let name = f
                    .attributes
                    .get("name")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .or_else(|| f.id.clone())
                    .unwrap_or_default();
                let population = f.attributes.get("population").and_then(|v| v.as_f64()).unwrap_or(0.0);
                points.push((population, name, *p));
            }
            _ => {}
        }
    }
    // The report labels the first points given: largest first.
    points.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    (lines, points.into_iter().map(|(_, n, p)| (n, p)).collect())
}

/// The breakdown sections of the report.
pub fn breakdown_sections(
    groups: &[(By, Vec<crate::release::Group>)],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<demine_report::breakdown::Breakdown> {
    use demine_report::breakdown::BreakdownBy;
    groups
        .iter()
        .map(|(by, rows)| demine_report::breakdown::Breakdown {
            by: match by {
                By::Month => BreakdownBy::Month,
                By::Organisation => BreakdownBy::Organisation,
                By::Class => BreakdownBy::Class,
            },
            from,
            to,
            rows: rows
                .iter()
                .map(|g| demine_report::breakdown::BreakdownRow {
                    key: g.key.clone(),
                    hazards: g.hazards,
                    area_m2: g.area_m2,
                    cancelled_m2: g.cancelled_m2,
                    reduced_m2: g.reduced_m2,
                    cleared_m2: g.cleared_m2,
                    remaining_m2: g.remaining_m2,
                    cumulative_released_m2: g.cumulative_released_m2,
                })
                .collect(),
        })
        .collect()
}

/// Above this many hazards the report lists the stored risk by P, not ranked again by the kept
/// contamination model.
const RANKED_RISK_MAX_HAZARDS: usize = 20_000;

/// The report of the registry (the actor's part of it), as one HTML page.
pub async fn report(reg: &Registry, actor: &Actor, r: &ReportRequest, progress: &dyn Progress) -> AppResult<String> {
    actor.require(Act::Aggregates)?;
    period(r.from, r.to)?;
    let lang = crate::util::report_lang(&r.lang)?;
    progress.stage("reading the registry");
    let q = Query::as_of(r.as_of).in_organisations(actor.scope());
    let ev = reg.evidence(&q).await?;
    let crate::registry::Evidence {
        hazards,
        activities,
        finds,
        accidents,
        layers,
    } = &ev;
    let synthetic = reg.synthetic().await?;
    progress.stage(&format!("accounting land release of {} hazards", hazards.len()));
    let release = account_records(hazards, activities, r.as_of, true);
    let by = if r.by.is_empty() {
        vec![By::Month, By::Organisation]
    } else {
        r.by.clone()
    };
    let groups: Vec<(By, Vec<crate::release::Group>)> = by
        .iter()
        .map(|b| (*b, breakdown(*b, hazards, activities, &release, r.from, r.to)))
        .collect();
    let (lines, points) = context_for_map(layers);
    // The stored risk map, if any.
    let risk_cells = reg.store.risk_cells(&Query::all()).await?;
    let stored_risks = reg.store.hazard_risks().await?;
    // Ranked by the kept contamination model when there is one for the registry as it stands
    // (expected items not yet found); else by the stored P (which `risk build` already took
    // from that model). Not for a past date (the model is of the registry now), nor at national
    // scale, where cutting every hazard into units again would take minutes for a ranking.
    let calibrated = if risk_cells.is_empty() || r.as_of.is_some() || hazards.len() > RANKED_RISK_MAX_HAZARDS {
        None
    } else {
        crate::strategy::stored_hazard_risks(reg, &ev, &risk_cells, progress).await?
    };
    let ranked_risks = calibrated.as_deref().unwrap_or(&stored_risks);
    let priorities = if hazards.is_empty() {
        None
    } else {
        crate::priority::compute_priorities(
            hazards,
            &release,
            finds,
            accidents,
            layers,
            &stored_risks,
            &demine_priority::Config::default(),
        )
        .ok()
    };
    let rows = priorities
        .as_ref()
        .map(crate::priority::report_rows)
        .unwrap_or_default();
    let plan = if r.plan && r.as_of.is_none() {
        progress.stage("planning the remaining land and forecasting completion");
        crate::plan::report_plan(reg, actor, r.seed, progress).await
    } else {
        None
    };
    progress.stage("writing the report");
    let title = r
        .title
        .clone()
        .unwrap_or_else(|| demine_report::default_title(lang, &reg.name(), synthetic));
    let html = demine_report::render_html(&demine_report::ReportInput {
        lang,
        title,
        synthetic,
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        as_of: r.as_of,
        hazards,
        release: &release,
        finds,
        accidents,
        context_lines: &lines,
        context_points: &points,
        risk: (!risk_cells.is_empty()).then(|| demine_report::RiskSection {
            cells: &risk_cells,
            hazards: ranked_risks,
            ranked: calibrated.is_some(),
            auc: None,
            model: "stored risk map (`demine risk build`)".into(),
            truth: None,
            suggested: None,
        }),
        priorities: priorities.as_ref().map(|p| crate::priority::report_section(p, &rows)),
        plan,
        strategy: None,
        breakdowns: breakdown_sections(&groups, r.from, r.to),
    });
    progress.finish();
    Ok(html)
}

/// Prints an HTML page to PDF with headless Chromium (see ARCHITECTURE.md for why).
pub fn print_pdf(html: &str) -> AppResult<Vec<u8>> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or_else(|| {
            AppError::refused(
                "PDF output needs headless Chromium: run `bash scripts/install-chromium.sh` (Debian's chromium), or write a .html file and print it from a browser",
            )
        })?;
    let dir = tempfile::tempdir()?;
    let page: PathBuf = dir.path().join("print.html");
    let pdf: PathBuf = dir.path().join("print.pdf");
    let profile = dir.path().join("profile");
    std::fs::write(&page, html)?;
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("running {browser}: {e}")))?;
    if !out.status.success() || !pdf.exists() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{browser} could not print the page: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        )));
    }
    Ok(std::fs::read(&pdf)?)
}
