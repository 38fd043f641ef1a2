//! Domain types in IMAS vocabulary.
//!
//! Every enumeration has one canonical spelling (the one in the import contract), parses
//! case-insensitively, and reports the allowed values when a value is unknown.

use chrono::NaiveDate;
use geo::{MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Free attributes kept from imports that demine does not interpret.
pub type Attributes = serde_json::Map<String, serde_json::Value>;

/// A value outside an enumeration: names the value and lists the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not one of the allowed values: {}", allowed.join(", "))]
pub struct UnknownValue {
    pub value: String,
    pub allowed: &'static [&'static str],
}

macro_rules! imas_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in canonical spelling.
            pub const ALLOWED: &'static [&'static str] = &[$($text),+];
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The canonical spelling, as in the import contract.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                Err(UnknownValue { value: s.to_string(), allowed: Self::ALLOWED })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

imas_enum! {
    /// Suspected (indirect evidence) or confirmed (direct evidence) hazardous area.
    HazardClass { Sha => "SHA", Cha => "CHA" }
}

imas_enum! {
    /// Where a hazard stands in the land-release lifecycle. Derived from the accounting
    /// ([`HazardStatus::from_release`]), never typed in.
    HazardStatus {
        /// Nothing released yet.
        Active => "active",
        /// Some land released, some remains.
        PartiallyReleased => "partially_released",
        /// Remaining area is zero: all land cancelled, reduced or cleared.
        Released => "released",
    }
}

imas_enum! {
    /// The kind of land-release activity.
    ActivityType {
        /// Non-technical survey.
        Nts => "NTS",
        /// Technical survey.
        Ts => "TS",
        /// Clearance to a specified depth.
        Clearance => "clearance",
        /// Battle area clearance.
        Bac => "BAC",
        /// Explosive ordnance disposal spot task.
        Eod => "EOD",
    }
}

imas_enum! {
    /// How an activity released its land.
    Outcome { Cancelled => "cancelled", Reduced => "reduced", Cleared => "cleared" }
}

imas_enum! {
    /// Category of an explosive ordnance item found.
    FindCategory {
        ApMine => "AP_mine",
        AtMine => "AT_mine",
        Uxo => "UXO",
        Axo => "AXO",
        Ied => "IED",
        Submunition => "submunition",
        Other => "other",
    }
}

imas_enum! {
    /// The kind of team or asset.
    TeamKind {
        Manual => "manual",
        Mechanical => "mechanical",
        Mdd => "mdd",
        Nts => "nts",
        Ts => "ts",
    }
}

impl ActivityType {
    /// Outcomes an activity of this type may claim. NTS cancels; TS reduces (or clears what it
    /// searched fully); clearance, BAC and EOD clear.
    pub fn allowed_outcomes(self) -> &'static [Outcome] {
        match self {
            ActivityType::Nts => &[Outcome::Cancelled],
            ActivityType::Ts => &[Outcome::Reduced, Outcome::Cleared],
            ActivityType::Clearance | ActivityType::Bac | ActivityType::Eod => &[Outcome::Cleared],
        }
    }
}

impl HazardStatus {
    /// The lifecycle rule, in one place: a hazard is released only when its remaining area is
    /// zero (to within `tolerance_m2`, which absorbs floating-point noise of polygon clipping),
    /// and is partially released as soon as any land has been released.
    pub fn from_release(area_m2: f64, remaining_m2: f64, tolerance_m2: f64) -> HazardStatus {
        if remaining_m2 <= tolerance_m2 {
            HazardStatus::Released
        } else if area_m2 - remaining_m2 > tolerance_m2 {
            HazardStatus::PartiallyReleased
        } else {
            HazardStatus::Active
        }
    }
}

/// Area below which remaining land is treated as zero: 0.01 m² per hazard, far below what any
/// survey can measure and far above clipping noise.
pub const RELEASE_TOLERANCE_M2: f64 = 0.01;

