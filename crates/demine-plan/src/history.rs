//! Forecasts learned from a programme's history: monthly released area (by organisation) → when
//! the remaining area will be released, P10/P50/P90, and a hindcast that fits on the months up to
//! a date and scores the months after.
//!
//! **Model.** The programme's monthly total R_t is a level L_t times a calendar-month factor S_m
//! (winter slow-downs, summer heat; estimated when there are two years of history, from the
//! years the programme released in about as many months as in its last 12, not from a start-up
//! that reported now and then) times noise.
//! A calendar month the programme stops in year after year (under [`CLOSED_MONTH_RATIO`] of the
//! months around it: winter) keeps its own factor and is left out of everything else: a stop
//! deseasonalised is still 0 and read as the level collapsing each year, which made the drift 3×
//! as large and the P90 years late. A
//! month over [`EXCEPTIONAL_MONTH`] times the median of the 12 around it (survey cancelling a
//! large area at once) is exceptional: the seasons (a median by calendar month), the level and
//! its σs are learned from the typical months, capped there, and exceptional months come back
//! only as rare large draws of the noise. The
//! level is an exponentially weighted mean of the deseasonalised months (half-life
//! [`LEVEL_HALF_LIFE_MONTHS`]), with, when it forecasts better, a damped trend: the slope of the
//! log months over the last two years, after the programme's start-up (from the month its
//! trailing 6-month level first reaches half its last year's median; at least the last 12
//! months), each month ahead keeping a share (the damping) of the previous month's growth. Programmes grow while teams are added and shrink as land or funding
//! runs out; a level alone lags both. A history too young for its own hindcasts to learn seasons
//! (under 36 months) that they gave no trend takes one from its year-over-year growth, when that
//! is clear of its noise (`year_over_year_growth`): a slope through a winter or two is not. The level then wanders as a random walk on the log scale
//! with the σ the history shows (the spread of 6-month log changes of its own rolling level).
//!
//! **The history checks itself.** From each of its last 24 months (with 12 before it) the model
//! is fitted again and forecasts up to 12 months it already knows. Those internal hindcasts
//! choose the damping (no trend, 0.85, 0.95: a trend must beat the level alone by 3 %; recent
//! origins weigh more, half-life 12 months), and widen the σs until the P10–P90 band holds 90 %
//! of their errors (in-sample errors understate the future's). Each Monte Carlo run draws the
//! starting level's error, the walk, and each month's noise from the history's own
//! deseasonalised ratios (a bootstrap), so the band widens with the horizon as real programmes
//! drift (funding, teams, access). Each month of a run is then moved towards the straight line
//! through the last 12 months of the cumulative release: its typical value is [`LINE_WEIGHT`] of
//! the line's monthly rate times the month's season and the rest the model's (a forecast
//! combination; the internal hindcasts score that combination). The runs give the P10 and P90;
//! the P50 is the typical path, the same combination with each month at the typical months'
//! pace (`RateModel::typical_cumulative`: iid draws of a lumpy programme's months sum below the
//! pace its months, reported early or late, really add up to). Runs take ChaCha8 streams of the
//! seed.
//! A forecast counts release from its start (today for the CLI): a history that ends months
//! before is carried on through them, and land not released within [`MAX_MONTHS_AHEAD`] months
//! has no date.
//! `examples/hindcast_regimes.rs` measures coverage and error against a straight line on
//! SYNTHETIC programmes that drift, grow, level off, shrink and lose funding.
//!
//! ```
//! use demine_plan::history::*;
//! let h: Vec<MonthlyRelease> = (0..36)
//!     .map(|i| MonthlyRelease { month: YearMonth::new(2020 + i / 12, (i % 12 + 1) as u32).unwrap(),
//!          organisation: "A".into(), area_m2: 100_000.0 })
//!     .collect();
//! let f = forecast_history(&h, 1_200_000.0, None, &HistoryOptions::default()).unwrap();
//! // 100,000 m² a month: the 1.2 km² left take about a year.
//! let p50 = f.p50_month.unwrap();
//! assert!(p50 >= YearMonth::new(2023, 11).unwrap() && p50 <= YearMonth::new(2024, 2).unwrap());
//! ```

use demine_core::spreadsheet::{
    commas_are_decimal, dots_group_thousands, group_thousands, parse_number, sniff_delimiter, LineIndex,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod column_labels;
mod quarter;
mod row_labels;
mod wide;

pub use quarter::{quarter_of_year, Quarter};

/// Half-life of the level's exponential weights, months.
pub const LEVEL_HALF_LIFE_MONTHS: f64 = 6.0;
/// Forecasts stop this many months ahead (50 years).
pub const MAX_MONTHS_AHEAD: usize = 600;

/// Names of the months, January first: English, Ukrainian (with the three letters Ukrainian
/// Excel groups dates by: `кві`, `жов`), and the Russian that old records use.
const MONTH_NAMES: [&[&str]; 12] = [
    &["jan", "january", "січ", "січень", "янв", "январь"],
    &["feb", "february", "лют", "лютий", "фев", "февраль"],
    &["mar", "march", "бер", "березень", "мар", "март"],
    &["apr", "april", "кві", "квіт", "квітень", "апр", "апрель"],
    &["may", "тра", "трав", "травень", "май"],
    &["jun", "june", "чер", "черв", "червень", "июн", "июнь"],
    &["jul", "july", "лип", "липень", "июл", "июль"],
    &["aug", "august", "сер", "серп", "серпень", "авг", "август"],
    &["sep", "sept", "september", "вер", "вересень", "сен", "сентябрь"],
    &["oct", "october", "жов", "жовт", "жовтень", "окт", "октябрь"],
    &["nov", "november", "лис", "лист", "листопад", "ноя", "ноябрь"],
    &["dec", "december", "гру", "груд", "грудень", "дек", "декабрь"],
];

/// A field's own name, then the other names its column goes by ([`DEFAULT_COLUMN_NAMES`]).
fn names_of(field: &'static str) -> impl Iterator<Item = &'static str> {
    let usual = DEFAULT_COLUMN_NAMES.iter().find(|(f, _)| *f == field);
    std::iter::once(field).chain(usual.into_iter().flat_map(|(_, names)| names.iter().copied()))
}

/// Other names a field's column goes by when `--columns` does not map it, matched in any case:
/// the English spelling, and Ukrainian and Russian spreadsheets' headers.
pub const DEFAULT_COLUMN_NAMES: [(&str, &[&str]); 6] = [
    ("month", &["місяць", "месяц", "period", "період", "date", "дата"]),
    ("year", &["рік", "год"]),
    (
        "organisation",
        &[
            "organization",
            "організація",
            "организация",
            "operator",
            "оператор",
            "org",
            "agency",
        ],
    ),
    (
        "area_m2",
        &[
            "площа, м²",
            "площа, м2",
            "площа (м²)",
            "площа (м2)",
            "площа_м2",
            "площадь, м²",
            "площадь, м2",
            "released_m2",
            "area (m2)",
            "area (m²)",
            "area, m2",
            "area, m²",
            "area_sqm",
        ],
    ),
    (
        "area_ha",
        &[
            "площа, га",
            "площа (га)",
            "площа_га",
            "площадь, га",
            "released_ha",
            "area (ha)",
            "area, ha",
            "hectares",
        ],
    ),
    (
        "area_km2",
        &[
            "площа, км²",
            "площа, км2",
            "площа (км²)",
            "площа_км2",
            "площадь, км²",
            "released_km2",
            "area (km2)",
            "area (km²)",
            "area, km2",
            "area, km²",
        ],
    ),
];

/// A month's release above this (1,000,000 km², more than any contaminated country) is a
/// typing or unit error.
pub const MAX_MONTH_AREA_M2: f64 = 1e12;

/// Years a month written without separators (`202403`) or beside a year column may have: six
/// digits or a number in a year column are read as a month only when the year is one of these.
pub const HISTORY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    /// `None` unless 1 ≤ month ≤ 12.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        (1..=12).contains(&month).then_some(YearMonth { year, month })
    }

    /// Parses `YYYY-MM` (also `YYYY/MM`, `MM.YYYY`, `MM/YYYY`, and a day's date `YYYY-MM-DD`,
    /// `YYYY/MM/DD` or `DD.MM.YYYY`, taking its month; a time after the date, as spreadsheets
    /// export it, is ignored; `YYYYMM` as databases key months, `YYYYMmm` as statistics offices
    /// do), and a month's name in English
    /// or Ukrainian with the year (`Mar 2024`, `March 2024`, `Mar-24` as spreadsheets format
    /// months, `2024 Mar`, `березень 2024`). Day-first dates with slashes are refused:
    /// `03/04/2024` is March or April depending on who wrote it.
    ///
    /// ```
    /// use demine_plan::history::YearMonth;
    /// let march = YearMonth::new(2024, 3);
    /// for s in ["2024-03", "202403", "2024M03", "2024M3", "2024/03", "2024.03", "03.2024", "3/2024", "03-2024", "2024-03-31", "31.03.2024", "2024-03-01 00:00:00", "2024-03-01T00:00",
    ///           "Mar 2024", "March 2024", "Mar-24", "2024 Mar", "МАРТ 2024", "березень 2024", "бер. 2024"] {
    ///     assert_eq!(YearMonth::parse(s), march, "{s}");
    /// }
    /// assert_eq!(YearMonth::parse("Mars 2024"), None);
    /// assert_eq!(YearMonth::parse("24-Mar"), None);
    /// assert_eq!(YearMonth::parse("03/04/2024"), None);
    /// assert_eq!(YearMonth::parse("31.02.2024"), None);
    /// assert_eq!(YearMonth::parse("2024-13"), None);
    /// assert_eq!(YearMonth::parse("2024M13"), None);
    /// ```
    pub fn parse(s: &str) -> Option<YearMonth> {
        let s = s.trim();
        if let Some(named) = Self::parse_named(s) {
            return Some(named);
        }
        let s = s.split(['T', ' ']).next().unwrap_or(s);
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Self::in_history(s[..4].parse().ok()?, s[4..].parse().ok()?);
        }
        // `2024M03`, as statistics offices (SDMX, Eurostat) key months.
        if let Some((year, month)) = s.split_once(['M', 'm']) {
            let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
                n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
            };
            if digits(year, 4..=4) && digits(month, 1..=2) {
                return Self::in_history(year.parse().ok()?, month.parse().ok()?);
            }
            return None;
        }
        let sep = ['-', '/', '.'].into_iter().find(|&c| s.contains(c))?;
        let parts: Vec<&str> = s.split(sep).collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let (year, month, day) = match (sep, parts.as_slice()) {
            ('-' | '/', [y, m]) if y.len() == 4 && m.len() <= 2 => (*y, *m, None),
            ('-' | '/', [y, m, d]) if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (*y, *m, Some(*d)),
            ('.', [y, m]) if y.len() == 4 && m.len() <= 2 => (*y, *m, None),
            ('.' | '/' | '-', [m, y]) if y.len() == 4 && m.len() <= 2 => (*y, *m, None),
            ('.', [d, m, y]) if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => (*y, *m, Some(*d)),
            _ => return None,
        };
        let ym = YearMonth::new(year.parse().ok()?, month.parse().ok()?)?;
        match day.map(str::parse::<u32>) {
            None => Some(ym),
            // A day the month does not have (31.02.2024) is a typing error, not that month.
            Some(Ok(d)) => chrono::NaiveDate::from_ymd_opt(ym.year, ym.month, d).map(|_| ym),
            Some(Err(_)) => None,
        }
    }

    /// The month of a spreadsheet's date serial (days since 1899-12-30, as Excel and LibreOffice
    /// count them), which a CSV holds when the column lost its date format: five digits, with a
    /// time of day as a fraction, for a date in [`HISTORY_YEARS`].
    ///
    /// ```
    /// use demine_plan::history::YearMonth;
    /// assert_eq!(YearMonth::from_spreadsheet_serial("45352"), YearMonth::new(2024, 3));
    /// assert_eq!(YearMonth::from_spreadsheet_serial("45382.5"), YearMonth::new(2024, 3));
    /// assert_eq!(YearMonth::from_spreadsheet_serial("45383"), YearMonth::new(2024, 4));
    /// assert_eq!(YearMonth::from_spreadsheet_serial("2024"), None);
    /// assert_eq!(YearMonth::from_spreadsheet_serial("202403"), None);
    /// assert_eq!(YearMonth::from_spreadsheet_serial("-4535"), None);
    /// ```
    pub fn from_spreadsheet_serial(s: &str) -> Option<YearMonth> {
        use chrono::Datelike;
        let s = s.trim();
        let (days, fraction) = s.split_once('.').unwrap_or((s, "0"));
        if days.len() != 5 || !days.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let date =
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days.parse().ok()?))?;
        Self::in_history(date.year(), date.month())
    }

    /// A month of the year without its year, for a file with a year column of its own: `3`,
    /// `03`, `Mar`, `March`, `березень`.
    ///
    /// ```
    /// use demine_plan::history::YearMonth;
    /// for s in ["3", "03", "Mar", "march", "березень"] {
    ///     assert_eq!(YearMonth::month_of_year(s), Some(3), "{s}");
    /// }
    /// assert_eq!(YearMonth::month_of_year("13"), None);
    /// ```
    pub fn month_of_year(s: &str) -> Option<u32> {
        let s = s.trim();
        match s.parse::<u32>() {
            Ok(n) => (1..=12).contains(&n).then_some(n),
            Err(_) => Self::month_named(s),
        }
    }

    /// The month a name gives (`Mar`, `March`, `бер.`, `березень`), January 1.
    fn month_named(name: &str) -> Option<u32> {
        let name = name.trim_end_matches('.').to_lowercase();
        MONTH_NAMES
            .iter()
            .position(|names| names.contains(&name.as_str()))
            .map(|k| k as u32 + 1)
    }

    /// `year` and `month` when the year is one a release history can hold ([`HISTORY_YEARS`]).
    fn in_history(year: i32, month: u32) -> Option<YearMonth> {
        YearMonth::new(year, month).filter(|_| HISTORY_YEARS.contains(&year))
    }

    /// `Mar 2024`, `March 2024`, `Mar-24`, `2024 Mar`, `березень 2024` (see [`Self::parse`]).
    fn parse_named(s: &str) -> Option<YearMonth> {
        let parts: Vec<&str> = s.split([' ', '-', '/']).filter(|p| !p.is_empty()).collect();
        let (name, year) = match parts.as_slice() {
            // A year first has four digits: `24-Mar` is a day in March.
            [a, b] if a.bytes().all(|c| c.is_ascii_digit()) && a.len() == 4 => (*b, *a),
            [a, _] if a.bytes().all(|c| c.is_ascii_digit()) => return None,
            [a, b] => (*a, *b),
            _ => return None,
        };
        let month = Self::month_named(name)?;
        let year: i32 = match year.len() {
            4 => year.parse().ok()?,
            // Spreadsheets format months as `Mar-24`.
            2 => 2000 + year.parse::<i32>().ok()?,
            _ => return None,
        };
        YearMonth::new(year, month)
    }

    /// Months since year 0.
    pub fn index(self) -> i64 {
        self.year as i64 * 12 + self.month as i64 - 1
    }

    pub fn from_index(i: i64) -> YearMonth {
        YearMonth {
            year: i.div_euclid(12) as i32,
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    pub fn plus(self, months: i64) -> YearMonth {
        YearMonth::from_index(self.index() + months)
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Land released by one organisation in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyRelease {
    pub month: YearMonth,
    pub organisation: String,
    pub area_m2: f64,
}

/// Which CSV columns hold the month, the organisation and the area.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap {
    pub month: String,
    pub organisation: String,
    /// The area column; its unit is [`ColumnMap::area_unit`].
    pub area_m2: String,
    /// Whether the organisation column must be there (it was mapped). Unmapped and absent, the
    /// file is one programme's totals, one row a month.
    pub organisation_required: bool,
    /// The unit of the area column: m² by default, ha or km² when mapped as `area_ha` or
    /// `area_km2`, or when the file has no `area_m2` column but one of those.
    pub area_unit: AreaUnit,
    /// Whether the area column was mapped (else an `area_ha` or `area_km2` column may serve).
    pub area_mapped: bool,
    /// A column holding the year, when the month column holds only the month of the year (`3`,
    /// `Mar`); unmapped, a column named `year` serves.
    pub year: Option<String>,
    /// Rows of one organisation and month are added up (an export with a row per activity or
    /// per site) instead of refused as a month given twice.
    pub sum_rows: bool,
    /// The areas are cumulative (released to date): each organisation's month is read as the
    /// difference from its month before, and its first month is the baseline.
    pub cumulative: bool,
}

/// The unit a history's area column is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaUnit {
    SquareMetres,
    Hectares,
    SquareKilometres,
}

impl AreaUnit {
    /// The field name that maps a column in this unit.
    pub fn field(self) -> &'static str {
        match self {
            AreaUnit::SquareMetres => "area_m2",
            AreaUnit::Hectares => "area_ha",
            AreaUnit::SquareKilometres => "area_km2",
        }
    }

    /// The unit's symbol, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            AreaUnit::SquareMetres => "m²",
            AreaUnit::Hectares => "ha",
            AreaUnit::SquareKilometres => "km²",
        }
    }

    /// Square metres in one unit.
    pub fn m2(self) -> f64 {
        match self {
            AreaUnit::SquareMetres => 1.0,
            AreaUnit::Hectares => 1e4,
            AreaUnit::SquareKilometres => 1e6,
        }
    }
}

