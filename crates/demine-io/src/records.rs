//! From raw records to validated domain values, per the import contract (DESIGN.md).

use crate::raw::{RawGeometry, RawRecord};
use crate::Problem;
use chrono::NaiveDate;
use demine_core::validate::{validate_point, validate_polygons};
use demine_core::{
    Accident, Activity, ActivityType, Attributes, DailyProgress, Find, FindCategory, Hazard, HazardClass, Organisation,
    Outcome, Team, TeamKind, UnknownValue,
};
use geo::{MultiPolygon, Point};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// What the registry already holds, for checks that look beyond the file.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Ids already used in the layer being imported.
    pub existing_ids: &'a HashSet<String>,
    /// Hazard ids in the registry.
    pub hazard_ids: &'a HashSet<String>,
    /// Activity ids in the registry.
    pub activity_ids: &'a HashSet<String>,
    /// Organisation ids in the registry (teams refer to them).
    pub organisation_ids: &'a HashSet<String>,
}

/// Validated records, every problem, and what was repaired or tolerated.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub records: Vec<T>,
    pub problems: Vec<Problem>,
    /// Repairs made with `--fix`, and tolerated oddities.
    pub notes: Vec<Problem>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            records: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }
}

struct Fields<'r> {
    rec: &'r RawRecord,
    props: Attributes,
    id: Option<String>,
    problems: Vec<Problem>,
}