/// A hazardous area (SHA or CHA).
#[derive(Debug, Clone, PartialEq)]
pub struct Hazard {
    pub id: String,
    pub class: HazardClass,
    /// Outline, lon/lat WGS84, exterior rings counter-clockwise.
    pub geometry: MultiPolygon<f64>,
    pub name: Option<String>,
    /// Status as reported by the operator; the authoritative one is computed.
    pub reported_status: Option<String>,
    pub organisation: Option<String>,
    pub land_use: Option<String>,
    pub contamination: Option<String>,
    pub evidence: Option<String>,
    pub blockages: Option<String>,
    /// The day the hazard was recorded (surveyed or reported). `--as-of D` counts the hazard only
    /// from this day; an import without it records the day of import.
    pub recorded_date: Option<NaiveDate>,
    pub attributes: Attributes,
}

impl Hazard {
    /// A hazard with only what every record needs; the optional fields are empty (set them
    /// with struct update syntax: `Hazard { contamination: Some(…), ..Hazard::new(…) }`).
    ///
    /// ```
    /// use demine_core::{Hazard, HazardClass};
    /// use geo::{polygon, MultiPolygon};
    /// let square = MultiPolygon::new(vec![polygon![(x: 35.0, y: 51.0), (x: 35.01, y: 51.0), (x: 35.01, y: 51.01), (x: 35.0, y: 51.01)]]);
    /// let h = Hazard { contamination: Some("AP_mines".into()), ..Hazard::new("HAZ-1", HazardClass::Cha, square) };
    /// assert_eq!(h.organisation, None);
    /// ```
    pub fn new(id: impl Into<String>, class: HazardClass, geometry: MultiPolygon<f64>) -> Hazard {
        Hazard {
            id: id.into(),
            class,
            geometry,
            name: None,
            reported_status: None,
            organisation: None,
            land_use: None,
            contamination: None,
            evidence: None,
            blockages: None,
            recorded_date: None,
            attributes: Attributes::default(),
        }
    }
}

/// A land-release activity: the polygon is the land it released.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub hazard_id: String,
    pub activity_type: ActivityType,
    pub outcome: Outcome,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub geometry: MultiPolygon<f64>,
    pub organisation: Option<String>,
    pub team: Option<String>,
    pub method: Option<String>,
    pub depth_cm: Option<f64>,
    pub attributes: Attributes,
}

/// An item of explosive ordnance found.
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub id: String,
    pub date: NaiveDate,
    pub category: FindCategory,
    pub location: Point<f64>,
    pub hazard_id: Option<String>,
    pub activity_id: Option<String>,
    pub depth_cm: Option<f64>,
    pub condition: Option<String>,
    pub disposition: Option<String>,
    pub attributes: Attributes,
}

impl Find {
    /// A find with only what every record needs; the optional fields are empty, as for
    /// [`Hazard::new`].
    pub fn new(id: impl Into<String>, date: NaiveDate, category: FindCategory, location: Point<f64>) -> Find {
        Find {
            id: id.into(),
            date,
            category,
            location,
            hazard_id: None,
            activity_id: None,
            depth_cm: None,
            condition: None,
            disposition: None,
            attributes: Attributes::default(),
        }
    }
}

/// An explosive ordnance accident (victims killed or injured).
#[derive(Debug, Clone, PartialEq)]
pub struct Accident {
    pub id: String,
    pub date: NaiveDate,
    pub killed: u32,
    pub injured: u32,
    pub location: Point<f64>,
    pub hazard_id: Option<String>,
    pub attributes: Attributes,
}

/// An operator: military engineers, humanitarian NGO, commercial company, authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    /// e.g. `military`, `ngo`, `commercial`, `authority`.
    pub kind: Option<String>,
}

/// The most land one team releases in a day, m² (100 km²): far above any survey team's rate; a
/// larger figure is a unit or typing mistake that would make every plan finish at once.
pub const MAX_PRODUCTIVITY_M2_PER_DAY: f64 = 1.0e8;

