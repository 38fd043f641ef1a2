//! Working time on calendar days. Time is always days from the plan start; a calendar says how
//! much work capacity each day gives a kind of team (0 on days off and in seasonal stops,
//! 1 − downtime otherwise), and [`Calendar::advance`] finds when a piece of work ends.

use crate::model::{kind_index, CalendarSpec, TeamKind};
use chrono::{Datelike, Duration, NaiveDate};

/// Years of calendar tabulated day by day; beyond them the average year repeats.
const TABLE_YEARS: i64 = 8;

/// Capacity per kind over calendar days (see module doc).
#[derive(Debug, Clone)]
pub struct Calendar {
    /// `None` for continuous time.
    tables: Option<Box<[KindTable; 5]>>,
}

#[derive(Debug, Clone)]
struct KindTable {
    /// Capacity of day d (0–1).
    cap: Vec<f64>,
    /// cum[d] = capacity of days [0, d).
    cum: Vec<f64>,
}

impl KindTable {
    fn days(&self) -> usize {
        self.cap.len()
    }

    /// Cumulative capacity at time t ≥ 0, periodic beyond the table.
    fn at(&self, t: f64) -> f64 {
        let n = self.days();
        let total = self.cum[n];
        let periods = (t / n as f64).floor();
        let r = t - periods * n as f64;
        let d = (r.floor() as usize).min(n - 1);
        periods * total + self.cum[d] + (r - d as f64) * self.cap[d]
    }

    /// Smallest t with at(t) = c (and capacity about to be used).
    fn inverse(&self, c: f64) -> f64 {
        let n = self.days();
        let total = self.cum[n];
        let mut periods = (c / total).floor();
        let mut r = c - periods * total;
        if r <= 0.0 && periods > 0.0 {
            // Exactly at a period boundary: land at the end of the previous period's last working day.
            periods -= 1.0;
            r += total;
        }
        // First d with cum[d + 1] >= r.
        let d = self.cum[1..].partition_point(|&x| x < r).min(n - 1);
        let within = if self.cap[d] > 0.0 {
            ((r - self.cum[d]) / self.cap[d]).clamp(0.0, 1.0)
        } else {
            0.0
        };
        periods * n as f64 + d as f64 + within
    }
}

impl Calendar {
    /// Continuous days: one day of work per day.
    pub fn continuous() -> Calendar {
        Calendar { tables: None }
    }

    /// Builds the calendar for a plan starting on `start`. `downtime_scale` multiplies the
    /// downtime rate (Monte Carlo runs vary it).
    pub fn new(spec: &CalendarSpec, start: NaiveDate, downtime_scale: f64) -> Calendar {
        let w = match spec {
            CalendarSpec::None => return Calendar::continuous(),
            CalendarSpec::Working(w) => w,
        };
        let days = (TABLE_YEARS * 365 + TABLE_YEARS / 4) as usize;
        let downtime = (w.downtime_rate * downtime_scale).clamp(0.0, 0.95);
        let make = |k: usize| {
            let mut cap = Vec::with_capacity(days);
            let mut cum = Vec::with_capacity(days + 1);
            cum.push(0.0);
            for d in 0..days {
                let date = start + Duration::days(d as i64);
                let off = w.days_off.contains(&date.weekday().num_days_from_monday())
                    || w.stop_months[k].contains(&date.month());
                let c = if off { 0.0 } else { 1.0 - downtime };
                cap.push(c);
                cum.push(cum[d] + c);
            }
            KindTable { cap, cum }
        };
        let tables: [KindTable; 5] = std::array::from_fn(make);
        // A kind that never works would never finish; the input check refuses such calendars,
        // here we fall back to continuous work rather than loop.
        let tables = tables.map(|t| {
            if t.cum[t.days()] > 0.0 {
                t
            } else {
                KindTable {
                    cap: vec![1.0; days],
                    cum: (0..=days).map(|d| d as f64).collect(),
                }
            }
        });
        Calendar {
            tables: Some(Box::new(tables)),
        }
    }

    pub fn is_continuous(&self) -> bool {
        self.tables.is_none()
    }

    /// When work of `work_days` (full working days) started at `t` ends, for a team of `kind`.
    #[inline]
    pub fn advance(&self, kind: TeamKind, t: f64, work_days: f64) -> f64 {
        match &self.tables {
            None => t + work_days,
            Some(tables) => {
                if work_days <= 0.0 {
                    return t;
                }
                let tab = &tables[kind_index(kind)];
                tab.inverse(tab.at(t.max(0.0)) + work_days).max(t)
            }
        }
    }

    /// The first moment at or after `t` when a team of `kind` works.
    #[inline]
    pub fn next_working(&self, kind: TeamKind, t: f64) -> f64 {
        match &self.tables {
            None => t,
            // A time past any calendar (an overflowed estimate) has no working day to find.
            Some(_) if t.is_nan() || t >= 1.0e9 => t,
            Some(tables) => {
                let tab = &tables[kind_index(kind)];
                let n = tab.days();
                let first = t.max(0.0).floor() as usize;
                // At most a season off in a row.
                (first..first + 400)
                    .find(|d| tab.cap[d % n] > 0.0)
                    .map_or(t, |d| if (d as f64) < t { t } else { d as f64 })
            }
        }
    }

    /// Average working capacity per calendar day of a kind (1 for continuous time).
    pub fn mean_capacity(&self, kind: TeamKind) -> f64 {
        match &self.tables {
            None => 1.0,
            Some(t) => {
                let tab = &t[kind_index(kind)];
                tab.cum[tab.days()] / tab.days() as f64
            }
        }
    }
}

/// The date of a day offset from the start (fractions of a day fall on that day).
pub fn date_of(start: NaiveDate, day: f64) -> NaiveDate {
    let d = day.max(0.0).floor();
    start
        .checked_add_signed(Duration::days(d.min(3_000_000.0) as i64))
        .unwrap_or(NaiveDate::MAX)
}

/// The last day (date) touched by work ending at `day`: an end at exactly midnight belongs to the day before.
pub fn end_date_of(start: NaiveDate, day: f64) -> NaiveDate {
    date_of(start, (day - 1e-9).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkingCalendar;

    #[test]
    fn working_calendar_skips_weekends_and_stops() {
        let spec = CalendarSpec::Working(WorkingCalendar {
            downtime_rate: 0.0,
            ..Default::default()
        });
        // 2026-06-01 is a Monday.
        let start = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let cal = Calendar::new(&spec, start, 1.0);
        // Five working days fill Monday to Friday.
        assert!((cal.advance(TeamKind::Manual, 0.0, 5.0) - 5.0).abs() < 1e-9);
        // The sixth lands on the next Monday.
        assert!((cal.advance(TeamKind::Manual, 0.0, 6.0) - 8.0).abs() < 1e-9);
        // Dogs stop in July and August: work from 2026-06-29 (day 28) resumes in September.
        let end = cal.advance(TeamKind::Mdd, 28.0, 3.0);
        assert!(date_of(start, end - 1e-6) >= NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        // Far beyond the table, time still grows with work.
        let a = cal.advance(TeamKind::Manual, 0.0, 10_000.0);
        let b = cal.advance(TeamKind::Manual, 0.0, 10_001.0);
        assert!(b > a && a > 10_000.0 * 7.0 / 5.0 - 10.0);
    }

    #[test]
    fn continuous_time_is_work() {
        let cal = Calendar::continuous();
        assert_eq!(cal.advance(TeamKind::Mechanical, 2.5, 4.0), 6.5);
    }
}
