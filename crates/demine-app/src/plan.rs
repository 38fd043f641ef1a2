//! Plans, forecasts and capacity: planning inputs from the standalone CSVs or from the registry
//! (remaining area of each hazard after land release), handed to demine-plan.

use crate::actor::Act;
use crate::util::{check_share, parse_date, today};
use crate::{Actor, AppError, AppResult, Progress, Registry};
use chrono::{Datelike, NaiveDate};
use demine_core::release::account_records;
use demine_core::{ActivityType, HazardClass, Outcome};
use demine_plan::{
    CalendarSpec, Forecast, ForecastOptions, Plan, PlanOptions, Problem, Rates, Stage, Task, Team, TeamKind, Travel,
    WorkingCalendar,
};
use demine_store::{Query, Repository};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The working calendar of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarKind {
    /// Monday–Friday, machines stop December–February, dogs stop July–August, a share of days
    /// lost to weather.
    #[default]
    Working,
    /// Continuous days from the start: duration = area / productivity.
    None,
}

/// Where tasks and teams come from, and the planning assumptions.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PlanInput {
    /// Tasks CSV; without it, the registry's hazards with land still to release.
    pub tasks: Option<PathBuf>,
    /// Teams CSV; without it, the registry's teams.
    pub teams: Option<PathBuf>,
    /// First day of the plan (YYYY-MM-DD); default today.
    pub start: Option<String>,
    pub calendar: CalendarKind,
    pub downtime_rate: f64,
    pub nts_cancel_share: Option<f64>,
    pub ts_reduce_share: Option<f64>,
    pub road_factor: f64,
    pub speed_km_per_h: f64,
    /// How a registry's tasks are sized: `clear-all`, `survey-led` or `evidence-led` (the
    /// default; today's chain when the registry has no risk map). Not used with --tasks.
    pub strategy: Option<String>,
    /// Method settings and fixed thresholds of the evidence-led strategy (top-level fields of a
    /// job's body: `ts_coverage`, `cancel_below_items_per_ha`, …).
    #[serde(flatten)]
    pub evidence: crate::strategy::EvidenceSettings,
}

impl Default for PlanInput {
    fn default() -> Self {
        PlanInput {
            tasks: None,
            teams: None,
            start: None,
            calendar: CalendarKind::Working,
            downtime_rate: 0.1,
            nts_cancel_share: None,
            ts_reduce_share: None,
            road_factor: 1.4,
            speed_km_per_h: 40.0,
            strategy: None,
            evidence: crate::strategy::EvidenceSettings::default(),
        }
    }
}

/// A loaded problem and what it was made from.
pub struct Loaded {
    pub problem: Problem,
    pub synthetic: bool,
    /// σ of log productivity from site to site (per piece of work) fitted from the registry's
    /// activities, when it has no daily progress; `None`: the default, 0.3.
    pub productivity_sigma: Option<f64>,
    /// σ of a team's log productivity from day to day, fitted from daily progress reports.
    pub daily_sigma: Option<f64>,
    /// Where the σs come from: `daily_progress`, `activities` or `default` (0.3).
    pub productivity_sigma_source: &'static str,
    pub source: String,
    /// Where task values come from.
    pub value_source: &'static str,
    /// Work under way on the registry: (task, team, date of the latest progress report).
    pub under_way: Vec<(String, String, NaiveDate)>,
    /// Notes for the user (e.g. no priority scores).
    pub notes: Vec<String>,
    /// The strategy that sized the registry's tasks (`None` for --tasks).
    pub strategy: Option<String>,
    /// Teams with no cost per day, priced at their kind's default rate.
    pub unpriced_teams: Vec<String>,
}

impl Loaded {
    /// Says which costs are assumed, for commands that show costs: teams without a
    /// `cost_per_day` are priced at their kind's default day rate, which is no one's budget.
    pub fn default_costs_note(&self) -> Option<String> {
        (!self.unpriced_teams.is_empty()).then(|| {
            let rates: Vec<String> = demine_plan::model::ALL_KINDS
                .iter()
                .map(|&k| format!("{k} {}", demine_plan::input::default_cost_per_day(k)))
                .collect();
            format!(
                "{} of {} teams have no cost_per_day; costs price them at a default rate per day by kind ({}): give each team's cost_per_day, in one currency, to plan a budget",
                self.unpriced_teams.len(),
                self.problem.teams.len(),
                rates.join(", ")
            )
        })
    }
}

