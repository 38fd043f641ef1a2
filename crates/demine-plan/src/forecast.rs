//! Monte Carlo completion forecast of a plan, what-if extra teams, and the inverse question
//! "which cheapest extra teams finish by a deadline with a given probability".
//!
//! Each run keeps the plan's team sequences and redraws what nobody knows in advance: how long
//! each piece of work takes against plan (productivity varies with the site — vegetation,
//! soil, metal contamination — so each job draws its own time factor, lognormal with mean 1;
//! its σ² is the site-to-site part, `productivity_sigma`, plus the day-to-day part that daily
//! progress reports measure, `daily_sigma`, divided by the job's working days, since a job of a
//! month averages a month of days), the weather
//! downtime rate, the NTS/TS release shares, and the area of each task (hazards tend to be
//! larger than estimated).
//!
//! The time factor has mean 1 because a team's declared productivity is what it achieved over
//! past work (area ÷ days): its mean time per m², not its mean speed. One factor per team for
//! the whole campaign would be wrong for a campaign of years: a team that is slow on one site
//! is not slow on all of them, and a slow team's tasks would be handed to others long before
//! its backlog ran decades late. Run r draws from ChaCha8 stream r of the seed,
//! so results are the same on any number of threads.

use crate::calendar::{end_date_of, Calendar};
use crate::input::default_cost_per_day;
use crate::instance::{release_events, simulate, Instance, Variation};
use crate::model::{kind_index, CalendarSpec, Problem, Stage, Team, TeamKind, ALL_KINDS};
use crate::plan::{plan, Plan, PlanOptions};
use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::Serialize;

/// Downtime levels runs choose from (multipliers of the calendar's rate).
const DOWNTIME_LEVELS: [f64; 9] = [0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5];
/// Months tracked in the released curve at most (100 years); later land counts in the last.
const MAX_MONTHS: usize = 1200;

/// What varies and how much.
#[derive(Debug, Clone)]
pub struct ForecastOptions {
    pub runs: usize,
    pub seed: u64,
    /// σ of the log time factor of each job from site to site (lognormal with mean 1): what a
    /// job's length varies by whatever its length.
    pub productivity_sigma: f64,
    /// σ of a team's log productivity from one working day to the next (daily progress reports
    /// measure it). Days vary independently, so a job of d working days adds σ²/d to its log
    /// time factor's variance: a day's spread is not a month's.
    pub daily_sigma: f64,
    /// Standard deviation of the NTS cancel and TS reduce shares.
    pub rate_sd: f64,
    /// Mean and σ of log area growth per task (hazards larger than estimated).
    pub area_growth_mu: f64,
    pub area_growth_sigma: f64,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            runs: 1000,
            seed: 1,
            productivity_sigma: 0.3,
            daily_sigma: 0.0,
            rate_sd: 0.1,
            // Assumptions: areas are on average ~5 % larger than registered, ±10 %.
            area_growth_mu: 0.05,
            area_growth_sigma: 0.1,
        }
    }
}

/// Quantiles of land released by the end of a month over the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthBand {
    pub month: String,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// The forecast: completion quantiles and the released-area band.
#[derive(Debug, Clone)]
pub struct Forecast {
    pub start_date: NaiveDate,
    pub runs: usize,
    /// Completion day of each run, sorted.
    pub completion_days: Vec<f64>,
    pub p10_day: f64,
    pub p50_day: f64,
    pub p90_day: f64,
    /// Cumulative m² released by each month's end.
    pub released_curve: Vec<MonthBand>,
}

impl Forecast {
    /// Share of runs that finish by `day`.
    pub fn probability_by(&self, day: f64) -> f64 {
        if self.completion_days.is_empty() {
            return 0.0;
        }
        self.completion_days.iter().filter(|&&d| d <= day).count() as f64 / self.completion_days.len() as f64
    }

