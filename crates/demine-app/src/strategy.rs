//! `demine strategy`, and the strategy every registry plan follows: per hazard (and per risk-map
//! cell within it) what non-technical survey cancels, technical survey samples and clearance
//! clears under `clear-all`, `survey-led` and `evidence-led` (demine-strategy); each sized as
//! plan tasks, scheduled and forecast; the residual risk each leaves; the frontier of completion
//! against expected residual items; and, on SYNTHETIC demo data, the true items each leaves.
//!
//! The contamination model behind the residual (`demine_strategy::fit`, tens of seconds on a
//! region) is fitted when the risk map is built and kept in the registry's metadata with a
//! fingerprint of the evidence it was fitted on ([`store_prior`]); readers use it while the
//! fingerprint matches, and fit it again (without writing) when it does not.

use crate::actor::Act;
use crate::plan::{completion_date, PlanInput};
use crate::util::parse_date;
use crate::{Actor, AppError, AppResult, Progress, Registry};
use chrono::NaiveDate;
use demine_core::release::{account_records, RegistryRelease};
use demine_core::{Accident, Activity, Find, Hazard, RiskCell};
use demine_plan::{Forecast, Plan, Problem};
use demine_store::{Changeset, Query, Repository};
use demine_strategy::{
    Capacity, ChainShares, Context, EvalOptions, Evaluation, HazardUnits, Methods, PriorModel, StrategyKind,
    StrategyPlan, Thresholds,
};
use serde_json::{json, Value};

/// Metadata key of the stored contamination model.
pub const PRIOR_META_KEY: &str = "strategy_prior";

/// What a strategy is decided from: the registry's evidence, its risk map, the hazards cut into
/// units, the fitted contamination model and the survey-led chain's learned shares.
pub struct StrategyData {
    pub hazards: Vec<Hazard>,
    pub activities: Vec<Activity>,
    pub finds: Vec<Find>,
    pub accidents: Vec<Accident>,
    pub release: RegistryRelease,
    pub cells: Vec<RiskCell>,
    pub units: Vec<HazardUnits>,
    pub model: PriorModel,
    /// `stored` (fitted when the risk map was built) or `fitted` (now).
    pub model_source: &'static str,
    pub shares: ChainShares,
    pub methods: Methods,
    /// Evidence-led thresholds the user fixed (`--cancel-below`, `--clear-above`); `None`: the
    /// fastest the teams allow.
    pub thresholds: Option<Thresholds>,
}

impl StrategyData {
    pub fn context(&self) -> Context<'_> {
        Context {
            hazards: &self.hazards,
            activities: &self.activities,
            units: &self.units,
            model: &self.model,
            methods: self.methods,
            shares: self.shares,
        }
    }

    /// The strategy `kind` decided for teams of `capacity`: evidence-led at the thresholds the
    /// user fixed, else at its fastest (see [`demine_strategy::decide_fastest`]), the others as
    /// they are.
    pub fn decide(&self, kind: StrategyKind, capacity: &Capacity) -> StrategyPlan {
        let ctx = self.context();
        match (kind, self.thresholds) {
            (StrategyKind::EvidenceLed, Some(t)) => demine_strategy::decide(&ctx, kind, t),
            (StrategyKind::EvidenceLed, None) => demine_strategy::decide_fastest(&ctx, capacity),
            (k, _) => demine_strategy::decide(&ctx, k, Thresholds::default()),
        }
    }
}

impl StrategyData {
    /// Cuts the hazards into units of the risk map `cells`; fits the contamination model unless
    /// `model` is given.
    pub fn prepare(
        ev: crate::registry::Evidence,
        cells: Vec<RiskCell>,
        model: Option<PriorModel>,
        progress: &dyn Progress,
    ) -> AppResult<StrategyData> {
        Self::prepare_with(ev, None, cells, model, &EvidenceSettings::default(), progress)
    }

    /// [`StrategyData::prepare`] with the evidence's accounting when it is at hand, and the
    /// user's method settings and thresholds.
    pub fn prepare_with(
        ev: crate::registry::Evidence,
        release: Option<RegistryRelease>,
        cells: Vec<RiskCell>,
        model: Option<PriorModel>,
        settings: &EvidenceSettings,
        progress: &dyn Progress,
    ) -> AppResult<StrategyData> {
        let methods = settings.methods()?;
        let thresholds = settings.thresholds()?;
        let release = release.unwrap_or_else(|| account_records(&ev.hazards, &ev.activities, None, false));
        progress.stage("cutting hazards into risk-map units");
        let units = demine_strategy::hazard_units(
            &demine_strategy::Registry {
                hazards: &ev.hazards,
                activities: &ev.activities,
                release: &release,
                finds: &ev.finds,
                accidents: &ev.accidents,
                cells: &cells,
            },
            &methods,
        )
        .map_err(|e| AppError::refused(e.to_string()))?;
        progress.finish();
        let (model, model_source) = match model {
            Some(m) => (m, "stored"),
            None => {
                progress.stage("fitting the contamination model");
                let f = demine_strategy::fit(&units);
                progress.finish();
                (f.model, "fitted")
            }
        };
        let shares = demine_strategy::learned_shares(&ev.hazards, &ev.activities, &release);
        Ok(StrategyData {
            hazards: ev.hazards,
            activities: ev.activities,
            finds: ev.finds,
            accidents: ev.accidents,
            release,
            cells,
            units,
            model,
            model_source,
            shares,
            methods,
            thresholds,
        })
    }