/// Loads a planning problem: from `tasks`/`teams` CSVs, or from the registry `reg` (which must
/// then be open).
pub async fn load(reg: Option<&Registry>, actor: &Actor, input: &PlanInput) -> AppResult<Loaded> {
    let start = match &input.start {
        Some(s) => parse_date("--start", s)?,
        None => today(),
    };
    check_share("--downtime-rate", Some(input.downtime_rate))?;
    check_share("--nts-cancel-share", input.nts_cancel_share)?;
    check_share("--ts-reduce-share", input.ts_reduce_share)?;
    if !(1.0..=10.0).contains(&input.road_factor) {
        return Err(AppError::refused(format!(
            "--road-factor {}: give the road distance over the straight line, from 1 to 10 (1.4 is typical)",
            input.road_factor
        )));
    }
    if !(1.0..=200.0).contains(&input.speed_km_per_h) {
        return Err(AppError::refused(format!(
            "--speed-km-per-h {}: give a travel speed from 1 to 200 km/h (40 is typical)",
            input.speed_km_per_h
        )));
    }
    let calendar = match input.calendar {
        CalendarKind::None => CalendarSpec::None,
        CalendarKind::Working => CalendarSpec::Working(WorkingCalendar {
            downtime_rate: input.downtime_rate,
            ..Default::default()
        }),
    };
    let travel = Travel {
        road_factor: input.road_factor,
        speed_km_per_h: input.speed_km_per_h,
        ..Default::default()
    };
    let (teams_from_file, mut unpriced_teams) = match &input.teams {
        Some(f) => {
            let (teams, unpriced) =
                demine_plan::read_teams_and_unpriced(f, start).map_err(|e| AppError::refused(e.to_string()))?;
            (Some(teams), unpriced)
        }
        None => (None, Vec::new()),
    };
    let mut rates = Rates::default();
    let mut value_source = "tasks.csv";
    let mut under_way = Vec::new();
    let mut sigma_source = "default";
    let mut daily_sigma = None;
    let mut notes = Vec::new();
    // Each task's line in a tasks file, for the feasibility check's messages.
    let mut task_lines = std::collections::HashMap::new();
    // The registry's evidence and accounting, kept for the strategy that sizes the tasks.
    let mut evidence: Option<(crate::registry::Evidence, demine_core::release::RegistryRelease)> = None;
    let (tasks, teams, synthetic, sigma, source, tasks_name, teams_name) = match (&input.tasks, reg) {
        (Some(f), _) => {
            let (tasks, lines) =
                demine_plan::read_tasks_with_lines(f, start).map_err(|e| AppError::refused(e.to_string()))?;
            task_lines = lines;
            let Some(teams) = teams_from_file else {
                return Err(AppError::refused(
                    "--tasks needs --teams teams.csv (id, kind, productivity_m2_per_day)",
                ));
            };
            let teams_name = input
                .teams
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (
                tasks,
                teams,
                false,
                None,
                f.display().to_string(),
                f.display().to_string(),
                teams_name,
            )
        }
        (None, None) => {
            return Err(AppError::refused(
                "no registry: pass --tasks tasks.csv --teams teams.csv, or --db a registry",
            ))
        }
        (None, Some(reg)) => {
            actor.require(Act::Read)?;
            let db = reg.name();
            let q = Query::all().in_organisations(actor.scope());
            let synthetic = reg.synthetic().await?;
            let crate::registry::Evidence {
                hazards,
                activities,
                finds,
                accidents,
                layers,
            } = reg.evidence(&q).await?;
            let stored_teams = reg.store.teams(&q).await?;
            let progress = reg.store.daily_progress(&q).await?;
            let risks = reg.store.hazard_risks().await?;
            let teams = match teams_from_file {
                Some(t) => t,
                None if stored_teams.is_empty() => {
                    return Err(AppError::refused(format!(
                        "the registry {db} has no teams; import them with `demine import teams teams.csv`, or pass --teams teams.csv"
                    )))
                }
                None => stored_teams
                    .iter()
                    .filter(|t| t.productivity_m2_per_day > 0.0)
                    .filter(|t| t.end_date.is_none_or(|e| e >= start))
                    .inspect(|t| {
                        if t.cost_per_day.is_none() {
                            unpriced_teams.push(t.id.clone());
                        }
                    })
                    .map(|t| Team {
                        id: t.id.clone(),
                        kind: t.kind,
                        productivity_m2_per_day: t.productivity_m2_per_day,
                        productivity_by_terrain: vec![],
                        base: t.base_lon.zip(t.base_lat),
                        start_day: t
                            .start_date
                            .map(|d| ((d - start).num_days() as f64).max(0.0))
                            .unwrap_or(0.0),
                        end_day: t.end_date.map(|d| (d - start).num_days() as f64 + 1.0),
                        cost_per_day: t
                            .cost_per_day
                            .unwrap_or_else(|| demine_plan::input::default_cost_per_day(t.kind)),
                    })
                    .collect(),
            };
            let release = account_records(&hazards, &activities, None, false);
            if let Some(note) = overlap_note(&release) {
                notes.push(note);
            }
            // The priority score (0–100) of `demine priority` is each hazard's value.
            let config = demine_priority::Config::default();
            let scores: std::collections::HashMap<String, f64> = match crate::priority::compute_priorities(
                &hazards, &release, &finds, &accidents, &layers, &risks, &config,
            ) {
                Ok(r) => r.hazards.into_iter().map(|h| (h.hazard_id, h.score)).collect(),
                Err(e) => {
                    notes.push(format!("no priority scores ({e}); task value = remaining hectares"));
                    Default::default()
                }
            };
            let going = work_under_way(&progress);
            rates = learned_rates(&hazards, &activities, &release);
            let mut sigma = None;
            // Daily progress measures how productivity varies from day to day, which a piece of
            // work of many days averages out (its site-to-site spread keeps the default);
            // without it, whole past activities show the spread of a piece of work, roughly.
            match (progress_sigma(&progress), productivity_sigma(&activities)) {
                (Some(s), _) => {
                    sigma_source = "daily_progress";
                    daily_sigma = Some(s);
                }
                (None, Some(s)) => {
                    sigma_source = "activities";
                    sigma = Some(s);
                }
                (None, None) => {}
            }
            let has = |k: TeamKind| teams.iter().any(|t| t.kind == k);
            let mut tasks = Vec::new();
            let (mut scored, mut unscored) = (0usize, 0usize);
            for (h, r) in hazards.iter().zip(&release.per_hazard) {
                if r.remaining_m2 < 1.0 {
                    continue;
                }
                // Work under way: the team of the latest report keeps the task, at the stage
                // it was doing, with what is left of it.
                let on_site = going
                    .get(h.id.as_str())
                    .filter(|g| teams.iter().any(|t| t.id == g.team));
                let value = match scores.get(&h.id) {
                    Some(&s) if s.is_finite() => {
                        scored += 1;
                        s
                    }
                    _ => {
                        unscored += 1;
                        r.remaining_m2 / 10_000.0
                    }
                };
                let done = |t: ActivityType| activities.iter().any(|a| a.hazard_id == h.id && a.activity_type == t);
                // SHA: survey first; CHA: technical survey, then clearance. Stages done already,
                // or with no team of their kind, are skipped.
                let stage = if let Some(g) = on_site {
                    match g.team_kind.as_str() {
                        "nts" => Stage::Nts,
                        "ts" => Stage::Ts,
                        _ => Stage::Clearance,
                    }
                } else if h.class == HazardClass::Sha && !done(ActivityType::Nts) && has(TeamKind::Nts) {
                    Stage::Nts
                } else if !done(ActivityType::Ts) && has(TeamKind::Ts) {
                    Stage::Ts
                } else {
                    Stage::Clearance
                };
                use geo::Centroid;
                tasks.push(Task {
                    id: h.id.clone(),
                    area_m2: r.remaining_m2,
                    value,
                    site: h.geometry.centroid().map(|c| (c.x(), c.y())),
                    stage,
                    methods: vec![],
                    terrain: h.land_use.clone(),
                    ready_day: 0.0,
                    splittable: r.remaining_m2 > 200_000.0,
                    under_way_by: on_site.map(|g| g.team.clone()),
                    prepare_ground: false,
                });
                if let Some(g) = on_site {
                    under_way.push((h.id.clone(), g.team.clone(), g.date));
                }
            }
            value_source = match (scored, unscored) {
                (_, 0) => "priority_score",
                (0, _) => "remaining_hectares",
                _ => "priority_score, else remaining_hectares",
            };
            let teams_name = input
                .teams
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| format!("{db} (teams)"));
            evidence = Some((
                crate::registry::Evidence {
                    hazards,
                    activities,
                    finds,
                    accidents,
                    layers,
                },
                release,
            ));
            (
                tasks,
                teams,
                synthetic,
                sigma,
                format!("registry {db}"),
                format!("{db} (hazards)"),
                teams_name,
            )
        }
    };
    if let Some(c) = input.nts_cancel_share {
        rates.nts_cancel_share = c;
    }
    if let Some(r) = input.ts_reduce_share {
        rates.ts_reduce_share = r;
    }
    let mut problem = Problem {
        start_date: start,
        tasks,
        teams,
        rates,
        travel,
        calendar,
    };
    let mut strategy = None;
    if problem.tasks.is_empty() {
        return Err(AppError::refused(format!(
            "{source}: no tasks: nothing left to release"
        )));
    }
    if problem.teams.is_empty() {
        return Err(AppError::refused(format!(
            "{teams_name}: no teams available from {start}; import or add teams"
        )));
    }
    match (reg, &input.tasks) {
        (Some(reg), None) if input.strategy.as_deref() != Some("none") => {
            strategy = Some(
                crate::strategy::apply_strategy(
                    reg,
                    actor,
                    input.strategy.as_deref(),
                    &input.evidence,
                    &mut problem,
                    &mut notes,
                    evidence.take(),
                )
                .await?,
            );
        }
        (_, Some(_)) if input.strategy.is_some() && input.strategy.as_deref() != Some("none") => {
            return Err(AppError::refused(
                "--strategy sizes the registry's hazards; with --tasks the CSV gives each task's stage",
            ))
        }
        (_, Some(_)) if !input.evidence.is_default() => return Err(AppError::refused(
            "method settings and thresholds size the registry's hazards; with --tasks the CSV gives each task's stage",
        )),
        _ => {}
    }
    demine_plan::check_feasible(&problem, &tasks_name, &task_lines, &teams_name).map_err(|e| {
        match (&input.tasks, &strategy) {
            // A tasks file: each line, to mend.
            (Some(_), _) => AppError::refused(e.to_string()),
            (None, Some(name)) => stages_without_teams(&format!("strategy {name}"), &e),
            (None, None) => stages_without_teams("the plan", &e),
        }
    })?;
    Ok(Loaded {
        problem,
        synthetic,
        productivity_sigma: sigma,
        daily_sigma,
        productivity_sigma_source: sigma_source,
        source,
        value_source,
        under_way,
        notes,
        strategy,
        unpriced_teams,
    })
}