/// A date as Ukrainian, Russian and German spreadsheets write it, `31.03.2024` (a time after
/// it aside): the day always first, the year in four digits.
fn day_month_year(s: &str) -> Option<NaiveDate> {
    let date = s.trim().split([' ', 'T']).next()?;
    let parts: Vec<&str> = date.split('.').collect();
    match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => {
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

impl<'r> Fields<'r> {
    fn new(rec: &'r RawRecord) -> Self {
        let mut f = Fields {
            rec,
            props: rec.properties.clone(),
            id: None,
            problems: Vec::new(),
        };
        f.id = f.text("id");
        f
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            index: self.rec.index,
            line: self.rec.line,
            id: self.id.clone(),
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Removes a property (case-insensitive key) so that what is left becomes free attributes.
    fn take(&mut self, key: &str) -> Option<Value> {
        if let Some(v) = self.props.remove(key) {
            return Some(v);
        }
        let k = self.props.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
        self.props.remove(&k)
    }

    fn text(&mut self, key: &str) -> Option<String> {
        match self.take(key)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_string()),
            other => Some(other.to_string()),
        }
    }

    fn required_text(&mut self, key: &str) -> Option<String> {
        let v = self.text(key);
        if v.is_none() {
            self.problem(key, format!("missing required field `{key}`"));
        }
        v
    }

    fn enumerated<T: FromStr<Err = UnknownValue>>(&mut self, key: &str, required: bool) -> Option<T> {
        let s = if required {
            self.required_text(key)?
        } else {
            self.text(key)?
        };
        match s.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(key, e.to_string());
                None
            }
        }
    }

    fn date(&mut self, key: &str, required: bool) -> Option<NaiveDate> {
        let s = if required {
            self.required_text(key)?
        } else {
            self.text(key)?
        };
        let day = s.get(..10).unwrap_or(&s);
        match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 || s.as_bytes().get(10).is_some_and(|b| *b == b'T' || *b == b' ') => Some(d),
            _ => match day_month_year(&s) {
                Some(d) => Some(d),
                None => {
                    self.problem(
                        key,
                        format!("'{s}' is not an ISO 8601 date (YYYY-MM-DD; DD.MM.YYYY is read too)"),
                    );
                    None
                }
            },
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        let v = self.take(key)?;
        let x = match &v {
            Value::Null => return None,
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) if s.starts_with(crate::raw::NON_FINITE) => Some(f64::NAN),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            Some(x) => {
                self.problem(
                    key,
                    format!(
                        "non-finite number {}: give a finite value or leave it empty",
                        match &v {
                            Value::String(s) => s.trim_start_matches(crate::raw::NON_FINITE).to_string(),
                            _ => x.to_string(),
                        }
                    ),
                );
                None
            }
            None => {
                self.problem(key, format!("{v} is not a number"));
                None
            }
        }
    }

    fn count(&mut self, key: &str) -> Option<u32> {
        if self.props.keys().all(|k| !k.eq_ignore_ascii_case(key)) {
            self.problem(key, format!("missing required field `{key}` (a count; 0 if none)"));
            return None;
        }
        let x = self.number(key)?;
        if x < 0.0 || x.fract() != 0.0 || x > u32::MAX as f64 {
            self.problem(key, format!("{x} is not a non-negative whole number"));
            return None;
        }
        Some(x as u32)
    }

    fn depth_cm(&mut self) -> Option<f64> {
        let d = self.number("depth_cm")?;
        if !(0.0..=1000.0).contains(&d) {
            self.problem("depth_cm", format!("{d} cm is outside 0..1000 cm"));
            return None;
        }
        Some(d)
    }

    fn polygons(&mut self, fix: bool, notes: &mut Vec<Problem>) -> Option<MultiPolygon<f64>> {
        match &self.rec.geometry {
            RawGeometry::Missing => {
                self.problem(
                    "geometry",
                    "empty or missing geometry: a Polygon or MultiPolygon is required",
                );
                None
            }
            RawGeometry::Polygons(p) => match validate_polygons(p, fix) {
                Ok(v) => {
                    for m in v
                        .repairs
                        .into_iter()
                        .map(|m| format!("repaired: {m}"))
                        .chain(v.warnings)
                    {
                        notes.push(Problem {
                            index: self.rec.index,
                            line: self.rec.line,
                            id: self.id.clone(),
                            field: "geometry".into(),
                            message: m,
                        });
                    }
                    Some(v.geometry)
                }
                Err(errors) => {
                    for e in errors {
                        self.problem("geometry", e);
                    }
                    None
                }
            },
            other => {
                let t = other.type_name().to_string();
                self.problem(
                    "geometry",
                    format!("wrong geometry type {t}: a Polygon or MultiPolygon is required"),
                );
                None
            }
        }
    }

    fn point(&mut self) -> Option<Point<f64>> {
        match &self.rec.geometry {
            RawGeometry::Point(p) => match validate_point(p[0], p[1]) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.problem("geometry", e);
                    None
                }
            },
            RawGeometry::Missing => {
                self.problem(
                    "geometry",
                    "empty or missing geometry: a Point is required (or `lon`,`lat` columns)",
                );
                None
            }
            other => {
                let t = other.type_name().to_string();
                self.problem("geometry", format!("wrong geometry type {t}: a Point is required"));
                None
            }
        }
    }
}

