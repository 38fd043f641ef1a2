//! Spreadsheet workbooks (Excel `.xlsx`, `.xlsm`, `.xlsb`, `.xls`; OpenDocument `.ods`) read a
//! sheet at a time as CSV text, with `calamine`, so that a table's reader (a monthly history)
//! reads a workbook as it reads the CSV saved from its sheet. Line N of the text is row N of the
//! sheet, so a problem's line is the row to look at. Dates are written `YYYY-MM-DD` (the
//! workbook's 1900 or 1904 date system applied), numbers with a decimal point and no grouping.

use calamine::{Data, Range, Reader};
use std::path::Path;

/// The file extensions read as workbooks (compared in any case).
pub const WORKBOOK_EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Whether `path` names a workbook by its extension.
///
/// ```
/// use demine_formats::workbook::is_workbook;
/// assert!(is_workbook("history.XLSX".as_ref()) && is_workbook("звіт.ods".as_ref()));
/// assert!(!is_workbook("history.csv".as_ref()));
/// ```
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WORKBOOK_EXTENSIONS.iter().any(|w| e.eq_ignore_ascii_case(w)))
}

/// One sheet of a workbook as CSV text.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetText {
    /// The sheet read.
    pub sheet: String,
    /// Its rows as comma-separated lines, line N the sheet's row N.
    pub csv: String,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
}

/// Why a workbook could not be read; each names the file and says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkbookError {
    #[error("{path}: cannot read: {message}")]
    Missing { path: String, message: String },
    #[error("{path}: cannot read the workbook: {message}; save it again from the spreadsheet, or save the sheet as CSV UTF-8")]
    Unreadable { path: String, message: String },
    #[error("{path}: no sheet '{sheet}'; the sheets are: {sheets}; name one with --sheet")]
    NoSuchSheet {
        path: String,
        sheet: String,
        sheets: String,
    },
    #[error("{path}: no sheet holds a table of two rows or more (the sheets are: {sheets}); name one with --sheet")]
    Empty { path: String, sheets: String },
}

/// The sheet `sheet` of the workbook at `path` (its name in any case), or the first that holds a
/// table (not notes or a title alone), as CSV text.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<SheetText, WorkbookError> {
    let p = path.display().to_string();
    let unreadable = |e: calamine::Error| WorkbookError::Unreadable {
        path: p.clone(),
        message: e.to_string(),
    };
    // A file that is not there is not a workbook to save again.
    std::fs::File::open(path).map_err(|e| WorkbookError::Missing {
        path: p.clone(),
        message: e.to_string(),
    })?;
    let mut workbook = calamine::open_workbook_auto(path).map_err(unreadable)?;
    let sheets = workbook.sheet_names();
    let listed = || sheets.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let candidates: Vec<String> = match sheet {
        Some(wanted) => {
            let found = sheets
                .iter()
                .find(|s| s.as_str() == wanted)
                .or_else(|| sheets.iter().find(|s| s.to_lowercase() == wanted.to_lowercase()));
            match found {
                Some(s) => vec![s.clone()],
                None => {
                    return Err(WorkbookError::NoSuchSheet {
                        path: p.clone(),
                        sheet: wanted.to_string(),
                        sheets: listed(),
                    })
                }
            }
        }
        None => sheets.clone(),
    };
    for name in candidates {
        let range = workbook.worksheet_range(&name).map_err(unreadable)?;
        if sheet.is_none() && !holds_a_table(&range) {
            continue;
        }
        return Ok(SheetText {
            csv: range_as_csv(&range),
            sheet: name,
            sheets: sheets.clone(),
        });
    }
    Err(WorkbookError::Empty {
        path: p.clone(),
        sheets: listed(),
    })
}

/// Whether a sheet holds a table: two rows at least with two cells or more (a sheet of notes,
/// a title alone or nothing at all does not).
fn holds_a_table(range: &Range<Data>) -> bool {
    range
        .rows()
        .filter(|row| row.iter().filter(|cell| !matches!(cell, Data::Empty)).count() >= 2)
        .nth(1)
        .is_some()
}

