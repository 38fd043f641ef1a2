//! `demine demo`: a SYNTHETIC campaign from evidence to safe land, end to end — registry,
//! risk map scored against the hidden ground truth, priorities, field work (lanes, daily
//! progress, QA, residual risk, certificates), plan and forecast, and the report.

use crate::field::{cleared_land, progress_changeset, residual_of, unreleased, write_certificate, HazardEvidence};
use crate::risk::{compute_risk_map, BuildOptions, RiskMap, SuggestRequest};
use crate::text::tr_fill;
use crate::{Actor, AppError, AppResult, Location, Progress, Registry};
use anyhow::Context;
use demine_core::release::account_records;
use demine_core::{Activity, DailyProgress, Hazard, QaInspection};
use demine_field::lanes::{plan_lanes_xy, Heading, LaneOptions};
use demine_field::plane::LocalPlane;
use demine_field::{qa, residual};
use demine_io::field_export::{write_field_features, OutFeature};
use demine_store::{Changeset, Query, Repository};
use geo::{BooleanOps, Geometry, MultiPolygon, Point};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The scales of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// ~10 × 10 km, a few dozen hazards: seconds.
    Small,
    /// A region the size of the 2024 Kursk operation: 1,000–2,000 km² of suspected land.
    Region,
    /// ~100,000 hazards over ~170,000 km², for benchmarks.
    National,
}

/// What to generate, and where.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    pub out: PathBuf,
    pub force: bool,
    pub seed: u64,
    pub scale: Scale,
    /// The language of the summary lines (the reports are written in every language).
    pub lang: crate::text::Lang,
}

/// What the demo made: lines for people, one JSON object for machines.
pub struct DemoSummary {
    pub lines: Vec<String>,
    pub json: Value,
    pub db: PathBuf,
    pub report: PathBuf,
}

/// The demo's context layers: settlements, roads and the former line of contact.
fn demo_context_layers(c: &demine_demo::Campaign) -> Vec<demine_core::ContextFeature> {
    let synthetic = |mut a: demine_core::Attributes| {
        a.insert("synthetic".into(), true.into());
        a
    };
    let mut out = Vec::new();
    for (i, s) in c.settlements.iter().enumerate() {
        let mut a = demine_core::Attributes::new();
        a.insert("name".into(), s.name.clone().into());
        a.insert("population".into(), s.population.into());
        out.push(demine_core::ContextFeature {
            layer: "settlements".into(),
            id: Some(format!("SET-{:04}", i + 1)),
            geometry: Geometry::Point(s.location),
            attributes: synthetic(a),
        });
    }
    for (i, r) in c.roads.iter().enumerate() {
        out.push(demine_core::ContextFeature {
            layer: "roads".into(),
            id: Some(format!("RD-{:04}", i + 1)),
            geometry: Geometry::LineString(r.clone()),
            attributes: synthetic(demine_core::Attributes::new()),
        });
    }
    out.push(demine_core::ContextFeature {
        layer: "line_of_contact".into(),
        id: Some("LOC-1".into()),
        geometry: Geometry::LineString(c.line_of_contact.clone()),
        attributes: synthetic(demine_core::Attributes::new()),
    });
    out
}

