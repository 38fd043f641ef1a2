//! Text as spreadsheets write it: which field delimiter a CSV header line uses, numbers with
//! a decimal comma, and digits grouped by thousands. Pure text functions (no CSV reader here): the crates that read tables share
//! them, so a semicolon file from a spreadsheet in much of Europe reads the same everywhere.

/// The field delimiter of a CSV header line: `,`, `;` or tab, whichever appears most outside
/// double quotes (a comma when none does, e.g. a single column).
///
/// ```
/// use demine_core::spreadsheet::sniff_delimiter;
/// assert_eq!(sniff_delimiter(b"month;organisation;area_m2\n"), b';');
/// assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
/// ```
pub fn sniff_delimiter(header_line: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in header_line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut().filter(|c| c.0 == b) {
                c.1 += 1;
            }
        }
    }
    // Ties go to the earlier candidate: the comma first.
    counts
        .iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best })
        .0
}

/// A number, with a decimal comma accepted where the file's delimiter leaves it unambiguous
/// (`decimal_comma`: the file is not comma-separated), and thousands grouped by spaces (`1 234`,
/// also with no-break spaces, as Ukrainian and French number formats group them), by commas in a
/// comma-separated file (`"1,234,567.5"`, quoted, as English spreadsheets export formatted
/// numbers) or by dots where the comma is decimal (`1.234.567,5`). Groups must be whole: three
/// digits after a first group of one to three that does not start with 0.
///
/// ```
/// use demine_core::spreadsheet::parse_number;
/// assert_eq!(parse_number("0,25", true), Ok(0.25));
/// assert!(parse_number("0,25", false).is_err());
/// assert!(parse_number("1,234,5", true).is_err());
/// assert_eq!(parse_number("1 234 567,5", true), Ok(1_234_567.5));
/// assert_eq!(parse_number("1\u{a0}234", false), Ok(1234.0));
/// assert_eq!(parse_number("1,234,567.5", false), Ok(1_234_567.5));
/// assert_eq!(parse_number("1.234.567,5", true), Ok(1_234_567.5));
/// assert!(parse_number("12,34,567", false).is_err());
/// assert!(parse_number("0,250", false).is_err());
/// ```
pub fn parse_number(s: &str, decimal_comma: bool) -> Result<f64, std::num::ParseFloatError> {
    let grouped =
        s.contains([' ', '\u{a0}', '\u{202f}']) && s.trim().starts_with(|c: char| c.is_ascii_digit() || c == '-');
    let joined;
    let s = if grouped {
        joined = s.trim().replace([' ', '\u{a0}', '\u{202f}'], "");
        joined.as_str()
    } else {
        s
    };
    let (group, decimal) = if decimal_comma { ('.', ',') } else { (',', '.') };
    match s.parse::<f64>() {
        Err(e) if s.contains(group) => ungrouped(s.trim(), group, decimal).ok_or(e)?.parse::<f64>(),
        Err(e) if decimal_comma && s.matches(',').count() == 1 && !s.contains('.') => {
            s.replacen(',', ".", 1).parse::<f64>().map_err(|_| e)
        }
        r => r,
    }
}

/// `s` without its thousands separators `group` and with `decimal` as `.`, when its digit groups
/// are whole (see [`parse_number`]); `None` otherwise.
fn ungrouped(s: &str, group: char, decimal: char) -> Option<String> {
    let (sign, unsigned) = s.strip_prefix('-').map_or(("", s), |rest| ("-", rest));
    let (integer, fraction) = match unsigned.split_once(decimal) {
        Some((i, f)) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => (i, Some(f)),
        Some(_) => return None,
        None => (unsigned, None),
    };
    let groups: Vec<&str> = integer.split(group).collect();
    let digits = |g: &str| g.chars().all(|c| c.is_ascii_digit());
    let first_ok = (1..=3).contains(&groups[0].len()) && digits(groups[0]) && !groups[0].starts_with('0');
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3 && digits(g));
    (groups.len() > 1 && first_ok && rest_ok).then(|| {
        let mut out = format!("{sign}{}", groups.concat());
        if let Some(f) = fraction {
            out.push('.');
            out.push_str(f);
        }
        out
    })
}

/// Whether the dots in a decimal-comma file's column of numbers group thousands: some value
/// has a dot, and every dot is followed by whole groups of three digits (`12.500`, `1.234.567,5`).
/// A German or Ukrainian spreadsheet writes 12 500 m² as `12.500`; software that writes decimal
/// dots would write `12.5`. Strip the dots before [`parse_number`] when this holds.
///
/// ```
/// use demine_core::spreadsheet::dots_group_thousands;
/// assert!(dots_group_thousands(["12.500", "2.000", "750", "1.234.567,5"]));
/// assert!(!dots_group_thousands(["12.500", "2.5"]));
/// assert!(!dots_group_thousands(["750", "1 000,5"]));
/// ```
pub fn dots_group_thousands<'a>(values: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for v in values {
        let v = v.trim();
        if !v.contains('.') {
            continue;
        }
        any = true;
        let integer = v.split(',').next().unwrap_or("");
        if v.matches(',').count() > 1 || ungrouped(integer, '.', ',').is_none() {
            return false;
        }
    }
    any
}

/// A figure rounded to whole units, its digits grouped by thousands with commas, as people read
/// it in English text.
///
/// ```
/// use demine_core::spreadsheet::group_thousands;
/// assert_eq!(group_thousands(1_234_567.8), "1,234,568");
/// assert_eq!(group_thousands(-999.4), "-999");
/// assert_eq!(group_thousands(0.0), "0");
/// ```
pub fn group_thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if x < 0.0 && digits != "0" {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