/// A sheet's used range as CSV: the rows above it as blank lines (so line N is row N), columns
/// from the first used, without the empty columns after the last cell.
fn range_as_csv(range: &Range<Data>) -> String {
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let width = range
        .rows()
        .filter_map(|row| row.iter().rposition(|cell| !matches!(cell, Data::Empty)))
        .max()
        .map_or(0, |last| last + 1);
    let mut out = "\n".repeat(first_row);
    for row in range.rows() {
        let cells: Vec<String> = row.iter().take(width).map(cell_text).collect();
        // A blank row stays a blank line, which keeps the rows below on their lines.
        if !cells.iter().all(String::is_empty) {
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            writer.write_record(&cells).expect("writes to memory");
            let line = writer.into_inner().expect("writes to memory");
            out.push_str(std::str::from_utf8(&line).expect("written from str"));
        } else {
            out.push('\n');
        }
    }
    out
}

/// A cell as a CSV saved from the sheet would hold it, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers without a trailing `.0`; Rust writes no exponent.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => match d.as_datetime().filter(|_| d.is_datetime()) {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    /// A workbook as a programme keeps its history: a first sheet of notes, a title, a blank row,
    /// then the table from row 4, dates formatted as months, an area with decimals, and a cell
    /// that holds a comma.
    fn history_workbook(path: &Path) {
        let mut book = Workbook::new();
        book.add_worksheet()
            .set_name("Notes")
            .unwrap()
            .write_string(0, 0, "SYNTHETIC")
            .unwrap();
        let sheet = book.add_worksheet().set_name("Monthly").unwrap();
        let month = Format::new().set_num_format("mmm-yy");
        sheet.write_string(0, 1, "Land released, 2024").unwrap();
        for (col, header) in ["Month", "Operator", "Area (m2)"].iter().enumerate() {
            sheet.write_string(3, col as u16 + 1, *header).unwrap();
        }
        let rows = [(1, "HALO Trust", 1500.0), (2, "FSD, Ukraine", 2250.5)];
        for (k, (m, org, area)) in rows.iter().enumerate() {
            let row = 4 + k as u32;
            let date = ExcelDateTime::from_ymd(2024, *m, 1).unwrap();
            sheet.write_datetime_with_format(row, 1, &date, &month).unwrap();
            sheet.write_string(row, 2, *org).unwrap();
            sheet.write_number(row, 3, *area).unwrap();
        }
        book.save(path).unwrap();
    }

    #[test]
    fn a_sheet_reads_as_the_csv_saved_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.xlsx");
        history_workbook(&path);
        let read = read_sheet(&path, None).unwrap();
        assert_eq!(read.sheet, "Monthly", "the sheet of notes is passed over");
        assert_eq!(read.sheets, ["Notes", "Monthly"]);
        let lines: Vec<&str> = read.csv.lines().collect();
        assert_eq!(
            lines,
            [
                "\"Land released, 2024\",,",
                "",
                "",
                "Month,Operator,Area (m2)",
                "2024-01-01,HALO Trust,1500",
                "2024-02-01,\"FSD, Ukraine\",2250.5",
            ]
        );
        // Named in any case; an unknown name lists the sheets.
        assert_eq!(read_sheet(&path, Some("monthly")).unwrap().csv, read.csv);
        let e = read_sheet(&path, Some("2023")).unwrap_err().to_string();
        assert!(
            e.ends_with("history.xlsx: no sheet '2023'; the sheets are: 'Notes', 'Monthly'; name one with --sheet"),
            "{e}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.xlsx");
        std::fs::write(&path, "month,organisation,area_m2\n").unwrap();
        let e = read_sheet(&path, None).unwrap_err().to_string();
        assert!(
            e.contains("history.xlsx: cannot read the workbook") && e.contains("save the sheet as CSV UTF-8"),
            "{e}"
        );
    }
}