impl Default for ColumnMap {
    fn default() -> Self {
        ColumnMap {
            month: "month".into(),
            organisation: "organisation".into(),
            area_m2: "area_m2".into(),
            organisation_required: false,
            area_unit: AreaUnit::SquareMetres,
            area_mapped: false,
            year: None,
            sum_rows: false,
            cumulative: false,
        }
    }
}

impl ColumnMap {
    /// Parses `month=COL,organisation=COL,area_m2=COL` (any subset; the rest keep their names);
    /// `area_ha=COL` or `area_km2=COL` instead of `area_m2` for a column in hectares or km²;
    /// `year=COL` when the month column holds the month of the year alone.
    pub fn parse(spec: &str) -> Result<ColumnMap, HistoryError> {
        let mut m = ColumnMap::default();
        // A column name may hold a comma ("Площа, га"): a piece without `=` continues the one
        // before it.
        let mut parts: Vec<String> = Vec::new();
        for piece in spec.split(',') {
            match parts.last_mut() {
                Some(last) if !piece.contains('=') => {
                    last.push(',');
                    last.push_str(piece);
                }
                _ => parts.push(piece.to_string()),
            }
        }
        for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| HistoryError::Mapping(format!("'{part}': write FIELD=COLUMN, e.g. month=Month")))?;
            let v = v.trim().to_string();
            match k.trim() {
                "month" => m.month = v,
                "year" => m.year = Some(v),
                "organisation" => {
                    m.organisation = v;
                    m.organisation_required = true;
                }
                field @ ("area_m2" | "area_ha" | "area_km2") => {
                    if m.area_mapped {
                        return Err(HistoryError::Mapping(format!(
                            "'{part}': the area is mapped twice; map one of area_m2, area_ha and area_km2"
                        )));
                    }
                    m.area_unit = match field {
                        "area_ha" => AreaUnit::Hectares,
                        "area_km2" => AreaUnit::SquareKilometres,
                        _ => AreaUnit::SquareMetres,
                    };
                    m.area_m2 = v;
                    m.area_mapped = true;
                }
                other => {
                    return Err(HistoryError::Mapping(format!(
                        "unknown field '{other}'; map month, organisation and area_m2 (or area_ha, area_km2), and year when the months are 1–12"
                    )))
                }
            }
        }
        Ok(m)
    }
}

/// What is wrong with a history, located.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    #[error("--columns: {0}")]
    Mapping(String),
    #[error("{path}: cannot read: {message}")]
    Io { path: String, message: String },
    #[error("{path}: the file is empty; give a header row (month, organisation, area_m2) and a row per month and organisation")]
    Empty { path: String },
    #[error("{path}: no column '{column}' (for {field}); the columns are: {available}; map it with --columns {field}=COLUMN")]
    UnknownColumn {
        path: String,
        field: &'static str,
        column: String,
        available: String,
    },
    #[error("{path}: no column 'area_m2', and {count} columns name an area unit: {candidates}; {advice}")]
    SeveralAreaColumns {
        path: String,
        count: usize,
        candidates: String,
        advice: String,
    },
    #[error("{path}: line {line}, column '{column}': {problem}")]
    Value {
        path: String,
        line: u64,
        column: String,
        problem: String,
    },
    #[error("{path}: line {line}: month {month} of organisation '{organisation}' is already given on line {first}; give one total per organisation and month, or add up rows that are activities or sites with --sum-rows")]
    Duplicate {
        path: String,
        line: u64,
        first: u64,
        month: String,
        organisation: String,
    },
    #[error("{path}: line {line}: month {month} is already given on line {first}, and no column says whose month each row is (the columns are: {available}); map the organisation's column with --columns organisation=COLUMN, give one total per month, or add up rows that are activities or sites with --sum-rows")]
    DuplicateProgrammeMonth {
        path: String,
        line: u64,
        first: u64,
        month: String,
        available: String,
    },
    #[error("the history has {0} month(s) with released land; a forecast needs at least 6")]
    TooShort(usize),
    #[error("the history releases nothing over its last 12 months: no rate to forecast from")]
    NoRecentRelease,
    #[error("the remaining area must be a number of m² ≥ 0; got {0}")]
    Remaining(f64),
    #[error("--fit-until {fit_until}: the history must have at least 6 months up to it and 1 after it (it runs {first} to {last})")]
    FitUntil {
        fit_until: String,
        first: String,
        last: String,
    },
}

/// Where `column` is among a header's `names`: the name as written, else the one name that
/// differs from it only in case (spreadsheets write `Month`, `MONTH`).
fn column_position(names: &[String], column: &str) -> Option<usize> {
    names.iter().position(|n| n == column).or_else(|| {
        let column = column.to_lowercase();
        let mut same = names.iter().enumerate().filter(|(_, n)| n.to_lowercase() == column);
        match (same.next(), same.next()) {
            (Some((k, _)), None) => Some(k),
            _ => None,
        }
    })
}

/// The organisation of a history's rows when the file has no organisation column.
pub const WHOLE_PROGRAMME: &str = "(whole programme)";

/// Reads a monthly history CSV with a column mapping. Every problem names the file, the line and
/// the column; duplicate months of one organisation and negative areas are refused.
pub fn read_history(path: &Path, map: &ColumnMap) -> Result<HistoryFile, HistoryError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| HistoryError::Io {
        path: p.clone(),
        message: e.to_string(),
    })?;
    parse_history_file(&text, &p, map)
}

/// A history as read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryFile {
    /// One figure per organisation and month.
    pub rows: Vec<MonthlyRelease>,
    /// How the file's layout was read, for the notes that say so.
    pub reading: HistoryReading,
}

/// How a history's layout was read beyond one row per organisation and month, each told to the
/// user as a note. All zero (`Default`) for a file read as written, and for the registry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryReading {
    /// Rows added to one already read for their organisation and month
    /// ([`ColumnMap::sum_rows`]).
    pub rows_added_up: usize,
    /// Rows with a blank organisation read as the organisation named above them: a pivot
    /// table names each organisation on its first row only.
    pub rows_labelled_from_above: usize,
    /// Columns of the header read as months, each row an organisation's or a year's, when the
    /// months are across the header (0 when a row is a month).
    pub month_columns: usize,
    /// The area's columns when they were found by the unit their headers name ("Area cleared
    /// (m2)"), not by their names or a mapping, with that unit: one column, or the columns of
    /// each outcome (cancelled, reduced, cleared) added up.
    pub area_columns_by_unit: Option<(Vec<String>, AreaUnit)>,
    /// Lines of a title (or blank) above the header, left aside.
    pub lines_above_header: usize,
    /// The column of a pivot table's row labels, when the table is in Excel's compact form:
    /// organisations and their months (or months and their organisations) in one column.
    pub row_labels_column: Option<String>,
    /// A pivot table's caption above its header (`Sum of area_m2 | Column Labels`: what it sums),
    /// with the unit the areas were read in; the caption, and the years' line of grouped dates
    /// when there was one, were left aside.
    pub column_labels_caption: Option<(String, AreaUnit)>,
    /// How the area cells write their numbers, for a layout's reader that reads cells the long
    /// table left out (a compact pivot's inner totals) as the file's others were read.
    pub(crate) numbers: NumberFormat,
}

/// How a file's area cells write their numbers, told by the area columns as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct NumberFormat {
    /// Commas are decimal (`12,5`): a semicolon file, or a comma file whose quoted cells say so.
    decimal_comma: bool,
    /// Dots group thousands (`12.500`), in a decimal-comma file whose every area has them so.
    strip_dots: bool,
}

impl NumberFormat {
    /// The format of the area `cells` (a unit after a number allowed) of a file whose delimiter
    /// is `delimiter`.
    fn of<'a>(cells: impl Iterator<Item = &'a str> + Clone, delimiter: u8) -> NumberFormat {
        let numbers = cells.map(|c| split_cell_unit(c).0);
        // A comma file's quoted numbers may have decimal commas too (`"12,5"`, LibreOffice set
        // to Ukrainian), told by the area column as a whole.
        let decimal_comma = delimiter != b',' || commas_are_decimal(numbers.clone());
        NumberFormat {
            decimal_comma,
            // In a decimal-comma file, dots group thousands when every area's dots do (12.500 m²).
            strip_dots: decimal_comma && dots_group_thousands(numbers),
        }
    }
}

/// The rows of [`parse_history_file`].
pub fn parse_history(text: &str, name: &str, map: &ColumnMap) -> Result<Vec<MonthlyRelease>, HistoryError> {
    parse_history_file(text, name, map).map(|file| file.rows)
}

/// [`read_history`] on text already read; `name` is used in messages.
///
/// A report's title and the blank lines under it, above the header, are left aside (each a line
/// of one cell at most, [`MAX_TITLE_LINES`] at most); lines are still counted from the top of
/// the file.
pub fn parse_history_file(text: &str, name: &str, map: &ColumnMap) -> Result<HistoryFile, HistoryError> {
    if let Some((text, map, caption)) = column_labels::one_header(text, map) {
        let mut file = parse_table_under_title(&text, name, &map)?;
        file.reading.column_labels_caption = Some((caption, map.area_unit));
        // The lines above the header were the caption's, not a title.
        file.reading.lines_above_header = 0;
        return Ok(file);
    }
    parse_table_under_title(text, name, map)
}

/// [`parse_history_table`] under any title lines.
fn parse_table_under_title(text: &str, name: &str, map: &ColumnMap) -> Result<HistoryFile, HistoryError> {
    let (title_lines, header_at) = title_above_header(text);
    if title_lines == 0 {
        return parse_history_table(text, name, map);
    }
    let mut file =
        parse_history_table(&text[header_at..], name, map).map_err(|e| lines_moved_down(e, title_lines as u64))?;
    file.reading.lines_above_header = title_lines;
    Ok(file)
}

