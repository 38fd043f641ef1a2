//! Text as spreadsheets write it: which field delimiter a CSV file uses, numbers with a decimal
//! comma, and digits grouped by thousands. Pure text functions (no CSV reader here): the crates
//! that read tables share them, so a semicolon file from a spreadsheet in much of Europe reads
//! the same everywhere.

/// Lines of a sample that [`sniff_delimiter`] compares.
const SNIFF_LINES: usize = 50;

/// The field delimiter of a CSV file from a sample of its start (the header line at least):
/// `,`, `;` or tab. The delimiter is the one that splits every line of the sample into as many
/// fields as the header (outside double quotes; blank lines and a last line cut short by the
/// sample aside), the most fields first, a semicolon before a tab before a comma: a semicolon
/// file's header may hold a comma ("Площа, км²") and its numbers decimal commas. When none is
/// that regular, whichever appears most in the header, a comma on a tie or when none does (a
/// single column).
///
/// ```
/// use demine_core::spreadsheet::sniff_delimiter;
/// assert_eq!(sniff_delimiter(b"month;organisation;area_m2\n"), b';');
/// assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
/// assert_eq!(sniff_delimiter("Місяць;Площа, км²\n01.2024;0,5\n02.2024;2\n".as_bytes()), b';');
/// assert_eq!(sniff_delimiter(b"month,area_m2\n2024-01,\"1,500\"\n"), b',');
/// ```
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    // In the order ties go to among regular delimiters.
    const CANDIDATES: [u8; 3] = [b';', b'\t', b','];
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    let mut complete = true;
    for &b in sample {
        complete = false;
        if b == b'"' {
            quoted = !quoted;
        } else if quoted {
            continue;
        } else if b == b'\n' {
            lines.push(counts);
            counts = [0; 3];
            complete = true;
            if lines.len() == SNIFF_LINES {
                break;
            }
        } else if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
            counts[k] += 1;
        }
    }
    // A last line without its end is cut short by the sample, unless it is the only one.
    if !complete && lines.is_empty() {
        lines.push(counts);
    }
    let Some((header, rows)) = lines.split_first() else {
        return b',';
    };
    let rows: Vec<&[usize; 3]> = rows.iter().filter(|r| r.iter().any(|&n| n > 0)).collect();
    let regular = (0..3)
        .filter(|&k| header[k] > 0 && !rows.is_empty() && rows.iter().all(|r| r[k] == header[k]))
        .fold(None, |best: Option<usize>, k| match best {
            Some(b) if header[b] >= header[k] => Some(b),
            _ => Some(k),
        });
    if let Some(k) = regular {
        return CANDIDATES[k];
    }
    // The header alone: most appearances, ties to the comma, then the semicolon.
    [2, 0, 1]
        .into_iter()
        .fold((b',', 0), |best, k| {
            if header[k] > best.1 {
                (CANDIDATES[k], header[k])
            } else {
                best
            }
        })
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

/// Whether the commas in a comma-separated file's column of numbers are decimal: a spreadsheet
/// set to a decimal-comma language (LibreOffice in Ukrainian) that saves with commas between
/// fields quotes its numbers, `"12,5"`. They are when some value has a comma that cannot group
/// thousands (not followed by exactly three digits, or after dots grouping thousands,
/// `1.234,5`) and every value with a comma has one, with no dot after it. Otherwise the commas
/// group thousands, as English spreadsheets write `"1,234.5"` ([`parse_number`] without
/// `decimal_comma`). Values that are not numbers (`Kharkiv, north`, `2024-03-01`) are passed
/// over, so a whole file's cells may be given.
///
/// ```
/// use demine_core::spreadsheet::commas_are_decimal;
/// assert!(commas_are_decimal(["12,5", "1 234,75", "300"]));
/// assert!(commas_are_decimal(["12,5", "12,500"]));
/// assert!(!commas_are_decimal(["1,234", "12,500"]));
/// assert!(!commas_are_decimal(["1,234.5", "12,5"]));
/// assert!(commas_are_decimal(["1.234,5", "12,500"]));
/// assert!(!commas_are_decimal(["12.34,5"]));
/// assert!(commas_are_decimal(["Kharkiv, north", "2024-03-01", "1400,5"]));
/// assert!(!commas_are_decimal(["1,234,567", "12,5"]));
/// assert!(!commas_are_decimal(["750", "12.5"]));
/// ```
pub fn commas_are_decimal<'a>(values: impl IntoIterator<Item = &'a str>) -> bool {
    let mut cannot_group = false;
    let number_like = |v: &str| {
        v.chars().any(|c| c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | ' ' | '\u{a0}' | '\u{202f}'))
    };
    for v in values.into_iter().map(str::trim).filter(|v| number_like(v)) {
        let Some((integer, fraction)) = v.split_once(',') else {
            continue;
        };
        if fraction.contains([',', '.']) {
            return false;
        }
        // Dots before a decimal comma group thousands (`1.234,5`), and say the comma is decimal.
        if integer.contains('.') {
            if ungrouped(integer.trim_start_matches('-'), '.', ',').is_none() {
                return false;
            }
            cannot_group = true;
        }
        cannot_group |= fraction.len() != 3 || !fraction.chars().all(|c| c.is_ascii_digit());
    }
    cannot_group
}

