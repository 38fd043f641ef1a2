//! Feature reads for map clients (OGC API – Features, vector tiles): one layer at a time, as
//! plain properties and a geometry (no full record decode), filtered by a backend-neutral
//! [`Filter`] that each backend translates to its own parameterised SQL.
//!
//! The filter is a value, not text: CQL2 (or anything else) is parsed outside the store into a
//! [`Filter`] over the layer's [`Field`]s; the GeoPackage backend turns it into SQL with bound
//! parameters (never interpolated values), and a PostGIS backend will do the same.

use crate::Bbox;
use chrono::NaiveDate;

/// A layer a map client can read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Layer {
    Hazards,
    Activities,
    Finds,
    Accidents,
    /// Pieces of land released, per activity (computed by the accounting).
    ReleasedLand,
    /// The risk map's H3 cells.
    RiskCells,
    /// One context layer (roads, settlements, …), by name.
    Context(String),
}

impl Layer {
    /// The record layers whose rows belong to an organisation.
    pub fn organisation_scoped(&self) -> bool {
        matches!(
            self,
            Layer::Hazards | Layer::Activities | Layer::Finds | Layer::Accidents | Layer::ReleasedLand
        )
    }
}

/// The type of a field, as filters and schemas see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    /// `YYYY-MM-DD`.
    Date,
}

/// A property of a layer's features that a filter may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// The allowed values of an enumeration (empty: any).
    pub values: &'static [&'static str],
    pub title: &'static str,
}

const fn f(name: &'static str, ty: FieldType, title: &'static str) -> Field {
    Field {
        name,
        ty,
        values: &[],
        title,
    }
}
const fn e(name: &'static str, values: &'static [&'static str], title: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::String,
        values,
        title,
    }
}

use FieldType::{Date, Integer, Number, String as Text};

const HAZARD_FIELDS: &[Field] = &[
    f("id", Text, "Hazard id"),
    e("class", &["SHA", "CHA"], "SHA (suspected) or CHA (confirmed)"),
    f("name", Text, "Name"),
    e(
        "status",
        &["active", "partially_released", "released"],
        "Status computed from land release",
    ),
    f("reported_status", Text, "Status as reported"),
    f("organisation", Text, "Organisation"),
    f("land_use", Text, "Land use"),
    f("contamination", Text, "Contamination"),
    f("recorded_date", Date, "Date recorded"),
    f("area_m2", Number, "Area (m², geodesic)"),
    f("cancelled_m2", Number, "Cancelled (m²)"),
    f("reduced_m2", Number, "Reduced (m²)"),
    f("cleared_m2", Number, "Cleared (m²)"),
    f("remaining_m2", Number, "Remaining area (m²)"),
];

const ACTIVITY_FIELDS: &[Field] = &[
    f("id", Text, "Activity id"),
    f("hazard_id", Text, "Hazard"),
    e("type", &["NTS", "TS", "clearance", "BAC", "EOD"], "Activity type"),
    e("outcome", &["cancelled", "reduced", "cleared"], "Outcome"),
    f("start_date", Date, "Start date"),
    f("end_date", Date, "End date"),
    f("organisation", Text, "Organisation"),
    f("team", Text, "Team"),
    f("method", Text, "Method"),
    f("depth_cm", Number, "Depth (cm)"),
];

const FIND_FIELDS: &[Field] = &[
    f("id", Text, "Find id"),
    f("date", Date, "Date"),
    e(
        "category",
        &["AP_mine", "AT_mine", "UXO", "AXO", "IED", "submunition", "other"],
        "Category",
    ),
    f("hazard_id", Text, "Hazard"),
    f("activity_id", Text, "Activity"),
    f("depth_cm", Number, "Depth (cm)"),
    f("condition", Text, "Condition"),
    f("disposition", Text, "Disposition"),
];

const ACCIDENT_FIELDS: &[Field] = &[
    f("id", Text, "Accident id"),
    f("date", Date, "Date"),
    f("killed", Integer, "Killed"),
    f("injured", Integer, "Injured"),
    f("hazard_id", Text, "Hazard"),
];

