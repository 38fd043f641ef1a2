//! Forecasts learned from a history: located errors on bad input, and hindcasts on SYNTHETIC
//! programme histories (a level that drifts, seasons, noise) that the model did not generate.

mod common {
    pub mod programmes;
}

use common::programmes::{programme, Kind, KINDS};
use demine_plan::history::*;

#[test]
fn hindcast_bands_cover_and_beat_a_straight_line() {
    let (mut coverage, mut wins, n) = (0.0, 0, 20);
    for seed in 0..n {
        let h = programme(Kind::Drift, seed, 96);
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

/// Programmes that grow, level off, shrink or lose funding: a level without a trend lags them
/// and a band as narrow as the model believes misses them (before the damped trend and the
/// band widened by the history's own hindcasts, a growing programme's band held 0.36 of months).
#[test]
fn hindcast_bands_cover_programmes_that_grow_shrink_or_lose_funding() {
    let (n, mut wins, mut total) = (100, 0, 0);
    for kind in KINDS {
        let mut coverage = 0.0;
        for seed in 0..n {
            let months = 48 + (seed as usize * 7) % 37;
            let h = programme(kind, 1000 + seed, months + 12);
            let fit = YearMonth::new(2015, 1).unwrap().plus(months as i64 - 1);
            let r = hindcast(&h, fit, &HistoryOptions { runs: 500, seed }).unwrap();
            coverage += r.coverage_p10_p90;
            wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
            total += 1;
        }
        let coverage = coverage / n as f64;
        eprintln!("{kind:?}: mean coverage {coverage:.2}");
        assert!(coverage >= 0.7, "{kind:?}: P10–P90 covers {coverage:.2} of months");
    }
    eprintln!("P50 beats the straight line in {wins}/{total}");
    assert!(
        wins * 2 > total,
        "P50 beats the straight line in only {wins}/{total} histories"
    );
}

#[test]
fn forecast_is_reproducible_and_ordered() {
    let h = programme(Kind::Drift, 3, 48);
    let o = HistoryOptions { runs: 500, seed: 9 };
    let a = forecast_history(&h, 20_000_000.0, None, &o).unwrap();
    let b = forecast_history(&h, 20_000_000.0, None, &o).unwrap();
    assert_eq!(a, b);
    let (p10, p50, p90) = (a.p10_month.unwrap(), a.p50_month.unwrap(), a.p90_month.unwrap());
    assert!(p10 <= p50 && p50 <= p90);
    assert!(p10 > YearMonth::new(2018, 12).unwrap());
    // More land takes longer.
    let c = forecast_history(&h, 60_000_000.0, None, &o).unwrap();
    assert!(c.p50_month.unwrap() > p50);
}

/// A history that ends a year before the start: the remaining area is what is left at the start,
/// so its release counts from there, and the dates move a year later (about: the level drifts
/// on through the months between); none is before the start.
#[test]
fn a_history_that_ends_before_the_start_forecasts_from_the_start() {
    let h = programme(Kind::Drift, 3, 48);
    let o = HistoryOptions { runs: 500, seed: 9 };
    let after_history = forecast_history(&h, 20_000_000.0, None, &o).unwrap();
    let last = after_history.model.last_month;
    assert_eq!(after_history.start_month, last.plus(1));
    let start = last.plus(13);
    let from_start = forecast_history(&h, 20_000_000.0, Some(start), &o).unwrap();
    assert_eq!(from_start.start_month, start);
    let (p10, p50) = (from_start.p10_month.unwrap(), from_start.p50_month.unwrap());
    assert!(p10 >= start, "P10 {p10} before the start {start}");
    let moved = p50.index() - after_history.p50_month.unwrap().index();
    assert!(
        (9..=15).contains(&moved),
        "P50 moved {moved} months for a start 12 months later"
    );
    // A start before the history's end changes nothing.
    assert_eq!(
        forecast_history(&h, 20_000_000.0, Some(last.plus(-5)), &o).unwrap(),
        after_history
    );
}

/// Land the history's pace cannot release in 50 years has no date: the forecast says so, and
/// how many of its runs got there, instead of printing the horizon as a P50.
#[test]
fn what_is_not_released_within_the_horizon_has_no_date() {
    let h = programme(Kind::Drift, 3, 48);
    let o = HistoryOptions { runs: 300, seed: 9 };
    let f = forecast_history(&h, 1e15, None, &o).unwrap();
    assert_eq!((f.p10_month, f.p50_month, f.p90_month), (None, None, None));
    assert_eq!(f.beyond_horizon_share, 1.0);
    let f = forecast_history(&h, 20_000_000.0, None, &o).unwrap();
    assert!(f.p90_month.is_some() && f.beyond_horizon_share < 0.1);
}

/// Each row's month, organisation and area, to compare with what a file should read as.
fn figures(file: &HistoryFile) -> Vec<(String, &str, f64)> {
    file.rows
        .iter()
        .map(|r| (r.month.to_string(), r.organisation.as_str(), r.area_m2))
        .collect()
}

/// A month column that lost its date format in the spreadsheet holds the dates' serials (days
/// since 1899-12-30): read as their months, and a month twice is still refused at its line.
#[test]
fn spreadsheet_date_serials_read_as_their_months() {
    // 2024-01-01, 2024-02-01, 2024-02-29 at noon, 2024-03-31.
    let serials = "month,organisation,area_m2\n45292,A,100\n45323,A,50\n45351.5,B,30\n45382,A,20\n";
    let rows = parse_history(serials, "s.csv", &ColumnMap::default()).unwrap();
    let read: Vec<(String, &str)> = rows
        .iter()
        .map(|r| (r.month.to_string(), r.organisation.as_str()))
        .collect();
    let want = [("2024-01", "A"), ("2024-02", "A"), ("2024-02", "B"), ("2024-03", "A")];
    assert_eq!(read, want.map(|(m, o)| (m.to_string(), o)));
    // 2024-01-31 is January again.
    let twice = format!("{serials}45322,A,5\n");
    let e = parse_history(&twice, "s.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("s.csv: line 6: month 2024-01 of organisation 'A' is already given on line 2"),
        "{e}"
    );
}

/// Monthly reports kept with the months across the header read as the same history as a row
/// per organisation and month: a row per organisation (an empty cell no row, a total column left
/// aside, a total row checked), or a row per year with the months of the year named in
/// Ukrainian. A problem is placed at the line and the month's column as written.
#[test]
fn months_across_the_header_read_as_rows_of_months() {
    let by_organisation = "Operator,Jan 2024,Feb 2024,2024-03,Total\n\
        HALO,100,200,300,600\nFSD,10,,30,40\nTotal,110,200,330,640\n";
    let file = parse_history_file(by_organisation, "w.csv", &ColumnMap::default()).unwrap();
    assert_eq!(
        figures(&file),
        [
            ("2024-01".to_string(), "HALO", 100.0),
            ("2024-02".to_string(), "HALO", 200.0),
            ("2024-03".to_string(), "HALO", 300.0),
            ("2024-01".to_string(), "FSD", 10.0),
            ("2024-03".to_string(), "FSD", 30.0),
        ]
    );
    let refused = |text: &str, map: &ColumnMap| parse_history(text, "w.csv", map).unwrap_err().to_string();
    let e = refused(
        &by_organisation.replace("FSD,10,,30", "FSD,10,,-30"),
        &ColumnMap::default(),
    );
    assert!(
        e.contains("w.csv: line 3, column '2024-03': -30 m²: released area cannot be negative"),
        "{e}"
    );
    let e = refused(
        &by_organisation.replace("Total,110", "Total,150"),
        &ColumnMap::default(),
    );
    assert!(
        e.contains("line 4, column 'Jan 2024'") && e.contains("not the sum"),
        "{e}"
    );
    let e = refused(&format!("{by_organisation}HALO,1,2,3,6\n"), &ColumnMap::default());
    assert!(
        e.contains("w.csv: line 5: month 2024-01 of organisation 'HALO' is already given on line 2"),
        "{e}"
    );
    // A row per year, semicolons and decimal commas, hectares as mapped.
    let by_year = "Рік;Січень;Лютий;Березень\n2023;1,5;2;\n2024;0,25;;3\n";
    let hectares = ColumnMap::parse("area_ha=months").unwrap();
    let file = parse_history_file(by_year, "y.csv", &hectares).unwrap();
    assert_eq!(
        figures(&file),
        [
            ("2023-01".to_string(), WHOLE_PROGRAMME, 15_000.0),
            ("2023-02".to_string(), WHOLE_PROGRAMME, 20_000.0),
            ("2024-01".to_string(), WHOLE_PROGRAMME, 2_500.0),
            ("2024-03".to_string(), WHOLE_PROGRAMME, 30_000.0),
        ]
    );
    let e = refused(&by_year.replace("2024;", "2O24;"), &hectares);
    assert!(e.contains("w.csv: line 3, column 'Рік': '2O24' is not a year"), "{e}");
    let e = refused("Operator,Jan 2024,2024-01\nA,1,2\n", &ColumnMap::default());
    assert!(
        e.contains("line 1, column '2024-01': the same month as column 'Jan 2024'"),
        "{e}"
    );
    // One month across the header is not such a table: the month column is missing.
    let e = refused("Operator,Jan 2024,Area\nA,1,2\n", &ColumnMap::default());
    assert!(e.contains("no column 'month'"), "{e}");
}

/// A pivot table that names each organisation on its first row only: the blank rows under a
/// name are that organisation's. A file whose blank organisations repeat a month under one name
/// is not such a table: its blanks stay an unnamed organisation, or are refused when they give a
/// month twice, with the way to read the file.
#[test]
fn a_pivot_table_names_each_organisation_once() {
    let pivot = "Operator,Month,Area\nA,2024-01,100\n,2024-02,50\n,2024-03,30\nA Total,,180\n\
        B,2024-01,7\n,2024-03,2\nGrand Total,,189\n";
    let map = ColumnMap::parse("month=Month,organisation=Operator,area_m2=Area").unwrap();
    let file = parse_history_file(pivot, "p.csv", &map).unwrap();
    assert_eq!(
        figures(&file),
        [
            ("2024-01".to_string(), "A", 100.0),
            ("2024-02".to_string(), "A", 50.0),
            ("2024-03".to_string(), "A", 30.0),
            ("2024-01".to_string(), "B", 7.0),
            ("2024-03".to_string(), "B", 2.0),
        ]
    );
    assert_eq!(file.reading.rows_labelled_from_above, 3);
    // The subtotal is still checked against the organisation's rows.
    let wrong = pivot.replace("A Total,,180", "A Total,,190");
    let e = parse_history(&wrong, "p.csv", &map).unwrap_err().to_string();
    assert!(e.contains("line 5") && e.contains("not the sum"), "{e}");
    // Sorted by month, with rows of no organisation: those are not A's.
    let by_month = "Operator,Month,Area\nA,2024-01,100\n,2024-01,5\n,2024-02,6\n";
    let file = parse_history_file(by_month, "m.csv", &map).unwrap();
    let organisations: Vec<&str> = file.rows.iter().map(|r| r.organisation.as_str()).collect();
    assert_eq!(
        (organisations, file.reading.rows_labelled_from_above),
        (vec!["A", "(none)", "(none)"], 0)
    );
    let twice = format!("{by_month},2024-02,7\n");
    let e = parse_history(&twice, "m.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("m.csv: line 5, column 'Operator': no organisation")
            && e.contains("month 2024-02 on line 4")
            && e.contains("name the organisation on every row"),
        "{e}"
    );
}

/// An export with a row per activity or site (each dated within its month) is a history once its
/// rows are added up per organisation and month; without `sum_rows` the second row of a month is
/// refused, and the refusal says how to read such a file.
#[test]
fn rows_of_activities_are_added_up_by_organisation_and_month() {
    let activities = "Completed,Operator,Area\n\
        2024-01-05,A,100\n2024-01-20,A,50.5\n2024-01-09,B,7\n2024-02-11,A,30\n\
        2024-02-12,B,1\n2024-02-28,B,2\n";
    let map = ColumnMap::parse("month=Completed,organisation=Operator,area_m2=Area").unwrap();
    let e = parse_history(activities, "a.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("a.csv: line 3") && e.contains("line 2") && e.contains("--sum-rows"),
        "{e}"
    );
    let summing = ColumnMap { sum_rows: true, ..map };
    let file = parse_history_file(activities, "a.csv", &summing).unwrap();
    assert_eq!(
        figures(&file),
        [
            ("2024-01".to_string(), "A", 150.5),
            ("2024-01".to_string(), "B", 7.0),
            ("2024-02".to_string(), "A", 30.0),
            ("2024-02".to_string(), "B", 3.0),
        ]
    );
    assert_eq!(file.reading.rows_added_up, 2);
    // Summing keeps every other check: a negative activity is still refused at its line, and a
    // month's total row is still checked against the sum of its organisations.
    let negative = format!("{activities}2024-02-14,A,-3\n");
    let e = parse_history(&negative, "a.csv", &summing).unwrap_err().to_string();
    assert!(e.contains("line 8") && e.contains("negative"), "{e}");
    let with_total = format!("{activities}2024-02,Total,33\n");
    assert_eq!(parse_history(&with_total, "a.csv", &summing).unwrap().len(), 4);
    let wrong_total = format!("{activities}2024-02,Total,40\n");
    let e = parse_history(&wrong_total, "a.csv", &summing).unwrap_err().to_string();
    assert!(e.contains("line 8") && e.contains("not the sum"), "{e}");
    // A file without an organisation column adds up to the programme's month.
    let programme_rows = "date,area_m2\n2024-01-03,10\n2024-01-30,5\n2024-02-01,1\n";
    let summing = ColumnMap {
        sum_rows: true,
        ..ColumnMap::default()
    };
    let rows = parse_history(programme_rows, "p.csv", &summing).unwrap();
    assert_eq!(rows.iter().map(|r| r.area_m2).collect::<Vec<_>>(), [15.0, 1.0]);
}

/// Land release reports keep what was cancelled, reduced and cleared in columns of their own:
/// mapped as `A+B+C`, a month's released area is their sum, each cell checked on its own.
#[test]
fn an_area_split_by_outcome_is_added_up() {
    let map = ColumnMap::parse("month=Month,organisation=Operator,area_ha=Cancelled+Reduced+Cleared").unwrap();
    let text = "Month,Operator,Cancelled,Reduced,Cleared\n2024-01,A,10,2.5,0.5\n2024-01,B,,,1\n2024-02,A,0,0,0\n";
    let rows = parse_history(text, "h.csv", &map).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.area_m2).collect::<Vec<_>>(),
        [130_000.0, 10_000.0, 0.0]
    );
    // A negative outcome is refused in its own column; a row with every outcome empty says so.
    let e = parse_history(
        "Month,Operator,Cancelled,Reduced,Cleared\n2024-01,A,1,-2,0\n",
        "h.csv",
        &map,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 2, column 'Reduced'") && e.contains("negative"), "{e}");
    let e = parse_history(
        "Month,Operator,Cancelled,Reduced,Cleared\n2024-01,A,,,\n",
        "h.csv",
        &map,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("line 2") && e.contains("every area column (Cancelled, Reduced, Cleared) is empty"),
        "{e}"
    );
    // A part that is not a column is named; a column whose name has a `+` is that column.
    let typo = ColumnMap::parse("month=Month,area_ha=Cancelled+Clered").unwrap();
    let e = parse_history(text, "h.csv", &typo).unwrap_err().to_string();
    assert!(e.contains("no column 'Clered'"), "{e}");
    let plus = ColumnMap::parse("month=Month,area_m2=NTS+TS").unwrap();
    let rows = parse_history("Month,NTS+TS,NTS\n2024-01,7,1\n", "h.csv", &plus).unwrap();
    assert_eq!(rows[0].area_m2, 7.0);
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
    // `Month` is the month column whatever its case; no column is the area's.
    assert!(
        e.contains("no column 'area_m2'") && e.contains("Month, Operator, Area"),
        "{e}"
    );
    // The default names in any case, and the organisation spelt `organization`.
    let cased = "MONTH,Organization,Area_M2\n2024-01,A,100\n2024-01,B,5\n";
    let rows = parse_history(cased, "h.csv", &ColumnMap::default()).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.organisation.as_str()).collect::<Vec<_>>(),
        ["A", "B"]
    );
    // Rows that repeat a month with no organisation column read as the whole programme's: the
    // refusal says which column to map.
    let unowned = "month,team,area_m2\n2024-01,A,100\n2024-01,B,5\n";
    let e = parse_history(unowned, "h.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 3")
            && e.contains("line 2")
            && e.contains("--columns organisation=COLUMN")
            && e.contains("month, team, area_m2"),
        "{e}"
    );
    let e = ColumnMap::parse("mnth=Month").unwrap_err().to_string();
    assert!(e.contains("unknown field 'mnth'"), "{e}");
    let bad_month = "Month,Operator,Area\n2024-13,A,1\n";
    let e = parse_history(bad_month, "h.csv", &map).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("YYYY-MM"), "{e}");
    // A mistyped year leaves decades without rows: refused at its line, not read as a gap.
    let typo = "Month,Operator,Area\n2024-01,A,100\n2024-02,A,90\n1900-03,B,5\n2024-03,A,80\n";
    let e = parse_history(typo, "h.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("h.csv: line 4, column 'Month'")
            && e.contains("month 1900-03 is 1,486 months")
            && e.contains("correct the year"),
        "{e}"
    );
    let late_typo = "Month,Operator,Area\n2021-11,A,100\n2021-12,A,90\n2202-01,A,80\n";
    let e = parse_history(late_typo, "h.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("line 4") && e.contains("remove the rows after 2021-12"),
        "{e}"
    );
    // Ten years without a row is still a history (a programme that stopped and restarted).
    let restarted = "Month,Operator,Area\n2010-01,A,100\n2020-01,A,90\n";
    assert_eq!(parse_history(restarted, "h.csv", &map).unwrap().len(), 2);
    let text = "Month,Operator,Area\n2024-01,A,abc\n";
    assert!(parse_history(text, "h.csv", &map)
        .unwrap_err()
        .to_string()
        .contains("not a number"));
    // Too short, a cut outside the history, a negative remaining area.
    let short = parse_history(ok, "h.csv", &map).unwrap();
    assert!(matches!(
        forecast_history(&short, 1.0, None, &HistoryOptions::default()),
        Err(HistoryError::TooShort(_))
    ));
    let h = programme(Kind::Drift, 1, 24);
    assert!(matches!(
        hindcast(&h, YearMonth::new(2030, 1).unwrap(), &HistoryOptions::default()),
        Err(HistoryError::FitUntil { .. })
    ));
    assert!(matches!(
        hindcast(&h, YearMonth::new(2016, 12).unwrap(), &HistoryOptions::default()),
        Err(HistoryError::FitUntil { .. })
    ));
    assert!(forecast_history(&h, -1.0, None, &HistoryOptions::default()).is_err());
}