/// Hazards with work under way, each with its latest progress report: a team's work under way
/// is the hazard it last reported on (a team is on one site at a time).
fn work_under_way(
    progress: &[demine_core::DailyProgress],
) -> std::collections::HashMap<&str, &demine_core::DailyProgress> {
    use std::collections::HashMap;
    let mut by_team: HashMap<&str, &demine_core::DailyProgress> = HashMap::new();
    for r in progress {
        let e = by_team.entry(r.team.as_str()).or_insert(r);
        if r.date >= e.date {
            *e = r;
        }
    }
    let mut by_hazard: HashMap<&str, &demine_core::DailyProgress> = HashMap::new();
    for r in by_team.into_values() {
        let e = by_hazard.entry(r.hazard_id.as_str()).or_insert(r);
        if (r.date, &r.id) > (e.date, &e.id) {
            *e = r;
        }
    }
    by_hazard
}

/// NTS cancel and TS reduce shares from the registry: land cancelled over the area of
/// hazards that had NTS, land reduced over what NTS left of hazards that had TS.
pub fn learned_rates(
    hazards: &[demine_core::Hazard],
    activities: &[demine_core::Activity],
    release: &demine_core::release::RegistryRelease,
) -> Rates {
    let mut rates = Rates::default();
    let mut had: std::collections::HashSet<(&str, ActivityType)> = Default::default();
    for a in activities {
        had.insert((a.hazard_id.as_str(), a.activity_type));
    }
    let (mut nts_area, mut cancelled, mut ts_area, mut reduced) = (0.0, 0.0, 0.0, 0.0);
    for (h, r) in hazards.iter().zip(&release.per_hazard) {
        if had.contains(&(h.id.as_str(), ActivityType::Nts)) {
            nts_area += r.area_m2;
            cancelled += r.cancelled_m2;
        }
        if had.contains(&(h.id.as_str(), ActivityType::Ts)) {
            ts_area += r.area_m2 - r.cancelled_m2;
            reduced += r.reduced_m2;
        }
    }
    if nts_area > 0.0 {
        rates.nts_cancel_share = (cancelled / nts_area).clamp(0.0, 0.95);
    }
    if ts_area > 0.0 {
        rates.ts_reduce_share = (reduced / ts_area).clamp(0.0, 0.95);
    }
    rates
}

/// σ of log(m² per hour worked) in daily progress reports, around each team's own mean,
/// pooled over teams with at least 3 reports; `None` below 5 degrees of freedom.
fn progress_sigma(progress: &[demine_core::DailyProgress]) -> Option<f64> {
    let mut by_team: std::collections::HashMap<&str, Vec<f64>> = Default::default();
    for r in progress.iter().filter(|r| r.hours > 0.0 && r.area_m2 > 0.0) {
        by_team
            .entry(r.team.as_str())
            .or_default()
            .push((r.area_m2 / r.hours).ln());
    }
    let (mut ss, mut dof) = (0.0, 0usize);
    for v in by_team.values().filter(|v| v.len() >= 3) {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        ss += v.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
        dof += v.len() - 1;
    }
    (dof >= 5).then(|| (ss / dof as f64).sqrt().clamp(0.05, 0.8))
}

/// σ of log(area per day) of past clearance-like activities around each type's mean, pooled.
fn productivity_sigma(activities: &[demine_core::Activity]) -> Option<f64> {
    let mut by_type: std::collections::HashMap<&str, Vec<f64>> = Default::default();
    for a in activities {
        if a.outcome == Outcome::Cancelled {
            continue;
        }
        let days = (a.end_date - a.start_date).num_days() as f64 + 1.0;
        let area = demine_core::geodesy::area_m2(&a.geometry);
        if area > 0.0 && days > 0.0 {
            by_type
                .entry(a.activity_type.as_str())
                .or_default()
                .push((area / days).ln());
        }
    }
    let (mut ss, mut n) = (0.0, 0usize);
    for v in by_type.values().filter(|v| v.len() >= 5) {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        ss += v.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
        n += v.len() - 1;
    }
    // Capped: past activities mix methods and polygon shapes, which widen the spread beyond what
    // one team's day-to-day productivity varies.
    (n >= 10).then(|| (ss / n as f64).sqrt().clamp(0.05, 0.8))
}

pub fn is_continuous(p: &Problem) -> bool {
    matches!(p.calendar, CalendarSpec::None)
}

/// A time in JSON: a number of days for continuous time, else a date.
pub fn when(p: &Problem, day: f64, end: bool) -> Value {
    if is_continuous(p) {
        json!(day)
    } else if end {
        json!(demine_plan::calendar::end_date_of(p.start_date, day).to_string())
    } else {
        json!(demine_plan::day_to_date(p.start_date, day).to_string())
    }
}

pub fn completion_date(p: &Problem, day: f64) -> String {
    demine_plan::calendar::end_date_of(p.start_date, day).to_string()
}

/// Search settings of a plan.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PlanSettings {
    pub search_budget_s: f64,
    pub seed: u64,
    pub lns_steps: usize,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            search_budget_s: 10.0,
            seed: 1,
            lns_steps: 30,
        }
    }
}

/// A plan and what it was made from.
pub struct Planned {
    pub loaded: Loaded,
    pub plan: Plan,
    pub time_s: f64,
}

/// The longest search a plan may be given, s: a day. A planner waits minutes; a budget beyond
/// this is a typo that would hold the command (or a server job) for ever.
pub const MAX_SEARCH_BUDGET_S: f64 = 86_400.0;