/// The cells of one line under `delimiter`, trimmed (of a byte-order mark too); none for a blank
/// line, `None` when the line is not well-formed CSV.
fn line_cells(line: &str, delimiter: u8) -> Option<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match rdr.read_record(&mut record) {
        Ok(true) => Some(
            record
                .iter()
                .map(|cell| {
                    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                        .to_string()
                })
                .collect(),
        ),
        Ok(false) => Some(Vec::new()),
        Err(_) => None,
    }
}

/// Lines of a title (and blank lines) above a history's header that are left aside, at most.
pub const MAX_TITLE_LINES: usize = 10;

/// How many lines above the header are a title or blank (one cell at most, under the delimiter
/// of the lines below them), and where the header begins; (0, 0) when the first line has cells.
fn title_above_header(text: &str) -> (usize, usize) {
    let one_cell_at_most = |line: &str, delimiter: u8| {
        line_cells(line, delimiter).is_some_and(|cells| cells.iter().filter(|cell| !cell.is_empty()).count() <= 1)
    };
    let mut at = 0;
    for (k, line) in text.split_inclusive('\n').enumerate() {
        // The lines below, from the first that is not blank, tell the delimiter.
        let below = text[at + line.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if k == MAX_TITLE_LINES || below.is_empty() || !one_cell_at_most(line, sniff_delimiter(below.as_bytes())) {
            return if k == MAX_TITLE_LINES || below.is_empty() {
                (0, 0)
            } else {
                (k, at)
            };
        }
        at += line.len();
    }
    (0, 0)
}

/// A history error found in the text under a title, placed at its line in the whole file.
fn lines_moved_down(e: HistoryError, by: u64) -> HistoryError {
    e.with_lines(|line| line + by)
}

impl HistoryError {
    /// The error with its lines (the line and the first line of a duplicate) moved by `line_of`:
    /// a problem found in a table derived from the file, placed back in the file.
    fn with_lines(self, line_of: impl Fn(u64) -> u64) -> HistoryError {
        match self {
            HistoryError::Value {
                path,
                line,
                column,
                problem,
            } => HistoryError::Value {
                path,
                line: line_of(line),
                column,
                problem,
            },
            HistoryError::Duplicate {
                path,
                line,
                first,
                month,
                organisation,
            } => HistoryError::Duplicate {
                path,
                line: line_of(line),
                first: line_of(first),
                month,
                organisation,
            },
            HistoryError::DuplicateProgrammeMonth {
                path,
                line,
                first,
                month,
                available,
            } => HistoryError::DuplicateProgrammeMonth {
                path,
                line: line_of(line),
                first: line_of(first),
                month,
                available,
            },
            other => other,
        }
    }
}

/// [`parse_history_file`] on a text whose first line is the header.
fn parse_history_table(text: &str, name: &str, map: &ColumnMap) -> Result<HistoryFile, HistoryError> {
    // Spreadsheets in much of Europe (Ukraine's among them) save semicolon files with decimal
    // commas.
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(HistoryError::Empty { path: name.into() });
    }
    let delimiter = sniff_delimiter(text.as_bytes());
    let lines = LineIndex::new(text.as_bytes());
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| HistoryError::Io {
            path: name.into(),
            message: e.to_string(),
        })?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let position = |column: &str| column_position(&names, column);
    let find = |field: &'static str, column: &str| -> Result<usize, HistoryError> {
        position(column).ok_or_else(|| HistoryError::UnknownColumn {
            path: name.into(),
            field,
            column: column.into(),
            available: names.join(", "),
        })
    };
    // Unmapped, a field's column may go by another of its usual names (Ukrainian exports).
    let alias = |field: &str| -> Option<usize> {
        DEFAULT_COLUMN_NAMES
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, names)| names.iter().find_map(|n| position(n)))
    };
    let year_column = || match &map.year {
        Some(column) => Some(find("year", column)).transpose(),
        None => Ok(position("year").or_else(|| alias("year"))),
    };
    // Without an organisation column (and none mapped) the rows are the whole programme's.
    let unmapped_organisation = || (!map.organisation_required).then(|| alias("organisation")).flatten();
    let organisation_column = || match position(&map.organisation).or_else(unmapped_organisation) {
        Some(k) => Ok(Some(k)),
        None if !map.organisation_required => Ok(None),
        None => find("organisation", &map.organisation).map(Some),
    };
    let unmapped_month = || {
        (map.month == ColumnMap::default().month)
            .then(|| alias("month"))
            .flatten()
    };
    let mi = match position(&map.month).or_else(unmapped_month) {
        Some(k) => k,
        // No month column: the months may be across the header.
        None => {
            let (oi, yi) = (organisation_column()?, year_column()?);
            let rows = Records {
                reader: &mut rdr,
                lines: &lines,
            };
            if let Some(file) = wide::read_months_across(rows, name, map, &names, oi, yi, delimiter) {
                return file;
            }
            let rows = Records {
                reader: &mut rdr,
                lines: &lines,
            };
            match row_labels::read_row_labels(rows, name, map, &names, delimiter) {
                Some(file) => return file,
                None => find("month", &map.month)?,
            }
        }
    };
    let month_column = names[mi].clone();
    let yi = year_column()?;
    let oi = organisation_column()?;
    // Mapped as `A+B+C`, the area is the sum of several columns (cancelled, reduced, cleared),
    // unless a column has that very name. Unmapped, a file without `area_m2` may give the area
    // in hectares or km² by its column name, or name its columns its own way with the unit
    // beside each.
    let mut area_columns_by_unit = None;
    let (area_columns, area_unit): (Vec<usize>, AreaUnit) = match position(&map.area_m2) {
        None if map.area_mapped && map.area_m2.contains('+') => (
            map.area_m2
                .split('+')
                .map(|part| find(map.area_unit.field(), part.trim()))
                .collect::<Result<_, _>>()?,
            map.area_unit,
        ),
        Some(k) => (vec![k], map.area_unit),
        None if !map.area_mapped => match [AreaUnit::SquareMetres, AreaUnit::Hectares, AreaUnit::SquareKilometres]
            .into_iter()
            .find_map(|u| position(u.field()).or_else(|| alias(u.field())).map(|k| (vec![k], u)))
        {
            Some(found) => found,
            None => match area_columns_by_header_unit(name, &names, &[Some(mi), oi, yi])? {
                Some((columns, unit)) => {
                    area_columns_by_unit = Some((columns.iter().map(|&k| names[k].clone()).collect(), unit));
                    (columns, unit)
                }
                None => (vec![find(map.area_unit.field(), &map.area_m2)?], map.area_unit),
            },
        },
        None => (vec![find(map.area_unit.field(), &map.area_m2)?], map.area_unit),
    };
    let mut records = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        records.push(well_formed(rec, name, k as u64 + 2, &lines)?);
    }
    let area_cells = records
        .iter()
        .flat_map(|(_, r)| area_columns.iter().filter_map(|&k| r.get(k)));
    let areas = AreaColumns {
        columns: area_columns.iter().map(|&k| (k, names[k].clone())).collect(),
        unit: area_unit,
        numbers: NumberFormat::of(area_cells, delimiter),
    };
    let slash_day_first = day_first(records.iter().filter_map(|(_, r)| r.get(mi)));
    let labels_left_out = oi.is_some_and(|oi| organisations_named_once(&records, oi, mi, yi, map.sum_rows));
    let mut year_above: Option<String> = None;
    let mut label_above: Option<String> = None;
    let mut rows_labelled_from_above = 0;
    let mut out = Vec::new();
    let mut seen: BTreeMap<(YearMonth, String), u64> = BTreeMap::new();
    // Where each organisation's month is in `out`, for `sum_rows`.
    let mut summed_row: BTreeMap<(YearMonth, String), usize> = BTreeMap::new();
    let mut rows_added_up = 0;
    let mut month_totals: Vec<(u64, YearMonth, f64)> = Vec::new();
    // Where the rows after each total row begin in `out`, the last total's last: a pivot
    // table's subtotal sums the rows since one of them, the last for a group of its own, an
    // earlier one for a group holding groups (`HALO Total` after `2024 Total`, `2025 Total`).
    let mut after_totals = vec![0];
    for (line, rec) in records {
        // Spreadsheets save rows left empty as bare delimiters.
        if rec.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let bad = |column: &str, problem: String| HistoryError::Value {
            path: name.into(),
            line,
            column: column.into(),
            problem,
        };
        let ms = rec.get(mi).unwrap_or("");
        let os = oi.and_then(|k| rec.get(k)).map_or("", str::trim);
        if let Some(quarter) = Quarter::parse(ms) {
            let area = areas.area_m2(&rec).map_err(|(column, problem)| bad(&column, problem))?;
            let organisations = match (os, &label_above) {
                ("", Some(above)) if labels_left_out => vec![Some(above.as_str()), None],
                ("", _) => vec![None],
                (named, _) => vec![Some(named)],
            };
            quarter::check_quarter_row(ms.trim(), quarter, area, &organisations, map.cumulative, &out)
                .map_err(|problem| bad(&month_column, problem))?;
            continue;
        }
        // A table with a year column totals each year there (`2024 Total`), its month blank.
        let year_cell = yi.and_then(|k| rec.get(k)).map_or("", str::trim);
        let total_cell = match ms.trim() {
            "" if is_total_label(year_cell) || subtotal_label(year_cell).is_some() => year_cell,
            _ => ms,
        };
        let since = |k: usize| total_row(total_cell, os, &out[after_totals[k]..], &out);
        if let Some(total) = since(after_totals.len() - 1) {
            let area = areas.area_m2(&rec).map_err(|(column, problem)| bad(&column, problem))?;
            // Earlier totals are searched only when the last one does not give the sum.
            if let Err(problem) = check_total_row(area, &total) {
                let group_holding_groups = (0..after_totals.len() - 1)
                    .rev()
                    .find(|&k| since(k).is_some_and(|t| check_total_row(area, &t).is_ok()));
                if let Some(k) = group_holding_groups {
                    after_totals.truncate(k + 1);
                } else {
                    // A total of groups with none of its rows since the last total (`HALO
                    // Total` under `2025 Total`) is told against its organisation's groups
                    // above it, not the nothing since that total.
                    let of_groups = (0..after_totals.len() - 1).filter_map(since).find(|t| {
                        !t.rows.is_empty() && t.rows.iter().all(|r| Some(r.organisation.as_str()) == t.organisation)
                    });
                    let none_of_its_own = !total
                        .rows
                        .iter()
                        .any(|r| total.organisation.is_none_or(|o| r.organisation == o));
                    let problem = match of_groups {
                        Some(t) if none_of_its_own => check_total_row(
                            area,
                            &TotalRow {
                                which: "the rows of the groups above it",
                                ..t
                            },
                        )
                        .err()
                        .unwrap_or(problem),
                        _ => problem,
                    };
                    return Err(bad(
                        &areas.columns[0].1,
                        format!("'{}' is a total row, but {problem}", total.label),
                    ));
                }
            }
            after_totals.push(out.len());
            continue;
        }
        let slash_month = match (slash_date(ms), slash_day_first) {
            (Some((a, b, year)), Some(day_first)) => {
                let (day, month) = if day_first { (a, b) } else { (b, a) };
                YearMonth::new(year, month).filter(|_| (1..=31).contains(&day))
            }
            (Some(_), None) => {
                return Err(bad(
                    &month_column,
                    format!(
                        "'{}': the file's dates do not tell whether the day or the month comes first; write the months as YYYY-MM",
                        ms.trim()
                    ),
                ))
            }
            (None, _) => None,
        };
        // A pivot table in tabular form leaves a row's year blank under the row that names it,
        // as it leaves the organisation.
        let year = match year_cell {
            "" if labels_left_out && os.is_empty() => year_above.clone().unwrap_or_default(),
            named => {
                year_above = (!named.is_empty()).then(|| named.to_string());
                named.to_string()
            }
        };
        let of_year = |_| YearMonth::in_history(year.parse::<i32>().ok()?, YearMonth::month_of_year(ms)?);
        let month = slash_month.or_else(|| YearMonth::parse(ms)).or_else(|| yi.and_then(of_year)).or_else(|| YearMonth::from_spreadsheet_serial(ms)).ok_or_else(|| match yi {
            Some(yi) => bad(
                &month_column,
                format!(
                    "'{}' in year '{}' (column '{}') is not a month; write the month of the year, 1–12 or its name, with a year from 1900 to 2200, or YYYY-MM",
                    ms.trim(),
                    year,
                    names[yi]
                ),
            ),
            None => bad(
                &month_column,
                format!("'{ms}' is not a month; write YYYY-MM, e.g. 2024-03 (also read: 2024/03, 202403, 2024M03, 03.2024, 03/2024, a date 2024-03-31 or 31.03.2024, Mar 2024, Mar-24, березень 2024, a spreadsheet's date serial 45382)"),
            ),
        })?;
        let organisation = match oi {
            None => WHOLE_PROGRAMME.to_string(),
            Some(oi) => match (rec.get(oi).unwrap_or("").trim(), &label_above) {
                ("", Some(above)) if labels_left_out => {
                    rows_labelled_from_above += 1;
                    above.clone()
                }
                ("", _) => "(none)".to_string(),
                (o, _) => {
                    label_above = Some(o.to_string());
                    o.to_string()
                }
            },
        };
        let area = areas.area_m2(&rec).map_err(|(column, problem)| bad(&column, problem))?;
        let key = (month, organisation.clone());
        let is_total = oi.is_some() && is_total_label(&organisation);
        if map.sum_rows && !is_total {
            if let Some(&k) = summed_row.get(&key) {
                let row: &mut MonthlyRelease = &mut out[k];
                row.area_m2 += area;
                rows_added_up += 1;
                continue;
            }
        }
        if let Some(&first) = seen.get(&key) {
            if oi.is_none() {
                return Err(HistoryError::DuplicateProgrammeMonth {
                    path: name.into(),
                    line,
                    first,
                    month: month.to_string(),
                    available: names.join(", "),
                });
            }
            if let (Some(oi), "(none)") = (oi, organisation.as_str()) {
                return Err(bad(
                    &names[oi],
                    format!(
                        "no organisation, and a row with no organisation already gives month {month} on line {first}; name the organisation on every row (or on the first of each organisation's rows, as a pivot table does), or add up rows that are activities or sites with --sum-rows"
                    ),
                ));
            }
            return Err(HistoryError::Duplicate {
                path: name.into(),
                line,
                first,
                month: month.to_string(),
                organisation,
            });
        }
        seen.insert(key.clone(), line);
        if is_total {
            month_totals.push((line, month, area));
            continue;
        }
        summed_row.insert(key, out.len());
        out.push(MonthlyRelease {
            month,
            organisation,
            area_m2: area,
        });
    }
    // A month's total in the organisation column (pivot exports write one under each month):
    // skipped when it is the sum of that month's organisations, refused when it is not, and
    // kept as the month's figure when no organisation has a row that month.
    for (line, month, total) in month_totals {
        let rows = out.iter().filter(|r| r.month == month);
        let (count, sum) = rows.fold((0, 0.0), |(n, s), r| (n + 1, s + r.area_m2));
        if count == 0 {
            out.push(MonthlyRelease {
                month,
                organisation: WHOLE_PROGRAMME.into(),
                area_m2: total,
            });
        } else if !rounded_equal(total, sum) {
            return Err(HistoryError::Value {
                path: name.into(),
                line,
                column: areas.columns[0].1.clone(),
                problem: format!(
                    "the total of {month}, {} m², is not the sum of that month's organisations ({} m²): correct it or remove the row",
                    group_thousands(total),
                    group_thousands(sum)
                ),
            });
        }
    }
    check_no_decade_gap(&seen, name, &month_column)?;
    if map.cumulative {
        out = monthly_from_cumulative(out, &seen).map_err(|(line, problem)| HistoryError::Value {
            path: name.into(),
            line,
            column: areas.columns[0].1.clone(),
            problem,
        })?;
    }
    Ok(HistoryFile {
        rows: out,
        reading: HistoryReading {
            rows_added_up,
            rows_labelled_from_above,
            area_columns_by_unit,
            numbers: areas.numbers,
            ..HistoryReading::default()
        },
    })
}

