//! Hindcasts of [`demine_plan::history`] on SYNTHETIC programme histories of several kinds (not a
//! test: a measurement, printed as a table). Real programmes grow while teams are added, level
//! off, shrink as land or funding runs out, and stop in winter; the forecast has to hold on all.
//!
//! `cargo run --release -p demine-plan --example hindcast_regimes [-- HISTORIES_PER_KIND
//! [MIN_MONTHS MAX_MONTHS]]` (fitted months, 48–96 by default; 20–36 for young programmes)
//!
//! Per kind and horizon: the mean share of forecast months inside P10–P90, how often the P50
//! beats the straight line through the last 12 fitted months, and the median of the ratio of the
//! two median errors.

#[path = "../tests/common/programmes.rs"]
mod programmes;

use demine_plan::history::*;
use programmes::{programme, KINDS};

fn main() {
    let arg = |k: usize, default: u64| std::env::args().nth(k).and_then(|s| s.parse().ok()).unwrap_or(default);
    let per_kind = arg(1, 40);
    let (min_months, max_months) = (arg(2, 48) as usize, arg(3, 96) as usize);
    let span = max_months.saturating_sub(min_months) + 1;
    println!("SYNTHETIC histories, {per_kind} per kind; hindcast from {min_months}–{max_months} months of history");
    println!(
        "{:<13} {:>8} {:>14} {:>16} {:>18} {:>16}",
        "kind", "horizon", "coverage P10–P90", "P50 beats line", "error / line's (median)", "beats rate line"
    );
    for kind in KINDS {
        for horizon in [6usize, 12, 24] {
            let (mut coverage, mut wins, mut ratios, mut rate_wins) = (0.0, 0, Vec::new(), 0);
            for seed in 0..per_kind {
                let months = min_months + (seed as usize * 7) % span;
                let h = programme(kind, seed * 31 + horizon as u64, months + horizon);
                let fit = YearMonth::new(2015, 1).unwrap().plus(months as i64 - 1);
                let r = hindcast(&h, fit, &HistoryOptions { runs: 500, seed }).unwrap();
                coverage += r.coverage_p10_p90;
                wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
                ratios.push(r.median_abs_error_m2 / r.baseline_median_abs_error_m2.max(1.0));
                rate_wins += usize::from(r.median_abs_error_m2 < rate_line_error(&h, fit, &r));
            }
            ratios.sort_by(f64::total_cmp);
            println!(
                "{:<13} {:>8} {:>14.2} {:>13}/{:<3} {:>18.2} {:>13}/{:<3}",
                format!("{kind:?}"),
                horizon,
                coverage / per_kind as f64,
                wins,
                per_kind,
                ratios[ratios.len() / 2],
                rate_wins,
                per_kind
            );
        }
    }
}

/// The median error of another reading of "a straight line through the last 12 months": the line
/// through the last 12 fitted monthly totals, extrapolated month by month and added up.
fn rate_line_error(h: &[MonthlyRelease], fit: YearMonth, r: &Hindcast) -> f64 {
    let totals: Vec<f64> = monthly_totals(h)
        .into_iter()
        .filter(|(m, _)| *m <= fit)
        .map(|(_, a)| a)
        .collect();
    let ys = &totals[totals.len().saturating_sub(12)..];
    let n = ys.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = (0..ys.len()).map(|i| (i as f64 - mx).powi(2)).sum();
    let slope = (0..ys.len()).map(|i| (i as f64 - mx) * (ys[i] - my)).sum::<f64>() / sxx.max(1e-9);
    let mut cum = 0.0;
    let mut errors: Vec<f64> = r
        .months
        .iter()
        .enumerate()
        .map(|(k, m)| {
            cum += my + slope * (n - 1.0 + (k + 1) as f64 - mx);
            (cum - m.actual_cum_m2).abs()
        })
        .collect();
    errors.sort_by(f64::total_cmp);
    errors[errors.len() / 2]
}