/// A Ukrainian spreadsheet's headers (Місяць, Організація, Площа, га) read without --columns,
/// as the English file does; so do `Operator`, a Russian export's, and English spelt out
/// (`Date`, `Agency`, `Area (ha)`).
#[test]
fn usual_headers_read_without_a_mapping() {
    let english = "month,organisation,area_m2\n2024-01,A,15000\n2024-01,B,5000\n2024-02,A,20000\n";
    let want = parse_history(english, "en.csv", &ColumnMap::default()).unwrap();
    for (name, text) in [
        (
            "uk.csv",
            "Місяць;Організація;Площа, га\n2024-01;A;1,5\n2024-01;B;0,5\n2024-02;A;2\n",
        ),
        (
            "uk2.csv",
            "МІСЯЦЬ;Оператор;Площа (м²)\n2024-01;A;15000\n2024-01;B;5000\n2024-02;A;20000\n",
        ),
        (
            "ru.csv",
            "Месяц;Организация;Площадь, км²\n2024-01;A;0,015\n2024-01;B;0,005\n2024-02;A;0,02\n",
        ),
        (
            "op.csv",
            "Month,Operator,Area_m2\n2024-01,A,15000\n2024-01,B,5000\n2024-02,A,20000\n",
        ),
        (
            "en-ha.csv",
            "Date,Agency,Area (ha)\n2024-01-31,A,1.5\n2024-01-31,B,0.5\n2024-02-29,A,2\n",
        ),
    ] {
        let got = parse_history(text, name, &ColumnMap::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((g.month, &g.organisation), (w.month, &w.organisation), "{name}");
            assert!(
                (g.area_m2 - w.area_m2).abs() < 1e-6,
                "{name}: {} m² against {}",
                g.area_m2,
                w.area_m2
            );
        }
    }
}

