//! A pivot table in Excel's compact form, as it is copied or saved from the sheet: one column
//! (`Row Labels`, `Назви рядків`) holds the labels of every level, an organisation with its
//! months under it (or a month with its organisations), years with the months of the year
//! when dates were grouped, and the value column beside them. No cell says which level a label
//! is (the indent is formatting, lost in CSV), so each label is known by what it reads as: a
//! month, a year, a month of the year, a total, else an organisation. The innermost level is
//! the last label's; its rows are the figures, and the labels above them say whose and when.
//!
//! Like [`super::wide`], the table is written as the long table the reader knows and read by
//! it, so every check of a long history holds, and a problem is placed back at its line. The
//! outermost groups' totals go to the reader as subtotal rows; the totals of groups inside them
//! (a year's, a quarter's) are checked here against their figures, read as the reader read the
//! file's numbers.

use super::wide::{placed_back, Origin, MONTH};
use super::*;
use std::collections::HashMap;

/// What a label of the row-label column reads as.
#[derive(Debug, Clone, PartialEq)]
enum Label {
    Month(YearMonth),
    Year(i32),
    /// A month of the year by its name (`Jan`, `січень`), under a year.
    MonthOfYear(u32),
    /// `Grand Total`, `Всього`, or a subtotal, `HALO Total`: passed on to the reader's checks.
    Total,
    /// A quarter of a date grouping (`Qtr1`, `Кв-л1`, `2024-Q1`): a level with no figure of its
    /// own.
    QuarterOfYear,
    Organisation,
}

/// A row of the table: its line, its label as written, what the label reads as, and the cells
/// of the value columns.
type LabelRow = (u64, String, Label, Vec<String>);

impl Label {
    fn of(cell: &str) -> Label {
        let cell = cell.trim();
        // First: a month's subtotal under its group (`2024-01 Total`) would read as the month.
        if is_total_label(cell) || subtotal_label(cell).is_some() {
            return Label::Total;
        }
        if let Some(m) = YearMonth::parse(cell) {
            return Label::Month(m);
        }
        if let Some(y) = cell
            .parse::<i32>()
            .ok()
            .filter(|y| cell.len() == 4 && HISTORY_YEARS.contains(y))
        {
            return Label::Year(y);
        }
        if cell.parse::<u32>().is_err() {
            if let Some(m) = YearMonth::month_of_year(cell) {
                return Label::MonthOfYear(m);
            }
        }
        if quarter_of_year(cell).is_some() || Quarter::parse(cell).is_some() {
            return Label::QuarterOfYear;
        }
        Label::Organisation
    }

    /// Whether the label is a level of the month: the month itself or what it is grouped by.
    fn is_of_the_month(&self) -> bool {
        matches!(
            self,
            Label::Month(_) | Label::Year(_) | Label::MonthOfYear(_) | Label::QuarterOfYear
        )
    }

    /// What the label was read as, for messages.
    fn reads_as(&self) -> &'static str {
        match self {
            Label::Month(_) => "a month",
            Label::Year(_) => "a year",
            Label::MonthOfYear(_) => "a month of the year",
            Label::Total => "a total",
            Label::QuarterOfYear => "a quarter",
            Label::Organisation => "an organisation",
        }
    }
}

fn strs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

/// Refuses labels read as organisations that look like a mistyped month (`2024-13`, `Aprl 2024`:
/// digits and separators only, or a year beside a word), and levels out of their order (an
/// organisation, say, straight above months of the year where the others have a year between),
/// which is how a mistyped month's name shows. A label's level is known only by what it reads
/// as, so a mistyped month would otherwise be taken for an organisation owning the rows under it.
fn check_levels<V>(rows: &[(u64, String, Label, V)], name: &str, column: &str) -> Result<(), HistoryError> {
    let refuse = |line: u64, problem: String| HistoryError::Value {
        path: name.into(),
        line,
        column: column.into(),
        problem,
    };
    for (line, text, label, _) in rows {
        let dated = text.chars().all(|c| c.is_ascii_digit() || " -/.".contains(c))
            || text
                .split(|c: char| !c.is_ascii_digit())
                .any(|n| n.len() == 4 && n.parse().is_ok_and(|y: i32| HISTORY_YEARS.contains(&y)));
        if *label == Label::Organisation && dated {
            return Err(refuse(
                *line,
                format!("'{text}' is not a month, and reads as no organisation's name; write the month as YYYY-MM (e.g. 2024-03) or by its name (Mar 2024, березень 2024)"),
            ));
        }
    }
    let depth = depth_of_levels(rows);
    let mut above: Option<(&u64, &String, &Label, usize)> = None;
    for (line, text, label, _) in rows {
        let Some(d) = depth(label) else {
            // A total ends the groups above it.
            above = None;
            continue;
        };
        let expected = above.map_or(0, |(_, _, _, d)| d + 1);
        if d > expected {
            let (above_line, above_text, above_label) = above.map_or((line, text, label), |(l, t, a, _)| (l, t, a));
            return Err(refuse(
                *above_line,
                format!(
                    "'{above_text}' reads as {}, but the row under it, '{text}' (line {line}), is {} without the levels the table has between them; check the label: a month is written YYYY-MM or by its name (Jan, січень), a year as four digits",
                    above_label.reads_as(),
                    label.reads_as()
                ),
            ));
        }
        above = Some((line, text, label, d));
    }
    Ok(())
}