/// Runs `one` on every record (an `id` is required of each), keeps the records without
/// problems, then checks ids across the file and against the registry.
fn parse_each<T>(
    raw: &[RawRecord],
    known: &Known<'_>,
    layer: &str,
    mut one: impl FnMut(&mut Fields<'_>, &mut Vec<Problem>) -> Option<T>,
) -> Parsed<T> {
    let mut parsed = Parsed::default();
    for r in raw {
        let mut f = Fields::new(r);
        if f.id.is_none() {
            f.problem("id", "missing required field `id`");
        }
        let record = one(&mut f, &mut parsed.notes);
        parsed = finish(parsed, f, record);
    }
    check_ids(&mut parsed, raw, known, layer);
    parsed
}

/// A raw record's id as the checks read it (trimmed text, or a number), if it has one.
pub(crate) fn raw_id(r: &RawRecord) -> Option<String> {
    r.properties
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("id"))
        .and_then(|(_, v)| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// Checks ids: present, unique in the file, not already in the registry.
fn check_ids<T>(parsed: &mut Parsed<T>, raw: &[RawRecord], known: &Known<'_>, layer: &str) {
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for r in raw {
        let Some(id) = raw_id(r) else {
            continue;
        };
        if let Some(first) = first_seen.get(&id) {
            parsed.problems.push(Problem {
                index: r.index,
                line: r.line,
                id: Some(id.clone()),
                field: "id".into(),
                message: format!("duplicate id '{id}': record {first} of this file has it too; ids must be unique"),
            });
        } else {
            first_seen.insert(id.clone(), r.index);
            if known.existing_ids.contains(&id) {
                parsed.problems.push(Problem {
                    index: r.index,
                    line: r.line,
                    id: Some(id.clone()),
                    field: "id".into(),
                    message: format!("duplicate id '{id}': the registry already holds {layer} '{id}'"),
                });
            }
        }
    }
}

fn finish<T>(mut parsed: Parsed<T>, mut f: Fields<'_>, record: Option<T>) -> Parsed<T> {
    if f.problems.is_empty() {
        if let Some(r) = record {
            parsed.records.push(r);
        }
    }
    parsed.problems.append(&mut f.problems);
    parsed
}

fn unknown_ref(f: &mut Fields<'_>, field: &str, value: &Option<String>, known: &HashSet<String>, what: &str) {
    if let Some(v) = value {
        if !known.contains(v) {
            f.problem(
                field,
                format!("unknown {what} '{v}': import the {what} first, or correct the reference"),
            );
        }
    }
}

/// Hazards: `id`, `class` (SHA|CHA), Polygon/MultiPolygon.
pub fn hazards(raw: &[RawRecord], known: &Known<'_>, fix: bool) -> Parsed<Hazard> {
    parse_each(raw, known, "hazard", |f, notes| {
        let class = f.enumerated::<HazardClass>("class", true);
        let geometry = f.polygons(fix, notes);
        let name = f.text("name");
        let reported_status = f.text("status");
        let organisation = f.text("organisation");
        let land_use = f.text("land_use");
        let contamination = f.text("contamination");
        let evidence = f.text("evidence");
        let blockages = f.text("blockages");
        let recorded_date = f.date("recorded_date", false);
        match (f.id.clone(), class, geometry) {
            (Some(id), Some(class), Some(geometry)) => Some(Hazard {
                id,
                class,
                geometry,
                name,
                reported_status,
                organisation,
                land_use,
                contamination,
                evidence,
                blockages,
                recorded_date,
                attributes: std::mem::take(&mut f.props),
            }),
            _ => None,
        }
    })
}

/// Activities: `id`, `hazard_id`, `type`, `outcome`, `start_date`, `end_date`, Polygon/MultiPolygon.
pub fn activities(raw: &[RawRecord], known: &Known<'_>, fix: bool) -> Parsed<Activity> {
    parse_each(raw, known, "activity", |f, notes| {
        let hazard_id = f.required_text("hazard_id");
        unknown_ref(f, "hazard_id", &hazard_id, known.hazard_ids, "hazard");
        let activity_type = f.enumerated::<ActivityType>("type", true);
        let outcome = f.enumerated::<Outcome>("outcome", true);
        let start_date = f.date("start_date", true);
        let end_date = f.date("end_date", true);
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                f.problem("end_date", format!("end_date {e} is before start_date {s}"));
            }
        }
        let geometry = f.polygons(fix, notes);
        let organisation = f.text("organisation");
        let team = f.text("team");
        let method = f.text("method");
        let depth_cm = f.depth_cm();
        if let (Some(t), Some(o)) = (activity_type, outcome) {
            if !t.allowed_outcomes().contains(&o) {
                notes.push(Problem {
                    index: f.rec.index,
                    line: f.rec.line,
                    id: f.id.clone(),
                    field: "outcome".into(),
                    message: format!(
                        "a {t} activity usually gives {}, not '{o}' (kept)",
                        t.allowed_outcomes()
                            .iter()
                            .map(|o| o.as_str())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                });
            }
        }
        match (
            f.id.clone(),
            hazard_id,
            activity_type,
            outcome,
            start_date,
            end_date,
            geometry,
        ) {
            (
                Some(id),
                Some(hazard_id),
                Some(activity_type),
                Some(outcome),
                Some(start_date),
                Some(end_date),
                Some(geometry),
            ) => Some(Activity {
                id,
                hazard_id,
                activity_type,
                outcome,
                start_date,
                end_date,
                geometry,
                organisation,
                team,
                method,
                depth_cm,
                attributes: std::mem::take(&mut f.props),
            }),
            _ => None,
        }
    })
}

/// Finds: `id`, `date`, `category`, Point; optional `hazard_id`, `activity_id`, `depth_cm`, `condition`.
pub fn finds(raw: &[RawRecord], known: &Known<'_>, _fix: bool) -> Parsed<Find> {
    parse_each(raw, known, "find", |f, _notes| {
        let date = f.date("date", true);
        let category = f.enumerated::<FindCategory>("category", true);
        let location = f.point();
        let hazard_id = f.text("hazard_id");
        unknown_ref(f, "hazard_id", &hazard_id, known.hazard_ids, "hazard");
        let activity_id = f.text("activity_id");
        unknown_ref(f, "activity_id", &activity_id, known.activity_ids, "activity");
        let depth_cm = f.depth_cm();
        let condition = f.text("condition");
        let disposition = f.text("disposition");
        match (f.id.clone(), date, category, location) {
            (Some(id), Some(date), Some(category), Some(location)) => Some(Find {
                id,
                date,
                category,
                location,
                hazard_id,
                activity_id,
                depth_cm,
                condition,
                disposition,
                attributes: std::mem::take(&mut f.props),
            }),
            _ => None,
        }
    })
}

/// Accidents: `id`, `date`, `killed`, `injured`, Point; optional `hazard_id`.
pub fn accidents(raw: &[RawRecord], known: &Known<'_>, _fix: bool) -> Parsed<Accident> {
    parse_each(raw, known, "accident", |f, _notes| {
        let date = f.date("date", true);
        let killed = f.count("killed");
        let injured = f.count("injured");
        let location = f.point();
        let hazard_id = f.text("hazard_id");
        unknown_ref(f, "hazard_id", &hazard_id, known.hazard_ids, "hazard");
        match (f.id.clone(), date, killed, injured, location) {
            (Some(id), Some(date), Some(killed), Some(injured), Some(location)) => Some(Accident {
                id,
                date,
                killed,
                injured,
                location,
                hazard_id,
                attributes: std::mem::take(&mut f.props),
            }),
            _ => None,
        }
    })
}

fn line_geometry(lines: &[Vec<[f64; 2]>]) -> Result<geo::Geometry<f64>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    for (li, line) in lines.iter().enumerate() {
        let which = if lines.len() > 1 {
            format!("line {}", li + 1)
        } else {
            "line".to_string()
        };
        if let Some((vi, problem)) = line
            .iter()
            .enumerate()
            .find_map(|(vi, p)| demine_core::validate::coordinate_problem(p[0], p[1]).map(|e| (vi, e)))
        {
            errors.push(format!("{which}, vertex {}: {problem}", vi + 1));
            continue;
        }
        let mut distinct = line.clone();
        distinct.dedup();
        if distinct.len() < 2 {
            errors.push(format!("{which} has fewer than 2 distinct vertices"));
            continue;
        }
        out.push(geo::LineString::from(
            line.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>(),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(match out.len() {
        1 => geo::Geometry::LineString(out.remove(0)),
        _ => geo::Geometry::MultiLineString(geo::MultiLineString::new(out)),
    })
}

/// Context-layer features: any point, line or polygon geometry, validated; properties kept.
pub fn layer_features(layer: &str, raw: &[RawRecord], fix: bool) -> Parsed<demine_core::ContextFeature> {
    let mut parsed = Parsed::default();
    for r in raw {
        let mut f = Fields::new(r);
        let geometry = match &r.geometry {
            RawGeometry::Point(_) => f.point().map(geo::Geometry::Point),
            RawGeometry::Points(ps) => {
                let mut pts = Vec::new();
                for (i, p) in ps.iter().enumerate() {
                    match validate_point(p[0], p[1]) {
                        Ok(pt) => pts.push(pt),
                        Err(e) => f.problem("geometry", format!("point {}: {e}", i + 1)),
                    }
                }
                Some(geo::Geometry::MultiPoint(geo::MultiPoint::new(pts)))
            }
            RawGeometry::Lines(lines) => match line_geometry(lines) {
                Ok(g) => Some(g),
                Err(errors) => {
                    for e in errors {
                        f.problem("geometry", e);
                    }
                    None
                }
            },
            RawGeometry::Polygons(_) => f.polygons(fix, &mut parsed.notes).map(|m| match m.0.len() {
                1 => geo::Geometry::Polygon(m.0[0].clone()),
                _ => geo::Geometry::MultiPolygon(m),
            }),
            RawGeometry::Missing | RawGeometry::Other(_) => {
                let t = r.geometry.type_name().to_string();
                f.problem(
                    "geometry",
                    format!("{t}: a layer feature needs a point, line or polygon geometry"),
                );
                None
            }
        };
        let record = geometry.map(|geometry| demine_core::ContextFeature {
            layer: layer.to_string(),
            id: f.id.clone(),
            geometry,
            attributes: std::mem::take(&mut f.props),
        });
        parsed = finish(parsed, f, record);
    }
    parsed
}

/// Organisations: `id`, `name`; optional `kind` (military, ngo, commercial, authority). No
/// geometry.
pub fn organisations(raw: &[RawRecord], known: &Known<'_>) -> Parsed<Organisation> {
    parse_each(raw, known, "organisation", |f, _notes| {
        let name = f.required_text("name");
        let kind = f.text("kind");
        match (f.id.clone(), name) {
            (Some(id), Some(name)) => Some(Organisation { id, name, kind }),
            _ => None,
        }
    })
}

/// The fields of a team in the import contract, in `teams.csv`'s order (`id` first).
pub const TEAM_FIELDS: [&str; 9] = [
    "id",
    "organisation",
    "kind",
    "productivity_m2_per_day",
    "base_lon",
    "base_lat",
    "start_date",
    "end_date",
    "cost_per_day",
];

/// Teams, as `teams.csv` of the planning contract: `id`, `kind`
/// (manual|mechanical|mdd|nts|ts), `productivity_m2_per_day`; optional `organisation`, the base
/// (a Point geometry, or `base_lon`,`base_lat`), `start_date`, `end_date`, `cost_per_day`.
pub fn teams(raw: &[RawRecord], known: &Known<'_>) -> Parsed<Team> {
    parse_each(raw, known, "team", |f, _notes| {
        let kind = f.enumerated::<TeamKind>("kind", true);
        let productivity = match f.number("productivity_m2_per_day") {
            Some(p) if p > 0.0 => match demine_core::domain::rate_beyond_any_team(p) {
                None => Some(p),
                Some(problem) => {
                    f.problem("productivity_m2_per_day", problem);
                    None
                }
            },
            Some(p) => {
                f.problem(
                    "productivity_m2_per_day",
                    format!("{p} m² per day: give a number above 0"),
                );
                None
            }
            None => {
                if f.problems.iter().all(|p| p.field != "productivity_m2_per_day") {
                    f.problem(
                        "productivity_m2_per_day",
                        "missing required field `productivity_m2_per_day` (m² a team clears in a day)",
                    );
                }
                None
            }
        };
        let organisation = f.text("organisation");
        unknown_ref(f, "organisation", &organisation, known.organisation_ids, "organisation");
        let base_lon = f.number("base_lon");
        let base_lat = f.number("base_lat");
        let base = match (&f.rec.geometry, base_lon, base_lat) {
            (RawGeometry::Point(_), _, _) => f.point().map(|p| (p.x(), p.y())),
            (RawGeometry::Missing, Some(x), Some(y)) => match validate_point(x, y) {
                Ok(_) => Some((x, y)),
                Err(e) => {
                    f.problem("base_lon", e);
                    None
                }
            },
            (RawGeometry::Missing, None, None) => None,
            (RawGeometry::Missing, _, _) => {
                f.problem("base_lat", "give both `base_lon` and `base_lat`, or neither");
                None
            }
            (other, _, _) => {
                let t = other.type_name().to_string();
                f.problem("geometry", format!("wrong geometry type {t}: a team's base is a Point"));
                None
            }
        };
        let start_date = f.date("start_date", false);
        let end_date = f.date("end_date", false);
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                f.problem("end_date", format!("end_date {e} is before start_date {s}"));
            }
        }
        let cost_per_day = f.number("cost_per_day");
        if let Some(c) = cost_per_day.filter(|c| *c < 0.0) {
            f.problem("cost_per_day", format!("{c} is negative"));
        }
        match (f.id.clone(), kind, productivity) {
            (Some(id), Some(kind), Some(productivity_m2_per_day)) => Some(Team {
                id,
                organisation,
                kind,
                productivity_m2_per_day,
                base_lon: base.map(|b| b.0),
                base_lat: base.map(|b| b.1),
                start_date,
                end_date,
                cost_per_day,
            }),
            _ => None,
        }
    })
}

/// Daily progress reports: `id`, `date`, `task` (or `hazard_id`), `team`, `team_kind`
/// (manual|mechanical|mdd|ts|nts), `hours`, the land worked (Polygon/MultiPolygon); optional
/// `downtime_hours`, `downtime_reason`, `finds`, `lanes`, `terrain`. Whether the work fits the
/// task and the team is checked against the registry afterwards (`demine_field::progress`).
pub fn progress(raw: &[RawRecord], known: &Known<'_>, fix: bool) -> Parsed<DailyProgress> {
    parse_each(raw, known, "daily progress report", |f, notes| {
        let date = f.date("date", true);
        let hazard_id = match f.text("task") {
            Some(t) => Some(t),
            None => f.text("hazard_id"),
        };
        if hazard_id.is_none() {
            f.problem("task", "missing: the hazard id the work was on (`task` or `hazard_id`)");
        }
        unknown_ref(f, "task", &hazard_id, known.hazard_ids, "hazard");
        let team = f.required_text("team");
        let team_kind = f.enumerated::<TeamKind>("team_kind", true);
        let hours = f.number("hours");
        if hours.is_none() && f.problems.iter().all(|p| p.field != "hours") {
            f.problem("hours", "missing required field `hours` (hours worked on site)");
        }
        let downtime_hours = f.number("downtime_hours").unwrap_or(0.0);
        let downtime_reason = f.text("downtime_reason");
        let finds = if f.props.keys().any(|k| k.eq_ignore_ascii_case("finds")) {
            match f.number("finds") {
                Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64 => x as u32,
                Some(x) => {
                    f.problem("finds", format!("{x} is not a count (0, 1, 2, …)"));
                    0
                }
                None => 0,
            }
        } else {
            0
        };
        let lanes = f.text("lanes");
        let terrain = f.text("terrain");
        let geometry = f.polygons(fix, notes);
        match (f.id.clone(), date, hazard_id, team, team_kind, hours, geometry) {
            (Some(id), Some(date), Some(hazard_id), Some(team), Some(kind), Some(hours), Some(geometry)) => {
                Some(DailyProgress {
                    id,
                    date,
                    hazard_id,
                    team,
                    team_kind: kind.as_str().to_string(),
                    geometry,
                    hours,
                    downtime_hours,
                    downtime_reason,
                    finds,
                    lanes,
                    terrain,
                    area_m2: 0.0,
                    activity_id: None,
                })
            }
            _ => None,
        }
    })
}
