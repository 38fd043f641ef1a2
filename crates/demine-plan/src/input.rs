//! The standalone planning contract: tasks.csv and teams.csv (see DESIGN.md, "Planning
//! contract"), read into [`Task`]s and [`Team`]s with every problem located.

use crate::model::{LonLat, Problem, Stage, Task, Team, TeamKind, CLEARANCE_KINDS};
use chrono::NaiveDate;
use demine_core::spreadsheet::{file_has_decimal_commas, parse_number, sniff_delimiter};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// One problem in an input file: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputProblem {
    pub file: String,
    /// 1-based line in the file (the header is line 1); 0 for the whole file.
    pub line: usize,
    pub id: Option<String>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Refused input: every problem found, so that one run shows them all.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError(pub Vec<InputProblem>);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

struct Row<'a> {
    file: &'a str,
    line: usize,
    id: Option<String>,
    header: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
    problems: &'a mut Vec<InputProblem>,
    /// Decimal commas: a semicolon file, or a comma file whose numbers have them.
    decimal_comma: bool,
}

impl Row<'_> {
    fn get(&self, field: &str) -> Option<&str> {
        self.header
            .get(field)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn problem(&mut self, field: &str, problem: String) {
        self.problems.push(InputProblem {
            file: self.file.to_string(),
            line: self.line,
            id: self.id.clone(),
            field: Some(field.to_string()),
            problem,
        });
    }

    fn number(&mut self, field: &str) -> Option<f64> {
        let s = self.get(field)?.to_string();
        match parse_number(&s, self.decimal_comma) {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                let example = if self.decimal_comma { "1250,5" } else { "1250.5" };
                self.problem(
                    field,
                    format!("'{s}' is not a number; write a plain decimal such as {example}"),
                );
                None
            }
        }
    }

    fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let s = self.get(field)?.to_string();
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.problem(
                    field,
                    format!("'{s}' is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01"),
                );
                None
            }
        }
    }

    fn lonlat(&mut self, lon_field: &str, lat_field: &str) -> Option<LonLat> {
        let lon = self.number(lon_field);
        let lat = self.number(lat_field);
        match (lon, lat) {
            (Some(lon), Some(lat)) => {
                if !(-180.0..=180.0).contains(&lon) {
                    self.problem(
                        lon_field,
                        format!("{lon} is outside −180…180: give WGS84 longitude in degrees"),
                    );
                    None
                } else if !(-90.0..=90.0).contains(&lat) {
                    self.problem(
                        lat_field,
                        format!("{lat} is outside −90…90: give WGS84 latitude in degrees"),
                    );
                    None
                } else {
                    Some((lon, lat))
                }
            }
            (Some(_), None) if self.get(lat_field).is_none() => {
                self.problem(
                    lat_field,
                    format!("`{lon_field}` is given but `{lat_field}` is empty; give both or neither"),
                );
                None
            }
            (None, Some(_)) if self.get(lon_field).is_none() => {
                self.problem(
                    lon_field,
                    format!("`{lat_field}` is given but `{lon_field}` is empty; give both or neither"),
                );
                None
            }
            _ => None,
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        let s = self.get(field)?.to_ascii_lowercase();
        match s.as_str() {
            "true" | "yes" | "1" | "y" => Some(true),
            "false" | "no" | "0" | "n" => Some(false),
            _ => {
                self.problem(field, format!("'{s}' is not true/false"));
                None
            }
        }
    }
}

