//! Issue 14 through the binary: `demine strategy` (clear-all, survey-led, evidence-led, with
//! deadline or residual cap), plans that follow `--strategy`, forecasts learned from a
//! programme's monthly history (and hindcasts), and bad input refused with exit 2.

mod common;
use common::{collection, demo_in, json_on, rect, run_on, Scratch};
use serde_json::Value;

fn date(v: &Value) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(v.as_str().unwrap_or(""), "%Y-%m-%d").unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn by_name<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {j}"))
}

/// On the SYNTHETIC demo: three strategies with ISO dates, the same land released by each,
/// evidence-led sooner than clear-all and survey-led, clear-all leaving the fewest items, true
/// items counted beside the predicted ones, a frontier and per-hazard actions; plans, forecasts
/// and capacity follow `--strategy`; a deadline or a cap picks evidence-led's thresholds and
/// impossible ones are answered, not crashed on.
#[test]
fn strategies_on_the_demo() {
    let s = Scratch::new();
    let (out, text) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3"]);
    assert!(text.contains("evidence-led") && text.contains("frontier"), "{text}");
    assert!(text.starts_with("SYNTHETIC campaign — Small scale, seed 3\n"), "{text}");
    // Costs read as whole figures grouped by thousands (not 2.391e6).
    let cost = text
        .lines()
        .find(|l| l.trim_start().starts_with("clear-all"))
        .and_then(|l| l.split("cost ").nth(1))
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or_default();
    assert!(
        cost.contains(',') && cost.chars().all(|c| c.is_ascii_digit() || c == ','),
        "cost {cost:?} in {text}"
    );
    // Team-days are grouped as the costs are, and the costs say in what they are counted.
    let team_days = text
        .lines()
        .find(|l| l.trim_start().starts_with("clear-all"))
        .and_then(|l| l.split(" team-days").next())
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_default();
    let days: f64 = team_days.replace(',', "").parse().unwrap_or(-1.0);
    assert!(days >= 0.0, "team-days {team_days:?} in {text}");
    assert_eq!(team_days.contains(','), days >= 1000.0, "team-days {team_days:?}");
    assert!(
        text.contains("cost in the currency of the teams' cost_per_day"),
        "{text}"
    );
    let report_uk = std::fs::read_to_string(out.join("report-uk.html")).unwrap();
    assert!(
        report_uk.contains("SYNTHETIC кампанія — масштаб: малий, зерно 3"),
        "the Ukrainian report names the campaign in Ukrainian"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Release strategies") && html.contains("Frontier"),
        "no strategy section"
    );
    let db = out.join("demine.gpkg");
    let start = "2026-01-05";
    let j = json_on(
        &db,
        &[
            "strategy",
            "--start",
            start,
            "--runs",
            "50",
            "--search-budget",
            "1",
            "--json",
        ],
    );
    assert_eq!(j["synthetic"], true);
    assert_eq!(j["strategies"].as_array().unwrap().len(), 3, "{j}");
    let (clear, survey, evidence) = (
        by_name(&j, "clear-all"),
        by_name(&j, "survey-led"),
        by_name(&j, "evidence-led"),
    );
    for st in [clear, survey, evidence] {
        let (p10, p50, p90) = (
            date(&st["completion_p10"]),
            date(&st["completion_p50"]),
            date(&st["completion_p90"]),
        );
        assert!(p10 <= p50 && p50 <= p90, "{st}");
        assert!(p10 >= date(&Value::from(start)), "{st}");
        for f in ["team_days", "released_m2", "expected_residual_items", "cost"] {
            assert!(st[f].as_f64().unwrap() >= 0.0, "{f} in {st}");
        }
        assert!(
            st["true_residual_items"].as_u64().is_some(),
            "demo data counts true items: {st}"
        );
        // Every strategy releases all the land still to release.
        let r = st["released_m2"].as_f64().unwrap();
        let c = clear["released_m2"].as_f64().unwrap();
        assert!((r - c).abs() <= 1e-6 * c, "{r} vs {c}");
    }
    assert!(
        date(&evidence["completion_p50"]) < date(&clear["completion_p50"]),
        "{j}"
    );
    assert!(
        date(&evidence["completion_p50"]) < date(&survey["completion_p50"]),
        "{j}"
    );
    assert!(
        clear["expected_residual_items"].as_f64().unwrap() < evidence["expected_residual_items"].as_f64().unwrap(),
        "{j}"
    );
    assert!(evidence["team_days"].as_f64().unwrap() < clear["team_days"].as_f64().unwrap());
    assert!(j["frontier"].as_array().unwrap().len() >= 2, "{j}");
    let hz = j["hazards"].as_array().unwrap();
    assert!(
        !hz.is_empty() && hz.iter().all(|h| h["action"].as_str().is_some_and(|a| !a.is_empty())),
        "{j}"
    );
    assert!(j["released_land_calibration"]["deciles"].as_array().is_some(), "{j}");

    // A residual cap: evidence-led leaves at most that many expected items.
    let cap = evidence["expected_residual_items"].as_f64().unwrap() / 2.0;
    let capped = json_on(
        &db,
        &[
            "strategy",
            "--start",
            start,
            "--runs",
            "30",
            "--search-budget",
            "1",
            "--max-residual-items",
            &cap.to_string(),
            "--json",
        ],
    );
    let e = by_name(&capped, "evidence-led");
    assert!(e["expected_residual_items"].as_f64().unwrap() <= cap + 1e-9, "{capped}");
    // A deadline nothing can meet is answered with the earliest date, not refused.
    let d = json_on(
        &db,
        &[
            "strategy",
            "--start",
            start,
            "--runs",
            "30",
            "--search-budget",
            "1",
            "--deadline",
            "2026-01-09",
            "--json",
        ],
    );
    assert_eq!(d["deadline_met"], false, "{d}");
    let notes: Vec<&str> = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("the earliest at this confidence is")),
        "{d}"
    );
    // The registry's overlapping hazards are noted for strategies as for plans.
    assert!(
        notes.iter().any(|n| n.contains("group(s) of overlapping hazards")),
        "{notes:?}"
    );

    // Plans and forecasts follow --strategy (evidence-led by default).
    let f = |strategy: Option<&str>| -> Value {
        let mut args = vec![
            "forecast",
            "--start",
            start,
            "--runs",
            "50",
            "--search-budget",
            "1",
            "--json",
        ];
        if let Some(n) = strategy {
            args.extend(["--strategy", n]);
        }
        json_on(&db, &args)
    };
    let (fe, fc) = (f(None), f(Some("clear-all")));
    assert_eq!(fe["strategy"], "evidence-led");
    assert_eq!(fc["strategy"], "clear-all");
    assert!(
        fe["p50_days"].as_f64().unwrap() < fc["p50_days"].as_f64().unwrap(),
        "{fe} vs {fc}"
    );
    let p = json_on(
        &db,
        &[
            "plan",
            "--start",
            start,
            "--strategy",
            "survey-led",
            "--search-budget",
            "1",
            "--json",
        ],
    );
    assert_eq!(p["strategy"], "survey-led");
    let o = run_on(
        &db,
        &["capacity", "--start", start, "--deadline", "2026-01-08", "--runs", "20"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("no mix can finish by 2026-01-08") && text.contains("the earliest at this confidence is"),
        "{text}"
    );

    // Bad input: exit 2 with a message naming the problem, no panic.
    for (args, says) in [
        (
            vec!["strategy", "--start", start, "--deadline", "2025-12-01"],
            "is not after the plan start",
        ),
        (
            vec!["strategy", "--max-residual-items", "-3"],
            "residual cap must be a number of items ≥ 0",
        ),
        (vec!["strategy", "--deadline", "next week"], "--deadline"),
        (vec!["plan", "--strategy", "fastest"], "fastest"),
    ] {
        let o = run_on(&db, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// The evidence-led thresholds and the methods' detection are parameters: thresholds given are
/// used as given (0 and 0 clear everything, as clear-all), a TS that covers half the ground
/// leaves more expected items behind (the model is fitted again for it), plans follow both,
/// and settings out of range are refused naming the flag and the value.
#[test]
fn methods_and_thresholds_are_parameters() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "5"]);
    let db = out.join("demine.gpkg");
    let start = "2026-01-05";
    // `command` from `start`, 20 runs, half a second of search; `quick` as JSON.
    let quick_args = |command: &str, extra: &[&str]| -> Vec<String> {
        [command, "--start", start, "--runs", "20", "--search-budget", "0.5"]
            .iter()
            .chain(extra)
            .map(|a| a.to_string())
            .collect()
    };
    let quick = |command: &str, extra: &[&str]| -> Value {
        let args = quick_args(command, extra);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push("--json");
        json_on(&db, &args)
    };
    let strategy = |extra: &[&str]| quick("strategy", extra);
    let outcome = |st: &Value, k: &str| st["released_by_outcome_m2"][k].as_f64().unwrap();

    let base = strategy(&[]);
    assert_eq!(base["methods"]["ts_coverage"], 0.2, "{base}");
    assert_eq!(base["thresholds_given_items_per_ha"], Value::Null);

    let all = strategy(&["--cancel-below", "0", "--clear-above", "0"]);
    let (e, c) = (by_name(&all, "evidence-led"), by_name(&all, "clear-all"));
    assert_eq!(all["thresholds_given_items_per_ha"]["clear_above"], 0.0, "{all}");
    assert_eq!(e["thresholds_items_per_ha"]["cancel_below"], 0.0, "{e}");
    assert_eq!(outcome(e, "cancelled") + outcome(e, "reduced"), 0.0, "{e}");
    assert!(
        (outcome(e, "cleared") - outcome(c, "cleared")).abs() <= 1e-6 * outcome(c, "cleared"),
        "{e} vs {c}"
    );
    // Cancelling all but the land around the evidence releases sooner and leaves more.
    let none = strategy(&["--cancel-below", "1000", "--clear-above", "1000"]);
    let n = by_name(&none, "evidence-led");
    assert!(
        outcome(n, "cancelled") > outcome(by_name(&base, "evidence-led"), "cancelled") * 0.99,
        "{n}"
    );
    assert!(n["team_days"].as_f64().unwrap() < e["team_days"].as_f64().unwrap());
    assert!(n["expected_residual_items"].as_f64().unwrap() > e["expected_residual_items"].as_f64().unwrap());

    let thin = strategy(&["--ts-coverage", "0.1"]);
    assert_eq!(thin["methods"]["ts_coverage"], 0.1, "{thin}");
    assert_eq!(thin["contamination_model"], "fitted", "{thin}");
    let left = |j: &Value| by_name(j, "survey-led")["expected_residual_items"].as_f64().unwrap();
    assert!(left(&thin) > left(&base), "{} vs {}", left(&thin), left(&base));

    // A setting in practice's range is taken quietly; one far outside it is taken, but the
    // figures resting on it say so, in the user's language.
    assert!(!thin["notes"].to_string().contains("far below"), "{thin}");
    let low = quick(
        "capacity",
        &["--deadline", "2027-06-01", "--clearance-detection", "0.5"],
    );
    assert!(
        low["notes"]
            .to_string()
            .contains("--clearance-detection 0.5 is far below"),
        "{low}"
    );
    let odd = quick_args("forecast", &["--clearance-detection", "0.5"]);
    for (lang, says) in [
        (
            "en",
            "--clearance-detection 0.5 is far below what the method achieves in practice",
        ),
        (
            "uk",
            "--clearance-detection 0.5 набагато нижче за те, чого метод досягає на практиці",
        ),
    ] {
        let mut args = vec!["--lang", lang];
        args.extend(odd.iter().map(String::as_str));
        let o = run_on(&db, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() && err.contains(says), "{lang}: {err}");
    }

    // Plans and forecasts take the same settings.
    let f = |extra: &[&str]| quick("forecast", extra)["p50_days"].as_f64().unwrap();
    assert!(
        f(&["--cancel-below", "1000", "--clear-above", "1000"]) < f(&["--cancel-below", "0", "--clear-above", "0"]),
        "cancelling is faster than clearing"
    );

    // Capacity under thresholds that survey much: when no mix it finds finishes in time, the
    // earliest date it gives is after the deadline (its quick trials, which add productivity
    // rather than teams, once gave a date before it).
    let deadline = "2026-12-20";
    let c = quick(
        "capacity",
        &[
            "--deadline",
            deadline,
            "--cancel-below",
            "0.1",
            "--clear-above",
            "1",
            "--ts-coverage",
            "0.15",
        ],
    );
    if c["achievable"] == false {
        assert!(
            date(&c["earliest_date_at_confidence"]) > date(&Value::from(deadline)),
            "{c}"
        );
        // The mix answered is the one that finished soonest, not the last one tried.
        assert_eq!(
            c["completion_date_at_confidence"], c["earliest_date_at_confidence"],
            "{c}"
        );
    }

    // More teams never answer a later date than the teams there are: past some number, a plan
    // made in a fraction of a second uses them worse (here 345 extra teams finished later than
    // none, and were answered as the earliest).
    let capacity_by = |deadline: &str| {
        json_on(
            &db,
            &[
                "capacity",
                "--start",
                "2026-12-06",
                "--runs",
                "30",
                "--search-budget",
                "0.5",
                "--json",
                "--deadline",
                deadline,
            ],
        )
    };
    let (early, late) = (capacity_by("2027-01-15"), capacity_by("2030-12-31"));
    assert_eq!(late["achievable"], true, "{late}");
    assert!(
        late["extra_teams"].as_object().unwrap().values().all(|n| n == 0),
        "{late}"
    );
    assert_eq!(early["achievable"], false, "{early}");
    assert!(
        date(&early["earliest_date_at_confidence"]) <= date(&late["completion_date_at_confidence"]),
        "{early} vs {late}"
    );

    for (args, says) in [
        (
            vec!["strategy", "--ts-coverage", "1.5"],
            "--ts-coverage 1.5: the share of a technical survey's ground its lanes cover must be above 0 and at most 1",
        ),
        (
            vec!["strategy", "--clearance-detection", "0"],
            "--clearance-detection 0",
        ),
        (vec!["plan", "--evidence-radius-m", "5000"], "--evidence-radius-m 5000"),
        (
            vec!["forecast", "--cancel-below", "-1"],
            "--cancel-below -1: a threshold is a number of expected items per hectare ≥ 0",
        ),
        (
            vec![
                "capacity",
                "--deadline",
                "2027-01-01",
                "--cancel-below",
                "1",
                "--clear-above",
                "0.5",
            ],
            "--cancel-below 1 is above --clear-above 0.5",
        ),
        (
            vec!["strategy", "--cancel-below", "0.1", "--deadline", "2030-01-01"],
            "not both",
        ),
    ] {
        let o = run_on(&db, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A registry with hazards but no teams: strategies and plans say so.
#[test]
fn no_teams_is_refused() {
    let s = Scratch::new();
    let hz = s.file(
        "hz.geojson",
        &collection(&[(r#"{"id":"HZ-1","class":"CHA"}"#, &rect(36.05, 50.0, 36.051, 50.0005))]),
    );
    s.import_ok("hazards", &hz);
    for args in [
        vec!["strategy"],
        vec!["forecast", "--strategy", "clear-all"],
        vec!["plan"],
        vec!["capacity", "--deadline", "2030-01-01"],
    ] {
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("no teams") && !err.contains("panicked"), "{args:?}: {err}");
    }
    // Figures no planner means, refused first: a search budget that held `strategy` for ever,
    // travel figures and search steps that overflowed the plan's clock, runs beyond memory.
    let huge = "99999999999999999999";
    for (cmd, option, value) in [
        ("strategy", "--search-budget", huge),
        ("plan", "--search-budget", huge),
        ("forecast", "--search-budget", huge),
        ("capacity", "--search-budget", huge),
        ("plan", "--road-factor", huge),
        ("plan", "--speed-km-per-h", huge),
        ("plan", "--lns-steps", "9223372036854775808"),
        ("capacity", "--runs", "9223372036854775808"),
    ] {
        let mut args = vec![cmd, option, value];
        if cmd == "capacity" {
            args.extend(["--deadline", "2030-01-01"]);
        }
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(option) && err.contains("give"), "{args:?}: {err}");
    }
    // A teams file with a header and no team: refused, naming the file.
    let empty = s.file("teams.csv", "id,kind,productivity_m2_per_day\n");
    for cmd in ["strategy", "capacity"] {
        let mut args = vec![cmd, "--teams", empty.to_str().unwrap()];
        if cmd == "capacity" {
            args.extend(["--deadline", "2030-01-01"]);
        }
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("teams.csv") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

/// Five years of two organisations' monthly releases with a winter dip and a slow rise.
/// Months from `a` to `b` (YYYY-MM), less one: the months between them.
fn months_between(a: &str, b: &str) -> i64 {
    let index = |m: &str| m[..4].parse::<i64>().unwrap() * 12 + m[5..7].parse::<i64>().unwrap();
    index(b) - index(a) - 1
}

fn history_csv(extra: &str) -> String {
    let mut s = String::from("Month,Operator,Released\n");
    for i in 0..60 {
        let (y, m) = (2019 + i / 12, i % 12 + 1);
        let season = if m <= 2 || m == 12 { 0.4 } else { 1.0 };
        for (org, base) in [("A", 60_000.0), ("B", 30_000.0)] {
            let a = base * season * (1.0 + 0.01 * i as f64) * (1.0 + 0.1 * ((i * 7 % 5) as f64 - 2.0) / 2.0);
            s.push_str(&format!("{y}-{m:02},{org},{a:.0}\n"));
        }
    }
    s.push_str(extra);
    s
}

/// `forecast --history`: a forecast with P10 ≤ P50 ≤ P90 months; a hindcast with the JSON the
/// issue names; located errors for duplicate months, negative areas and unknown columns.
#[test]
fn forecasts_learned_from_a_monthly_history() {
    let s = Scratch::new();
    let cols = "month=Month,organisation=Operator,area_m2=Released";
    let h = s.file("history.csv", &history_csv(""));
    let hp = h.to_str().unwrap();
    // `forecast --history` of this file with `more` arguments after it.
    let history_args = |more: &[&'static str]| -> Vec<&str> {
        let mut args = vec!["forecast", "--history", hp, "--columns", cols];
        args.extend(more);
        args
    };
    let f = s.ok_json(&history_args(&[
        "--remaining-m2",
        "5000000",
        "--start",
        "2024-01-01",
        "--json",
    ]));
    let (p10, p50, p90) = (
        f["p10"].as_str().unwrap(),
        f["p50"].as_str().unwrap(),
        f["p90"].as_str().unwrap(),
    );
    assert!(p10 <= p50 && p50 <= p90, "{f}");
    // ~100,000 m² a month: 5 km² take about four years from 2024.
    assert!(("2026-06".."2030-12").contains(&p50), "{f}");
    assert_eq!(
        (f["history_last_month"].as_str(), f["start_month"].as_str()),
        (Some("2023-12"), Some("2024-01")),
        "{f}"
    );
    // Without --start the area left is today's: the history (ending 2023-12) is carried on to
    // this month, release counts from there, and no date is before it; the text says so.
    let today = s.ok_json(&history_args(&["--remaining-m2", "5000000", "--json"]));
    let start = today["start_month"].as_str().unwrap();
    assert!(start > "2026-01" && today["p10"].as_str().unwrap() >= start, "{today}");
    assert_eq!(
        today["months_between_history_and_start"].as_i64(),
        Some(months_between("2023-12", start)),
        "{today}"
    );
    let (code, out, err) = s.run(&history_args(&["--remaining-m2", "5000000"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "the history ends 2023-12, {} months before {start}",
            months_between("2023-12", start)
        )),
        "{out}"
    );
    // Land the history's pace cannot release within 50 years has no date, in JSON or text.
    let never = s.ok_json(&history_args(&["--remaining-m2", "1e15", "--json"]));
    assert_eq!(
        (never["p50"].is_null(), never["beyond_horizon_share"].as_f64()),
        (true, Some(1.0)),
        "{never}"
    );
    let (_, out, _) = s.run(&history_args(&["--remaining-m2", "1e15"]));
    assert!(
        out.contains("P50 not within 50 years") && out.contains("100.0 % of runs not done within 50 years"),
        "{out}"
    );
    // Options a history forecast does not use are refused, not silently ignored.
    for other in [
        &["--add-teams", "manual:5"][..],
        &["--strategy", "clear-all"],
        &["--fit-until", "2022-12"],
    ] {
        let (code, _, err) = s.run(&[&history_args(&["--remaining-m2", "1"])[..], other].concat());
        assert_eq!(code, 2, "{other:?}: {err}");
        assert!(err.contains("cannot be used with"), "{other:?}: {err}");
    }
    let hc = s.ok_json(&[
        "forecast",
        "--history",
        hp,
        "--columns",
        cols,
        "--fit-until",
        "2022-12",
        "--json",
    ]);
    let months = hc["months"].as_array().unwrap();
    assert_eq!(months.len(), 12, "{hc}");
    for m in months {
        for k in ["month", "actual_cum_m2", "p10_cum_m2", "p50_cum_m2", "p90_cum_m2"] {
            assert!(!m[k].is_null(), "{k} in {m}");
        }
        assert!(
            m["p10_cum_m2"].as_f64() <= m["p50_cum_m2"].as_f64()
                && m["p50_cum_m2"].as_f64() <= m["p90_cum_m2"].as_f64()
        );
    }
    let cov = hc["coverage_p10_p90"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&cov), "{hc}");
    assert!(hc["median_abs_error_m2"].as_f64().unwrap() >= 0.0);
    assert!(hc["baseline_median_abs_error_m2"].as_f64().unwrap() >= 0.0);
    // Winters at 0.4 of the summers are seasons, not exceptional months.
    assert_eq!(hc["exceptional_months"].as_array().map(Vec::len), Some(0), "{hc}");
    assert_eq!(hc["months_without_rows"], serde_json::json!([]), "{hc}");
    // Months a file leaves out are read as nothing released, and named, in JSON and in text.
    let gappy: String = history_csv("")
        .lines()
        .filter(|l| !l.starts_with("2021-04,") && !l.starts_with("2022-09,") && !l.starts_with("2020-06,B,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let g = s.file("gaps.csv", &gappy);
    let gp = g.to_str().unwrap();
    let args = [
        "forecast",
        "--history",
        gp,
        "--columns",
        cols,
        "--remaining-m2",
        "5000000",
    ];
    let gj = s.ok_json(&[&args[..], &["--json"]].concat());
    assert_eq!(
        gj["months_without_rows"],
        serde_json::json!(["2021-04", "2022-09"]),
        "{gj}"
    );
    let (code, out, err) = s.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 months of the history had no row and are read as 0 m² released: 2021-04, 2022-09"),
        "{out}"
    );
    // An operator's month left out while the other reported is named too.
    assert_eq!(
        gj["organisation_months_without_rows"],
        serde_json::json!([{"organisation": "B", "months": ["2020-06"]}]),
        "{gj}"
    );
    assert!(
        out.contains("B has no row in 1 month between its first and last"),
        "{out}"
    );
    // Many operators with months left out: the five missing the most are named, the rest
    // counted, and JSON lists them all.
    let mut many = history_csv("");
    for k in 1..=8i32 {
        for i in (0..60).filter(|i| !(10..10 + k).contains(i)) {
            many.push_str(&format!("{}-{:02},O{k},5000\n", 2019 + i / 12, i % 12 + 1));
        }
    }
    let m = s.file("many.csv", &many);
    let args = [
        "forecast",
        "--history",
        m.to_str().unwrap(),
        "--columns",
        cols,
        "--remaining-m2",
        "5000000",
    ];
    let mj = s.ok_json(&[&args[..], &["--json"]].concat());
    assert_eq!(
        mj["organisation_months_without_rows"].as_array().map(Vec::len),
        Some(8),
        "{mj}"
    );
    let (code, out, err) = s.run(&args);
    assert_eq!(code, 0, "{err}");
    let named: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("between its first and last"))
        .map(|l| l.trim_start_matches("  note: ").split(' ').next().unwrap())
        .collect();
    assert_eq!(named, ["O8", "O7", "O6", "O5", "O4"], "{out}");
    assert!(
        out.contains(
            "3 more organisations have months without their row between their first and last (6 months in all)"
        ),
        "{out}"
    );
    assert_eq!(gj["organisations_missing_last_month"], Value::Null, "{gj}");
    // An export made before an operator reported the last month: its total reads low, said so.
    let unreported: String = history_csv("")
        .lines()
        .filter(|l| !l.starts_with("2023-12,A,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let u = s.file("unreported.csv", &unreported);
    let args = [
        "forecast",
        "--history",
        u.to_str().unwrap(),
        "--columns",
        cols,
        "--remaining-m2",
        "5000000",
    ];
    let uj = s.ok_json(&[&args[..], &["--json"]].concat());
    let missing = &uj["organisations_missing_last_month"];
    assert_eq!(missing["month"], "2023-12", "{uj}");
    assert_eq!(missing["organisations"], serde_json::json!(["A"]), "{uj}");
    let share = missing["share_of_release_in_the_months_before"].as_f64().unwrap();
    assert!((0.6..0.7).contains(&share), "A released two thirds: {share}");
    let (code, out, err) = s.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 organisation(s) with a row in each of the 3 months before 2023-12 have none in it (A; 67 % of those months' release)"),
        "{out}"
    );
    let (code, out, err) = s.run(&[&["--lang", "uk"][..], &args[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 орг. із рядком у кожному з 3 місяців перед 2023-12 не мають рядка в ньому (A; 67 %"),
        "{out}"
    );

    let next_year = (chrono::Local::now().date_naive() + chrono::Months::new(12))
        .format("%Y-%m")
        .to_string();
    let future_says = format!("month {next_year} is after the current month");
    for (name, content, args, says) in [
        (
            "dup.csv",
            history_csv("2020-03,A,1000\n"),
            cols,
            "already given on line",
        ),
        ("neg.csv", history_csv("2024-01,C,-5\n"), cols, "line 122"),
        (
            "plain.csv",
            history_csv(""),
            "month=Month,organisation=Org,area_m2=Released",
            "no column 'Org'",
        ),
        (
            "plain2.csv",
            history_csv(""),
            "month=Month,colour=Operator",
            "unknown field 'colour'",
        ),
        (
            "future.csv",
            history_csv(&format!("{next_year},C,5\n")),
            cols,
            future_says.as_str(),
        ),
        // A year mistyped far out is refused at its line whichever way it points.
        (
            "typo.csv",
            history_csv("1900-01,C,5\n"),
            cols,
            "line 122, column 'Month': month 1900-01 is 1,428 months",
        ),
        (
            "far.csv",
            history_csv("2099-01,C,5\n"),
            cols,
            "correct the year, or remove the rows after 2023-12",
        ),
        (
            "nan.csv",
            history_csv("2024-01,C,NaN\n"),
            cols,
            "'NaN' is not a number of m²",
        ),
        (
            "huge.csv",
            history_csv("2024-01,C,1e300\n"),
            cols,
            "more than 1,000,000 km² in one month",
        ),
        (
            "day.csv",
            history_csv("31.02.2024,C,5\n"),
            cols,
            "'31.02.2024' is not a month",
        ),
        ("blank.csv", String::new(), cols, "the file is empty"),
    ] {
        let p = s.file(name, &content);
        let (code, _, err) = s.run(&[
            "forecast",
            "--history",
            p.to_str().unwrap(),
            "--columns",
            args,
            "--remaining-m2",
            "1000",
        ]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(
            err.contains(says) && (name == "plain2.csv" || err.contains(name)) && !err.contains("panicked"),
            "{name}: {err}"
        );
    }
    // `forecast --history FILE` with the language's flags first and `more` after (default 1,000
    // m² left).
    let forecast_with = |flags: &[&str], file: &std::path::Path, more: &[&str]| {
        let args = ["forecast", "--history", file.to_str().unwrap(), "--columns", cols];
        s.run(&[flags, &args[..], more].concat())
    };
    let forecast_of = |flags: &[&str], file: &std::path::Path| forecast_with(flags, file, &["--remaining-m2", "1000"]);
    // The refusal of a mistyped year reads in Ukrainian, its months kept.
    let typo = s.file("typo-uk.csv", &history_csv("1900-01,C,5\n"));
    let (code, _, err) = forecast_of(&["--lang", "uk"], &typo);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("місяць 1900-01 віддалений на 1\u{a0}428 місяців")
            && err.contains("виправте рік або приберіть рядки до 2019-01"),
        "{err}"
    );
    // The negative area names its column and says what is wrong.
    let neg = s.file("neg2.csv", &history_csv("2024-01,C,-5\n"));
    let (_, _, err) = forecast_of(&[], &neg);
    assert!(err.contains("Released") && err.contains("cannot be negative"), "{err}");
    // Read in hectares, the refusal gives the unit in the reader's language; a column named
    // like a unit keeps its name.
    let neg_ha = s.file(
        "neg-ha.csv",
        &history_csv("2024-01,C,-5\n").replacen("Released", "ha", 1),
    );
    let (code, _, err) = s.run(&[
        "--lang",
        "uk",
        "forecast",
        "--history",
        neg_ha.to_str().unwrap(),
        "--columns",
        "month=Month,organisation=Operator,area_ha=ha",
        "--remaining-m2",
        "1000",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("стовпець 'ha': -5 га: звільнена площа не може бути від’ємною"),
        "{err}"
    );
    let (code, _, err) = s.run(&["forecast", "--history", hp, "--columns", cols, "--remaining-m2", "-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--remaining-m2 -1: give the area still to release"),
        "{err}"
    );
    // An export with a row per activity: each month's figure split in two activities, dated
    // within the month. Refused as months given twice, with the way to read it; with --sum-rows
    // the forecast is the monthly file's, and the rows added up are counted.
    let mut activities = String::from("Month,Operator,Released\n");
    for line in history_csv("").lines().skip(1) {
        let [month, org, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
        let area: f64 = area.parse().unwrap();
        activities.push_str(&format!("{month}-05,{org},{}\n", area - 1000.0));
        activities.push_str(&format!("{month}-20,{org},1000\n"));
    }
    let acts = s.file("activities.csv", &activities);
    let (code, _, err) = forecast_of(&[], &acts);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("activities.csv: line 3: month 2019-01 of organisation 'A' is already given on line 2")
            && err.contains("--sum-rows"),
        "{err}"
    );
    let same_forecast = |file: &std::path::Path, more: &[&str]| {
        let fixed = ["--remaining-m2", "5000000", "--start", "2024-01-01", "--json"];
        let (code, out, err) = forecast_with(&[], file, &[&fixed[..], more].concat());
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let (monthly, summed) = (same_forecast(&h, &[]), same_forecast(&acts, &["--sum-rows"]));
    for key in ["p10", "p50", "p90", "level_m2_per_month"] {
        assert_eq!(monthly[key], summed[key], "{key}: {monthly} {summed}");
    }
    assert_eq!(
        (monthly["rows_added_up"].as_u64(), summed["rows_added_up"].as_u64()),
        (Some(0), Some(120))
    );
    let (code, out, err) = forecast_of(&["--lang", "uk"], &acts);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("через --sum-rows"), "{err}");
    let (code, out2, err) = forecast_with(&["--lang", "uk"], &acts, &["--remaining-m2", "1000", "--sum-rows"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.is_empty() && out2.contains("примітка: 120 рядк. додано до іншого рядка"),
        "{out2}"
    );
    // A pivot table in tabular form, its labels not repeated: each organisation named on its
    // first row, with its subtotal and the grand total. Read as the monthly file, each blank
    // organisation the one above it, and the rows so read counted.
    let mut pivot = String::from("Operator,Month,Released\n");
    let mut grand_total = 0.0;
    for org in ["A", "B"] {
        let mut subtotal = 0.0;
        for (k, line) in history_csv("")
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some(org))
            .enumerate()
        {
            let [month, _, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
            pivot.push_str(&format!("{},{month},{area}\n", if k == 0 { org } else { "" }));
            subtotal += area.parse::<f64>().unwrap();
        }
        pivot.push_str(&format!("{org} Total,,{subtotal}\n"));
        grand_total += subtotal;
    }
    pivot.push_str(&format!("Grand Total,,{grand_total}\n"));
    let pivot = s.file("pivot.csv", &pivot);
    let read = same_forecast(&pivot, &[]);
    for key in ["p10", "p50", "p90", "level_m2_per_month"] {
        assert_eq!(monthly[key], read[key], "{key}: {monthly} {read}");
    }
    assert_eq!(
        (
            monthly["rows_labelled_from_above"].as_u64(),
            read["rows_labelled_from_above"].as_u64()
        ),
        (Some(0), Some(118))
    );
    let (code, out, err) = forecast_with(&["--lang", "uk"], &pivot, &["--remaining-m2", "1000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("примітка: 118 рядк. без організації прочитано"), "{out}");
    // The same months across the header, a row per organisation: the same forecast.
    let mut across = String::from("Operator");
    let lines: Vec<Vec<String>> = history_csv("")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for month in lines.iter().map(|l| &l[0]).step_by(2) {
        across.push_str(&format!(",{month}"));
    }
    for org in ["A", "B"] {
        across.push_str(&format!("\n{org}"));
        for l in lines.iter().filter(|l| l[1] == org) {
            across.push_str(&format!(",{}", l[2]));
        }
    }
    let across = s.file("across.csv", &format!("{across}\n"));
    let read = same_forecast(&across, &[]);
    for key in ["p10", "p50", "p90", "level_m2_per_month"] {
        assert_eq!(monthly[key], read[key], "{key}: {monthly} {read}");
    }
    assert_eq!(
        (monthly["month_columns"].as_u64(), read["month_columns"].as_u64()),
        (Some(0), Some(60))
    );
    // A dashboard's totals released to date: said to look cumulative, and read with
    // --cumulative as the monthly file without its first month (the baseline).
    let mut to_date: std::collections::BTreeMap<String, f64> = Default::default();
    let mut cumulative = String::from("Month,Operator,Released\n");
    let mut monthly_after_first = String::from("Month,Operator,Released\n");
    for line in history_csv("").lines().skip(1) {
        let [month, org, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
        let total = to_date.entry(org.to_string()).or_default();
        *total += area.parse::<f64>().unwrap();
        cumulative.push_str(&format!("{month},{org},{total}\n"));
        if month != "2019-01" {
            monthly_after_first.push_str(&format!("{line}\n"));
        }
    }
    let (cum, after_first) = (
        s.file("to-date.csv", &cumulative),
        s.file("after-first.csv", &monthly_after_first),
    );
    let as_monthly = same_forecast(&cum, &[]);
    assert_eq!(
        as_monthly["looks_cumulative"]["months"].as_u64(),
        Some(60),
        "{as_monthly}"
    );
    let (code, out, err) = forecast_with(&["--lang", "uk"], &cum, &["--remaining-m2", "1000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("прочитайте його з --cumulative"), "{out}");
    let (read, want) = (same_forecast(&cum, &["--cumulative"]), same_forecast(&after_first, &[]));
    assert_eq!(read["looks_cumulative"], Value::Null, "{read}");
    for key in ["p10", "p50", "p90", "history_last_month"] {
        assert_eq!(read[key], want[key], "{key}: {read} {want}");
    }
    let level = |v: &Value| v["level_m2_per_month"].as_f64().unwrap();
    assert!(
        (level(&read) - level(&want)).abs() < 1e-6 * level(&want),
        "{read} {want}"
    );
    // An export with its own names for the area, a column in hectares per outcome and no
    // --columns: their sum, the same forecast as the file in m², and said so in both languages.
    let mut outcomes = String::from("Month,Operator,Cancelled (ha),Reduced (ha),Cleared (ha)\n");
    for line in history_csv("").lines().skip(1) {
        let [month, org, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
        let ha = area.parse::<f64>().unwrap() / 1e4;
        outcomes.push_str(&format!("{month},{org},{},{},{}\n", ha / 2.0, ha / 4.0, ha / 4.0));
    }
    let outcomes = s.file("outcomes.csv", &outcomes);
    let unmapped = |lang: &str, more: &[&str]| {
        let args = ["--lang", lang, "forecast", "--history", outcomes.to_str().unwrap()];
        s.run(&[&args[..], &["--remaining-m2", "5000000", "--start", "2024-01-01"], more].concat())
    };
    let (code, out, err) = unmapped("en", &["--json"]);
    assert_eq!(code, 0, "{err}");
    let read: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        read["area_columns_by_unit"],
        serde_json::json!({"columns": ["Cancelled (ha)", "Reduced (ha)", "Cleared (ha)"], "unit": "ha"})
    );
    for key in ["p10", "p50", "p90"] {
        assert_eq!(monthly[key], read[key], "{key}: {monthly} {read}");
    }
    assert!(
        (level(&read) - level(&monthly)).abs() < 1e-6 * level(&monthly),
        "{read} {monthly}"
    );
    for (lang, says) in [
        (
            "en",
            "the released area is the sum of 'Cancelled (ha)' + 'Reduced (ha)' + 'Cleared (ha)', in ha",
        ),
        (
            "uk",
            "звільнена площа — сума стовпців 'Cancelled (ha)' + 'Reduced (ha)' + 'Cleared (ha)', у га",
        ),
    ] {
        let (code, out, err) = unmapped(lang, &[]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(says), "{lang}: {out}");
    }
    // The same history kept in a workbook (a notes sheet first, a title, months as dates), and
    // saved as CSV in Windows-1251 with Ukrainian headers: the same forecast, said how it was read.
    let book_path = s.dir.path().join("history.xlsx");
    {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .set_name("Notes")
            .unwrap()
            .write_string(0, 0, "SYNTHETIC")
            .unwrap();
        let sheet = book.add_worksheet().set_name("Щомісяця").unwrap();
        let as_month = rust_xlsxwriter::Format::new().set_num_format("mmm-yy");
        sheet.write_string(0, 0, "Released land, SYNTHETIC").unwrap();
        for (col, header) in ["Month", "Operator", "Area (m2)"].into_iter().enumerate() {
            sheet.write_string(2, col as u16, header).unwrap();
        }
        for (k, line) in history_csv("").lines().skip(1).enumerate() {
            let [month, org, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
            let (year, month) = (month[..4].parse().unwrap(), month[5..].parse().unwrap());
            let row = 3 + k as u32;
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(year, month, 1).unwrap();
            sheet.write_datetime_with_format(row, 0, &date, &as_month).unwrap();
            sheet.write_string(row, 1, org).unwrap();
            sheet.write_number(row, 2, area.parse::<f64>().unwrap()).unwrap();
        }
        book.save(&book_path).unwrap();
    }
    let ukrainian = as_windows_1251(&history_csv("").replace(',', ";").replacen(
        "Month;Operator;Released",
        "Місяць;Оператор;Площа, м²",
        1,
    ));
    let cp1251 = s.dir.path().join("history-cp1251.csv");
    std::fs::write(&cp1251, ukrainian).unwrap();
    let read_by = |file: &std::path::Path, more: &[&str]| {
        let args = [
            "forecast",
            "--history",
            file.to_str().unwrap(),
            "--remaining-m2",
            "5000000",
            "--start",
            "2024-01-01",
        ];
        s.run(&[&args[..], more].concat())
    };
    // The file gives the forecast of the CSV, and JSON says how it was read (`key`: `value`).
    let reads_as_the_csv = |file: &std::path::Path, key: &str, value: &str| {
        let (code, out, err) = read_by(file, &["--json"]);
        assert_eq!(code, 0, "{err}");
        let read: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(read[key], value, "{read}");
        for k in ["p10", "p50", "p90"] {
            assert_eq!(monthly[k], read[k], "{k}: {monthly} {read}");
        }
    };
    let notes_in_ukrainian = |file: &std::path::Path, note: &str| {
        let (code, out, err) = read_by(file, &["--lang", "uk"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(note), "{out}");
    };
    reads_as_the_csv(&book_path, "sheet", "Щомісяця");
    reads_as_the_csv(&cp1251, "encoding", "windows-1251");
    let (code, out, err) = read_by(&book_path, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("note: read the sheet 'Щомісяця' of the workbook's 2 (Notes, Щомісяця)")
            && out.contains("note: the first 2 lines"),
        "{out}"
    );
    let (code, out, err) = read_by(&cp1251, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("read as windows-1251"), "{out}");
    // The same history as a pivot table copied from Ukrainian Excel in compact form: each
    // operator's total beside its name, its months under it, and the grand total.
    let mut by_operator: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for line in history_csv("").lines().skip(1) {
        let [month, org, area]: [&str; 3] = line.split(',').collect::<Vec<_>>().try_into().unwrap();
        let area: f64 = area.parse().unwrap();
        match by_operator.iter_mut().find(|(o, _)| o == org) {
            Some((_, months)) => months.push((month.to_string(), area)),
            None => by_operator.push((org.to_string(), vec![(month.to_string(), area)])),
        }
    }
    let mut compact = String::from("Назви рядків;Сума з Площа, м²\n");
    for (org, months) in &by_operator {
        compact.push_str(&format!("{org};{}\n", months.iter().map(|(_, a)| a).sum::<f64>()));
        for (month, area) in months {
            compact.push_str(&format!("{month};{area}\n"));
        }
    }
    let grand: f64 = by_operator.iter().flat_map(|(_, m)| m.iter().map(|(_, a)| a)).sum();
    compact.push_str(&format!("Загальний підсумок;{grand}\n"));
    let compact_path = s.file("pivot-compact.csv", &compact);
    reads_as_the_csv(&compact_path, "row_labels_column", "Назви рядків");
    notes_in_ukrainian(
        &compact_path,
        "зведена таблиця в компактній формі: її стовпець 'Назви рядків'",
    );
    // A grand total that is not the sum is refused at its line, in the value column.
    let wrong = compact.replace(&format!("Загальний підсумок;{grand}"), "Загальний підсумок;1");
    let (code, _, err) = read_by(&s.file("pivot-wrong.csv", &wrong), &[]);
    assert_eq!(code, 2, "{err}");
    let last_line = wrong.lines().count();
    assert!(
        err.contains(&format!("pivot-wrong.csv: line {last_line}, column 'Сума з Площа, м²'")),
        "{err}"
    );
    // The same pivot with its months across the columns, as Ukrainian Excel copies it: a caption
    // line above the header, read for the unit and left aside.
    let months: std::collections::BTreeSet<&String> = by_operator
        .iter()
        .flat_map(|(_, m)| m.iter().map(|(month, _)| month))
        .collect();
    let mut across = format!(
        "Сума з Площа, м²;Назви стовпців{}\nНазви рядків",
        ";".repeat(months.len())
    );
    for month in &months {
        across.push_str(&format!(";{month}"));
    }
    across.push_str(";Загальний підсумок\n");
    for (org, by_month) in &by_operator {
        across.push_str(org);
        for month in &months {
            let cell = by_month
                .iter()
                .find(|(m, _)| m == *month)
                .map_or(String::new(), |(_, a)| a.to_string());
            across.push_str(&format!(";{cell}"));
        }
        across.push_str(&format!(";{}\n", by_month.iter().map(|(_, a)| a).sum::<f64>()));
    }
    let across_path = s.file("pivot-across.csv", &across);
    reads_as_the_csv(&across_path, "column_labels_caption", "Сума з Площа, м²");
    notes_in_ukrainian(
        &across_path,
        "таблиця — зведена, з місяцями в стовпцях: її підпис ('Сума з Площа, м²', Назви стовпців)",
    );
    // So is a year's total inside an operator (Ukrainian Excel groups dates by year and `січ`),
    // with the refusal in Ukrainian.
    let by_year = "Назви рядків;Сума з Площа, м²\nHALO;30\n2024;40\nсіч;10\nлют;20\nЗагальний підсумок;30\n";
    let (code, _, err) = read_by(&s.file("pivot-years.csv", by_year), &["--lang", "uk"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("pivot-years.csv: рядок 3, стовпець 'Сума з Площа, м²': '2024' — підсумок групи, але його"),
        "{err}"
    );
    // Problems in a workbook are at the sheet's row; a sheet that is not there is named.
    let (code, _, err) = read_by(&book_path, &["--sheet", "2023"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("history.xlsx: no sheet '2023'; the sheets are: 'Notes', 'Щомісяця'"),
        "{err}"
    );
    let (code, _, err) = read_by(&book_path, &["--sheet", "notes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("history.xlsx (sheet 'Notes'): no column 'month'"), "{err}");
    let (code, _, err) = read_by(&cp1251, &["--sheet", "Щомісяця"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a workbook"), "{err}");
    // A history with a header and no month is refused (a deadline in the past for `capacity`
    // on the planning CSVs is covered by tests/plan.rs).
    let empty = s.file("empty.csv", "Month,Operator,Released\n");
    let (code, _, err) = forecast_of(&[], &empty);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a forecast needs at least 6") && !err.contains("panicked"),
        "{err}"
    );
}

/// The same history derived from the registry's activities.
#[test]
fn history_from_the_registry() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "5"]);
    let db = out.join("demine.gpkg");
    let f = json_on(&db, &["forecast", "--history", "registry", "--json"]);
    assert!(f["source"].as_str().unwrap().contains("activities"), "{f}");
    assert_eq!(f["remaining_source"], "registry");
    assert!(f["remaining_m2"].as_f64().unwrap() > 0.0);
    // The demo's activities release a few hectares a month: the P90 may be past 50 years (null).
    assert!(
        f["p10"].as_str().unwrap() <= f["p90"].as_str().unwrap_or("9999-12"),
        "{f}"
    );
    assert_eq!(
        f["p90"].is_null(),
        f["beyond_horizon_share"].as_f64().unwrap() > 0.1,
        "{f}"
    );
    // How a CSV's rows are read does not apply to the registry's own months: refused, and said
    // why.
    for flag in ["--sum-rows", "--cumulative"] {
        let o = run_on(&db, &["forecast", "--history", "registry", flag]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--history registry is already each month's release"),
            "{err}"
        );
    }
}

/// What the engines write beside their figures (why a strategy cancels or clears, what a
/// priority criterion measured, where a residual prior came from) reads in Ukrainian with
/// `--lang uk`, its figures kept.
#[test]
fn the_engines_notes_read_in_ukrainian() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "3"]);
    let db = out.join("demine.gpkg");
    let uk = |args: &[&str]| -> String {
        let mut all = vec!["--lang", "uk"];
        all.extend(args);
        let o = run_on(&db, &all);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let strategy = uk(&[
        "strategy",
        "--start",
        "2026-01-05",
        "--runs",
        "30",
        "--search-budget",
        "1",
    ]);
    assert!(
        strategy.contains("скасувати ") && strategy.contains(" га у комірках: "),
        "{strategy}"
    );
    for english in ["cell(s)", "no evidence", "cancel ", "high risk"] {
        assert!(!strategy.contains(english), "{english:?} left in {strategy}");
    }
    let plan = uk(&["plan", "--start", "2026-01-05"]);
    assert!(
        plan.contains(", реєстр ") && plan.contains("(евристичний пошук"),
        "{plan}"
    );
    assert!(!plan.contains("registry") && !plan.contains("heuristic"), "{plan}");
    let priority = uk(&["priority", "--top", "10"]);
    assert!(priority.contains("карт") && priority.contains("докази"), "{priority}");
    for english in [
        "risk map",
        "land use",
        "people",
        "evidence",
        "inside or within",
        "households",
    ] {
        assert!(!priority.contains(english), "{english:?} left in {priority}");
    }
    let release = json_on(&db, &["release", "--json"]);
    let released = release["per_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["cleared_m2"].as_f64().unwrap_or(0.0) > 0.0)
        .expect("the demo released land");
    let residual = uk(&["residual", released["id"].as_str().unwrap()]);
    assert!(
        residual.contains("типове значення для класу") || residual.contains("карта ризику: P(хоч один предмет) = "),
        "{residual}"
    );
    assert!(
        !residual.contains(" over 0 m²") && !residual.contains(" на 0 м²"),
        "{residual}"
    );
}

/// Teams that cannot do every stage a strategy plans (only deminers, no survey teams): the
/// strategy is refused naming the stage, the kind of team it needs and how many hazards need it;
/// no panic, one line per missing kind however many hazards.
#[test]
fn teams_missing_for_a_strategys_stages_are_named() {
    let s = Scratch::new();
    let (out, _) = demo_in(&s, "demo", &["--scale", "small", "--seed", "4"]);
    let db = out.join("demine.gpkg");
    let deminers = s.file("deminers.csv", "id,kind,productivity_m2_per_day\nT-1,manual,400\n");
    let o = run_on(
        &db,
        &[
            "strategy",
            "--teams",
            deminers.to_str().unwrap(),
            "--runs",
            "20",
            "--search-budget",
            "0.5",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("its nts stage needs an nts team"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("strategy survey-led: ") && line.contains(" hazard(s) (HAZ-"),
        "{line}"
    );
    assert!(line.contains("deminers.csv"), "{line}");
    assert_eq!(err.matches("its nts stage").count(), 1, "{err}");
    assert!(err.contains("--strategy clear-all"), "{err}");
    // A forecast sized by evidence-led says the same, once per missing kind.
    let o = run_on(
        &db,
        &[
            "forecast",
            "--teams",
            deminers.to_str().unwrap(),
            "--strategy",
            "evidence-led",
            "--runs",
            "20",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("its nts stage").count(), 1, "{err}");
    assert!(
        err.contains("strategy evidence-led: ") && !err.contains("panicked"),
        "{err}"
    );
    // Clear-all needs deminers alone: it plans.
    let plan = json_on(
        &db,
        &[
            "plan",
            "--teams",
            deminers.to_str().unwrap(),
            "--strategy",
            "clear-all",
            "--json",
        ],
    );
    assert!(plan["completion_date"].as_str().is_some(), "{plan}");
}

/// `text` in Windows-1251 (Cyrillic, ASCII and `²`; other characters are not in the tests'
/// files), written by hand so the test does not share the decoder it checks.
fn as_windows_1251(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text.chars() {
        let u = c as u32;
        out.push(match u {
            0..=0x7F => u as u8,
            0x0410..=0x044F => (u - 0x0410 + 0xC0) as u8,
            0x0406 => 0xB2, // І
            0x0456 => 0xB3, // і
            0x0404 => 0xAA, // Є
            0x0454 => 0xBA, // є
            0x0407 => 0xAF, // Ї
            0x0457 => 0xBF, // ї
            0x00B2 => b'2', // ² has no Windows-1251 byte; Excel writes 2
            _ => panic!("not in Windows-1251 here: {c}"),
        });
    }
    out
}