/// A history saved by a spreadsheet set to Ukrainian (or most European) conventions: semicolons,
/// decimal commas, thousands grouped by a no-break space and day-first dates read as the same
/// months and areas as the ISO file.
#[test]
fn a_spreadsheets_semicolon_file_reads_as_its_comma_file() {
    let map = ColumnMap::parse("month=Місяць,organisation=Оператор,area_m2=Площа").unwrap();
    let iso = "Місяць,Оператор,Площа\n2024-01,ДСНС,1500.5\n2024-02,ДСНС,2000\n2024-02,HALO,75.25\n";
    let local = "Місяць;Оператор;Площа\n31.01.2024;ДСНС;1500,5\n02.2024;ДСНС;2\u{a0}000\n29.02.2024;HALO;75,25\n";
    assert_eq!(
        parse_history(local, "h.csv", &map).unwrap(),
        parse_history(iso, "h.csv", &map).unwrap()
    );
    // LibreOffice set to Ukrainian saves a comma file with its numbers quoted, decimal commas
    // kept: the area column as a whole says so (a comma that cannot group thousands).
    let libreoffice = "Місяць,Оператор,Площа\n2024-01,ДСНС,\"1 500,5\"\n2024-02,ДСНС,2000\n2024-02,HALO,\"75,25\"\n";
    assert_eq!(
        parse_history(libreoffice, "h.csv", &map).unwrap(),
        parse_history(iso, "h.csv", &map).unwrap()
    );
    // A column where a comma groups thousands beside a decimal dot is an English export: a
    // comma there that cannot group is refused, not guessed.
    let mixed = "Місяць,Оператор,Площа\n2024-01,ДСНС,\"1,500.5\"\n2024-02,ДСНС,\"1500,5\"\n";
    let e = parse_history(mixed, "h.csv", &map).unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("not a number"), "{e}");
}

/// An English spreadsheet's export (a byte-order mark, months formatted `Jan-24`, thousands
/// grouped by commas in quoted numbers, rows left empty) and a German one (thousands grouped by dots, decimal commas) read
/// as the plain file.
#[test]
fn exported_spreadsheets_with_grouped_thousands_read_as_the_plain_file() {
    let map = ColumnMap::default();
    let plain = "month,organisation,area_m2\n2024-01,A,1234567.5\n2024-02,A,2000\n";
    let english = "\u{feff}month,organisation,area_m2\nJan-24,A,\"1,234,567.5\"\nFebruary 2024,A,\"2,000\"\n,,\n";
    let german = "month;organisation;area_m2\n01.2024;A;1.234.567,5\n02.2024;A;2.000\n;;\n";
    let want = parse_history(plain, "plain.csv", &map).unwrap();
    assert_eq!(parse_history(english, "english.csv", &map).unwrap(), want);
    assert_eq!(parse_history(german, "german.csv", &map).unwrap(), want);
    // Groups that are not whole thousands are refused, with the line and the column.
    let e = parse_history("month,organisation,area_m2\n2024-01,A,\"12,34,567\"\n", "h.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("area_m2"), "{e}");
}

/// Spreadsheets add total rows under a table: one that sums the rows above (or an
/// organisation's rows, when it names one) carries nothing new and is skipped; one that does not
/// is refused, since the total or a row is wrong.
#[test]
fn total_rows_that_add_up_are_skipped_and_others_refused() {
    let map = ColumnMap::default();
    let plain = "month,organisation,area_m2
2024-01,A,1000
2024-02,A,2000
2024-01,B,500
";
    let want = parse_history(plain, "plain.csv", &map).unwrap();
    let with_totals = "month,organisation,area_m2
2024-01,A,1000
2024-02,A,2000
Total,A,3000
2024-01,B,500
Всього:,,3500
";
    assert_eq!(parse_history(with_totals, "totals.csv", &map).unwrap(), want);
    let ukrainian = "місяць;організація;площа
01.2024;A;1000
02.2024;A;2000
01.2024;B;500
Разом;;3 500
";
    let map_uk = ColumnMap::parse("month=місяць,organisation=організація,area_m2=площа").unwrap();
    assert_eq!(parse_history(ukrainian, "uk.csv", &map_uk).unwrap(), want);
    let e = parse_history(
        "month,organisation,area_m2
2024-01,A,1000
2024-02,A,2000
Total,,3500
",
        "h.csv",
        &map,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("h.csv") && e.contains("line 4") && e.contains("'Total' is a total row") && e.contains("3,000"),
        "{e}"
    );
}

/// A dashboard's export gives the area released to date: read with `cumulative` each month is
/// the difference from the one before, the first month the baseline; without it the history is
/// said to look cumulative, and a real programme's months are not.
#[test]
fn cumulative_totals_read_as_each_months_release() {
    let monthly = programme(Kind::Drift, 11, 36);
    let mut running: std::collections::BTreeMap<String, f64> = Default::default();
    let mut text = String::from("month,organisation,area_m2\n");
    for r in &monthly {
        let to_date = running.entry(r.organisation.clone()).or_default();
        *to_date += r.area_m2;
        text.push_str(&format!("{},{},{:.3}\n", r.month, r.organisation, to_date));
    }
    let cumulative = ColumnMap {
        cumulative: true,
        ..ColumnMap::default()
    };
    let rows = parse_history(&text, "c.csv", &cumulative).unwrap();
    let first = monthly[0].month;
    let want: Vec<&MonthlyRelease> = monthly.iter().filter(|r| r.month > first).collect();
    assert_eq!(rows.len(), want.len());
    for (got, want) in rows.iter().zip(want) {
        assert_eq!((got.month, &got.organisation), (want.month, &want.organisation));
        assert!((got.area_m2 - want.area_m2).abs() < 0.01, "{got:?} {want:?}");
    }
    let as_read = parse_history(&text, "c.csv", &ColumnMap::default()).unwrap();
    assert!(matches!(looks_cumulative(&as_read), Some((36, r)) if r > 5.0));
    assert_eq!(looks_cumulative(&monthly), None);
    // A total mistyped with a digit too many makes the next month fall: refused at that line
    // (month 12 of OP-B: the header, 11 months of three rows, OP-A).
    let fallen = text.replacen(
        &format!("{},OP-B,", monthly[30].month),
        &format!("{},OP-B,1", monthly[30].month),
        1,
    );
    let e = parse_history(&fallen, "c.csv", &cumulative).unwrap_err().to_string();
    assert!(
        e.contains("c.csv: line 36,") && e.contains("the cumulative area of OP-B falls"),
        "{e}"
    );
}

/// A pivot table saved as CSV has a subtotal under each group, `HALO Total` or `2024-01 Total`,
/// and a `Grand Total`: each is checked against the rows it totals and skipped.
#[test]
fn a_pivot_tables_subtotals_are_checked_and_skipped() {
    let map = ColumnMap::parse("month=Month,organisation=Operator,area_m2=Area").unwrap();
    let plain = "Operator,Month,Area\nHALO,2024-01,1000\nHALO,2024-02,2000\nFSD,2024-01,500\nFSD,2024-02,700\n";
    let want = parse_history(plain, "plain.csv", &map).unwrap();
    let by_operator = "Operator,Month,Area\nHALO,2024-01,1000\nHALO,2024-02,2000\nHALO Total,,3000\n\
        FSD,2024-01,500\nFSD,2024-02,700\nFSD Total,,1200\nGrand Total,,4200\n";
    assert_eq!(parse_history(by_operator, "pivot.csv", &map).unwrap(), want);
    let by_month = "Month,Operator,Area\n2024-01,HALO,1000\n2024-01,FSD,500\n2024-01 Total,,1500\n\
        2024-02,HALO,2000\n2024-02,FSD,700\n2024-02 Total,,2700\nGrand Total,,4200\n";
    let mut got = parse_history(by_month, "pivot.csv", &map).unwrap();
    got.sort_by(|a, b| (&a.organisation, a.month).cmp(&(&b.organisation, b.month)));
    let mut want_sorted = want.clone();
    want_sorted.sort_by(|a, b| (&a.organisation, a.month).cmp(&(&b.organisation, b.month)));
    assert_eq!(got, want_sorted);
    // A subtotal that does not add up is refused at its line, with what it should be.
    let wrong = by_operator.replace("FSD Total,,1200", "FSD Total,,1300");
    let e = parse_history(&wrong, "pivot.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("line 7")
            && e.contains("'FSD Total' is a total row")
            && e.contains("since the last total row for FSD (1,200 m²)"),
        "{e}"
    );
}

/// Excel's tabular pivot with dates grouped by year totals each year under its months, in the
/// year column (`2024 Total`), and each organisation under its years: a total of groups is
/// checked against all of them, not only the last, and a wrong one is still refused. Labels not
/// repeated, the year like the organisation, read as the ones above.
#[test]
fn a_pivot_tables_subtotals_of_groups_of_groups_are_checked() {
    let plain = "Operator,Year,Month,Area\nHALO,2024,1,1000\nHALO,2024,2,2000\nHALO,2025,1,500\nFSD,2024,1,700\n";
    let nested = "Operator,Year,Month,Area\nHALO,2024,1,1000\nHALO,2024,2,2000\nHALO,2024 Total,,3000\n\
        HALO,2025,1,500\nHALO,2025 Total,,500\nHALO Total,,,3500\n\
        FSD,2024,1,700\nFSD,2024 Total,,700\nFSD Total,,,700\nGrand Total,,,4200\n";
    let map = ColumnMap::parse("organisation=Operator,year=Year,month=Month,area_m2=Area").unwrap();
    let want = parse_history(plain, "plain.csv", &map).unwrap();
    assert_eq!(parse_history(nested, "pivot.csv", &map).unwrap(), want);
    // A wrong total of groups is told against its groups' rows.
    let e = parse_history(
        &nested.replace("HALO Total,,,3500", "HALO Total,,,4500"),
        "pivot.csv",
        &map,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("its 4,500 m² is not the sum of the rows of the groups above it for HALO (3,500 m²)"),
        "{e}"
    );
    for (wrong, line) in [
        (nested.replace("HALO Total,,,3500", "HALO Total,,,4500"), 7),
        (nested.replace("HALO,2024 Total,,3000", "HALO,2024 Total,,2000"), 4),
        (nested.replace("Grand Total,,,4200", "Grand Total,,,3500"), 11),
    ] {
        let e = parse_history(&wrong, "pivot.csv", &map).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("pivot.csv: line {line}, column 'Area': '")) && e.contains("is a total row"),
            "{e}"
        );
    } // Without its labels repeated (Excel's default), each organisation and year is named on the
      // first of its rows only.
    let named_once = "Operator,Year,Month,Area\nHALO,2024,1,1000\n,,2,2000\n,2024 Total,,3000\n\
        ,2025,1,500\n,2025 Total,,500\nHALO Total,,,3500\n\
        FSD,2024,1,700\n,2024 Total,,700\nFSD Total,,,700\nGrand Total,,,4200\n";
    assert_eq!(parse_history(named_once, "pivot.csv", &map).unwrap(), want);
    // A year left blank on a row that names its organisation is still no month.
    let e = parse_history(&named_once.replace("FSD,2024,1,700", "FSD,,1,700"), "pivot.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("pivot.csv: line 8, column 'Month': '1' in year '' (column 'Year') is not a month"),
        "{e}"
    );
}

