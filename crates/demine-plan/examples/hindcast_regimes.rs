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
        "{:<13} {:>8} {:>14} {:>16} {:>18}",
        "kind", "horizon", "coverage P10–P90", "P50 beats line", "error / line's (median)"
    );
    for kind in KINDS {
        for horizon in [6usize, 12, 24] {
            let (mut coverage, mut wins, mut ratios) = (0.0, 0, Vec::new());
            for seed in 0..per_kind {
                let months = min_months + (seed as usize * 7) % span;
                let h = programme(kind, seed * 31 + horizon as u64, months + horizon);
                let fit = YearMonth::new(2015, 1).unwrap().plus(months as i64 - 1);
                let r = hindcast(&h, fit, &HistoryOptions { runs: 500, seed }).unwrap();
                coverage += r.coverage_p10_p90;
                wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
                ratios.push(r.median_abs_error_m2 / r.baseline_median_abs_error_m2.max(1.0));
            }
            ratios.sort_by(f64::total_cmp);
            println!(
                "{:<13} {:>8} {:>14.2} {:>13}/{:<3} {:>18.2}",
                format!("{kind:?}"),
                horizon,
                coverage / per_kind as f64,
                wins,
                per_kind,
                ratios[ratios.len() / 2]
            );
        }
    }
}
