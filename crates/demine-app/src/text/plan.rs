//! Text of the plan, the registry forecast, capacity and the strategies.

use super::{line, tr, tr_fill, tr_note, Lang};
use crate::plan::{completion_date, is_continuous, when, CapacityAnswer, Forecasted, Planned};
use crate::strategy::{Point, Strategies};
use demine_strategy::StrategyKind;
use serde_json::Value;

/// A number of days, with years beyond two: "812 days (2.2 years)", "14.5 days".
pub fn fmt_days(d: f64, lang: Lang) -> String {
    if d >= 730.0 {
        tr_fill(
            lang,
            "{} days, {} years",
            &[&format!("{d:.0}"), &format!("{:.1}", d / 365.25)],
        )
    } else {
        tr_fill(lang, "{} days", &[&format!("{d:.1}")])
    }
}

/// A start or end from [`when`] as plain text: its date, or "day 12.5" without a calendar.
pub fn plain(v: Value, lang: Lang) -> String {
    match v {
        Value::Number(n) => tr_fill(lang, "day {}", &[&format!("{:.1}", n.as_f64().unwrap_or(0.0))]),
        other => other.as_str().map(str::to_string).unwrap_or_default(),
    }
}

/// "SYNTHETIC data" on its own line, as the plan, the forecast and capacity begin.
fn synthetic_line(out: &mut String, synthetic: bool, lang: Lang) {
    if synthetic {
        out.push_str(tr(lang, "SYNTHETIC data"));
        out.push('\n');
    }
}

/// What `demine plan` prints: the plan's summary and its first 20 assignments.
pub fn plan_text(p: &Planned, lang: Lang) -> String {
    let mut out = String::new();
    let (l, plan, pr) = (&p.loaded, &p.plan, &p.loaded.problem);
    synthetic_line(&mut out, l.synthetic, lang);
    line(
        &mut out,
        tr_fill(
            lang,
            "plan: {} tasks, {} teams, from {} ({} calendar), {}",
            &[
                &pr.tasks.len(),
                &pr.teams.len(),
                &pr.start_date,
                &tr(lang, if is_continuous(pr) { "continuous" } else { "working" }),
                &tr_note(lang, &l.source),
            ],
        ),
    );
    line(
        &mut out,
        tr_fill(
            lang,
            "  objective Σ value × release time: {} value·days ({}); value = {}",
            &[
                &format!("{:.4e}", plan.objective),
                &tr_note(lang, plan.method),
                &l.value_source,
            ],
        ),
    );
    for (task, team, since) in &l.under_way {
        line(
            &mut out,
            tr_fill(
                lang,
                "  under way: {} stays with {} first (last progress report {})",
                &[task, team, since],
            ),
        );
    }
    match (plan.lower_bound, plan.gap()) {
        (Some(lb), Some(gap)) => line(
            &mut out,
            tr_fill(
                lang,
                "  lower bound: {} value·days, gap {} %",
                &[&format!("{lb:.4e}"), &format!("{:.2}", gap * 100.0)],
            ),
        ),
        _ => line(&mut out, tr(lang, "  lower bound: not known for this calendar")),
    }
    line(
        &mut out,
        tr_fill(
            lang,
            "  completion: {} (after {})",
            &[
                &completion_date(pr, plan.completion_day),
                &fmt_days(plan.completion_day, lang),
            ],
        ),
    );
    let total: f64 = pr.tasks.iter().map(|t| t.area_m2).sum();
    line(
        &mut out,
        tr_fill(
            lang,
            "  land to release: {} ha in {} pieces of work; planned in {} s{}",
            &[
                &format!("{:.1}", total / 10_000.0),
                &plan.assignments.len(),
                &format!("{:.2}", p.time_s),
                &if plan.stopped_by_search_budget {
                    tr(
                        lang,
                        " (stopped at the search budget; a larger --search-budget may find a better plan)",
                    )
                } else {
                    ""
                },
            ],
        ),
    );
    if !plan.overrunning_teams.is_empty() {
        line(
            &mut out,
            tr_fill(
                lang,
                "  warning: {} team(s) work past their end date: {}",
                &[&plan.overrunning_teams.len(), &plan.overrunning_teams.join(", ")],
            ),
        );
    }
    for x in plan.assignments.iter().take(20) {
        out.push_str(&format!(
            "  {:<14} {:<12} {:<9} {} → {}  {:.0} m²\n",
            x.task,
            x.team,
            x.stage.as_str(),
            plain(when(pr, x.start_day, false), lang),
            plain(when(pr, x.end_day, true), lang),
            x.area_m2
        ));
    }
    if plan.assignments.len() > 20 {
        line(
            &mut out,
            tr_fill(
                lang,
                "  … {} more (--json or --csv FILE for all)",
                &[&(plan.assignments.len() - 20)],
            ),
        );
    }
    out
}