/// Words a header uses for land or its release, beside which a unit names an area column
/// (compared as the start of a lower-case word).
const AREA_WORDS: [&str; 23] = [
    "area",
    "land",
    "surface",
    "releas",
    "clear",
    "cancel",
    "reduc",
    "survey",
    "hectare",
    "площ",
    "земл",
    "звільн",
    "очищ",
    "розмін",
    "обстеж",
    "гектар",
    "скасов",
    "зменш",
    "скороч",
    "отмен",
    "сокращ",
    "разминир",
    "освобожд",
];

/// The area unit a column's header names beside a word for land or its release: `Area cleared
/// (m2)`, `Released, sq. m`, `Звільнено, га`. The last unit written counts, so that `HA area
/// (m2)` (a hazardous area's) is in m², and a header without such a word (`HA ID`) names none.
///
/// ```
/// use demine_plan::history::{header_area_unit, AreaUnit};
/// assert_eq!(header_area_unit("Area cleared (m2)"), Some(AreaUnit::SquareMetres));
/// assert_eq!(header_area_unit("Released, sq. m"), Some(AreaUnit::SquareMetres));
/// assert_eq!(header_area_unit("Звільнено, га"), Some(AreaUnit::Hectares));
/// assert_eq!(header_area_unit("HA area (m²)"), Some(AreaUnit::SquareMetres));
/// assert_eq!(header_area_unit("Land released, km2"), Some(AreaUnit::SquareKilometres));
/// assert_eq!(header_area_unit("HA ID"), None);
/// assert_eq!(header_area_unit("Area cleared"), None);
/// ```
pub fn header_area_unit(header: &str) -> Option<AreaUnit> {
    let lower = header.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '²'))
        .filter(|w| !w.is_empty())
        .collect();
    if !words.iter().any(|w| AREA_WORDS.iter().any(|a| w.starts_with(a))) {
        return None;
    }
    let mut unit = None;
    for (k, word) in words.iter().enumerate() {
        let next = words.get(k + 1).copied();
        let named = match *word {
            "m2" | "m²" | "sqm" | "м2" | "м²" => Some(AreaUnit::SquareMetres),
            "sq" | "кв" if matches!(next, Some("m" | "м" | "metres" | "meters")) => Some(AreaUnit::SquareMetres),
            "ha" | "га" | "hectares" | "hectare" | "гектарів" | "гектари" | "гектар" => {
                Some(AreaUnit::Hectares)
            }
            "km2" | "km²" | "км2" | "км²" => Some(AreaUnit::SquareKilometres),
            _ => None,
        };
        unit = named.or(unit);
    }
    unit
}

/// The land release outcome a header names, if one: 0 cancelled, 1 reduced, 2 cleared.
fn header_outcome(header: &str) -> Option<usize> {
    const OUTCOMES: [&[&str]; 3] = [
        &["cancel", "скасов", "отмен"],
        &["reduc", "зменш", "скороч", "сокращ"],
        &["clear", "очищ", "розмін", "разминир"],
    ];
    let lower = header.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    let mut named = (0..3).filter(|&k| words.iter().any(|w| OUTCOMES[k].iter().any(|o| w.starts_with(o))));
    match (named.next(), named.next()) {
        (Some(k), None) => Some(k),
        _ => None,
    }
}

/// The columns (not `skip`'s) whose headers name an area unit ([`header_area_unit`]), when no
/// column goes by an area's usual names: one such column, or one for each of two or three
/// outcomes (cancelled, reduced, cleared) in one unit, which together are the land released.
/// Other sets of such columns are refused, naming them.
fn area_columns_by_header_unit(
    name: &str,
    names: &[String],
    skip: &[Option<usize>],
) -> Result<Option<(Vec<usize>, AreaUnit)>, HistoryError> {
    let candidates: Vec<(usize, AreaUnit)> = names
        .iter()
        .enumerate()
        .filter(|(k, _)| !skip.contains(&Some(*k)))
        .filter_map(|(k, header)| header_area_unit(header).map(|unit| (k, unit)))
        .collect();
    let Some(&(_, unit)) = candidates.first() else {
        return Ok(None);
    };
    let columns: Vec<usize> = candidates.iter().map(|&(k, _)| k).collect();
    let one_unit = candidates.iter().all(|&(_, u)| u == unit);
    let outcomes: BTreeSet<Option<usize>> = columns.iter().map(|&k| header_outcome(&names[k])).collect();
    let one_per_outcome = !outcomes.contains(&None) && outcomes.len() == columns.len();
    if columns.len() == 1 || (one_unit && one_per_outcome) {
        return Ok(Some((columns, unit)));
    }
    let advice = if one_unit {
        format!(
            "map the released area with --columns '{field}=COLUMN', or add up the columns of each outcome (cancelled, reduced, cleared) with --columns '{field}={sum}'",
            field = unit.field(),
            sum = columns.iter().map(|&k| names[k].as_str()).collect::<Vec<_>>().join("+"),
        )
    } else {
        "map the released area with --columns 'area_m2=COLUMN' ('area_ha=COLUMN' or 'area_km2=COLUMN' for a column in ha or km²)".to_string()
    };
    Err(HistoryError::SeveralAreaColumns {
        path: name.into(),
        count: columns.len(),
        candidates: candidates
            .iter()
            .map(|&(k, u)| format!("'{}' ({})", names[k], u.symbol()))
            .collect::<Vec<_>>()
            .join(", "),
        advice,
    })
}

/// A CSV reader past its header, and the lines of its text to place each record at.
struct Records<'r, 'a> {
    reader: &'r mut csv::Reader<&'a [u8]>,
    lines: &'r LineIndex<'a>,
}

/// A CSV record of the file `name` with the line it starts on, or the error placed there
/// (`counted`, the header's line + the record's number, only when the reader has no position).
fn well_formed(
    rec: csv::Result<csv::StringRecord>,
    name: &str,
    counted: u64,
    lines: &LineIndex<'_>,
) -> Result<(u64, csv::StringRecord), HistoryError> {
    let line_of = |position: Option<&csv::Position>| position.map_or(counted, |p| lines.line_at(p.byte()));
    match rec {
        Ok(rec) => Ok((line_of(rec.position()), rec)),
        Err(e) => Err(HistoryError::Value {
            path: name.into(),
            line: line_of(e.position()),
            column: "(row)".into(),
            problem: match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                    "{len} cells where the header has {expected_len}; give every row the header's columns (a cell holding the delimiter needs quotes)"
                ),
                csv::ErrorKind::Utf8 { .. } => {
                    "the text is not UTF-8; save the file as CSV UTF-8 (in Excel: Save As, CSV UTF-8)".to_string()
                }
                _ => format!("malformed CSV: {e}"),
            },
        }),
    }
}

/// Whether the organisation column is a pivot table's with its labels not repeated: each
/// organisation named on the first of its rows only, the rows under it blank. Then the first
/// data row names its organisation, no organisation is named twice, some rows are blank, and
/// (unless rows are added up) no month repeats under one name (with its year, from a year
/// column, blank under the row that names it as in the same pivot), so that reading a blank as
/// the name above it gives each organisation's months once. Total rows are left aside.
fn organisations_named_once(
    records: &[(u64, csv::StringRecord)],
    oi: usize,
    mi: usize,
    yi: Option<usize>,
    sum_rows: bool,
) -> bool {
    let total_cell = |c: &str| is_total_label(c) || subtotal_label(c).is_some();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    // Each month under the name with its year, the year above when its cell is blank.
    let mut months_under_name: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut year_above = "";
    let mut blanks = 0;
    for (_, rec) in records {
        let (os, ms) = (rec.get(oi).unwrap_or("").trim(), rec.get(mi).unwrap_or("").trim());
        let ys = yi.and_then(|k| rec.get(k)).map_or("", str::trim);
        if rec.iter().all(|field| field.trim().is_empty()) || total_cell(os) || total_cell(ms) || total_cell(ys) {
            continue;
        }
        if !ys.is_empty() || !os.is_empty() {
            year_above = ys;
        }
        if os.is_empty() {
            if named.is_empty() {
                return false;
            }
            blanks += 1;
        } else {
            if !named.insert(os) {
                return false;
            }
            months_under_name.clear();
        }
        if !months_under_name.insert((year_above, ms)) && !sum_rows {
            return false;
        }
    }
    blanks > 0
}

/// Each organisation's release in a month from its cumulative totals: the difference from its
/// month before (or the last month it has a row), its first month being the baseline and not
/// kept. A total that falls is refused at its line (`seen`: the line of each month).
fn monthly_from_cumulative(
    rows: Vec<MonthlyRelease>,
    seen: &BTreeMap<(YearMonth, String), u64>,
) -> Result<Vec<MonthlyRelease>, (u64, String)> {
    let mut by_organisation: BTreeMap<String, Vec<MonthlyRelease>> = BTreeMap::new();
    for row in rows {
        by_organisation.entry(row.organisation.clone()).or_default().push(row);
    }
    let mut out = Vec::new();
    for (organisation, mut months) in by_organisation {
        months.sort_by_key(|r| r.month);
        for pair in months.windows(2) {
            let (before, now) = (&pair[0], &pair[1]);
            let released = now.area_m2 - before.area_m2;
            if released < -(0.005 * before.area_m2).max(1.0) {
                let line = seen.get(&(now.month, organisation.clone())).copied().unwrap_or(0);
                return Err((
                    line,
                    format!(
                        "the cumulative area of {organisation} falls from {} m² in {} to {} m² in {}; a total released to date never falls: correct the figure, or leave out --cumulative if the file gives each month's release",
                        group_thousands(before.area_m2),
                        before.month,
                        group_thousands(now.area_m2),
                        now.month
                    ),
                ));
            }
            out.push(MonthlyRelease {
                month: now.month,
                organisation: organisation.clone(),
                area_m2: released.max(0.0),
            });
        }
    }
    out.sort_by(|a, b| (a.month, &a.organisation).cmp(&(b.month, &b.organisation)));
    Ok(out)
}

/// Months a history's totals must run for [`looks_cumulative`] to judge them.
pub const CUMULATIVE_CHECK_MONTHS: usize = 12;

/// Whether a history's monthly totals look like totals released to date rather than each
/// month's release: over at least [`CUMULATIVE_CHECK_MONTHS`] months they never fall and end at
/// least 5 times their first (a programme's months go up and down with weather, funding and the
/// land). Returns the months and that ratio.
pub fn looks_cumulative(history: &[MonthlyRelease]) -> Option<(usize, f64)> {
    let totals = monthly_totals(history);
    let first = totals.iter().position(|t| t.1 > 0.0)?;
    let run = &totals[first..];
    let never_falls = run.windows(2).all(|w| w[1].1 >= w[0].1);
    let ratio = run.last()?.1 / run[0].1;
    (run.len() >= CUMULATIVE_CHECK_MONTHS && never_falls && ratio >= 5.0).then_some((run.len(), ratio))
}

/// Longest stretch of months without a row a history may have: beyond it, a year is mistyped
/// (`1900-01`, `2002-05` for 2022) or old records say nothing of today's pace.
pub const MAX_GAP_MONTHS: i64 = 120;

