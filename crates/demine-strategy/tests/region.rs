//! The engines on the SYNTHETIC region demo against its hidden truth: residual risk of released
//! land calibrated per decile, strategies' predicted residual items within a factor of 2 of the
//! true count, evidence-led sooner than survey-led with fewer true items left, released land by
//! outcome summing to the land left, and bad choices refused.

mod common;
use common::region;
use demine_strategy::*;

struct Fitted {
    r: region::Region,
    units: Vec<HazardUnits>,
    fit: Fit,
}

fn fitted(seed: u64) -> Fitted {
    let r = region::region(seed);
    let reg = r.registry();
    let units = hazard_units(&reg, &Methods::default()).unwrap();
    let fit = fit(&units);
    Fitted { r, units, fit }
}

/// The residual of released land against the hidden truth on `seed`: the total of expected
/// items within 25 % of the true count, every decile of predicted P(any item remains) within
/// `decile_allowance` of the share of hazards whose released land still holds an item (printed
/// either way), and large hazards no longer all reading P(any) = 1.
fn check_calibration(seed: u64, decile_allowance: Option<f64>) {
    let f = fitted(seed);
    let c = &f.r.campaign;
    let res = released_land_residual(&f.units, &f.fit.model);
    let left = true_items_in_released(&c.hazards, &c.activities, &region::truth_items(c));
    let pred: Vec<f64> = res.iter().map(|x| x.p_any).collect();
    let obs: Vec<bool> = res.iter().map(|x| left[x.hazard] > 0).collect();
    let bins = calibration_bins(&pred, &obs, 10);
    for b in &bins {
        eprintln!(
            "seed {seed}: n {} predicted {:.3}, true share {:.3} ({:+.1} pp)",
            b.n,
            b.mean_predicted,
            b.observed,
            100.0 * (b.mean_predicted - b.observed)
        );
    }
    if let Some(allowance) = decile_allowance {
        for b in &bins {
            assert!(
                (b.mean_predicted - b.observed).abs() <= allowance,
                "seed {seed}: decile [{:.3}, {:.3}] predicts {:.3}, truth {:.3}",
                b.lo,
                b.hi,
                b.mean_predicted,
                b.observed
            );
        }
    }
    let expected: f64 = res.iter().map(|x| x.expected_items).sum();
    let actual: u32 = res.iter().map(|x| left[x.hazard]).sum();
    assert!(
        (expected / actual as f64 - 1.0).abs() <= 0.25,
        "seed {seed}: {expected:.0} items expected, {actual} true"
    );
    // Large hazards no longer all read P(any) = 1.
    let risk = hazard_risk_summaries(&f.units, &f.fit.model);
    let top: Vec<&HazardRiskSummary> = risk.iter().take(20).collect();
    assert!(top.windows(2).all(|w| w[0].expected_items >= w[1].expected_items));
    assert!(risk.iter().filter(|h| h.p_contaminated < 0.5).count() > risk.len() / 4);
}

#[test]
fn released_land_residual_is_calibrated_against_truth() {
    // The acceptance target, ±10 pp per decile and the total within 25 %. Measured on 65 seeds
    // (examples/calib_sweep; README, "Release strategies"): the deciles hold on 61 (seed 11's
    // eighth under-predicts by 11.6 pp; of twenty seeds run once after the model last changed,
    // 202's eighth by 15.2 pp, 909's eighth over-predicts by 12.4 and 333's seventh by 11.8),
    // about 4.5 % of seeds missing by chance alone, a decile being ~105 hazards; the totals hold
    // on 64 (seed 111: +33 %).
    for seed in [1u64, 2] {
        check_calibration(seed, Some(0.10));
    }
}

/// Totals on more seeds (minutes): run by `scripts/test.sh`
/// (`cargo test -p demine-strategy -- --ignored`); the deciles are printed.
#[test]
#[ignore = "minutes: ten region demos; scripts/test.sh (and so CI) runs it with --ignored"]
fn released_land_residual_totals_hold_on_more_seeds() {
    for seed in [3u64, 5, 7, 8, 11, 13, 42, 99, 123, 2024] {
        check_calibration(seed, None);
    }
}