/// Writes the demo's hidden ground truth as CSV (`lon`, `lat`, `hazard_id`, `category`,
/// `depth_cm`, `found`), whole or not at all.
fn write_ground_truth(path: &Path, items: &[demine_demo::TrueItem]) -> AppResult<()> {
    demine_io::write_with(path, |w| {
        writeln!(w, "lon,lat,hazard_id,category,depth_cm,found,synthetic")?;
        for t in items {
            writeln!(
                w,
                "{},{},{},{},{},{},true",
                t.location.x(),
                t.location.y(),
                t.hazard_id.as_deref().unwrap_or(""),
                t.category.as_str(),
                t.depth_cm,
                t.found
            )?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The demo's suggestions, scored against its hidden ground truth.
pub struct DemoSuggestions {
    pub outlines: Vec<MultiPolygon<f64>>,
    pub area_m2: f64,
    pub outside_area_m2: f64,
    /// True items outside every hazard (unrecorded contamination), and how many of them lie in
    /// a suggested area.
    pub outside_items: usize,
    pub caught_items: usize,
}

impl DemoSuggestions {
    /// Suggestions with the defaults of `demine risk suggest --seed SEED`; `None` (with a note)
    /// when the campaign gives nothing to learn from.
    pub fn compute(
        c: &demine_demo::Campaign,
        layers: &[demine_core::ContextFeature],
        seed: u64,
        progress: &dyn Progress,
    ) -> Option<DemoSuggestions> {
        let r = match crate::risk::compute_suggestions(
            &c.hazards,
            &c.activities,
            &c.finds,
            &c.accidents,
            layers,
            &SuggestRequest::defaults(seed),
        ) {
            Ok(r) => r,
            Err(e) => {
                progress.note(&format!("no suggested SHAs for this campaign: {e}"));
                return None;
            }
        };
        let outlines: Vec<MultiPolygon<f64>> = r.suggestions.iter().map(|s| s.geometry.clone()).collect();
        let boxes: Vec<Option<geo::Rect<f64>>> = outlines.iter().map(geo::BoundingRect::bounding_rect).collect();
        let outside: Vec<&Point<f64>> = c
            .ground_truth
            .iter()
            .filter(|t| t.hazard_id.is_none())
            .map(|t| &t.location)
            .collect();
        let caught_items = outside
            .iter()
            .filter(|p| {
                outlines.iter().zip(&boxes).any(|(m, b)| {
                    b.is_some_and(|b| geo::Contains::contains(&b, **p)) && geo::Contains::contains(m, **p)
                })
            })
            .count();
        Some(DemoSuggestions {
            area_m2: r.suggestions.iter().map(|s| s.area_m2).sum(),
            outside_area_m2: r.outside_area_m2,
            outlines,
            outside_items: outside.len(),
            caught_items,
        })
    }

    /// Share of the unrecorded true items caught, over the share of the outside area suggested.
    pub fn lift(&self) -> Option<f64> {
        let area_share = self.area_m2 / self.outside_area_m2;
        (self.outside_items > 0 && area_share > 0.0)
            .then(|| self.caught_items as f64 / self.outside_items as f64 / area_share)
    }

    pub fn json(&self) -> Value {
        json!({
            "areas": self.outlines.len(),
            "area_m2": self.area_m2,
            "outside_area_m2": self.outside_area_m2,
            "truth": {"outside_items": self.outside_items, "caught_items": self.caught_items, "lift": self.lift()},
        })
    }

    pub fn text(&self, lang: crate::text::Lang) -> String {
        // Figures with decimals grouped as English writes them (`tr_fill` writes them the
        // reader's way); whole numbers grouped in the reader's way here.
        let group = demine_core::spreadsheet::group_thousands_to;
        let count = |n: f64| crate::text::thousands(lang, n);
        tr_fill(
            lang,
            "suggested SHAs outside every hazard: {} area(s), {} km² ({} % of the {} km² within 2 km); they hold {} of the {} unrecorded true items ({}× random); `demine risk suggest --out FILE.geojson` writes them",
            &[
                &count(self.outlines.len() as f64),
                &group(self.area_m2 / 1e6, 2),
                &format!("{:.1}", 100.0 * self.area_m2 / self.outside_area_m2.max(1.0)),
                &group(self.outside_area_m2 / 1e6, 1),
                &count(self.caught_items as f64),
                &count(self.outside_items as f64),
                &format!("{:.1}", self.lift().unwrap_or(0.0)),
            ],
        )
    }

    pub fn section(&self) -> demine_report::Suggested<'_> {
        demine_report::Suggested {
            outlines: &self.outlines,
            area_m2: self.area_m2,
        }
    }
}

/// Refuses to replace a registry that does not hold demo data (unless `force`).
async fn check_replaceable(db: &Path, force: bool) -> AppResult<()> {
    if !db.exists() || force {
        return Ok(());
    }
    let demo_data = match demine_store::GeoPackageStore::open_existing(db).await {
        Ok(store) => {
            let synthetic = store.meta("synthetic").await.ok().flatten().as_deref() == Some("true");
            let empty = store
                .counts()
                .await
                .map(|c| c.hazards == 0 && c.change_log == 0)
                .unwrap_or(false);
            let _ = store.close().await;
            synthetic || empty
        }
        Err(_) => false,
    };
    if !demo_data {
        return Err(AppError::refused(format!(
            "{} holds data that is not from `demine demo`; refusing to replace it. \
             Pass --out OTHER_DIR for the demo, or --force to replace it",
            db.display()
        )));
    }
    Ok(())
}

/// Runs the demo into `r.out` (its `demine.gpkg`, `report.html` and field files).
pub async fn demo(actor: &Actor, r: &DemoRequest, progress: &dyn Progress) -> AppResult<DemoSummary> {
    actor.require(crate::actor::Act::Administer)?;
    let out = &r.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating output folder {}", out.display()))?;
    let db = out.join("demine.gpkg");
    check_replaceable(&db, r.force).await?;
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("replacing {}", p.display()))?;
        }
    }
    let (seed, scale, lang) = (r.seed, r.scale, r.lang);
    let demo_scale = match scale {
        Scale::Small => demine_demo::Scale::Small,
        Scale::Region => demine_demo::Scale::Region,
        Scale::National => demine_demo::Scale::National,
    };
    let national = scale == Scale::National;
    progress.stage(&format!("generating SYNTHETIC {demo_scale} campaign (seed {seed})"));
    let campaign = demine_demo::generate_with_progress(demo_scale, seed, &|done, total| progress.advance(done, total));
    progress.finish();

    let location = Location::GeoPackage(db.clone());
    let reg = Registry::open_or_create(&location).await?;
    progress.stage(&format!("writing {} (and accounting land release)", db.display()));
    let context = demo_context_layers(&campaign);
    let mut campaign = campaign;
    // The records move into the changeset and back (a national campaign is a million finds).
    let changes = Changeset {
        meta: vec![
            ("synthetic".into(), "true".into()),
            ("demo".into(), format!("{demo_scale} seed {seed}")),
        ],
        organisations: campaign.organisations.clone(),
        teams: campaign.teams.clone(),
        hazards: std::mem::take(&mut campaign.hazards),
        activities: std::mem::take(&mut campaign.activities),
        finds: std::mem::take(&mut campaign.finds),
        accidents: std::mem::take(&mut campaign.accidents),
        context_features: context.clone(),
        ..Changeset::new(format!("demo: SYNTHETIC {demo_scale} campaign, seed {seed}"))
    };
    let written = reg.apply(&changes, actor).await;
    campaign.hazards = changes.hazards;
    campaign.activities = changes.activities;
    campaign.finds = changes.finds;
    campaign.accidents = changes.accidents;
    written?;
    progress.finish();

    // The risk map (issue 4) for the smaller scales; national scale has its own bench.
    let risk_map: Option<RiskMap> = if national {
        None
    } else {
        progress.stage("building the risk map on H3 cells");
        let opts = BuildOptions {
            seed,
            ..BuildOptions::default()
        };
        let map = compute_risk_map(
            &campaign.hazards,
            &campaign.activities,
            &campaign.finds,
            &campaign.accidents,
            &context,
            &opts,
        );
        progress.finish();
        match map {
            Ok(m) => {
                let save = Changeset {
                    risk_map: Some((m.cells.clone(), m.hazards.clone())),
                    ..Changeset::new(format!("demo: risk map, H3 resolution 9, gbt, seed {seed}"))
                };
                reg.apply(&save, actor).await?;
                Some(m)
            }
            Err(e) => {
                progress.note(&format!("no risk map for this campaign: {e}"));
                None
            }
        }
    };
    let mut lines = Vec::new();
    // Field work (daily progress, QA) changes the registry: priorities, the report and the
    // printed figures read it back, so that they show the land as it stands after that work.
    if !national {
        progress.stage("field work: lanes, daily progress, QA, certificates");
        match demo_field_work(&reg, actor, out, seed, r.lang).await {
            Ok(l) => lines.extend(l),
            Err(e) => progress.note(&format!("no field-work demo: {e}")),
        }
        progress.finish();
    }
    let all = Query::all();
    let (hazards, activities, finds) = if national {
        // Nothing below needs the campaign's own copies at national scale.
        (
            std::mem::take(&mut campaign.hazards),
            std::mem::take(&mut campaign.activities),
            std::mem::take(&mut campaign.finds),
        )
    } else {
        (
            reg.store.hazards(&all).await?,
            reg.store.activities(&all).await?,
            reg.store.finds(&all).await?,
        )
    };
    progress.stage(&format!("accounting land release of {} hazards", hazards.len()));
    let release = account_records(&hazards, &activities, None, !national);
    progress.finish();
    progress.stage("suggesting new SHAs outside the hazards");
    let suggested = risk_map
        .as_ref()
        .and_then(|_| DemoSuggestions::compute(&campaign, &context, seed, progress));
    progress.finish();

    // The hidden ground truth stays out of the registry: a separate file, and the risk map's
    // score against it.
    let truth_path = out.join("ground_truth.SYNTHETIC.csv");
    write_ground_truth(&truth_path, &campaign.ground_truth)?;
    let truth_points: Vec<Point<f64>> = campaign.ground_truth.iter().map(|t| t.location).collect();
    let truth_score = risk_map
        .as_ref()
        .map(|m| demine_risk::truth::score_against_truth(&m.cells, &truth_points, 0.2));

    let hazard_risks: Vec<demine_core::HazardRisk> = risk_map.as_ref().map(|m| m.hazards.clone()).unwrap_or_default();
    let priorities = crate::priority::compute_priorities(
        &hazards,
        &release,
        &finds,
        &campaign.accidents,
        &context,
        &hazard_risks,
        &demine_priority::Config::default(),
    )?;
    let priority_rows = crate::priority::report_rows(&priorities);
    let report_path = out.join("report.html");
    let (context_lines, context_points) = crate::report::context_for_map(&context);
    // The strategies (issue 14): the contamination model is fitted on the registry as the field
    // work left it and kept with the risk map; each strategy is planned, forecast and scored
    // against the hidden truth written above.
    let mut calibrated: Vec<demine_core::HazardRisk> = Vec::new();
    let strategies = if national || risk_map.is_none() {
        None
    } else {
        match crate::strategy::store_prior(&reg, actor, progress).await {
            Ok(Some((_, risks))) => calibrated = risks,
            Ok(None) => {}
            Err(e) => progress.note(&format!("no contamination model: {e}")),
        }
        let start = activities
            .iter()
            .map(|a| a.end_date)
            .max()
            .map(|d| (d + chrono::Duration::days(1)).to_string());
        let input = crate::plan::PlanInput {
            start,
            ..Default::default()
        };
        let settings = crate::strategy::StrategySettings {
            seed,
            ..Default::default()
        };
        match crate::strategy::strategies(&reg, actor, &input, &settings, progress).await {
            Ok(s) => Some(s),
            Err(e) => {
                progress.note(&format!("no strategies: {e}"));
                None
            }
        }
    };
    let strategy_section = strategies.as_ref().map(crate::strategy::report_section);
    let plan_section = if national {
        None
    } else {
        progress.stage("planning the remaining land and forecasting completion");
        let p = crate::plan::report_plan(&reg, actor, seed, progress).await;
        progress.finish();
        p
    };
    let groups = if national {
        Vec::new()
    } else {
        [crate::release::By::Month, crate::release::By::Organisation]
            .into_iter()
            .map(|b| {
                (
                    b,
                    crate::release::breakdown(b, &hazards, &activities, &release, None, None),
                )
            })
            .collect()
    };
    // The report in English (`report.html`) and in Ukrainian (`report-uk.html`).
    let truth = truth_score.as_ref().map(|t| demine_report::risk::TruthScore {
        contaminated_cells: t.contaminated_cells,
        recall: t.recall.unwrap_or(0.0),
        lift: t.lift.unwrap_or(0.0),
        unlabelled_recall: t.unlabelled_recall.unwrap_or(0.0),
        unlabelled_lift: t.unlabelled_lift.unwrap_or(0.0),
    });
    let breakdowns = crate::report::breakdown_sections(&groups, None, None);
    // The campaign's name as the registry stores it, in the reader's language.
    let campaign_name = |lang| {
        tr_fill(
            lang,
            "SYNTHETIC campaign — {} scale, seed {}",
            &[&crate::text::tr(lang, demo_scale.title()), &seed],
        )
    };
    for lang in demine_report::Lang::ALL {
        let html = demine_report::render_html(&demine_report::ReportInput {
            lang,
            title: demine_report::lang::tr_fill(lang, "Land release — {}", &[&campaign_name(lang)]),
            synthetic: true,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            as_of: None,
            hazards: &hazards,
            release: &release,
            finds: &finds,
            accidents: &campaign.accidents,
            context_lines: &context_lines,
            context_points: &context_points,
            risk: risk_map.as_ref().map(|m| demine_report::RiskSection {
                cells: &m.cells,
                hazards: if calibrated.is_empty() { &m.hazards } else { &calibrated },
                ranked: !calibrated.is_empty(),
                auc: m.cv.auc_mean,
                model: "gradient-boosted trees".into(),
                truth,
                suggested: suggested.as_ref().map(|s| s.section()),
            }),
            priorities: Some(crate::priority::report_section(&priorities, &priority_rows)),
            plan: plan_section.clone(),
            strategy: strategy_section.clone(),
            breakdowns: breakdowns.clone(),
        });
        let path = match lang {
            demine_report::Lang::En => report_path.clone(),
            other => out.join(format!("report-{}.html", other.code())),
        };
        demine_io::write_atomically(&path, html.as_bytes())?;
    }
    reg.close().await?;

    let rel = crate::release::Release {
        hazards,
        activities,
        release,
        as_of: None,
        synthetic: true,
        groups: None,
        from: None,
        to: None,
        read_s: 0.0,
        accounting_s: 0.0,
    };
    let mut value = crate::release::release_json(&rel);
    if let Some(m) = &risk_map {
        value["risk_map"] = json!({
            "cells": m.cells.len(),
            "cv_auc_mean": m.cv.auc_mean,
            "truth": truth_score,
        });
    }
    if let Some(s) = &suggested {
        value["suggested_shas"] = s.json();
    }
    if let Some(s) = &strategies {
        value["strategy"] = crate::strategy::strategies_json(s, 20);
    }
    let count = |n: usize| crate::text::thousands(lang, n as f64);
    let mut text = vec![campaign_name(lang)];
    text.push(
        crate::text::release_text(&rel.hazards, &rel.release, None, true, lang)
            .trim_end()
            .to_string(),
    );
    text.push(tr_fill(
        lang,
        "  {} activities, {} finds, {} accidents, {} teams of {} organisations",
        &[
            &count(rel.activities.len()),
            &count(finds.len()),
            &count(campaign.accidents.len()),
            &count(campaign.teams.len()),
            &count(campaign.organisations.len()),
        ],
    ));
    if let Some(m) = &risk_map {
        text.push(tr_fill(
            lang,
            "risk map: {} H3 cells (layer risk_cells), spatial cross-validation ROC-AUC {}; `demine risk build` rebuilds it",
            &[&count(m.cells.len()), &format!("{:.3}", m.cv.auc_mean.unwrap_or(f64::NAN))],
        ));
    }
    if let Some(t) = &truth_score {
        text.push(tr_fill(
            lang,
            "  against the hidden ground truth: the riskiest 20 % of cells hold {} % of the {} contaminated cells ({}× random); of cells with no label, {} % ({}× random)",
            &[
                &format!("{:.0}", 100.0 * t.recall.unwrap_or(0.0)),
                &count(t.contaminated_cells),
                &format!("{:.1}", t.lift.unwrap_or(0.0)),
                &format!("{:.0}", 100.0 * t.unlabelled_recall.unwrap_or(0.0)),
                &format!("{:.1}", t.unlabelled_lift.unwrap_or(0.0)),
            ],
        ));
    }
    if let Some(top) = priorities.hazards.first() {
        text.push(tr_fill(
            lang,
            "priorities: {} hazards ranked (default weights; `demine priority` shows every breakdown); first {} (score {}); {} SHA(s) suggested as CHA",
            &[
                &count(priorities.hazards.len()),
                &top.hazard_id,
                &format!("{:.1}", top.score),
                &count(priorities.suggested_cha().count()),
            ],
        ));
    }
    if let Some(s) = &suggested {
        text.push(s.text(lang));
    }
    if let Some(s) = &strategies {
        text.extend(crate::text::strategies_text(s, 0, lang));
    }
    text.extend(lines);
    text.push(tr_fill(
        lang,
        "ground truth (SYNTHETIC, hidden from the registry): {} items, {} found: {}",
        &[
            &count(campaign.ground_truth.len()),
            &count(campaign.ground_truth.iter().filter(|t| t.found).count()),
            &truth_path.display(),
        ],
    ));
    text.push(tr_fill(
        lang,
        "registry: {}  (open it in QGIS, or `demine --db {} status`)",
        &[&db.display(), &db.display()],
    ));
    text.push(tr_fill(
        lang,
        "report:   {} (Ukrainian: {})",
        &[&report_path.display(), &out.join("report-uk.html").display()],
    ));
    Ok(DemoSummary {
        lines: text,
        json: value,
        db,
        report: report_path,
    })
}

