//! The planner's entry point: [`plan`] turns a [`Problem`] into a [`Plan`].

use crate::calendar::{date_of, Calendar};
use crate::instance::{release_events, simulate, Instance, Sequences, Variation};
use crate::model::{CalendarSpec, Problem, Stage};
use crate::search::{LayerCtx, LayerSearch, CALENDAR_STEP_WORK_UNITS};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::cell::Cell;

/// Largest instance solved exactly (by the subset DP, when it applies).
pub const EXACT_MAX_TASKS: usize = 12;
pub const EXACT_MAX_TEAMS: usize = 3;

/// Jobs priced per second of search by a release build on the reference machine (2-core AMD
/// EPYC, see README), measured with `cargo run --release -p demine-plan --example
/// search_work_rate`. It turns [`PlanOptions::search_budget_s`] into a count of work.
pub const WORK_UNITS_PER_BUDGET_S: f64 = 38_000_000.0;

/// How hard to search.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub seed: u64,
    /// Search budget, in seconds of search on the reference machine (README, "Planning"). The
    /// search counts its work ([`WORK_UNITS_PER_BUDGET_S`] per second) instead of reading the
    /// clock: the same seed and budget give the same plan on any machine and under any load,
    /// and a slower machine or a debug build takes proportionally longer. The search is
    /// anytime: it stops at the budget with its best plan, or earlier at a local optimum.
    pub search_budget_s: f64,
    /// Large-neighbourhood steps per job (the search budget caps them).
    pub lns_steps_per_job: usize,
    /// Try the exact MILP on small instances.
    pub exact: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            seed: 1,
            search_budget_s: 10.0,
            lns_steps_per_job: 30,
            exact: true,
        }
    }
}

/// One piece of work in the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub task: String,
    pub team: String,
    pub stage: Stage,
    /// Days from the plan start.
    pub start_day: f64,
    pub end_day: f64,
    pub area_m2: f64,
}

/// Land released in one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRelease {
    /// `YYYY-MM`.
    pub month: String,
    pub released_m2: f64,
    pub cumulative_m2: f64,
}

/// A schedule and what it achieves.
#[derive(Debug, Clone)]
pub struct Plan {
    pub start_date: NaiveDate,
    pub assignments: Vec<Assignment>,
    /// Σ value × release day over tasks (value·days).
    pub objective: f64,
    /// A proven lower bound on the objective, when one is known.
    pub lower_bound: Option<f64>,
    /// Whether the objective is proven optimal (exact MILP).
    pub optimal: bool,
    /// The day the last task is released (days from the start).
    pub completion_day: f64,
    /// Release day of each task, in input order.
    pub release_day: Vec<f64>,
    /// (day, m² released) events in time order.
    pub releases: Vec<(f64, f64)>,
    /// The search used its whole budget rather than stopping at a local optimum (a larger
    /// budget may find a better plan; the result is still the same on any machine).
    pub stopped_by_search_budget: bool,
    /// Search work done (jobs priced; [`WORK_UNITS_PER_BUDGET_S`] make one second of budget).
    pub search_work_units: u64,
    /// Teams whose work runs past their end date (capacity too short).
    pub overrunning_teams: Vec<String>,
    pub method: &'static str,
    pub(crate) seqs: Sequences,
}

impl Plan {
    /// Relative gap between the objective and the lower bound.
    pub fn gap(&self) -> Option<f64> {
        let lb = self.lower_bound?;
        if self.objective <= 0.0 {
            return Some(0.0);
        }
        Some(((self.objective - lb) / self.objective).max(0.0))
    }

    /// Land released per calendar month, from the plan start to completion.
    pub fn released_by_month(&self) -> Vec<MonthRelease> {
        released_by_month(self.start_date, &self.releases)
    }
}

