//! `demine plan`, `demine forecast`, `demine capacity`: planning inputs from the standalone
//! CSVs or from the registry (remaining area of each hazard after land release), handed to
//! demine-plan; results printed as text or one JSON object, plus CSV and Gantt files.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use demine_core::release::account_records;
use demine_core::{ActivityType, HazardClass, Outcome};
use demine_plan::{
    CalendarSpec, Forecast, ForecastOptions, Plan, PlanOptions, Problem, Rates, Stage, Task, Team, TeamKind, Travel,
    WorkingCalendar,
};
use demine_store::{GeoPackageStore, Repository};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_REFUSED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarArg {
    /// Monday–Friday, machines stop December–February (frozen ground), dogs stop July–August
    /// (above 30 °C), a share of days lost to weather (--downtime-rate).
    Working,
    /// Continuous days from the start: duration = area / productivity; `start`/`end` in JSON
    /// are numbers of days.
    None,
}

/// Where tasks and teams come from, and the planning assumptions.
#[derive(Debug, Clone, Args)]
pub struct PlanInput {
    /// Tasks CSV (id, area_m2, value; optional lon, lat, stage, methods, terrain, ready_date,
    /// splittable). Without it, tasks are the registry's hazards with land still to release.
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,
    /// Teams CSV (id, kind, productivity_m2_per_day; optional base_lon, base_lat, start_date,
    /// end_date, cost_per_day). Without it, the registry's teams.
    #[arg(long, value_name = "FILE")]
    pub teams: Option<PathBuf>,
    /// First day of the plan (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Working calendar, or `none` for continuous days.
    #[arg(long, value_enum, default_value_t = CalendarArg::Working)]
    pub calendar: CalendarArg,
    /// Share of working days lost to weather (0–1), working calendar only.
    #[arg(long, value_name = "SHARE", default_value_t = 0.1)]
    pub downtime_rate: f64,
    /// Share of surveyed area NTS cancels (0–1); default learned from the registry, else 0.5.
    #[arg(long, value_name = "SHARE")]
    pub nts_cancel_share: Option<f64>,
    /// Share of what is left after NTS that TS reduces (0–1); default learned, else 0.5.
    #[arg(long, value_name = "SHARE")]
    pub ts_reduce_share: Option<f64>,
    /// Road distance over great-circle distance.
    #[arg(long, value_name = "RATIO", default_value_t = 1.4)]
    pub road_factor: f64,
    /// Average road speed, km/h (8 working hours a day).
    #[arg(long, value_name = "KM_PER_H", default_value_t = 40.0)]
    pub speed_km_per_h: f64,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Search time budget, seconds (the search is anytime and stops early at a local optimum).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub time_limit: f64,
    /// Random seed of the search: the same seed gives the same plan when the search ends
    /// before the time limit.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the assignments as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write a Gantt chart (.svg, or .html around it) to this file.
    #[arg(long, value_name = "FILE")]
    pub gantt: Option<PathBuf>,
    /// Large-neighbourhood steps per piece of work (the deterministic search budget).
    #[arg(long, value_name = "N", default_value_t = 30, hide = true)]
    pub lns_steps: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Monte Carlo runs.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub runs: usize,
    /// Random seed (plan search and Monte Carlo): the same seed gives the same forecast.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What-if: extra teams, e.g. `manual:20,mechanical:5` (each like the median team of its kind).
    #[arg(long, value_name = "KIND:N,...")]
    pub add_teams: Option<String>,
    /// Plan search time budget, seconds.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub time_limit: f64,
    /// σ of the log time factor of each piece of work (lognormal, mean 1): how much productivity
    /// varies from site to site. Default: fitted from daily progress reports, else from past
    /// activities, else 0.3.
    #[arg(long, value_name = "SIGMA")]
    pub productivity_sigma: Option<f64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CapacityArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Date everything must be released by (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub deadline: String,
    /// Probability of meeting the deadline (0–1).
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub confidence: f64,
    /// Monte Carlo runs per trial mix.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub runs: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Plan search budget per trial mix, seconds.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub time_limit: f64,
    /// At most this many rounds of adding teams.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_rounds: usize,
    #[arg(long)]
    pub json: bool,
}

/// Input refused: message already says where and what to do.
struct Refused(String);

/// A loaded problem and what it was made from.
pub struct Loaded {
    pub problem: Problem,
    pub synthetic: bool,
    /// σ of log productivity fitted from the registry, if it could be.
    pub productivity_sigma: Option<f64>,
    /// Where that σ comes from: `daily_progress`, `activities` or `default` (0.3).
    pub productivity_sigma_source: &'static str,
    pub source: String,
    /// Where task values come from: `tasks.csv`, `priority_score`, `remaining_hectares`, or
    /// `priority_score, else remaining_hectares` when some hazards have no score.
    pub value_source: &'static str,
    /// Work under way on the registry: (task, team, date of the latest progress report).
    pub under_way: Vec<(String, String, NaiveDate)>,
}

fn refuse(json: bool, msg: &str) -> ExitCode {
    if json {
        println!("{}", json!({"error": msg}));
    }
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_REFUSED)
}