/// Refuses a history whose months are split by more than [`MAX_GAP_MONTHS`] without rows,
/// naming the line of the smaller side's month next to the gap (the likely typing error).
fn check_no_decade_gap(
    seen: &BTreeMap<(YearMonth, String), u64>,
    name: &str,
    month_column: &str,
) -> Result<(), HistoryError> {
    // The first line of each month given, in month order.
    let mut first_line: BTreeMap<YearMonth, u64> = BTreeMap::new();
    for (&(month, _), &line) in seen {
        first_line
            .entry(month)
            .and_modify(|l| *l = (*l).min(line))
            .or_insert(line);
    }
    let months: Vec<(YearMonth, u64)> = first_line.into_iter().collect();
    for (k, pair) in months.windows(2).enumerate() {
        let (before, after) = (pair[0], pair[1]);
        let without_rows = after.0.index() - before.0.index() - 1;
        if without_rows <= MAX_GAP_MONTHS {
            continue;
        }
        let months_before = k + 1;
        let (lonely, line, other, fix) = if months_before <= months.len() - months_before {
            (
                before.0,
                before.1,
                after.0,
                format!("remove the rows before {}", after.0),
            )
        } else {
            (
                after.0,
                after.1,
                before.0,
                format!("remove the rows after {}", before.0),
            )
        };
        return Err(HistoryError::Value {
            path: name.into(),
            line,
            column: month_column.into(),
            problem: format!(
                "month {lonely} is {} months ({:.0} years) from the nearest other month given ({other}); over {} years without a row is a mistyped year or records too old to tell today's pace: correct the year, or {fix}",
                group_thousands(without_rows as f64 + 1.0),
                (without_rows as f64 + 1.0) / 12.0,
                MAX_GAP_MONTHS / 12,
            ),
        });
    }
    Ok(())
}

/// Whether a total shown in a spreadsheet is this sum: spreadsheets round what they show, to
/// the unit or to hectares.
fn rounded_equal(total: f64, sum: f64) -> bool {
    (total - sum).abs() <= (0.005 * sum).max(1.0)
}

/// Units a spreadsheet may write after an area, in English and Ukrainian (compared in lower
/// case, spaces removed).
const CELL_UNITS: [(&str, AreaUnit); 14] = [
    ("m2", AreaUnit::SquareMetres),
    ("m²", AreaUnit::SquareMetres),
    ("m^2", AreaUnit::SquareMetres),
    ("sqm", AreaUnit::SquareMetres),
    ("sq.m", AreaUnit::SquareMetres),
    ("м2", AreaUnit::SquareMetres),
    ("м²", AreaUnit::SquareMetres),
    ("кв.м", AreaUnit::SquareMetres),
    ("ha", AreaUnit::Hectares),
    ("га", AreaUnit::Hectares),
    ("km2", AreaUnit::SquareKilometres),
    ("km²", AreaUnit::SquareKilometres),
    ("км2", AreaUnit::SquareKilometres),
    ("км²", AreaUnit::SquareKilometres),
];

/// An area cell split into its number and the unit written after it, if any (`294 054 m2`,
/// `12,5 га`): the unit a cell names is the cell's, whatever its column's.
fn split_cell_unit(cell: &str) -> (&str, Option<AreaUnit>) {
    let trimmed = cell.trim();
    // The number ends where the first letter (or the `²` of a bare `²`) begins.
    let Some(at) = trimmed.find(|c: char| c.is_alphabetic() || c == '²') else {
        return (trimmed, None);
    };
    let (number, unit) = trimmed.split_at(at);
    let unit: String = unit.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    let unit = unit.trim_end_matches('.');
    match CELL_UNITS.iter().find(|(symbol, _)| *symbol == unit) {
        Some(&(_, u)) if !number.trim().is_empty() => (number.trim(), Some(u)),
        _ => (trimmed, None),
    }
}

/// Where a history's released area is: one column, or several to add up (`area_m2=A+B+C`:
/// cancelled, reduced and cleared in columns of their own), and how its numbers are written.
struct AreaColumns {
    /// (index, name as in the header)
    columns: Vec<(usize, String)>,
    unit: AreaUnit,
    numbers: NumberFormat,
}

impl AreaColumns {
    /// A row's released area in m², or the column and the problem. Each cell must be a number,
    /// finite, not negative and under the monthly limit; of several columns an empty cell is
    /// nothing released that way, but not all of them.
    fn area_m2(&self, rec: &csv::StringRecord) -> Result<f64, (String, String)> {
        let several = self.columns.len() > 1;
        let mut total = 0.0;
        let mut any = false;
        for (k, column) in &self.columns {
            let s = rec.get(*k).unwrap_or("").trim();
            if several && s.is_empty() {
                continue;
            }
            any = true;
            let bad = |problem: String| (column.clone(), problem);
            let area = area_m2_of(s, self.unit, self.numbers).map_err(bad)?;
            if !area.is_finite() {
                return Err(bad(format!(
                    "'{s}' is not a number of {}; write a number, with its unit (m², ha, km²) after it or none",
                    self.unit.symbol()
                )));
            }
            if area > MAX_MONTH_AREA_M2 {
                return Err(bad(format!(
                    "'{s}' is more than 1,000,000 km² in one month; check the number and its unit"
                )));
            }
            if area < 0.0 {
                return Err(bad(match split_cell_unit(s).1 {
                    Some(_) => format!("{s}: released area cannot be negative"),
                    None => format!("{s} {}: released area cannot be negative", self.unit.symbol()),
                }));
            }
            total += area;
        }
        if !any {
            let names: Vec<&str> = self.columns.iter().map(|(_, n)| n.as_str()).collect();
            return Err((
                names.join("+"),
                format!(
                    "every area column ({}) is empty; write 0 where nothing was released",
                    names.join(", ")
                ),
            ));
        }
        Ok(total)
    }
}

/// An area cell in m²: in the unit written after its number, else in `area_unit`; its dots
/// stripped where they group thousands, decimal commas where the file has them. The error is
/// the problem, for the caller to place.
fn area_m2_of(cell: &str, area_unit: AreaUnit, numbers: NumberFormat) -> Result<f64, String> {
    let (number, unit) = split_cell_unit(cell);
    let unit = unit.unwrap_or(area_unit);
    let digits = if numbers.strip_dots {
        number.replace('.', "")
    } else {
        number.to_string()
    };
    parse_number(&digits, numbers.decimal_comma)
        .map(|x| x * unit.m2())
        .map_err(|_| {
            format!(
                "'{cell}' is not a number of {}; write a number, with its unit (m², ha, km²) after it or none",
                unit.symbol()
            )
        })
}

/// The first and second numbers and the year of a date written `a/b/yyyy`, whose order (day
/// or month first) depends on the spreadsheet's language.
fn slash_date(cell: &str) -> Option<(u32, u32, i32)> {
    let date = cell.trim().split([' ', 'T']).next()?;
    match date.split('/').collect::<Vec<_>>().as_slice() {
        [a, b, y] if a.len() <= 2 && b.len() <= 2 && y.len() == 4 && y.bytes().all(|c| c.is_ascii_digit()) => {
            Some((a.parse().ok()?, b.parse().ok()?, y.parse().ok()?))
        }
        _ => None,
    }
}

/// Whether a file's `a/b/yyyy` dates put the day first (`31/03/2024`, British) or the month
/// (`3/31/2024`, American), told by the file's dates together: a number over 12 can only be a
/// day, and a monthly file's dates share their day (all on the 1st or the last day) while their
/// months change. `None` when the file does not tell (or has no such dates).
fn day_first<'a>(cells: impl IntoIterator<Item = &'a str>) -> Option<bool> {
    let (firsts, seconds): (BTreeSet<u32>, BTreeSet<u32>) =
        cells.into_iter().filter_map(slash_date).map(|(a, b, _)| (a, b)).unzip();
    let over_12 = |s: &BTreeSet<u32>| s.iter().any(|&n| n > 12);
    match (over_12(&firsts), over_12(&seconds)) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        (true, true) => None,
        (false, false) if firsts.len() == 1 && seconds.len() > 1 => Some(true),
        (false, false) if seconds.len() == 1 && firsts.len() > 1 => Some(false),
        _ => None,
    }
}

/// Whether a month cell labels a total row, as spreadsheets add under a table ("Total",
/// "Всього", "Разом", "Итого", …).
fn is_total_label(cell: &str) -> bool {
    let label = cell.trim().trim_end_matches(':').trim().to_lowercase();
    matches!(
        label.as_str(),
        "total"
            | "totals"
            | "grand total"
            | "sum"
            | "всього"
            | "усього"
            | "разом"
            | "підсумок"
            | "итого"
            | "всего"
            // Excel's `Grand Total` in Ukrainian and Russian.
            | "загальний підсумок"
            | "общий итог"
    )
}

/// A pivot table's subtotal label, `HALO Total`, `2024-01 Total`, `Subtotal`: what it names
/// (`HALO`, `2024-01`, or nothing).
fn subtotal_label(cell: &str) -> Option<&str> {
    let label = cell.trim().trim_end_matches(':').trim();
    let lower = label.to_lowercase();
    if matches!(
        lower.as_str(),
        "subtotal" | "sub-total" | "sub total" | "проміжний підсумок"
    ) {
        return Some("");
    }
    // Excel writes `HALO Total`, in Ukrainian `HALO Підсумок`, in Russian `HALO Итог`.
    let suffix = [" total", " підсумок", " итог"]
        .into_iter()
        .find(|s| lower.ends_with(s))?;
    // Lower case keeps these letters' lengths in bytes, so the cut falls where it does in `lower`.
    let cut = label.len().checked_sub(suffix.len())?;
    (!is_total_label(label) && label.is_char_boundary(cut)).then(|| label[..cut].trim())
}

/// A total row: its label, the rows it should sum (`which` names them in messages), and whose.
struct TotalRow<'a> {
    label: &'a str,
    rows: &'a [MonthlyRelease],
    which: &'static str,
    organisation: Option<&'a str>,
}

/// Whether a row is a total row, and if so its label, the rows it should sum and whose:
/// `Total` in the month column (or `Grand Total` in the organisation column with no month) sums
/// every row above, of the organisation the row names if it names one; a pivot table's subtotal
/// (`HALO Total`, `2024-01 Total`) sums the rows since the last total row, of the organisation
/// it names when one of them is that organisation's.
fn total_row<'a>(
    month_cell: &'a str,
    organisation_cell: &'a str,
    since_last_total: &'a [MonthlyRelease],
    above: &'a [MonthlyRelease],
) -> Option<TotalRow<'a>> {
    const ABOVE: &str = "the rows above";
    const SINCE_LAST_TOTAL: &str = "the rows since the last total row";
    let named = |o: &'a str| (!o.is_empty()).then_some(o);
    let of_rows = |o: &'a str| named(o).filter(|o| since_last_total.iter().any(|r| r.organisation == *o));
    let month_cell = month_cell.trim();
    if is_total_label(month_cell) {
        return Some(TotalRow {
            label: month_cell,
            rows: above,
            which: ABOVE,
            organisation: named(organisation_cell),
        });
    }
    if let Some(what) = subtotal_label(month_cell) {
        return Some(TotalRow {
            label: month_cell,
            rows: since_last_total,
            which: SINCE_LAST_TOTAL,
            organisation: of_rows(organisation_cell).or_else(|| of_rows(what)),
        });
    }
    if !month_cell.is_empty() {
        return None;
    }
    if is_total_label(organisation_cell) {
        return Some(TotalRow {
            label: organisation_cell,
            rows: above,
            which: ABOVE,
            organisation: None,
        });
    }
    subtotal_label(organisation_cell).map(|what| TotalRow {
        label: organisation_cell,
        rows: since_last_total,
        which: SINCE_LAST_TOTAL,
        organisation: of_rows(what),
    })
}

/// A total row carries nothing new when its area is the sum of the rows it totals (all above
/// it, or those since the last total row; of its organisation, when it names one):
/// then it is skipped. Otherwise it is refused, since either
/// the total or a row is wrong. The error is the problem, for the caller to place.
fn check_total_row(total: f64, row: &TotalRow<'_>) -> Result<(), String> {
    let sum: f64 = row
        .rows
        .iter()
        .filter(|r| row.organisation.is_none_or(|o| r.organisation == o))
        .map(|r| r.area_m2)
        .sum();
    let whose = row.organisation.map_or(String::new(), |o| format!(" for {o}"));
    check_total(total, sum, &format!("{}{whose}", row.which))
        .map_err(|problem| format!("{problem}: correct it or remove the row"))
}

/// A total against the `sum` of the rows it totals (`of_rows`, for the message); the problem
/// when they differ beyond rounding, for the caller to say what to do.
fn check_total(total: f64, sum: f64, of_rows: &str) -> Result<(), String> {
    if rounded_equal(total, sum) {
        Ok(())
    } else {
        Err(format!(
            "its {} m² is not the sum of {of_rows} ({} m²)",
            group_thousands(total),
            group_thousands(sum)
        ))
    }
}

/// The same history from a registry: each released piece (activity id, m²) counted in the month
/// its activity ended, for the activity's organisation.
pub fn history_from_activities(
    activities: &[demine_core::Activity],
    release: &demine_core::release::RegistryRelease,
) -> Vec<MonthlyRelease> {
    use chrono::Datelike;
    let by_id: std::collections::HashMap<&str, &demine_core::Activity> =
        activities.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut sums: BTreeMap<(YearMonth, String), f64> = BTreeMap::new();
    for h in &release.per_hazard {
        for piece in &h.pieces {
            if let Some(a) = by_id.get(piece.activity_id.as_str()) {
                let m = YearMonth {
                    year: a.end_date.year(),
                    month: a.end_date.month(),
                };
                let org = a.organisation.clone().unwrap_or_else(|| "(none)".into());
                *sums.entry((m, org)).or_default() += piece.area_m2;
            }
        }
    }
    sums.into_iter()
        .map(|((month, organisation), area_m2)| MonthlyRelease {
            month,
            organisation,
            area_m2,
        })
        .collect()
}