/// The most large-neighbourhood-search steps per task: beyond it the search only burns time.
pub const MAX_LNS_STEPS: usize = 10_000;

/// Refuses a search budget that is not a number of seconds from 0 to [`MAX_SEARCH_BUDGET_S`].
pub fn check_search_budget(search_budget_s: f64) -> AppResult<()> {
    if (0.0..=MAX_SEARCH_BUDGET_S).contains(&search_budget_s) {
        Ok(())
    } else {
        Err(AppError::refused(format!(
            "--search-budget {search_budget_s}: give a number of seconds from 0 to 86,400 (a day)"
        )))
    }
}

/// `plan`: the team schedule minimising Σ value × release time.
pub async fn plan(reg: Option<&Registry>, actor: &Actor, input: &PlanInput, s: &PlanSettings) -> AppResult<Planned> {
    check_search_budget(s.search_budget_s)?;
    if s.lns_steps > MAX_LNS_STEPS {
        return Err(AppError::refused(format!(
            "--lns-steps {}: give at most 10,000 steps per task (30 is the default)",
            s.lns_steps
        )));
    }
    let loaded = load(reg, actor, input).await?;
    let t0 = std::time::Instant::now();
    let plan = demine_plan::plan(
        &loaded.problem,
        &PlanOptions {
            seed: s.seed,
            search_budget_s: s.search_budget_s,
            lns_steps_per_job: s.lns_steps,
            ..Default::default()
        },
    );
    Ok(Planned {
        loaded,
        plan,
        time_s: t0.elapsed().as_secs_f64(),
    })
}

/// The plan as the JSON object `demine plan --json` prints.
pub fn plan_json(p: &Planned) -> Value {
    let (l, plan, time_s) = (&p.loaded, &p.plan, p.time_s);
    let pr = &l.problem;
    json!({
        "synthetic": l.synthetic,
        "source": l.source,
        "tasks": pr.tasks.len(),
        "teams": pr.teams.len(),
        "start_date": pr.start_date.to_string(),
        "calendar": if is_continuous(pr) { "none" } else { "working" },
        "objective": plan.objective,
        "objective_unit": "value × days",
        "lower_bound": plan.lower_bound,
        "gap": plan.gap(),
        "optimal": plan.optimal,
        "method": plan.method,
        "completion_date": completion_date(pr, plan.completion_day),
        "completion_days": plan.completion_day,
        "value_source": l.value_source,
        "under_way": l.under_way.iter().map(|(task, team, since)| json!({
            "task": task, "team": team, "last_report": since.to_string(),
        })).collect::<Vec<_>>(),
        "strategy": l.strategy,
        "nts_cancel_share": pr.rates.nts_cancel_share,
        "ts_reduce_share": pr.rates.ts_reduce_share,
        "stopped_by_search_budget": plan.stopped_by_search_budget,
        "overrunning_teams": plan.overrunning_teams,
        "time_s": time_s,
        "assignments": plan.assignments.iter().map(|a| json!({
            "task": a.task,
            "team": a.team,
            "stage": a.stage.as_str(),
            "start": when(pr, a.start_day, false),
            "end": when(pr, a.end_day, true),
            "area_m2": a.area_m2,
        })).collect::<Vec<_>>(),
        "released_by_month": plan.released_by_month(),
        "notes": l.notes,
    })
}

/// The assignments as CSV.
pub fn plan_csv(p: &Planned) -> AppResult<String> {
    let err = |e: csv::Error| AppError::Internal(e.into());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["task", "team", "stage", "start", "end", "area_m2"])
        .map_err(err)?;
    let plain = |v: Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    for a in &p.plan.assignments {
        w.write_record([
            a.task.clone(),
            a.team.clone(),
            a.stage.as_str().to_string(),
            plain(when(&p.loaded.problem, a.start_day, false)),
            plain(when(&p.loaded.problem, a.end_day, true)),
            format!("{:.2}", a.area_m2),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
}

/// The Gantt chart and released-area band of a plan (and its forecast).
pub fn gantt_input(l: &Loaded, plan: &Plan, forecast: Option<&Forecast>) -> demine_report::plan::PlanSection {
    gantt_section(&l.problem, plan, forecast, l.synthetic)
}

/// The Gantt chart and released-area band of a plan of `p` (and its forecast).
pub fn gantt_section(
    p: &Problem,
    plan: &Plan,
    forecast: Option<&Forecast>,
    synthetic: bool,
) -> demine_report::plan::PlanSection {
    demine_report::plan::PlanSection {
        start_date: p.start_date,
        continuous_days: is_continuous(p),
        team_ids: p.teams.iter().map(|t| t.id.clone()).collect(),
        bars: plan
            .assignments
            .iter()
            .map(|a| demine_report::plan::Bar {
                team: a.team.clone(),
                task: a.task.clone(),
                stage: a.stage.as_str().to_string(),
                start_day: a.start_day,
                end_day: a.end_day,
            })
            .collect(),
        released: plan
            .released_by_month()
            .iter()
            .map(|m| (m.month.clone(), m.cumulative_m2))
            .collect(),
        band: forecast
            .map(|f| {
                f.released_curve
                    .iter()
                    .map(|b| (b.month.clone(), b.p10, b.p50, b.p90))
                    .collect()
            })
            .unwrap_or_default(),
        completion: completion_date(p, plan.completion_day),
        completion_p: forecast.map(|f| {
            [
                completion_date(p, f.p10_day),
                completion_date(p, f.p50_day),
                completion_date(p, f.p90_day),
            ]
        }),
        synthetic,
    }
}

/// The Gantt chart as SVG (`svg`) or a page around it, in `lang` (`en`, `uk`).
pub fn gantt(p: &Planned, svg: bool, lang: &str) -> AppResult<String> {
    let lang = crate::util::report_lang(lang)?;
    let section = gantt_input(&p.loaded, &p.plan, None);
    Ok(if svg {
        demine_report::plan::gantt_svg(lang, &section)
    } else {
        demine_report::plan::plan_html(lang, &section)
    })
}

/// `manual:20,mechanical:5` → counts per kind.
pub fn parse_add_teams(spec: &str) -> AppResult<[usize; 5]> {
    let mut counts = [0usize; 5];
    for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, n) = part.split_once(':').ok_or_else(|| {
            AppError::refused(format!(
                "--add-teams '{part}': write KIND:COUNT, e.g. manual:20,mechanical:5"
            ))
        })?;
        let kind: TeamKind = kind.trim().parse().map_err(|_| {
            AppError::refused(format!(
                "--add-teams: unknown team kind '{kind}'; use manual, mechanical, mdd, nts or ts"
            ))
        })?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| AppError::refused(format!("--add-teams: '{n}' is not a whole number of teams")))?;
        counts[demine_plan::model::kind_index(kind)] += n;
    }
    Ok(counts)
}

