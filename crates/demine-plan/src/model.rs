//! The planning model: tasks, teams, land-release rates, travel and the calendar, as plain values.

use chrono::NaiveDate;
pub use demine_core::TeamKind;
use serde::Serialize;

/// The land-release stage a piece of work belongs to (IMAS 07.11): non-technical survey cancels,
/// technical survey reduces, clearance clears what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Nts,
    Ts,
    /// Ground preparation by a machine (vegetation cutting, ground processing) before manual
    /// teams or dogs clear: it releases nothing, but clearance starts only when it ends.
    Preparation,
    Clearance,
}

impl Stage {
    pub const ALLOWED: &'static [&'static str] = &["nts", "ts", "clearance"];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Nts => "nts",
            Stage::Ts => "ts",
            Stage::Preparation => "preparation",
            Stage::Clearance => "clearance",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nts" => Some(Stage::Nts),
            "ts" => Some(Stage::Ts),
            "clearance" => Some(Stage::Clearance),
            _ => None,
        }
    }

    /// The stages a task entering at `self` goes through, in order.
    pub fn chain(self) -> &'static [Stage] {
        match self {
            Stage::Nts => &[Stage::Nts, Stage::Ts, Stage::Clearance],
            Stage::Ts => &[Stage::Ts, Stage::Clearance],
            Stage::Preparation => &[Stage::Preparation, Stage::Clearance],
            Stage::Clearance => &[Stage::Clearance],
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Team kinds that clear land (the `methods` of a clearance task choose among them).
pub const CLEARANCE_KINDS: [TeamKind; 3] = [TeamKind::Manual, TeamKind::Mechanical, TeamKind::Mdd];

/// Index of a team kind in per-kind tables.
pub fn kind_index(kind: TeamKind) -> usize {
    match kind {
        TeamKind::Manual => 0,
        TeamKind::Mechanical => 1,
        TeamKind::Mdd => 2,
        TeamKind::Nts => 3,
        TeamKind::Ts => 4,
    }
}

/// All kinds, in [`kind_index`] order.
pub const ALL_KINDS: [TeamKind; 5] = [
    TeamKind::Manual,
    TeamKind::Mechanical,
    TeamKind::Mdd,
    TeamKind::Nts,
    TeamKind::Ts,
];

/// A site as longitude, latitude in degrees (WGS84).
pub type LonLat = (f64, f64);

/// A piece of land to release: one hazard, or one line of tasks.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    /// Area still to release, m².
    pub area_m2: f64,
    /// Weight of the task in the objective Σ value × release time (≥ 0).
    pub value: f64,
    /// Where the work is; `None` means no travel to or from it.
    pub site: Option<LonLat>,
    /// The first stage the task still needs.
    pub stage: Stage,
    /// Clearance kinds allowed (empty = manual, mechanical and MDD).
    pub methods: Vec<TeamKind>,
    pub terrain: Option<String>,
    /// Earliest start, days from the plan start.
    pub ready_day: f64,
    /// Whether several teams may share the task.
    pub splittable: bool,
    /// Whether a machine must prepare the ground before clearance (same area).
    pub prepare_ground: bool,
    /// Work already under way: the id of the team on site. The plan keeps that team on this
    /// task first (its first stage, or first piece), then plans the rest around it.
    pub under_way_by: Option<String>,
}

/// A team or asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub kind: TeamKind,
    /// Area the team works per working day, m² (> 0), on terrain not listed below.
    pub productivity_m2_per_day: f64,
    /// Area per working day on given terrains (task `terrain`, matched without case), m² (> 0).
    pub productivity_by_terrain: Vec<(String, f64)>,
    pub base: Option<LonLat>,
    /// First day the team is available, days from the plan start.
    pub start_day: f64,
    /// Last day the team is available, days from the plan start (`None`: open-ended).
    pub end_day: Option<f64>,
    pub cost_per_day: f64,
}

impl Team {
    /// Area the team works per working day on `terrain`, m².
    pub fn productivity_on(&self, terrain: Option<&str>) -> f64 {
        terrain
            .and_then(|t| {
                self.productivity_by_terrain
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(t.trim()))
            })
            .map_or(self.productivity_m2_per_day, |(_, p)| *p)
    }

    /// Whether the team may do `stage` work on `task`.
    pub fn can_do(&self, task: &Task, stage: Stage) -> bool {
        match stage {
            Stage::Nts => self.kind == TeamKind::Nts,
            Stage::Ts => self.kind == TeamKind::Ts,
            Stage::Preparation => self.kind == TeamKind::Mechanical,
            Stage::Clearance => {
                CLEARANCE_KINDS.contains(&self.kind) && (task.methods.is_empty() || task.methods.contains(&self.kind))
            }
        }
    }
}