fn read_csv<F>(file: &Path, required: &[&str], mut each: F) -> Result<(), InputError>
where
    F: FnMut(&mut Row<'_>),
{
    let name = file.display().to_string();
    let whole = |problem: String| {
        InputError(vec![InputProblem {
            file: name.clone(),
            line: 0,
            id: None,
            field: None,
            problem,
        }])
    };
    let bytes = std::fs::read(file).map_err(|e| whole(format!("cannot read the file: {e}")))?;
    // Spreadsheets in much of Europe (Ukraine's among them) save semicolon files with decimal
    // commas.
    let delimiter = sniff_delimiter(&bytes[..bytes.len().min(64 * 1024)]);
    // A comma file's quoted numbers may have decimal commas too (`"1400,5"`, LibreOffice set to
    // Ukrainian), told by the file's numbers together.
    let decimal_comma = delimiter == b';' || file_has_decimal_commas(&bytes, delimiter, true);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let header: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| {
            whole(format!(
                "malformed CSV header: {e}; the first line must name the columns"
            ))
        })?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
        .collect();
    let missing: Vec<&str> = required.iter().copied().filter(|r| !header.contains_key(*r)).collect();
    if !missing.is_empty() {
        return Err(whole(format!(
            "missing column(s) {}; the header must name at least {}",
            missing.join(", "),
            required.join(", ")
        )));
    }
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    let lines = demine_core::spreadsheet::LineIndex::new(&bytes);
    let line_of =
        |position: Option<&csv::Position>, i: usize| position.map_or(i + 2, |p| lines.line_at(p.byte()) as usize);
    for (i, rec) in reader.records().enumerate() {
        let record = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position(), i);
                problems.push(InputProblem {
                    file: name.clone(),
                    line,
                    id: None,
                    field: None,
                    problem: format!("malformed CSV record: {e}; every line needs as many fields as the header"),
                });
                continue;
            }
        };
        let line = line_of(record.position(), i);
        let mut row = Row {
            file: &name,
            line,
            id: None,
            header: &header,
            record: &record,
            problems: &mut problems,
            decimal_comma,
        };
        match row.get("id").map(str::to_string) {
            None => {
                row.problem("id", "is empty; every record needs a unique id".into());
                continue;
            }
            Some(id) => {
                if !ids.insert(id.clone()) {
                    row.problem("id", format!("'{id}' appears twice; ids must be unique"));
                }
                row.id = Some(id);
            }
        }
        each(&mut row);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError(problems))
    }
}

fn day_of(date: NaiveDate, start: NaiveDate) -> f64 {
    (date - start).num_days() as f64
}

/// Reads tasks.csv (`id`, `area_m2`, `value`; optional `lon`,`lat`, `stage`, `methods`,
/// `terrain`, `ready_date`, `splittable`, `prepare_ground`: a machine prepares the ground
/// before clearance). Dates become days from `start`.
pub fn read_tasks(file: &Path, start: NaiveDate) -> Result<Vec<Task>, InputError> {
    read_tasks_with_lines(file, start).map(|(tasks, _)| tasks)
}

/// [`read_tasks`], with the line each task's id is on (for [`check_feasible`]'s messages).
pub fn read_tasks_with_lines(file: &Path, start: NaiveDate) -> Result<(Vec<Task>, HashMap<String, usize>), InputError> {
    let mut tasks = Vec::new();
    let mut lines = HashMap::new();
    read_csv(file, &["id", "area_m2", "value"], |row| {
        let id = row.id.clone().unwrap_or_default();
        lines.insert(id.clone(), row.line);
        let area = row.number("area_m2");
        if row.get("area_m2").is_none() {
            row.problem("area_m2", "is empty; give the area still to release in m²".into());
        }
        if let Some(a) = area {
            if a < 0.0 {
                row.problem("area_m2", format!("{a} is negative; give the area in m² (≥ 0)"));
            }
        }
        let value = match row.get("value") {
            None => {
                row.problem(
                    "value",
                    "is empty; give the task's weight (≥ 0), e.g. its priority score".into(),
                );
                None
            }
            Some(_) => row.number("value"),
        };
        if let Some(v) = value {
            if v < 0.0 {
                row.problem("value", format!("{v} is negative; weights must be ≥ 0"));
            }
        }
        let site = row.lonlat("lon", "lat");
        let stage = match row.get("stage").map(str::to_string) {
            None => Stage::Clearance,
            Some(s) => Stage::parse(&s).unwrap_or_else(|| {
                row.problem(
                    "stage",
                    format!("unknown stage '{s}'; use one of {}", Stage::ALLOWED.join(", ")),
                );
                Stage::Clearance
            }),
        };
        let mut methods = Vec::new();
        if let Some(m) = row.get("methods").map(str::to_string) {
            for part in m.split(['|', ';', ' ']).filter(|p| !p.is_empty()) {
                match part.parse::<TeamKind>() {
                    Ok(k) if CLEARANCE_KINDS.contains(&k) => methods.push(k),
                    _ => row.problem(
                        "methods",
                        format!("'{part}' is not a clearance method; use manual, mechanical or mdd separated by |"),
                    ),
                }
            }
        }
        let ready_day = row.date("ready_date").map(|d| day_of(d, start).max(0.0)).unwrap_or(0.0);
        let splittable = row.boolean("splittable").unwrap_or(false);
        let prepare_ground = row.boolean("prepare_ground").unwrap_or(false);
        let terrain = row.get("terrain").map(str::to_string);
        tasks.push(Task {
            id,
            area_m2: area.unwrap_or(0.0).max(0.0),
            value: value.unwrap_or(0.0).max(0.0),
            site,
            stage,
            methods,
            terrain,
            ready_day,
            splittable,
            under_way_by: None,
            prepare_ground,
        });
    })?;
    Ok((tasks, lines))
}