/// Programmes report in hectares or km² as often as in m²: a column named `area_ha` or
/// `area_km2` (or mapped so) reads as the same history in m², and its errors name its unit.
#[test]
fn histories_in_hectares_or_square_kilometres_read_as_square_metres() {
    let map = ColumnMap::default();
    let want = parse_history("month,area_m2\n2024-01,12500\n2024-02,2000000\n", "m2.csv", &map).unwrap();
    let hectares = "month,area_ha\n2024-01,1.25\n2024-02,200\n";
    assert_eq!(parse_history(hectares, "ha.csv", &map).unwrap(), want);
    let km2 = "Місяць;Площа, км²\n01.2024;0,0125\n02.2024;2\n";
    let map_km2 = ColumnMap::parse("month=Місяць,area_km2=Площа").unwrap();
    let e = parse_history(km2, "km2.csv", &map_km2).unwrap_err().to_string();
    assert!(e.contains("no column 'Площа'") && e.contains("Площа, км²"), "{e}");
    let km2 = km2.replace("Площа, км²", "Площа");
    assert_eq!(parse_history(&km2, "km2.csv", &map_km2).unwrap(), want);
    let e = parse_history("month,area_ha\n2024-01,-3\n", "ha.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2") && e.contains("'area_ha'") && e.contains("-3 ha"),
        "{e}"
    );
    // A column name may hold a comma.
    let map_ha = ColumnMap::parse("month=Місяць,area_ha=Площа, га").unwrap();
    assert_eq!(map_ha.area_m2, "Площа, га");
    let ha = "Місяць;Площа, га\n01.2024;1,25\n02.2024;200\n";
    assert_eq!(parse_history(ha, "ha.csv", &map_ha).unwrap(), want);
    let e = ColumnMap::parse("area_m2=A,area_ha=B").unwrap_err().to_string();
    assert!(e.contains("mapped twice"), "{e}");
}

/// Spreadsheets formatted for people write the unit in the cell (`294 054 m2`, `1,25 га`): the
/// unit a cell names is read, whatever its column's; a word that is no unit is refused, located.
#[test]
fn areas_with_their_unit_in_the_cell_read_as_square_metres() {
    let map = ColumnMap::default();
    let want = parse_history("month,area_m2\n2024-01,12500\n2024-02,2000000\n", "m2.csv", &map).unwrap();
    let written = "month,area_m2\n2024-01,12500 m2\n2024-02,2 km²\n";
    assert_eq!(parse_history(written, "units.csv", &map).unwrap(), want);
    // A decimal-comma file: dots grouping thousands beside the unit, and Ukrainian units.
    let uk = "Місяць;Площа\n01.2024;12.500 м²\n02.2024;200 га\n";
    let map_uk = ColumnMap::parse("month=Місяць,area_m2=Площа").unwrap();
    assert_eq!(parse_history(uk, "uk.csv", &map_uk).unwrap(), want);
    // A column in hectares whose cell says m² is read in m².
    let mixed = "month,area_ha\n2024-01,1.25 HA\n2024-02,2000000 sq m\n";
    assert_eq!(parse_history(mixed, "mixed.csv", &map).unwrap(), want);
    let e = parse_history("month,area_m2\n2024-01,12500 acres\n", "acres.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("acres.csv") && e.contains("line 2") && e.contains("'12500 acres'") && e.contains("m², ha, km²"),
        "{e}"
    );
    let e = parse_history("month,area_m2\n2024-01,-3 ha\n", "neg.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2") && e.contains("-3 ha: released area cannot be negative"),
        "{e}"
    );
}

/// Dates written `a/b/yyyy` put the day first in British spreadsheets and the month first in
/// American ones: the file's dates together tell which (a number over 12 is a day; a monthly
/// file's dates share their day), and a file that does not tell is refused, not guessed.
#[test]
fn slash_dates_read_day_or_month_first_as_the_file_tells() {
    let map = ColumnMap::default();
    let want = parse_history(
        "month,area_m2\n2024-01,100\n2024-02,200\n2024-03,300\n",
        "plain.csv",
        &map,
    )
    .unwrap();
    for (name, dates) in [
        ("british, on the 1st", ["01/01/2024", "01/02/2024", "01/03/2024"]),
        ("american, on the 1st", ["1/1/2024", "2/1/2024", "3/1/2024"]),
        ("british, month ends", ["31/01/2024", "29/02/2024", "31/03/2024"]),
        ("american, month ends", ["1/31/2024", "2/29/2024", "3/31/2024 0:00"]),
    ] {
        let text = format!("month,area_m2\n{},100\n{},200\n{},300\n", dates[0], dates[1], dates[2]);
        assert_eq!(parse_history(&text, name, &map).unwrap(), want, "{name}");
    }
    let e = parse_history("month,area_m2\n01/02/2024,100\n02/01/2024,200\n", "h.csv", &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2") && e.contains("day or the month comes first"),
        "{e}"
    );
}

/// A month in which survey cancelled a large area at once is not a season, nor the new level:
/// before, one June of 50 typical months made every June forecast about 3 times a typical month.
#[test]
fn one_exceptional_month_is_neither_a_season_nor_the_level() {
    let typical_m2 = 100_000.0;
    let totals: Vec<(YearMonth, f64)> = (0..48)
        .map(|i| {
            let month = YearMonth::new(2020 + i / 12, (i % 12 + 1) as u32).unwrap();
            // A little wobble, so that the months are not all alike; June 2022 exceptional.
            let wobble = 1.0 + 0.1 * ((i * 7 % 5) as f64 - 2.0) / 2.0;
            let exceptional = if i == 29 { 50.0 } else { 1.0 };
            (month, typical_m2 * wobble * exceptional)
        })
        .collect();
    let model = fit_rates(&totals).unwrap();
    let june = model.seasonal[5];
    assert!((0.8..1.25).contains(&june), "June's factor {june:.2}");
    assert!(
        (0.8 * typical_m2..1.25 * typical_m2).contains(&model.level_m2),
        "level {:.0} m² a month",
        model.level_m2
    );
    assert_eq!(model.exceptional_months, [YearMonth::new(2022, 6).unwrap()]);
    // The exceptional month stays possible: it is in the noise, as a rare large draw.
    assert!(
        model.noise.iter().any(|&r| r > 10.0),
        "the exceptional month left the noise"
    );
}

