//! Text of the plan, the registry forecast, capacity and the strategies.

use crate::plan::{completion_date, is_continuous, when, CapacityAnswer, Forecasted, Planned};
use crate::strategy::{Point, Strategies};
use demine_strategy::StrategyKind;
use serde_json::Value;

/// A number of days, with years beyond two: "812 days (2.2 years)", "14.5 days".
pub fn fmt_days(d: f64) -> String {
    if d >= 730.0 {
        format!("{d:.0} days ({:.1} years)", d / 365.25)
    } else {
        format!("{d:.1} days")
    }
}

/// A start or end from [`when`] as plain text: its date, or "day 12.5" without a calendar.
pub fn plain(v: Value) -> String {
    match v {
        Value::Number(n) => format!("day {:.1}", n.as_f64().unwrap_or(0.0)),
        other => other.as_str().map(str::to_string).unwrap_or_default(),
    }
}

/// What `demine plan` prints: the plan's summary and its first 20 assignments.
pub fn plan_text(p: &Planned) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let (l, plan, pr) = (&p.loaded, &p.plan, &p.loaded.problem);
    if l.synthetic {
        let _ = writeln!(out, "SYNTHETIC data");
    }
    let _ = writeln!(
        out,
        "plan: {} tasks, {} teams, from {} ({} calendar), {}",
        pr.tasks.len(),
        pr.teams.len(),
        pr.start_date,
        if is_continuous(pr) { "continuous" } else { "working" },
        l.source
    );
    let _ = writeln!(
        out,
        "  objective Σ value × release time: {:.4e} value·days ({}); value = {}",
        plan.objective, plan.method, l.value_source
    );
    for (task, team, since) in &l.under_way {
        let _ = writeln!(
            out,
            "  under way: {task} stays with {team} first (last progress report {since})"
        );
    }
    match (plan.lower_bound, plan.gap()) {
        (Some(lb), Some(gap)) => {
            let _ = writeln!(out, "  lower bound: {lb:.4e} value·days, gap {:.2} %", gap * 100.0);
        }
        _ => {
            let _ = writeln!(out, "  lower bound: not known for this calendar");
        }
    }
    let _ = writeln!(
        out,
        "  completion: {} (after {})",
        completion_date(pr, plan.completion_day),
        fmt_days(plan.completion_day)
    );
    let total: f64 = pr.tasks.iter().map(|t| t.area_m2).sum();
    let _ = writeln!(
        out,
        "  land to release: {:.1} ha in {} pieces of work; planned in {:.2} s{}",
        total / 10_000.0,
        plan.assignments.len(),
        p.time_s,
        if plan.stopped_by_search_budget {
            " (stopped at the search budget; a larger --search-budget may find a better plan)"
        } else {
            ""
        }
    );
    if !plan.overrunning_teams.is_empty() {
        let _ = writeln!(
            out,
            "  warning: {} team(s) work past their end date: {}",
            plan.overrunning_teams.len(),
            plan.overrunning_teams.join(", ")
        );
    }
    for x in plan.assignments.iter().take(20) {
        let _ = writeln!(
            out,
            "  {:<14} {:<12} {:<9} {} → {}  {:.0} m²",
            x.task,
            x.team,
            x.stage.as_str(),
            plain(when(pr, x.start_day, false)),
            plain(when(pr, x.end_day, true)),
            x.area_m2
        );
    }
    if plan.assignments.len() > 20 {
        let _ = writeln!(
            out,
            "  … {} more (--json or --csv FILE for all)",
            plan.assignments.len() - 20
        );
    }
    out
}

/// What `demine forecast` prints for a registry or CSV plan: P10/P50/P90 completion and the
/// assumptions of the Monte Carlo runs.
pub fn forecast_text(f: &Forecasted) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let p = &f.loaded.problem;
    if f.loaded.synthetic {
        let _ = writeln!(out, "SYNTHETIC data");
    }
    let _ = writeln!(
        out,
        "forecast: {} Monte Carlo runs (seed {}), {} tasks, {} teams, from {}",
        f.forecast.runs,
        f.seed,
        p.tasks.len(),
        p.teams.len(),
        p.start_date
    );
    let _ = writeln!(
        out,
        "  completion P10 {} ({}), P50 {} ({}), P90 {} ({})",
        completion_date(p, f.forecast.p10_day),
        fmt_days(f.forecast.p10_day),
        completion_date(p, f.forecast.p50_day),
        fmt_days(f.forecast.p50_day),
        completion_date(p, f.forecast.p90_day),
        fmt_days(f.forecast.p90_day)
    );
    let _ = writeln!(
        out,
        "  plan without uncertainty: {}; planned in {:.2} s, simulated in {:.2} s",
        completion_date(p, f.plan.completion_day),
        f.plan_s,
        f.monte_carlo_s
    );
    let _ = writeln!(
        out,
        "  assumptions: time per piece of work lognormal, mean 1, σ {:.2} ({}); downtime × 0.5–1.5; \
         NTS/TS shares ± {:.2}; task areas × lognormal(μ {:.2}, σ {:.2})",
        f.options.productivity_sigma,
        f.sigma_source,
        f.options.rate_sd,
        f.options.area_growth_mu,
        f.options.area_growth_sigma
    );
    out
}

