//! Histories laid out with the months across the header, as monthly reports are often kept: a
//! row per organisation with a column per month (`Operator, Jan 2024, Feb 2024, …`), or a row
//! per year with a column per month of the year (`Year, Jan, Feb, …, Dec`). Such a table is
//! read by writing it as the long table the reader knows (a row per organisation and month) and
//! reading that: every check of a long history holds, and a problem is placed back at the line
//! and the month's column of the table as written.

use super::*;

/// What a header cell says of its column's month.
#[derive(Debug, Clone, Copy, PartialEq)]
enum HeaderMonth {
    /// A month with its year (`2024-01`, `Jan 2024`, `Jan-24`, `січень 2024`).
    Month(YearMonth),
    /// A month of the year by its name (`Jan`, `січень`), its year in the row's year column.
    OfYear(u32),
}

/// The month columns of a header: those naming a month with its year when there are two or
/// more, else (with a year column) those naming a month of the year. Numbers alone (`1`, `2`)
/// are not taken as months of the year: a header of numbers is more often something else.
fn month_columns(names: &[String], year_column: Option<usize>) -> Vec<(usize, HeaderMonth)> {
    let with_year: Vec<(usize, HeaderMonth)> = names
        .iter()
        .enumerate()
        .filter(|&(k, _)| Some(k) != year_column)
        .filter_map(|(k, n)| YearMonth::parse(n).map(|m| (k, HeaderMonth::Month(m))))
        .collect();
    if with_year.len() >= 2 {
        return with_year;
    }
    let Some(year_column) = year_column else { return vec![] };
    let of_year: Vec<(usize, HeaderMonth)> = names
        .iter()
        .enumerate()
        .filter(|&(k, n)| k != year_column && n.parse::<u32>().is_err())
        .filter_map(|(k, n)| YearMonth::month_of_year(n).map(|m| (k, HeaderMonth::OfYear(m))))
        .collect();
    if of_year.len() >= 2 {
        of_year
    } else {
        vec![]
    }
}

/// Where a row of the long table came from: the line of the table as written, and the headers
/// of the columns its month and its area were in (both the month's column when the months are
/// across the header).
pub(super) struct Origin {
    pub(super) line: u64,
    pub(super) month_column: String,
    pub(super) area_column: String,
}

/// The long table's month column (the area's is the unit's field name, `area_m2`, …).
pub(super) const MONTH: &str = "month";

/// Reads a history with its months across the header (`rows`: the file's reader past its header
/// `names`), or `None` when the header names fewer than two months (then it is not such a
/// table). `organisation` and `year` are the columns found for them, `delimiter` the file's. The organisation column is the one mapped or named
/// as usual, else the one column that is neither a month, the year nor a total; without it each
/// row is the whole programme's. The areas are m² unless `area_ha` or `area_km2` is mapped (to
/// any name: the months' columns hold them). A total column is not read: a pivot table's
/// (`Grand Total`, a year's `2024 Total`) is checked against the row's months, a `Total` alone
/// (perhaps to date) left aside.
pub(super) fn read_months_across(
    rows: Records<'_, '_>,
    name: &str,
    map: &ColumnMap,
    names: &[String],
    organisation: Option<usize>,
    year: Option<usize>,
    delimiter: u8,
) -> Option<Result<HistoryFile, HistoryError>> {
    let months = month_columns(names, year);
    if months.is_empty() {
        return None;
    }
    let is_month = |k: usize| months.iter().any(|&(m, _)| m == k);
    let organisation = organisation.or_else(|| {
        let is_total = |k: usize| is_total_label(&names[k]) || subtotal_label(&names[k]).is_some();
        let mut others = (0..names.len()).filter(|&k| !is_month(k) && Some(k) != year && !is_total(k));
        match (others.next(), others.next(), map.organisation_required) {
            (Some(k), None, false) => Some(k),
            _ => None,
        }
    });
    Some(read(rows, name, map, names, &months, organisation, year, delimiter))
}