/// A programme's totals, one row a month without an organisation column, read as one
/// organisation; an organisation column that was mapped must be there.
#[test]
fn a_history_without_organisations_is_the_whole_programmes() {
    let text: String = std::iter::once("Month;Released (m2)\n".to_string())
        .chain((1..=9).map(|m| format!("2024-{m:02};{}\n", 1000 * m)))
        .collect();
    let map = ColumnMap::parse("month=Month,area_m2=Released (m2)").unwrap();
    let h = parse_history(&text, "totals.csv", &map).unwrap();
    assert_eq!(h.len(), 9);
    assert!(h.iter().all(|r| r.organisation == WHOLE_PROGRAMME));
    assert_eq!(monthly_totals(&h)[8].1, 9000.0);

    let twice = format!("{text}2024-03;5\n");
    let e = parse_history(&twice, "totals.csv", &map).unwrap_err().to_string();
    assert!(e.contains("line 11") && e.contains("2024-03"), "{e}");

    let mapped = ColumnMap::parse("month=Month,area_m2=Released (m2),organisation=Operator").unwrap();
    let e = parse_history(&text, "totals.csv", &mapped).unwrap_err().to_string();
    assert!(e.contains("no column 'Operator'") && e.contains("totals.csv"), "{e}");
}

/// Young programmes, 20–36 months of history: the seasons are learned from their first full
/// year, and the history's own hindcasts start after 12 months, so the band is widened by what
/// they show (before, with 18 months needed, mean coverage over the kinds was 0.75).
#[test]
fn hindcast_bands_cover_young_programmes() {
    let n = 60;
    let mut coverage = 0.0;
    for kind in KINDS {
        for seed in 0..n {
            let months = 20 + (seed as usize * 7) % 17;
            let h = programme(kind, 5000 + seed, months + 12);
            let fit = YearMonth::new(2015, 1).unwrap().plus(months as i64 - 1);
            coverage += hindcast(&h, fit, &HistoryOptions { runs: 500, seed })
                .unwrap()
                .coverage_p10_p90;
        }
    }
    let coverage = coverage / (n as usize * KINDS.len()) as f64;
    eprintln!("young programmes: mean coverage {coverage:.3}");
    assert!(coverage >= 0.77, "P10–P90 covers {coverage:.2} of months");
}

/// A programme that stops seven months every winter, or reports only every third month, has no
/// exceptional months for it: months without release do not set what a typical month is.
#[test]
fn months_without_release_make_no_month_exceptional() {
    for active in [|m: u32| (5..=9).contains(&m), |m: u32| m % 3 == 0] {
        let totals: Vec<(YearMonth, f64)> = (0..48)
            .map(|i| {
                let month = YearMonth::new(2020 + i / 12, (i % 12 + 1) as u32).unwrap();
                let wobble = 1.0 + 0.1 * ((i * 7 % 5) as f64 - 2.0) / 2.0;
                (month, if active(month.month) { 80_000.0 * wobble } else { 0.0 })
            })
            .collect();
        let model = fit_rates(&totals).unwrap();
        assert!(model.exceptional_months.is_empty(), "{:?}", model.exceptional_months);
        assert!(model.level_m2 > 10_000.0, "level {:.0} m² a month", model.level_m2);
    }
}

/// A programme's start-up is not a trend: teams arrive over its first year, then it runs at its
/// pace. Fitted across the start-up, a trend carried the growth on: on this SYNTHETIC programme
/// (the benchmark's `SYNTHETIC-decline-17`, months in m²), fitted on its first 26 months, +10.7 %
/// a month and 7.9 km² in the next 12 months where it released 1.9 km².
#[test]
fn a_start_up_is_not_taken_for_a_trend() {
    const MONTHS_M2: [f64; 38] = [
        21_620.0, 16_428.0, 19_381.0, 24_195.0, 31_200.0, 26_584.0, 40_671.0, 37_562.0, 55_758.0, 102_991.0, 99_756.0,
        238_883.0, 391_545.0, 227_902.0, 217_038.0, 241_985.0, 89_758.0, 55_920.0, 120_425.0, 191_202.0, 225_562.0,
        206_929.0, 430_906.0, 330_130.0, 275_802.0, 249_030.0, 245_073.0, 129_682.0, 255_841.0, 91_340.0, 77_324.0,
        110_716.0, 173_374.0, 175_407.0, 234_106.0, 181_970.0, 120_432.0, 144_312.0,
    ];
    let start = YearMonth::new(2015, 7).unwrap();
    let history: Vec<MonthlyRelease> = MONTHS_M2
        .iter()
        .enumerate()
        .map(|(i, &area_m2)| MonthlyRelease {
            month: start.plus(i as i64),
            organisation: "SYNTHETIC".into(),
            area_m2,
        })
        .collect();
    let fit = YearMonth::new(2017, 8).unwrap();
    let r = hindcast(&history, fit, &HistoryOptions { runs: 1000, seed: 1 }).unwrap();
    assert!(
        r.model.trend_pct_per_month() < 5.0,
        "trend {:.1} % a month",
        r.model.trend_pct_per_month()
    );
    let last = r.months.last().unwrap();
    assert!(
        last.p50_cum_m2 < 2.5 * last.actual_cum_m2,
        "P50 {:.0} m² in 12 months against {:.0} m² released",
        last.p50_cum_m2,
        last.actual_cum_m2
    );
}

/// A programme that stops every winter (no release in January and February) forecasts as the
/// same programme working through winter at the same yearly pace: its stops are seasons, not a
/// level that collapses each year. Read as a collapse, they made the drift of the level large:
/// on this SYNTHETIC history the P90 fell 15 years after the P50, and runs beyond 50 years.
#[test]
fn a_winter_stop_is_a_season_not_a_collapse() {
    let history = |stops: bool| -> Vec<MonthlyRelease> {
        (0..72)
            .map(|i| {
                let month = YearMonth::new(2019 + i / 12, (i % 12 + 1) as u32).unwrap();
                let wobble = 1.0 + 0.3 * (((i * 7919) % 11) as f64 - 5.0) / 5.0;
                let area_m2 = match (stops, month.month) {
                    (true, 1 | 2) => 0.0,
                    // The same yearly total in the ten months worked.
                    (true, _) => 600_000.0 * wobble * 1.2,
                    (false, _) => 600_000.0 * wobble,
                };
                MonthlyRelease {
                    month,
                    organisation: "SYNTHETIC".into(),
                    area_m2,
                }
            })
            .collect()
    };
    let months_ahead = |f: &HistoryForecast, m: Option<YearMonth>| m.unwrap().index() - f.model.last_month.index();
    let opts = HistoryOptions::default();
    let steady = forecast_history(&history(false), 20_000_000.0, None, &opts).unwrap();
    let stopping = forecast_history(&history(true), 20_000_000.0, None, &opts).unwrap();
    eprintln!(
        "steady {:?} {:?} {:?}; stopping {:?} {:?} {:?}; walk σ {:.3} vs {:.3}",
        steady.p10_month,
        steady.p50_month,
        steady.p90_month,
        stopping.p10_month,
        stopping.p50_month,
        stopping.p90_month,
        steady.model.walk_sigma,
        stopping.model.walk_sigma
    );
    assert_eq!(stopping.beyond_horizon_share, 0.0, "runs beyond 50 years");
    let (p50, p90) = (
        months_ahead(&stopping, stopping.p50_month),
        months_ahead(&stopping, stopping.p90_month),
    );
    let (p50_steady, p90_steady) = (
        months_ahead(&steady, steady.p50_month),
        months_ahead(&steady, steady.p90_month),
    );
    assert!(
        (p50 - p50_steady).abs() <= 3,
        "P50 {p50} months ahead with winter stops, {p50_steady} without"
    );
    assert!(
        p90 - p50 <= 2 * (p90_steady - p50_steady).max(6),
        "P90 {} months after the P50 with winter stops, {} without",
        p90 - p50,
        p90_steady - p50_steady
    );
    assert!(
        stopping.model.seasonal[0] < 0.1 && stopping.model.seasonal[1] < 0.1,
        "{:?}",
        stopping.model.seasonal
    );
}

/// The same programmes stopping every January and February: the band still holds the months
/// and the P50 still beats the straight line on most of them. 100 histories a kind: with 30, the
/// programmes with large cancellations read a mean coverage of 0.71 where 150 read 0.78.
#[test]
fn hindcast_bands_cover_programmes_that_stop_in_winter() {
    let (n, mut wins, mut total) = (100, 0, 0);
    let mut coverages = Vec::new();
    for kind in KINDS {
        let mut coverage = 0.0;
        for seed in 0..n {
            let months = 48 + (seed as usize * 7) % 37;
            let mut h = programme(kind, 2000 + seed, months + 12);
            for r in &mut h {
                if r.month.month <= 2 {
                    r.area_m2 = 0.0;
                }
            }
            let fit = YearMonth::new(2015, 1).unwrap().plus(months as i64 - 1);
            let r = hindcast(&h, fit, &HistoryOptions { runs: 500, seed }).unwrap();
            coverage += r.coverage_p10_p90;
            wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
            total += 1;
        }
        coverages.push((kind, coverage / n as f64));
    }
    eprintln!("coverage {coverages:?}; P50 beats the straight line in {wins}/{total}");
    for (kind, coverage) in coverages {
        assert!(coverage >= 0.7, "{kind:?}: P10–P90 covers {coverage:.2} of months");
    }
    assert!(
        wins * 2 > total,
        "P50 beats the straight line in only {wins}/{total} histories"
    );
}