/// Each label's depth among the table's levels, in the order they first come (0 the
/// outermost); `None` for a total, which is of no level.
fn depth_of_levels<V>(rows: &[(u64, String, Label, V)]) -> impl Fn(&Label) -> Option<usize> {
    let mut order = Vec::new();
    for (_, _, label, _) in rows.iter().filter(|(_, _, label, _)| *label != Label::Total) {
        let level = std::mem::discriminant(label);
        if !order.contains(&level) {
            order.push(level);
        }
    }
    move |label: &Label| order.iter().position(|l| *l == std::mem::discriminant(label))
}

/// Moves each subtotal shown under its group (`2024 Total` after the year's months, Excel's
/// other layout) to its group's label, where subtotals shown at the top of the group are, so
/// that groups inside groups are checked alike and the levels read in their order. A subtotal
/// whose group is not open above it, or whose label already has a value, stays a total row.
/// Also where each moved total was: the label's line → the total's.
fn subtotals_at_their_labels(mut rows: Vec<LabelRow>) -> (Vec<LabelRow>, HashMap<u64, u64>) {
    let depth = depth_of_levels(&rows);
    let figures = rows.iter().filter_map(|(_, _, label, _)| depth(label)).max();
    // The groups open above the current row: (depth, index in `rows`).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut moved = vec![false; rows.len()];
    let mut total_lines = HashMap::new();
    for at in 0..rows.len() {
        if let Some(d) = depth(&rows[at].2) {
            while open.last().is_some_and(|&(above, _)| above >= d) {
                open.pop();
            }
            if Some(d) != figures {
                open.push((d, at));
            }
            continue;
        }
        let group = subtotal_label(&rows[at].1).and_then(|what| {
            let what = what.to_lowercase();
            open.iter().rposition(|&(_, k)| rows[k].1.to_lowercase() == what)
        });
        match group {
            Some(g) if rows[open[g].1].3.iter().all(String::is_empty) => {
                rows[open[g].1].3 = std::mem::take(&mut rows[at].3);
                total_lines.insert(rows[open[g].1].0, rows[at].0);
                moved[at] = true;
                open.truncate(g);
            }
            // A total ends the groups above it.
            _ => open.clear(),
        }
    }
    let rows = rows
        .into_iter()
        .zip(moved)
        .filter(|(_, moved)| !moved)
        .map(|(row, _)| row)
        .collect();
    (rows, total_lines)
}

