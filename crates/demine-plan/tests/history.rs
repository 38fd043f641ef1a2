//! Forecasts learned from a history: located errors on bad input, and hindcasts on SYNTHETIC
//! programme histories (a level that drifts, seasons, noise) that the model did not generate.

use demine_plan::history::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A SYNTHETIC programme: teams added and lost in steps, winter slow-downs, lumpy months, three
/// organisations.
fn programme(seed: u64, months: usize) -> Vec<MonthlyRelease> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut level = rng.gen_range(200_000.0..800_000.0);
    let mut out = Vec::new();
    for i in 0..months {
        if rng.gen::<f64>() < 0.06 {
            level *= rng.gen_range(0.7..1.5);
        }
        level *= 1.0 + rng.gen_range(-0.02..0.03);
        let m = YearMonth::new(2015 + (i / 12) as i32, (i % 12 + 1) as u32).unwrap();
        let season = match m.month {
            12 | 1 | 2 => 0.45,
            3 | 11 => 0.8,
            7 | 8 => 1.15,
            _ => 1.1,
        };
        for (k, org) in ["OP-A", "OP-B", "OP-C"].iter().enumerate() {
            let share = [0.5, 0.3, 0.2][k];
            let lumpy = (rng.gen_range(-0.6..0.6f64)).exp();
            out.push(MonthlyRelease {
                month: m,
                organisation: org.to_string(),
                area_m2: level * season * share * lumpy,
            });
        }
    }
    out
}

#[test]
fn hindcast_bands_cover_and_beat_a_straight_line() {
    let (mut coverage, mut wins, n) = (0.0, 0, 20);
    for seed in 0..n {
        let h = programme(seed, 96);
        let fit = YearMonth::new(2021, 12).unwrap(); // 7 years fitted, 1 forecast
        let r = hindcast(&h, fit, &HistoryOptions { runs: 1000, seed }).unwrap();
        assert_eq!(r.months.len(), 12);
        assert!(r.months.windows(2).all(|w| w[1].p50_cum_m2 >= w[0].p50_cum_m2));
        assert!(r
            .months
            .iter()
            .all(|m| m.p10_cum_m2 <= m.p50_cum_m2 && m.p50_cum_m2 <= m.p90_cum_m2));
        coverage += r.coverage_p10_p90;
        wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
    }
    let coverage = coverage / n as f64;
    eprintln!("mean coverage {coverage:.2}, P50 beats the straight line in {wins}/{n}");
    assert!(coverage >= 0.7, "P10–P90 covers {coverage:.2} of months");
    assert!(
        wins * 2 > n as usize,
        "P50 beats the straight line in only {wins}/{n} histories"
    );
}

#[test]
fn forecast_is_reproducible_and_ordered() {
    let h = programme(3, 48);
    let o = HistoryOptions { runs: 500, seed: 9 };
    let a = forecast_history(&h, 20_000_000.0, &o).unwrap();
    let b = forecast_history(&h, 20_000_000.0, &o).unwrap();
    assert_eq!(a, b);
    assert!(a.p10_month <= a.p50_month && a.p50_month <= a.p90_month);
    assert!(a.p10_month > YearMonth::new(2018, 12).unwrap());
    // More land takes longer.
    let c = forecast_history(&h, 60_000_000.0, &o).unwrap();
    assert!(c.p50_month > a.p50_month);
}

#[test]
fn bad_input_is_located_never_a_panic() {
    let map = ColumnMap::parse("month=Month,organisation=Operator,area_m2=Area").unwrap();
    let ok = "Month,Operator,Area\n2024-01,A,100\n2024-02,A,200\n";
    assert_eq!(parse_history(ok, "h.csv", &map).unwrap().len(), 2);
    let dup = "Month,Operator,Area\n2024-01,A,100\n2024-01,B,5\n2024-01,A,7\n";
    let e = parse_history(dup, "h.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("line 4") && e.contains("line 2") && e.contains("2024-01") && e.contains("'A'"),
        "{e}"
    );
    let neg = "Month,Operator,Area\n2024-01,A,-5\n";
    let e = parse_history(neg, "h.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("line 2") && e.contains("'Area'") && e.contains("negative"),
        "{e}"
    );
    let e = parse_history(ok, "h.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column 'month'") && e.contains("Month, Operator, Area"),
        "{e}"
    );
    let e = ColumnMap::parse("mnth=Month").unwrap_err().to_string();
    assert!(e.contains("unknown field 'mnth'"), "{e}");
    let bad_month = "Month,Operator,Area\n2024-13,A,1\n";
    let e = parse_history(bad_month, "h.csv", &map).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("YYYY-MM"), "{e}");
    let text = "Month,Operator,Area\n2024-01,A,abc\n";
    assert!(parse_history(text, "h.csv", &map)
        .unwrap_err()
        .to_string()
        .contains("not a number"));
    // Too short, a cut outside the history, a negative remaining area.
    let short = parse_history(ok, "h.csv", &map).unwrap();
    assert!(matches!(
        forecast_history(&short, 1.0, &HistoryOptions::default()),
        Err(HistoryError::TooShort(_))
    ));
    let h = programme(1, 24);
    assert!(matches!(
        hindcast(&h, YearMonth::new(2030, 1).unwrap(), &HistoryOptions::default()),
        Err(HistoryError::FitUntil { .. })
    ));
    assert!(matches!(
        hindcast(&h, YearMonth::new(2016, 12).unwrap(), &HistoryOptions::default()),
        Err(HistoryError::FitUntil { .. })
    ));
    assert!(forecast_history(&h, -1.0, &HistoryOptions::default()).is_err());
}
