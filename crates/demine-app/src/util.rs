//! Small checks every use case shares: dates, shares, `KEY=NUMBER` lists.

use crate::{AppError, AppResult};
use chrono::NaiveDate;

/// A date given as `what` (an option or field name), or a refusal saying how to write it.
pub fn parse_date(what: &str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::refused(format!(
            "{what} '{s}' is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01"
        ))
    })
}

/// An optional date option.
pub fn parse_opt_date(what: &str, s: Option<&str>) -> AppResult<Option<NaiveDate>> {
    s.map(|s| parse_date(what, s)).transpose()
}

/// Today, in UTC (the registry's day).
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A share between 0 and 1.
pub fn check_share(what: &str, v: Option<f64>) -> AppResult<Option<f64>> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) || !x.is_finite() => {
            Err(AppError::refused(format!("{what} {x} must be a share between 0 and 1")))
        }
        _ => Ok(v),
    }
}

/// `manual=0.99,mdd=0.9` → pairs (keys lower-cased).
pub fn parse_pairs(what: &str, s: &str) -> Result<Vec<(String, f64)>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("{what} '{p}': write NAME=NUMBER, e.g. manual=0.99"))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("{what} '{p}': '{v}' is not a number"))?;
            Ok((k.trim().to_lowercase(), v))
        })
        .collect()
}

/// The language of a report or certificate: `en` or `uk`.
pub fn report_lang(code: &str) -> AppResult<demine_report::Lang> {
    demine_report::Lang::parse(code).ok_or_else(|| {
        AppError::refused(format!(
            "language '{code}' is not supported: use en (English) or uk (Ukrainian)"
        ))
    })
}

/// Checks a `--from`/`--to` period.
pub fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> AppResult<()> {
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::refused(format!(
                "--to {t} is before --from {f}; give a period that ends after it starts"
            )));
        }
    }
    Ok(())
}

/// Writes a file whole or not at all.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> AppResult<()> {
    Ok(demine_io::write_atomically(path, bytes)?)
}

/// The time now, as the registry writes timestamps (RFC 3339, UTC, milliseconds).
pub fn now_stamp() -> String {
    demine_store::now_stamp()
}
