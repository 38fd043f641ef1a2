#![no_main]
//! A programme's monthly history CSV (`forecast --history`): read as it is, with rows added up
//! and as cumulative totals, and what reads fitted and forecast: an error, never a panic.
use demine_plan::history::{forecast_history, parse_history_file, ColumnMap, HistoryOptions};
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (sum_rows, cumulative) in [(false, false), (true, false), (false, true)] {
        let map = ColumnMap {
            sum_rows,
            cumulative,
            ..ColumnMap::default()
        };
        if let Ok(file) = parse_history_file(&text, "fuzz.csv", &map) {
            let _ = forecast_history(&file.rows, 1e6, None, &HistoryOptions { runs: 5, seed: 1 });
        }
    }
});