fn parse_date(flag: &str, s: &str) -> Result<NaiveDate, Refused> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Refused(format!(
            "{flag} '{s}' is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01"
        ))
    })
}

fn share(flag: &str, v: Option<f64>) -> Result<Option<f64>, Refused> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) || !x.is_finite() => {
            Err(Refused(format!("{flag} {x} must be a share between 0 and 1")))
        }
        _ => Ok(v),
    }
}

async fn load(db: &Path, input: &PlanInput) -> Result<Result<Loaded, Refused>> {
    let start = match &input.start {
        Some(s) => match parse_date("--start", s) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        },
        None => chrono::Utc::now().date_naive(),
    };
    let checks = share("--downtime-rate", Some(input.downtime_rate))
        .and(share("--nts-cancel-share", input.nts_cancel_share))
        .and(share("--ts-reduce-share", input.ts_reduce_share));
    if let Err(e) = checks {
        return Ok(Err(e));
    }
    if !(input.road_factor >= 1.0 && input.road_factor.is_finite()) {
        return Ok(Err(Refused(format!("--road-factor {} must be ≥ 1", input.road_factor))));
    }
    if !(input.speed_km_per_h > 0.0 && input.speed_km_per_h.is_finite()) {
        return Ok(Err(Refused(format!(
            "--speed-km-per-h {} must be > 0",
            input.speed_km_per_h
        ))));
    }
    let calendar = match input.calendar {
        CalendarArg::None => CalendarSpec::None,
        CalendarArg::Working => CalendarSpec::Working(WorkingCalendar {
            downtime_rate: input.downtime_rate,
            ..Default::default()
        }),
    };
    let travel = Travel {
        road_factor: input.road_factor,
        speed_km_per_h: input.speed_km_per_h,
        ..Default::default()
    };
    let teams_from_file = match &input.teams {
        Some(f) => match demine_plan::read_teams(f, start) {
            Ok(t) => Some(t),
            Err(e) => return Ok(Err(Refused(e.to_string()))),
        },
        None => None,
    };
    let mut rates = Rates::default();
    let mut value_source = "tasks.csv";
    let mut under_way = Vec::new();
    let mut sigma_source = "default";
    let (tasks, teams, synthetic, sigma, source, tasks_name, teams_name) = match &input.tasks {
        Some(f) => {
            let tasks = match demine_plan::read_tasks(f, start) {
                Ok(t) => t,
                Err(e) => return Ok(Err(Refused(e.to_string()))),
            };
            let Some(teams) = teams_from_file else {
                return Ok(Err(Refused(
                    "--tasks needs --teams teams.csv (id, kind, productivity_m2_per_day)".into(),
                )));
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
        None => {
            if !db.exists() {
                return Ok(Err(Refused(format!(
                    "{} does not exist: pass --tasks tasks.csv --teams teams.csv, or --db a registry",
                    db.display()
                ))));
            }
            let store = GeoPackageStore::open(db).await?;
            let synthetic = store.meta("synthetic").await?.as_deref() == Some("true");
            let hazards = store.hazards().await?;
            let activities = store.activities().await?;
            let stored_teams = store.teams().await?;
            let progress = store.daily_progress().await?;
            let finds = store.finds().await?;
            let accidents = store.accidents().await?;
            let layers = store.context_features(None).await?;
            let risks = store.hazard_risks().await?;
            store.close().await?;
            let teams = match teams_from_file {
                Some(t) => t,
                None if stored_teams.is_empty() => {
                    return Ok(Err(Refused(format!(
                        "the registry {} has no teams; pass --teams teams.csv",
                        db.display()
                    ))))
                }
                None => stored_teams
                    .iter()
                    .filter(|t| t.productivity_m2_per_day > 0.0)
                    .map(|t| Team {
                        id: t.id.clone(),
                        kind: t.kind,
                        productivity_m2_per_day: t.productivity_m2_per_day,
                        productivity_by_terrain: vec![],
                        base: t.base_lon.zip(t.base_lat),
                        start_day: 0.0,
                        end_day: None,
                        cost_per_day: demine_plan::input::default_cost_per_day(t.kind),
                    })
                    .collect(),
            };
            let release = account_records(&hazards, &activities, None, false);
            // The priority score (0–100) of `demine priority` is each hazard's value.
            let config = demine_priority::Config::default();
            let scores: std::collections::HashMap<String, f64> = match crate::priority::compute_priorities(
                &hazards, &release, &finds, &accidents, &layers, &risks, &config,
            ) {
                Ok(r) => r.hazards.into_iter().map(|h| (h.hazard_id, h.score)).collect(),
                Err(e) => {
                    eprintln!("note: no priority scores ({e:#}); task value = remaining hectares");
                    Default::default()
                }
            };
            let going = work_under_way(&progress);
            rates = learned_rates(&hazards, &activities, &release);
            // Daily progress measures productivity directly; activities only approximately.
            let sigma = match (progress_sigma(&progress), productivity_sigma(&activities)) {
                (Some(s), _) => {
                    sigma_source = "daily_progress";
                    Some(s)
                }
                (None, Some(s)) => {
                    sigma_source = "activities";
                    Some(s)
                }
                (None, None) => None,
            };
            let has = |k: TeamKind| teams.iter().any(|t| t.kind == k);
            let mut tasks = Vec::new();
            let (mut scored, mut unscored) = (0usize, 0usize);
            for (h, r) in hazards.iter().zip(&release.per_hazard) {
                if r.remaining_m2 < 1.0 {
                    continue;
                }
                // Work under way: the team of the latest report keeps the task, at the stage
                // it was doing, with what is left of it (finished land is already released).
                let on_site = going
                    .get(h.id.as_str())
                    .filter(|g| teams.iter().any(|t| t.id == g.team));
                let value = match scores.get(&h.id) {
                    Some(&s) if s.is_finite() => {
                        scored += 1;
                        s
                    }
                    // Hectares still denied: the objective is then hectare-days of denied land.
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
                .unwrap_or_else(|| format!("{} (teams)", db.display()));
            (
                tasks,
                teams,
                synthetic,
                sigma,
                format!("registry {}", db.display()),
                format!("{} (hazards)", db.display()),
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
    let problem = Problem {
        start_date: start,
        tasks,
        teams,
        rates,
        travel,
        calendar,
    };
    if problem.tasks.is_empty() {
        return Ok(Err(Refused(format!("{source}: no tasks: nothing left to release"))));
    }
    if let Err(e) = demine_plan::check_feasible(&problem, &tasks_name, &teams_name) {
        return Ok(Err(Refused(e.to_string())));
    }
    Ok(Ok(Loaded {
        problem,
        synthetic,
        productivity_sigma: sigma,
        productivity_sigma_source: sigma_source,
        source,
        value_source,
        under_way,
    }))
}

/// Hazards with work under way, each with its latest progress report: a team's work under way
/// is the hazard it last reported on (a team is on one site at a time).
fn work_under_way(
    progress: &[demine_core::DailyProgress],
) -> std::collections::HashMap<&str, &demine_core::DailyProgress> {
    use std::collections::HashMap;
    // Reports come in date order: the last one seen is the latest.
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
fn learned_rates(
    hazards: &[demine_core::Hazard],
    activities: &[demine_core::Activity],
    release: &demine_core::release::RegistryRelease,
) -> Rates {
    let mut rates = Rates::default();
    let had = |id: &str, t: ActivityType| activities.iter().any(|a| a.hazard_id == id && a.activity_type == t);
    let (mut nts_area, mut cancelled, mut ts_area, mut reduced) = (0.0, 0.0, 0.0, 0.0);
    for (h, r) in hazards.iter().zip(&release.per_hazard) {
        if had(&h.id, ActivityType::Nts) {
            nts_area += r.area_m2;
            cancelled += r.cancelled_m2;
        }
        if had(&h.id, ActivityType::Ts) {
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

fn is_continuous(p: &Problem) -> bool {
    matches!(p.calendar, CalendarSpec::None)
}

/// A time in JSON: a number of days for continuous time, else a date.
fn when(p: &Problem, day: f64, end: bool) -> Value {
    if is_continuous(p) {
        json!(day)
    } else if end {
        json!(demine_plan::calendar::end_date_of(p.start_date, day).to_string())
    } else {
        json!(demine_plan::day_to_date(p.start_date, day).to_string())
    }
}

fn completion_date(p: &Problem, day: f64) -> String {
    demine_plan::calendar::end_date_of(p.start_date, day).to_string()
}

/// The plan as the JSON object `demine plan --json` prints.
pub fn plan_json(l: &Loaded, plan: &Plan, time_s: f64) -> Value {
    let p = &l.problem;
    json!({
        "synthetic": l.synthetic,
        "source": l.source,
        "tasks": p.tasks.len(),
        "teams": p.teams.len(),
        "start_date": p.start_date.to_string(),
        "calendar": if is_continuous(p) { "none" } else { "working" },
        "objective": plan.objective,
        "objective_unit": "value × days",
        "lower_bound": plan.lower_bound,
        "gap": plan.gap(),
        "optimal": plan.optimal,
        "method": plan.method,
        "completion_date": completion_date(p, plan.completion_day),
        "completion_days": plan.completion_day,
        "value_source": l.value_source,
        "under_way": l.under_way.iter().map(|(task, team, since)| json!({
            "task": task, "team": team, "last_report": since.to_string(),
        })).collect::<Vec<_>>(),
        "nts_cancel_share": p.rates.nts_cancel_share,
        "ts_reduce_share": p.rates.ts_reduce_share,
        "stopped_by_time_limit": plan.stopped_by_time_limit,
        "overrunning_teams": plan.overrunning_teams,
        "time_s": time_s,
        "assignments": plan.assignments.iter().map(|a| json!({
            "task": a.task,
            "team": a.team,
            "stage": a.stage.as_str(),
            "start": when(p, a.start_day, false),
            "end": when(p, a.end_day, true),
            "area_m2": a.area_m2,
        })).collect::<Vec<_>>(),
        "released_by_month": plan.released_by_month(),
    })
}

fn fmt_days(d: f64) -> String {
    if d >= 730.0 {
        format!("{d:.0} days ({:.1} years)", d / 365.25)
    } else {
        format!("{d:.1} days")
    }
}

fn write_csv(l: &Loaded, plan: &Plan, path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
    w.write_record(["task", "team", "stage", "start", "end", "area_m2"])?;
    for a in &plan.assignments {
        let s = when(&l.problem, a.start_day, false);
        let e = when(&l.problem, a.end_day, true);
        let plain = |v: Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        w.write_record([
            a.task.clone(),
            a.team.clone(),
            a.stage.as_str().to_string(),
            plain(s),
            plain(e),
            format!("{:.2}", a.area_m2),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn gantt_input<'a>(l: &'a Loaded, plan: &'a Plan, forecast: Option<&'a Forecast>) -> demine_report::plan::PlanSection {
    let p = &l.problem;
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
        synthetic: l.synthetic,
    }
}

fn write_gantt(l: &Loaded, plan: &Plan, path: &Path) -> Result<()> {
    let section = gantt_input(l, plan, None);
    let text = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        demine_report::plan::gantt_svg(&section)
    } else {
        demine_report::plan::plan_html(&section)
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

pub async fn plan(db: &Path, args: PlanArgs) -> Result<ExitCode> {
    if !(args.time_limit >= 0.0 && args.time_limit.is_finite()) {
        return Ok(refuse(args.json, "--time-limit must be a number of seconds ≥ 0"));
    }
    let l = match load(db, &args.input).await? {
        Ok(l) => l,
        Err(Refused(m)) => return Ok(refuse(args.json, &m)),
    };
    let t0 = std::time::Instant::now();
    let plan = demine_plan::plan(
        &l.problem,
        &PlanOptions {
            seed: args.seed,
            time_limit_s: args.time_limit,
            lns_steps_per_job: args.lns_steps,
            ..Default::default()
        },
    );
    let time_s = t0.elapsed().as_secs_f64();
    if let Some(path) = &args.csv {
        write_csv(&l, &plan, path)?;
    }
    if let Some(path) = &args.gantt {
        write_gantt(&l, &plan, path)?;
    }
    if args.json {
        println!("{}", plan_json(&l, &plan, time_s));
        return Ok(ExitCode::SUCCESS);
    }
    let p = &l.problem;
    if l.synthetic {
        println!("SYNTHETIC data");
    }
    println!(
        "plan: {} tasks, {} teams, from {} ({} calendar), {}",
        p.tasks.len(),
        p.teams.len(),
        p.start_date,
        if is_continuous(p) { "continuous" } else { "working" },
        l.source
    );
    println!(
        "  objective Σ value × release time: {:.4e} value·days ({}); value = {}",
        plan.objective, plan.method, l.value_source
    );
    for (task, team, since) in &l.under_way {
        println!("  under way: {task} stays with {team} first (last progress report {since})");
    }
    match (plan.lower_bound, plan.gap()) {
        (Some(lb), Some(gap)) => println!("  lower bound: {lb:.4e} value·days, gap {:.2} %", gap * 100.0),
        _ => println!("  lower bound: not known for this calendar"),
    }
    println!(
        "  completion: {} (after {})",
        completion_date(p, plan.completion_day),
        fmt_days(plan.completion_day)
    );
    let total: f64 = p.tasks.iter().map(|t| t.area_m2).sum();
    println!(
        "  land to release: {:.1} ha in {} pieces of work; planned in {time_s:.2} s{}",
        total / 10_000.0,
        plan.assignments.len(),
        if plan.stopped_by_time_limit {
            " (stopped at the time limit)"
        } else {
            ""
        }
    );
    if !plan.overrunning_teams.is_empty() {
        println!(
            "  warning: {} team(s) work past their end date: {}",
            plan.overrunning_teams.len(),
            plan.overrunning_teams.join(", ")
        );
    }
    for a in plan.assignments.iter().take(20) {
        println!(
            "  {:<14} {:<12} {:<9} {} → {}  {:.0} m²",
            a.task,
            a.team,
            a.stage.as_str(),
            plain(when(p, a.start_day, false)),
            plain(when(p, a.end_day, true)),
            a.area_m2
        );
    }
    if plan.assignments.len() > 20 {
        println!(
            "  … {} more (--json or --csv FILE for all)",
            plan.assignments.len() - 20
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn plain(v: Value) -> String {
    match v {
        Value::Number(n) => format!("day {:.1}", n.as_f64().unwrap_or(0.0)),
        other => other.as_str().map(str::to_string).unwrap_or_default(),
    }
}

/// `manual:20,mechanical:5` → counts per kind.
fn parse_add_teams(spec: &str) -> Result<[usize; 5], Refused> {
    let mut counts = [0usize; 5];
    for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, n) = part.split_once(':').ok_or_else(|| {
            Refused(format!(
                "--add-teams '{part}': write KIND:COUNT, e.g. manual:20,mechanical:5"
            ))
        })?;
        let kind: TeamKind = kind.trim().parse().map_err(|_| {
            Refused(format!(
                "--add-teams: unknown team kind '{kind}'; use manual, mechanical, mdd, nts or ts"
            ))
        })?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| Refused(format!("--add-teams: '{n}' is not a whole number of teams")))?;
        counts[demine_plan::model::kind_index(kind)] += n;
    }
    Ok(counts)
}

fn forecast_options(l: &Loaded, runs: usize, seed: u64, sigma: Option<f64>) -> ForecastOptions {
    ForecastOptions {
        runs,
        seed,
        productivity_sigma: sigma.or(l.productivity_sigma).unwrap_or(0.3),
        ..Default::default()
    }
}

/// The demo's plan and forecast for report.html: the registry's hazards and teams, from the
/// day after the last recorded activity (so the same seed gives the same report), 3 s of
/// search, 300 Monte Carlo runs. `None` (with a note) when it cannot be planned.
pub async fn demo_plan(db: &Path, seed: u64, skip: bool) -> Option<demine_report::plan::PlanSection> {
    if skip {
        return None;
    }
    let last = match GeoPackageStore::open(db).await {
        Ok(store) => {
            let a = store.activities().await.ok()?;
            let _ = store.close().await;
            a.iter().map(|a| a.end_date).max()
        }
        Err(_) => None,
    };
    let input = PlanInput {
        tasks: None,
        teams: None,
        start: last.map(|d| (d + chrono::Duration::days(1)).to_string()),
        calendar: CalendarArg::Working,
        downtime_rate: 0.1,
        nts_cancel_share: None,
        ts_reduce_share: None,
        road_factor: 1.4,
        speed_km_per_h: 40.0,
    };
    let l = match load(db, &input).await {
        Ok(Ok(l)) => l,
        Ok(Err(Refused(m))) => {
            eprintln!("note: no plan in the report: {m}");
            return None;
        }
        Err(e) => {
            eprintln!("note: no plan in the report: {e:#}");
            return None;
        }
    };
    let plan = demine_plan::plan(
        &l.problem,
        &PlanOptions {
            seed,
            time_limit_s: 3.0,
            ..Default::default()
        },
    );
    let f = demine_plan::forecast(&l.problem, &plan, &forecast_options(&l, 300, seed, None));
    Some(gantt_input(&l, &plan, Some(&f)))
}

pub async fn forecast(db: &Path, args: ForecastArgs) -> Result<ExitCode> {
    if args.runs == 0 {
        return Ok(refuse(args.json, "--runs must be at least 1"));
    }
    let mut l = match load(db, &args.input).await? {
        Ok(l) => l,
        Err(Refused(m)) => return Ok(refuse(args.json, &m)),
    };
    let added = match args.add_teams.as_deref().map(parse_add_teams).transpose() {
        Ok(a) => a,
        Err(Refused(m)) => return Ok(refuse(args.json, &m)),
    };
    if let Some(counts) = &added {
        l.problem = demine_plan::forecast::add_teams(&l.problem, counts);
    }
    let t0 = std::time::Instant::now();
    let plan = demine_plan::plan(
        &l.problem,
        &PlanOptions {
            seed: args.seed,
            time_limit_s: args.time_limit,
            ..Default::default()
        },
    );
    let plan_s = t0.elapsed().as_secs_f64();
    let opts = forecast_options(&l, args.runs, args.seed, args.productivity_sigma);
    let sigma_source = if args.productivity_sigma.is_some() {
        "--productivity-sigma"
    } else {
        l.productivity_sigma_source
    };
    let t1 = std::time::Instant::now();
    let f = demine_plan::forecast(&l.problem, &plan, &opts);
    let mc_s = t1.elapsed().as_secs_f64();
    let p = &l.problem;
    let added_json = added.map(|c| {
        demine_plan::model::ALL_KINDS
            .iter()
            .filter(|k| c[demine_plan::model::kind_index(**k)] > 0)
            .map(|k| (k.as_str().to_string(), json!(c[demine_plan::model::kind_index(*k)])))
            .collect::<serde_json::Map<_, _>>()
    });
    if args.json {
        println!(
            "{}",
            json!({
                "synthetic": l.synthetic,
                "source": l.source,
                "runs": f.runs,
                "seed": args.seed,
                "start_date": p.start_date.to_string(),
                "p10": completion_date(p, f.p10_day),
                "p50": completion_date(p, f.p50_day),
                "p90": completion_date(p, f.p90_day),
                "p10_days": f.p10_day,
                "p50_days": f.p50_day,
                "p90_days": f.p90_day,
                "plan_completion_date": completion_date(p, plan.completion_day),
                "added_teams": added_json,
                "teams": p.teams.len(),
                "productivity_sigma": opts.productivity_sigma,
                "productivity_sigma_source": sigma_source,
                "plan_time_s": plan_s,
                "monte_carlo_time_s": mc_s,
                "released_curve": f.released_curve,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    if l.synthetic {
        println!("SYNTHETIC data");
    }
    println!(
        "forecast: {} Monte Carlo runs (seed {}), {} tasks, {} teams, from {}",
        f.runs,
        args.seed,
        p.tasks.len(),
        p.teams.len(),
        p.start_date
    );
    println!(
        "  completion P10 {} ({}), P50 {} ({}), P90 {} ({})",
        completion_date(p, f.p10_day),
        fmt_days(f.p10_day),
        completion_date(p, f.p50_day),
        fmt_days(f.p50_day),
        completion_date(p, f.p90_day),
        fmt_days(f.p90_day)
    );
    println!(
        "  plan without uncertainty: {}; planned in {plan_s:.2} s, simulated in {mc_s:.2} s",
        completion_date(p, plan.completion_day)
    );
    println!(
        "  assumptions: time per piece of work lognormal, mean 1, σ {:.2} ({}); downtime × 0.5–1.5; \
         NTS/TS shares ± {:.2}; task areas × lognormal(μ {:.2}, σ {:.2})",
        opts.productivity_sigma, sigma_source, opts.rate_sd, opts.area_growth_mu, opts.area_growth_sigma
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn capacity(db: &Path, args: CapacityArgs) -> Result<ExitCode> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        return Ok(refuse(
            args.json,
            "--confidence must be between 0 and 1 (exclusive), e.g. 0.9",
        ));
    }
    let deadline = match parse_date("--deadline", &args.deadline) {
        Ok(d) => d,
        Err(Refused(m)) => return Ok(refuse(args.json, &m)),
    };
    let l = match load(db, &args.input).await? {
        Ok(l) => l,
        Err(Refused(m)) => return Ok(refuse(args.json, &m)),
    };
    let p = &l.problem;
    if deadline <= p.start_date {
        return Ok(refuse(
            args.json,
            &format!(
                "--deadline {deadline} is not after the plan start {}: give a future date (or an earlier --start)",
                p.start_date
            ),
        ));
    }
    let answer = demine_plan::capacity(
        p,
        &demine_plan::CapacityOptions {
            deadline_day: (deadline - p.start_date).num_days() as f64 + 1.0,
            confidence: args.confidence,
            forecast: forecast_options(&l, args.runs, args.seed, None),
            plan_time_s: args.time_limit,
            max_rounds: args.max_rounds,
        },
    );
    let extra: serde_json::Map<String, Value> = demine_plan::model::ALL_KINDS
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                json!(answer.extra[demine_plan::model::kind_index(*k)]),
            )
        })
        .collect();
    if args.json {
        println!(
            "{}",
            json!({
                "synthetic": l.synthetic,
                "deadline": deadline.to_string(),
                "confidence": args.confidence,
                "achievable": answer.achievable,
                "extra_teams": extra,
                "extra_cost_per_day": answer.cost_per_day,
                "probability": answer.probability,
                "completion_date_at_confidence": completion_date(p, answer.completion_day_at_confidence),
                "trials": answer.trials,
                "runs_per_trial": args.runs,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    if l.synthetic {
        println!("SYNTHETIC data");
    }
    let mix: Vec<String> = extra
        .iter()
        .filter(|(_, v)| v.as_u64().unwrap_or(0) > 0)
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    if answer.achievable {
        println!(
            "capacity: to finish by {deadline} with probability {:.0} %: add {} (cost {:.0} per day); P = {:.0} % over {} runs, {} trial mixes",
            args.confidence * 100.0,
            if mix.is_empty() { "no teams".into() } else { mix.join(", ") },
            answer.cost_per_day,
            answer.probability * 100.0,
            args.runs,
            answer.trials
        );
    } else {
        println!(
            "capacity: no mix found that finishes by {deadline} with probability {:.0} % (best tried: {}, P = {:.0} %, {} at that confidence)",
            args.confidence * 100.0,
            if mix.is_empty() { "no teams".into() } else { mix.join(", ") },
            answer.probability * 100.0,
            completion_date(p, answer.completion_day_at_confidence)
        );
    }
    Ok(ExitCode::SUCCESS)
}