    /// The completion day reached with probability `q`.
    pub fn quantile_day(&self, q: f64) -> f64 {
        quantile(&self.completion_days, q)
    }
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Day offsets (from `start`) of the end of each month, from the start month on.
fn month_ends(start: NaiveDate, months: usize) -> (Vec<f64>, Vec<String>) {
    let mut ends = Vec::with_capacity(months);
    let mut names = Vec::with_capacity(months);
    let (mut y, mut m) = (start.year(), start.month());
    for _ in 0..months {
        names.push(format!("{y:04}-{m:02}"));
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let first_next = NaiveDate::from_ymd_opt(ny, nm, 1).unwrap_or(NaiveDate::MAX);
        ends.push((first_next - start).num_days() as f64);
        y = ny;
        m = nm;
    }
    (ends, names)
}

/// Runs the Monte Carlo forecast of `plan` (made for `p`).
pub fn forecast(p: &Problem, plan: &Plan, opts: &ForecastOptions) -> Forecast {
    let results = runs_of(p, plan, opts, true);
    forecast_from_runs(p, results)
}

/// The completion day of each Monte Carlo run of `plan`, sorted: [`forecast`] without the
/// released-area band (the same runs, the same days), for questions that only need when.
pub fn completion_days(p: &Problem, plan: &Plan, opts: &ForecastOptions) -> Vec<f64> {
    let mut days: Vec<f64> = runs_of(p, plan, opts, false).into_iter().map(|r| r.0).collect();
    days.sort_by(f64::total_cmp);
    days
}

/// Per run: the completion day and, with `events`, the release events.
fn runs_of(p: &Problem, plan: &Plan, opts: &ForecastOptions, events: bool) -> Vec<(f64, Vec<(f64, f64)>)> {
    let inst = Instance::new(p);
    let calendars: Vec<Calendar> = DOWNTIME_LEVELS
        .iter()
        .map(|&s| Calendar::new(&p.calendar, p.start_date, s))
        .collect();
    let job_sigma = job_sigmas(&inst, &plan.seqs, opts);
    let runs = opts.runs.max(1);
    (0..runs)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            rng.set_stream(r as u64);
            // Lognormal with mean 1: ln f ~ N(−σ²/2, σ²).
            let unit = Normal::new(0.0, 1.0).expect("unit normal");
            let time_factor: Vec<f64> = job_sigma
                .iter()
                .map(|&sigma| (sigma * unit.sample(&mut rng) - sigma * sigma / 2.0).exp())
                .collect();
            let growth_d = Normal::new(opts.area_growth_mu, opts.area_growth_sigma.max(0.0))
                .unwrap_or(Normal::new(0.0, 0.0).expect("σ=0"));
            let growth: Vec<f64> = p.tasks.iter().map(|_| growth_d.sample(&mut rng).exp()).collect();
            let rate_d = Normal::new(0.0, opts.rate_sd.max(0.0)).unwrap_or(Normal::new(0.0, 0.0).expect("σ=0"));
            let rate_shift = [rate_d.sample(&mut rng), rate_d.sample(&mut rng)];
            let cal = &calendars[rng.gen_range(0..calendars.len())];
            let var = Variation {
                job_time_factor: Some(&time_factor),
                task_area_factor: Some(&growth),
                rate_shift,
            };
            let sim = simulate(p, &inst, &plan.seqs, cal, &var);
            let completion = sim.release.iter().copied().fold(0.0, f64::max);
            let ev = if events {
                release_events(&inst, &sim, rate_shift)
            } else {
                Vec::new()
            };
            (completion, ev)
        })
        .collect()
}