/// Shares of land released by survey, given or learned from past activities: one pair for the
/// whole problem, and optionally a task's own shares (a strategy sizes each hazard's stages from
/// its evidence: [`TaskRates`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// Share of the area NTS cancels (0–1).
    pub nts_cancel_share: f64,
    /// Share of what is left after NTS that TS reduces (0–1).
    pub ts_reduce_share: f64,
    /// A task's own shares, by task id; tasks not listed use the two shares above (and TS
    /// surveys all that NTS leaves).
    pub per_task: std::collections::BTreeMap<String, TaskRates>,
}

impl Default for Rates {
    fn default() -> Self {
        // Assumptions, not measurements: NTS cancels about half of suspected land and TS
        // reduces about half of what is left. `demine plan` on a registry learns them instead.
        Rates {
            nts_cancel_share: 0.5,
            ts_reduce_share: 0.5,
            per_task: Default::default(),
        }
    }
}

impl Rates {
    /// The problem-wide shares as a task's shares (TS surveys all that NTS leaves).
    pub fn global(&self) -> TaskRates {
        TaskRates {
            nts_cancel_share: self.nts_cancel_share,
            ts_survey_share: 1.0,
            ts_reduce_share: self.ts_reduce_share,
        }
    }

    /// The shares task `id` is planned with: its own, else the problem-wide ones.
    pub fn for_task(&self, id: &str) -> TaskRates {
        self.per_task.get(id).copied().unwrap_or_else(|| self.global())
    }
}

/// One task's land-release shares, as a strategy decides them from the task's evidence.
///
/// Entering at NTS, a task of area A is worked by NTS over A, which cancels `nts_cancel_share`
/// of it; TS surveys `ts_survey_share` of what is left and reduces `ts_reduce_share` of what it
/// surveys; clearance clears everything else (what TS did not survey, and what it did not
/// reduce). Released land always sums to A.
///
/// ```
/// use demine_plan::{stage_areas_with, Stage, TaskRates};
/// let r = TaskRates { nts_cancel_share: 0.8, ts_survey_share: 0.5, ts_reduce_share: 0.9 };
/// let s = stage_areas_with(1000.0, Stage::Nts, &r);
/// // NTS works 1000 m² and cancels 800; TS surveys 100 and reduces 90; clearance clears 110.
/// assert_eq!(s[0], (Stage::Nts, 1000.0));
/// assert!((s[1].1 - 100.0).abs() < 1e-9 && (s[2].1 - 110.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TaskRates {
    /// Share of the task's area NTS cancels (0–1).
    pub nts_cancel_share: f64,
    /// Share of what NTS leaves that TS surveys (0–1); the rest goes straight to clearance.
    pub ts_survey_share: f64,
    /// Share of the surveyed area TS reduces (0–1); the rest of it is cleared.
    pub ts_reduce_share: f64,
}

impl TaskRates {
    /// Share of a stage's area released by that stage (the rest moves on).
    pub fn released_share(&self, stage: Stage) -> f64 {
        match stage {
            Stage::Nts => self.nts_cancel_share,
            Stage::Ts => self.ts_reduce_share,
            Stage::Preparation => 0.0,
            Stage::Clearance => 1.0,
        }
    }

    /// These shares moved by `shift` (NTS cancel, TS reduce), clamped to [0, 0.99]: what a
    /// Monte Carlo run draws. A task's own shares (`decided`, a strategy's) keep their NTS share
    /// — what NTS cancels is a decision on evidence, not a chance — and a TS share of exactly 0
    /// or 1; what TS reduces otherwise depends on what it finds, so it moves.
    pub fn shifted(&self, shift: [f64; 2], decided: bool) -> TaskRates {
        let still = shift == [0.0, 0.0];
        let mv = |s: f64, d: f64| {
            if still || (decided && (s <= 0.0 || s >= 1.0)) {
                s
            } else {
                (s + d).clamp(0.0, 0.99)
            }
        };
        TaskRates {
            nts_cancel_share: if decided {
                self.nts_cancel_share
            } else {
                mv(self.nts_cancel_share, shift[0])
            },
            ts_survey_share: self.ts_survey_share,
            ts_reduce_share: mv(self.ts_reduce_share, shift[1]),
        }
    }
}

/// Travel between sites: great-circle distance × road factor at a road speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    pub road_factor: f64,
    pub speed_km_per_h: f64,
    /// Working hours in a day, to turn hours on the road into days.
    pub hours_per_day: f64,
}