#[allow(clippy::too_many_arguments)]
fn read(
    rows: Records<'_, '_>,
    name: &str,
    map: &ColumnMap,
    names: &[String],
    months: &[(usize, HeaderMonth)],
    organisation: Option<usize>,
    year: Option<usize>,
    delimiter: u8,
) -> Result<HistoryFile, HistoryError> {
    let io = |e: csv::Error| HistoryError::Io {
        path: name.into(),
        message: e.to_string(),
    };
    // Two columns of one month (`Jan 2024` and `2024-01`) would give it twice on every line.
    for (k, &(column, month)) in months.iter().enumerate() {
        if let Some(&(first, _)) = months[..k].iter().find(|(_, m)| *m == month) {
            return Err(HistoryError::Value {
                path: name.into(),
                line: 1,
                column: names[column].clone(),
                problem: format!(
                    "the same month as column '{}'; give each month one column",
                    names[first]
                ),
            });
        }
    }
    let organisation_column = organisation.map_or("organisation", |k| names[k].as_str());
    let area_field = map.area_unit.field();
    let mut long = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    // Without an organisation column the long table has none: each row is the programme's.
    let write = |long: &mut csv::Writer<Vec<u8>>, month: &str, of_row: &str, area: &str| match organisation {
        Some(_) => long.write_record([month, of_row, area]),
        None => long.write_record([month, area]),
    };
    write(&mut long, MONTH, organisation_column, area_field).map_err(io)?;
    let mut origins: Vec<Origin> = Vec::new();
    let total_columns = pivot_total_columns(names, months);
    // Rows with a pivot's total columns, checked once the file's numbers are known.
    let mut rows_with_totals = Vec::new();
    for (k, rec) in rows.reader.records().enumerate() {
        let (line, rec) = well_formed(rec, name, k as u64 + 2, rows.lines)?;
        if !total_columns.is_empty() {
            rows_with_totals.push((line, rec.clone()));
        }
        if rec.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let of_row = organisation.and_then(|k| rec.get(k)).unwrap_or("").trim();
        let row_year = match year {
            Some(y) if months.iter().any(|(_, m)| matches!(m, HeaderMonth::OfYear(_))) => {
                let cell = rec.get(y).unwrap_or("").trim();
                match cell.parse::<i32>().ok().filter(|y| HISTORY_YEARS.contains(y)) {
                    Some(y) => Some(y),
                    // A total row under the years (`Total`, `Всього`) sums the years above.
                    None if is_total_label(cell) => None,
                    None => {
                        return Err(HistoryError::Value {
                            path: name.into(),
                            line,
                            column: names[y].clone(),
                            problem: format!("'{cell}' is not a year; write a year from 1900 to 2200"),
                        })
                    }
                }
            }
            _ => None,
        };
        for &(column, month) in months {
            let cell = rec.get(column).unwrap_or("");
            if cell.trim().is_empty() {
                continue;
            }
            let month = match (month, row_year) {
                (HeaderMonth::Month(m), _) => m.to_string(),
                (HeaderMonth::OfYear(m), Some(y)) => format!("{y}-{m:02}"),
                // The year column's total row: a total for each month of the year, of no year.
                (HeaderMonth::OfYear(_), None) => continue,
            };
            write(&mut long, &month, of_row, cell).map_err(io)?;
            origins.push(Origin {
                line,
                month_column: names[column].clone(),
                area_column: names[column].clone(),
            });
        }
    }
    let long = String::from_utf8(long.into_inner().map_err(|e| io(e.into_error().into()))?).expect("written from str");
    let long_map = ColumnMap {
        month: MONTH.into(),
        organisation: organisation_column.into(),
        area_m2: area_field.into(),
        organisation_required: organisation.is_some(),
        area_unit: map.area_unit,
        area_mapped: true,
        year: None,
        sum_rows: map.sum_rows,
        cumulative: map.cumulative,
    };
    if origins.is_empty() {
        return Err(HistoryError::Empty { path: name.into() });
    }
    let mut file =
        parse_history_file(&long, name, &long_map).map_err(|e| placed_back(e, &origins, area_field, names))?;
    file.reading.month_columns = months.len();
    let area_m2 = |line: u64, column: usize, cell: &str| {
        area_m2_of(cell.trim(), map.area_unit, file.reading.numbers).map_err(|problem| HistoryError::Value {
            path: name.into(),
            line,
            column: names[column].clone(),
            problem,
        })
    };
    for (line, rec) in &rows_with_totals {
        for &(column, of_year) in &total_columns {
            let cell = rec.get(column).unwrap_or("");
            if cell.trim().is_empty() {
                continue;
            }
            let total = area_m2(*line, column, cell)?;
            let mut sum = 0.0;
            for &(k, month) in months {
                let counted = match (month, of_year) {
                    (_, None) => true,
                    (HeaderMonth::Month(m), Some(y)) => m.year == y,
                    (HeaderMonth::OfYear(_), Some(_)) => false,
                };
                let cell = rec.get(k).unwrap_or("");
                if counted && !cell.trim().is_empty() {
                    sum += area_m2(*line, k, cell)?;
                }
            }
            let months_of = of_year.map_or("the months in its row".to_string(), |y| {
                format!("the months of {y} in its row")
            });
            check_total(total, sum, &months_of).map_err(|problem| HistoryError::Value {
                path: name.into(),
                line: *line,
                column: names[column].clone(),
                problem: format!(
                    "'{}' is a total column, but {problem}: correct it or clear it (a pivot table computes it)",
                    names[column]
                ),
            })?;
        }
    }
    Ok(file)
}

/// The total columns a pivot table computes, each with the year it totals (`2024 Total`) or
/// none for every month (`Grand Total`, `Загальний підсумок`). A column named `Total` alone is
/// not among them: a report's may hold the total to date.
fn pivot_total_columns(names: &[String], months: &[(usize, HeaderMonth)]) -> Vec<(usize, Option<i32>)> {
    const GRAND_TOTALS: [&str; 3] = ["grand total", "загальний підсумок", "общий итог"];
    (0..names.len())
        .filter(|k| !months.iter().any(|(m, _)| m == k))
        .filter_map(|k| {
            let header = names[k].trim().to_lowercase();
            if GRAND_TOTALS.contains(&header.as_str()) {
                return Some((k, None));
            }
            let year = subtotal_label(&names[k])?.parse::<i32>().ok()?;
            HISTORY_YEARS.contains(&year).then_some((k, Some(year)))
        })
        .collect()
}

/// A long table's problem at the line and the column of the table as written (`names`: its
/// header).
pub(super) fn placed_back(e: HistoryError, origins: &[Origin], area_field: &str, names: &[String]) -> HistoryError {
    let origin = |line: u64| origins.get((line as usize).wrapping_sub(2));
    let line_of = |line: u64| origin(line).map_or(line, |o| o.line);
    let e = match e {
        HistoryError::Value {
            path,
            line,
            column,
            problem,
        } => HistoryError::Value {
            path,
            column: match origin(line) {
                Some(o) if column == MONTH => o.month_column.clone(),
                Some(o) if column == area_field => o.area_column.clone(),
                _ => column,
            },
            line,
            problem,
        },
        HistoryError::DuplicateProgrammeMonth {
            path,
            line,
            first,
            month,
            ..
        } => HistoryError::DuplicateProgrammeMonth {
            path,
            line,
            first,
            month,
            available: names.join(", "),
        },
        e => e,
    };
    e.with_lines(line_of)
}