/// Months from the first to the last event, with the m² released in each and cumulated.
pub fn released_by_month(start: NaiveDate, events: &[(f64, f64)]) -> Vec<MonthRelease> {
    let mut out: Vec<MonthRelease> = Vec::new();
    let mut cumulative = 0.0;
    let month_key = |d: NaiveDate| (d.year(), d.month());
    let mut current = month_key(start);
    let mut released = 0.0;
    for &(day, m2) in events {
        let key = month_key(crate::calendar::end_date_of(start, day));
        while key > current {
            cumulative += released;
            out.push(MonthRelease {
                month: format!("{:04}-{:02}", current.0, current.1),
                released_m2: released,
                cumulative_m2: cumulative,
            });
            released = 0.0;
            current = if current.1 == 12 {
                (current.0 + 1, 1)
            } else {
                (current.0, current.1 + 1)
            };
        }
        released += m2;
    }
    cumulative += released;
    out.push(MonthRelease {
        month: format!("{:04}-{:02}", current.0, current.1),
        released_m2: released,
        cumulative_m2: cumulative,
    });
    out
}

/// Whether the instance is small enough, and simple enough, for the exact MILP.
pub fn exact_applies(p: &Problem) -> bool {
    p.tasks.len() <= EXACT_MAX_TASKS
        && p.teams.len() <= EXACT_MAX_TEAMS
        && !p.has_travel()
        && p.tasks.iter().all(|t| !t.splittable)
        && matches!(p.calendar, crate::model::CalendarSpec::None)
        && p.tasks.iter().all(|t| t.under_way_by.is_none())
}

/// Ready day of each job of layer `li`, from the layers before it.
fn layer_ready(p: &Problem, inst: &Instance, seqs: &Sequences, cal: &Calendar, li: usize) -> Vec<f64> {
    let sim = simulate(p, inst, seqs, cal, &Variation::planned());
    let stage = inst.layers[li].0;
    let mut ready = vec![0.0; inst.jobs.len()];
    for (ti, per_stage) in inst.task_jobs.iter().enumerate() {
        let prev_end = per_stage[..stage.index()]
            .iter()
            .flatten()
            .map(|&j| sim.end[j as usize])
            .fold(p.tasks[ti].ready_day, f64::max);
        for &j in &per_stage[stage.index()] {
            ready[j as usize] = prev_end;
        }
    }
    ready
}

/// Plans the problem: heuristic search, and on small instances the exact MILP.
pub fn plan(p: &Problem, opts: &PlanOptions) -> Plan {
    let work = Cell::new(0u64);
    let budget = (opts.search_budget_s.max(0.0) * WORK_UNITS_PER_BUDGET_S) as u64;
    let cal = Calendar::new(&p.calendar, p.start_date, 1.0);
    let inst = Instance::new(p);
    let total_jobs = inst.jobs.len().max(1);
    let total_value: f64 = p.tasks.iter().map(|t| t.value).sum::<f64>().max(1.0);
    let mut seqs: Sequences = inst.layers.iter().map(|_| vec![Vec::new(); p.teams.len()]).collect();
    let mut stopped = false;
    for li in 0..inst.layers.len() {
        let ready = layer_ready(p, &inst, &seqs, &cal, li);
        let jobs = inst.layers[li].1.clone();
        // Work for this layer: its share of what is left.
        let left_jobs: usize = inst.layers[li..].iter().map(|l| l.1.len()).sum();
        let remaining = budget.saturating_sub(work.get());
        let layer_limit = work.get() + (remaining as f64 * jobs.len() as f64 / left_jobs.max(1) as f64) as u64;
        let ctx = LayerCtx {
            p,
            inst: &inst,
            cal: &cal,
            ready: &ready,
            penalty: 1000.0 * total_value,
            monotone: inst.jobs.iter().all(|j| j.weight >= 0.0),
            work: &work,
            step_work_units: match p.calendar {
                CalendarSpec::None => 1,
                CalendarSpec::Working(_) => CALENDAR_STEP_WORK_UNITS,
            },
        };
        let mut search = LayerSearch::construct(ctx, &jobs, opts.seed.wrapping_add(li as u64));
        let converged = search.local_search(layer_limit)
            && search.lns(opts.lns_steps_per_job * jobs.len(), layer_limit)
            && search.local_search(layer_limit);
        stopped |= !converged;
        let _ = total_jobs;
        seqs[li] = std::mem::take(&mut search.seqs);
    }
    let mut method = "heuristic";
    let mut optimal = false;
    let mut lower_bound = lower_bound_of(p, &inst);
    if opts.exact && exact_applies(p) && crate::exact_dp::applies(&inst) {
        if let Some(ex) = crate::exact_dp::solve(p, &inst) {
            let mine = objective_of(p, &inst, &seqs, &cal);
            let theirs = objective_of(p, &inst, &ex, &cal);
            if theirs <= mine {
                seqs = ex;
            }
            optimal = true;
            method = "exact";
            lower_bound = Some(lower_bound.unwrap_or(0.0).max(theirs.min(mine)));
        }
    }
    let mut plan = finish(p, &inst, seqs, &cal, lower_bound, optimal, stopped, method);
    plan.search_work_units = work.get();
    plan
}