#[test]
fn strategies_predict_their_residual_and_evidence_led_wins() {
    let seed = 42;
    let f = fitted(seed);
    let c = &f.r.campaign;
    let methods = Methods::default();
    let ctx = Context {
        hazards: &c.hazards,
        activities: &c.activities,
        units: &f.units,
        model: &f.fit.model,
        methods,
        shares: learned_shares(&c.hazards, &c.activities, &f.r.release),
    };
    let items = region::truth_items(c);
    let evidence: Vec<(geo::Point<f64>, Option<&str>)> = c
        .finds
        .iter()
        .map(|x| (x.location, x.hazard_id.as_deref()))
        .chain(c.accidents.iter().map(|a| (a.location, a.hazard_id.as_deref())))
        .collect();
    let start = c.activities.iter().map(|a| a.end_date).max().unwrap() + chrono::Duration::days(1);
    let base = demine_plan::Problem {
        start_date: start,
        tasks: registry_tasks(&c.hazards, &f.r.release, None),
        teams: registry_teams(&c.teams),
        rates: demine_plan::Rates::default(),
        travel: demine_plan::Travel::default(),
        calendar: demine_plan::CalendarSpec::Working(Default::default()),
    };
    let capacity = Capacity::of(&base.teams);
    let plans = [
        decide(&ctx, StrategyKind::ClearAll, Thresholds::default()),
        decide(&ctx, StrategyKind::SurveyLed, Thresholds::default()),
        decide_fastest(&ctx, &capacity),
    ];
    let remaining: f64 =
        f.r.release
            .per_hazard
            .iter()
            .map(|h| h.remaining_m2)
            .filter(|&a| a >= 1.0)
            .sum();
    let mut true_left = Vec::new();
    for p in &plans {
        // Released land by outcome sums to the land left, hazard by hazard.
        for h in &p.hazards {
            let s: f64 = h.released_by_outcome_m2.iter().sum();
            assert!(
                (s - h.remaining_m2).abs() <= 1e-6 * h.remaining_m2.max(1.0),
                "{} {}",
                p.kind,
                h.id
            );
            assert!(h.released_by_outcome_m2.iter().all(|&a| a >= -1e-9));
            assert!(h.expected_residual_items >= 0.0 && (0.0..=1.0).contains(&h.p_any_residual));
        }
        let total: f64 = p.released_by_outcome_m2.iter().sum();
        assert!((total - remaining).abs() <= 1e-6 * remaining);
        let (t, _) = true_residual_items(
            p,
            &c.hazards,
            &c.activities,
            &evidence,
            &items,
            &methods,
            region::RESOLUTION,
            seed,
        );
        let e = p.expected_residual_items;
        assert!(
            e <= 2.0 * t as f64 && t as f64 <= 2.0 * e,
            "{}: {e:.0} items expected, {t} true",
            p.kind
        );
        true_left.push(t);
    }
    // Clearing everything leaves the fewest items; the evidence leaves fewer than fixed shares.
    assert!(
        true_left[0] < true_left[2] && true_left[2] < true_left[1],
        "{true_left:?}"
    );
    let opts = EvalOptions::default();
    let (_, _, _, clear_all) = evaluate(&base, &plans[0], &opts);
    let (_, _, _, survey) = evaluate(&base, &plans[1], &opts);
    let (_, _, _, evidence_led) = evaluate(&base, &plans[2], &opts);
    assert!(
        evidence_led.p50_days * 5.0 < survey.p50_days,
        "evidence-led P50 {} vs survey-led {}",
        evidence_led.completion_p50,
        survey.completion_p50
    );
    assert!(evidence_led.team_days < survey.team_days);
    // From decades to months: at least 10× sooner than clearing everything.
    assert!(
        evidence_led.p50_days * 10.0 <= clear_all.p50_days,
        "evidence-led P50 {} vs clear-all {}",
        evidence_led.completion_p50,
        clear_all.completion_p50
    );
}

#[test]
fn bad_choices_are_refused() {
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let point = |days: f64, items: f64| FrontierPoint {
        thresholds: Thresholds::default(),
        completion_p50: d("2030-01-01"),
        completion_days_at_confidence: days,
        p50_days: days,
        expected_residual_items: items,
        cleared_m2: 0.0,
        cancelled_m2: 0.0,
    };
    let pts = [point(400.0, 10.0), point(1000.0, 2.0)];
    let start = d("2026-01-01");
    assert!(matches!(
        choose_for_deadline(&pts, start, d("2025-06-01"), 0.5),
        Err(ChoiceError::DeadlineInPast { .. })
    ));
    let e = choose_for_deadline(&pts, start, d("2026-03-01"), 0.5).unwrap_err();
    assert!(
        e.to_string().contains("earliest at this confidence is 2027-02-04"),
        "{e}"
    );
    assert_eq!(
        choose_for_deadline(&pts, start, d("2029-01-01"), 0.5)
            .unwrap()
            .expected_residual_items,
        2.0
    );
    assert_eq!(
        choose_for_deadline(&pts, start, d("2027-06-01"), 0.5)
            .unwrap()
            .expected_residual_items,
        10.0
    );
    assert!(matches!(choose_for_cap(&pts, -1.0), Err(ChoiceError::NegativeCap(_))));
    assert!(matches!(
        choose_for_cap(&pts, 1.0),
        Err(ChoiceError::CapUnreachable { .. })
    ));
    assert_eq!(choose_for_cap(&pts, 5.0).unwrap().completion_days_at_confidence, 1000.0);
    assert!("evidence-led".parse::<StrategyKind>().is_ok());
    assert!("fast"
        .parse::<StrategyKind>()
        .unwrap_err()
        .contains("clear-all, survey-led, evidence-led"));
}
