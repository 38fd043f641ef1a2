//! Text helpers: HTML escaping and number formatting with units.
//!
//! Every number a reader sees carries its unit, and the number and its unit are joined by a
//! non-breaking space (`&nbsp;`) so that a line never breaks between them.

use crate::lang::{Lang, Noun};
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

/// Groups the digits of an unsigned integer by thousands: `1234567` → `1,234,567` in English,
/// `1 234 567` (no-break spaces) in Ukrainian.
pub fn thousands(lang: Lang, n: u64) -> String {
    let en = demine_core::spreadsheet::group_thousands(n as f64);
    match lang {
        Lang::En => en,
        Lang::Uk => en.replace(',', "\u{a0}"),
    }
}

/// A non-negative figure rounded to `decimals`, integer part grouped by thousands; a decimal
/// point in English, a decimal comma in Ukrainian.
/// Negative values (clipping noise) and non-finite values are shown as zero.
pub fn grouped(lang: Lang, x: f64, decimals: usize) -> String {
    let x = if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let en = demine_core::spreadsheet::group_thousands_to(x, decimals);
    match lang {
        Lang::En => en,
        // Thousands first, so that the decimal comma is not taken for one.
        Lang::Uk => en.replace(',', "\u{a0}").replace('.', ","),
    }
}

/// The decimal mark: a point in English, a comma in Ukrainian.
pub fn decimal_mark(lang: Lang) -> char {
    match lang {
        Lang::En => '.',
        Lang::Uk => ',',
    }
}

/// `text` (a figure or a range written with decimal points, `0.1–0.3`) with the language's
/// decimal mark.
pub fn with_decimal_mark(lang: Lang, text: &str) -> String {
    text.replace('.', decimal_mark(lang).encode_utf8(&mut [0; 4]))
}

/// The unit m² in `lang`.
pub fn unit_m2(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "m²",
        Lang::Uk => "м²",
    }
}

/// The unit km² in `lang`.
pub fn unit_km2(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "km²",
        Lang::Uk => "км²",
    }
}

/// An area in m², whole square metres: `1,234,567&nbsp;m²`.
pub fn m2(lang: Lang, x: f64) -> String {
    format!("{}&nbsp;{}", grouped(lang, x, 0), unit_m2(lang))
}

/// An area in km², three decimals: `1.235&nbsp;km²`.
pub fn km2(lang: Lang, x_m2: f64) -> String {
    format!("{}&nbsp;{}", grouped(lang, x_m2 / 1e6, 3), unit_km2(lang))
}

/// A share of a whole, one decimal: `45.6&nbsp;%`; a dash when the whole is zero.
pub fn pct(lang: Lang, part: f64, whole: f64) -> String {
    if whole > 0.0 && whole.is_finite() {
        format!("{}&nbsp;%", grouped(lang, 100.0 * part / whole, 1))
    } else {
        "—".to_string()
    }
}

/// A count with its noun: `1&nbsp;hazard`, `12,000&nbsp;hazards`, `21&nbsp;небезпечна ділянка`.
pub fn count(lang: Lang, n: usize, noun: Noun) -> String {
    format!("{}&nbsp;{}", thousands(lang, n as u64), noun.form(lang, n as u64))
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
        let en = Lang::En;
        assert_eq!(thousands(en, 0), "0");
        assert_eq!(thousands(en, 999), "999");
        assert_eq!(thousands(en, 1000), "1,000");
        assert_eq!(thousands(en, 1_234_567), "1,234,567");
        assert_eq!(m2(en, 1_234_567.4), "1,234,567&nbsp;m²");
        assert_eq!(km2(en, 1_234_567.4), "1.235&nbsp;km²");
        assert_eq!(km2(en, 2_345_678_901.0), "2,345.679&nbsp;km²");
        assert_eq!(m2(en, -0.001), "0&nbsp;m²");
        assert_eq!(pct(en, 1.0, 3.0), "33.3&nbsp;%");
        assert_eq!(pct(en, 1.0, 0.0), "—");
        assert_eq!(count(en, 1, Noun::Hazard), "1&nbsp;hazard");
        assert_eq!(count(en, 1200, Noun::Hazard), "1,200&nbsp;hazards");
        // Ukrainian: no-break spaces between thousands, a decimal comma, Cyrillic units.
        let uk = Lang::Uk;
        assert_eq!(km2(uk, 2_345_678_901.0), "2\u{a0}345,679&nbsp;км²");
        assert_eq!(m2(uk, 1_234_567.4), "1\u{a0}234\u{a0}567&nbsp;м²");
        assert_eq!(pct(uk, 1.0, 3.0), "33,3&nbsp;%");
        assert_eq!(count(uk, 22, Noun::Hazard), "22&nbsp;небезпечні ділянки");
        assert_eq!(count(uk, 1200, Noun::Item), "1\u{a0}200&nbsp;предметів");
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