/// The demo's field work (SYNTHETIC): lanes over one confirmed hazard, a daily-progress history
/// of a manual team clearing them (through the same checks as `progress add`), a QA sample of
/// the cleared land and its clean result, and the release certificate in English and
/// Ukrainian, written to `out`.
async fn demo_field_work(
    reg: &Registry,
    actor: &Actor,
    out: &Path,
    seed: u64,
    lang: crate::text::Lang,
) -> AppResult<Vec<String>> {
    use rand::{Rng, SeedableRng};
    let all = Query::all();
    let hazards = reg.store.hazards(&all).await?;
    let activities = reg.store.activities(&all).await?;
    // A confirmed hazard with 5,000–25,000 m² still to clear: a few weeks for one manual team.
    let mut choice = None;
    let mut ids: Vec<&Hazard> = hazards
        .iter()
        .filter(|h| h.class == demine_core::HazardClass::Cha)
        .collect();
    ids.sort_by(|a, b| a.id.cmp(&b.id));
    for h in ids {
        let acts: Vec<Activity> = activities.iter().filter(|a| a.hazard_id == h.id).cloned().collect();
        let rest = unreleased(h, &acts);
        let a = demine_core::geodesy::area_m2(&rest);
        if (5_000.0..25_000.0).contains(&a) && rest.0.len() == 1 {
            choice = Some((h.clone(), acts, rest));
            break;
        }
    }
    let Some((hazard, acts, rest)) = choice else {
        return Err(AppError::refused(
            "no confirmed hazard with 5,000–25,000 m² left to clear",
        ));
    };
    let plane = LocalPlane::around(&rest).context("empty land")?;
    let plan = plan_lanes_xy(
        &plane.to_plane(&rest),
        &LaneOptions {
            width_m: 1.0,
            heading: Heading::Auto,
            access_xy: None,
        },
    )
    .map_err(|e| AppError::refused(e.to_string()))?;
    let lane_polys: Vec<MultiPolygon<f64>> = plan
        .lanes
        .iter()
        .map(|l| MultiPolygon(vec![plane.polygon_to_lonlat(&l.area)]))
        .collect();
    let lanes_path = out.join(format!("lanes-{}.geojson", hazard.id));
    let features: Vec<OutFeature> = plan
        .lanes
        .iter()
        .zip(&lane_polys)
        .map(|(l, g)| OutFeature {
            name: format!("Lane {}", l.number),
            geometry: Geometry::MultiPolygon(g.clone()),
            properties: json!({"kind": "lane", "lane": l.number, "length_m": l.length_m, "area_m2": l.area_m2})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    write_field_features(&lanes_path, &format!("1 m lanes, task {}", hazard.id), &features, true)?;

    let team = reg
        .store
        .teams(&all)
        .await?
        .into_iter()
        .find(|t| t.kind == demine_core::TeamKind::Manual)
        .map_or_else(|| "DEMO-MANUAL-1".to_string(), |t| t.id);
    let today = crate::util::today();
    let days_needed = (plan.covered_area_m2 / 700.0).ceil() as i64 + 10;
    let last_work = acts
        .iter()
        .map(|a| a.end_date)
        .max()
        .unwrap_or(today - chrono::Duration::days(365));
    let mut date = (last_work + chrono::Duration::days(7)).min(today - chrono::Duration::days(days_needed * 2));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xF1E1D);
    let mut reports = Vec::new();
    let mut next = 0;
    while next < lane_polys.len() {
        if date.format("%u").to_string() == "7" {
            date += chrono::Duration::days(1);
            continue;
        }
        let rain = rng.gen::<f64>() < 0.15;
        let hours: f64 = if rain { 5.0 } else { 7.5 };
        let target_m2 = hours * rng.gen_range(80.0..130.0);
        let first = next;
        let mut area = 0.0;
        let mut land = MultiPolygon::<f64>(vec![]);
        while next < lane_polys.len() && (area < target_m2 || next == first) {
            area += plan.lanes[next].area_m2;
            land = land.union(&lane_polys[next]);
            next += 1;
        }
        // The last day clears what is left of the task, slivers between lanes included.
        if next == lane_polys.len() {
            let earlier = reports.iter().fold(
                MultiPolygon::<f64>(vec![]),
                |acc: MultiPolygon<f64>, r: &DailyProgress| acc.union(&r.geometry),
            );
            land = rest.difference(&earlier);
        }
        reports.push(DailyProgress {
            id: format!("DP-{}-{date}", hazard.id),
            date,
            hazard_id: hazard.id.clone(),
            team: team.clone(),
            team_kind: "manual".into(),
            geometry: land,
            hours,
            downtime_hours: if rain { 2.5 } else { 0.0 },
            downtime_reason: rain.then(|| "rain".to_string()),
            finds: u32::from(rng.gen::<f64>() < 0.2),
            lanes: Some(format!("{}-{}", first + 1, next)),
            terrain: None,
            area_m2: 0.0,
            activity_id: None,
        });
        date += chrono::Duration::days(1);
    }
    let days = reports.len();
    let mut caps = crate::field::ceilings(None).map_err(AppError::refused)?;
    // The lanes of one day may overlap the edge of a lane a little beyond the day's target.
    caps.insert("manual".into(), 200.0);
    let changes = match progress_changeset(
        reg,
        reports,
        &caps,
        today,
        format!("demo: SYNTHETIC daily progress on {}", hazard.id),
    )
    .await?
    {
        Ok((c, _)) => c,
        Err(errors) => {
            return Err(AppError::refused(format!(
                "demo progress refused: {}",
                errors.join("; ")
            )))
        }
    };
    reg.apply(&changes, actor).await?;

    // QA: the lot is the cleared land in 10 m boxes; LQ 5 % at beta 10 %.
    let acts_now = reg.store.activities(&Query::hazard(&hazard.id)).await?;
    let cleared = cleared_land(&hazard, &acts_now);
    let cplane = LocalPlane::around(&cleared).context("no cleared land")?;
    let lot = demine_field::sample::draw_sample(&cplane.to_plane(&cleared), 10.0, 1, seed)
        .map_err(|e| AppError::refused(e.to_string()))?
        .lot
        .len() as u64;
    let qa_plan = qa::plan(&qa::PlanRequest {
        lot_units: lot,
        lq: 0.05,
        beta: 0.1,
        c: 0,
    })
    .map_err(|e| AppError::refused(e.to_string()))?;
    let s = demine_field::sample::draw_sample(&cplane.to_plane(&cleared), 10.0, qa_plan.n as usize, seed)
        .map_err(|e| AppError::refused(e.to_string()))?;
    let sample_path = out.join(format!("qa-sample-{}.gpx", hazard.id));
    let pts: Vec<OutFeature> = s
        .sampled
        .iter()
        .enumerate()
        .map(|(i, b)| OutFeature {
            name: format!("QA {}", i + 1),
            geometry: Geometry::Point(Point(cplane.to_lonlat(b.centre))),
            properties: json!({"unit": i + 1}).as_object().cloned().unwrap_or_default(),
        })
        .collect();
    write_field_features(
        &sample_path,
        &format!("QA sample of the cleared land of hazard {}", hazard.id),
        &pts,
        true,
    )?;
    let qa_date = date + chrono::Duration::days(3);
    let inspection = QaInspection {
        id: format!("QA-{}-{qa_date}", hazard.id),
        hazard_id: hazard.id.clone(),
        date: qa_date.min(today),
        lot_units: lot,
        sample_units: qa_plan.n,
        box_m: 10.0,
        c: 0,
        defects: 0,
        accepted: true,
        detection: residual::DEFAULT_QA_DETECTION,
        nonconformities: json!([{"severity": "minor", "note": "lane markings missing on two boxes (SYNTHETIC)"}]),
        inspector: Some("DEMO-QA-1".into()),
    };
    reg.apply(
        &Changeset {
            qa_inspections: vec![inspection],
            ..Changeset::new(format!("demo: SYNTHETIC QA inspection of {}", hazard.id))
        },
        actor,
    )
    .await?;
    let mut certs = Vec::new();
    for lang in ["en", "uk"] {
        let p = out.join(format!("certificate-{}-{lang}.html", hazard.id));
        let c = crate::field::certificate(reg, actor, &hazard.id, lang, false).await?;
        write_certificate(&c, &p)?;
        certs.push(p.display().to_string());
    }
    let ev = crate::field::hazard_evidence(reg, actor, &hazard.id).await?;
    let table = residual::detection_table(&[]).map_err(|e| AppError::refused(e.to_string()))?;
    let est = residual_of(&ev, None, Some(1.0), &table)?;
    let _: &HazardEvidence = &ev;
    Ok(vec![
        tr_fill(
            lang,
            "field work (SYNTHETIC): {} lanes of 1 m over {} ({}), {} daily progress reports by team {}; QA: {} of {} boxes of 10 × 10 m of its cleared land inspected, 0 defects, lot accepted",
            &[
                &plan.lanes.len(),
                &hazard.id,
                &lanes_path.display(),
                &days,
                &team,
                &qa_plan.n,
                &lot,
            ],
        ),
        tr_fill(
            lang,
            "residual risk of {}: {} items expected, P(any remains) {} %; certificates: {}",
            &[
                &hazard.id,
                &format!("{:.4}", est.residual.expected_remaining),
                &format!("{:.2}", 100.0 * est.residual.p_any_remaining),
                &certs.join(", "),
            ],
        ),
    ])
}