/// The months between a history's first and last month that have no row. [`monthly_totals`]
/// reads them as nothing released; a programme's file may also have simply left them out, so
/// callers say which months they were.
///
/// ```
/// use demine_plan::history::{months_without_rows, MonthlyRelease, YearMonth};
/// let row = |m: &str| MonthlyRelease { month: YearMonth::parse(m).unwrap(), organisation: "A".into(), area_m2: 1.0 };
/// let gaps = months_without_rows(&[row("2024-01"), row("2024-04"), row("2024-02")]);
/// assert_eq!(gaps, [YearMonth::parse("2024-03").unwrap()]);
/// ```
pub fn months_without_rows(history: &[MonthlyRelease]) -> Vec<YearMonth> {
    let present: std::collections::BTreeSet<i64> = history.iter().map(|r| r.month.index()).collect();
    let (Some(&first), Some(&last)) = (present.first(), present.last()) else {
        return Vec::new();
    };
    (first..=last)
        .filter(|i| !present.contains(i))
        .map(YearMonth::from_index)
        .collect()
}

/// Per organisation, the months between its first and last rows in which it has no row while
/// others have one: a month an operator did not report, which the month's total reads as
/// nothing released by it (months without any row are [`months_without_rows`]).
///
/// ```
/// use demine_plan::history::{organisation_months_without_rows, MonthlyRelease, YearMonth};
/// let row = |m: &str, o: &str| MonthlyRelease { month: YearMonth::parse(m).unwrap(), organisation: o.into(), area_m2: 1.0 };
/// let h = [row("2024-01", "A"), row("2024-02", "B"), row("2024-03", "A"), row("2024-01", "B"), row("2024-03", "B")];
/// assert_eq!(organisation_months_without_rows(&h), [("A".to_string(), vec![YearMonth::parse("2024-02").unwrap()])]);
/// ```
pub fn organisation_months_without_rows(history: &[MonthlyRelease]) -> Vec<(String, Vec<YearMonth>)> {
    let in_file: BTreeSet<i64> = history.iter().map(|r| r.month.index()).collect();
    let mut by_organisation: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for r in history {
        by_organisation
            .entry(&r.organisation)
            .or_default()
            .insert(r.month.index());
    }
    if by_organisation.len() < 2 {
        return Vec::new();
    }
    by_organisation
        .into_iter()
        .filter_map(|(organisation, months)| {
            let (&first, &last) = (months.first()?, months.last()?);
            let missing: Vec<YearMonth> = (first..=last)
                .filter(|i| !months.contains(i) && in_file.contains(i))
                .map(YearMonth::from_index)
                .collect();
            (!missing.is_empty()).then(|| (organisation.to_string(), missing))
        })
        .collect()
}

/// Months an organisation reported in a row before the history's last month for its missing
/// row in the last month to look like a report still to come.
pub const STEADY_REPORTING_MONTHS: usize = 3;

/// The organisations with a row in each of the [`STEADY_REPORTING_MONTHS`] months before the
/// history's last month but none in it, with their share of those months' release: an export
/// made before every operator has reported its last month, whose total then reads low and
/// pulls the forecast's level down. Empty when every steady reporter has its last month (or the
/// file names no organisations).
///
/// ```
/// use demine_plan::history::{organisations_missing_the_last_month, MonthlyRelease, YearMonth};
/// let row = |m: &str, o: &str, a: f64| MonthlyRelease { month: YearMonth::parse(m).unwrap(), organisation: o.into(), area_m2: a };
/// let mut h = Vec::new();
/// for m in ["2024-01", "2024-02", "2024-03"] {
///     h.extend([row(m, "A", 300.0), row(m, "B", 100.0)]);
/// }
/// h.push(row("2024-04", "B", 90.0));
/// let (missing, share) = organisations_missing_the_last_month(&h);
/// assert_eq!(missing, ["A"]);
/// assert!((share - 0.75).abs() < 1e-9);
/// ```
pub fn organisations_missing_the_last_month(history: &[MonthlyRelease]) -> (Vec<String>, f64) {
    let Some(last) = history.iter().map(|r| r.month.index()).max() else {
        return (Vec::new(), 0.0);
    };
    let before = (last - STEADY_REPORTING_MONTHS as i64)..last;
    let mut by_organisation: BTreeMap<&str, (BTreeSet<i64>, f64)> = BTreeMap::new();
    let mut total_before_m2 = 0.0;
    for r in history {
        let entry = by_organisation.entry(&r.organisation).or_default();
        entry.0.insert(r.month.index());
        if before.contains(&r.month.index()) {
            entry.1 += r.area_m2;
            total_before_m2 += r.area_m2;
        }
    }
    if by_organisation.len() < 2 {
        return (Vec::new(), 0.0);
    }
    let mut missing = Vec::new();
    let mut missing_m2 = 0.0;
    for (organisation, (months, area_m2)) in by_organisation {
        if !months.contains(&last) && before.clone().all(|m| months.contains(&m)) && area_m2 > 0.0 {
            missing.push(organisation.to_string());
            missing_m2 += area_m2;
        }
    }
    let share = if total_before_m2 > 0.0 {
        missing_m2 / total_before_m2
    } else {
        0.0
    };
    (missing, share)
}

/// Monthly totals over organisations from the first to the last month (gaps are 0).
pub fn monthly_totals(history: &[MonthlyRelease]) -> Vec<(YearMonth, f64)> {
    let (Some(first), Some(last)) = (
        history.iter().map(|r| r.month).min(),
        history.iter().map(|r| r.month).max(),
    ) else {
        return Vec::new();
    };
    let mut v: Vec<(YearMonth, f64)> = (first.index()..=last.index())
        .map(|i| (YearMonth::from_index(i), 0.0))
        .collect();
    for r in history {
        v[(r.month.index() - first.index()) as usize].1 += r.area_m2;
    }
    v
}

/// Monte Carlo settings.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub runs: usize,
    pub seed: u64,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions { runs: 2000, seed: 1 }
    }
}

/// The fitted rate model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateModel {
    /// Level at the end of the history, m² a month (deseasonalised).
    pub level_m2: f64,
    /// σ of the level's error at the start (log scale).
    pub level_sigma: f64,
    /// σ of the level's monthly log change.
    pub walk_sigma: f64,
    /// Growth of the level at the end of the history, per month on the log scale (0: none).
    pub trend_per_month: f64,
    /// Each month ahead keeps this share of the previous month's growth (a damped trend: the
    /// level tends to `level_m2 · e^(trend · damping / (1 − damping))`).
    pub damping: f64,
    /// How much the fitted history's own hindcasts widened the σs above (≥ 1).
    pub band_factor: f64,
    /// Further widening of the level's σ for draws above the typical level, and below it (≥ 1):
    /// where the history's own hindcasts erred more often on one side (a young programme that
    /// kept outgrowing its forecasts), that side of the band reaches further.
    pub skew_up: f64,
    pub skew_down: f64,
    /// Calendar-month factors, January first (all 1 without two years of history).
    pub seasonal: [f64; 12],
    /// The straight line through the last 12 months of the cumulative release: its slope, m² a
    /// month (a forecast month takes it times that month's season).
    pub line_m2_per_month: f64,
    /// Share of that line in each month's forecast, [`LINE_WEIGHT`] (the rest is the model's).
    pub line_weight: f64,
    /// Deseasonalised month / level ratios the noise is drawn from.
    #[serde(skip)]
    pub noise: Vec<f64>,
    /// Mean age of the months in the level's weighted mean, months before the last: how far the
    /// level lags a programme that grows.
    #[serde(skip)]
    pub level_age_months: f64,
    /// Months over [`EXCEPTIONAL_MONTH`] times the median of the 12 around them (after the
    /// seasons): set aside from the level and the seasons, kept in the noise.
    pub exceptional_months: Vec<YearMonth>,
    pub last_month: YearMonth,
}

impl RateModel {
    /// The trend at the end of the history as % a month (negative: shrinking).
    pub fn trend_pct_per_month(&self) -> f64 {
        self.trend_per_month.exp_m1() * 100.0
    }

    /// Combines the model's forecast with the straight line through the last 12 of the fitted
    /// `months` ([`LINE_WEIGHT`]): the same combination for the forecast and for the history's
    /// own hindcasts, which score it.
    fn combine_with_line(&mut self, months: &[f64]) {
        self.line_m2_per_month = straight_line(months).1.max(0.0);
        self.line_weight = LINE_WEIGHT;
    }

    /// The seasonal factor of the month `months` months after the last one.
    fn season_of(&self, months: usize) -> f64 {
        self.seasonal[(self.last_month.plus(months as i64).month - 1) as usize]
    }

    /// Growth of the log level `months` months after the last one: trend · Σ damping^i.
    fn growth(&self, months: usize) -> f64 {
        if self.trend_per_month == 0.0 {
            return 0.0;
        }
        let d = self.damping;
        let sum = if (1.0 - d).abs() < 1e-12 {
            months as f64
        } else {
            d * (1.0 - d.powi(months as i32)) / (1.0 - d)
        };
        self.trend_per_month * sum
    }

    /// The model's σ of ln(cumulative release) `months` months ahead: the level's error, the walk
    /// averaged over the months, and the months' noise averaged out.
    fn log_sd_of_cumulative(&self, months: usize) -> f64 {
        let h = months.max(1) as f64;
        let walk = self.walk_sigma.powi(2) * (h + 1.0) * (2.0 * h + 1.0) / (6.0 * h);
        let cv = sd(&self.noise);
        (self.level_sigma.powi(2) + walk + cv * cv / h).sqrt().max(1e-3)
    }

