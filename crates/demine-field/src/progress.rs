//! Daily progress reports: what a team cleared on one day, checked against what is possible.
//!
//! A report is refused when its land lies outside the task (more than [`OUTSIDE_TOLERANCE`] of
//! it), when it claims more land than the team kind can physically work in the hours reported
//! (a configurable ceiling in m² per hour), when its date is in the future, or when its hours
//! do not fit in a day. Land already cleared by earlier work is a warning, not an error: teams
//! re-clear after a QA failure, but the registry counts land once.

use chrono::NaiveDate;
use demine_core::geodesy::area_m2;
use geo::{BooleanOps, MultiPolygon};
use serde::Serialize;
use std::collections::BTreeMap;

/// Share of a report's land that may lie outside its task (digitising noise along the edge).
pub const OUTSIDE_TOLERANCE: f64 = 0.005;

/// Ceilings in m² per team-hour by team kind: a little above the best days reported for each
/// kind (manual ≈ 10–50 m² per deminer per day, a team of up to 10; dogs ≈ 400–900 m² per pair
/// per day; machines thousands per day). Configurable: they are plausibility limits, not targets.
pub const DEFAULT_MAX_M2_PER_HOUR: &[(&str, f64)] = &[
    ("manual", 150.0),
    ("mdd", 400.0),
    ("mechanical", 2500.0),
    ("ts", 2500.0),
    ("nts", 50000.0),
];

/// One day's work of one team on one task (the registry record).
pub use demine_core::DailyProgress as ProgressReport;

/// A refused report, with the field and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressProblem {
    pub field: &'static str,
    pub message: String,
}

/// What the checks found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProgressCheck {
    pub errors: Vec<ProgressProblem>,
    pub warnings: Vec<ProgressProblem>,
    /// Geodesic area of the report's land inside the task, m².
    pub area_m2: f64,
    /// Of which already cleared before, m².
    pub already_cleared_m2: f64,
}

/// Checks one report against its task and the land already cleared there.
pub fn check_report(
    r: &ProgressReport,
    task: &MultiPolygon<f64>,
    already_cleared: &MultiPolygon<f64>,
    today: NaiveDate,
    max_m2_per_hour: &BTreeMap<String, f64>,
) -> ProgressCheck {
    let mut out = ProgressCheck::default();
    let mut err = |field, message: String| out.errors.push(ProgressProblem { field, message });
    if r.date > today {
        err(
            "date",
            format!(
                "{} is in the future (today is {today}); report work on the day it was done",
                r.date
            ),
        );
    }
    if !(r.hours.is_finite() && r.hours > 0.0 && r.hours <= 24.0) {
        err(
            "hours",
            format!(
                "{} hours worked: give the hours on site, more than 0 and at most 24",
                r.hours
            ),
        );
    }
    if !(r.downtime_hours.is_finite() && r.downtime_hours >= 0.0 && r.hours + r.downtime_hours <= 24.0) {
        err(
            "downtime_hours",
            format!(
                "{} h downtime with {} h worked does not fit in a day (0 ≤ downtime, sum ≤ 24)",
                r.downtime_hours, r.hours
            ),
        );
    }
    if r.downtime_hours > 0.0 && r.downtime_reason.as_deref().is_none_or(|s| s.trim().is_empty()) {
        err(
            "downtime_reason",
            "downtime without a reason: say why (weather, medevac, equipment, …)".into(),
        );
    }
    let kind = r.team_kind.to_lowercase();
    let total = area_m2(&r.geometry);
    if total.is_nan() || total <= 0.0 {
        err(
            "geometry",
            "the land reported has no area; give the cleared polygon or lane numbers".into(),
        );
        return out;
    }
    let inside = r.geometry.intersection(task);
    let inside_m2 = area_m2(&inside);
    let outside_m2 = (total - inside_m2).max(0.0);
    if outside_m2 > OUTSIDE_TOLERANCE * total {
        err(
            "geometry",
            format!(
                "{outside_m2:.0} m² ({:.1} %) of the land reported lies outside task {}; clip it to the task or report it on the right task",
                100.0 * outside_m2 / total,
                r.hazard_id
            ),
        );
    }
    match max_m2_per_hour.get(&kind) {
        None => err(
            "team_kind",
            format!(
                "unknown team kind '{}'; one of {}",
                r.team_kind,
                max_m2_per_hour.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ),
        Some(&cap) => {
            let possible = cap * r.hours.max(0.0);
            if inside_m2 > possible {
                err(
                    "geometry",
                    format!(
                        "{inside_m2:.0} m² in {} h is more than a {kind} team can work ({cap:.0} m²/h, so at most {possible:.0} m²); check the polygon and the hours, or raise the ceiling with --max-m2-per-hour {kind}=…",
                        r.hours
                    ),
                );
            }
        }
    }
    if !already_cleared.0.is_empty() {
        let again = area_m2(&inside.intersection(already_cleared));
        out.already_cleared_m2 = again;
        if again > 0.01 * inside_m2.max(1.0) {
            out.warnings.push(ProgressProblem {
                field: "geometry",
                message: format!(
                    "{again:.0} m² ({:.0} %) of this land was already cleared; it counts once in land release",
                    100.0 * again / inside_m2
                ),
            });
        }
    }
    out.area_m2 = inside_m2;
    out
}

/// Productivity of one group (team kind, terrain) over its reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Productivity {
    pub team_kind: String,
    pub terrain: String,
    pub reports: usize,
    pub area_m2: f64,
    pub hours: f64,
    pub downtime_hours: f64,
    pub m2_per_hour: f64,
    /// Mean area per report (a team-day), m².
    pub m2_per_team_day: f64,
    /// Spread of m² per team-day (sample standard deviation; 0 with one report).
    pub sd_m2_per_team_day: f64,
    pub finds: u64,
}