/// Checks the totals beside the labels of levels inside the outermost (a year's or a quarter's
/// within an organisation) against the figures under each, their cells read as the file's
/// others were (`numbers`). The reader checks the outermost level's, written as subtotal rows.
fn check_inner_totals(
    rows: &[LabelRow],
    is_figure: impl Fn(&Label) -> bool,
    total_line: impl Fn(&u64) -> u64,
    value_names: &[String],
    area_unit: AreaUnit,
    numbers: NumberFormat,
    name: &str,
) -> Result<(), HistoryError> {
    let areas = AreaColumns {
        columns: value_names.iter().cloned().enumerate().collect(),
        unit: area_unit,
        numbers,
    };
    let area_m2 = |line: u64, values: &[String]| {
        areas
            .area_m2(&csv::StringRecord::from(values.to_vec()))
            .map_err(|(column, problem)| HistoryError::Value {
                path: name.into(),
                line,
                column,
                problem,
            })
    };
    let depth = depth_of_levels(rows);
    // The groups open above the current row that carry a total: (depth, line, label, total, sum).
    let mut open: Vec<(usize, u64, &str, f64, f64)> = Vec::new();
    let close = |(_, line, text, total, sum): (usize, u64, &str, f64, f64)| {
        check_total(total, sum, "the rows under it").map_err(|problem| HistoryError::Value {
            path: name.into(),
            line,
            column: value_names[0].clone(),
            problem: format!(
                "'{text}' is a group's total, but {problem}: correct that total, or clear it (a pivot table computes it)"
            ),
        })
    };
    for (line, text, label, values) in rows {
        let blank = values.iter().all(String::is_empty);
        if is_figure(label) {
            if !blank {
                let area = area_m2(*line, values)?;
                for group in &mut open {
                    group.4 += area;
                }
            }
            continue;
        }
        // A label ends the groups of its level and those inside them; a total ends every group.
        let d = depth(label).unwrap_or(0);
        while open.last().is_some_and(|group| group.0 >= d) {
            close(open.pop().expect("checked"))?;
        }
        if d > 0 && !blank {
            let line = total_line(line);
            open.push((d, line, text, area_m2(line, values)?, 0.0));
        }
    }
    while let Some(group) = open.pop() {
        close(group)?;
    }
    Ok(())
}

/// The header Excel gives the column of row labels, in English, Ukrainian and Russian.
const ROW_LABELS_HEADERS: [&str; 3] = ["row labels", "назви рядків", "названия строк"];

/// Prefixes a pivot table gives its value column's header (`Sum of area_m2`).
const VALUE_PREFIXES: [&str; 5] = ["sum of ", "сума з ", "сума по полю ", "сумма по полю ", "total "];

/// Reads a compact pivot table (`rows`: the file's reader past its header `names`), or `None`
/// when no column holds two months or more among other labels (then it is not such a table), or
/// its value column cannot be told.
pub(super) fn read_row_labels(
    rows: Records<'_, '_>,
    name: &str,
    map: &ColumnMap,
    names: &[String],
    delimiter: u8,
) -> Option<Result<HistoryFile, HistoryError>> {
    let mut records = Vec::new();
    for (k, rec) in rows.reader.records().enumerate() {
        match well_formed(rec, name, k as u64 + 2, rows.lines) {
            Ok(record) => records.push(record),
            Err(e) => return Some(Err(e)),
        }
    }
    let labels_of = |k: usize| -> Vec<Label> {
        records
            .iter()
            .filter_map(|(_, r)| r.get(k).map(str::trim).filter(|c| !c.is_empty()))
            .map(Label::of)
            .collect()
    };
    let label_column = (0..names.len()).find(|&k| {
        let labels = labels_of(k);
        let mut year_above = false;
        let mut months = 0;
        for label in &labels {
            match label {
                Label::Year(_) => year_above = true,
                Label::Month(_) => months += 1,
                Label::MonthOfYear(_) if year_above => months += 1,
                _ => {}
            }
        }
        // Months with only totals among them are a month column under another name, unless
        // the table is the labels and their values alone.
        let other_levels = labels
            .iter()
            .any(|l| matches!(l, Label::Organisation | Label::Year(_) | Label::QuarterOfYear));
        let named_so = ROW_LABELS_HEADERS.contains(&names[k].to_lowercase().as_str());
        months >= 2 && (other_levels || named_so || (names.len() == 2 && labels.contains(&Label::Total)))
    })?;
    // A table of row labels whose values cannot be told is refused as a missing area column,
    // not a missing month: the months were found.
    let Some((area_columns, area_unit, by_unit)) = value_columns(name, map, names, label_column) else {
        return Some(Err(HistoryError::UnknownColumn {
            path: name.into(),
            field: map.area_unit.field(),
            column: map.area_m2.clone(),
            available: names.join(", "),
        }));
    };
    let file = read(
        &records,
        name,
        map,
        names,
        label_column,
        &area_columns,
        area_unit,
        delimiter,
    );
    Some(file.map(|mut file| {
        if by_unit {
            let columns = area_columns.iter().map(|&k| names[k].clone()).collect();
            file.reading.area_columns_by_unit = Some((columns, area_unit));
        }
        file
    }))
}