    /// The typical cumulative release for `months` months after the last one, the P50: each
    /// month the level (the typical months' mean, with its trend) by the month's season,
    /// combined with the straight line by season ([`LINE_WEIGHT`]). The Monte Carlo runs give
    /// the band, not the P50: their iid monthly draws make a lumpy programme's sum skewed, so
    /// their median falls below the typical months' pace; a real programme's lumps are mostly
    /// work reported a month late or early, and add up to that pace (on Colombia's 2005–2014
    /// history, README, the runs' median read 0.62 of the actual release 12 months on, this 0.72,
    /// the straight line 0.78). Exceptional months lift the runs' mean, not this.
    fn typical_cumulative(&self, months: usize) -> Vec<f64> {
        let mut cum = 0.0;
        (1..=months)
            .map(|j| {
                let season = self.season_of(j);
                let model = self.level_m2 * self.growth(j).exp() * season;
                cum += (1.0 - self.line_weight) * model + self.line_weight * self.line_m2_per_month * season;
                cum
            })
            .collect()
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// A month above this multiple of the median of the 12 around it (those with release) is
/// exceptional (a large area cancelled at once): the seasons, the level and its σs are learned
/// from the typical months, and exceptional months come back as draws of the noise.
pub const EXCEPTIONAL_MONTH: f64 = 3.0;
/// Share of the straight line through the last 12 months in each forecast month, taken by that
/// month's season; the model has the rest. A combination of two forecasts errs less often badly
/// than either (Bates & Granger 1969; the M3 and M4 competitions): the line holds where the
/// model's trend or level is thrown by a few months. On a real programme's history (Colombia's
/// humanitarian demining, 122 cut-offs; README), with the P50 from the Monte Carlo runs as it
/// then was, a quarter of the plain line beat the line alone in 42–44 of 122 hindcasts and half
/// of the line by season in 53–55; on 2,400 SYNTHETIC hindcasts (`examples/hindcast_regimes`, 48–96
/// months fitted) in 1,839 instead of 1,792.
pub const LINE_WEIGHT: f64 = 0.5;

/// A year (the 12 months around a month) teaches seasons when it has release in at least this
/// share of as many months as the last 12 have: the programme worked then as it works now, not
/// as a start-up that reported now and then.
const WORKING_YEAR_SHARE: f64 = 0.75;
/// Months a history needs to learn seasons from, and to compare each month with the same
/// calendar month a year before: two years.
const SEASON_LEARNING_MONTHS: usize = 24;
/// Internal hindcasts with two years to learn seasons from that a trend needs to have earned its
/// place; with fewer, [`year_over_year_growth`] may give one.
const MIN_SEASONED_ORIGINS: usize = 12;
/// Months the trend is fitted on (the most recent).
const TREND_WINDOW_MONTHS: usize = 24;
/// A calendar month whose typical release, year after year (at least two years), is under this
/// share of the months around it is one the programme stops in (winter): it keeps its own small
/// factor, and its months say nothing of the level, the noise or the drift.
pub const CLOSED_MONTH_RATIO: f64 = 0.1;
/// Dampings the history's own hindcasts choose from (0: no trend).
const DAMPINGS: [f64; 3] = [0.0, 0.85, 0.95];
/// Fitted months an internal hindcast needs before its origin, and the months it scores.
const MIN_INTERNAL_FIT_MONTHS: usize = 12;
const INTERNAL_HORIZON_MONTHS: usize = 12;
/// Half-life of an internal hindcast's weight in choosing the damping, months before the last.
const INTERNAL_RECENCY_HALF_LIFE_MONTHS: f64 = 12.0;
/// Share of the internal hindcasts' errors the widened P10–P90 band holds.
const BAND_TARGET: f64 = 0.9;
/// Internal hindcast origins, the most recent, at most.
const INTERNAL_ORIGINS: usize = 24;

/// Fits the rate model on monthly totals: a seasonal level, with a damped trend when the
/// history's own hindcasts say it forecasts better, and σs widened until those hindcasts' errors
/// fit in them. Programmes grow while teams are added and shrink as land or funding runs out; a
/// level without a trend lags both, and a band only as wide as the model thinks misses them.
pub fn fit_rates(totals: &[(YearMonth, f64)]) -> Result<RateModel, HistoryError> {
    // The level alone: also where a history too short or without recent release is refused.
    let level_only = fit_with_damping(totals, 0.0)?;
    let n = totals.len();
    // Origins of the internal hindcasts: each refits on the months up to it.
    let origins: Vec<usize> = (MIN_INTERNAL_FIT_MONTHS..n.saturating_sub(1))
        .rev()
        .take(INTERNAL_ORIGINS)
        .collect();
    let x: Vec<f64> = totals.iter().map(|t| t.1).collect();
    let internal = |damping: f64| -> Vec<(usize, f64, f64, f64)> {
        // (months ahead, ln(actual / expected) of the cumulative release by the model, and by the
        // forecast as it is made (the model's combination with the straight line of the months up
        // to the origin), weight)
        let mut errors = Vec::new();
        for &o in &origins {
            let Ok(mut m) = fit_with_damping(&totals[..o], damping) else {
                continue;
            };
            let h = INTERNAL_HORIZON_MONTHS.min(n - o);
            let model_alone = m.typical_cumulative(h);
            m.combine_with_line(&x[..o]);
            let forecast = m.typical_cumulative(h);
            let mut actual = 0.0;
            for (j, (e, combined)) in model_alone.iter().zip(&forecast).enumerate() {
                actual += totals[o + j].1;
                if actual > 0.0 && *e > 0.0 && *combined > 0.0 {
                    // Recent origins weigh more: a programme that stopped growing should stop
                    // being forecast to grow.
                    let w = 0.5f64.powf((n - 1 - o) as f64 / INTERNAL_RECENCY_HALF_LIFE_MONTHS);
                    errors.push((j + 1, (actual / e).ln(), (actual / combined).ln(), w));
                }
            }
        }
        errors
    };
    let mut best = (f64::INFINITY, 0.0, Vec::new());
    for damping in DAMPINGS {
        let errors = internal(damping);
        if errors.is_empty() {
            continue;
        }
        // The damping that serves the model best: the line is a fixed share on top of it.
        let score = errors.iter().map(|e| e.3 * e.1.abs()).sum::<f64>() / errors.iter().map(|e| e.3).sum::<f64>();
        // A trend must earn its place: ties keep the level alone.
        if score < best.0 * 0.97 || best.0.is_infinite() {
            best = (score, damping, errors);
        }
    }
    let (_, damping, errors) = best;
    let mut model = if damping == 0.0 {
        level_only
    } else {
        fit_with_damping(totals, damping)?
    };
    if damping == 0.0 && origins.iter().filter(|&&o| o >= SEASON_LEARNING_MONTHS).count() < MIN_SEASONED_ORIGINS {
        // Too few of the history's own hindcasts had two years to learn seasons from, so a
        // trend could not earn its place there; a growth the same calendar months show year
        // after year, beyond their noise, is evidence enough.
        if let Some(growth) = year_over_year_growth(&x) {
            model.level_m2 *= (growth * model.level_age_months).exp();
            model.trend_per_month = growth;
            model.damping = YEAR_OVER_YEAR_DAMPING;
        }
    }
    // Widen the σs so that the model's spread covers the internal hindcasts' errors.
    if errors.len() >= 6 {
        let mut ratios: Vec<f64> = errors
            .iter()
            .map(|&(h, _, combined, _)| combined.abs() / model.log_sd_of_cumulative(h))
            .collect();
        ratios.sort_by(f64::total_cmp);
        // P10–P90 is ±1.2816 σ; the internal errors are in-sample, so they aim a little wider.
        let factor = (quantile(&ratios, BAND_TARGET) / 1.2816).clamp(1.0, 4.0);
        model.level_sigma *= factor;
        model.walk_sigma *= factor;
        model.band_factor = factor;
        // Each side on its own: where the errors beyond it are more than the symmetric band
        // allows on that side, that side reaches further (the level's draws on it are wider;
        // the typical path, and so the P50, stays).
        let mut signed: Vec<f64> = errors
            .iter()
            .map(|&(h, _, combined, _)| combined / model.log_sd_of_cumulative(h))
            .collect();
        signed.sort_by(f64::total_cmp);
        let tail = (1.0 - BAND_TARGET) / 2.0;
        model.skew_up = (quantile(&signed, 1.0 - tail) / 1.2816).clamp(1.0, 4.0);
        model.skew_down = (-quantile(&signed, tail) / 1.2816).clamp(1.0, 4.0);
    }
    model.combine_with_line(&x);
    Ok(model)
}

/// Damping of a trend read from year-over-year growth alone: the shorter of [`DAMPINGS`], as the
/// history could not check it.
const YEAR_OVER_YEAR_DAMPING: f64 = 0.85;
/// How many standard errors from no growth the year-over-year growth must be.
const YEAR_OVER_YEAR_T: f64 = 2.0;

/// Growth per month on the log scale that the last 12 months show over the same calendar months
/// a year before (typical months, so a large cancellation does not make it): the mean of the 12
/// log ratios ÷ 12, when it is [`YEAR_OVER_YEAR_T`] standard errors from 0, at least 8 of the
/// months have release in both years, and the year before is past the programme's start-up
/// ([`ramp_up_end`]). Seasons cancel out, which a slope through one or two years
/// with a winter in them cannot do.
fn year_over_year_growth(months: &[f64]) -> Option<f64> {
    let n = months.len();
    if n < SEASON_LEARNING_MONTHS {
        return None;
    }
    let typical = typical_months(months);
    // Compared with a start-up year (teams arriving), any programme looks as if it grows.
    if ramp_up_end(&typical) > n - SEASON_LEARNING_MONTHS {
        return None;
    }
    let ratios: Vec<f64> = (n - 12..n)
        .filter(|&t| typical[t] > 0.0 && typical[t - 12] > 0.0)
        .map(|t| (typical[t] / typical[t - 12]).ln())
        .collect();
    if ratios.len() < 8 {
        return None;
    }
    let (m, se) = (mean(&ratios), sd(&ratios) / (ratios.len() as f64).sqrt());
    // The latest months must still show it: a funding cut in the year turns the growth before
    // it into a level that no longer grows.
    let latest = mean(&ratios[ratios.len() - 4..]);
    (m.abs() > YEAR_OVER_YEAR_T * se && latest * m.signum() >= 0.5 * m.abs()).then(|| (m / 12.0).clamp(-0.2, 0.2))
}

/// The straight line through the last 12 points of the cumulative release of `months` (all of
/// them when fewer): its value at the last month and its slope, m² a month.
fn straight_line(months: &[f64]) -> (f64, f64) {
    let mut cum = 0.0;
    let cumulative: Vec<f64> = months
        .iter()
        .map(|v| {
            cum += v;
            cum
        })
        .collect();
    let k = cumulative.len().min(12);
    let ys = &cumulative[cumulative.len() - k..];
    let xs: Vec<f64> = (0..k).map(|i| i as f64).collect();
    let (mx, my) = (mean(&xs), mean(ys));
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let slope = if sxx > 0.0 {
        xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / sxx
    } else {
        0.0
    };
    (my + slope * ((k - 1) as f64 - mx), slope)
}

/// `x` with each month capped at [`EXCEPTIONAL_MONTH`] × the median of the months with release
/// among the 12 around it: the typical months, without those in which survey cancelled a large
/// area at once. Months without release do not count, so a programme that stops every winter, or
/// reports only now and then, has no exceptional months for it.
fn typical_months(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|t| {
            let active: Vec<f64> = x[t.saturating_sub(6)..(t + 6).min(n)]
                .iter()
                .copied()
                .filter(|&v| v > 0.0)
                .collect();
            if active.is_empty() {
                x[t]
            } else {
                x[t].min(EXCEPTIONAL_MONTH * median(active))
            }
        })
        .collect()
}

/// The first month after a programme's start-up: where its trailing 6-month level first reaches
/// half of its last 12 months' median, but at most 12 months before the end. A programme starts
/// small and grows as teams arrive; that growth is over once it runs near its present pace, and
/// a trend fitted across it would carry the start-up on into the forecast.
fn ramp_up_end(typical: &[f64]) -> usize {
    let n = typical.len();
    let latest = n.saturating_sub(12);
    let recent: Vec<f64> = typical[latest..].iter().copied().filter(|&v| v > 0.0).collect();
    if recent.is_empty() {
        return 0;
    }
    let half = 0.5 * median(recent);
    (0..latest)
        .find(|&t| mean(&typical[t.saturating_sub(5)..=t]) >= half)
        .unwrap_or(latest)
}

/// The rate model with a given damping of the trend (0: no trend).
fn fit_with_damping(totals: &[(YearMonth, f64)], damping: f64) -> Result<RateModel, HistoryError> {
    let n = totals.len();
    let active = totals.iter().filter(|t| t.1 > 0.0).count();
    if n < 6 || active < 6 {
        return Err(HistoryError::TooShort(active));
    }
    let x: Vec<f64> = totals.iter().map(|t| t.1).collect();
    let recent = mean(&x[n.saturating_sub(12)..]);
    if recent <= 0.0 {
        return Err(HistoryError::NoRecentRelease);
    }
    // Seasonal factors: typical month over its centred 12-month mean, the median by calendar
    // month: one month in which survey cancelled a large area at once would otherwise make its
    // calendar month look seasonal (and its neighbours not). Learned from the years the
    // programme worked as it works now: a year with release in fewer months than
    // [`WORKING_YEAR_SHARE`] of its last 12 (a start-up that reported now and then) has 0 in
    // most calendar months, and they would read as months it stops in every year (Colombia's
    // April to August, from 2005–2008, README).
    let mut seasonal = [1.0f64; 12];
    let mut closed = [false; 12];
    if n >= SEASON_LEARNING_MONTHS {
        let capped = typical_months(&x);
        let months_with_release = |w: &[f64]| w.iter().filter(|&&v| v > 0.0).count() as f64;
        let working_now = months_with_release(&x[n - 12..]);
        let mut by_month: [Vec<f64>; 12] = Default::default();
        for t in 6..n.saturating_sub(6) {
            let c = mean(&capped[t - 6..t + 6]);
            if c > 0.0 && months_with_release(&x[t - 6..t + 6]) >= WORKING_YEAR_SHARE * working_now {
                by_month[(totals[t].0.month - 1) as usize].push(capped[t] / c);
            }
        }
        for (m, v) in by_month.iter().enumerate() {
            if !v.is_empty() {
                let k = v.len() as f64;
                let typical_ratio = median(v.clone());
                if v.len() >= 2 && typical_ratio < CLOSED_MONTH_RATIO {
                    closed[m] = true;
                    seasonal[m] = typical_ratio;
                } else {
                    // Shrunk towards 1 by the number of years seen (one year: half way).
                    seasonal[m] = (k * typical_ratio + 1.0) / (k + 1.0);
                }
            }
        }
        let norm = mean(&seasonal);
        if norm > 0.0 {
            for (s, closed) in seasonal.iter_mut().zip(closed) {
                // A stop stays a stop; a slow month keeps a little release.
                *s = if closed { *s / norm } else { (*s / norm).max(0.05) };
            }
        }
    }
    // The months the programme works in (all of them unless it stops in some, every year): the
    // series the level, its trend, the noise and the drift are learned from. A winter stop
    // deseasonalised is still 0, and would read as the level collapsing every year.
    let open: Vec<usize> = (0..n).filter(|&t| !closed[(totals[t].0.month - 1) as usize]).collect();
    let d: Vec<f64> = open
        .iter()
        .map(|&t| totals[t].1 / seasonal[(totals[t].0.month - 1) as usize])
        .collect();
    let typical = typical_months(&d);
    let exceptional_months: Vec<YearMonth> = (0..d.len())
        .filter(|&j| typical[j] < d[j])
        .map(|j| totals[open[j]].0)
        .collect();
    // Level: exponentially weighted mean of the typical deseasonalised months.
    let lambda = 0.5f64.powf(1.0 / LEVEL_HALF_LIFE_MONTHS);
    let (mut num, mut den, mut w2, mut age) = (0.0, 0.0, 0.0, 0.0);
    for (k, v) in typical.iter().rev().enumerate() {
        let w = lambda.powi(k as i32);
        num += w * v;
        den += w;
        w2 += w * w;
        age += w * (n - 1 - open[open.len() - 1 - k]) as f64;
    }
    let mut level = (num / den).max(recent * 0.05);
    // Trend: least squares of ln(month) on time over the recent window (months with release);
    // with it, the level is the line's end (the weighted mean would lag the trend by 8 months).
    let mut trend = 0.0;
    if damping > 0.0 {
        let ramp_up = ramp_up_end(&typical);
        let pts: Vec<(f64, f64)> = (0..d.len())
            .filter(|&j| j >= ramp_up && open[j] >= n - n.min(TREND_WINDOW_MONTHS) && typical[j] > 0.0)
            .map(|j| (open[j] as f64, typical[j].ln()))
            .collect();
        if pts.len() >= 6 {
            let mx = mean(&pts.iter().map(|p| p.0).collect::<Vec<_>>());
            let my = mean(&pts.iter().map(|p| p.1).collect::<Vec<_>>());
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
            if sxx > 0.0 {
                trend = (pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx).clamp(-0.2, 0.2);
                // The level at the last month is the line's end, times the mean of the months'
                // ratios to the line (a log line runs through the geometric mean).
                let at = |t: f64| my + trend * (t - mx);
                let smear = mean(&pts.iter().map(|p| (p.1 - at(p.0)).exp()).collect::<Vec<_>>());
                level = (at((n - 1) as f64).exp() * smear).max(recent * 0.05);
            }
        }
    }
    // Noise: months over their trailing 6-month typical level, scaled so that the typical
    // months' mean 1; exceptional months stay in it, as rare large draws.
    let (mut noise, mut typical_noise) = (Vec::new(), Vec::new());
    for t in 6..d.len() {
        let l = mean(&typical[t - 6..t]);
        if l > 0.0 {
            noise.push(d[t] / l);
            typical_noise.push(typical[t] / l);
        }
    }
    if noise.is_empty() {
        noise.push(1.0);
        typical_noise.push(1.0);
    }
    let noise_m = mean(&typical_noise).max(1e-9);
    let noise: Vec<f64> = noise.iter().map(|v| v / noise_m).collect();
    let typical_noise: Vec<f64> = typical_noise.iter().map(|v| v / noise_m).collect();
    let cv = sd(&typical_noise).min(3.0);
    // The level's error: the noise averaged by the weights.
    let level_sigma = (cv * (w2.sqrt() / den)).min(1.0);
    // The walk: 6-month log changes of the rolling 6-month level, the start-up's included: on
    // Colombia's real history its jumps widen the band (P90 14 years out for a P50 of 3), but
    // without them the 2018 surge (twice 2017's release) fell outside the band of hindcasts from
    // 2016–2017 (README).
    let rolling: Vec<f64> = (5..d.len()).map(|t| mean(&typical[t - 5..=t])).collect();
    let changes: Vec<f64> = (6..rolling.len())
        .filter(|&t| rolling[t] > 0.0 && rolling[t - 6] > 0.0)
        .map(|t| (rolling[t] / rolling[t - 6]).ln())
        .collect();
    let walk_sigma = if changes.len() >= 3 {
        (sd(&changes) / 6f64.sqrt()).clamp(0.02, 0.5)
    } else {
        0.1
    };
    Ok(RateModel {
        level_m2: level,
        level_sigma,
        walk_sigma,
        trend_per_month: trend,
        damping: if trend == 0.0 { 0.0 } else { damping },
        band_factor: 1.0,
        skew_up: 1.0,
        skew_down: 1.0,
        seasonal,
        line_m2_per_month: 0.0,
        line_weight: 0.0,
        noise,
        level_age_months: age / den,
        exceptional_months,
        last_month: totals[n - 1].0,
    })
}

/// Simulated cumulative release for `months` months after the model's last month, per run: the
/// band. The level's draws are widened on each side by [`RateModel::skew_up`] and
/// [`RateModel::skew_down`].
fn simulate(model: &RateModel, months: usize, opts: &HistoryOptions, stop_at: Option<f64>) -> Vec<Vec<f64>> {
    let runs = opts.runs.max(1);
    // Each month's release scaled so that its typical value is the combination of the model's
    // and the line's, both by season (a line through a year with a winter stop releases in a
    // working month more than its slope, and nothing in the stop); a run's deviations from the
    // model carry over.
    let noise_mean = mean(&model.noise).max(1e-9);
    let line_share: Vec<f64> = (1..=months)
        .map(|j| {
            let season = model.season_of(j);
            let typical = model.level_m2 * model.growth(j).exp() * season * noise_mean;
            if typical > 0.0 {
                1.0 - model.line_weight + model.line_weight * model.line_m2_per_month * season / typical
            } else {
                1.0
            }
        })
        .collect();
    (0..runs)
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            rng.set_stream(r as u64);
            let z = Normal::new(0.0, 1.0).expect("unit normal");
            let side = |d: f64| {
                if d > 0.0 {
                    d * model.skew_up
                } else {
                    d * model.skew_down
                }
            };
            let mut log_level = model.level_m2.ln() + side(model.level_sigma * z.sample(&mut rng));
            let mut cum = 0.0;
            let mut out = Vec::with_capacity(months);
            for j in 1..=months {
                log_level += model.walk_sigma * z.sample(&mut rng);
                let m = model.last_month.plus(j as i64);
                let e = model.noise[rng.gen_range(0..model.noise.len())];
                cum += (log_level + model.growth(j)).exp()
                    * model.seasonal[(m.month - 1) as usize]
                    * e
                    * line_share[j - 1];
                out.push(cum);
                if stop_at.is_some_and(|s| cum >= s) {
                    break;
                }
            }
            out
        })
        .collect()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// When the remaining area is released, from the history alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryForecast {
    pub model: RateModel,
    pub remaining_m2: f64,
    /// The first month whose release counts towards the remaining area: the month after the
    /// history, or a later start (the remaining area is what is left then).
    pub start_month: YearMonth,
    /// The months by which it is released; `None`: not within [`MAX_MONTHS_AHEAD`] months of the
    /// start.
    pub p10_month: Option<YearMonth>,
    pub p50_month: Option<YearMonth>,
    pub p90_month: Option<YearMonth>,
    /// Share of the runs (as the band draws them) that had not released it within
    /// [`MAX_MONTHS_AHEAD`] months.
    pub beyond_horizon_share: f64,
}