const RELEASED_FIELDS: &[Field] = &[
    f("id", Text, "Piece id (its stored position)"),
    f("hazard_id", Text, "Hazard"),
    f("activity_id", Text, "Activity that released it"),
    e("outcome", &["cancelled", "reduced", "cleared"], "Outcome"),
    f("area_m2", Number, "Area (m²)"),
];

const RISK_FIELDS: &[Field] = &[
    f("id", Text, "H3 cell"),
    f("resolution", Integer, "H3 resolution"),
    f("risk", Number, "Probability of contamination"),
    f("items", Integer, "Items found"),
];

const CONTEXT_FIELDS: &[Field] = &[f("id", Text, "Feature id"), f("layer", Text, "Layer")];

impl Layer {
    /// The fields a filter may use (and every feature carries among its properties).
    pub fn fields(&self) -> &'static [Field] {
        match self {
            Layer::Hazards => HAZARD_FIELDS,
            Layer::Activities => ACTIVITY_FIELDS,
            Layer::Finds => FIND_FIELDS,
            Layer::Accidents => ACCIDENT_FIELDS,
            Layer::ReleasedLand => RELEASED_FIELDS,
            Layer::RiskCells => RISK_FIELDS,
            Layer::Context(_) => CONTEXT_FIELDS,
        }
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// The field that dates a feature (for `datetime`), if any.
    pub fn date_field(&self) -> Option<&'static str> {
        match self {
            Layer::Hazards => Some("recorded_date"),
            Layer::Activities => Some("end_date"),
            Layer::Finds | Layer::Accidents => Some("date"),
            _ => None,
        }
    }
}

/// A literal a filter compares with, already of its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Integer(i64),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition on a layer's features. Property names are [`Field`] names of the layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Matches everything (`true`) or nothing (`false`).
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `property op value`; `case_insensitive` compares lower-cased text (CQL2 `CASEI`).
    Compare {
        property: String,
        op: CmpOp,
        value: Literal,
        case_insensitive: bool,
    },
    /// SQL-style pattern (`%` any run, `_` one character).
    Like {
        property: String,
        pattern: String,
        case_insensitive: bool,
    },
    In {
        property: String,
        values: Vec<Literal>,
    },
    Between {
        property: String,
        low: Literal,
        high: Literal,
    },
    IsNull(String),
    /// The feature's geometry shares a point with this one (lon/lat, WGS84).
    Intersects(geo::Geometry<f64>),
}

/// Which features of a layer a read wants.
#[derive(Debug, Clone)]
pub struct FeatureQuery {
    pub layer: Layer,
    /// Only features of these organisations (`None`: every one).
    pub organisations: Option<Vec<String>>,
    /// Only features whose geometry's box meets this one.
    pub bbox: Option<Bbox>,
    pub filter: Option<Filter>,
    /// Only this feature (by id).
    pub id: Option<String>,
    /// Keyset paging: only features stored after this position ([`FeatureRow::fid`]).
    pub after: Option<i64>,
    /// Offset paging (ignored when `after` is given).
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    /// Read the records' free attributes too (`true`); map tiles carry only the layer's fields
    /// and skip them.
    pub with_attributes: bool,
}

impl FeatureQuery {
    pub fn new(layer: Layer) -> FeatureQuery {
        FeatureQuery {
            layer,
            organisations: None,
            bbox: None,
            filter: None,
            id: None,
            after: None,
            offset: None,
            limit: None,
            with_attributes: true,
        }
    }
}

/// One feature as map clients see it.
#[derive(Debug, Clone)]
pub struct FeatureRow {
    /// Stored position (paging).
    pub fid: i64,
    pub id: String,
    /// The record's version (1 for derived layers).
    pub version: u64,
    pub geometry: geo::Geometry<f64>,
    /// The layer's fields (nulls left out) and, for records, their free attributes.
    pub properties: serde_json::Map<String, serde_json::Value>,
}
