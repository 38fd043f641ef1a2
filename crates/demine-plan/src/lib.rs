//! demine-plan: the campaign planner. It owns the planning model (tasks, teams, land-release
//! rates, travel, calendar), reading the standalone planning CSVs, the scheduler that
//! minimises Σ value × release time (heuristic search; an exact subset DP on small instances
//! without stages), lower bounds, the Monte Carlo completion
//! forecast and capacity questions.
//!
//! It takes and returns plain values. It must never depend on the store, SQL, the CLI or any
//! file format other than its own planning CSVs.
//!
//! ```
//! use demine_plan::*;
//! let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
//! let task = |id: &str, area_m2: f64| Task {
//!     id: id.into(), area_m2, value: 1.0, site: None, stage: Stage::Clearance,
//!     methods: vec![], terrain: None, ready_day: 0.0, splittable: false, under_way_by: None,
//!     prepare_ground: false,
//! };
//! let team = Team {
//!     id: "T1".into(), kind: TeamKind::Manual, productivity_m2_per_day: 100.0, base: None,
//!     start_day: 0.0, end_day: None, cost_per_day: 1000.0, productivity_by_terrain: vec![],
//! };
//! let p = Problem {
//!     start_date: start, tasks: vec![task("big", 1000.0), task("small", 100.0)], teams: vec![team],
//!     rates: Rates::default(), travel: Travel::default(), calendar: CalendarSpec::None,
//! };
//! let plan = plan(&p, &PlanOptions::default());
//! // Shortest first: the small task ends on day 1, the big one on day 11.
//! assert!((plan.objective - 12.0).abs() < 1e-6);
//! ```

pub mod calendar;
mod exact_dp;
pub mod forecast;
pub mod history;
pub mod input;
mod instance;
pub mod model;
mod plan;
mod search;

pub use calendar::Calendar;
pub use forecast::{
    capacity, completion_days, forecast, CapacityAnswer, CapacityOptions, Forecast, ForecastOptions, MonthBand,
};
pub use input::{
    check_feasible, read_tasks, read_tasks_with_lines, read_teams, read_teams_and_unpriced, InputError, InputProblem,
};
pub use model::{
    great_circle_km, stage_areas, stage_areas_with, CalendarSpec, LonLat, Problem, Rates, Stage, Task, TaskRates, Team,
    TeamKind, Travel, WorkingCalendar,
};
pub use plan::{
    day_to_date, exact_applies, lower_bound, plan, released_by_month, Assignment, MonthRelease, Plan, PlanOptions,
    EXACT_MAX_TASKS, EXACT_MAX_TEAMS, WORK_UNITS_PER_BUDGET_S,
};
