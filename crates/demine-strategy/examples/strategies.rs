//! The three strategies on the region demo (SYNTHETIC): completion, residual predicted and true.
#[path = "../tests/common/region.rs"]
mod region;

use demine_strategy::*;

fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let r = region::region(seed);
    let c = &r.campaign;
    let reg = r.registry();
    let methods = Methods {
        evidence_radius_m: std::env::var("RADIUS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(100.0),
        ..Methods::default()
    };
    let units = hazard_units(&reg, &methods).unwrap();
    let f = fit(&units);
    let shares = learned_shares(&c.hazards, &c.activities, &r.release);
    println!("learned shares {shares:?}");
    let ctx = Context {
        hazards: &c.hazards,
        activities: &c.activities,
        units: &units,
        model: &f.model,
        methods,
        shares,
    };
    let start = c.activities.iter().map(|a| a.end_date).max().unwrap() + chrono::Duration::days(1);
    let base = demine_plan::Problem {
        start_date: start,
        tasks: registry_tasks(&c.hazards, &r.release, None),
        teams: registry_teams(&c.teams),
        rates: demine_plan::Rates::default(),
        travel: demine_plan::Travel {
            speed_km_per_h: std::env::var("SPEED").ok().and_then(|s| s.parse().ok()).unwrap_or(40.0),
            ..Default::default()
        },
        calendar: if std::env::var("NOCAL").is_ok() {
            demine_plan::CalendarSpec::None
        } else {
            demine_plan::CalendarSpec::Working(Default::default())
        },
    };
    let items = r.truth_items();
    let opts = EvalOptions::default();
    let horizons: Vec<f64> = std::env::args().skip(2).filter_map(|s| s.parse().ok()).collect();
    let skip_slow = std::env::var("SKIP_SLOW").is_ok();
    let mut runs: Vec<(StrategyKind, Option<f64>)> = if skip_slow {
        vec![]
    } else {
        vec![(StrategyKind::ClearAll, None), (StrategyKind::SurveyLed, None)]
    };
    for h in horizons {
        runs.push((StrategyKind::EvidenceLed, Some(h)));
    }
    let cap = Capacity::of(&base.teams);
    let evidence: Vec<(geo::Point<f64>, Option<&str>)> = c
        .finds
        .iter()
        .map(|f| (f.location, f.hazard_id.as_deref()))
        .chain(c.accidents.iter().map(|a| (a.location, a.hazard_id.as_deref())))
        .collect();
    for (kind, horizon) in runs {
        let t = std::time::Instant::now();
        let plan = match horizon {
            // A negative horizon: evidence-led at its fastest, as `demine strategy` decides it.
            Some(h) if h < 0.0 => decide_fastest(&ctx, &cap),
            Some(h) if h <= 0.0 => decide(&ctx, kind, Thresholds::default()),
            Some(h) => decide_for_horizon(&ctx, &cap, h),
            None => decide(&ctx, kind, Thresholds::default()),
        };
        let td = t.elapsed().as_secs_f64();
        let (pp, pl, _, e) = evaluate(&base, &plan, &opts);
        if std::env::var("DEBUG").is_ok() {
            println!(
                "plan completion {:.0} d, jobs {}",
                pl.completion_day,
                pl.assignments.len()
            );
            let mut v: Vec<_> = pl.assignments.iter().collect();
            v.sort_by(|a, b| b.end_day.total_cmp(&a.end_day));
            for a in v.iter().take(8) {
                let t = pp.teams.iter().find(|t| t.id == a.team).unwrap();
                println!(
                    "  {} {} {:?} {} {:.0} m2 {:.0}->{:.0} prod {:.0}",
                    a.task,
                    a.team,
                    t.kind,
                    a.stage.as_str(),
                    a.area_m2,
                    a.start_day,
                    a.end_day,
                    t.productivity_m2_per_day
                );
            }
            let mut by_kind = std::collections::BTreeMap::new();
            for a in &pl.assignments {
                let t = pp.teams.iter().find(|t| t.id == a.team).unwrap();
                let e = by_kind.entry(t.kind.as_str()).or_insert((0.0f64, 0.0f64));
                e.0 += a.area_m2;
                e.1 = e.1.max(a.end_day);
            }
            println!("  by kind (area, last end): {by_kind:?}");
            let mut by_team: std::collections::BTreeMap<&str, (f64, f64, usize, f64)> = Default::default();
            for a in &pl.assignments {
                let t = pp.teams.iter().find(|t| t.id == a.team).unwrap();
                let e = by_team
                    .entry(a.team.as_str())
                    .or_insert((0.0, 0.0, 0, t.productivity_m2_per_day));
                e.0 += a.area_m2 / t.productivity_m2_per_day;
                e.1 = e.1.max(a.end_day);
                e.2 += 1;
            }
            if let Ok(tm) = std::env::var("TEAM") {
                let mut v: Vec<_> = pl.assignments.iter().filter(|a| a.team == tm).collect();
                v.sort_by(|a, b| a.start_day.total_cmp(&b.start_day));
                for a in v {
                    println!(
                        "    {} {} {:.0} m2 {:.1}->{:.1}",
                        a.task,
                        a.stage.as_str(),
                        a.area_m2,
                        a.start_day,
                        a.end_day
                    );
                }
            }
            for (k, v) in &by_team {
                println!(
                    "  team {k}: workdays {:.0} last {:.0} jobs {} prod {:.0}",
                    v.0, v.1, v.2, v.3
                );
            }
        }
        let (truth, _) = true_residual_items(
            &plan,
            &c.hazards,
            &c.activities,
            &evidence,
            &items,
            &methods,
            region::RESOLUTION,
            seed,
        );
        println!("{kind} {:?}: P50 {} ({:.0} d) P90 {}  team-days {:.0} cost {:.2e}  cancel {:.1} reduce {:.1} clear {:.1} km2  residual expected {:.0} true {truth}  [decide {td:.1}s, total {:.1}s]",
            plan.thresholds.map(|t| (t.cancel_below, t.clear_above)), e.completion_p50, e.p50_days, e.completion_p90, e.team_days, e.cost,
            e.cancelled_m2 / 1e6, e.reduced_m2 / 1e6, e.cleared_m2 / 1e6, e.expected_residual_items, t.elapsed().as_secs_f64());
    }
}