/// What `demine forecast` prints for a registry or CSV plan: P10/P50/P90 completion and the
/// assumptions of the Monte Carlo runs.
pub fn forecast_text(f: &Forecasted, lang: Lang) -> String {
    let mut out = String::new();
    let p = &f.loaded.problem;
    synthetic_line(&mut out, f.loaded.synthetic, lang);
    line(
        &mut out,
        tr_fill(
            lang,
            "forecast: {} Monte Carlo runs (seed {}), {} tasks, {} teams, from {}",
            &[&f.forecast.runs, &f.seed, &p.tasks.len(), &p.teams.len(), &p.start_date],
        ),
    );
    let at = |day: f64| [completion_date(p, day), fmt_days(day, lang)];
    let [p10, p10_days] = at(f.forecast.p10_day);
    let [p50, p50_days] = at(f.forecast.p50_day);
    let [p90, p90_days] = at(f.forecast.p90_day);
    line(
        &mut out,
        tr_fill(
            lang,
            "  completion P10 {} ({}), P50 {} ({}), P90 {} ({})",
            &[&p10, &p10_days, &p50, &p50_days, &p90, &p90_days],
        ),
    );
    line(
        &mut out,
        tr_fill(
            lang,
            "  plan without uncertainty: {}; planned in {} s, simulated in {} s",
            &[
                &completion_date(p, f.plan.completion_day),
                &format!("{:.2}", f.plan_s),
                &format!("{:.2}", f.monte_carlo_s),
            ],
        ),
    );
    line(
        &mut out,
        tr_fill(
            lang,
            "  assumptions: time per piece of work lognormal, mean 1, σ {} from site to site and {} a day over the piece's working days ({}); downtime × 0.5–1.5; NTS/TS shares ± {}; task areas × lognormal(μ {}, σ {})",
            &[
                &format!("{:.2}", f.options.productivity_sigma),
                &format!("{:.2}", f.options.daily_sigma),
                &f.sigma_source,
                &format!("{:.2}", f.options.rate_sd),
                &format!("{:.2}", f.options.area_growth_mu),
                &format!("{:.2}", f.options.area_growth_sigma),
            ],
        ),
    );
    out
}

