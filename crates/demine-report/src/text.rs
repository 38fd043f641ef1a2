//! Text helpers: HTML escaping and number formatting with units.
//!
//! Every number a reader sees carries its unit, and the number and its unit are joined by a
//! non-breaking space (`&nbsp;`) so that a line never breaks between them.

use std::fmt::Write;

/// Escapes text for HTML element content and for quoted attribute values.
///
/// Everything that comes from user data (ids, names, titles) goes through here.
///
/// ```
/// assert_eq!(
///     demine_report::escape(r#"<script>alert("x&'y")</script>"#),
///     "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
/// );
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in HTML text.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Groups the digits of an unsigned integer by thousands: `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    demine_core::spreadsheet::group_thousands(n as f64)
}

/// A non-negative figure rounded to `decimals`, integer part grouped by thousands.
/// Negative values (clipping noise) and non-finite values are shown as zero.
pub fn grouped(x: f64, decimals: usize) -> String {
    let x = if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let fixed = format!("{x:.decimals$}");
    let (int, frac) = match fixed.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (fixed.as_str(), None),
    };
    let mut out = thousands(int.parse::<u64>().unwrap_or(0));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An area in m², whole square metres: `1,234,567&nbsp;m²`.
pub fn m2(x: f64) -> String {
    format!("{}&nbsp;m²", grouped(x, 0))
}

/// An area in km², three decimals: `1.235&nbsp;km²`.
pub fn km2(x_m2: f64) -> String {
    format!("{}&nbsp;km²", grouped(x_m2 / 1e6, 3))
}

/// A share of a whole, one decimal: `45.6&nbsp;%`; a dash when the whole is zero.
pub fn pct(part: f64, whole: f64) -> String {
    if whole > 0.0 && whole.is_finite() {
        format!("{}&nbsp;%", grouped(100.0 * part / whole, 1))
    } else {
        "—".to_string()
    }
}

/// A count with its noun: `1&nbsp;hazard`, `12,000&nbsp;hazards`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!(
        "{}&nbsp;{}",
        thousands(n as u64),
        if n == 1 { singular } else { plural }
    )
}

/// Writes an SVG coordinate with at most one decimal and no trailing `.0`.
pub fn push_coord(out: &mut String, v: f64) {
    let tenths = (v * 10.0).round() as i64;
    let (sign, abs) = if tenths < 0 { ("-", -tenths) } else { ("", tenths) };
    let (int, frac) = (abs / 10, abs % 10);
    if frac == 0 {
        let _ = write!(out, "{sign}{int}");
    } else {
        let _ = write!(out, "{sign}{int}.{frac}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        let hostile = r#"<script>alert('x')</script>" onmouseover="evil()"#;
        let e = escape(hostile);
        assert!(
            !e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''),
            "{e}"
        );
        assert!(e.starts_with("&lt;script&gt;"), "{e}");
        assert_eq!(escape("a & b"), "a &amp; b");
        assert_eq!(escape("Ukraïna — Харків"), "Ukraïna — Харків");
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn numbers_are_grouped_and_carry_units() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(m2(1_234_567.4), "1,234,567&nbsp;m²");
        assert_eq!(km2(1_234_567.4), "1.235&nbsp;km²");
        assert_eq!(km2(2_345_678_901.0), "2,345.679&nbsp;km²");
        assert_eq!(m2(-0.001), "0&nbsp;m²");
        assert_eq!(pct(1.0, 3.0), "33.3&nbsp;%");
        assert_eq!(pct(1.0, 0.0), "—");
        assert_eq!(count(1, "hazard", "hazards"), "1&nbsp;hazard");
        assert_eq!(count(1200, "hazard", "hazards"), "1,200&nbsp;hazards");
    }

    #[test]
    fn coordinates_are_short() {
        let mut s = String::new();
        for v in [12.0, 12.34, -0.04, -3.25, 999.96] {
            push_coord(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "12 12.3 0 -3.3 1000 ");
    }
}