/// A value header without the prefix a pivot table gives it (`Sum of area_m2` → `area_m2`).
pub(super) fn without_value_prefix(header: &str) -> String {
    let lower = header.to_lowercase();
    VALUE_PREFIXES
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| header.get(p.len()..)).flatten())
        .map_or_else(|| header.to_string(), |rest| rest.trim().to_string())
}

/// The value columns beside the labels, with their unit: the area as mapped or named (also
/// after a pivot's `Sum of`; mapped `A+B+C`, their sum), the columns whose headers name an area
/// unit (one, or one per outcome), or the only other column (in m² unless mapped
/// `area_ha`/`area_km2`); and whether they were found by the unit their headers name.
fn value_columns(
    name: &str,
    map: &ColumnMap,
    names: &[String],
    label_column: usize,
) -> Option<(Vec<usize>, AreaUnit, bool)> {
    let unprefixed: Vec<String> = names.iter().map(|n| without_value_prefix(n)).collect();
    let named = |column: &str| {
        column_position(names, column)
            .or_else(|| column_position(&unprefixed, column))
            .filter(|&k| k != label_column)
    };
    if map.area_mapped {
        return match named(&map.area_m2) {
            Some(k) => Some((vec![k], map.area_unit, false)),
            None => map
                .area_m2
                .split('+')
                .map(|part| named(part.trim()))
                .collect::<Option<Vec<usize>>>()
                .filter(|columns| columns.len() > 1)
                .map(|columns| (columns, map.area_unit, false)),
        };
    }
    let by_name = [AreaUnit::SquareMetres, AreaUnit::Hectares, AreaUnit::SquareKilometres]
        .into_iter()
        .find_map(|unit| names_of(unit.field()).find_map(&named).map(|k| (vec![k], unit, false)));
    if by_name.is_some() {
        return by_name;
    }
    if let Ok(Some((columns, unit))) = area_columns_by_header_unit(name, names, &[Some(label_column)]) {
        return Some((columns, unit, true));
    }
    (names.len() == 2).then(|| (vec![1 - label_column], map.area_unit, false))
}