/// Reads teams.csv (`id`, `kind`, `productivity_m2_per_day`; optional `base_lon`,`base_lat`,
/// `start_date`, `end_date`, `cost_per_day`, `productivity_by_terrain` as
/// `forest:150|farmland:600`, m² per working day on tasks of that `terrain`).
pub fn read_teams(file: &Path, start: NaiveDate) -> Result<Vec<Team>, InputError> {
    read_teams_and_unpriced(file, start).map(|(teams, _)| teams)
}

/// [`read_teams`], with the ids of the teams that have no `cost_per_day` (priced at
/// [`default_cost_per_day`]), for a note beside the costs.
pub fn read_teams_and_unpriced(file: &Path, start: NaiveDate) -> Result<(Vec<Team>, Vec<String>), InputError> {
    let mut teams = Vec::new();
    let mut unpriced = Vec::new();
    read_csv(file, &["id", "kind", "productivity_m2_per_day"], |row| {
        let id = row.id.clone().unwrap_or_default();
        let kind = match row.get("kind").map(str::to_string) {
            None => {
                row.problem("kind", "is empty; use manual, mechanical, mdd, nts or ts".into());
                None
            }
            Some(k) => match k.parse::<TeamKind>() {
                Ok(kind) => Some(kind),
                Err(_) => {
                    row.problem(
                        "kind",
                        format!("unknown team kind '{k}'; use manual, mechanical, mdd, nts or ts"),
                    );
                    None
                }
            },
        };
        let productivity = match row.get("productivity_m2_per_day") {
            None => {
                row.problem(
                    "productivity_m2_per_day",
                    "is empty; give the m² the team releases per working day (> 0)".into(),
                );
                None
            }
            Some(_) => row.number("productivity_m2_per_day"),
        };
        if let Some(p) = productivity {
            if p <= 0.0 {
                row.problem(
                    "productivity_m2_per_day",
                    format!(
                        "{p} must be > 0: a team that releases nothing cannot be planned; remove it or fix the figure"
                    ),
                );
            } else if let Some(problem) = demine_core::domain::rate_beyond_any_team(p) {
                row.problem("productivity_m2_per_day", problem);
            }
        }
        let mut by_terrain = Vec::new();
        if let Some(spec) = row.get("productivity_by_terrain").map(str::to_string) {
            for part in spec.split('|').map(str::trim).filter(|s| !s.is_empty()) {
                let parsed = part
                    .split_once(':')
                    .and_then(|(t, v)| Some((t.trim().to_string(), v.trim().parse::<f64>().ok()?)))
                    .filter(|(t, v)| !t.is_empty() && v.is_finite() && *v > 0.0);
                match parsed {
                    Some(tv) => by_terrain.push(tv),
                    None => row.problem(
                        "productivity_by_terrain",
                        format!(
                            "'{part}' is not TERRAIN:M2_PER_DAY with a figure > 0; write e.g. forest:150|farmland:600"
                        ),
                    ),
                }
            }
        }
        let base = row.lonlat("base_lon", "base_lat");
        let start_date = row.date("start_date");
        let end_date = row.date("end_date");
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                row.problem("end_date", format!("{e} is before start_date {s}"));
            }
        }
        if let Some(e) = end_date {
            if e <= start {
                row.problem(
                    "end_date",
                    format!("{e} is not after the plan start {start}: the team is never available; remove it or move --start"),
                );
            }
        }
        let cost = row.number("cost_per_day");
        if let Some(c) = cost {
            if c < 0.0 {
                row.problem("cost_per_day", format!("{c} is negative"));
            }
        }
        if let (Some(kind), Some(p)) = (kind, productivity) {
            if cost.is_none() {
                unpriced.push(id.clone());
            }
            teams.push(Team {
                id,
                kind,
                productivity_m2_per_day: p,
                productivity_by_terrain: by_terrain,
                base,
                start_day: start_date.map(|d| day_of(d, start).max(0.0)).unwrap_or(0.0),
                end_day: end_date.map(|d| day_of(d, start)),
                cost_per_day: cost.unwrap_or_else(|| default_cost_per_day(kind)),
            });
        }
    })?;
    Ok((teams, unpriced))
}