/// Months as databases and statistics offices write them: `YYYYMM`, or the month of the year
/// beside a year column (found by its name, or mapped with `year=COL`).
#[test]
fn months_in_a_year_column_or_as_yyyymm() {
    let months = |text: &str, map: &ColumnMap| -> Vec<String> {
        parse_history(text, "h.csv", map)
            .unwrap()
            .iter()
            .map(|r| r.month.to_string())
            .collect()
    };
    let default = ColumnMap::default();
    assert_eq!(
        months("month,area_m2\n202312,5\n202401,7\n", &default),
        ["2023-12", "2024-01"]
    );
    assert_eq!(
        months(
            "Year,Month,Organisation,Area_m2\n2023,12,A,5\n2024,1,A,7\n2024,Feb,A,1\n",
            &default
        ),
        ["2023-12", "2024-01", "2024-02"]
    );
    let mapped = ColumnMap::parse("year=Рік,month=Місяць,area_ha=Площа").unwrap();
    assert_eq!(
        months("Рік,Місяць,Площа\n2024,березень,2\n2024,4,3\n", &mapped),
        ["2024-03", "2024-04"]
    );
    // A month the year column cannot make one of is refused, located, naming both columns.
    let e = parse_history("year,month,area_m2\n2024,13,5\n", "h.csv", &default)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("h.csv: line 2, column 'month'") && e.contains("'13' in year '2024' (column 'year')"),
        "{e}"
    );
    // Without a year column, a bare month is not a month.
    let e = parse_history("month,area_m2\n3,5\n", "h.csv", &default)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'3' is not a month"), "{e}");
    // A mapped year column must be there.
    let e = parse_history("month,area_m2\n3,5\n", "h.csv", &ColumnMap::parse("year=Y").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no column 'Y' (for year)"), "{e}");
}

/// A pivot export's total of each month in the organisation column is not one more
/// organisation: it is checked against the month's rows and skipped, or refused when it is not
/// their sum.
#[test]
fn a_months_total_in_the_organisation_column_is_not_counted_twice() {
    let map = ColumnMap::default();
    let text = "month,organisation,area_m2\n2024-01,A,100\n2024-01,B,200\n2024-01,Total,300\n2024-02,Всього,50\n2024-02,A,50\n2024-03,Total,70\n";
    let rows = parse_history(text, "h.csv", &map).unwrap();
    let sum_of = |m: &str| -> f64 {
        rows.iter()
            .filter(|r| r.month.to_string() == m)
            .map(|r| r.area_m2)
            .sum()
    };
    assert_eq!(
        (sum_of("2024-01"), sum_of("2024-02"), sum_of("2024-03")),
        (300.0, 50.0, 70.0)
    );
    assert!(
        rows.iter()
            .all(|r| r.organisation != "Total" && r.organisation != "Всього"),
        "{rows:?}"
    );
    let wrong = "month,organisation,area_m2\n2024-01,A,100\n2024-01,B,200\n2024-01,Total,350\n";
    let e = parse_history(wrong, "h.csv", &map).unwrap_err().to_string();
    assert!(
        e.contains("h.csv: line 4, column 'area_m2'")
            && e.contains("the total of 2024-01, 350 m²")
            && e.contains("(300 m²)"),
        "{e}"
    );
}

/// A young programme that keeps outgrowing its forecasts (two years fitted, 3 % more a month):
/// its own hindcasts erred low more often than high, so the band reaches further up than down,
/// while its P50 stays the typical path. (A band widened alike on both sides missed such
/// programmes above: see the README's history forecast measurements.)
/// A SYNTHETIC young programme from April 2022, 36 months: two operators (60 % and 40 %), each
/// month's level growing `growth` a month (log scale), winters at half pace, noise about 0.3.
fn young_programme(seed: u64, growth: f64) -> Vec<MonthlyRelease> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut h = Vec::new();
    for i in 0..36 {
        let month = YearMonth::new(2022, 4).unwrap().plus(i);
        let season = if matches!(month.month, 12 | 1 | 2) { 0.5 } else { 1.0 };
        for (organisation, share) in [("A", 0.6), ("B", 0.4)] {
            let noise: f64 = (0..4).map(|_| rng.gen_range(-0.26..0.26)).sum();
            h.push(MonthlyRelease {
                month,
                organisation: organisation.into(),
                area_m2: share * 200_000.0 * (growth * i as f64).exp() * season * noise.exp(),
            });
        }
    }
    h
}

#[test]
fn a_band_reaches_further_on_the_side_the_history_erred() {
    let (mut up, mut down, mut wider_up) = (0.0, 0.0, 0);
    let n = 20;
    for seed in 0..n {
        let h = young_programme(seed, 0.03);
        let fit = YearMonth::new(2022, 4).unwrap().plus(23);
        let r = hindcast(&h, fit, &HistoryOptions { runs: 1000, seed }).unwrap();
        up += r.model.skew_up;
        down += r.model.skew_down;
        let last = r.months.last().unwrap();
        let (above, below) = (
            (last.p90_cum_m2 / last.p50_cum_m2).ln(),
            (last.p50_cum_m2 / last.p10_cum_m2).ln(),
        );
        wider_up += usize::from(above > below);
    }
    let (up, down) = (up / n as f64, down / n as f64);
    eprintln!("mean skew up {up:.2}, down {down:.2}; band wider above in {wider_up}/{n}");
    assert!(up > 1.1 * down, "skew up {up:.2}, down {down:.2}");
    assert!(
        wider_up * 4 >= n as usize * 3,
        "band wider above in only {wider_up}/{n}"
    );
}

/// A young programme (two years of history, a winter in each) that grows 3 % a month: the same
/// calendar months a year apart show the growth, which a slope through a winter cannot; it is
/// forecast to go on growing, and its band holds the year after. One as young that does not grow
/// is not given a trend.
#[test]
fn a_young_programme_growing_year_over_year_keeps_growing() {
    let young = young_programme;
    let fit = YearMonth::new(2022, 4).unwrap().plus(23);
    let n = 20;
    let (mut coverage, mut wins, mut growing, mut flat_with_trend) = (0.0, 0, 0, 0);
    for seed in 0..n {
        let r = hindcast(&young(seed, 0.03), fit, &HistoryOptions { runs: 1000, seed }).unwrap();
        coverage += r.coverage_p10_p90;
        wins += usize::from(r.median_abs_error_m2 < r.baseline_median_abs_error_m2);
        growing += usize::from(r.model.trend_per_month > 0.01);
        let flat = hindcast(&young(seed + 100, 0.0), fit, &HistoryOptions { runs: 1000, seed }).unwrap();
        flat_with_trend += usize::from(flat.model.trend_per_month != 0.0);
    }
    let coverage = coverage / n as f64;
    eprintln!("growing: coverage {coverage:.2}, beats the line {wins}/{n}, trend {growing}/{n}; flat with a trend {flat_with_trend}/{n}");
    assert!(growing * 4 >= n as usize * 3, "a trend in only {growing}/{n}");
    assert!(coverage >= 0.75, "P10–P90 covers {coverage:.2} of months");
    assert!(wins * 4 >= n as usize * 3, "P50 beats the line in only {wins}/{n}");
    assert!(
        flat_with_trend * 5 <= n as usize,
        "{flat_with_trend}/{n} flat programmes given a trend"
    );
}