    /// The metadata entry that keeps the model with its fingerprint.
    pub fn prior_meta(&self) -> (String, String) {
        let fp = fingerprint(
            &self.hazards,
            &self.activities,
            &self.finds,
            &self.accidents,
            &self.cells,
        );
        (
            PRIOR_META_KEY.into(),
            json!({"fingerprint": fp, "model": self.model}).to_string(),
        )
    }

    /// Hazards' risk from the fitted model: P(contaminated) calibrated against finds and
    /// reports (it does not saturate at 1 for large hazards) and the expected contaminated
    /// share; ranked by expected items not yet found, then expected contaminated area.
    pub fn hazard_risks(&self) -> (Vec<demine_core::HazardRisk>, Vec<demine_strategy::HazardRiskSummary>) {
        let ranked = demine_strategy::hazard_risk_summaries(&self.units, &self.model);
        let area: std::collections::HashMap<&str, f64> =
            self.units.iter().map(|h| (h.id.as_str(), h.area_m2)).collect();
        let risks = ranked
            .iter()
            .map(|r| demine_core::HazardRisk {
                hazard_id: r.id.clone(),
                expected_contaminated_share: area
                    .get(r.id.as_str())
                    .filter(|a| **a > 0.0)
                    .map_or(0.0, |a| (r.expected_contaminated_m2 / a).clamp(0.0, 1.0)),
                p_any: r.p_contaminated.clamp(0.0, 1.0),
            })
            .collect();
        (risks, ranked)
    }
}

/// A fingerprint of the evidence a model is fitted on: counts, latest dates and the risk map.
fn fingerprint(
    hazards: &[Hazard],
    activities: &[Activity],
    finds: &[Find],
    accidents: &[Accident],
    cells: &[RiskCell],
) -> String {
    let area: f64 = cells.iter().map(|c| c.risk).sum();
    // The model's formulation is part of it: a model stored by an older demine is fitted again.
    format!(
        "m{}:h{}:a{}:{}:f{}:{}:x{}:c{}:{:.6}",
        demine_strategy::model::FORMULATION,
        hazards.len(),
        activities.len(),
        activities
            .iter()
            .map(|a| a.end_date)
            .max()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        finds.len(),
        finds
            .iter()
            .map(|f| f.date)
            .max()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        accidents.len(),
        cells.len(),
        area
    )
}

fn no_risk_map(reg: &Registry) -> AppError {
    AppError::refused(format!(
        "{}: no risk map; the evidence-led and survey-led strategies need one",
        reg.name()
    ))
    .with_hint("build it with `demine risk build` (over HTTP: POST /api/v1/analyses/risk-build), or plan with --strategy clear-all")
}

/// Reads the registry's evidence and risk map and prepares the strategies' inputs; `None`
/// when the registry has no risk map.
pub async fn load_data(
    reg: &Registry,
    actor: &Actor,
    settings: &EvidenceSettings,
    progress: &dyn Progress,
) -> AppResult<Option<StrategyData>> {
    load_data_with(reg, actor, settings, progress, None).await
}

/// [`load_data`] with the registry's evidence (and its accounting) already read.
pub async fn load_data_with(
    reg: &Registry,
    actor: &Actor,
    settings: &EvidenceSettings,
    progress: &dyn Progress,
    read: Option<(crate::registry::Evidence, RegistryRelease)>,
) -> AppResult<Option<StrategyData>> {
    actor.require(Act::Read)?;
    // Refused before the registry is read: a setting out of range is the user's to fix.
    let methods = settings.methods()?;
    settings.thresholds()?;
    let q = Query::all().in_organisations(actor.scope());
    let cells = reg.store.risk_cells(&Query::all()).await?;
    if cells.is_empty() {
        return Ok(None);
    }
    let (ev, release) = match read {
        Some((ev, r)) => (ev, Some(r)),
        None => (reg.evidence(&q).await?, None),
    };
    // The kept model was fitted with the default methods: other detections are another model.
    let stored = if methods == Methods::default() {
        stored_model(reg, &ev, &cells).await?
    } else {
        None
    };
    StrategyData::prepare_with(ev, release, cells, stored, settings, progress)
        .map(Some)
        .map_err(|e| match e {
            AppError::Refused(r) => AppError::refused(format!("{}: {r}", reg.name())),
            other => other,
        })
}

/// The contamination model kept in the registry, when it was fitted on exactly this evidence
/// and risk map.
async fn stored_model(
    reg: &Registry,
    ev: &crate::registry::Evidence,
    cells: &[RiskCell],
) -> AppResult<Option<PriorModel>> {
    let fp = fingerprint(&ev.hazards, &ev.activities, &ev.finds, &ev.accidents, cells);
    Ok(reg
        .store
        .meta(PRIOR_META_KEY)
        .await?
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .filter(|v| v["fingerprint"].as_str() == Some(fp.as_str()))
        .and_then(|v| serde_json::from_value(v["model"].clone()).ok()))
}