/// What `demine capacity` prints: the cheapest extra teams that finish by the deadline, or the
/// earliest date at the confidence asked when no mix can.
pub fn capacity_text(c: &CapacityAnswer, lang: Lang) -> String {
    let mut out = String::new();
    let v = crate::plan::capacity_json(c);
    synthetic_line(&mut out, c.loaded.synthetic, lang);
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
    let nothing_to_add = mix.is_empty();
    let mix = if nothing_to_add {
        // More teams than these planned worse: the soonest is with the teams there are.
        tr(lang, "no extra teams").to_string()
    } else {
        mix.join(", ")
    };
    let pct = |x: f64| format!("{:.0}", x * 100.0);
    if ans.achievable && nothing_to_add {
        line(
            &mut out,
            tr_fill(
                lang,
                "capacity: the teams there are finish by {} with probability {} %: no team to add; P = {} % over {} runs, {} trial mixes",
                &[
                    &c.deadline,
                    &pct(c.settings.confidence),
                    &pct(ans.probability),
                    &c.settings.runs,
                    &ans.trials,
                ],
            ),
        );
    } else if ans.achievable {
        line(
            &mut out,
            tr_fill(
                lang,
                "capacity: to finish by {} with probability {} %: add {} (cost {} per day); P = {} % over {} runs, {} trial mixes",
                &[
                    &c.deadline,
                    &pct(c.settings.confidence),
                    &mix,
                    &demine_report::grouped(lang, ans.cost_per_day, 0),
                    &pct(ans.probability),
                    &c.settings.runs,
                    &ans.trials,
                ],
            ),
        );
    } else {
        let earliest = ans
            .earliest_day_at_confidence
            .unwrap_or(ans.completion_day_at_confidence);
        line(
            &mut out,
            tr_fill(
                lang,
                "capacity: no mix can finish by {} with probability {} %; the earliest at this confidence is {} (best tried: {}, P = {} %)",
                &[
                    &c.deadline,
                    &pct(c.settings.confidence),
                    &completion_date(&c.loaded.problem, earliest),
                    &mix,
                    &pct(ans.probability),
                ],
            ),
        );
        // Working every day of the year that mix would finish in time: the calendar, not the
        // number of teams, holds the date.
        if let Some((probability, day)) = ans.every_day.filter(|&(p, _)| p >= c.settings.confidence) {
            line(
                &mut out,
                tr_fill(
                    lang,
                    "  the working calendar holds the date, not the number of teams: working every day of the year (--calendar none: no weekends, machines through the winter, dogs through the summer, no weather days) the same teams would finish by {} with probability {} % (at this confidence {})",
                    &[
                        &c.deadline,
                        &pct(probability),
                        &completion_date(&c.loaded.problem, day),
                    ],
                ),
            );
        }
    }
    out
}

/// What `demine strategy` prints: [`strategies_text`], a line each.
pub fn strategy_text(s: &Strategies, hazards: usize, lang: Lang) -> String {
    let mut out = String::new();
    for l in strategies_text(s, hazards, lang) {
        line(&mut out, l);
    }
    out
}

