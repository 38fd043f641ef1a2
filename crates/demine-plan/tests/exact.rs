//! The planner against exhaustive enumeration on small instances (the acceptance bar: within
//! 1 % of the true optimum with ≤ 12 tasks and ≤ 3 teams, no travel, continuous time, tasks
//! not splittable).

use chrono::NaiveDate;
use demine_plan::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const KINDS: [TeamKind; 3] = [TeamKind::Manual, TeamKind::Mechanical, TeamKind::Mdd];

fn random_problem(rng: &mut ChaCha8Rng, n_tasks: usize, n_teams: usize, with_ready: bool) -> Problem {
    let teams: Vec<Team> = (0..n_teams)
        .map(|k| Team {
            id: format!("T{k}"),
            kind: KINDS[rng.gen_range(0..3)],
            productivity_m2_per_day: rng.gen_range(50.0..500.0),
            productivity_by_terrain: vec![],
            base: None,
            start_day: if with_ready { rng.gen_range(0.0..5.0) } else { 0.0 },
            end_day: None,
            cost_per_day: 1000.0,
        })
        .collect();
    let tasks = (0..n_tasks)
        .map(|i| {
            // Some tasks restricted to one method that some team has.
            let methods = if rng.gen_bool(0.3) {
                vec![teams[rng.gen_range(0..n_teams)].kind]
            } else {
                vec![]
            };
            Task {
                id: format!("t{i}"),
                area_m2: rng.gen_range(100.0..5000.0),
                value: rng.gen_range(0.1..10.0),
                site: None,
                stage: Stage::Clearance,
                methods,
                terrain: None,
                ready_day: if with_ready { rng.gen_range(0.0..20.0) } else { 0.0 },
                splittable: false,
                under_way_by: None,
                prepare_ground: false,
            }
        })
        .collect();
    Problem {
        start_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    }
}

/// Best order of `jobs` on one team, trying every permutation (ready dates make WSPT inexact).
fn best_sequence(p: &Problem, k: usize, jobs: &mut Vec<usize>, fixed: usize, t: f64, acc: f64, best: &mut f64) {
    if acc >= *best {
        return;
    }
    if fixed == jobs.len() {
        *best = acc;
        return;
    }
    for i in fixed..jobs.len() {
        jobs.swap(fixed, i);
        let task = &p.tasks[jobs[fixed]];
        let end = t.max(task.ready_day) + task.area_m2 / p.teams[k].productivity_on(task.terrain.as_deref());
        best_sequence(p, k, jobs, fixed + 1, end, acc + task.value * end, best);
        jobs.swap(fixed, i);
    }
}

/// True optimum: every assignment of tasks to teams, every order on each team.
fn brute_force(p: &Problem) -> f64 {
    let n = p.tasks.len();
    let m = p.teams.len();
    let mut best = f64::INFINITY;
    let mut assign = vec![0usize; n];
    'outer: loop {
        let feasible = (0..n).all(|i| p.teams[assign[i]].can_do(&p.tasks[i], Stage::Clearance));
        if feasible {
            let mut total = 0.0;
            for k in 0..m {
                let mut jobs: Vec<usize> = (0..n).filter(|&i| assign[i] == k).collect();
                let mut b = f64::INFINITY;
                best_sequence(p, k, &mut jobs, 0, p.teams[k].start_day, 0.0, &mut b);
                total += b;
            }
            best = best.min(total);
        }
        for a in assign.iter_mut() {
            *a += 1;
            if *a < m {
                continue 'outer;
            }
            *a = 0;
        }
        break;
    }
    best
}

fn has_team_for_each(p: &Problem) -> bool {
    p.tasks
        .iter()
        .all(|t| p.teams.iter().any(|k| k.can_do(t, Stage::Clearance)))
}

#[test]
fn within_one_percent_of_brute_force_with_ready_dates() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut checked = 0;
    while checked < 12 {
        let n = rng.gen_range(3..=7);
        let m = rng.gen_range(1..=3);
        let p = random_problem(&mut rng, n, m, true);
        if !has_team_for_each(&p) {
            continue;
        }
        let truth = brute_force(&p);
        let plan = plan(
            &p,
            &PlanOptions {
                seed: 3,
                search_budget_s: 20.0,
                ..Default::default()
            },
        );
        assert!(
            plan.objective <= truth * 1.01 + 1e-6,
            "instance {checked}: planner {} vs optimum {truth}",
            plan.objective
        );
        // The plan is a real schedule: it cannot beat the optimum.
        assert!(plan.objective >= truth * (1.0 - 1e-6) - 1e-6);
        if let Some(lb) = plan.lower_bound {
            assert!(
                lb <= truth * (1.0 + 1e-6) + 1e-6,
                "lower bound {lb} above optimum {truth}"
            );
        }
        checked += 1;
    }
}