/// What is wrong with a team's rate of `m2_per_day` above [`MAX_PRODUCTIVITY_M2_PER_DAY`], for
/// every reader of teams (registry import, `--teams` files); `None` when it is not above.
pub fn rate_beyond_any_team(m2_per_day: f64) -> Option<String> {
    (m2_per_day > MAX_PRODUCTIVITY_M2_PER_DAY).then(|| {
        format!("{m2_per_day} m² per day is more than 100 km² a day, no team's rate: give the m² one team releases in a day")
    })
}

/// A team or asset able to work on hazards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub organisation: Option<String>,
    pub kind: TeamKind,
    pub productivity_m2_per_day: f64,
    pub base_lon: Option<f64>,
    pub base_lat: Option<f64>,
    /// First day the team is available (planning starts it no earlier).
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Last day the team is available (contract end, rotation).
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Cost of one team-day, in the programme's currency.
    #[serde(default)]
    pub cost_per_day: Option<f64>,
}

/// The kinds of registry record: each is imported, corrected (amend, retire, upsert) and
/// versioned the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Hazards,
    Activities,
    Finds,
    Accidents,
    Organisations,
    Teams,
    /// Daily progress reports (each also recorded as a clearance activity).
    Progress,
    /// Post-clearance inspections (QA).
    Qa,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Hazards,
        RecordKind::Activities,
        RecordKind::Finds,
        RecordKind::Accidents,
        RecordKind::Organisations,
        RecordKind::Teams,
        RecordKind::Progress,
        RecordKind::Qa,
    ];
    /// The four kinds of the import contract that carry a geometry of their own.
    pub const FEATURES: [RecordKind; 4] = [
        RecordKind::Hazards,
        RecordKind::Activities,
        RecordKind::Finds,
        RecordKind::Accidents,
    ];
    /// Plural noun on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Hazards => "hazards",
            RecordKind::Activities => "activities",
            RecordKind::Finds => "finds",
            RecordKind::Accidents => "accidents",
            RecordKind::Organisations => "organisations",
            RecordKind::Teams => "teams",
            RecordKind::Progress => "progress",
            RecordKind::Qa => "qa",
        }
    }
    /// The table (GeoPackage layer) that holds the kind.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Progress => "daily_progress",
            RecordKind::Qa => "qa_inspections",
            other => other.as_str(),
        }
    }
    /// One record of the kind, for messages ("hazard 'H1'").
    pub fn singular(self) -> &'static str {
        match self {
            RecordKind::Hazards => "hazard",
            RecordKind::Activities => "activity",
            RecordKind::Finds => "find",
            RecordKind::Accidents => "accident",
            RecordKind::Organisations => "organisation",
            RecordKind::Teams => "team",
            RecordKind::Progress => "daily progress report",
            RecordKind::Qa => "QA inspection",
        }
    }
}

impl FromStr for RecordKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, UnknownValue> {
        const ALLOWED: &[&str] = &[
            "hazards",
            "activities",
            "finds",
            "accidents",
            "organisations",
            "teams",
            "progress",
            "qa",
        ];
        let t = s.trim().to_ascii_lowercase();
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t || k.singular() == t || k.table() == t)
            .ok_or(UnknownValue {
                value: s.to_string(),
                allowed: ALLOWED,
            })
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_case_insensitively_and_list_allowed_values() {
        assert_eq!("sha".parse::<HazardClass>().unwrap(), HazardClass::Sha);
        assert_eq!(" Cleared ".parse::<Outcome>().unwrap(), Outcome::Cleared);
        let err = "XYZ".parse::<ActivityType>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("'XYZ'"), "{msg}");
        assert!(msg.contains("NTS, TS, clearance, BAC, EOD"), "{msg}");
    }

    #[test]
    fn lifecycle_rule() {
        assert_eq!(HazardStatus::from_release(100.0, 100.0, 0.01), HazardStatus::Active);
        assert_eq!(
            HazardStatus::from_release(100.0, 40.0, 0.01),
            HazardStatus::PartiallyReleased
        );
        assert_eq!(HazardStatus::from_release(100.0, 0.0, 0.01), HazardStatus::Released);
    }
}