/// Each job's σ of its log time factor: the site-to-site part, and the day-to-day part averaged
/// over the working days the job takes the team the plan gives it.
fn job_sigmas(inst: &Instance, seqs: &crate::instance::Sequences, opts: &ForecastOptions) -> Vec<f64> {
    let site = opts.productivity_sigma.max(0.0);
    let daily = opts.daily_sigma.max(0.0);
    let mut days = vec![1.0f64; inst.jobs.len()];
    for (team, jobs) in seqs.iter().flat_map(|layer| layer.iter().enumerate()) {
        for &j in jobs {
            let speed = inst.speed(team, j);
            if speed > 0.0 {
                days[j as usize] = (inst.jobs[j as usize].area_m2 / speed).max(1.0);
            }
        }
    }
    days.iter().map(|d| (site * site + daily * daily / d).sqrt()).collect()
}

fn forecast_from_runs(p: &Problem, results: Vec<(f64, Vec<(f64, f64)>)>) -> Forecast {
    let runs = results.len();
    let mut completion_days: Vec<f64> = results.iter().map(|r| r.0).collect();
    completion_days.sort_by(f64::total_cmp);
    let last = completion_days.last().copied().unwrap_or(0.0);
    let months = {
        let end = end_date_of(p.start_date, last);
        let n = (end.year() - p.start_date.year()) * 12 + end.month() as i32 - p.start_date.month() as i32 + 1;
        (n.max(1) as usize).min(MAX_MONTHS)
    };
    let (ends, names) = month_ends(p.start_date, months);
    // Per run, cumulative release at each month end.
    let per_run: Vec<Vec<f64>> = results
        .par_iter()
        .map(|(_, events)| {
            let mut out = Vec::with_capacity(months);
            let mut i = 0;
            let mut cum = 0.0;
            for (mi, &end) in ends.iter().enumerate() {
                let last_month = mi + 1 == ends.len();
                while i < events.len() && (events[i].0 <= end || last_month) {
                    cum += events[i].1;
                    i += 1;
                }
                out.push(cum);
            }
            out
        })
        .collect();
    let released_curve = (0..months)
        .map(|mi| {
            let mut v: Vec<f64> = per_run.iter().map(|r| r[mi]).collect();
            v.sort_by(f64::total_cmp);
            MonthBand {
                month: names[mi].clone(),
                p10: quantile(&v, 0.1),
                p50: quantile(&v, 0.5),
                p90: quantile(&v, 0.9),
            }
        })
        .collect();
    Forecast {
        start_date: p.start_date,
        runs,
        p10_day: quantile(&completion_days, 0.1),
        p50_day: quantile(&completion_days, 0.5),
        p90_day: quantile(&completion_days, 0.9),
        completion_days,
        released_curve,
    }
}