impl HistoryForecast {
    /// Months between the history's last month and the start, neither counted: 0 when the
    /// forecast starts the month after the history.
    pub fn months_between_history_and_start(&self) -> i64 {
        self.start_month.index() - self.model.last_month.index() - 1
    }
}

/// Forecasts when `remaining_m2` will be released at the pace the history shows, counting the
/// release from `start` (default: the month after the history). A history that ends months
/// before the start is carried on through the months between (its level drifts on), but what
/// they release is not counted: the remaining area is what is left at the start.
pub fn forecast_history(
    history: &[MonthlyRelease],
    remaining_m2: f64,
    start: Option<YearMonth>,
    opts: &HistoryOptions,
) -> Result<HistoryForecast, HistoryError> {
    if !(remaining_m2.is_finite() && remaining_m2 >= 0.0) {
        return Err(HistoryError::Remaining(remaining_m2));
    }
    let model = fit_rates(&monthly_totals(history))?;
    let first = model.last_month.plus(1);
    let start_month = start.filter(|&s| s > first).unwrap_or(first);
    let skipped = (start_month.index() - first.index()) as usize;
    // Months to release it: the typical path's gives the P50, the runs' (sorted) the P10 and P90.
    let months_to_release = |p: &[f64]| {
        let before = if skipped == 0 { 0.0 } else { p[skipped - 1] };
        match p[skipped..].iter().position(|&c| c - before >= remaining_m2) {
            Some(i) => (i + 1) as f64,
            None => (MAX_MONTHS_AHEAD + 1) as f64,
        }
    };
    let stop_at = (skipped == 0).then_some(remaining_m2);
    let mut sides: Vec<f64> = simulate(&model, skipped + MAX_MONTHS_AHEAD, opts, stop_at)
        .iter()
        .map(|p| months_to_release(p))
        .collect();
    sides.sort_by(f64::total_cmp);
    let p50 = months_to_release(&model.typical_cumulative(skipped + MAX_MONTHS_AHEAD));
    let month = |months: f64| (months <= MAX_MONTHS_AHEAD as f64).then(|| start_month.plus(months.ceil() as i64 - 1));
    Ok(HistoryForecast {
        remaining_m2,
        start_month,
        p10_month: month(quantile(&sides, 0.1).min(p50)),
        p50_month: month(p50),
        p90_month: month(quantile(&sides, 0.9).max(p50)),
        beyond_horizon_share: sides.iter().filter(|&&d| d > MAX_MONTHS_AHEAD as f64).count() as f64
            / sides.len() as f64,
        model,
    })
}

/// One forecast month of a hindcast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HindcastMonth {
    pub month: String,
    /// Cumulative area released after the fit month, m².
    pub actual_cum_m2: f64,
    pub p10_cum_m2: f64,
    pub p50_cum_m2: f64,
    pub p90_cum_m2: f64,
    /// The straight line through the last 12 fitted months of the cumulative curve.
    pub baseline_cum_m2: f64,
}

/// A hindcast: fitted up to a month, scored on the months after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hindcast {
    pub fit_until: String,
    pub months: Vec<HindcastMonth>,
    /// Share of forecast months whose actual cumulative area lies in the P10–P90 band.
    pub coverage_p10_p90: f64,
    /// Median |P50 − actual| over the forecast months, m².
    pub median_abs_error_m2: f64,
    /// The same for the straight line through the last 12 fitted months.
    pub baseline_median_abs_error_m2: f64,
    pub model: RateModel,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(&v, 0.5)
}

/// Fits on the months up to `fit_until` and forecasts the months after it, up to the history's
/// last month.
pub fn hindcast(
    history: &[MonthlyRelease],
    fit_until: YearMonth,
    opts: &HistoryOptions,
) -> Result<Hindcast, HistoryError> {
    let totals = monthly_totals(history);
    let bad = || HistoryError::FitUntil {
        fit_until: fit_until.to_string(),
        first: totals.first().map(|t| t.0.to_string()).unwrap_or_default(),
        last: totals.last().map(|t| t.0.to_string()).unwrap_or_default(),
    };
    let cut = totals.iter().position(|t| t.0 == fit_until).ok_or_else(bad)?;
    if cut + 1 < 6 || cut + 1 >= totals.len() {
        return Err(bad());
    }
    let fitted = &totals[..=cut];
    let after = &totals[cut + 1..];
    let model = fit_rates(fitted)?;
    // The typical path is the P50, the runs give the P10 and P90.
    let (typical, sides) = (
        model.typical_cumulative(after.len()),
        simulate(&model, after.len(), opts, None),
    );
    // Straight line through the last 12 fitted months of the cumulative curve.
    let fitted_m2: Vec<f64> = fitted.iter().map(|t| t.1).collect();
    let (end_fit, slope) = straight_line(&fitted_m2);
    let cum_fitted: f64 = fitted_m2.iter().sum();
    let mut actual = 0.0;
    let mut months = Vec::with_capacity(after.len());
    for (j, (m, v)) in after.iter().enumerate() {
        actual += v;
        let mut side_at: Vec<f64> = sides.iter().map(|p| p[j]).collect();
        side_at.sort_by(f64::total_cmp);
        let p50 = typical[j];
        months.push(HindcastMonth {
            month: m.to_string(),
            actual_cum_m2: actual,
            p10_cum_m2: quantile(&side_at, 0.1).min(p50),
            p50_cum_m2: p50,
            p90_cum_m2: quantile(&side_at, 0.9).max(p50),
            baseline_cum_m2: (end_fit + slope * (j + 1) as f64 - cum_fitted).max(0.0),
        });
    }
    let inside = months
        .iter()
        .filter(|m| m.actual_cum_m2 >= m.p10_cum_m2 && m.actual_cum_m2 <= m.p90_cum_m2)
        .count();
    Ok(Hindcast {
        fit_until: fit_until.to_string(),
        coverage_p10_p90: inside as f64 / months.len() as f64,
        median_abs_error_m2: median(months.iter().map(|m| (m.p50_cum_m2 - m.actual_cum_m2).abs()).collect()),
        baseline_median_abs_error_m2: median(
            months
                .iter()
                .map(|m| (m.baseline_cum_m2 - m.actual_cum_m2).abs())
                .collect(),
        ),
        months,
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model without noise, walk or trend: each month is exactly its typical value.
    fn still_model(level_m2: f64, line_m2_per_month: f64, line_weight: f64) -> RateModel {
        let mut seasonal = [1.0; 12];
        seasonal[0] = 0.5; // January at half the year's pace
        RateModel {
            level_m2,
            level_sigma: 0.0,
            walk_sigma: 0.0,
            trend_per_month: 0.0,
            damping: 0.0,
            band_factor: 1.0,
            skew_up: 1.0,
            skew_down: 1.0,
            seasonal,
            line_m2_per_month,
            line_weight,
            noise: vec![1.0],
            level_age_months: 0.0,
            exceptional_months: Vec::new(),
            last_month: YearMonth::new(2024, 11).unwrap(),
        }
    }

    #[test]
    fn each_forecast_month_combines_the_model_and_the_straight_line() {
        let opts = HistoryOptions { runs: 3, seed: 7 };
        // December: 100,000 m² by the model, 200,000 by the line; a quarter of the line.
        let run = &simulate(&still_model(100_000.0, 200_000.0, 0.25), 3, &opts, None)[0];
        let december = 0.75 * 100_000.0 + 0.25 * 200_000.0;
        // January, at half the year's pace, halves both the model's month and the line's.
        let january = 0.75 * 50_000.0 + 0.25 * 100_000.0;
        assert!((run[0] - december).abs() < 1e-6, "{run:?}");
        assert!((run[1] - run[0] - january).abs() < 1e-6, "{run:?}");
        assert!(
            (run[2] - run[1] - 0.75 * 100_000.0 - 0.25 * 200_000.0).abs() < 1e-6,
            "{run:?}"
        );
        // Without the line's weight the model alone.
        let alone = &simulate(&still_model(100_000.0, 200_000.0, 0.0), 3, &opts, None)[0];
        assert!((alone[2] - 250_000.0).abs() < 1e-6, "{alone:?}");
    }

    #[test]
    fn the_fitted_line_is_the_last_twelve_months_slope() {
        // 100,000 m² a month for two years, then 160,000 for the last six. Least squares through
        // the last 12 points of the cumulative area weighs its 11 steps by i·(12 − i): 125 of 286
        // on the five steps of 100,000, 161 on the six of 160,000.
        let totals: Vec<(YearMonth, f64)> = (0..30)
            .map(|i| {
                (
                    YearMonth::new(2020 + i / 12, (i % 12 + 1) as u32).unwrap(),
                    if i < 24 { 100_000.0 } else { 160_000.0 },
                )
            })
            .collect();
        let m = fit_rates(&totals).unwrap();
        let expected = (125.0 * 100_000.0 + 161.0 * 160_000.0) / 286.0;
        assert_eq!(m.line_weight, LINE_WEIGHT);
        assert!(
            (m.line_m2_per_month - expected).abs() < 1e-6,
            "{} ≠ {expected}",
            m.line_m2_per_month
        );
    }
}