impl Default for Travel {
    fn default() -> Self {
        Travel {
            road_factor: 1.4,
            speed_km_per_h: 40.0,
            hours_per_day: 8.0,
        }
    }
}

impl Travel {
    /// Working days spent on the road between two points.
    pub fn days(&self, a: LonLat, b: LonLat) -> f64 {
        great_circle_km(a, b) * self.road_factor / (self.speed_km_per_h * self.hours_per_day)
    }
}

/// Great-circle (haversine, mean Earth radius) distance in km: travel estimates need no more.
pub fn great_circle_km(a: LonLat, b: LonLat) -> f64 {
    const R_KM: f64 = 6371.0088;
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * R_KM * h.sqrt().min(1.0).asin()
}

/// How working time maps onto calendar days.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendarSpec {
    /// Continuous days from the start: duration = area / productivity.
    None,
    /// Working days with seasonal stops and weather downtime.
    Working(WorkingCalendar),
}

/// A working calendar: which days teams work and how much is lost to weather.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingCalendar {
    /// Weekdays off, 0 = Monday … 6 = Sunday.
    pub days_off: Vec<u32>,
    /// Months (1–12) in which each kind stops, in [`kind_index`] order.
    pub stop_months: [Vec<u32>; 5],
    /// Share of working days lost to weather (0–1).
    pub downtime_rate: f64,
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        let mut stop_months: [Vec<u32>; 5] = Default::default();
        // Frozen ground: machines stop December–February.
        stop_months[kind_index(TeamKind::Mechanical)] = vec![12, 1, 2];
        // Dogs do not work above 30 °C: July and August in a continental climate.
        stop_months[kind_index(TeamKind::Mdd)] = vec![7, 8];
        WorkingCalendar {
            days_off: vec![5, 6],
            stop_months,
            downtime_rate: 0.1,
        }
    }
}

/// Everything the planner needs.
#[derive(Debug, Clone)]
pub struct Problem {
    pub start_date: NaiveDate,
    pub tasks: Vec<Task>,
    pub teams: Vec<Team>,
    pub rates: Rates,
    pub travel: Travel,
    pub calendar: CalendarSpec,
}

impl Problem {
    /// Whether any travel is modelled (a task with a site).
    pub fn has_travel(&self) -> bool {
        self.tasks.iter().any(|t| t.site.is_some())
    }

    /// Area of each stage of a task's chain, m², with the survey shares applied (and ground
    /// preparation of the clearance area first, when the task needs it).
    pub fn stage_areas(&self, task: &Task) -> Vec<(Stage, f64)> {
        let mut out = stage_areas_with(task.area_m2, task.stage, &self.rates.for_task(&task.id));
        if task.prepare_ground {
            if let Some(i) = out.iter().position(|s| s.0 == Stage::Clearance) {
                out.insert(i, (Stage::Preparation, out[i].1));
            }
        }
        out
    }
}

/// Area of each stage when a task of `area_m2` enters at `first`, with the problem-wide shares
/// of `rates`; stages with no area are left out.
pub fn stage_areas(area_m2: f64, first: Stage, rates: &Rates) -> Vec<(Stage, f64)> {
    stage_areas_with(area_m2, first, &rates.global())
}

/// Area of each stage when a task of `area_m2` enters at `first`, with a task's own shares
/// ([`TaskRates`]); stages with no area are left out.
pub fn stage_areas_with(area_m2: f64, first: Stage, rates: &TaskRates) -> Vec<(Stage, f64)> {
    let mut out = Vec::with_capacity(3);
    let mut left = area_m2;
    for &s in first.chain() {
        match s {
            Stage::Ts => {
                let t = rates.ts_survey_share.clamp(0.0, 1.0);
                let surveyed = left * t;
                if surveyed > 0.0 {
                    out.push((s, surveyed));
                }
                if t == 1.0 {
                    left *= 1.0 - rates.ts_reduce_share;
                } else {
                    left -= surveyed * rates.ts_reduce_share;
                }
            }
            _ => {
                if left > 0.0 {
                    out.push((s, left));
                }
                left *= match s {
                    Stage::Nts => 1.0 - rates.nts_cancel_share,
                    Stage::Preparation => 1.0,
                    _ => 0.0,
                };
            }
        }
    }
    out
}

/// Share of a stage's area released by that stage (the rest moves to the next stage), with the
/// problem-wide shares.
pub fn released_share(stage: Stage, rates: &Rates) -> f64 {
    rates.global().released_share(stage)
}