/// What every registry record shares: an id, a geometry and flat properties. Serves the change
/// log and every export, so that a record is described the same way everywhere.
pub trait Record {
    /// The record's unique id.
    fn id(&self) -> &str;
    /// Geometry, lon/lat WGS84.
    fn geometry(&self) -> geo::Geometry<f64>;
    /// Properties named as in the import contract; free attributes follow, never overriding.
    fn properties(&self) -> Attributes;
}

/// A one-part multipolygon is written as the Polygon it was imported as.
fn simplest(g: &MultiPolygon<f64>) -> geo::Geometry<f64> {
    match g.0.as_slice() {
        [one] => geo::Geometry::Polygon(one.clone()),
        _ => geo::Geometry::MultiPolygon(g.clone()),
    }
}

fn put<V: Into<serde_json::Value>>(m: &mut Attributes, key: &str, v: Option<V>) {
    if let Some(v) = v {
        m.insert(key.to_string(), v.into());
    }
}

fn merge_free(m: &mut Attributes, free: &Attributes) {
    for (k, v) in free {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

impl Record for Hazard {
    fn id(&self) -> &str {
        &self.id
    }
    fn geometry(&self) -> geo::Geometry<f64> {
        simplest(&self.geometry)
    }
    fn properties(&self) -> Attributes {
        let mut m = Attributes::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("class".into(), self.class.as_str().into());
        put(&mut m, "name", self.name.clone());
        put(&mut m, "status", self.reported_status.clone());
        put(&mut m, "organisation", self.organisation.clone());
        put(&mut m, "land_use", self.land_use.clone());
        put(&mut m, "contamination", self.contamination.clone());
        put(&mut m, "evidence", self.evidence.clone());
        put(&mut m, "blockages", self.blockages.clone());
        put(&mut m, "recorded_date", self.recorded_date.map(|d| d.to_string()));
        merge_free(&mut m, &self.attributes);
        m
    }
}

impl Record for Activity {
    fn id(&self) -> &str {
        &self.id
    }
    fn geometry(&self) -> geo::Geometry<f64> {
        simplest(&self.geometry)
    }
    fn properties(&self) -> Attributes {
        let mut m = Attributes::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("hazard_id".into(), self.hazard_id.clone().into());
        m.insert("type".into(), self.activity_type.as_str().into());
        m.insert("outcome".into(), self.outcome.as_str().into());
        m.insert("start_date".into(), self.start_date.to_string().into());
        m.insert("end_date".into(), self.end_date.to_string().into());
        put(&mut m, "organisation", self.organisation.clone());
        put(&mut m, "team", self.team.clone());
        put(&mut m, "method", self.method.clone());
        put(&mut m, "depth_cm", self.depth_cm);
        merge_free(&mut m, &self.attributes);
        m
    }
}

impl Record for Find {
    fn id(&self) -> &str {
        &self.id
    }
    fn geometry(&self) -> geo::Geometry<f64> {
        geo::Geometry::Point(self.location)
    }
    fn properties(&self) -> Attributes {
        let mut m = Attributes::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("date".into(), self.date.to_string().into());
        m.insert("category".into(), self.category.as_str().into());
        put(&mut m, "hazard_id", self.hazard_id.clone());
        put(&mut m, "activity_id", self.activity_id.clone());
        put(&mut m, "depth_cm", self.depth_cm);
        put(&mut m, "condition", self.condition.clone());
        put(&mut m, "disposition", self.disposition.clone());
        merge_free(&mut m, &self.attributes);
        m
    }
}

impl Record for Accident {
    fn id(&self) -> &str {
        &self.id
    }
    fn geometry(&self) -> geo::Geometry<f64> {
        geo::Geometry::Point(self.location)
    }
    fn properties(&self) -> Attributes {
        let mut m = Attributes::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("date".into(), self.date.to_string().into());
        m.insert("killed".into(), self.killed.into());
        m.insert("injured".into(), self.injured.into());
        put(&mut m, "hazard_id", self.hazard_id.clone());
        merge_free(&mut m, &self.attributes);
        m
    }
}

/// A feature of a context layer — roads, rivers, settlements, land cover, lines of contact,
/// fortified positions: what risk features measure distances and shares against.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextFeature {
    /// Layer name: lower-case letters, digits and `_` (see [`check_layer_name`]).
    pub layer: String,
    pub id: Option<String>,
    /// Point, line or polygon (or their multi forms), lon/lat WGS84.
    pub geometry: geo::Geometry<f64>,
    pub attributes: Attributes,
}

/// Layer names are identifiers: 1–40 of `a-z`, `0-9`, `_`, starting with a letter.
pub fn check_layer_name(name: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "layer name '{name}' must be 1–40 lower-case letters, digits or '_', starting with a letter (e.g. roads, line_of_contact)"
        ))
    }
}