fn objective_of(p: &Problem, inst: &Instance, seqs: &Sequences, cal: &Calendar) -> f64 {
    let sim = simulate(p, inst, seqs, cal, &Variation::planned());
    p.tasks.iter().zip(&sim.release).map(|(t, r)| t.value * r).sum()
}

#[allow(clippy::too_many_arguments)]
fn finish(
    p: &Problem,
    inst: &Instance,
    seqs: Sequences,
    cal: &Calendar,
    lower_bound: Option<f64>,
    optimal: bool,
    stopped: bool,
    method: &'static str,
) -> Plan {
    let var = Variation::planned();
    let sim = simulate(p, inst, &seqs, cal, &var);
    let objective: f64 = p.tasks.iter().zip(&sim.release).map(|(t, r)| t.value * r).sum();
    let mut assignments: Vec<Assignment> = Vec::with_capacity(inst.jobs.len());
    let mut overrunning = Vec::new();
    for layer in &seqs {
        for (k, seq) in layer.iter().enumerate() {
            let team = &p.teams[k];
            for &j in seq {
                let job = &inst.jobs[j as usize];
                let end = sim.end[j as usize];
                if team.end_day.is_some_and(|e| end > e + 1e-9) && !overrunning.contains(&team.id) {
                    overrunning.push(team.id.clone());
                }
                assignments.push(Assignment {
                    task: p.tasks[job.task as usize].id.clone(),
                    team: team.id.clone(),
                    stage: job.stage,
                    start_day: sim.start[j as usize],
                    end_day: end,
                    area_m2: sim.area_m2[j as usize],
                });
            }
        }
    }
    assignments.sort_by(|a, b| {
        a.start_day
            .total_cmp(&b.start_day)
            .then_with(|| a.team.cmp(&b.team))
            .then_with(|| a.task.cmp(&b.task))
    });
    let completion_day = sim.release.iter().copied().fold(0.0, f64::max);
    Plan {
        start_date: p.start_date,
        assignments,
        objective,
        lower_bound: lower_bound.map(|lb| lb.min(objective)),
        optimal,
        completion_day,
        release_day: sim.release.clone(),
        releases: release_events(inst, &sim, [0.0, 0.0]),
        stopped_by_search_budget: stopped,
        search_work_units: 0,
        overrunning_teams: overrunning,
        method,
        seqs,
    }
}