/// What `demine capacity` prints: the cheapest extra teams that finish by the deadline, or the
/// earliest date at the confidence asked when no mix can.
pub fn capacity_text(c: &CapacityAnswer) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let v = crate::plan::capacity_json(c);
    if c.loaded.synthetic {
        let _ = writeln!(out, "SYNTHETIC data");
    }
    let mix: Vec<String> = v["extra_teams"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                .map(|(k, n)| format!("{k}:{n}"))
                .collect()
        })
        .unwrap_or_default();
    let ans = &c.answer;
    if ans.achievable {
        let _ = writeln!(
            out,
            "capacity: to finish by {} with probability {:.0} %: add {} (cost {:.0} per day); P = {:.0} % over {} runs, {} trial mixes",
            c.deadline,
            c.settings.confidence * 100.0,
            if mix.is_empty() { "no teams".into() } else { mix.join(", ") },
            ans.cost_per_day,
            ans.probability * 100.0,
            c.settings.runs,
            ans.trials
        );
    } else {
        let earliest = ans
            .earliest_day_at_confidence
            .unwrap_or(ans.completion_day_at_confidence);
        let _ = writeln!(
            out,
            "capacity: no mix can finish by {} with probability {:.0} %; the earliest at this confidence is {} (best tried: {}, P = {:.0} %)",
            c.deadline,
            c.settings.confidence * 100.0,
            completion_date(&c.loaded.problem, earliest),
            if mix.is_empty() { "no teams".into() } else { mix.join(", ") },
            ans.probability * 100.0
        );
    }
    out
}

/// What `demine strategy` prints: [`strategies_text`], a line each.
pub fn strategy_text(s: &Strategies, hazards: usize) -> String {
    let mut out = String::new();
    for l in strategies_text(s, hazards) {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The strategies in lines of text: one per strategy, the frontier, notes, and the chosen
/// strategy's first `hazards` hazards (by expected items left) with their actions.
pub fn strategies_text(s: &Strategies, hazards: usize) -> Vec<String> {
    let mut out = vec![format!(
        "strategies{}: from {}, completion P10/P50/P90; released km² cancelled/reduced/cleared; items left in released land",
        if s.synthetic { " (SYNTHETIC)" } else { "" },
        s.start_date
    )];
    for r in &s.runs {
        let e = &r.evaluation;
        out.push(format!(
            "  {:<13} {} / {} / {}  {:>9.0} team-days  cost {:.3e}  {:.1}/{:.1}/{:.1} km²  expected {:.0}{}",
            r.plan.kind.as_str(),
            e.completion_p10,
            e.completion_p50,
            e.completion_p90,
            e.team_days,
            e.cost,
            e.cancelled_m2 / 1e6,
            e.reduced_m2 / 1e6,
            e.cleared_m2 / 1e6,
            e.expected_residual_items,
            r.true_residual_items.map_or(String::new(), |t| format!(", true {t}"))
        ));
    }
    if let (Some(c), Some(e)) = (
        s.runs.iter().find(|r| r.plan.kind == StrategyKind::ClearAll),
        s.runs.iter().find(|r| r.plan.kind == StrategyKind::EvidenceLed),
    ) {
        if e.evaluation.p50_days > 0.0 {
            out.push(format!(
                "  evidence-led finishes {:.1}× sooner than clear-all (P50), leaving {:.0} expected items (P(any) ≥ 0.5 in {} of {} hazards)",
                c.evaluation.p50_days / e.evaluation.p50_days,
                e.evaluation.expected_residual_items,
                e.evaluation.hazards_p_any_over_half,
                e.plan.hazards.len()
            ));
        }
    }
    out.push(format!(
        "  frontier (completion at {:.0} % confidence → expected items left):",
        s.confidence * 100.0
    ));
    let mut pts: Vec<&Point> = s.frontier.iter().collect();
    pts.sort_by_key(|p| p.completion_at_confidence);
    out.push(format!(
        "    {}",
        pts.iter()
            .map(|p| format!(
                "{} {:.0}{}",
                p.completion_at_confidence,
                p.expected_residual_items,
                if p.horizon_days.is_none() { " (clear-all)" } else { "" }
            ))
            .collect::<Vec<_>>()
            .join(" · ")
    ));
    for n in &s.notes {
        out.push(format!("  note: {n}"));
    }
    if hazards > 0 {
        let chosen = s.chosen();
        let mut hz: Vec<&demine_strategy::HazardDecision> = chosen.plan.hazards.iter().collect();
        hz.sort_by(|a, b| {
            b.expected_residual_items
                .total_cmp(&a.expected_residual_items)
                .then(a.id.cmp(&b.id))
        });
        out.push(format!(
            "  {} per hazard (most expected items left first; --json for {} more):",
            chosen.plan.kind,
            hz.len().saturating_sub(hazards)
        ));
        for h in hz.iter().take(hazards) {
            out.push(format!(
                "    {:<12} {:>8.1} ha  {:.2} items left, P(any) {:.2}: {}",
                h.id,
                h.remaining_m2 / 1e4,
                h.expected_residual_items,
                h.p_any_residual,
                h.summary
            ));
        }
    }
    out
}
