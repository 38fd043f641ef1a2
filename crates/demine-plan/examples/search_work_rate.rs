//! Measures how much search work (jobs priced) a release build does per second on this machine,
//! on SYNTHETIC instances like the planning bench's (1,000 tasks × 50 teams with travel), with
//! continuous time and with a working calendar. `WORK_UNITS_PER_BUDGET_S` in `plan.rs` is this
//! figure on the reference machine; run it elsewhere to see how a budget second maps to wall
//! time there.
//!
//! `cargo run --release -p demine-plan --example search_work_rate [SEED] [--no-calendar]`

use chrono::NaiveDate;
use demine_plan::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn instance(seed: u64, n_tasks: usize, n_teams: usize, calendar: CalendarSpec) -> Problem {
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
            methods: vec![],
            terrain: None,
            ready_day: 0.0,
            splittable: false,
            under_way_by: None,
            prepare_ground: false,
        })
        .collect();
    Problem {
        start_date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date"),
        tasks,
        teams,
        rates: Rates::default(),
        travel: Travel::default(),
        calendar,
    }
}

fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    // The working calendar takes minutes to converge: `--no-calendar` skips it.
    let with_calendar = !std::env::args().any(|a| a == "--no-calendar");
    println!("SYNTHETIC instances, seed {seed}; budget large enough to converge");
    let mut calendars = vec![("continuous time", CalendarSpec::None)];
    if with_calendar {
        calendars.push(("working calendar", CalendarSpec::Working(WorkingCalendar::default())));
    }
    for (name, calendar) in calendars {
        let p = instance(seed, 1000, 50, calendar);
        let t0 = Instant::now();
        let plan = plan(
            &p,
            &PlanOptions {
                seed,
                search_budget_s: 1e6,
                ..Default::default()
            },
        );
        let wall_s = t0.elapsed().as_secs_f64();
        let rate = plan.search_work_units as f64 / wall_s;
        println!(
            "{name:>17}: {} work units in {wall_s:.2} s = {:.2} M units/s; one budget second = {:.2} s here",
            plan.search_work_units,
            rate / 1e6,
            WORK_UNITS_PER_BUDGET_S / rate
        );
    }
}