#[allow(clippy::too_many_arguments)]
fn read(
    records: &[(u64, csv::StringRecord)],
    name: &str,
    map: &ColumnMap,
    names: &[String],
    label_column: usize,
    area_columns: &[usize],
    area_unit: AreaUnit,
    delimiter: u8,
) -> Result<HistoryFile, HistoryError> {
    let io = |e: csv::Error| HistoryError::Io {
        path: name.into(),
        message: e.to_string(),
    };
    let cell = |r: &csv::StringRecord, k: usize| r.get(k).unwrap_or("").trim().to_string();
    let rows: Vec<LabelRow> = records
        .iter()
        .filter(|(_, r)| !r.iter().all(|field| field.trim().is_empty()))
        .map(|(line, r)| {
            let label = cell(r, label_column);
            let values = area_columns.iter().map(|&k| cell(r, k)).collect();
            (*line, label.clone(), Label::of(&label), values)
        })
        .collect();
    let (rows, total_lines) = subtotals_at_their_labels(rows);
    // Where a group's total is written: beside its label, or under the group.
    let total_line = |label_line: &u64| total_lines.get(label_line).copied().unwrap_or(*label_line);
    check_levels(&rows, name, &names[label_column])?;
    // The figures are the rows of the innermost level, the last label's that is not a total.
    let innermost_is_month = rows
        .iter()
        .rev()
        .find(|(_, _, label, _)| !matches!(label, Label::Total | Label::QuarterOfYear | Label::Year(_)))
        .is_some_and(|(_, _, label, _)| label.is_of_the_month());
    let organisations = rows.iter().any(|(_, _, label, _)| *label == Label::Organisation);
    let is_figure = |label: &Label| match label {
        Label::Organisation => !innermost_is_month,
        Label::Month(_) | Label::MonthOfYear(_) => innermost_is_month,
        Label::Year(_) | Label::QuarterOfYear | Label::Total => false,
    };
    let area_field = area_unit.field();
    let label_name = names[label_column].as_str();
    // One value column is the long table's area field; several (one per outcome) keep their
    // names, mapped as their sum.
    let area_names: Vec<&str> = match area_columns {
        [_] => vec![area_field],
        several => several.iter().map(|&k| names[k].as_str()).collect(),
    };
    let mut long = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    let write = |long: &mut csv::Writer<Vec<u8>>, month: &str, organisation: &str, areas: &[&str]| {
        let first = if organisations {
            vec![month, organisation]
        } else {
            vec![month]
        };
        long.write_record(first.iter().chain(areas))
    };
    write(&mut long, MONTH, label_name, &area_names).map_err(io)?;
    let mut origins = Vec::new();
    let origin = |line: u64| Origin {
        line,
        month_column: label_name.into(),
        area_column: names[area_columns[0]].clone(),
    };
    // The outermost level's labels carry their group's total beside them (Excel's subtotals at
    // the top of each group): each is checked, as a subtotal row after its group, against the
    // group's figures. Those of the levels inside are checked once the file is read.
    let level = |label: &Label| std::mem::discriminant(label);
    let outermost = rows
        .iter()
        .find(|(_, _, label, _)| *label != Label::Total)
        .map(|(_, _, label, _)| level(label));
    let mut group_total: Option<(u64, String, &[String])> = None;
    let close_group = |long: &mut csv::Writer<Vec<u8>>,
                       origins: &mut Vec<Origin>,
                       group_total: &mut Option<(u64, String, &[String])>|
     -> Result<(), HistoryError> {
        if let Some((line, label, values)) = group_total.take() {
            write(long, &format!("{label} Total"), "", &strs(values)).map_err(io)?;
            origins.push(origin(line));
        }
        Ok(())
    };
    let (mut organisation, mut year, mut month): (Option<&str>, Option<i32>, Option<String>) = (None, None, None);
    for (line, text, label, values) in &rows {
        let blank = values.iter().all(String::is_empty);
        if *label == Label::Total || Some(level(label)) == outermost {
            close_group(&mut long, &mut origins, &mut group_total)?;
        }
        match label {
            Label::Organisation => organisation = Some(text),
            Label::Month(m) => month = Some(m.to_string()),
            Label::Year(y) => year = Some(*y),
            Label::MonthOfYear(m) => {
                // A month's name with no year above it is passed on as written: the reader
                // says it is not a month.
                month = Some(year.map_or_else(|| text.clone(), |y| format!("{y}-{m:02}")));
            }
            Label::QuarterOfYear => {}
            Label::Total => {
                // A total names no month: the reader checks it against the rows above.
                write(&mut long, text, "", &strs(values)).map_err(io)?;
                origins.push(origin(*line));
            }
        }
        let is_figure = is_figure(label);
        if !is_figure && Some(level(label)) == outermost && !blank {
            group_total = Some((total_line(line), text.clone(), values));
        }
        if !is_figure || blank {
            continue;
        }
        let Some(month) = &month else {
            return Err(HistoryError::Value {
                path: name.into(),
                line: *line,
                column: label_name.into(),
                problem: format!(
                    "'{text}' has no month above it; a pivot table's rows need the month among their labels (add the month to the pivot's rows)"
                ),
            });
        };
        write(&mut long, month, organisation.unwrap_or(""), &strs(values)).map_err(io)?;
        origins.push(origin(*line));
    }
    close_group(&mut long, &mut origins, &mut group_total)?;
    let long = String::from_utf8(long.into_inner().map_err(|e| io(e.into_error().into()))?).expect("written from str");
    if origins.is_empty() {
        return Err(HistoryError::Empty { path: name.into() });
    }
    let long_map = ColumnMap {
        month: MONTH.into(),
        organisation: label_name.into(),
        area_m2: area_names.join("+"),
        organisation_required: organisations,
        area_unit,
        area_mapped: true,
        year: None,
        sum_rows: map.sum_rows,
        cumulative: map.cumulative,
    };
    let value_names: Vec<String> = area_columns.iter().map(|&k| names[k].clone()).collect();
    let check_inner =
        |numbers| check_inner_totals(&rows, is_figure, total_line, &value_names, area_unit, numbers, name);
    let mut file = parse_history_file(&long, name, &long_map).map_err(|e| {
        // A wrong figure shows first in the total of its innermost group, nearer to it than an
        // organisation's total or the grand total: that one is told, if one is wrong.
        let cells = rows
            .iter()
            .flat_map(|(_, _, _, values)| values.iter().map(String::as_str));
        match check_inner(NumberFormat::of(cells, delimiter)) {
            Err(inner) => inner,
            Ok(()) => placed_back(e, &origins, area_field, names),
        }
    })?;
    check_inner(file.reading.numbers)?;
    file.reading.row_labels_column = Some(label_name.to_string());
    Ok(file)
}
