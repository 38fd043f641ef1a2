//! Property tests of the history reader: whatever a spreadsheet export holds, reading it never
//! panics, and what it reads adds up.

use demine_plan::history::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Cells an export may hold in any column: months in the formats read and not, organisations,
/// totals, areas with units and groupings, and junk.
fn any_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (1990i32..2040, 0u32..14).prop_map(|(y, m)| format!("{y}-{m:02}")),
        (1990i32..2040, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (0u32..33, 0u32..14, 1990i32..2040).prop_map(|(d, m, y)| format!("{d}/{m}/{y}")),
        (0u32..33, 0u32..14, 1990i32..2040).prop_map(|(d, m, y)| format!("{d:02}.{m:02}.{y}")),
        (1990i32..2040, 0u32..14).prop_map(|(y, m)| format!("{y}M{m}")),
        (1990i32..2040, 0u32..14).prop_map(|(y, m)| format!("{y}{m:02}")),
        Just("березень 2024".to_string()),
        Just("Mar-24".to_string()),
        Just("Total".to_string()),
        Just("Всього".to_string()),
        Just("HALO".to_string()),
        Just("FSD, Ukraine".to_string()),
        (-1e7f64..1e9).prop_map(|a| format!("{a}")),
        (0u64..10_000_000).prop_map(|a| format!("{} {:03}", a / 1000, a % 1000)),
        (0u64..10_000_000).prop_map(|a| format!("{}.{:03},5", a / 1000, a % 1000)),
        (0u64..10_000).prop_map(|a| format!("{a} ha")),
        (0u64..10_000).prop_map(|a| format!("{a},25 га")),
        Just("NaN".to_string()),
        Just("1e400".to_string()),
        Just("-0".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

fn any_file() -> impl Strategy<Value = String> {
    // Headers as exports write them, each column's role: month, organisation, area, year, other.
    let header = prop::sample::select(vec![
        (vec!["month", "organisation", "area_m2"], "MOA"),
        (vec!["Month", "Operator", "Площа, га"], "MOA"),
        (vec!["date", "area_m2"], "MA"),
        (vec!["Місяць", "Оператор", "Площа, м²"], "MOA"),
        (vec!["year", "month", "area_km2"], "YMA"),
        (vec!["period", "organization", "released_m2", "extra"], "MOAX"),
        (vec!["Month", "Operator", "Cancelled", "Reduced", "Cleared"], "MOAAA"),
        (vec!["Operator", "Jan 2024", "2024-02", "Total"], "OAAA"),
        (vec!["Рік", "Січень", "Лютий"], "XAA"),
    ]);
    header
        .prop_flat_map(|(columns, roles): (Vec<&'static str>, &'static str)| {
            let cells: Vec<BoxedStrategy<String>> = roles
                .chars()
                .map(|role| match role {
                    'M' => month_cell().boxed(),
                    'O' => prop_oneof![
                        60 => prop::sample::select(vec!["HALO", "FSD, Ukraine", "ДСНС", "Total", "Всього", ""]).prop_map(str::to_string),
                        1 => any_cell(),
                    ]
                    .boxed(),
                    'A' => area_cell().boxed(),
                    'Y' => prop_oneof![60 => (2015i32..2026).prop_map(|y| y.to_string()), 1 => any_cell()].boxed(),
                    _ => any_cell().boxed(),
                })
                .collect();
            // Now and then a row of another width (a malformed line).
            let row = prop_oneof![60 => cells, 1 => prop::collection::vec(any_cell(), 0..6)];
            (
                Just(columns),
                prop::collection::vec(row, 0..40),
                prop::sample::select(vec![',', ';', '\t']),
                any::<bool>(),
                any::<bool>(),
            )
        })
        .prop_map(|(columns, rows, delimiter, bom, crlf)| {
            // As a spreadsheet saves it: a cell holding the delimiter or a quote is quoted.
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| match c.contains([delimiter, '"']) {
                        true => format!("\"{}\"", c.replace('"', "\"\"")),
                        false => c.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(&delimiter.to_string())
            };
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str(&line(&columns.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
            text.push_str(end);
            for row in rows {
                text.push_str(&line(&row));
                text.push_str(end);
            }
            text
        })
}

/// An area as exports write it, mostly a good one.
fn area_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => (0u64..10_000_000).prop_map(|a| a.to_string()),
        10 => (0u64..10_000_000).prop_map(|a| format!("{} {:03}", a / 1000, a % 1000)),
        10 => (0u64..10_000_000).prop_map(|a| format!("{},5", a)),
        10 => (0u64..100_000).prop_map(|a| format!("{:.2} ha", a as f64 / 100.0)),
        1 => any_cell(),
    ]
}

/// A month as exports write it, mostly a good one.
fn month_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => (2015i32..2026, 1u32..13).prop_map(|(y, m)| format!("{y}-{m:02}")),
        10 => (2015i32..2026, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{d:02}.{m:02}.{y}")),
        5 => (42005u32..46023).prop_map(|serial| serial.to_string()),
        1 => any_cell(),
    ]
}

fn maps() -> Vec<ColumnMap> {
    let mapped = ColumnMap::parse("month=Month,organisation=Operator,area_ha=Площа, га").unwrap();
    vec![
        ColumnMap::default(),
        ColumnMap::parse("month=Month,organisation=Operator,area_ha=Cancelled+Reduced+Cleared").unwrap(),
        ColumnMap {
            sum_rows: true,
            ..ColumnMap::default()
        },
        ColumnMap {
            cumulative: true,
            ..ColumnMap::default()
        },
        mapped.clone(),
        ColumnMap {
            sum_rows: true,
            ..mapped
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any file: an error or a history whose figures are areas (finite, not negative, below the
    /// limit), one per organisation and month; and the model fitted on it, or its refusal,
    /// without a panic.
    #[test]
    fn any_export_reads_as_a_history_or_a_located_error(text in any_file()) {
        for map in maps() {
            match parse_history_file(&text, "p.csv", &map) {
                Err(e) => prop_assert!(e.to_string().starts_with("p.csv"), "{e}"),
                Ok(file) => {
                    let mut seen = BTreeMap::new();
                    for row in &file.rows {
                        prop_assert!(row.area_m2.is_finite() && row.area_m2 >= 0.0, "{row:?}");
                        prop_assert!(row.area_m2 <= MAX_MONTH_AREA_M2 * (1 + file.reading.rows_added_up) as f64);
                        prop_assert!(seen.insert((row.month, row.organisation.clone()), ()).is_none(), "{row:?} twice");
                    }
                    prop_assert!(map.sum_rows || file.reading.rows_added_up == 0);
                    let opts = HistoryOptions { runs: 20, seed: 1 };
                    let _ = forecast_history(&file.rows, 1e6, None, &opts);
                    if let Some(last) = file.rows.iter().map(|r| r.month).max() {
                        let _ = hindcast(&file.rows, last.plus(-3), &opts);
                    }
                }
            }
        }
    }

    /// Activities added up: each organisation's month is the sum of its rows, written plain or
    /// as a semicolon spreadsheet with decimal commas and spaced thousands; the count of rows added
    /// is the rows less the organisation-months. Without `sum_rows` such a file reads only when
    /// no organisation has two rows in a month.
    #[test]
    fn rows_added_up_keep_every_square_metre(
        activities in prop::collection::vec((0i64..30, 0usize..3, 1u32..29, 0u64..5_000_000), 1..60),
        semicolon in any::<bool>(),
    ) {
        let organisations = ["HALO", "FSD", "ДСНС"];
        let (sep, mut text) = if semicolon { (";", "Дата;Оператор;Площа, м²\n".to_string()) } else { (",", "date,operator,area_m2\n".to_string()) };
        let mut want: BTreeMap<(YearMonth, String), f64> = BTreeMap::new();
        for &(month, org, day, area_dm2) in &activities {
            let m = YearMonth::new(2020, 1).unwrap().plus(month);
            let area_m2 = area_dm2 as f64 / 100.0;
            *want.entry((m, organisations[org].to_string())).or_default() += area_m2;
            let cell = if semicolon {
                let (whole, hundredths) = (area_dm2 / 100, area_dm2 % 100);
                let grouped = if whole >= 1000 { format!("{} {:03}", whole / 1000, whole % 1000) } else { whole.to_string() };
                format!("{grouped},{hundredths:02}")
            } else {
                format!("{area_m2:.2}")
            };
            text.push_str(&format!("{}-{:02}-{day:02}{sep}{}{sep}{cell}\n", m.year, m.month, organisations[org]));
        }
        let summing = ColumnMap { sum_rows: true, ..ColumnMap::default() };
        let file = parse_history_file(&text, "a.csv", &summing).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(file.rows.len(), want.len());
        prop_assert_eq!(file.reading.rows_added_up, activities.len() - want.len());
        for row in &file.rows {
            let expected = want[&(row.month, row.organisation.clone())];
            prop_assert!((row.area_m2 - expected).abs() <= 1e-6 * expected.max(1.0), "{row:?}: {expected}");
        }
        let plain = parse_history(&text, "a.csv", &ColumnMap::default());
        prop_assert_eq!(plain.is_ok(), want.len() == activities.len(), "{:?}", plain);
    }

    /// A pivot table's organisation labels left out under the first of each organisation's rows
    /// read as the same history as the labels written on every row, whatever the months' order
    /// within an organisation; the rows so labelled are counted.
    #[test]
    fn labels_left_out_read_as_labels_repeated(
        history in prop::collection::btree_map((0usize..3, 0i64..40), 0u64..1_000_000, 1..60),
        reversed in any::<bool>(),
    ) {
        let organisations = ["HALO", "FSD", "ДСНС"];
        let (mut repeated, mut left_out) = ("organisation,month,area_m2\n".to_string(), "organisation,month,area_m2\n".to_string());
        let mut rows: Vec<_> = history.iter().collect();
        if reversed {
            rows.reverse();
        }
        let mut label_above = None;
        for (&(org, month), area) in rows {
            let m = YearMonth::new(2020, 1).unwrap().plus(month);
            repeated.push_str(&format!("{},{m},{area}\n", organisations[org]));
            let label = if label_above == Some(org) { "" } else { organisations[org] };
            left_out.push_str(&format!("{label},{m},{area}\n"));
            label_above = Some(org);
        }
        let read = |text: &str| parse_history_file(text, "p.csv", &ColumnMap::default()).map_err(|e| TestCaseError::fail(e.to_string()));
        let (plain, pivot) = (read(&repeated)?, read(&left_out)?);
        prop_assert_eq!(&plain.rows, &pivot.rows);
        let named_rows = history.keys().map(|&(org, _)| org).collect::<std::collections::BTreeSet<_>>().len();
        prop_assert_eq!((plain.reading.rows_labelled_from_above, pivot.reading.rows_labelled_from_above), (0, history.len() - named_rows));
    }

    /// A history written with its months across the header, a row per organisation (a month
    /// without its figure an empty cell, the columns in any order), reads as the same rows as
    /// written a row per organisation and month (two months or more: one is not told from a long
    /// table missing its month column).
    #[test]
    fn months_across_read_as_rows_of_months(
        history in prop::collection::btree_map((0usize..3, 0i64..30), 0u64..1_000_000, 1..60),
        column_order in prop::collection::vec(any::<u32>(), 30),
    ) {
        let organisations = ["HALO", "FSD", "ДСНС"];
        let month = |k: i64| YearMonth::new(2020, 1).unwrap().plus(k);
        let mut columns: Vec<i64> = history.keys().map(|&(_, k)| k).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        prop_assume!(columns.len() >= 2);
        columns.sort_by_key(|&k| column_order[k as usize]);
        let mut wide = String::from("Operator");
        for &k in &columns {
            let m = month(k);
            wide.push_str(&format!(",{}", ["2024-01", "Jan 2024", "01.2024"][k as usize % 3].replace("2024", &m.year.to_string()).replace("01", &format!("{:02}", m.month)).replace("Jan", ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m.month as usize - 1])));
        }
        wide.push('\n');
        let mut long = String::from("organisation,month,area_m2\n");
        for (org, name) in organisations.iter().enumerate() {
            if !history.keys().any(|&(o, _)| o == org) {
                continue;
            }
            wide.push_str(name);
            for &k in &columns {
                wide.push(',');
                if let Some(area) = history.get(&(org, k)) {
                    wide.push_str(&area.to_string());
                    long.push_str(&format!("{name},{},{area}\n", month(k)));
                }
            }
            wide.push('\n');
        }
        let read = |text: &str| parse_history(text, "h.csv", &ColumnMap::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")));
        let (mut across, mut down) = (read(&wide)?, read(&long)?);
        for rows in [&mut across, &mut down] {
            rows.sort_by(|a, b| (&a.organisation, a.month).cmp(&(&b.organisation, b.month)));
        }
        prop_assert_eq!(across, down);
    }

    /// A history as Excel copies a pivot table with its months across the columns: a caption
    /// line (`Sum of area_m2 | Column Labels`) above the header, the months as `2024-01`, or with
    /// dates grouped a line of years (and each year's total column) above the months of the
    /// year, a grand total column and row, reads as the same rows as the long table.
    #[test]
    fn a_pivot_across_the_columns_reads_under_its_caption(
        history in prop::collection::btree_map((0usize..3, 0i64..30), 0u64..1_000_000, 1..60),
        grouped in any::<bool>(),
    ) {
        let organisations = ["HALO", "FSD", "ДСНС"];
        let month = |k: i64| YearMonth::new(2020, 1).unwrap().plus(k);
        let month_names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let months: Vec<i64> = history.keys().map(|&(_, k)| k).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        prop_assume!(months.len() >= 2);
        // The columns: a month's (its index in `months`), or a year's total.
        enum Column { Month(i64), YearTotal(i32) }
        let mut columns = Vec::new();
        for (at, &k) in months.iter().enumerate() {
            columns.push(Column::Month(k));
            let last_of_year = months.get(at + 1).is_none_or(|&next| month(next).year != month(k).year);
            if grouped && last_of_year {
                columns.push(Column::YearTotal(month(k).year));
            }
        }
        let cells_of = |org: Option<usize>| -> Vec<String> {
            let area = |k: i64| history.iter().filter(|(&(o, m), _)| m == k && org.is_none_or(|org| o == org)).map(|(_, a)| a).sum::<u64>();
            let present = |k: i64| history.keys().any(|&(o, m)| m == k && org.is_none_or(|org| o == org));
            let mut cells: Vec<String> = columns.iter().map(|c| match c {
                Column::Month(k) => if present(*k) { area(*k).to_string() } else { String::new() },
                Column::YearTotal(y) => months.iter().filter(|&&k| month(k).year == *y).map(|&k| area(k)).sum::<u64>().to_string(),
            }).collect();
            cells.push(months.iter().map(|&k| area(k)).sum::<u64>().to_string());
            cells
        };
        let mut pivot = format!("Sum of area_m2,Column Labels{}\n", ",".repeat(columns.len()));
        if grouped {
            let mut year_above = None;
            let mut years = String::new();
            let mut names = String::from("Row Labels");
            for c in &columns {
                match c {
                    Column::Month(k) => {
                        let m = month(*k);
                        years.push(',');
                        if year_above != Some(m.year) {
                            years.push_str(&m.year.to_string());
                            year_above = Some(m.year);
                        }
                        names.push_str(&format!(",{}", month_names[m.month as usize - 1]));
                    }
                    Column::YearTotal(y) => {
                        years.push_str(&format!(",{y} Total"));
                        names.push(',');
                    }
                }
            }
            pivot.push_str(&format!("{years},Grand Total\n{names},\n"));
        } else {
            let header: Vec<String> = months.iter().map(|&k| month(k).to_string()).collect();
            pivot.push_str(&format!("Row Labels,{},Grand Total\n", header.join(",")));
        }
        let mut long = String::from("organisation,month,area_m2\n");
        for (org, name) in organisations.iter().enumerate() {
            if !history.keys().any(|&(o, _)| o == org) {
                continue;
            }
            pivot.push_str(&format!("{name},{}\n", cells_of(Some(org)).join(",")));
            for (&(_, k), area) in history.iter().filter(|((o, _), _)| *o == org) {
                long.push_str(&format!("{name},{},{area}\n", month(k)));
            }
        }
        pivot.push_str(&format!("Grand Total,{}\n", cells_of(None).join(",")));
        let read = |text: &str| parse_history_file(text, "p.csv", &ColumnMap::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")));
        let (mut across, mut down) = (read(&pivot)?, read(&long)?);
        for rows in [&mut across.rows, &mut down.rows] {
            rows.sort_by(|a, b| (&a.organisation, a.month).cmp(&(&b.organisation, b.month)));
        }
        prop_assert_eq!(&across.rows, &down.rows);
        prop_assert_eq!(across.reading.column_labels_caption.map(|(caption, _)| caption), Some("Sum of area_m2".to_string()));
    }

    /// A history as a pivot table in Excel's compact form (one column of row labels:
    /// organisations with their months under them, months with their organisations, or
    /// organisations, years, quarters in any usual spelling and months of the year; every
    /// group's total beside its label, or under the group as `… Total`, or none; a grand total
    /// or not) reads as the same rows as the long table, and says which column held the labels.
    #[test]
    fn a_compact_pivot_reads_as_its_long_table(
        history in prop::collection::btree_map((0usize..3, 0i64..40), 0u64..1_000_000, 2..60),
        layout in 0usize..3,
        group_totals in prop_oneof![Just(None), Just(Some(Subtotals::AtTop)), Just(Some(Subtotals::AtBottom))],
        grand_total in any::<bool>(),
        quarter_spelling in 0usize..5,
    ) {
        let organisations = ["HALO", "FSD", "ДСНС"];
        let month = |k: i64| YearMonth::new(2020, 1).unwrap().plus(k);
        let month_names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        // Excel's own labels (English, Ukrainian) and how people retype them.
        let quarter_label = |quarter: u32| match quarter_spelling {
            0 => format!("Qtr{quarter}"),
            1 => format!("Кв-л{quarter}"),
            2 => format!("Квартал {quarter}"),
            3 => format!("{quarter} кв."),
            _ => format!("Q{quarter}"),
        };
        let mut long = String::from("organisation,month,area_m2\n");
        for (&(org, k), area) in &history {
            long.push_str(&format!("{},{},{area}\n", organisations[org], month(k)));
        }
        // Each figure with its labels, outermost first, in the order the pivot lists them:
        // months under organisations, or organisations under months.
        let mut figures: Vec<(Vec<String>, u64)> = Vec::new();
        let mut in_order: Vec<(&(usize, i64), &u64)> = history.iter().collect();
        if layout == 1 {
            in_order.sort_by_key(|&(&(org, k), _)| (k, org));
        }
        for (&(org, k), &area) in in_order {
            let (m, name) = (month(k), organisations[org].to_string());
            let labels = match layout {
                0 => vec![name, m.to_string()],
                1 => vec![m.to_string(), name],
                _ => vec![
                    name,
                    m.year.to_string(),
                    quarter_label((m.month - 1) / 3 + 1),
                    month_names[m.month as usize - 1].to_string(),
                ],
            };
            figures.push((labels, area));
        }
        if layout == 1 {
            let months: std::collections::BTreeSet<&String> = figures.iter().map(|(labels, _)| &labels[0]).collect();
            prop_assume!(months.len() >= 2);
        }
        let mut pivot = String::from("Row Labels,Sum of area_m2\n");
        compact_rows(&figures, 0, group_totals, &mut pivot);
        if grand_total {
            pivot.push_str(&format!("Grand Total,{}\n", history.values().sum::<u64>()));
        }
        let read = |text: &str| parse_history_file(text, "p.csv", &ColumnMap::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")));
        let (mut compact, mut down) = (read(&pivot)?, read(&long)?);
        for rows in [&mut compact.rows, &mut down.rows] {
            rows.sort_by(|a, b| (&a.organisation, a.month).cmp(&(&b.organisation, b.month)));
        }
        prop_assert_eq!(&compact.rows, &down.rows);
        prop_assert_eq!(compact.reading.row_labels_column.as_deref(), Some("Row Labels"));
    }
}

/// Where a pivot table shows each group's total.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Subtotals {
    /// Beside the group's label (Excel's default in compact form).
    AtTop,
    /// As a row `{label} Total` under the group.
    AtBottom,
}

/// Writes `figures` (each with its labels, grouped in order) as a compact pivot's rows from
/// label `depth` on: each group's label, then what is under it; the figures' own labels beside
/// their values.
fn compact_rows(figures: &[(Vec<String>, u64)], depth: usize, totals: Option<Subtotals>, out: &mut String) {
    let mut start = 0;
    while start < figures.len() {
        let label = figures[start].0[depth].clone();
        let end = start
            + figures[start..]
                .iter()
                .take_while(|(labels, _)| labels[depth] == label)
                .count();
        let group = &figures[start..end];
        if depth + 1 == group[0].0.len() {
            out.push_str(&format!("{label},{}\n", group[0].1));
        } else {
            let total: u64 = group.iter().map(|(_, a)| a).sum();
            let beside = if totals == Some(Subtotals::AtTop) {
                total.to_string()
            } else {
                String::new()
            };
            out.push_str(&format!("{label},{beside}\n"));
            compact_rows(group, depth + 1, totals, out);
            if totals == Some(Subtotals::AtBottom) {
                out.push_str(&format!("{label} Total,{total}\n"));
            }
        }
        start = end;
    }
}