/// An export that names its area column its own way, with the unit beside it: the column is
/// read in that unit; one column for each outcome (cancelled, reduced, cleared) is the land
/// released, their sum; other sets of such columns are refused, naming them, and a hazardous
/// area's identifier ("HA ID") is not an area.
#[test]
fn area_columns_are_found_by_the_unit_their_headers_name() {
    let own_name = "HA ID,Month,Operator,Area cleared (ha)\nHA-1,2024-01,A,1.5\nHA-2,2024-02,A,2\n";
    let file = parse_history_file(own_name, "o.csv", &ColumnMap::default()).unwrap();
    assert_eq!(
        figures(&file),
        [
            ("2024-01".to_string(), "A", 15_000.0),
            ("2024-02".to_string(), "A", 20_000.0)
        ]
    );
    assert_eq!(
        file.reading.area_columns_by_unit,
        Some((vec!["Area cleared (ha)".to_string()], AreaUnit::Hectares))
    );
    let outcomes = "Місяць;Оператор;Скасовано, м²;Зменшено, м²;Очищено, м²\n2024-01;A;100;20;3\n2024-02;A;;5;1\n";
    let file = parse_history_file(outcomes, "u.csv", &ColumnMap::default()).unwrap();
    assert_eq!(
        figures(&file),
        [("2024-01".to_string(), "A", 123.0), ("2024-02".to_string(), "A", 6.0)]
    );
    assert_eq!(
        file.reading.area_columns_by_unit.map(|(columns, _)| columns.len()),
        Some(3)
    );
    // The sum is checked cell by cell as a mapped sum is.
    let e = parse_history(&outcomes.replace(";5;1", ";-5;1"), "u.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("u.csv: line 3, column 'Зменшено, м²'") && e.contains("negative"),
        "{e}"
    );
    // Two columns of one outcome, or a total beside its parts: which is released is not known.
    for header in [
        "Area cleared (m2),Area cleared (ha)",
        "Area released (m2),Area cleared (m2)",
    ] {
        let text = format!("Month,Operator,{header}\n2024-01,A,1,2\n");
        let e = parse_history(&text, "t.csv", &ColumnMap::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv: no column 'area_m2', and 2 columns name an area unit")
                && header.split(',').all(|c| e.contains(&format!("'{c}'")))
                && e.contains("--columns"),
            "{e}"
        );
    }
    // A mapping is followed, and a header without a unit is not taken for an area.
    let mapped = ColumnMap::parse("area_m2=Area cleared (m2)").unwrap();
    let text = "Month,Operator,Area released (m2),Area cleared (m2)\n2024-01,A,1,2\n";
    assert_eq!(parse_history(text, "t.csv", &mapped).unwrap()[0].area_m2, 2.0);
    let e = parse_history(
        "Month,Operator,Area cleared\n2024-01,A,1\n",
        "n.csv",
        &ColumnMap::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no column 'area_m2' (for area_m2)"), "{e}");
}

/// A report saved with its title above the header (and a blank row under it): the title is left
/// aside, problems are placed at their lines in the whole file, and a first line with cells is
/// always the header.
#[test]
fn a_title_above_the_header_is_left_aside() {
    let table = "Month;Operator;Area (m2)\n2024-01;A;100\n2024-02;A;50\n";
    let with_title = format!("\u{feff}Звіт про звільнення земель, 2024\n;;\n{table}");
    let file = parse_history_file(&with_title, "t.csv", &ColumnMap::default()).unwrap();
    let plain = parse_history_file(table, "t.csv", &ColumnMap::default()).unwrap();
    assert_eq!((figures(&file), file.reading.lines_above_header), (figures(&plain), 2));
    assert_eq!(plain.reading.lines_above_header, 0);
    let quoted = "\"Monthly release, 2024\",,\n,,\nMonth,Operator,Area (m2)\n2024-01,A,100\n2024-01,A,5\n";
    let e = parse_history(quoted, "q.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("q.csv: line 5: month 2024-01 of organisation 'A' is already given on line 4"),
        "{e}"
    );
    let negative = with_title.replace("2024-02;A;50", "2024-02;A;-50");
    let e = parse_history(&negative, "t.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.csv: line 5, column 'Area (m2)': -50"), "{e}");
    // Blank lines (which the CSV reader skips) and a cell with a line break still count.
    let spaced = "Month,Operator,Area (m2)\r\n2024-01,\"A\nB\",5\r\n\r\n\r\n2024-02,A,-5\r\n2024-03,A,1,2\n";
    let e = parse_history(&spaced.replace(",1,2", ",1"), "s.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("s.csv: line 6, column 'Area (m2)': -5"), "{e}");
    let e = parse_history(spaced, "s.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("s.csv: line 7, column '(row)': 4 cells where the header has 3"),
        "{e}"
    );
    // Only a title: no header under it to read.
    let e = parse_history("Monthly release\n\n", "o.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("o.csv: no column 'month'"), "{e}");
}

/// A report that totals each quarter under its months: a quarter's row is checked against its
/// months and left aside, for each organisation, in a pivot table and in totals to date; a
/// wrong one is refused at its line, and a history of quarters alone is refused, since how a
/// quarter split between its months is not known.
#[test]
fn quarter_rows_are_checked_totals_of_their_months() {
    let months =
        "Month,Operator,Area (m2)\n2024-01,A,100\n2024-01,B,7\n2024-02,A,50\n2024-03,A,20\n2024-03,B,3\n2024-04,A,40\n";
    let plain = parse_history_file(months, "m.csv", &ColumnMap::default()).unwrap();
    let owned = |f: HistoryFile| -> Vec<(String, String, f64)> {
        figures(&f).into_iter().map(|(m, o, a)| (m, o.to_string(), a)).collect()
    };
    let read = |text: &str, map: &ColumnMap| parse_history_file(text, "q.csv", map).map(owned);
    // One quarter row per organisation, and one for the programme with no organisation.
    let per_organisation = format!("{months}Q1 2024,A,170\n2024-Q1,B,10\nI кв. 2024,,180\n");
    assert_eq!(read(&per_organisation, &ColumnMap::default()).unwrap(), owned(plain));
    // A pivot table names each organisation once; its quarter rows total the one above.
    let pivot = "Operator,Month,Area (m2)\nA,2024-01,100\n,2024-02,50\n,2024-03,20\n,Q1 2024,170\nB,2024-01,7\n,2024-03,3\n,Q1 2024,10\n";
    let pivot_plain = "Operator,Month,Area (m2)\nA,2024-01,100\n,2024-02,50\n,2024-03,20\nB,2024-01,7\n,2024-03,3\n";
    assert_eq!(
        read(pivot, &ColumnMap::default()).unwrap(),
        read(pivot_plain, &ColumnMap::default()).unwrap()
    );
    // Totals to date: the quarter's is its last month's.
    let cumulative = ColumnMap {
        cumulative: true,
        ..ColumnMap::default()
    };
    let to_date =
        "Month,Operator,Area (m2)\n2024-01,A,100\n2024-02,A,150\n2024-03,A,170\n2024-Q1,A,170\n2024-04,A,210\n";
    let to_date_plain = "Month,Operator,Area (m2)\n2024-01,A,100\n2024-02,A,150\n2024-03,A,170\n2024-04,A,210\n";
    assert_eq!(
        read(to_date, &cumulative).unwrap(),
        read(to_date_plain, &cumulative).unwrap()
    );
    // A quarter that is not its months' sum, or a quarter without its months, is refused at its
    // line, in the month's column.
    let wrong = format!("{months}Q1 2024,A,175\n");
    let e = read(&wrong, &ColumnMap::default()).unwrap_err().to_string();
    assert!(
        e.starts_with("q.csv: line 8, column 'Month': 'Q1 2024' is a quarter's total, but its 175 m² is not the sum of the months of 2024-Q1 above it for A (170 m²)"),
        "{e}"
    );
    let quarters_alone = "Quarter,Operator,Area (m2)\n2024-Q1,A,100\n2024-Q2,A,80\n";
    let e = read(quarters_alone, &ColumnMap::parse("month=Quarter").unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2, column 'Quarter': '2024-Q1' is a quarter, not a month")
            && e.contains("give a row for each month, 2024-01 to 2024-03"),
        "{e}"
    );
}

/// A compact pivot table's labels are known only by what they read as, so a mistyped month
/// would be taken for an organisation owning the rows under it: it is refused at its line, as
/// is a label whose level is out of the table's order, and a figure with no month above it.
#[test]
fn a_compact_pivot_refuses_labels_it_cannot_place() {
    let read = |text: &str| {
        parse_history_file(text, "p.csv", &ColumnMap::default())
            .unwrap_err()
            .to_string()
    };
    let months = "Row Labels,Sum of area_m2\nHALO,\n2024-01,10\n2024-02,20\n2024-13,30\nFSD,\n2024-01,5\n2024-02,6\n";
    let e = read(months);
    assert!(
        e.starts_with(
            "p.csv: line 5, column 'Row Labels': '2024-13' is not a month, and reads as no organisation's name"
        ),
        "{e}"
    );
    let levels = "Row Labels,Sum of area_m2\nHALO,\n2024,\nJan,10\nFeb,20\nMrz,30\nApr,40\nFSD,\n2024,\nJan,5\n";
    let e = read(levels);
    assert!(
        e.starts_with("p.csv: line 6, column 'Row Labels': 'Mrz' reads as an organisation, but the row under it, 'Apr' (line 7), is a month of the year"),
        "{e}"
    );
    // The last label is an organisation's, so organisations hold the figures: the first has
    // no month above it.
    let no_month = "Row Labels,Sum of area_m2\nHALO,4\n2024-01,\nFSD,5\n2024-02,\nHALO,3\n";
    let e = read(no_month);
    assert!(
        e.starts_with("p.csv: line 2, column 'Row Labels': 'HALO' has no month above it"),
        "{e}"
    );
}

/// A compact pivot with a value column per outcome reads as their sum, found by the unit their
/// headers name or mapped `A+B+C`; values it cannot tell are refused as a missing area column.
#[test]
fn a_compact_pivot_with_a_column_per_outcome_reads_their_sum() {
    let long = "month,organisation,area_m2\n2024-01,HALO,40\n2024-02,HALO,80\n2024-01,FSD,8\n2024-02,FSD,4\n";
    let by_unit = "Row Labels,Sum of Cancelled (m2),Sum of Reduced (m2),Sum of Cleared (m2)\nHALO,60,30,30\n2024-01,20,10,10\n2024-02,40,20,20\nFSD,6,3,3\n2024-01,4,2,2\n2024-02,2,1,1\nGrand Total,66,33,33\n";
    let plain = parse_history_file(long, "l.csv", &ColumnMap::default()).unwrap();
    let file = parse_history_file(by_unit, "p.csv", &ColumnMap::default()).unwrap();
    assert_eq!(figures(&file), figures(&plain));
    assert_eq!(
        file.reading.area_columns_by_unit.map(|(columns, _)| columns.len()),
        Some(3)
    );
    let unnamed = by_unit
        .replace("Cancelled (m2)", "NTS")
        .replace("Reduced (m2)", "TS")
        .replace("Cleared (m2)", "Clearance");
    let mapped = ColumnMap::parse("area_m2=NTS+TS+Clearance").unwrap();
    let file = parse_history_file(&unnamed, "p.csv", &mapped).unwrap();
    assert_eq!(figures(&file), figures(&plain));
    let e = parse_history_file(&unnamed, "p.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.csv: no column 'area_m2' (for area_m2)"), "{e}");
}

/// Excel also totals each year and quarter inside an organisation when dates are grouped:
/// those totals are checked against the months under them, read as the file's other cells are
/// (here decimal commas and grouped thousands, in hectares), and a wrong one is refused at its
/// line; a level whose labels carry no total is fine.
#[test]
fn a_compact_pivot_checks_the_totals_inside_each_organisation() {
    let pivot = "Назви рядків;Сума з area_ha\n\
                 HALO;4,5\n\
                 2023;1,5\n\
                 Кв-л4;1,5\n\
                 жов;0,5\n\
                 лис;1\n\
                 2024;3\n\
                 Кв-л1;3\n\
                 січ;1\n\
                 лют;2\n\
                 FSD;1 000,25\n\
                 2024;1 000,25\n\
                 Кв-л1;\n\
                 січ;1 000\n\
                 лют;0,25\n\
                 Загальний підсумок;1 004,75\n";
    let file = parse_history_file(pivot, "p.csv", &ColumnMap::default()).unwrap();
    assert_eq!(file.rows.len(), 6);
    let total_m2: f64 = file.rows.iter().map(|r| r.area_m2).sum();
    assert!((total_m2 - 10_047_500.0).abs() < 0.01, "{total_m2}");
    let read = |text: &str| {
        parse_history_file(text, "p.csv", &ColumnMap::default())
            .unwrap_err()
            .to_string()
    };
    // A year's total off by a month's figure.
    let e = read(&pivot.replace("2024;3\n", "2024;4\n"));
    assert!(
        e.starts_with("p.csv: line 7, column 'Сума з area_ha': '2024' is a group's total, but its 40,000 m² is not the sum of the rows under it (30,000 m²)"),
        "{e}"
    );
    // A quarter's, whose year has the same wrong total: the innermost is named.
    let e = read(&pivot.replace("Кв-л4;1,5", "Кв-л4;2,5").replace("2023;1,5", "2023;2,5"));
    assert!(
        e.starts_with("p.csv: line 4, column 'Сума з area_ha': 'Кв-л4' is a group's total, but its 25,000 m² is not the sum of the rows under it (15,000 m²)"),
        "{e}"
    );
    // The same totals shown under each group, as `2024 Підсумок`: a wrong one is refused at
    // its own line.
    let under = "Назви рядків;Сума з area_ha\n\
                 HALO;\n\
                 2024;\n\
                 Кв-л1;\n\
                 січ;1\n\
                 лют;2\n\
                 Кв-л1 Підсумок;3\n\
                 2024 Підсумок;4\n\
                 HALO Підсумок;3\n\
                 Загальний підсумок;3\n";
    let e = read(under);
    assert!(
        e.starts_with("p.csv: line 8, column 'Сума з area_ha': '2024' is a group's total, but its 40,000 m²"),
        "{e}"
    );
    let right = under.replace("2024 Підсумок;4", "2024 Підсумок;3");
    let file = parse_history_file(&right, "p.csv", &ColumnMap::default()).unwrap();
    assert_eq!(file.rows.len(), 2);
    // A wrong figure is told at the total of its innermost group, the nearest to it.
    let e = read(&pivot.replace("лют;2\n", "лют;5\n"));
    assert!(
        e.starts_with("p.csv: line 8, column 'Сума з area_ha': 'Кв-л1' is a group's total, but its 30,000 m² is not the sum of the rows under it (60,000 m²)"),
        "{e}"
    );
    // A total that is no number.
    let e = read(&pivot.replace("2023;1,5", "2023;n/a"));
    assert!(
        e.starts_with("p.csv: line 3, column 'Сума з area_ha': 'n/a' is not a number of ha"),
        "{e}"
    );
}

/// A pivot table with its months across the columns, as Excel copies it, has a caption line
/// above its header (`Sum of area_m2 | Column Labels`), and with dates grouped, a line of years
/// above the months of the year: it reads as the long table, in the unit its caption names,
/// its total columns checked, and its problems are placed at their line in the file.
#[test]
fn a_pivot_with_its_months_across_the_columns_reads_under_its_caption() {
    let long = "month,organisation,area_m2\n2024-01,HALO,10000\n2024-02,HALO,20000\n2025-01,HALO,5000\n\
                2024-01,FSD,5000\n2024-02,FSD,15000\n2025-01,FSD,5000\n";
    let plain = parse_history_file(long, "l.csv", &ColumnMap::default()).unwrap();
    let want = figures(&plain);
    let months = "Sum of area_m2,Column Labels,,,,\n\
                  Row Labels,2024-01,2024-02,2025-01,Grand Total\n\
                  HALO,10000,20000,5000,35000\nFSD,5000,15000,5000,25000\nGrand Total,15000,35000,10000,60000\n";
    let file = parse_history_file(months, "p.csv", &ColumnMap::default()).unwrap();
    assert_eq!(figures(&file), want);
    assert_eq!(
        file.reading.column_labels_caption,
        Some(("Sum of area_m2".to_string(), AreaUnit::SquareMetres))
    );
    assert_eq!(file.reading.lines_above_header, 0);
    let years = "Сума з Площа (га);Назви стовпців;;;;\n\
                 ;2024;;2024 Підсумок;2025;Загальний підсумок\n\
                 Назви рядків;січ;лют;;січ;\n\
                 HALO;1;2;3;0,5;3,5\n\
                 FSD;0,5;1,5;2;0,5;2,5\n\
                 Загальний підсумок;1,5;3,5;5;1;6\n";
    let file = parse_history_file(years, "p.csv", &ColumnMap::default()).unwrap();
    assert_eq!(figures(&file), want);
    assert_eq!(
        file.reading.column_labels_caption.map(|(_, unit)| unit),
        Some(AreaUnit::Hectares)
    );
    let e = parse_history_file(&years.replace("FSD;0,5", "FSD;-0,5"), "p.csv", &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("p.csv: line 5, column '2024-01': -0,5 ha: released area cannot be negative"),
        "{e}"
    );
    // The pivot's total columns, each year's and the grand total, are checked against the row.
    for (wrong, column, problem) in [
        (
            "HALO;1;2;3;0,5;4,5",
            "Загальний підсумок",
            "its 45,000 m² is not the sum of the months in its row (35,000 m²)",
        ),
        (
            "HALO;1;2;4;0,5;3,5",
            "2024 Підсумок",
            "its 40,000 m² is not the sum of the months of 2024 in its row (30,000 m²)",
        ),
    ] {
        let e = parse_history_file(
            &years.replace("HALO;1;2;3;0,5;3,5", wrong),
            "p.csv",
            &ColumnMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(&format!(
                "p.csv: line 4, column '{column}': '{column}' is a total column, but {problem}"
            )),
            "{e}"
        );
    }
    // Without the caption's `Column Labels` the first line is a header like any other.
    let e = parse_history_file(
        &months.replace("Column Labels", "Notes"),
        "p.csv",
        &ColumnMap::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("p.csv: line 2, column '(row)': 5 cells where the header has 6"),
        "{e}"
    );
}

/// A SYNTHETIC programme that reported now and then in its first four years (in September,
/// November and December only: few teams, paper records), then worked all year round at a steady
/// pace. The start-up's empty months are not seasons: read as seasons (before, as on Colombia's
/// real history, README), the other calendar months were months it stops in every year, and the
/// P50 released nothing in them.
#[test]
fn months_empty_in_a_programme_s_start_up_are_not_seasons() {
    let pace_m2 = 40_000.0;
    let history: Vec<MonthlyRelease> = (0..84)
        .map(|i| {
            let month = YearMonth::new(2010, 1).unwrap().plus(i);
            let area_m2 = match (i < 48, month.month) {
                (true, 9 | 11 | 12) => 15_000.0,
                (true, _) => 0.0,
                // Working months vary by up to a fifth.
                (false, _) => pace_m2 * (1.0 + 0.2 * (i as f64 * 1.7).sin()),
            };
            MonthlyRelease {
                month,
                organisation: "SYNTHETIC operator".into(),
                area_m2,
            }
        })
        .collect();
    // Two working years fitted, one forecast.
    let r = hindcast(
        &history,
        YearMonth::new(2015, 12).unwrap(),
        &HistoryOptions { runs: 500, seed: 1 },
    )
    .unwrap();
    let mut before = 0.0;
    for m in &r.months {
        assert!(
            m.p50_cum_m2 - before > 0.5 * pace_m2,
            "{}: P50 releases {:.0} m² in a working month",
            m.month,
            m.p50_cum_m2 - before
        );
        before = m.p50_cum_m2;
    }
    let ratio = r.months[11].p50_cum_m2 / r.months[11].actual_cum_m2;
    eprintln!(
        "P50 / actual 12 months on {ratio:.2}, coverage {:.2}",
        r.coverage_p10_p90
    );
    assert!((0.85..=1.15).contains(&ratio), "P50 / actual 12 months on {ratio:.2}");
    assert!(
        r.coverage_p10_p90 >= 0.7,
        "P10–P90 covers {:.2} of months",
        r.coverage_p10_p90
    );
}

/// A SYNTHETIC programme that works at a steady pace but reports in lumps: in most months
/// nothing, then everything since its last report at once (as a team sends its completion
/// reports when it gets back to the office). Its P50 follows the pace its months add up to; the
/// median of independent monthly draws of such months falls below it (here 0.72 of the 12
/// months' work before the P50 became the typical path; on Colombia's real history, README,
/// 0.62–0.72 of the actual release 12 months on). The P50 is also the same for any seed and any
/// number of runs: the runs give only the band.
#[test]
fn a_programme_reporting_in_lumps_is_forecast_at_its_pace() {
    use rand::{Rng, SeedableRng};
    let pace_m2 = 100_000.0;
    let (mut ratios, n) = (Vec::new(), 30);
    for seed in 0..n {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut unreported = 0.0;
        let history: Vec<MonthlyRelease> = (0..72)
            .map(|i| {
                unreported += pace_m2;
                // A report in about a third of the months, and at least every fifth.
                let report = rng.gen_bool(0.35) || unreported >= 5.0 * pace_m2;
                let area_m2 = if report { std::mem::take(&mut unreported) } else { 0.0 };
                MonthlyRelease {
                    month: YearMonth::new(2018, 1).unwrap().plus(i),
                    organisation: "SYNTHETIC operator".into(),
                    area_m2,
                }
            })
            .collect();
        let fit = YearMonth::new(2022, 12).unwrap();
        let r = hindcast(&history, fit, &HistoryOptions { runs: 500, seed }).unwrap();
        let other = hindcast(
            &history,
            fit,
            &HistoryOptions {
                runs: 2000,
                seed: seed + 100,
            },
        )
        .unwrap();
        for (a, b) in r.months.iter().zip(&other.months) {
            assert_eq!(
                a.p50_cum_m2, b.p50_cum_m2,
                "{} with another seed and number of runs",
                a.month
            );
        }
        // 12 months on: the P50 against the 12 months' work (not what happened to be reported).
        ratios.push(r.months[11].p50_cum_m2 / (12.0 * pace_m2));
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    eprintln!("P50 / 12 months' work, 12 months on: median {median:.2}, {ratios:.2?}");
    assert!((0.9..=1.1).contains(&median), "P50 / 12 months' work {median:.2}");
}