/// The hazards' calibrated risk (expected items not yet found, P(contaminated)) under the
/// contamination model kept in the registry, for a report of the evidence `ev` the caller read
/// (as of now) and the risk map's `cells`: `None` when no model was kept for exactly that (it
/// is not fitted here: that takes tens of seconds).
pub async fn stored_hazard_risks(
    reg: &Registry,
    ev: &crate::registry::Evidence,
    cells: &[RiskCell],
    progress: &dyn Progress,
) -> AppResult<Option<Vec<demine_core::HazardRisk>>> {
    if cells.is_empty() {
        return Ok(None);
    }
    let Some(model) = stored_model(reg, ev, cells).await? else {
        return Ok(None);
    };
    let d = StrategyData::prepare_with(
        ev.clone(),
        None,
        cells.to_vec(),
        Some(model),
        &EvidenceSettings::default(),
        progress,
    )?;
    Ok(Some(d.hazard_risks().0))
}

/// Fits the contamination model on the registry as it stands and keeps it in the registry's
/// metadata (called after the risk map is saved). Returns the fitted model and the hazards'
/// calibrated risk ([`StrategyData::hazard_risks`]).
pub async fn store_prior(
    reg: &Registry,
    actor: &Actor,
    progress: &dyn Progress,
) -> AppResult<Option<(PriorModel, Vec<demine_core::HazardRisk>)>> {
    let Some(d) = load_data(reg, actor, &EvidenceSettings::default(), progress).await? else {
        return Ok(None);
    };
    let changes = Changeset {
        meta: vec![d.prior_meta()],
        ..Changeset::new("risk build: contamination model of the strategies")
    };
    reg.apply(&changes, actor).await?;
    let risks = d.hazard_risks().0;
    Ok(Some((d.model, risks)))
}

/// Sizes a registry plan's tasks by a strategy (`plan`, `forecast`, `capacity`): `None` means
/// evidence-led, falling back to today's chain with a note when the registry has no risk map.
/// Returns the strategy's name.
pub async fn apply_strategy(
    reg: &Registry,
    actor: &Actor,
    name: Option<&str>,
    settings: &EvidenceSettings,
    problem: &mut Problem,
    notes: &mut Vec<String>,
    read: Option<(crate::registry::Evidence, RegistryRelease)>,
) -> AppResult<String> {
    settings.methods()?;
    notes.extend(settings.cautions());
    let kind: StrategyKind = match name {
        Some(n) => n.parse().map_err(AppError::refused)?,
        None => StrategyKind::EvidenceLed,
    };
    if settings.thresholds()?.is_some() && kind != StrategyKind::EvidenceLed {
        notes.push(format!(
            "--cancel-below and --clear-above are evidence-led thresholds: strategy {kind} does not use them"
        ));
    }
    if kind == StrategyKind::ClearAll {
        for t in &mut problem.tasks {
            t.stage = demine_plan::Stage::Clearance;
        }
        return Ok(kind.to_string());
    }
    let Some(d) = load_data_with(reg, actor, settings, &crate::NoProgress, read).await? else {
        if name.is_some() {
            return Err(no_risk_map(reg));
        }
        notes.push("no risk map: today's chain with learned shares (build one with `demine risk build` for evidence-led plans)".into());
        return Ok("chain".into());
    };
    let plan = d.decide(kind, &Capacity::of(&problem.teams));
    demine_strategy::apply_to_problem(problem, &plan);
    Ok(kind.to_string())
}

/// What the user may set of the evidence-led strategy: how well each method finds what lies in
/// the land it works (defaults: [`Methods::default`], planning assumptions in the IMAS ranges)
/// and thresholds fixed instead of searched for. Shared by `strategy`, `plan`, `forecast` and
/// `capacity`, on the command line and in a job's body.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct EvidenceSettings {
    /// Share of a technical survey's ground its sampling lanes cover (default 0.2).
    pub ts_coverage: Option<f64>,
    /// Share of the items in a TS lane it detects (default 0.95).
    pub ts_detection: Option<f64>,
    /// Share of the items clearance detects, to depth (default 0.99).
    pub clearance_detection: Option<f64>,
    /// Radius cleared around direct evidence (a find, an accident), metres (default 100).
    pub evidence_radius_m: Option<f64>,
    /// Evidence-led: NTS cancels land below this many expected items per hectare.
    pub cancel_below_items_per_ha: Option<f64>,
    /// Evidence-led: land at or above this many expected items per hectare is cleared.
    pub clear_above_items_per_ha: Option<f64>,
}

