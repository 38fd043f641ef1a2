//! Text as spreadsheets write it: which field delimiter a CSV header line uses, and numbers with
//! a decimal comma. Pure text functions (no CSV reader here): the crates that read tables share
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
/// (`decimal_comma`: the file is not comma-separated), and spaces between digit groups (`1 234`,
/// also with no-break spaces, as Ukrainian and French number formats group thousands).
///
/// ```
/// use demine_core::spreadsheet::parse_number;
/// assert_eq!(parse_number("0,25", true), Ok(0.25));
/// assert!(parse_number("0,25", false).is_err());
/// assert!(parse_number("1,234,5", true).is_err());
/// assert_eq!(parse_number("1 234 567,5", true), Ok(1_234_567.5));
/// assert_eq!(parse_number("1\u{a0}234", false), Ok(1234.0));
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
    match s.parse::<f64>() {
        Err(e) if decimal_comma && s.matches(',').count() == 1 && !s.contains('.') => {
            s.replacen(',', ".", 1).parse::<f64>().map_err(|_| e)
        }
        r => r,
    }
}
