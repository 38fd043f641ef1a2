//! A quarter's row among a history's months (`Q1 2024`, `2024-Q1`, `I кв. 2024`): reports
//! often total each quarter under its months. Such a row is the sum of the quarter's months
//! above it, checked and left aside; a quarter without its months is refused, since the
//! forecast learns from each month's release and a quarter's split between its months is not
//! known.

use super::{group_thousands, rounded_equal, MonthlyRelease, YearMonth};

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub quarter: u32,
}

impl Quarter {
    /// A quarter as reports write it: `2024-Q1`, `2024 Q1`, `2024Q1`, `Q1 2024`, `Q1-2024`,
    /// `q1/2024`, or in Ukrainian `1 кв. 2024`, `I квартал 2024 р.`, `І кв 2024` (Roman numerals
    /// in Latin or Cyrillic letters).
    ///
    /// ```
    /// use demine_plan::history::Quarter;
    /// let q1 = Some(Quarter { year: 2024, quarter: 1 });
    /// for s in ["2024-Q1", "2024 q1", "2024Q1", "Q1 2024", "Q1-2024", "Q1/2024", "1 кв. 2024", "I квартал 2024 р.", "І кв 2024"] {
    ///     assert_eq!(Quarter::parse(s), q1, "{s}");
    /// }
    /// assert_eq!(Quarter::parse("2024-Q5"), None);
    /// assert_eq!(Quarter::parse("2024-03"), None);
    /// assert_eq!(Quarter::parse("Q1"), None);
    /// ```
    pub fn parse(cell: &str) -> Option<Quarter> {
        let lower = cell.trim().to_lowercase();
        let mut words: Vec<&str> = lower.split([' ', '-', '/', '_']).filter(|w| !w.is_empty()).collect();
        if matches!(words.last(), Some(&("р." | "р" | "року" | "year"))) {
            words.pop();
        }
        let year = |w: &str| {
            (w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
                .then(|| w.parse::<i32>().ok())
                .flatten()
                .filter(|y| super::HISTORY_YEARS.contains(y))
        };
        // The year first or last; what is left names the quarter of that year.
        let (year, of_year) = match words.as_slice() {
            [one] if one.len() == 6 && one.is_ascii() => (year(&one[..4])?, one[4..].to_string()),
            [first, rest @ ..] if year(first).is_some() => (year(first)?, rest.concat()),
            [rest @ .., last] => (year(last)?, rest.concat()),
            [] => return None,
        };
        Some(Quarter {
            year,
            quarter: quarter_of_year(&of_year)?,
        })
    }

    /// The quarter's first and last months.
    pub fn months(self) -> (YearMonth, YearMonth) {
        let first = YearMonth {
            year: self.year,
            month: self.quarter * 3 - 2,
        };
        (first, first.plus(2))
    }

    fn holds(self, month: YearMonth) -> bool {
        let (first, last) = self.months();
        (first..=last).contains(&month)
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.quarter)
    }
}

/// The quarter a label names without its year, as pivot tables group dates and reports write
/// it: `Qtr1`, `Q1`, `Quarter 1`, `Кв-л1`, `Квартал 1`, `1 кв.`, `I квартал` (Roman numerals
/// in Latin or Cyrillic letters). `None` for anything else.
///
/// ```
/// use demine_plan::history::quarter_of_year;
/// for (s, q) in [("Qtr1", 1), ("Q2", 2), ("Quarter 3", 3), ("Кв-л4", 4), ("Квартал 1", 1), ("2 кв.", 2), ("ІІІ квартал", 3)] {
///     assert_eq!(quarter_of_year(s), Some(q), "{s}");
/// }
/// for s in ["Q5", "QI", "2024", "Квартира 1", "HALO"] {
///     assert_eq!(quarter_of_year(s), None, "{s}");
/// }
/// ```
pub fn quarter_of_year(label: &str) -> Option<u32> {
    // Cyrillic і looks like Latin i: a Roman numeral may be typed in either.
    let compact: String = label
        .trim()
        .to_lowercase()
        .replace('і', "i")
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '_'))
        .collect();
    // Longest word first: `кв` begins `квартал`.
    ["квартал", "quarter", "qtr", "квл", "кв", "q"].iter().find_map(|word| {
        let number = compact.strip_prefix(word).or_else(|| compact.strip_suffix(word))?;
        // A bare `q` with a Roman numeral (`QI`) is more likely a name than a quarter.
        let roman_allowed = *word != "q";
        match number {
            "1" => Some(1),
            "2" => Some(2),
            "3" => Some(3),
            "4" => Some(4),
            "i" if roman_allowed => Some(1),
            "ii" if roman_allowed => Some(2),
            "iii" if roman_allowed => Some(3),
            "iv" if roman_allowed => Some(4),
            _ => None,
        }
    })
}

/// Checks a quarter's row of `total_m2` against the months of that quarter above it
/// (`above`). `organisations` are whose months it may total, tried in turn (`None`: every
/// organisation's): the one the row names, or for a row with none in a pivot table the one
/// named above it, then all. With `cumulative` figures the quarter's total is its last
/// month's. The problem, for the caller to place, when it is none of those or no month of the
/// quarter is above it.
pub(super) fn check_quarter_row(
    cell: &str,
    quarter: Quarter,
    total_m2: f64,
    organisations: &[Option<&str>],
    cumulative: bool,
    above: &[MonthlyRelease],
) -> Result<(), String> {
    let (first, last) = quarter.months();
    let sum_m2 = |organisation: Option<&str>| -> Option<f64> {
        let months: Vec<&MonthlyRelease> = above
            .iter()
            .filter(|r| quarter.holds(r.month) && organisation.is_none_or(|o| r.organisation == o))
            .collect();
        if months.is_empty() {
            return None;
        }
        if !cumulative {
            return Some(months.iter().map(|r| r.area_m2).sum());
        }
        // A total to date at the quarter's end is each organisation's last month's.
        let mut last_of: Vec<(&str, YearMonth, f64)> = Vec::new();
        for r in months {
            match last_of.iter_mut().find(|(o, _, _)| *o == r.organisation) {
                Some(entry) if entry.1 < r.month => *entry = (&r.organisation, r.month, r.area_m2),
                Some(_) => {}
                None => last_of.push((&r.organisation, r.month, r.area_m2)),
            }
        }
        Some(last_of.iter().map(|(_, _, a)| a).sum())
    };
    let sums: Vec<(Option<&str>, f64)> = organisations
        .iter()
        .filter_map(|&o| sum_m2(o).map(|sum| (o, sum)))
        .collect();
    let Some(&(organisation, first_sum_m2)) = sums.first() else {
        return Err(format!(
            "'{cell}' is a quarter, not a month, and none of its months is above it; a forecast learns from each month's release: give a row for each month, {first} to {last}, or remove the row"
        ));
    };
    if sums.iter().any(|&(_, sum)| rounded_equal(total_m2, sum)) {
        return Ok(());
    }
    let whose = organisation.map_or(String::new(), |o| format!(" for {o}"));
    let (total, sum) = (group_thousands(total_m2), group_thousands(first_sum_m2));
    Err(if cumulative {
        format!(
            "'{cell}' is a quarter's total to date, but its {total} m² is not the total to date in the last of its months above it{whose} ({sum} m²): correct it or remove the row"
        )
    } else {
        format!(
            "'{cell}' is a quarter's total, but its {total} m² is not the sum of the months of {quarter} above it{whose} ({sum} m²): correct it or remove the row"
        )
    })
}