/// With no ready dates each team's best order is Smith's rule (value/duration descending), so
/// 12 tasks × 3 teams is enumerated over the 3¹² assignments.
fn optimum_by_assignment(p: &Problem) -> f64 {
    let n = p.tasks.len();
    let m = p.teams.len();
    let mut best = f64::INFINITY;
    let mut assign = vec![0usize; n];
    'outer: loop {
        if (0..n).all(|i| p.teams[assign[i]].can_do(&p.tasks[i], Stage::Clearance)) {
            let mut total = 0.0;
            for k in 0..m {
                let prod = p.teams[k].productivity_m2_per_day;
                let mut jobs: Vec<(f64, f64)> = (0..n)
                    .filter(|&i| assign[i] == k)
                    .map(|i| (p.tasks[i].area_m2 / prod, p.tasks[i].value))
                    .collect();
                jobs.sort_by(|a, b| (b.1 / b.0).total_cmp(&(a.1 / a.0)));
                let mut t = 0.0;
                for (d, w) in jobs {
                    t += d;
                    total += w * t;
                }
                if total >= best {
                    break;
                }
            }
            best = best.min(total);
        }
        for a in assign.iter_mut() {
            *a += 1;
            if *a < m {
                continue 'outer;
            }
            *a = 0;
        }
        break;
    }
    best
}

#[test]
fn twelve_tasks_three_teams_within_one_percent() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut checked = 0;
    while checked < 3 {
        let p = random_problem(&mut rng, 12, 3, false);
        if !has_team_for_each(&p) {
            continue;
        }
        let truth = optimum_by_assignment(&p);
        let plan = plan(
            &p,
            &PlanOptions {
                seed: 5,
                search_budget_s: 30.0,
                ..Default::default()
            },
        );
        assert!(
            plan.objective <= truth * 1.01 + 1e-6,
            "planner {} vs optimum {truth}",
            plan.objective
        );
        assert!(plan.objective >= truth * (1.0 - 1e-6) - 1e-6);
        checked += 1;
    }
}

/// The lower bound the plan reports must never exceed the true optimum (heterogeneous teams,
/// methods restricting tasks to some kinds, ready days and team start days).
#[test]
fn lower_bound_never_exceeds_the_optimum() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let mut checked = 0;
    while checked < 20 {
        let n = rng.gen_range(2..=7);
        let m = rng.gen_range(1..=3);
        let mut p = random_problem(&mut rng, n, m, checked % 2 == 0);
        if !has_team_for_each(&p) {
            continue;
        }
        // Half the instances: productivity by terrain (unrelated rather than uniform teams).
        if checked % 4 < 2 {
            for t in &mut p.tasks {
                t.terrain = [None, Some("forest"), Some("farmland")][rng.gen_range(0..3)].map(String::from);
            }
            for k in &mut p.teams {
                k.productivity_by_terrain = vec![("forest".into(), rng.gen_range(20.0..400.0))];
            }
        }
        let truth = brute_force(&p);
        let lb = lower_bound(&p).expect("continuous time has a bound");
        assert!(lb <= truth * (1.0 + 1e-9) + 1e-9, "bound {lb} above optimum {truth}");
        let planned = plan(
            &p,
            &PlanOptions {
                seed: 1,
                search_budget_s: 20.0,
                ..Default::default()
            },
        );
        assert!(planned.objective <= truth * 1.01 + 1e-6 && planned.objective >= truth * (1.0 - 1e-6) - 1e-6);
        checked += 1;
    }
}

/// On one team with nothing else binding, the bound is the optimum itself (Smith's rule), so
/// it is not needlessly weak; on several teams it still closes most of the gap.
#[test]
fn lower_bound_is_tight_on_one_team_and_close_on_several() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let mut p = random_problem(&mut rng, 7, 1, false);
    for t in &mut p.tasks {
        t.methods.clear();
    }
    let truth = brute_force(&p);
    let lb = lower_bound(&p).unwrap();
    assert!((lb - truth).abs() <= 1e-9 * truth, "bound {lb}, optimum {truth}");

    let mut checked = 0;
    while checked < 5 {
        let mut p = random_problem(&mut rng, 8, 3, false);
        for t in &mut p.tasks {
            t.methods.clear();
        }
        let truth = optimum_by_assignment(&p);
        let lb = lower_bound(&p).unwrap();
        assert!(lb <= truth * (1.0 + 1e-9));
        assert!(lb >= 0.6 * truth, "bound {lb} far below optimum {truth}");
        checked += 1;
    }
}
