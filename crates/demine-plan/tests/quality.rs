//! Schedule quality on mid-sized instances with travel and uniform (different-speed) teams:
//! the plan is priced independently here, and must beat a WSPT list schedule that gives each
//! task to the team free first, as the planning bench's baseline does.

use chrono::NaiveDate;
use demine_plan::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn instance(seed: u64, n_tasks: usize, n_teams: usize) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let teams = (0..n_teams)
        .map(|k| {
            let (kind, prod) = match k % 6 {
                0 => (TeamKind::Mechanical, rng.gen_range(3000.0..6000.0)),
                1 | 2 => (TeamKind::Mdd, rng.gen_range(800.0..1500.0)),
                _ => (TeamKind::Manual, rng.gen_range(300.0..600.0)),
            };
            Team {
                id: format!("k{k}"),
                kind,
                productivity_m2_per_day: prod,
                productivity_by_terrain: vec![],
                base: Some((rng.gen_range(35.0..37.0), rng.gen_range(49.5..50.5))),
                start_day: 0.0,
                end_day: None,
                cost_per_day: 1.0,
            }
        })
        .collect();
    let tasks = (0..n_tasks)
        .map(|i| Task {
            id: format!("t{i}"),
            area_m2: rng.gen_range(2000.0..40000.0),
            value: rng.gen_range(1.0..10.0),
            site: Some((rng.gen_range(35.0..37.0), rng.gen_range(49.5..50.5))),
            stage: Stage::Clearance,
            methods: if rng.gen_bool(0.2) {
                vec![TeamKind::Manual, TeamKind::Mdd]
            } else {
                vec![]
            },
            terrain: None,
            ready_day: 0.0,
            splittable: false,
            under_way_by: None,
            prepare_ground: false,
        })
        .collect();
    Problem {
        start_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar: CalendarSpec::None,
    }
}

/// Σ value × end of fixed team sequences, travel from the base then site to site.
fn price(p: &Problem, seqs: &[Vec<usize>]) -> f64 {
    let mut total = 0.0;
    for (k, seq) in seqs.iter().enumerate() {
        let team = &p.teams[k];
        let (mut t, mut pos) = (0.0, team.base.unwrap());
        for &j in seq {
            let site = p.tasks[j].site.unwrap();
            t += p.travel.days(pos, site) + p.tasks[j].area_m2 / team.productivity_m2_per_day;
            pos = site;
            total += p.tasks[j].value * t;
        }
    }
    total
}