/// The Monte Carlo options of a loaded problem; `sigma`, given by the user, is the whole σ of a
/// piece of work's log time factor (the registry's day-to-day σ is then not added).
pub fn forecast_options(l: &Loaded, runs: usize, seed: u64, sigma: Option<f64>) -> ForecastOptions {
    ForecastOptions {
        runs,
        seed,
        productivity_sigma: sigma.or(l.productivity_sigma).unwrap_or(0.3),
        daily_sigma: if sigma.is_some() {
            0.0
        } else {
            l.daily_sigma.unwrap_or(0.0)
        },
        ..Default::default()
    }
}

/// The refusal of registry tasks whose stages no team can do (`subject`: the strategy that
/// sized them): each missing kind once, with how many hazards need it, where a national registry
/// would otherwise list every hazard.
pub(crate) fn stages_without_teams(subject: &str, e: &demine_plan::InputError) -> AppError {
    let mut by_problem: Vec<(&str, Vec<&str>)> = Vec::new();
    for p in &e.0 {
        let id = p.id.as_deref().unwrap_or("?");
        match by_problem.iter_mut().find(|(problem, _)| *problem == p.problem) {
            Some((_, ids)) => ids.push(id),
            None => by_problem.push((&p.problem, vec![id])),
        }
    }
    let lines: Vec<String> = by_problem
        .iter()
        .map(|(problem, ids)| {
            let shown: Vec<&str> = ids.iter().take(3).copied().collect();
            let more = if ids.len() > 3 { ", …" } else { "" };
            format!(
                "{subject}: {} hazard(s) ({}{more}): {problem}",
                ids.len(),
                shown.join(", ")
            )
        })
        .collect();
    AppError::refused(lines.join("\n")).with_hint(
        "survey and clearance stages need NTS, TS and clearance teams: add the missing kinds (`demine import teams FILE`, or --teams FILE), or plan with --strategy clear-all",
    )
}

/// `forecast` settings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ForecastSettings {
    pub runs: usize,
    pub seed: u64,
    pub add_teams: Option<String>,
    pub search_budget_s: f64,
    pub productivity_sigma: Option<f64>,
}

impl Default for ForecastSettings {
    fn default() -> Self {
        ForecastSettings {
            runs: 1000,
            seed: 1,
            add_teams: None,
            search_budget_s: 5.0,
            productivity_sigma: None,
        }
    }
}

/// A Monte Carlo forecast of the plan.
pub struct Forecasted {
    pub loaded: Loaded,
    pub plan: Plan,
    pub forecast: Forecast,
    pub options: ForecastOptions,
    pub sigma_source: &'static str,
    pub added: Option<[usize; 5]>,
    pub plan_s: f64,
    pub monte_carlo_s: f64,
    pub seed: u64,
}

/// An area in hectares to one decimal, thousands grouped, as the English notes write it (the
/// Ukrainian text regroups it).
fn hectares(m2: f64) -> String {
    demine_core::spreadsheet::group_thousands_to(m2 / 1e4, 1)
}

/// Overlapping hazards: a plan takes each hazard's remaining land as its task, so land two
/// hazards share is planned twice, where `demine release` counts it once. Named when it is more
/// than 0.1 % of the remaining land.
fn overlap_note(release: &demine_core::release::RegistryRelease) -> Option<String> {
    let planned_m2: f64 = release.per_hazard.iter().map(|h| h.figures.remaining_m2).sum();
    let once_m2 = release.totals.remaining_m2;
    (planned_m2 > once_m2 * 1.001 && !release.overlap_groups.is_empty()).then(|| {
        format!(
            "{} group(s) of overlapping hazards: the plan's tasks hold {} ha still to release where `demine release` counts {} ha (the shared land once); the {} ha they share is planned in each (`demine check` lists them)",
            release.overlap_groups.len(),
            hectares(planned_m2),
            hectares(once_m2),
            hectares(planned_m2 - once_m2)
        )
    })
}

/// What a plan that keeps teams past their end dates assumes (the plan avoids it where it can;
/// where it cannot, the dates hold only if the contracts are extended).
pub fn overrun_note(teams: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut names = teams.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if teams.len() > SHOWN {
        names.push_str(", …");
    }
    format!(
        "{} team(s) work past their end date ({names}); the dates assume they stay on: extend their contracts, or add teams",
        teams.len()
    )
}

pub async fn forecast(
    reg: Option<&Registry>,
    actor: &Actor,
    input: &PlanInput,
    s: &ForecastSettings,
    progress: &dyn Progress,
) -> AppResult<Forecasted> {
    if s.runs == 0 {
        return Err(AppError::refused("--runs must be at least 1"));
    }
    check_search_budget(s.search_budget_s)?;
    if s.runs > 1_000_000 {
        return Err(AppError::refused(format!(
            "--runs {}: at most 1,000,000 Monte Carlo runs",
            s.runs
        )));
    }
    if let Some(sigma) = s.productivity_sigma {
        if !(sigma.is_finite() && (0.0..=3.0).contains(&sigma)) {
            return Err(AppError::refused(format!(
                "--productivity-sigma {sigma}: give σ of the log time factor between 0 and 3 (0.3 is typical)"
            )));
        }
    }
    let mut l = load(reg, actor, input).await?;
    let added = s.add_teams.as_deref().map(parse_add_teams).transpose()?;
    if let Some(counts) = &added {
        l.problem = demine_plan::forecast::add_teams(&l.problem, counts);
    }
    progress.stage("planning");
    let t0 = std::time::Instant::now();
    let plan = demine_plan::plan(
        &l.problem,
        &PlanOptions {
            seed: s.seed,
            search_budget_s: s.search_budget_s,
            ..Default::default()
        },
    );
    let plan_s = t0.elapsed().as_secs_f64();
    if !plan.overrunning_teams.is_empty() {
        l.notes.push(overrun_note(&plan.overrunning_teams));
    }
    let options = forecast_options(&l, s.runs, s.seed, s.productivity_sigma);
    let sigma_source = if s.productivity_sigma.is_some() {
        "--productivity-sigma"
    } else {
        l.productivity_sigma_source
    };
    progress.stage(&format!("{} Monte Carlo runs", s.runs));
    let t1 = std::time::Instant::now();
    let f = demine_plan::forecast(&l.problem, &plan, &options);
    progress.finish();
    Ok(Forecasted {
        loaded: l,
        plan,
        forecast: f,
        options,
        sigma_source,
        added,
        plan_s,
        monte_carlo_s: t1.elapsed().as_secs_f64(),
        seed: s.seed,
    })
}