/// Whether the numbers of a `delimiter`-separated file have decimal commas, by
/// [`commas_are_decimal`] over the cells of its lines after the header (double quotes honoured,
/// `""` a quote). `whole`: `bytes` are the whole file; otherwise a sample of its start, whose
/// text after the last line break may be cut short (`"1,2` of `"1,234"`) and is left out. The
/// one pass readers that parse the file afterwards make to choose `parse_number`'s
/// `decimal_comma`.
///
/// ```
/// use demine_core::spreadsheet::file_has_decimal_commas;
/// assert!(file_has_decimal_commas(b"id,lon\nF1,\"32,0015\"\nF2,33\n", b',', true));
/// assert!(!file_has_decimal_commas(b"id,area\nF1,\"1,500\"\n", b',', true));
/// assert!(!file_has_decimal_commas(b"id,area\nF1,\"1,500\"\nF2,\"1,2", b',', false));
/// assert!(file_has_decimal_commas(b"id\tarea\nF1\t12,5", b'\t', true));
/// ```
pub fn file_has_decimal_commas(bytes: &[u8], delimiter: u8, whole: bool) -> bool {
    let mut cells: Vec<String> = Vec::new();
    let (mut line, mut cell): (Vec<String>, Vec<u8>) = (Vec::new(), Vec::new());
    let (mut quoted, mut header) = (false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            match (b, bytes.get(i + 1)) {
                (b'"', Some(b'"')) => {
                    cell.push(b'"');
                    i += 1;
                }
                (b'"', _) => quoted = false,
                _ => cell.push(b),
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == delimiter || b == b'\n' {
            line.push(String::from_utf8_lossy(&std::mem::take(&mut cell)).into_owned());
            if b == b'\n' {
                if !header {
                    cells.append(&mut line);
                }
                line.clear();
                header = false;
            }
        } else if b != b'\r' {
            cell.push(b);
        }
        i += 1;
    }
    if whole && !header {
        line.push(String::from_utf8_lossy(&cell).into_owned());
        cells.append(&mut line);
    }
    commas_are_decimal(cells.iter().map(String::as_str))
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
    group_thousands_to(x, 0)
}

/// [`group_thousands`] with `decimals` digits after the decimal point.
///
/// ```
/// use demine_core::spreadsheet::group_thousands_to;
/// assert_eq!(group_thousands_to(91_659.94, 1), "91,659.9");
/// assert_eq!(group_thousands_to(-1_081.75, 2), "-1,081.75");
/// assert_eq!(group_thousands_to(-0.04, 1), "0.0");
/// ```
pub fn group_thousands_to(x: f64, decimals: usize) -> String {
    let fixed = format!("{:.decimals$}", x.abs());
    let (digits, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::with_capacity(fixed.len() + digits.len() / 3 + 1);
    if x < 0.0 && fixed.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// Where a text's lines begin, to place a CSV record at the line it starts on. A CSV reader's
/// own line count leaves out the blank lines it skips; its byte offset is exact but is where the
/// record before ended.
///
/// ```
/// use demine_core::spreadsheet::LineIndex;
/// let text = b"month,area_m2\r\n2024-01,5\r\n\r\n2024-02,-5\r\n";
/// let lines = LineIndex::new(text);
/// // A reader places the third record at the end of the second (byte 24).
/// assert_eq!((lines.line_at(0), lines.line_at(15), lines.line_at(24)), (1, 2, 4));
/// ```
pub struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offsets of the text's line feeds.
    line_feeds: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        let line_feeds = (0..text.len()).filter(|&k| text[k] == b'\n').collect();
        LineIndex { text, line_feeds }
    }

    /// The line (from 1) of the record a reader placed at `byte`: the line ends and blank lines
    /// from there are passed over.
    pub fn line_at(&self, byte: u64) -> u64 {
        let mut at = byte as usize;
        while at < self.text.len() && matches!(self.text[at], b'\n' | b'\r') {
            at += 1;
        }
        1 + self.line_feeds.partition_point(|&line_feed| line_feed < at) as u64
    }
}