impl EvidenceSettings {
    /// The methods, the defaults overridden by what is set; refused out of range.
    pub fn methods(&self) -> AppResult<Methods> {
        let d = Methods::default();
        let m = Methods {
            ts_coverage: self.ts_coverage.unwrap_or(d.ts_coverage),
            ts_detection: self.ts_detection.unwrap_or(d.ts_detection),
            clearance_detection: self.clearance_detection.unwrap_or(d.clearance_detection),
            evidence_radius_m: self.evidence_radius_m.unwrap_or(d.evidence_radius_m),
            ..d
        };
        m.check().map_err(|e| {
            AppError::refused(format!(
                "--{} {}: {} must be {}",
                e.name.replace('_', "-"),
                e.value,
                setting_meaning(e.name),
                e.rule
            ))
            .with_hint("leave it out for the default, or give the figure your QA records show")
        })?;
        Ok(m)
    }

    /// The thresholds fixed by the user, a missing one at its default; `None` when neither is.
    pub fn thresholds(&self) -> AppResult<Option<Thresholds>> {
        if self.cancel_below_items_per_ha.is_none() && self.clear_above_items_per_ha.is_none() {
            return Ok(None);
        }
        let d = Thresholds::default();
        let t = Thresholds {
            cancel_below: self.cancel_below_items_per_ha.unwrap_or(d.cancel_below),
            clear_above: self.clear_above_items_per_ha.unwrap_or(d.clear_above),
        };
        for (flag, v) in [("--cancel-below", t.cancel_below), ("--clear-above", t.clear_above)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(AppError::refused(format!(
                    "{flag} {v}: a threshold is a number of expected items per hectare ≥ 0"
                )));
            }
        }
        if t.cancel_below > t.clear_above {
            return Err(AppError::refused(format!(
                "--cancel-below {} is above --clear-above {}: land cannot be both cancelled and cleared",
                t.cancel_below, t.clear_above
            ))
            .with_hint("give --cancel-below at most --clear-above (defaults 0.02 and 0.5 items per hectare)"));
        }
        Ok(Some(t))
    }

    /// Notes for method settings far outside what the methods achieve in practice: accepted
    /// (a programme may know its own), but every residual figure rests on them, so the output
    /// says so rather than printing them as if nothing were odd.
    pub fn cautions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, value, below, practice) in [
            ("--ts-coverage", self.ts_coverage, 0.05, "IMAS practice is 0.1–0.2"),
            ("--ts-detection", self.ts_detection, 0.5, "the default is 0.95"),
            (
                "--clearance-detection",
                self.clearance_detection,
                0.9,
                "clearance to a standard finds nearly all; the default is 0.99",
            ),
        ] {
            if let Some(v) = value.filter(|v| *v < below) {
                out.push(format!(
                    "{flag} {v} is far below what the method achieves in practice ({practice}): every residual figure rests on it, so check it against your QA records"
                ));
            }
        }
        out
    }

    /// Whether anything differs from the defaults.
    pub fn is_default(&self) -> bool {
        *self == EvidenceSettings::default()
    }
}

/// What a method setting is, for a refusal.
fn setting_meaning(name: &str) -> &'static str {
    match name {
        "ts_coverage" => "the share of a technical survey's ground its lanes cover",
        "ts_detection" => "the share of the items in a TS lane it detects",
        "clearance_detection" => "the share of the items clearance detects",
        "evidence_radius_m" => "the radius cleared around direct evidence",
        _ => "a method setting",
    }
}

/// `demine strategy` settings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct StrategySettings {
    /// YYYY-MM-DD: evidence-led thresholds that finish by it at `confidence`, least residual.
    pub deadline: Option<String>,
    /// Evidence-led thresholds that leave at most this many expected items, soonest.
    pub max_residual_items: Option<f64>,
    pub confidence: f64,
    pub runs: usize,
    pub seed: u64,
    /// Search time per plan, s.
    pub search_budget_s: f64,
}

impl Default for StrategySettings {
    fn default() -> Self {
        StrategySettings {
            deadline: None,
            max_residual_items: None,
            confidence: 0.9,
            runs: 200,
            seed: 1,
            search_budget_s: 3.0,
        }
    }
}

/// One strategy, decided, planned and forecast.
pub struct StrategyRun {
    pub plan: StrategyPlan,
    pub evaluation: Evaluation,
    pub problem: Problem,
    pub schedule: Plan,
    pub forecast: Forecast,
    /// Items of the demo's hidden truth left in the land the strategy releases (SYNTHETIC).
    pub true_residual_items: Option<u64>,
}

/// One point of the frontier.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub strategy: String,
    /// Evidence-led horizon, working days (what the thresholds were fitted to).
    pub horizon_days: Option<f64>,
    pub completion_p50: NaiveDate,
    pub completion_at_confidence: NaiveDate,
    pub days_at_confidence: f64,
    pub expected_residual_items: f64,
    pub cleared_m2: f64,
}

/// What `demine strategy` found.
pub struct Strategies {
    pub synthetic: bool,
    pub start_date: NaiveDate,
    pub runs: Vec<StrategyRun>,
    /// Evidence-led points, thorough to fast, and clear-all.
    pub frontier: Vec<Point>,
    pub deadline: Option<NaiveDate>,
    pub deadline_met: Option<bool>,
    pub max_residual_items: Option<f64>,
    pub confidence: f64,
    /// The methods' detection and coverage the strategies assumed.
    pub methods: Methods,
    /// Evidence-led thresholds the user fixed, if any.
    pub thresholds_given: Option<Thresholds>,
    pub model_source: &'static str,
    pub notes: Vec<String>,
    pub truth_source: Option<String>,
    /// On SYNTHETIC demo data: deciles of hazards with released land by predicted P(any item
    /// left there), each with the share that really keeps one; and the expected and true totals.
    pub calibration: Option<Calibration>,
}

