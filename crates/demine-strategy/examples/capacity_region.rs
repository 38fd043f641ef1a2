//! `capacity --deadline` on the region demo (SYNTHETIC), timed: the engine side of the CLI.
//! `cargo run --release -p demine-strategy --example capacity_region -- SEED MONTHS STRATEGY`
#[path = "../tests/common/region.rs"]
mod region;

use demine_strategy::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let months: i64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let kind: StrategyKind = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(StrategyKind::EvidenceLed);
    let r = region::region(seed);
    let c = &r.campaign;
    let reg = r.registry();
    let methods = Methods::default();
    let units = hazard_units(&reg, &methods).unwrap();
    let f = fit(&units);
    let ctx = Context {
        hazards: &c.hazards,
        activities: &c.activities,
        units: &units,
        model: &f.model,
        methods,
        shares: learned_shares(&c.hazards, &c.activities, &r.release),
    };
    let start = c.activities.iter().map(|a| a.end_date).max().unwrap() + chrono::Duration::days(1);
    let mut p = demine_plan::Problem {
        start_date: start,
        tasks: registry_tasks(&c.hazards, &r.release, None),
        teams: registry_teams(&c.teams),
        rates: demine_plan::Rates::default(),
        travel: demine_plan::Travel::default(),
        calendar: demine_plan::CalendarSpec::Working(Default::default()),
    };
    let plan = match kind {
        StrategyKind::EvidenceLed => decide_for_horizon(&ctx, &Capacity::of(&p.teams), 150.0),
        k => decide(&ctx, k, Thresholds::default()),
    };
    apply_to_problem(&mut p, &plan);
    if std::env::var("TIMING").is_ok() {
        timing(&p);
        return;
    }
    let deadline = start + chrono::Months::new(months as u32);
    let t = std::time::Instant::now();
    let a = demine_plan::capacity(
        &p,
        &demine_plan::CapacityOptions {
            deadline_day: (deadline - start).num_days() as f64 + 1.0,
            confidence: 0.9,
            forecast: demine_plan::ForecastOptions {
                runs: 200,
                seed: 1,
                ..Default::default()
            },
            plan_budget_s: 1.0,
            max_rounds: 40,
        },
    );
    let secs = t.elapsed().as_secs_f64();
    let date = |d: f64| demine_plan::calendar::end_date_of(start, d);
    println!("SYNTHETIC {kind}, deadline {deadline}: achievable {} extra {:?} P {:.2} at-confidence {} earliest {:?}; {} trials in {secs:.1} s",
        a.achievable, a.extra, a.probability, date(a.completion_day_at_confidence), a.earliest_day_at_confidence.map(date), a.trials);
}

#[allow(dead_code)]
pub fn timing(p: &demine_plan::Problem) {
    for factor in [0usize, 15] {
        let counts = [33 * factor, 12 * factor, 8 * factor, 11 * factor, 11 * factor];
        let q = demine_plan::forecast::add_teams(p, &counts);
        let t = std::time::Instant::now();
        let pl = demine_plan::plan(
            &q,
            &demine_plan::PlanOptions {
                seed: 1,
                search_budget_s: 0.5,
                lns_steps_per_job: 0,
                exact: false,
            },
        );
        let tp = t.elapsed().as_secs_f64();
        let fo = demine_plan::ForecastOptions {
            runs: 30,
            ..Default::default()
        };
        let f = demine_plan::forecast(&q, &pl, &fo);
        let tf = t.elapsed().as_secs_f64() - tp;
        let days = demine_plan::completion_days(&q, &pl, &fo);
        assert_eq!(days, f.completion_days, "the same runs, the same days");
        println!(
            "factor {factor}: plan {tp:.2}s, forecast with the released band {tf:.2}s, completion days only {:.2}s",
            t.elapsed().as_secs_f64() - tp - tf
        );
    }
}