/// Typical productivity of a kind when the problem has no team of it (m²/day; assumptions in
/// the IMAS ranges: a manual team of ~10 deminers, a dog pair, a flail, survey teams).
pub fn default_productivity_m2_per_day(kind: TeamKind) -> f64 {
    match kind {
        TeamKind::Manual => 300.0,
        TeamKind::Mechanical => 4000.0,
        TeamKind::Mdd => 1000.0,
        TeamKind::Nts => 50_000.0,
        TeamKind::Ts => 5_000.0,
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// The problem with extra teams: `counts[kind_index(kind)]` more of each kind, each like the
/// median team of its kind (or the defaults), based where existing teams are.
pub fn add_teams(p: &Problem, counts: &[usize; 5]) -> Problem {
    let mut out = p.clone();
    let bases: Vec<(f64, f64)> = p.teams.iter().filter_map(|t| t.base).collect();
    let mut n = 0usize;
    for kind in ALL_KINDS {
        let same: Vec<&Team> = p.teams.iter().filter(|t| t.kind == kind).collect();
        let prod = median(same.iter().map(|t| t.productivity_m2_per_day).collect())
            .unwrap_or_else(|| default_productivity_m2_per_day(kind));
        let cost = median(same.iter().map(|t| t.cost_per_day).collect()).unwrap_or_else(|| default_cost_per_day(kind));
        for i in 0..counts[kind_index(kind)] {
            let base = if bases.is_empty() {
                None
            } else {
                Some(bases[n % bases.len()])
            };
            n += 1;
            out.teams.push(Team {
                id: format!("extra-{}-{}", kind.as_str(), i + 1),
                kind,
                productivity_m2_per_day: prod,
                productivity_by_terrain: vec![],
                base,
                start_day: 0.0,
                end_day: None,
                cost_per_day: cost,
            });
        }
    }
    out
}

/// [`add_teams`] with at most as many extra teams of a kind as there are (at least one), their
/// kind's teams made faster so that the kind's total productivity is the same: a cheap stand-in
/// for large mixes while searching.
fn add_capacity(p: &Problem, counts: &[usize; 5]) -> Problem {
    let mut capped = *counts;
    let mut boost = [1.0f64; 5];
    for kind in ALL_KINDS {
        let i = kind_index(kind);
        let have = p.teams.iter().filter(|t| t.kind == kind).count().max(1);
        if counts[i] > have {
            capped[i] = have;
            boost[i] = (have + counts[i]) as f64 / (2 * have) as f64;
        }
    }
    let mut q = add_teams(p, &capped);
    for t in &mut q.teams {
        let b = boost[kind_index(t.kind)];
        if b != 1.0 {
            t.productivity_m2_per_day *= b;
            for (_, v) in &mut t.productivity_by_terrain {
                *v *= b;
            }
        }
    }
    q
}

/// Cost per day of `counts` extra teams (as [`add_teams`] makes them).
pub fn extra_cost_per_day(p: &Problem, counts: &[usize; 5]) -> f64 {
    ALL_KINDS
        .iter()
        .map(|&kind| {
            let cost = median(
                p.teams
                    .iter()
                    .filter(|t| t.kind == kind)
                    .map(|t| t.cost_per_day)
                    .collect(),
            )
            .unwrap_or_else(|| default_cost_per_day(kind));
            cost * counts[kind_index(kind)] as f64
        })
        .sum()
}

/// The capacity question.
#[derive(Debug, Clone)]
pub struct CapacityOptions {
    /// The deadline, days from the start (> 0).
    pub deadline_day: f64,
    /// Probability of finishing by the deadline to reach (0–1).
    pub confidence: f64,
    pub forecast: ForecastOptions,
    /// Search budget for each trial plan, seconds.
    pub plan_budget_s: f64,
    /// Not used since the search grows the teams by factors (up to [`CAPACITY_MAX_FACTOR`]);
    /// kept so existing callers compile.
    pub max_rounds: usize,
}

/// The cheapest extra mix found.
#[derive(Debug, Clone)]
pub struct CapacityAnswer {
    /// Extra teams per kind ([`kind_index`] order).
    pub extra: [usize; 5],
    pub cost_per_day: f64,
    /// Share of runs finishing by the deadline with the extra teams.
    pub probability: f64,
    /// Completion day at the asked confidence with the extra teams.
    pub completion_day_at_confidence: f64,
    pub achievable: bool,
    pub trials: usize,
    /// When no mix finishes by the deadline: the earliest completion day at the asked
    /// confidence of the mixes confirmed with their real teams and the full runs; [`Self::extra`]
    /// is then that mix.
    pub earliest_day_at_confidence: Option<f64>,
    /// When no mix finishes by the deadline on a working calendar: the answered mix working
    /// every day of the year, (share of runs by the deadline, completion day at the confidence).
    pub every_day: Option<(f64, f64)>,
}

/// The largest mix `capacity` tries: this many times the teams of each useful kind.
pub const CAPACITY_MAX_FACTOR: usize = 16;
/// Monte Carlo runs per trial mix while searching (the answer is confirmed with the full runs).
pub const CAPACITY_SEARCH_RUNS: usize = 30;
/// Times the answer may grow by a quarter when the full runs with real teams miss the deadline
/// the quick trials met (1.25⁴ ≈ 2.4 times the mix).
pub const CAPACITY_CONFIRM_TRIES: usize = 4;

/// A lower bound on the working days any plan of `p` needs, cheap beside a plan: per stage, its
/// total area over the summed best productivity of every team that can work it anywhere, all of
/// them from day 0 (start dates, end dates, travel, terrain and the order of stages only add
/// time). Infinite when a stage has work and no team.
pub fn stage_work_bound_days(p: &Problem) -> f64 {
    let best = |t: &Team| {
        t.productivity_by_terrain
            .iter()
            .map(|x| x.1)
            .fold(t.productivity_m2_per_day, f64::max)
    };
    let mut worst = 0.0f64;
    for stage in [Stage::Nts, Stage::Ts, Stage::Preparation, Stage::Clearance] {
        let mut area = 0.0;
        let mut able = vec![false; p.teams.len()];
        for task in &p.tasks {
            for (s, a) in p.stage_areas(task) {
                if s != stage || a <= 0.0 {
                    continue;
                }
                area += a;
                for (k, team) in p.teams.iter().enumerate() {
                    if !able[k] && team.can_do(task, s) {
                        able[k] = true;
                    }
                }
            }
        }
        if area <= 0.0 {
            continue;
        }
        let speed: f64 = p
            .teams
            .iter()
            .zip(&able)
            .filter(|(_, &a)| a)
            .map(|(t, _)| best(t))
            .sum();
        if speed <= 0.0 {
            return f64::INFINITY;
        }
        worst = worst.max(area / speed);
    }
    worst
}

/// A mix is not worth a plan when even [`stage_work_bound_days`] is this many times past the
/// deadline (working days never outnumber calendar days; the margin covers runs luckier than
/// the plan).
const BOUND_MARGIN: f64 = 1.25;

/// A mix and its (share by the deadline, completion day at the confidence).
type Confirmed = ([usize; 5], (f64, f64));

/// `soonest`, or the teams there are (`as_is`, no extra teams) when they finish as soon or meet
/// the deadline: past some number, a plan made in a fraction of a second uses extra teams worse
/// than they save.
fn sooner_or_as_is(soonest: Confirmed, as_is: (f64, f64), confidence: f64) -> Confirmed {
    if as_is.1 <= soonest.1 .1 || as_is.0 >= confidence {
        ([0; 5], as_is)
    } else {
        soonest
    }
}

/// A mix's plan, made quickly, and its (share of runs by the deadline, completion day at the
/// confidence).
fn trial(q: &Problem, opts: &CapacityOptions, f_opts: &ForecastOptions) -> (f64, f64) {
    let pl = plan(
        q,
        &PlanOptions {
            seed: opts.forecast.seed,
            search_budget_s: opts.plan_budget_s.min(0.3),
            lns_steps_per_job: 0,
            exact: false,
        },
    );
    // Only the completion days matter here: no released-area band.
    let days = completion_days(q, &pl, f_opts);
    let by_deadline = days.iter().filter(|&&d| d <= opts.deadline_day).count() as f64 / days.len().max(1) as f64;
    (by_deadline, quantile(&days, opts.confidence))
}

/// [`capacity_search`], and when no mix finishes in time on a working calendar, how the answered
/// mix would do working every day of the year ([`CapacityAnswer::every_day`]): when it then
/// finishes in time, the calendar (weekends, machines' winter stop, dogs' summer stop, weather)
/// holds the date, not the number of teams.
pub fn capacity(p: &Problem, opts: &CapacityOptions) -> CapacityAnswer {
    let mut answer = capacity_search(p, opts);
    if !answer.achievable && !matches!(p.calendar, CalendarSpec::None) {
        let every_day = Problem {
            calendar: CalendarSpec::None,
            ..add_teams(p, &answer.extra)
        };
        answer.every_day = Some(trial(&every_day, opts, &opts.forecast));
    }
    answer
}

/// Searches the cheapest extra teams that finish by the deadline with the asked confidence.
///
/// Trials plan quickly (no large-neighbourhood search) and forecast with
/// [`CAPACITY_SEARCH_RUNS`] runs; the answer is confirmed with the full runs. The search grows
/// every useful kind together (×2, ×4, … up to [`CAPACITY_MAX_FACTOR`] times the teams there are)
/// until a mix finishes in time, bisects the factor, then lowers each kind, dearest first, by
/// bisection while the deadline still holds. When even the largest mix is late, it says so with
/// that mix's completion at the asked confidence: no mix can finish by the deadline, the
/// earliest is then. A mix whose [`stage_work_bound_days`] is well past the deadline is not
/// planned: it cannot finish in time.
fn capacity_search(p: &Problem, opts: &CapacityOptions) -> CapacityAnswer {
    // Kinds that could help: those some stage of some task may use.
    let useful: Vec<TeamKind> = ALL_KINDS
        .into_iter()
        .filter(|&kind| {
            let probe = Team {
                id: String::new(),
                kind,
                productivity_m2_per_day: 1.0,
                productivity_by_terrain: vec![],
                base: None,
                start_day: 0.0,
                end_day: None,
                cost_per_day: 0.0,
            };
            p.tasks
                .iter()
                .any(|t| p.stage_areas(t).iter().any(|&(s, a)| a > 0.0 && probe.can_do(t, s)))
        })
        .collect();
    let existing = |k: TeamKind| p.teams.iter().filter(|t| t.kind == k).count();
    let quick = ForecastOptions {
        runs: opts.forecast.runs.clamp(1, CAPACITY_SEARCH_RUNS),
        ..opts.forecast.clone()
    };
    let mut trials = 0;
    // A mix is evaluated once per kind of run (quick or full): the search revisits mixes.
    let mut seen: std::collections::HashMap<([usize; 5], bool), (f64, f64)> = Default::default();
    let mut evaluate = |counts: &[usize; 5], f_opts: &ForecastOptions| {
        let full = std::ptr::eq(f_opts, &opts.forecast);
        if let Some(&r) = seen.get(&(*counts, full)) {
            return r;
        }
        trials += 1;
        // While searching, a kind grows to at most twice its teams and the rest of the extra
        // capacity goes into their productivity (planning time grows with the teams); the
        // answer is confirmed with real teams.
        let q = if full {
            add_teams(p, counts)
        } else {
            add_capacity(p, counts)
        };
        let r = trial(&q, opts, f_opts);
        seen.insert((*counts, full), r);
        r
    };
    let meets = |r: &(f64, f64)| r.0 >= opts.confidence;
    // Mixes that cannot finish in time whatever the plan: no trial needed.
    let hopeless =
        |counts: &[usize; 5]| stage_work_bound_days(&add_capacity(p, counts)) > BOUND_MARGIN * opts.deadline_day;
    let scaled = |factor: f64| -> [usize; 5] {
        let mut c = [0usize; 5];
        for &k in &useful {
            let base = existing(k).max(1) as f64;
            c[kind_index(k)] = ((factor - 1.0) * base).round().max(0.0) as usize;
        }
        c
    };
    let zero = [0usize; 5];
    let base = evaluate(&zero, &quick);
    let mut counts = zero;
    // The trial that finished soonest: (mix, completion day at the confidence).
    let mut soonest_trial = (zero, base.1);
    if !meets(&base) {
        // Grow all useful kinds together until the deadline holds.
        let mut lo = 1.0f64;
        let mut hi: Option<(f64, [usize; 5])> = None;
        let mut factor = 2.0;
        while factor <= CAPACITY_MAX_FACTOR as f64 {
            let c = scaled(factor);
            // The largest mix is always tried: its completion is the earliest date to report.
            if factor < CAPACITY_MAX_FACTOR as f64 && hopeless(&c) {
                lo = factor;
                factor *= 2.0;
                continue;
            }
            let r = evaluate(&c, &quick);
            if r.1 < soonest_trial.1 {
                soonest_trial = (c, r.1);
            }
            if meets(&r) {
                hi = Some((factor, c));
                break;
            }
            lo = factor;
            factor *= 2.0;
        }
        let Some((mut hi_f, mut hi_c)) = hi else {
            // No trial met the deadline: the soonest one, with its real teams and the full
            // runs (the trials add productivity, which neither travels nor waits, so their
            // dates are early), or the teams there are.
            let soonest = (soonest_trial.0, evaluate(&soonest_trial.0, &opts.forecast));
            let best = sooner_or_as_is(soonest, evaluate(&zero, &opts.forecast), opts.confidence);
            let achievable = meets(&best.1);
            return CapacityAnswer {
                extra: best.0,
                cost_per_day: extra_cost_per_day(p, &best.0),
                probability: best.1 .0,
                completion_day_at_confidence: best.1 .1,
                achievable,
                trials,
                earliest_day_at_confidence: (!achievable).then_some(best.1 .1),
                every_day: None,
            };
        };
        // Bisect the factor (to about 30 %).
        while hi_f / lo > 1.3 {
            let mid = (lo * hi_f).sqrt();
            let c = scaled(mid);
            if c == hi_c || c == scaled(lo) {
                break;
            }
            if hopeless(&c) {
                lo = mid;
                continue;
            }
            let r = evaluate(&c, &quick);
            if meets(&r) {
                (hi_f, hi_c) = (mid, c);
            } else {
                lo = mid;
            }
        }
        counts = hi_c;
    }
    // Lower each kind, dearest first, by half if the deadline still holds.
    let cost_of = |k: TeamKind| {
        let mut c = [0usize; 5];
        c[kind_index(k)] = 1;
        extra_cost_per_day(p, &c).max(1e-9)
    };
    let mut kinds = useful.clone();
    kinds.sort_by(|&a, &b| cost_of(b).total_cmp(&cost_of(a)));
    for k in kinds {
        let i = kind_index(k);
        for _ in 0..1 {
            if counts[i] < 2 {
                break;
            }
            let mut c = counts;
            c[i] /= 2;
            if hopeless(&c) {
                break;
            }
            let r = evaluate(&c, &quick);
            if meets(&r) {
                counts = c;
            } else {
                break;
            }
        }
    }
    // Confirm with the full runs; if the quick runs were lucky (they add productivity where
    // the answer adds teams, which travel and wait for stages), add a quarter more of each kind
    // used until it holds: at most [`CAPACITY_CONFIRM_TRIES`] times.
    let mut confirmed = evaluate(&counts, &opts.forecast);
    // The soonest mix confirmed: what is answered if none meets the deadline.
    let mut soonest = (counts, confirmed);
    let mut tries = 0;
    while !meets(&confirmed) && tries < CAPACITY_CONFIRM_TRIES && counts != zero {
        for &k in &useful {
            let i = kind_index(k);
            if counts[i] > 0 {
                counts[i] += counts[i].div_ceil(4);
            }
        }
        confirmed = evaluate(&counts, &opts.forecast);
        tries += 1;
        if confirmed.1 < soonest.1 .1 {
            soonest = (counts, confirmed);
        }
    }
    // Not met: the mix that finished soonest with its real teams, not the last one grown (nor
    // more teams than the teams there are do well with), and its date as the earliest (the
    // quick runs' could be before the deadline).
    let (counts, confirmed) = if meets(&confirmed) {
        (counts, confirmed)
    } else {
        sooner_or_as_is(soonest, evaluate(&zero, &opts.forecast), opts.confidence)
    };
    let achievable = meets(&confirmed);
    CapacityAnswer {
        extra: counts,
        cost_per_day: extra_cost_per_day(p, &counts),
        probability: confirmed.0,
        completion_day_at_confidence: confirmed.1,
        achievable,
        trials,
        earliest_day_at_confidence: (!achievable).then_some(confirmed.1),
        every_day: None,
    }
}