/// Cost of a team per day when none is given (an assumption for capacity and strategy costs
/// only; a note says so beside them).
pub fn default_cost_per_day(kind: TeamKind) -> f64 {
    match kind {
        TeamKind::Manual => 1500.0,
        TeamKind::Mechanical => 2500.0,
        TeamKind::Mdd => 1200.0,
        TeamKind::Nts => 600.0,
        TeamKind::Ts => 1500.0,
    }
}

/// Checks that every stage of every task has a team that may do it, and that there is a team.
/// `tasks_file`/`teams_file` name the sources in messages; `task_lines` gives each task's line
/// by its id ([`read_tasks_with_lines`]; empty for tasks not read from a file).
pub fn check_feasible(
    problem: &Problem,
    tasks_file: &str,
    task_lines: &HashMap<String, usize>,
    teams_file: &str,
) -> Result<(), InputError> {
    let mut problems = Vec::new();
    if problem.teams.is_empty() {
        problems.push(InputProblem {
            file: teams_file.to_string(),
            line: 0,
            id: None,
            field: None,
            problem: "no teams: add at least one team".into(),
        });
    }
    for task in &problem.tasks {
        for (stage, area) in problem.stage_areas(task) {
            if area <= 0.0 || problem.teams.iter().any(|t| t.can_do(task, stage)) {
                continue;
            }
            let needs = match stage {
                Stage::Nts => "an nts team".to_string(),
                Stage::Ts => "a ts team".to_string(),
                Stage::Preparation => "a mechanical team to prepare the ground".to_string(),
                Stage::Clearance if task.methods.is_empty() => "a manual, mechanical or mdd team".to_string(),
                Stage::Clearance => format!(
                    "a team of kind {}",
                    task.methods.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or ")
                ),
            };
            problems.push(InputProblem {
                file: tasks_file.to_string(),
                line: task_lines.get(&task.id).copied().unwrap_or(0),
                id: Some(task.id.clone()),
                field: Some(if stage == Stage::Clearance && !task.methods.is_empty() {
                    "methods".into()
                } else if stage == Stage::Preparation {
                    "prepare_ground".into()
                } else {
                    "stage".into()
                }),
                problem: format!(
                    "no team can do it: its {} stage needs {needs}, and {teams_file} has none; add such a team or change the task",
                    stage.as_str()
                ),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError(problems))
    }
}