/// Productivity per (team kind, terrain), from (report, area m²) pairs.
pub fn productivity(reports: &[(ProgressReport, f64)]) -> Vec<Productivity> {
    let mut groups: BTreeMap<(String, String), Vec<&(ProgressReport, f64)>> = BTreeMap::new();
    for r in reports {
        let terrain = r.0.terrain.clone().unwrap_or_else(|| "unknown".into());
        groups
            .entry((r.0.team_kind.to_lowercase(), terrain))
            .or_default()
            .push(r);
    }
    groups
        .into_iter()
        .map(|((team_kind, terrain), rs)| {
            let n = rs.len() as f64;
            let area: f64 = rs.iter().map(|r| r.1).sum();
            let hours: f64 = rs.iter().map(|r| r.0.hours).sum();
            let mean = area / n;
            let var = if rs.len() > 1 {
                rs.iter().map(|r| (r.1 - mean).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            Productivity {
                team_kind,
                terrain,
                reports: rs.len(),
                area_m2: area,
                hours,
                downtime_hours: rs.iter().map(|r| r.0.downtime_hours).sum(),
                m2_per_hour: if hours > 0.0 { area / hours } else { 0.0 },
                m2_per_team_day: mean,
                sd_m2_per_team_day: var.sqrt(),
                finds: rs.iter().map(|r| u64::from(r.0.finds)).sum(),
            }
        })
        .collect()
}

/// Parses lane ranges such as "1-20" or "1-5,8,10-12" into lane numbers.
pub fn parse_lane_ranges(s: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (a, b): (usize, usize) = match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) if a >= 1 && a <= b => (a, b),
            _ => {
                return Err(format!(
                    "'{part}' is not a lane range; write e.g. 1-20 or 1-5,8,10-12 (lanes count from 1)"
                ))
            }
        };
        out.extend(a..=b);
    }
    if out.is_empty() {
        return Err("no lanes given; write e.g. 1-20".into());
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x0: f64, x1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: 50.0), (x: x1, y: 50.0), (x: x1, y: 50.0002), (x: x0, y: 50.0002)],
        ])
    }

    fn report(geometry: MultiPolygon<f64>, hours: f64, date: &str) -> ProgressReport {
        ProgressReport {
            id: "P1".into(),
            date: date.parse().unwrap(),
            hazard_id: "H1".into(),
            team: "T1".into(),
            team_kind: "manual".into(),
            geometry,
            hours,
            downtime_hours: 0.0,
            downtime_reason: None,
            finds: 0,
            lanes: None,
            terrain: None,
            area_m2: 0.0,
            activity_id: None,
        }
    }

    fn caps() -> BTreeMap<String, f64> {
        DEFAULT_MAX_M2_PER_HOUR
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    #[test]
    fn impossible_reports_are_refused() {
        let task = sq(30.0, 30.001); // ~71 m × 22 m ≈ 1,590 m²
        let today: NaiveDate = "2025-06-30".parse().unwrap();
        let empty = MultiPolygon(vec![]);
        let ok = check_report(
            &report(sq(30.0, 30.0005), 8.0, "2025-06-01"),
            &task,
            &empty,
            today,
            &caps(),
        );
        assert!(ok.errors.is_empty(), "{:?}", ok.errors);
        let future = check_report(
            &report(sq(30.0, 30.0005), 8.0, "2025-07-01"),
            &task,
            &empty,
            today,
            &caps(),
        );
        assert_eq!(future.errors[0].field, "date");
        let outside = check_report(
            &report(sq(30.0005, 30.0015), 8.0, "2025-06-01"),
            &task,
            &empty,
            today,
            &caps(),
        );
        assert!(outside.errors.iter().any(|e| e.message.contains("outside task")));
        let fast = check_report(
            &report(sq(30.0, 30.001), 1.0, "2025-06-01"),
            &task,
            &empty,
            today,
            &caps(),
        );
        assert!(fast
            .errors
            .iter()
            .any(|e| e.message.contains("more than a manual team")));
        let again = check_report(
            &report(sq(30.0, 30.0005), 8.0, "2025-06-01"),
            &task,
            &sq(30.0, 30.0003),
            today,
            &caps(),
        );
        assert!(again.errors.is_empty() && again.warnings.len() == 1);
    }

    #[test]
    fn lane_ranges() {
        assert_eq!(parse_lane_ranges("1-3,5,4").unwrap(), vec![1, 2, 3, 4, 5]);
        assert!(parse_lane_ranges("3-1").is_err());
        assert!(parse_lane_ranges("0-2").is_err());
        assert!(parse_lane_ranges("x").is_err());
    }
}
