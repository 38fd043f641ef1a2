//! A pivot table with its months across the columns, as Excel copies or saves it: a caption line
//! above the header names what is summed and says `Column Labels` (`Sum of area_m2 | Column
//! Labels`, in Ukrainian `Сума з Площа, м² | Назви стовпців`), and when dates were grouped the
//! years are on a line of their own above the months of the year (`2024 | | 2024 Total | 2025`
//! over `Row Labels | Jan | Feb | | Jan`).
//!
//! Both are written into the one header the reader of months across the header knows
//! ([`super::wide`]): the caption line left blank, the years' line left blank and the months
//! under it named with their year (`2024-01`, `2024 Total`). Lines keep their numbers, so a
//! problem is placed where it is in the file. The caption's unit (`Sum of area_ha`) is the
//! areas' unit unless `--columns` maps one. The reader checks the total columns.

use super::*;

/// The header Excel gives the field across the columns, in English, Ukrainian and Russian.
const COLUMN_LABELS_HEADERS: [&str; 3] = ["column labels", "назви стовпців", "названия столбцов"];

/// The table rewritten with one header, the map with the unit its caption names, and what the
/// caption says is summed; `None` when the file does not begin with a pivot's caption line.
pub(super) fn one_header(text: &str, map: &ColumnMap) -> Option<(String, ColumnMap, String)> {
    let delimiter = sniff_delimiter(text.as_bytes());
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let cells = |line: &str| line_cells(line, delimiter).unwrap_or_default();
    let caption_at = lines
        .iter()
        .position(|line| !line.trim().trim_start_matches('\u{feff}').is_empty())?;
    let caption = cells(lines[caption_at]);
    let filled: Vec<&String> = caption.iter().filter(|c| !c.is_empty()).collect();
    let [summed, labels] = filled.as_slice() else {
        return None;
    };
    if !COLUMN_LABELS_HEADERS.contains(&labels.to_lowercase().as_str()) {
        return None;
    }
    let mut map = map.clone();
    if !map.area_mapped {
        if let Some(unit) = caption_unit(summed) {
            map.area_unit = unit;
        }
    }
    let blank = |line: &str| if line.ends_with("\r\n") { "\r\n" } else { "\n" }.to_string();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[caption_at] = blank(lines[caption_at]);
    // Years on a line of their own: its first cell blank, and the line under it the header.
    let header_at = caption_at + 1;
    if let (Some(years_line), Some(months_line)) = (lines.get(header_at), lines.get(header_at + 1)) {
        let (years, months) = (cells(years_line), cells(months_line));
        // Excel names the months of the year (`Jan`, `січ`): a line of numbers is figures.
        let month_named = |c: &String| c.parse::<u32>().is_err() && YearMonth::month_of_year(c).is_some();
        let years_over_months = years.first().is_some_and(String::is_empty)
            && years.iter().any(|c| year_of(c).is_some())
            && months.iter().skip(1).any(month_named)
            && months.iter().skip(1).all(|c| c.is_empty() || month_named(c));
        if years_over_months {
            let mut merged = Vec::with_capacity(months.len().max(years.len()));
            let mut year = None;
            for k in 0..months.len().max(years.len()) {
                let (above, cell) = (
                    years.get(k).map_or("", String::as_str),
                    months.get(k).map_or("", String::as_str),
                );
                if let Some(y) = year_of(above) {
                    year = Some(y);
                }
                // A year's total or the grand total keeps its label from the line above; a month
                // of the year is named with the year above it.
                merged.push(match (year, YearMonth::month_of_year(cell)) {
                    _ if !above.is_empty() && year_of(above).is_none() => above.to_string(),
                    (Some(y), Some(m)) => format!("{y}-{m:02}"),
                    _ if cell.is_empty() => above.to_string(),
                    _ => cell.to_string(),
                });
            }
            let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
            writer.write_record(&merged).ok()?;
            let written = String::from_utf8(writer.into_inner().ok()?).ok()?;
            out[header_at] = blank(years_line);
            out[header_at + 1] = written.trim_end().to_string() + &blank(months_line);
        }
    }
    Some((out.concat(), map, summed.to_string()))
}

/// A year label of a grouped date (`2024`).
fn year_of(cell: &str) -> Option<i32> {
    (cell.len() == 4)
        .then(|| cell.parse::<i32>().ok())
        .flatten()
        .filter(|y| HISTORY_YEARS.contains(y))
}

/// The unit a caption's summed field names: `Sum of area_ha`, `Сума з Площа, км²`.
fn caption_unit(summed: &str) -> Option<AreaUnit> {
    let field = row_labels::without_value_prefix(summed);
    [AreaUnit::SquareMetres, AreaUnit::Hectares, AreaUnit::SquareKilometres]
        .into_iter()
        .find(|unit| names_of(unit.field()).any(|n| n.to_lowercase() == field.to_lowercase()))
        .or_else(|| header_area_unit(&field))
}