impl Record for ContextFeature {
    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }
    fn geometry(&self) -> geo::Geometry<f64> {
        self.geometry.clone()
    }
    fn properties(&self) -> Attributes {
        let mut m = Attributes::new();
        m.insert("layer".into(), self.layer.clone().into());
        put(&mut m, "id", self.id.clone());
        merge_free(&mut m, &self.attributes);
        m
    }
}

/// One cell of a risk map: an H3 hexagon with the modelled probability that it holds
/// explosive ordnance.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskCell {
    /// H3 index, hexadecimal (e.g. `8928308280fffff`).
    pub cell: String,
    pub resolution: u8,
    /// Hexagon outline, lon/lat.
    pub outline: geo::Polygon<f64>,
    /// Calibrated probability (0..1) that the cell holds any item.
    pub risk: f64,
    /// Training label, when the cell had one: found something (true) or searched clean (false).
    pub label: Option<bool>,
    /// Finds and accidents recorded in the cell.
    pub items: u32,
}

/// A hazard's risk summary from a risk map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardRisk {
    pub hazard_id: String,
    /// Expected share of the hazard's area that is contaminated (area-weighted mean cell risk).
    pub expected_contaminated_share: f64,
    /// Probability that the hazard holds at least one item: 1 − Π(1 − p_cell · share_cell).
    pub p_any: f64,
}

/// A registry record of any kind: what corrections (amend, retire, upsert) and versioned
/// reads carry.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyRecord {
    Hazard(Hazard),
    Activity(Activity),
    Find(Find),
    Accident(Accident),
    Organisation(Organisation),
    Team(Team),
    Progress(crate::DailyProgress),
    Qa(crate::QaInspection),
}

impl AnyRecord {
    pub fn kind(&self) -> RecordKind {
        match self {
            AnyRecord::Hazard(_) => RecordKind::Hazards,
            AnyRecord::Activity(_) => RecordKind::Activities,
            AnyRecord::Find(_) => RecordKind::Finds,
            AnyRecord::Accident(_) => RecordKind::Accidents,
            AnyRecord::Organisation(_) => RecordKind::Organisations,
            AnyRecord::Team(_) => RecordKind::Teams,
            AnyRecord::Progress(_) => RecordKind::Progress,
            AnyRecord::Qa(_) => RecordKind::Qa,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            AnyRecord::Hazard(r) => &r.id,
            AnyRecord::Activity(r) => &r.id,
            AnyRecord::Find(r) => &r.id,
            AnyRecord::Accident(r) => &r.id,
            AnyRecord::Organisation(r) => &r.id,
            AnyRecord::Team(r) => &r.id,
            AnyRecord::Progress(r) => &r.id,
            AnyRecord::Qa(r) => &r.id,
        }
    }

    /// The hazard the record belongs to (a hazard belongs to itself).
    pub fn hazard_id(&self) -> Option<&str> {
        match self {
            AnyRecord::Hazard(r) => Some(&r.id),
            AnyRecord::Activity(r) => Some(&r.hazard_id),
            AnyRecord::Find(r) => r.hazard_id.as_deref(),
            AnyRecord::Accident(r) => r.hazard_id.as_deref(),
            AnyRecord::Progress(r) => Some(&r.hazard_id),
            AnyRecord::Qa(r) => Some(&r.hazard_id),
            AnyRecord::Organisation(_) | AnyRecord::Team(_) => None,
        }
    }
}