pub fn forecast_json(f: &Forecasted) -> Value {
    let p = &f.loaded.problem;
    let added = f.added.map(|c| {
        demine_plan::model::ALL_KINDS
            .iter()
            .filter(|k| c[demine_plan::model::kind_index(**k)] > 0)
            .map(|k| (k.as_str().to_string(), json!(c[demine_plan::model::kind_index(*k)])))
            .collect::<serde_json::Map<_, _>>()
    });
    json!({
        "synthetic": f.loaded.synthetic,
        "source": f.loaded.source,
        "runs": f.forecast.runs,
        "seed": f.seed,
        "start_date": p.start_date.to_string(),
        "strategy": f.loaded.strategy,
        "p10": completion_date(p, f.forecast.p10_day),
        "p50": completion_date(p, f.forecast.p50_day),
        "p90": completion_date(p, f.forecast.p90_day),
        "p10_days": f.forecast.p10_day,
        "p50_days": f.forecast.p50_day,
        "p90_days": f.forecast.p90_day,
        "plan_completion_date": completion_date(p, f.plan.completion_day),
        "added_teams": added,
        "teams": p.teams.len(),
        "productivity_sigma": f.options.productivity_sigma,
        "productivity_daily_sigma": f.options.daily_sigma,
        "productivity_sigma_source": f.sigma_source,
        "plan_time_s": f.plan_s,
        "monte_carlo_time_s": f.monte_carlo_s,
        "released_curve": f.forecast.released_curve,
        "notes": f.loaded.notes,
    })
}

/// `capacity` settings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct CapacitySettings {
    pub deadline: String,
    pub confidence: f64,
    pub runs: usize,
    pub seed: u64,
    pub search_budget_s: f64,
    pub max_rounds: usize,
}

impl Default for CapacitySettings {
    fn default() -> Self {
        CapacitySettings {
            deadline: String::new(),
            confidence: 0.9,
            runs: 200,
            seed: 1,
            search_budget_s: 1.0,
            max_rounds: 40,
        }
    }
}

/// The cheapest extra teams that finish by the deadline at the confidence asked.
pub struct CapacityAnswer {
    pub loaded: Loaded,
    pub deadline: NaiveDate,
    pub settings: CapacitySettings,
    pub answer: demine_plan::CapacityAnswer,
}

pub async fn capacity(
    reg: Option<&Registry>,
    actor: &Actor,
    input: &PlanInput,
    s: &CapacitySettings,
) -> AppResult<CapacityAnswer> {
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(AppError::refused(
            "--confidence must be between 0 and 1 (exclusive), e.g. 0.9",
        ));
    }
    if s.runs == 0 || s.runs > 1_000_000 {
        return Err(AppError::refused(format!(
            "--runs {}: give from 1 to 1,000,000 Monte Carlo runs",
            s.runs
        )));
    }
    check_search_budget(s.search_budget_s)?;
    let deadline = parse_date("--deadline", &s.deadline)?;
    let mut l = load(reg, actor, input).await?;
    l.notes.extend(l.default_costs_note());
    let p = &l.problem;
    if deadline <= p.start_date {
        return Err(AppError::refused(format!(
            "--deadline {deadline} is not after the plan start {}: give a future date (or an earlier --start)",
            p.start_date
        )));
    }
    let answer = demine_plan::capacity(
        p,
        &demine_plan::CapacityOptions {
            deadline_day: (deadline - p.start_date).num_days() as f64 + 1.0,
            confidence: s.confidence,
            forecast: forecast_options(&l, s.runs, s.seed, None),
            plan_budget_s: s.search_budget_s,
            max_rounds: s.max_rounds,
        },
    );
    Ok(CapacityAnswer {
        loaded: l,
        deadline,
        settings: s.clone(),
        answer,
    })
}

pub fn capacity_json(c: &CapacityAnswer) -> Value {
    let p = &c.loaded.problem;
    let extra: serde_json::Map<String, Value> = demine_plan::model::ALL_KINDS
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                json!(c.answer.extra[demine_plan::model::kind_index(*k)]),
            )
        })
        .collect();
    json!({
        "synthetic": c.loaded.synthetic,
        "deadline": c.deadline.to_string(),
        "confidence": c.settings.confidence,
        "achievable": c.answer.achievable,
        "extra_teams": extra,
        "extra_cost_per_day": c.answer.cost_per_day,
        "probability": c.answer.probability,
        "completion_date_at_confidence": completion_date(p, c.answer.completion_day_at_confidence),
        "earliest_date_at_confidence": c.answer.earliest_day_at_confidence.map(|d| completion_date(p, d)),
        // Not met on the working calendar: the same mix working every day of the year.
        "every_day": c.answer.every_day.map(|(probability, day)| json!({
            "probability": probability,
            "completion_date_at_confidence": completion_date(p, day),
        })),
        "strategy": c.loaded.strategy,
        "trials": c.answer.trials,
        "runs_per_trial": c.settings.runs,
        "notes": c.loaded.notes,
    })
}

/// The demo's plan and forecast for report.html: the registry's hazards and teams, from the
/// day after the last recorded activity (so the same seed gives the same report), 3 s of
/// search, 300 Monte Carlo runs. `None` (with a note) when it cannot be planned.
pub async fn report_plan(
    reg: &Registry,
    actor: &Actor,
    seed: u64,
    progress: &dyn Progress,
) -> Option<demine_report::plan::PlanSection> {
    let last = reg
        .store
        .activities(&Query::all())
        .await
        .ok()?
        .iter()
        .map(|a| a.end_date)
        .max();
    let input = PlanInput {
        start: last.map(|d| (d + chrono::Duration::days(1)).to_string()),
        ..PlanInput::default()
    };
    let l = match load(Some(reg), actor, &input).await {
        Ok(l) => l,
        Err(e) => {
            progress.note(&format!("no plan in the report: {e}"));
            return None;
        }
    };
    let plan = demine_plan::plan(
        &l.problem,
        &PlanOptions {
            seed,
            search_budget_s: 3.0,
            ..Default::default()
        },
    );
    let f = demine_plan::forecast(&l.problem, &plan, &forecast_options(&l, 300, seed, None));
    Some(gantt_input(&l, &plan, Some(&f)))
}

/// `forecast --history`: a forecast learned from a programme's monthly history.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct HistoryRequest {
    /// A CSV of monthly released area (`month`, `organisation`, `area_m2`), or `registry` for
    /// the registry's own activities (each released piece in the month its activity ended).
    pub history: String,
    /// `month=COL,organisation=COL,area_m2=COL`.
    pub columns: Option<String>,
    /// Add up a CSV's rows of one organisation and month (a row per activity or per site)
    /// instead of refusing the second.
    pub sum_rows: bool,
    /// A CSV's areas are totals released to date: each month is read as the difference.
    pub cumulative: bool,
    /// A workbook's sheet to read (default the first that holds a table).
    pub sheet: Option<String>,
    /// A CSV's text encoding (a WHATWG label); default UTF-8, else Windows-1251.
    pub encoding: Option<String>,
    /// Area still to release, m²; default the registry's.
    pub remaining_m2: Option<f64>,
    /// YYYY-MM: a hindcast fitted on the months up to it, scored on the months after.
    pub fit_until: Option<String>,
    /// The day (YYYY-MM-DD) or month the remaining area is left at, and the forecast counts
    /// release from; default today. A history that ends before it is carried on to it.
    pub start: Option<String>,
    pub runs: usize,
    pub seed: u64,
}