/// The strategies in lines of text: one per strategy, the frontier, notes, and the chosen
/// strategy's first `hazards` hazards (by expected items left) with their actions.
pub fn strategies_text(s: &Strategies, hazards: usize, lang: Lang) -> Vec<String> {
    let mut out = vec![tr_fill(
        lang,
        "strategies{}: from {}, completion P10/P50/P90; cost in the currency of the teams' cost_per_day; released km² cancelled/reduced/cleared; items left in released land",
        &[&if s.synthetic { " (SYNTHETIC)" } else { "" }, &s.start_date],
    )];
    let m = &s.methods;
    out.push(tr_fill(
        lang,
        "  assumed: TS lanes cover {} % of the ground and detect {} % of what lies in them; clearance detects {} %; {} m cleared around finds and accidents{}",
        &[
            &format!("{:.0}", m.ts_coverage * 100.0),
            &format!("{:.0}", m.ts_detection * 100.0),
            &format!("{:.0}", m.clearance_detection * 100.0),
            &format!("{:.0}", m.evidence_radius_m),
            &s.thresholds_given.map_or(String::new(), |t| {
                tr_fill(
                    lang,
                    "; evidence-led as given: cancel below {}, clear from {} expected items per ha",
                    &[&t.cancel_below, &t.clear_above],
                )
            }),
        ],
    ));
    // The names are the values `--strategy` takes; what they mean, once, in the reader's language.
    out.push(
        tr(
            lang,
            "  what each does: clear-all clears every hazard in full; survey-led is today's chain (NTS, then TS, then clearance) with shares learned from the registry; evidence-led cancels, surveys and clears by the evidence of the risk map",
        )
        .to_string(),
    );
    for r in &s.runs {
        let e = &r.evaluation;
        out.push(tr_fill(
            lang,
            "  {} {} / {} / {}  {} team-days  cost {}  {}/{}/{} km²  expected {}{}",
            &[
                &format!("{:<13}", r.plan.kind.as_str()),
                &e.completion_p10,
                &e.completion_p50,
                &e.completion_p90,
                &format!("{:>9}", demine_report::grouped(lang, e.team_days, 0)),
                &demine_report::grouped(lang, e.cost, 0),
                &format!("{:.1}", e.cancelled_m2 / 1e6),
                &format!("{:.1}", e.reduced_m2 / 1e6),
                &format!("{:.1}", e.cleared_m2 / 1e6),
                &demine_report::grouped(lang, e.expected_residual_items, 0),
                &r.true_residual_items.map_or(String::new(), |t| {
                    tr_fill(lang, ", true {}", &[&demine_report::grouped(lang, t as f64, 0)])
                }),
            ],
        ));
    }
    if let (Some(c), Some(e)) = (
        s.runs.iter().find(|r| r.plan.kind == StrategyKind::ClearAll),
        s.runs.iter().find(|r| r.plan.kind == StrategyKind::EvidenceLed),
    ) {
        let ratio = c.evaluation.p50_days / e.evaluation.p50_days;
        let items = demine_report::grouped(lang, e.evaluation.expected_residual_items, 0);
        let (over_half, hazards) = (
            demine_report::grouped(lang, e.evaluation.hazards_p_any_over_half as f64, 0),
            demine_report::grouped(lang, e.plan.hazards.len() as f64, 0),
        );
        // Under 5 % apart the P50s are the same date within the Monte Carlo's spread.
        if e.evaluation.p50_days > 0.0 && ratio >= 1.05 {
            out.push(tr_fill(
                lang,
                "  evidence-led finishes {}× sooner than clear-all (P50), leaving {} expected items (P(any) ≥ 0.5 in {} of {} hazards)",
                &[&format!("{ratio:.1}"), &items, &over_half, &hazards],
            ));
        } else if e.evaluation.p50_days > 0.0 {
            out.push(tr_fill(
                lang,
                "  evidence-led finishes no sooner than clear-all here (P50 {} against {} days), leaving {} expected items (P(any) ≥ 0.5 in {} of {} hazards)",
                &[
                    &format!("{:.0}", e.evaluation.p50_days),
                    &format!("{:.0}", c.evaluation.p50_days),
                    &items,
                    &over_half,
                    &hazards,
                ],
            ));
        }
    }
    out.push(tr_fill(
        lang,
        "  frontier (completion at {} % confidence → expected items left):",
        &[&format!("{:.0}", s.confidence * 100.0)],
    ));
    let mut pts: Vec<&Point> = s.frontier.iter().collect();
    pts.sort_by_key(|p| p.completion_at_confidence);
    out.push(format!(
        "    {}",
        pts.iter()
            .map(|p| format!(
                "{} {}{}",
                p.completion_at_confidence,
                demine_report::grouped(lang, p.expected_residual_items, 0),
                if p.horizon_days.is_none() { " (clear-all)" } else { "" }
            ))
            .collect::<Vec<_>>()
            .join(" · ")
    ));
    for n in &s.notes {
        out.push(tr_fill(lang, "  note: {}", &[&tr_note(lang, n)]));
    }
    if hazards > 0 {
        let chosen = s.chosen();
        let mut hz: Vec<&demine_strategy::HazardDecision> = chosen.plan.hazards.iter().collect();
        hz.sort_by(|a, b| {
            b.expected_residual_items
                .total_cmp(&a.expected_residual_items)
                .then(a.id.cmp(&b.id))
        });
        out.push(tr_fill(
            lang,
            "  {} per hazard (most expected items left first; --json for {} more):",
            &[&chosen.plan.kind, &hz.len().saturating_sub(hazards)],
        ));
        for h in hz.iter().take(hazards) {
            out.push(tr_fill(
                lang,
                "    {} {} ha  {} items left, P(any) {}: {}",
                &[
                    &format!("{:<12}", h.id),
                    &format!(
                        "{:>9}",
                        demine_core::spreadsheet::group_thousands_to(h.remaining_m2 / 1e4, 1)
                    ),
                    &format!("{:.2}", h.expected_residual_items),
                    &format!("{:.2}", h.p_any_residual),
                    &tr_note(lang, &h.summary),
                ],
            ));
        }
    }
    out
}