/// The residual model of released land against the demo's hidden truth.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Calibration {
    pub deciles: Vec<demine_strategy::CalibrationBin>,
    pub expected_items: f64,
    pub true_items: u64,
}

impl Strategies {
    /// The evidence-led run (the chosen strategy).
    pub fn chosen(&self) -> &StrategyRun {
        self.runs
            .iter()
            .find(|r| r.plan.kind == StrategyKind::EvidenceLed)
            .unwrap_or(&self.runs[0])
    }
}

/// Items of a known truth: location, hazard id, found already.
type TruthRows = Vec<(geo::Point<f64>, Option<String>, bool)>;

/// The demo's hidden truth next to a SYNTHETIC registry (`ground_truth.SYNTHETIC.csv`).
fn read_truth(reg: &Registry) -> Option<(String, TruthRows)> {
    // Only a demo's GeoPackage has its truth beside it.
    #[allow(irrefutable_let_patterns)]
    let crate::Location::GeoPackage(db) = &reg.location
    else {
        return None;
    };
    let path = db.parent()?.join("ground_truth.SYNTHETIC.csv");
    let mut r = csv::Reader::from_path(&path).ok()?;
    let h = r.headers().ok()?.clone();
    let col = |n: &str| h.iter().position(|c| c == n);
    let (lon, lat, hz, found) = (col("lon")?, col("lat")?, col("hazard_id")?, col("found")?);
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.ok()?;
        let x: f64 = rec.get(lon)?.parse().ok()?;
        let y: f64 = rec.get(lat)?.parse().ok()?;
        let id = rec.get(hz).filter(|s| !s.is_empty()).map(str::to_string);
        out.push((geo::Point::new(x, y), id, rec.get(found)? == "true"));
    }
    Some((path.display().to_string(), out))
}