fn list_schedule(p: &Problem) -> Vec<Vec<usize>> {
    let eligible = |j: usize| (0..p.teams.len()).filter(move |&k| p.teams[k].can_do(&p.tasks[j], Stage::Clearance));
    let mean = |j: usize| {
        let v: Vec<f64> = eligible(j).map(|k| p.teams[k].productivity_m2_per_day).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let mut order: Vec<usize> = (0..p.tasks.len()).collect();
    order.sort_by(|&a, &b| {
        let r = |j: usize| p.tasks[j].value / (p.tasks[j].area_m2 / mean(j));
        r(b).total_cmp(&r(a))
    });
    let mut free = vec![0.0f64; p.teams.len()];
    let mut pos: Vec<(f64, f64)> = p.teams.iter().map(|t| t.base.unwrap()).collect();
    let mut seqs = vec![Vec::new(); p.teams.len()];
    for j in order {
        let k = eligible(j).min_by(|&a, &b| free[a].total_cmp(&free[b])).unwrap();
        let site = p.tasks[j].site.unwrap();
        free[k] += p.travel.days(pos[k], site) + p.tasks[j].area_m2 / p.teams[k].productivity_m2_per_day;
        pos[k] = site;
        seqs[k].push(j);
    }
    seqs
}

#[test]
fn plan_is_priced_right_and_beats_the_list_schedule_on_fast_and_slow_teams() {
    let p = instance(5, 240, 12);
    let plan = plan(
        &p,
        &PlanOptions {
            seed: 5,
            search_budget_s: 60.0,
            ..Default::default()
        },
    );
    // Rebuild each team's sequence from the assignments and price it here.
    let mut seqs = vec![Vec::new(); p.teams.len()];
    let mut by_start: Vec<&Assignment> = plan.assignments.iter().collect();
    by_start.sort_by(|a, b| a.start_day.total_cmp(&b.start_day));
    for a in by_start {
        let k = p.teams.iter().position(|t| t.id == a.team).unwrap();
        let j = p.tasks.iter().position(|t| t.id == a.task).unwrap();
        assert!(
            p.teams[k].can_do(&p.tasks[j], Stage::Clearance),
            "{} on {}",
            a.task,
            a.team
        );
        seqs[k].push(j);
    }
    assert_eq!(seqs.iter().map(Vec::len).sum::<usize>(), p.tasks.len());
    let ours = price(&p, &seqs);
    assert!(
        (ours - plan.objective).abs() <= 1e-6 * ours,
        "{ours} vs reported {}",
        plan.objective
    );
    let baseline = price(&p, &list_schedule(&p));
    assert!(
        ours <= 0.95 * baseline,
        "plan {ours:.0} is not 5 % better than the list schedule {baseline:.0}"
    );
    let lb = plan.lower_bound.unwrap();
    assert!(lb <= ours && lb >= 0.8 * ours, "bound {lb:.0} vs plan {ours:.0}");
}

/// Work under way stays where it is: the team on site keeps the task first, whatever the
/// search would prefer, in continuous time and on a working calendar.
#[test]
fn work_under_way_keeps_its_team_first() {
    for calendar in [CalendarSpec::None, CalendarSpec::Working(WorkingCalendar::default())] {
        let mut p = instance(9, 30, 6);
        p.calendar = calendar;
        // The lowest-value, largest task, on the slowest manual team: no search would put it first.
        let slow = (0..p.teams.len())
            .filter(|&k| p.teams[k].kind == TeamKind::Manual)
            .min_by(|&a, &b| {
                p.teams[a]
                    .productivity_m2_per_day
                    .total_cmp(&p.teams[b].productivity_m2_per_day)
            })
            .unwrap();
        let t = (0..p.tasks.len())
            .min_by(|&a, &b| {
                (p.tasks[a].value / p.tasks[a].area_m2).total_cmp(&(p.tasks[b].value / p.tasks[b].area_m2))
            })
            .unwrap();
        p.tasks[t].methods.clear();
        p.tasks[t].under_way_by = Some(p.teams[slow].id.clone());
        let plan = plan(
            &p,
            &PlanOptions {
                seed: 2,
                search_budget_s: 60.0,
                ..Default::default()
            },
        );
        let on_slow: Vec<&Assignment> = plan.assignments.iter().filter(|a| a.team == p.teams[slow].id).collect();
        let first = on_slow
            .iter()
            .min_by(|a, b| a.start_day.total_cmp(&b.start_day))
            .unwrap();
        assert_eq!(first.task, p.tasks[t].id);
        assert_eq!(plan.assignments.iter().filter(|a| a.task == p.tasks[t].id).count(), 1);
        assert!((first.area_m2 - p.tasks[t].area_m2).abs() < 1e-6);
    }
}

/// A search cut short by its budget gives the same plan whatever the machine's load: the budget
/// is counted work, not the clock (a forecast in the web app must equal the CLI's for one seed).
#[test]
fn a_budget_cut_search_is_the_same_under_load() {
    let p = instance(11, 300, 20);
    let opts = PlanOptions {
        seed: 4,
        search_budget_s: 0.01,
        ..Default::default()
    };
    let quiet = plan(&p, &opts);
    assert!(quiet.stopped_by_search_budget, "the budget must cut this search short");
    // Every core busy while the second search runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let burners: Vec<_> = (0..std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    let loaded = plan(&p, &opts);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in burners {
        b.join().expect("a burner thread");
    }
    assert_eq!(quiet.search_work_units, loaded.search_work_units);
    assert_eq!(quiet.assignments, loaded.assignments);
    assert_eq!(quiet.objective, loaded.objective);
    // A larger budget is allowed to do better, never worse than the cut search's start.
    let longer = plan(
        &p,
        &PlanOptions {
            search_budget_s: 10.0,
            ..opts
        },
    );
    assert!(longer.search_work_units > quiet.search_work_units);
    assert!(longer.objective <= quiet.objective + 1e-9 * quiet.objective.abs());
}