impl Default for HistoryRequest {
    fn default() -> Self {
        HistoryRequest {
            history: String::new(),
            columns: None,
            sum_rows: false,
            cumulative: false,
            sheet: None,
            encoding: None,
            remaining_m2: None,
            fit_until: None,
            start: None,
            runs: 2000,
            seed: 1,
        }
    }
}

/// How a history file's text was had: the workbook sheet read, or the encoding of a CSV that
/// was not UTF-8.
#[derive(Debug, Clone, Default)]
pub struct HistoryReadAs {
    /// The sheet read and every sheet of the workbook.
    pub sheet: Option<(String, Vec<String>)>,
    /// The encoding read, when not UTF-8; `encoding_guessed` when no `--encoding` named it.
    pub encoding: Option<&'static str>,
    pub encoding_guessed: bool,
}

/// A history file's text and the name its problems go by: a workbook's sheet as CSV (`FILE
/// (sheet 'S')`, its lines the sheet's rows), or a CSV in its encoding.
fn history_text(
    path: &std::path::Path,
    r: &HistoryRequest,
    read_as: &mut HistoryReadAs,
) -> AppResult<(String, String)> {
    let shown = path.display().to_string();
    if demine_formats::workbook::is_workbook(path) {
        if r.encoding.is_some() {
            return Err(AppError::refused(format!(
                "--encoding: {shown} is a workbook, whose text is Unicode already; leave --encoding out"
            )));
        }
        let sheet = demine_formats::workbook::read_sheet(path, r.sheet.as_deref())
            .map_err(|e| AppError::refused(e.to_string()))?;
        let label = format!("{shown} (sheet '{}')", sheet.sheet);
        read_as.sheet = Some((sheet.sheet, sheet.sheets));
        return Ok((label, sheet.csv));
    }
    if let Some(sheet) = &r.sheet {
        return Err(AppError::refused(format!(
            "--sheet {sheet}: {shown} is not a workbook (.{}); --sheet chooses a sheet of one",
            demine_formats::workbook::WORKBOOK_EXTENSIONS.join(", .")
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| AppError::refused(format!("{shown}: cannot read: {e}")))?;
    let (text, encoding) = demine_formats::text::decode(&bytes, r.encoding.as_deref())
        .map_err(|e| AppError::refused(format!("--encoding: {e}")))?;
    read_as.encoding = encoding;
    read_as.encoding_guessed = r.encoding.is_none();
    Ok((shown, text))
}

/// What a history gives.
pub enum HistoryAnswer {
    Forecast {
        source: String,
        remaining_source: &'static str,
        months: usize,
        /// Months of a CSV history without a row, read as nothing released, and the months
        /// each organisation has no row in between its first and last.
        gaps: HistoryGaps,
        forecast: demine_plan::history::HistoryForecast,
    },
    Hindcast {
        source: String,
        gaps: HistoryGaps,
        hindcast: demine_plan::history::Hindcast,
    },
}

/// Months a CSV history leaves out, each read as nothing released: a programme's file may miss
/// a month nobody reported, or an operator's report, so they are named (a registry's history
/// has none: a month without activities released nothing).
#[derive(Debug, Clone, Default)]
pub struct HistoryGaps {
    /// Months without any row.
    pub months: Vec<demine_plan::history::YearMonth>,
    /// Per organisation, months between its first and last rows without its row.
    pub by_organisation: Vec<(String, Vec<demine_plan::history::YearMonth>)>,
    /// The organisations that reported every month before the last but not the last (a report
    /// perhaps still to come), and their share of those months' release.
    pub missing_last_month: Vec<String>,
    pub missing_last_month_share: f64,
    /// The history's last month.
    pub last_month: Option<demine_plan::history::YearMonth>,
    /// How the file's layout was read (rows added up, months across the header, a title
    /// above it, …).
    pub reading: demine_plan::history::HistoryReading,
    /// The sheet of a workbook read, or the encoding of a CSV that was not UTF-8.
    pub read_as: HistoryReadAs,
    /// Months and last-to-first ratio of monthly totals that never fall, as cumulative totals
    /// do (`history::looks_cumulative`), when the file was not read as cumulative.
    pub looks_cumulative: Option<(usize, f64)>,
}

impl HistoryAnswer {
    /// Months of a CSV history left out, read as nothing released.
    pub fn gaps(&self) -> &HistoryGaps {
        match self {
            HistoryAnswer::Forecast { gaps, .. } | HistoryAnswer::Hindcast { gaps, .. } => gaps,
        }
    }
}

/// `forecast --history`: when the remaining area will be released at the pace the history
/// shows (P10/P50/P90 months), or with `fit_until` a hindcast. `reg` is needed for
/// `--history registry` and for the registry's remaining area.
pub async fn forecast_history(reg: Option<&Registry>, actor: &Actor, r: &HistoryRequest) -> AppResult<HistoryAnswer> {
    use demine_plan::history::{self, ColumnMap, HistoryOptions, YearMonth};
    let refuse = |e: history::HistoryError| AppError::refused(e.to_string());
    if r.runs == 0 || r.runs > 1_000_000 {
        return Err(AppError::refused("--runs must be between 1 and 1,000,000"));
    }
    if let Some(x) = r.remaining_m2 {
        if !(x.is_finite() && x >= 0.0) {
            return Err(AppError::refused(format!(
                "--remaining-m2 {x}: give the area still to release, m² ≥ 0"
            )));
        }
    }
    let fit_until = match &r.fit_until {
        Some(s) => Some(YearMonth::parse(s).ok_or_else(|| {
            AppError::refused(format!("--fit-until '{s}': write the month as YYYY-MM, e.g. 2023-06"))
        })?),
        None => None,
    };
    let this_month = {
        let today = crate::util::today();
        YearMonth::new(today.year(), today.month()).expect("a calendar month")
    };
    let start = match &r.start {
        Some(s) => YearMonth::parse(s).ok_or_else(|| {
            AppError::refused(format!(
                "--start '{s}': write the day as YYYY-MM-DD (or the month as YYYY-MM)"
            ))
        })?,
        None => this_month,
    };
    if fit_until.is_some() && r.remaining_m2.is_some() {
        return Err(AppError::refused(
            "--remaining-m2 is not used by a hindcast (--fit-until scores the months the history already has); give one of them",
        ));
    }
    let from_registry = r.history.eq_ignore_ascii_case("registry");
    if from_registry && r.columns.is_some() {
        return Err(AppError::refused(
            "--columns maps a CSV's columns; --history registry has none",
        ));
    }
    if from_registry && (r.sum_rows || r.cumulative) {
        return Err(AppError::refused(
            "--sum-rows and --cumulative say how a CSV's rows are read; --history registry is already each month's release, one figure per organisation",
        ));
    }
    if r.sum_rows && r.cumulative {
        return Err(AppError::refused(
            "--sum-rows adds up activities, --cumulative reads totals released to date: a cumulative total is one figure per organisation and month; give one of them",
        ));
    }
    let needs_registry = from_registry || (fit_until.is_none() && r.remaining_m2.is_none());
    let registry_data = match (needs_registry, reg) {
        (false, _) => None,
        (true, None) => {
            return Err(AppError::refused(
                "no registry: give --remaining-m2 (or --fit-until for a hindcast), or --db a registry",
            ))
        }
        (true, Some(reg)) => {
            actor.require(Act::Read)?;
            let q = Query::all().in_organisations(actor.scope());
            let hazards = reg.store.hazards(&q).await?;
            let activities = reg.store.activities(&q).await?;
            let release = account_records(&hazards, &activities, None, from_registry);
            Some((reg.name(), activities, release))
        }
    };
    let mut read_as = HistoryReadAs::default();
    let (source, history::HistoryFile { rows, reading }) = if from_registry {
        let (name, activities, release) = registry_data.as_ref().expect("registry read above");
        (
            format!("registry {name} (activities)"),
            history::HistoryFile {
                rows: history::history_from_activities(activities, release),
                reading: history::HistoryReading::default(),
            },
        )
    } else {
        let mut map = match &r.columns {
            Some(c) => ColumnMap::parse(c).map_err(refuse)?,
            None => ColumnMap::default(),
        };
        map.sum_rows = r.sum_rows;
        map.cumulative = r.cumulative;
        let (label, text) = history_text(&PathBuf::from(&r.history), r, &mut read_as)?;
        let file = history::parse_history_file(&text, &label, &map).map_err(refuse)?;
        (label, file)
    };
    if let Some(future) = rows.iter().map(|row| row.month).filter(|&m| m > this_month).min() {
        return Err(AppError::refused(format!(
            "{source}: month {future} is after the current month {this_month}; a history records release already done: check the year"
        )));
    }
    // The model's refusals name the history they are about.
    let refuse = |e: history::HistoryError| match e {
        history::HistoryError::TooShort(_) | history::HistoryError::NoRecentRelease => {
            AppError::refused(format!("{source}: {e}"))
        }
        e => refuse(e),
    };
    let opts = HistoryOptions {
        runs: r.runs,
        seed: r.seed,
    };
    // A month without activities in the registry released nothing; a month missing from a
    // programme's file may be a month nobody reported, so it is named.
    let gaps = if from_registry {
        HistoryGaps::default()
    } else {
        let (missing_last_month, missing_last_month_share) = history::organisations_missing_the_last_month(&rows);
        HistoryGaps {
            months: history::months_without_rows(&rows),
            by_organisation: history::organisation_months_without_rows(&rows),
            missing_last_month,
            missing_last_month_share,
            last_month: rows.iter().map(|row| row.month).max(),
            reading,
            read_as,
            looks_cumulative: (!r.cumulative).then(|| history::looks_cumulative(&rows)).flatten(),
        }
    };
    if let Some(m) = fit_until {
        let hindcast = history::hindcast(&rows, m, &opts).map_err(refuse)?;
        return Ok(HistoryAnswer::Hindcast { source, gaps, hindcast });
    }
    let (remaining, remaining_source) = match (r.remaining_m2, &registry_data) {
        (Some(x), _) => (x, "--remaining-m2"),
        (None, Some((_, _, release))) => (
            release.per_hazard.iter().map(|h| h.remaining_m2).sum::<f64>(),
            "registry",
        ),
        (None, None) => unreachable!("a registry is read when --remaining-m2 is missing"),
    };
    let months = history::monthly_totals(&rows).len();
    let forecast = history::forecast_history(&rows, remaining, Some(start), &opts).map_err(refuse)?;
    Ok(HistoryAnswer::Forecast {
        source,
        remaining_source,
        months,
        gaps,
        forecast,
    })
}

/// The history forecast or hindcast as one JSON object (its text twin:
/// [`crate::text::history_text`]).
pub fn history_json(a: &HistoryAnswer) -> Value {
    let (mut out, model) = match a {
        HistoryAnswer::Forecast {
            source,
            remaining_source,
            months,
            forecast: f,
            ..
        } => (
            json!({
                "source": source,
                "history_months": months,
                "remaining_m2": f.remaining_m2,
                "remaining_source": remaining_source,
                "history_last_month": f.model.last_month.to_string(),
                "start_month": f.start_month.to_string(),
                "months_between_history_and_start": f.months_between_history_and_start(),
                "p10": f.p10_month.map(|m| m.to_string()),
                "p50": f.p50_month.map(|m| m.to_string()),
                "p90": f.p90_month.map(|m| m.to_string()),
                "beyond_horizon": f.beyond_horizon_share > 0.0,
                "beyond_horizon_share": f.beyond_horizon_share,
                "horizon_months": demine_plan::history::MAX_MONTHS_AHEAD,
            }),
            &f.model,
        ),
        HistoryAnswer::Hindcast {
            source, hindcast: h, ..
        } => (
            json!({
                "source": source,
                "fit_until": h.fit_until,
                "months": h.months,
                "coverage_p10_p90": h.coverage_p10_p90,
                "median_abs_error_m2": h.median_abs_error_m2,
                "baseline_median_abs_error_m2": h.baseline_median_abs_error_m2,
            }),
            &h.model,
        ),
    };
    let fields = json!({
        "level_m2_per_month": model.level_m2,
        "trend_pct_per_month": model.trend_pct_per_month(),
        "trend_damping": model.damping,
        "band_factor": model.band_factor,
        "band_skew_up": model.skew_up,
        "band_skew_down": model.skew_down,
        "line_m2_per_month": model.line_m2_per_month,
        "line_weight": model.line_weight,
        "exceptional_months": model.exceptional_months.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "months_without_rows": a.gaps().months.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "organisation_months_without_rows": a.gaps().by_organisation.iter().map(|(o, months)| json!({
            "organisation": o,
            "months": months.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "rows_added_up": a.gaps().reading.rows_added_up,
        "rows_labelled_from_above": a.gaps().reading.rows_labelled_from_above,
        "month_columns": a.gaps().reading.month_columns,
        "lines_above_header": a.gaps().reading.lines_above_header,
        "row_labels_column": a.gaps().reading.row_labels_column,
        "column_labels_caption": a.gaps().reading.column_labels_caption.as_ref().map(|(caption, _)| caption),
        "sheet": a.gaps().read_as.sheet.as_ref().map(|(sheet, _)| sheet),
        "encoding": a.gaps().read_as.encoding,
        "area_columns_by_unit": a.gaps().reading.area_columns_by_unit.as_ref().map(|(columns, unit)| json!({
            "columns": columns,
            "unit": unit.symbol(),
        })),
        "looks_cumulative": a.gaps().looks_cumulative.map(|(months, ratio)| json!({
            "months": months,
            "last_over_first": ratio,
        })),
        "organisations_missing_last_month": (!a.gaps().missing_last_month.is_empty()).then(|| json!({
            "month": a.gaps().last_month.map(|m| m.to_string()),
            "organisations": a.gaps().missing_last_month,
            "share_of_release_in_the_months_before": a.gaps().missing_last_month_share,
        })),
    });
    if let (Some(out), Value::Object(fields)) = (out.as_object_mut(), fields) {
        out.extend(fields);
    }
    out
}