/// `demine strategy`: every strategy on the registry's land still to release, with the
/// frontier of evidence-led thresholds; a deadline or a residual cap picks evidence-led's.
pub async fn strategies(
    reg: &Registry,
    actor: &Actor,
    input: &PlanInput,
    s: &StrategySettings,
    progress: &dyn Progress,
) -> AppResult<Strategies> {
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(AppError::refused(
            "--confidence must be between 0 and 1 (exclusive), e.g. 0.9",
        ));
    }
    if s.runs == 0 || s.runs > 100_000 {
        return Err(AppError::refused("--runs must be between 1 and 100,000"));
    }
    crate::plan::check_search_budget(s.search_budget_s)?;
    if let Some(cap) = s.max_residual_items {
        if !(cap.is_finite() && cap >= 0.0) {
            return Err(AppError::refused(format!(
                "--max-residual-items {cap}: the residual cap must be a number of items ≥ 0"
            )));
        }
    }
    if s.deadline.is_some() && s.max_residual_items.is_some() {
        return Err(AppError::refused(
            "give --deadline or --max-residual-items, not both: one picks the least residual by a date, the other the soonest date under a cap",
        ));
    }
    let fixed = input.evidence.thresholds()?;
    input.evidence.methods()?;
    if fixed.is_some() && (s.deadline.is_some() || s.max_residual_items.is_some()) {
        return Err(AppError::refused(
            "give --cancel-below/--clear-above, or --deadline or --max-residual-items, not both: fixed thresholds are not searched for",
        ));
    }
    let deadline = s.deadline.as_deref().map(|d| parse_date("--deadline", d)).transpose()?;
    if input.tasks.is_some() {
        return Err(AppError::refused(
            "strategies are decided from the registry's hazards and risk map, not from --tasks",
        ));
    }
    // The registry's tasks and teams as `demine plan` loads them, before any strategy.
    let mut base_input = input.clone();
    base_input.strategy = Some("none".into());
    let loaded = crate::plan::load(Some(reg), actor, &base_input).await?;
    let forecast_options = crate::plan::forecast_options(&loaded, s.runs, s.seed, None);
    // The overlap, priority and cost notes of the loaded registry hold for every strategy.
    let mut notes = loaded.notes.clone();
    notes.extend(loaded.default_costs_note());
    let base = loaded.problem;
    if let Some(d) = deadline {
        if d <= base.start_date {
            return Err(AppError::refused(format!(
                "--deadline {d} is not after the plan start {}: give a future date (or an earlier --start)",
                base.start_date
            )));
        }
    }
    let Some(data) = load_data(reg, actor, &input.evidence, progress).await? else {
        return Err(no_risk_map(reg));
    };
    let ctx = data.context();
    let capacity = Capacity::of(&base.teams);
    let opts = EvalOptions {
        plan: demine_plan::PlanOptions {
            seed: s.seed,
            search_budget_s: s.search_budget_s,
            lns_steps_per_job: 2,
            exact: false,
        },
        forecast: forecast_options,
    };
    let quick = EvalOptions {
        forecast: demine_plan::ForecastOptions {
            runs: s.runs.min(100),
            ..opts.forecast.clone()
        },
        ..opts.clone()
    };
    let truth = if reg.synthetic().await? { read_truth(reg) } else { None };
    let evidence: Vec<(geo::Point<f64>, Option<&str>)> = data
        .finds
        .iter()
        .map(|f| (f.location, f.hazard_id.as_deref()))
        .chain(data.accidents.iter().map(|a| (a.location, a.hazard_id.as_deref())))
        .collect();
    let resolution = data.cells.first().map_or(9, |c| c.resolution);
    let true_left = |p: &StrategyPlan| -> Option<u64> {
        truth.as_ref().map(|(_, items)| {
            let items: Vec<demine_strategy::TruthItem> = items
                .iter()
                .map(|(p, h, f)| demine_strategy::TruthItem {
                    location: *p,
                    hazard_id: h.as_deref(),
                    found: *f,
                })
                .collect();
            demine_strategy::true_residual_items(
                p,
                &data.hazards,
                &data.activities,
                &evidence,
                &items,
                &data.methods,
                resolution,
                s.seed,
            )
            .0
        })
    };
    let teams_name = input
        .teams
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| format!("{} (teams)", reg.name()));
    let run = |plan: StrategyPlan, o: &EvalOptions| -> AppResult<StrategyRun> {
        // A strategy that surveys needs the teams to survey with, which the stages the registry
        // gives its hazards may not have needed.
        let mut sized = base.clone();
        demine_strategy::apply_to_problem(&mut sized, &plan);
        demine_plan::check_feasible(
            &sized,
            &format!("{} (hazards)", reg.name()),
            &Default::default(),
            &teams_name,
        )
        .map_err(|e| crate::plan::stages_without_teams(&format!("strategy {}", plan.kind), &e))?;
        let (problem, schedule, forecast, evaluation) = demine_strategy::evaluate_sized(sized, &plan, o);
        Ok(StrategyRun {
            true_residual_items: true_left(&plan),
            plan,
            evaluation,
            problem,
            schedule,
            forecast,
        })
    };
    let point = |r: &StrategyRun, horizon: Option<f64>| -> Point {
        let d = r.forecast.quantile_day(s.confidence);
        Point {
            strategy: r.plan.kind.to_string(),
            horizon_days: horizon,
            completion_p50: r.evaluation.completion_p50,
            completion_at_confidence: demine_plan::calendar::end_date_of(base.start_date, d),
            days_at_confidence: d,
            expected_residual_items: r.evaluation.expected_residual_items,
            cleared_m2: r.evaluation.cleared_m2,
        }
    };
    let mut runs = Vec::new();
    for kind in [StrategyKind::ClearAll, StrategyKind::SurveyLed] {
        progress.stage(&format!("planning and forecasting {kind}"));
        runs.push(run(data.decide(kind, &capacity), &opts)?);
        progress.finish();
    }
    // The evidence-led frontier: horizons from the fastest the evidence allows, doubling, until
    // the thresholds clear everything the model finds risky.
    let h0 = demine_strategy::fastest_horizon(&ctx, &capacity);
    let mut frontier: Vec<(f64, StrategyRun)> = Vec::new();
    let mut h = h0;
    for i in 0..8 {
        progress.stage(&format!("evidence-led frontier: horizon {:.0} working days", h));
        let plan = demine_strategy::decide_for_horizon(&ctx, &capacity, h);
        let done = plan.thresholds.is_some_and(|t| t.clear_above <= 0.0);
        frontier.push((h, run(plan, &quick)?));
        progress.finish();
        let last = &frontier[frontier.len() - 1].1;
        if done || i == 7 || last.evaluation.p50_days >= runs[0].evaluation.p50_days {
            break;
        }
        h *= 2.0;
    }
    let at_conf = |r: &StrategyRun| r.forecast.quantile_day(s.confidence);
    let mut deadline_met = None;
    let chosen_h: f64 = if let Some(d) = deadline {
        let day = (d - base.start_date).num_days() as f64 + 1.0;
        let ok: Vec<&(f64, StrategyRun)> = frontier.iter().filter(|(_, r)| at_conf(r) <= day).collect();
        match ok
            .iter()
            .map(|(h, _)| *h)
            .fold(None, |m: Option<f64>, h| Some(m.map_or(h, |m| m.max(h))))
        {
            None => {
                deadline_met = Some(false);
                let fastest = frontier
                    .iter()
                    .min_by(|a, b| at_conf(&a.1).total_cmp(&at_conf(&b.1)))
                    .map(|(_, r)| at_conf(r))
                    .unwrap_or(day);
                notes.push(format!(
                    "no evidence-led thresholds finish by {d} at {:.0} % confidence; the earliest at this confidence is {} (the fastest: only the land around finds and accidents cleared); evidence-led below is that fastest",
                    s.confidence * 100.0,
                    demine_plan::calendar::end_date_of(base.start_date, fastest)
                ));
                h0
            }
            Some(best) => {
                deadline_met = Some(true);
                // Refine between the last horizon that makes it and the next that does not.
                let mut lo = best;
                let mut hi = frontier
                    .iter()
                    .map(|(h, _)| *h)
                    .filter(|&h| h > best)
                    .fold(f64::NAN, f64::min);
                if hi.is_finite() {
                    for _ in 0..3 {
                        let mid = 0.5 * (lo + hi);
                        progress.stage(&format!("evidence-led by {d}: horizon {mid:.0} working days"));
                        let r = run(demine_strategy::decide_for_horizon(&ctx, &capacity, mid), &quick)?;
                        progress.finish();
                        if at_conf(&r) <= day {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                        frontier.push((mid, r));
                    }
                }
                lo
            }
        }
    } else if let Some(cap) = s.max_residual_items {
        // Residual depends on the decisions only: bisect the horizon on it, plan once.
        let items = |h: f64| demine_strategy::decide_for_horizon(&ctx, &capacity, h).expected_residual_items;
        if items(h0) <= cap {
            h0
        } else {
            let mut hi = h0;
            let mut ok = false;
            for _ in 0..20 {
                hi *= 2.0;
                if items(hi) <= cap {
                    ok = true;
                    break;
                }
            }
            if !ok {
                let best = runs[0].evaluation.expected_residual_items;
                return Err(AppError::refused(format!(
                    "--max-residual-items {cap}: no evidence-led thresholds leave so few expected items; clearing everything leaves {best:.1}"
                ))
                .with_hint("accept more residual items, or use clear-all"));
            }
            let mut lo = hi / 2.0;
            for _ in 0..12 {
                let mid = 0.5 * (lo + hi);
                if items(mid) <= cap {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        }
    } else {
        h0
    };
    let chosen = match (fixed, frontier.iter().position(|(h, _)| *h == chosen_h)) {
        (Some(_), _) => {
            progress.stage("planning and forecasting evidence-led at the thresholds given");
            let r = run(data.decide(StrategyKind::EvidenceLed, &capacity), &opts)?;
            progress.finish();
            r
        }
        (None, Some(i)) if s.runs <= 100 => frontier[i].1.clone_run(),
        _ => {
            progress.stage("planning and forecasting evidence-led");
            let r = run(demine_strategy::decide_for_horizon(&ctx, &capacity, chosen_h), &opts)?;
            progress.finish();
            r
        }
    };
    // The chosen thresholds' point shows the chosen run's figures (its full runs, not the quick
    // ones the frontier was searched with), so one plan reads with one date.
    if fixed.is_none() {
        if let Some(i) = frontier.iter().position(|(h, _)| *h == chosen_h) {
            frontier[i].1 = chosen.clone_run();
        }
    }
    runs.push(chosen);
    frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut points: Vec<Point> = frontier.iter().map(|(h, r)| point(r, Some(*h))).collect();
    points.push(point(&runs[0], None));
    if fixed.is_some() {
        points.push(point(&runs[runs.len() - 1], None));
    }
    // The frontier keeps the points no other point beats on both date and residual.
    let all = points.clone();
    points.retain(|p| {
        !all.iter().any(|q| {
            q.days_at_confidence <= p.days_at_confidence
                && q.expected_residual_items <= p.expected_residual_items
                && (q.days_at_confidence < p.days_at_confidence
                    || q.expected_residual_items < p.expected_residual_items)
        })
    });
    let calibration = truth.as_ref().map(|(_, items)| {
        let items: Vec<demine_strategy::TruthItem> = items
            .iter()
            .map(|(p, h, f)| demine_strategy::TruthItem {
                location: *p,
                hazard_id: h.as_deref(),
                found: *f,
            })
            .collect();
        let res = demine_strategy::released_land_residual(&data.units, &data.model);
        let left = demine_strategy::true_items_in_released(&data.hazards, &data.activities, &items);
        let pred: Vec<f64> = res.iter().map(|x| x.p_any).collect();
        let obs: Vec<bool> = res.iter().map(|x| left[x.hazard] > 0).collect();
        Calibration {
            deciles: demine_strategy::calibration_bins(&pred, &obs, 10),
            expected_items: res.iter().map(|x| x.expected_items).sum(),
            true_items: res.iter().map(|x| u64::from(left[x.hazard])).sum(),
        }
    });
    for r in &runs {
        if !r.schedule.overrunning_teams.is_empty() {
            notes.push(format!(
                "{}: {}",
                r.plan.kind,
                crate::plan::overrun_note(&r.schedule.overrunning_teams)
            ));
        }
    }
    notes.extend(input.evidence.cautions());
    if data.model_source == "fitted" {
        notes.push(
            "the contamination model was fitted now (build the risk map again to keep it and answer faster)".into(),
        );
    }
    Ok(Strategies {
        synthetic: loaded.synthetic,
        start_date: base.start_date,
        runs,
        frontier: points,
        deadline,
        deadline_met,
        max_residual_items: s.max_residual_items,
        confidence: s.confidence,
        methods: data.methods,
        thresholds_given: fixed,
        model_source: data.model_source,
        notes,
        truth_source: truth.map(|t| t.0),
        calibration,
    })
}

impl StrategyRun {
    fn clone_run(&self) -> StrategyRun {
        StrategyRun {
            plan: self.plan.clone(),
            evaluation: self.evaluation.clone(),
            problem: self.problem.clone(),
            schedule: self.schedule.clone(),
            forecast: self.forecast.clone(),
            true_residual_items: self.true_residual_items,
        }
    }
}

/// The strategies as the JSON object `demine strategy --json` prints.
pub fn strategies_json(s: &Strategies, hazards_limit: usize) -> Value {
    let chosen = s.chosen();
    let mut hazards: Vec<&demine_strategy::HazardDecision> = chosen.plan.hazards.iter().collect();
    hazards.sort_by(|a, b| {
        b.expected_residual_items
            .total_cmp(&a.expected_residual_items)
            .then(a.id.cmp(&b.id))
    });
    json!({
        "synthetic": s.synthetic,
        "start_date": s.start_date.to_string(),
        "confidence": s.confidence,
        "deadline": s.deadline.map(|d| d.to_string()),
        "deadline_met": s.deadline_met,
        "max_residual_items": s.max_residual_items,
        "methods": s.methods,
        "thresholds_given_items_per_ha": s.thresholds_given,
        "chosen": chosen.plan.kind,
        "contamination_model": s.model_source,
        "truth": s.truth_source,
        "notes": s.notes,
        "strategies": s.runs.iter().map(|r| {
            let e = &r.evaluation;
            let released: Vec<&demine_strategy::HazardDecision> = r.plan.hazards.iter().collect();
            json!({
                "name": r.plan.kind,
                "completion_p10": e.completion_p10.to_string(),
                "completion_p50": e.completion_p50.to_string(),
                "completion_p90": e.completion_p90.to_string(),
                "completion_at_confidence": completion_date(&r.problem, r.forecast.quantile_day(s.confidence)),
                "team_days": e.team_days,
                "cost": e.cost,
                "released_m2": e.released_m2,
                "released_by_outcome_m2": {"cancelled": e.cancelled_m2, "reduced": e.reduced_m2, "cleared": e.cleared_m2},
                "expected_residual_items": e.expected_residual_items,
                "true_residual_items": r.true_residual_items,
                "hazards": released.len(),
                "hazards_p_any_residual_over_half": e.hazards_p_any_over_half,
                "mean_p_any_residual": if released.is_empty() { 0.0 } else {
                    released.iter().map(|h| h.p_any_residual).sum::<f64>() / released.len() as f64
                },
                "thresholds_items_per_ha": r.plan.thresholds,
                "shares": r.plan.shares,
            })
        }).collect::<Vec<_>>(),
        "frontier": s.frontier,
        "released_land_calibration": s.calibration,
        "hazards": hazards.iter().take(hazards_limit).map(|h| json!({
            "id": h.id,
            "class": h.class,
            "remaining_m2": h.remaining_m2,
            "cancel_m2": h.cancel_m2,
            "survey_m2": h.survey_m2,
            "clear_m2": h.clear_m2,
            "first_stage": h.first_stage.as_str(),
            "expected_residual_items": h.expected_residual_items,
            "p_any_residual": h.p_any_residual,
            "action": h.summary,
        })).collect::<Vec<_>>(),
    })
}

/// The frontier and the chosen strategy's Gantt chart for the report.
pub fn report_section(s: &Strategies) -> demine_report::strategy::StrategySection {
    let chosen = s.chosen();
    demine_report::strategy::StrategySection {
        synthetic: s.synthetic,
        rows: s
            .runs
            .iter()
            .map(|r| demine_report::strategy::Row {
                name: r.plan.kind.to_string(),
                completion_p10: r.evaluation.completion_p10,
                completion_p50: r.evaluation.completion_p50,
                completion_p90: r.evaluation.completion_p90,
                team_days: r.evaluation.team_days,
                cost: r.evaluation.cost,
                by_outcome_m2: [
                    r.evaluation.cancelled_m2,
                    r.evaluation.reduced_m2,
                    r.evaluation.cleared_m2,
                ],
                expected_residual_items: r.evaluation.expected_residual_items,
                true_residual_items: r.true_residual_items,
            })
            .collect(),
        frontier: s
            .frontier
            .iter()
            .map(|p| demine_report::strategy::FrontierDot {
                strategy: p.strategy.clone(),
                horizon_days: p.horizon_days,
                completion: p.completion_at_confidence,
                expected_residual_items: p.expected_residual_items,
            })
            .collect(),
        confidence: s.confidence,
        gantt: crate::plan::gantt_section(&chosen.problem, &chosen.schedule, Some(&chosen.forecast), s.synthetic),
        reliability: s
            .calibration
            .iter()
            .map(|c| demine_report::strategy::Reliability {
                expected_items: c.expected_items,
                true_items: c.true_items,
                bins: c.deciles.iter().map(|b| (b.mean_predicted, b.observed, b.n)).collect(),
            })
            .collect(),
        chosen: chosen.plan.kind.to_string(),
    }
}
