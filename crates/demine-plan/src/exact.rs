//! Exact schedules for small instances: a mixed-integer programme solved by HiGHS (through
//! good_lp). Applies with continuous time, no travel and no splitting, where a schedule is a
//! set of team sequences and start times; stages of a task are chained by precedence.
//!
//! Variables: x[j,k] (job j on team k), y[i,j] (i before j when they share a team), start s[j].
//! Disjunctive big-M constraints; M is a horizon no schedule that matters exceeds.

use crate::instance::{Instance, Sequences};
use crate::model::Problem;
use good_lp::solvers::highs::highs;
use good_lp::{constraint, variable, Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus};
use good_lp::{SolverModel, Variable};

/// What the solver found.
pub(crate) struct Exact {
    pub seqs: Sequences,
    /// Whether HiGHS proved optimality (within its default 1e-4 relative gap).
    pub optimal: bool,
}

/// Solves the instance exactly (or as far as `time_limit_s` allows).
pub(crate) fn solve(p: &Problem, inst: &Instance, time_limit_s: f64) -> Option<Exact> {
    let n = inst.jobs.len();
    let m = p.teams.len();
    let dur = |j: usize, k: usize| inst.jobs[j].area_m2 / inst.speed(k, j as u32);
    let eligible = |j: usize| &inst.eligible[inst.jobs[j].class as usize];
    // Horizon: everything done one after another on its slowest team, after the latest ready
    // date and team start.
    let horizon: f64 = p.tasks.iter().map(|t| t.ready_day).fold(0.0, f64::max)
        + p.teams.iter().map(|t| t.start_day).fold(0.0, f64::max)
        + (0..n)
            .map(|j| eligible(j).iter().map(|&k| dur(j, k as usize)).fold(0.0, f64::max))
            .sum::<f64>()
        + 1.0;

    let mut vars = ProblemVariables::new();
    let mut x: Vec<Vec<Option<Variable>>> = vec![vec![None; m]; n];
    for (j, row) in x.iter_mut().enumerate() {
        for &k in eligible(j) {
            row[k as usize] = Some(vars.add(variable().binary()));
        }
    }
    let s: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0.0).max(horizon))).collect();
    let dur_expr = |j: usize, x: &Vec<Vec<Option<Variable>>>| -> Expression {
        let mut e = Expression::from(0.0);
        for (k, v) in x[j].iter().enumerate() {
            if let Some(v) = v {
                e += dur(j, k) * *v;
            }
        }
        e
    };
    // Completion of each task's last stage carries the task's value.
    let mut objective = Expression::from(0.0);
    for (ti, task) in p.tasks.iter().enumerate() {
        if let Some(&last) = inst.task_jobs[ti].iter().rev().flatten().next() {
            let j = last as usize;
            objective += task.value * s[j] + task.value * dur_expr(j, &x);
        }
    }
    let mut pairs = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let shared: Vec<usize> = (0..m).filter(|&k| x[i][k].is_some() && x[j][k].is_some()).collect();
            if !shared.is_empty() {
                pairs.push((i, j, shared, vars.add(variable().binary())));
            }
        }
    }
    let mut model = vars.minimise(objective).using(highs);
    model.set_verbose(false);
    let mut model = model.set_time_limit(time_limit_s.max(0.1)).set_threads(1);
    for j in 0..n {
        let mut one = Expression::from(0.0);
        for v in x[j].iter().flatten() {
            one += *v;
        }
        model = model.with(constraint!(one == 1.0));
        let task = &p.tasks[inst.jobs[j].task as usize];
        model = model.with(constraint!(s[j] >= task.ready_day));
        for (k, v) in x[j].iter().enumerate() {
            if let Some(v) = v {
                let team = &p.teams[k];
                if team.start_day > 0.0 {
                    model = model.with(constraint!(s[j] >= team.start_day * *v));
                }
                if let Some(end) = team.end_day {
                    let big = horizon + dur(j, k);
                    model = model.with(constraint!(s[j] + dur(j, k) * *v <= end + big * (1.0 - *v)));
                }
            }
        }
    }
    // Stages of a task in order.
    for stages in &inst.task_jobs {
        let chain: Vec<usize> = stages.iter().flatten().map(|&j| j as usize).collect();
        for w in chain.windows(2) {
            let (a, b) = (w[0], w[1]);
            model = model.with(constraint!(s[b] >= s[a] + dur_expr(a, &x)));
        }
    }
    for (i, j, shared, y) in &pairs {
        let (i, j) = (*i, *j);
        for &k in shared {
            let (xi, xj) = (x[i][k].expect("shared"), x[j][k].expect("shared"));
            let big = 2.0 * horizon;
            // y = 1: i before j on team k (when both are on k).
            model = model.with(constraint!(
                s[j] >= s[i] + dur(i, k) - big * (1.0 - *y) - big * (2.0 - xi - xj)
            ));
            model = model.with(constraint!(s[i] >= s[j] + dur(j, k) - big * *y - big * (2.0 - xi - xj)));
        }
    }
    let solution = match model.solve() {
        Ok(sol) => sol,
        Err(ResolutionError::Infeasible) | Err(_) => return None,
    };
    let optimal = matches!(solution.status(), SolutionStatus::Optimal | SolutionStatus::GapLimit);
    // Sequences: jobs on each team by start time.
    let mut per_team: Vec<Vec<(f64, u32)>> = vec![Vec::new(); m];
    for j in 0..n {
        let k = (0..m)
            .filter_map(|k| x[j][k].map(|v| (k, solution.value(v))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)?;
        per_team[k].push((solution.value(s[j]), j as u32));
    }
    let seqs = inst
        .layers
        .iter()
        .map(|(stage, _)| {
            per_team
                .iter()
                .map(|list| {
                    let mut l: Vec<(f64, u32)> = list
                        .iter()
                        .copied()
                        .filter(|&(_, j)| inst.jobs[j as usize].stage == *stage)
                        .collect();
                    l.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    l.into_iter().map(|(_, j)| j).collect()
                })
                .collect()
        })
        .collect();
    Some(Exact { seqs, optimal })
}