/// A valid lower bound on Σ value × release time, for continuous time (None otherwise).
///
/// The larger of (a) each task alone, every stage on its fastest eligible team from its ready
/// day, and (b) a mean-busy-time relaxation of clearance on uniform parallel teams: for a set A
/// of tasks that only teams of the kinds in K may clear, any schedule is a schedule of one
/// machine as fast as all teams of K together (S_K, work shared at will), on which Smith's rule
/// minimises Σ value × mean busy time M_j; and a task worked at a rate of at most r_j (its
/// fastest eligible team; all of them for a splittable task) ends at least a_j / (2 r_j) after
/// its mean busy time. So Σ_A w_j C_j ≥ Σ_A w_j (C_j^Smith − a_j/(2 S_K) + a_j/(2 r_j)) (with
/// productivity by terrain, S_K counts each team at its best terrain); the
/// tasks outside A add their bound (a). (b) is taken for each set K of clearance kinds.
/// Travel, team start dates, ready days and earlier stages only add time.
pub fn lower_bound(p: &Problem) -> Option<f64> {
    lower_bound_of(p, &Instance::new(p))
}

pub(crate) fn lower_bound_of(p: &Problem, inst: &Instance) -> Option<f64> {
    use crate::model::{kind_index, CLEARANCE_KINDS};
    if !matches!(p.calendar, crate::model::CalendarSpec::None) {
        return None;
    }
    let n = p.tasks.len();
    let mut alone = vec![0.0; n];
    // Per task with clearance work: (area, value, fastest rate, mask of kinds that may clear it).
    let mut clearance: Vec<Option<(f64, f64, f64, u8)>> = vec![None; n];
    let kind_bit = |k: usize| 1u8 << kind_index(p.teams[k].kind);
    for (ti, task) in p.tasks.iter().enumerate() {
        let mut t = task.ready_day;
        for per_stage in &inst.task_jobs[ti] {
            if per_stage.is_empty() {
                continue;
            }
            let job = &inst.jobs[per_stage[0] as usize];
            let el = &inst.eligible[job.class as usize];
            let area: f64 = per_stage.iter().map(|&j| inst.jobs[j as usize].area_m2).sum();
            let fastest = el
                .iter()
                .map(|&k| inst.speed(k as usize, per_stage[0]))
                .fold(0.0, f64::max);
            let pooled: f64 = el.iter().map(|&k| inst.speed(k as usize, per_stage[0])).sum();
            // Pieces of a split task may run side by side on different teams.
            let rate = if per_stage.len() > 1 { pooled } else { fastest };
            if rate <= 0.0 {
                return None;
            }
            t += area / rate;
            if job.stage == Stage::Clearance && area > 0.0 {
                let mask = el.iter().fold(0u8, |m, &k| m | kind_bit(k as usize));
                clearance[ti] = Some((area, task.value, rate, mask));
            }
        }
        alone[ti] = task.value * t;
    }
    let each_alone: f64 = alone.iter().sum();
    let mut best = each_alone;
    let all_clearance: u8 = CLEARANCE_KINDS.iter().fold(0, |m, &k| m | 1 << kind_index(k));
    for kinds in 1..=all_clearance {
        if kinds & !all_clearance != 0 {
            continue;
        }
        // A team works at most its best terrain's m² per day on any task.
        let speed: f64 = (0..p.teams.len())
            .filter(|&k| kind_bit(k) & kinds != 0 && CLEARANCE_KINDS.contains(&p.teams[k].kind))
            .map(|k| inst.speed[k].iter().copied().fold(0.0, f64::max))
            .sum();
        let mut inside: Vec<(f64, f64, f64)> = Vec::new();
        let mut outside = 0.0;
        for ti in 0..n {
            match clearance[ti] {
                Some((area, value, rate, mask)) if mask & !kinds == 0 => inside.push((area, value, rate)),
                _ => outside += alone[ti],
            }
        }
        if inside.is_empty() || speed <= 0.0 {
            continue;
        }
        inside.sort_by(|a, b| (b.1 / b.0).total_cmp(&(a.1 / a.0)));
        let mut done_m2 = 0.0;
        let mut total = outside;
        for (area, value, rate) in inside {
            done_m2 += area;
            total += value * (done_m2 / speed - area / (2.0 * speed) + area / (2.0 * rate));
        }
        best = best.max(total);
    }
    Some(best)
}

/// The date a day offset falls on.
pub fn day_to_date(start: NaiveDate, day: f64) -> NaiveDate {
    date_of(start, day)
}
