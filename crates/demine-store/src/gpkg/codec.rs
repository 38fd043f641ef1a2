//! Records to and from rows: which table and columns each kind lives in, geometry blobs,
//! multi-row inserts.

use crate::{Result, StoreError};
use chrono::NaiveDate;
use demine_core::Record;
use demine_core::{
    Accident, Activity, ActivityType, AnyRecord, Attributes, ContextFeature, DailyProgress, Find, FindCategory, Hazard,
    HazardClass, Organisation, Outcome, QaInspection, RecordKind, Team, TeamKind,
};
use geo::{BoundingRect, Geometry, LineString, MultiPolygon, Point, Polygon, Rect};
use geozero::wkb::GpkgWkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use std::str::FromStr;

/// Where a kind of record lives and how its rows read.
pub(crate) struct Spec {
    pub kind: RecordKind,
    pub table: &'static str,
    /// The record's own columns (no `fid`, no computed or version columns), `geom` first when
    /// it has one. The same names in `<table>_history`.
    pub columns: &'static [&'static str],
    pub has_geom: bool,
    /// The record's own date, for `as_of`, `from` and `to` (`None`: undated).
    pub own_date: Option<&'static str>,
    /// SQL for the record's organisation (the row is aliased `t`).
    pub organisation: &'static str,
    /// The column naming the record's hazard (for hazards: `id`).
    pub hazard_column: Option<&'static str>,
}

const HAZARD_ORG: &str = "(SELECT h.organisation FROM hazards h WHERE h.id = t.hazard_id)";

pub(crate) const SPECS: [Spec; 8] = [
    Spec {
        kind: RecordKind::Hazards,
        table: "hazards",
        columns: &[
            "geom",
            "id",
            "class",
            "name",
            "reported_status",
            "organisation",
            "land_use",
            "contamination",
            "evidence",
            "blockages",
            "attributes",
            "recorded_date",
        ],
        has_geom: true,
        own_date: Some("recorded_date"),
        organisation: "t.organisation",
        hazard_column: Some("id"),
    },
    Spec {
        kind: RecordKind::Activities,
        table: "activities",
        columns: &[
            "geom",
            "id",
            "hazard_id",
            "type",
            "outcome",
            "start_date",
            "end_date",
            "organisation",
            "team",
            "method",
            "depth_cm",
            "attributes",
        ],
        has_geom: true,
        own_date: Some("end_date"),
        organisation: "COALESCE(t.organisation, (SELECT h.organisation FROM hazards h WHERE h.id = t.hazard_id))",
        hazard_column: Some("hazard_id"),
    },
    Spec {
        kind: RecordKind::Finds,
        table: "finds",
        columns: &[
            "geom",
            "id",
            "date",
            "category",
            "hazard_id",
            "activity_id",
            "depth_cm",
            "condition",
            "disposition",
            "attributes",
        ],
        has_geom: true,
        own_date: Some("date"),
        organisation: HAZARD_ORG,
        hazard_column: Some("hazard_id"),
    },
    Spec {
        kind: RecordKind::Accidents,
        table: "accidents",
        columns: &["geom", "id", "date", "killed", "injured", "hazard_id", "attributes"],
        has_geom: true,
        own_date: Some("date"),
        organisation: HAZARD_ORG,
        hazard_column: Some("hazard_id"),
    },
    Spec {
        kind: RecordKind::Organisations,
        table: "organisations",
        columns: &["id", "name", "kind"],
        has_geom: false,
        own_date: None,
        organisation: "t.id",
        hazard_column: None,
    },
    Spec {
        kind: RecordKind::Teams,
        table: "teams",
        columns: &[
            "id",
            "organisation",
            "kind",
            "productivity_m2_per_day",
            "base_lon",
            "base_lat",
            "start_date",
            "end_date",
            "cost_per_day",
        ],
        has_geom: false,
        own_date: None,
        organisation: "t.organisation",
        hazard_column: None,
    },
    Spec {
        kind: RecordKind::Progress,
        table: "daily_progress",
        columns: &[
            "geom",
            "id",
            "date",
            "hazard_id",
            "team",
            "team_kind",
            "hours",
            "downtime_hours",
            "downtime_reason",
            "finds",
            "lanes",
            "terrain",
            "area_m2",
            "activity_id",
        ],
        has_geom: true,
        own_date: Some("date"),
        organisation: HAZARD_ORG,
        hazard_column: Some("hazard_id"),
    },
    Spec {
        kind: RecordKind::Qa,
        table: "qa_inspections",
        columns: &[
            "id",
            "hazard_id",
            "date",
            "lot_units",
            "sample_units",
            "box_m",
            "c",
            "defects",
            "accepted",
            "detection",
            "nonconformities",
            "inspector",
        ],
        has_geom: false,
        own_date: Some("date"),
        organisation: HAZARD_ORG,
        hazard_column: Some("hazard_id"),
    },
];

pub(crate) fn spec(kind: RecordKind) -> &'static Spec {
    SPECS.iter().find(|s| s.kind == kind).expect("every kind has a spec")
}

/// A value bound into a statement.
pub(crate) enum Val {
    Text(Option<String>),
    Real(Option<f64>),
    Int(Option<i64>),
    Blob(Vec<u8>),
}

impl Val {
    pub fn text(s: &str) -> Val {
        Val::Text(Some(s.to_string()))
    }
    pub fn opt(s: &Option<String>) -> Val {
        Val::Text(s.clone())
    }
    pub fn date(d: NaiveDate) -> Val {
        Val::Text(Some(d.to_string()))
    }
    pub fn opt_date(d: Option<NaiveDate>) -> Val {
        Val::Text(d.map(|d| d.to_string()))
    }
}

/// Inserts rows through one prepared statement bound row by row on the connection's own
/// handle ([`super::bind`]): a million finds and their change log in seconds, not minutes.
/// The SQLite work runs on this thread (as `block_in_place` on a multi-threaded runtime, so
/// other tasks move to another worker meanwhile).
pub(crate) async fn insert_many(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut handle = tx.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: sqlx's lock on the connection is held (`handle`) for the whole call.
    blocking(|| unsafe { super::bind::insert_rows(db, table, columns, &rows) })
        .map_err(|msg| constraint_message(msg, table))
}

/// The boxes of the new rows' geometries ([`super::bind::geometry_boxes`]).
pub(crate) async fn geometry_boxes(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    fid_after: i64,
) -> Result<Vec<super::bind::FidBox>> {
    let mut handle = tx.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: sqlx's lock on the connection is held (`handle`) for the whole call.
    blocking(|| unsafe { super::bind::geometry_boxes(db, table, fid_after) })
        .map_err(|msg| StoreError::Sql(sqlx::Error::Protocol(format!("{table}: {msg}"))))
}

/// Runs `f`, which blocks, without stalling the other tasks of a multi-threaded runtime.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A constraint failure as a message that names the table and says what to do; other errors
/// as they are.
pub(crate) fn constraint(e: sqlx::Error, table: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => match constraint_refusal(db.message(), table) {
            Some(refused) => refused,
            None => StoreError::Sql(e),
        },
        _ => StoreError::Sql(e),
    }
}

fn constraint_message(msg: String, table: &str) -> StoreError {
    constraint_refusal(&msg, table).unwrap_or_else(|| StoreError::Sql(sqlx::Error::Protocol(format!("{table}: {msg}"))))
}

fn constraint_refusal(msg: &str, table: &str) -> Option<StoreError> {
    if msg.contains("UNIQUE constraint failed") {
        return Some(StoreError::Refused(format!(
            "{table}: a record with the same id is already in the registry ({msg}); another change may have added it meanwhile: read the registry again and retry"
        )));
    }
    if msg.contains("FOREIGN KEY constraint failed") {
        return Some(StoreError::Refused(format!(
            "{table}: the change would leave a record referring to one that does not exist ({msg}); retire or re-link the records that refer to it first"
        )));
    }
    None
}

pub(crate) async fn extend_extent(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    rect: Option<Rect<f64>>,
    at: &str,
) -> Result<()> {
    let Some(r) = rect else { return Ok(()) };
    sqlx::query(
        "UPDATE gpkg_contents SET
           min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
           max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
           last_change = ?5
         WHERE table_name = ?6",
    )
    .bind(r.min().x)
    .bind(r.min().y)
    .bind(r.max().x)
    .bind(r.max().y)
    .bind(at)
    .bind(table)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) fn union_rect(acc: Option<Rect<f64>>, r: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (acc, r) {
        (None, r) | (r, None) => r,
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
    }
}

/// The GeoPackage blob of a polygon (as [`gpkg_blob`] writes it) and its bounding box, written
/// directly: a national risk map holds millions of hexagons.
pub(crate) fn polygon_blob(p: &Polygon<f64>) -> (Vec<u8>, Option<Rect<f64>>) {
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    let points: usize = rings.iter().map(|r| r.0.len()).sum();
    let rect = p.bounding_rect();
    let mut b = Vec::with_capacity(8 + 32 + 9 + 4 * rings.len() + 16 * points);
    // Header: magic, version 0, flags (envelope [minx, maxx, miny, maxy], little-endian), SRS.
    b.extend_from_slice(b"GP");
    b.push(0);
    b.push(if rect.is_some() { 0b0000_0011 } else { 0b0000_0001 });
    b.extend_from_slice(&4326i32.to_le_bytes());
    if let Some(r) = rect {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    // WKB polygon, little-endian.
    b.push(1);
    b.extend_from_slice(&3u32.to_le_bytes());
    let non_empty: Vec<&&LineString<f64>> = rings.iter().filter(|r| !r.0.is_empty()).collect();
    b.extend_from_slice(&(non_empty.len() as u32).to_le_bytes());
    for r in non_empty {
        b.extend_from_slice(&(r.0.len() as u32).to_le_bytes());
        for c in &r.0 {
            b.extend_from_slice(&c.x.to_le_bytes());
            b.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    (b, rect)
}

/// GeoPackage geometry blob (little-endian WKB after a GP header with the envelope).
pub(crate) fn gpkg_blob(g: &Geometry<f64>) -> Result<Vec<u8>> {
    let envelope = match g.bounding_rect() {
        Some(r) if !matches!(g, Geometry::Point(_)) => vec![r.min().x, r.max().x, r.min().y, r.max().y],
        _ => Vec::new(), // points carry no envelope (spec: optional, GDAL omits it)
    };
    g.to_gpkg_wkb(CoordDimensions::xy(), Some(4326), envelope)
        .map_err(|e| StoreError::Sql(sqlx::Error::Encode(Box::new(e))))
}

pub(crate) fn json_attributes(a: &Attributes) -> Option<String> {
    (!a.is_empty()).then(|| serde_json::Value::Object(a.clone()).to_string())
}

/// Appends an inserted record's version columns (`version`, `valid_from`, `in_force_from`, and
/// `review` where the kind is reviewed) to its values. A record retired earlier and imported
/// again (`last_version`) continues its history: its next version, in force from now (not from
/// its own date: that version was known then). Returns that next version, if any.
pub(crate) fn push_version_columns(
    values: &mut Vec<Val>,
    last_version: Option<u64>,
    at: &str,
    inserts_in_force_now: bool,
    review: Option<&str>,
) -> Option<u64> {
    let (version, in_force) = match last_version {
        Some(last) => (last + 1, Some(at.to_string())),
        None if inserts_in_force_now => (1, Some(at.to_string())),
        None => (1, None),
    };
    values.push(Val::Int(Some(version as i64)));
    values.push(Val::text(at));
    values.push(Val::Text(in_force));
    if let Some(r) = review {
        values.push(Val::text(r));
    }
    last_version.map(|_| version)
}

/// What the store needs of a record to write it: its columns, its box, its change-log form.
pub(crate) trait Columns {
    fn kind(&self) -> RecordKind;
    fn id(&self) -> &str;
    /// The values of [`Spec::columns`], in order.
    fn values(&self) -> Result<Vec<Val>>;
    /// The geometry it is stored with, if its kind has one.
    fn geometry(&self) -> Option<Geometry<f64>>;
    /// As the change log keeps it (before, after): a GeoJSON feature, properties named as in
    /// the import contract.
    fn json(&self) -> String;
    fn rect(&self) -> Option<Rect<f64>> {
        self.geometry().and_then(|g| g.bounding_rect())
    }
}

fn feature(g: Option<Geometry<f64>>, properties: serde_json::Value) -> String {
    let geometry = g.map(|g| geojson::Geometry::new(geojson::Value::from(&g)));
    serde_json::json!({"type": "Feature", "geometry": geometry, "properties": properties}).to_string()
}

fn blob(g: Geometry<f64>) -> Result<Val> {
    gpkg_blob(&g).map(Val::Blob)
}

impl Columns for Hazard {
    fn kind(&self) -> RecordKind {
        RecordKind::Hazards
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let h = self;
        Ok(vec![
            blob(Geometry::MultiPolygon(h.geometry.clone()))?,
            Val::text(&h.id),
            Val::text(h.class.as_str()),
            Val::opt(&h.name),
            Val::opt(&h.reported_status),
            Val::opt(&h.organisation),
            Val::opt(&h.land_use),
            Val::opt(&h.contamination),
            Val::opt(&h.evidence),
            Val::opt(&h.blockages),
            Val::Text(json_attributes(&h.attributes)),
            Val::opt_date(h.recorded_date),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        Some(Geometry::MultiPolygon(self.geometry.clone()))
    }
    fn rect(&self) -> Option<Rect<f64>> {
        self.geometry.bounding_rect()
    }
    fn json(&self) -> String {
        feature(
            Some(Record::geometry(self)),
            serde_json::Value::Object(self.properties()),
        )
    }
}

impl Columns for Activity {
    fn kind(&self) -> RecordKind {
        RecordKind::Activities
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let a = self;
        Ok(vec![
            blob(Geometry::MultiPolygon(a.geometry.clone()))?,
            Val::text(&a.id),
            Val::text(&a.hazard_id),
            Val::text(a.activity_type.as_str()),
            Val::text(a.outcome.as_str()),
            Val::date(a.start_date),
            Val::date(a.end_date),
            Val::opt(&a.organisation),
            Val::opt(&a.team),
            Val::opt(&a.method),
            Val::Real(a.depth_cm),
            Val::Text(json_attributes(&a.attributes)),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        Some(Geometry::MultiPolygon(self.geometry.clone()))
    }
    fn rect(&self) -> Option<Rect<f64>> {
        self.geometry.bounding_rect()
    }
    fn json(&self) -> String {
        feature(
            Some(Record::geometry(self)),
            serde_json::Value::Object(self.properties()),
        )
    }
}

impl Columns for Find {
    fn kind(&self) -> RecordKind {
        RecordKind::Finds
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let f = self;
        Ok(vec![
            blob(Geometry::Point(f.location))?,
            Val::text(&f.id),
            Val::date(f.date),
            Val::text(f.category.as_str()),
            Val::opt(&f.hazard_id),
            Val::opt(&f.activity_id),
            Val::Real(f.depth_cm),
            Val::opt(&f.condition),
            Val::opt(&f.disposition),
            Val::Text(json_attributes(&f.attributes)),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        Some(Geometry::Point(self.location))
    }
    fn json(&self) -> String {
        feature(
            Some(Record::geometry(self)),
            serde_json::Value::Object(self.properties()),
        )
    }
}

impl Columns for Accident {
    fn kind(&self) -> RecordKind {
        RecordKind::Accidents
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let a = self;
        Ok(vec![
            blob(Geometry::Point(a.location))?,
            Val::text(&a.id),
            Val::date(a.date),
            Val::Int(Some(i64::from(a.killed))),
            Val::Int(Some(i64::from(a.injured))),
            Val::opt(&a.hazard_id),
            Val::Text(json_attributes(&a.attributes)),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        Some(Geometry::Point(self.location))
    }
    fn json(&self) -> String {
        feature(
            Some(Record::geometry(self)),
            serde_json::Value::Object(self.properties()),
        )
    }
}

impl Columns for Organisation {
    fn kind(&self) -> RecordKind {
        RecordKind::Organisations
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        Ok(vec![Val::text(&self.id), Val::text(&self.name), Val::opt(&self.kind)])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        None
    }
    fn json(&self) -> String {
        feature(None, serde_json::to_value(self).unwrap_or_default())
    }
}

impl Columns for Team {
    fn kind(&self) -> RecordKind {
        RecordKind::Teams
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let t = self;
        Ok(vec![
            Val::text(&t.id),
            Val::opt(&t.organisation),
            Val::text(t.kind.as_str()),
            Val::Real(Some(t.productivity_m2_per_day)),
            Val::Real(t.base_lon),
            Val::Real(t.base_lat),
            Val::opt_date(t.start_date),
            Val::opt_date(t.end_date),
            Val::Real(t.cost_per_day),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        None
    }
    fn json(&self) -> String {
        let base = self
            .base_lon
            .zip(self.base_lat)
            .map(|(x, y)| Geometry::Point(Point::new(x, y)));
        feature(base, serde_json::to_value(self).unwrap_or_default())
    }
}

impl Columns for DailyProgress {
    fn kind(&self) -> RecordKind {
        RecordKind::Progress
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let p = self;
        Ok(vec![
            blob(Geometry::MultiPolygon(p.geometry.clone()))?,
            Val::text(&p.id),
            Val::date(p.date),
            Val::text(&p.hazard_id),
            Val::text(&p.team),
            Val::text(&p.team_kind),
            Val::Real(Some(p.hours)),
            Val::Real(Some(p.downtime_hours)),
            Val::opt(&p.downtime_reason),
            Val::Int(Some(i64::from(p.finds))),
            Val::opt(&p.lanes),
            Val::opt(&p.terrain),
            Val::Real(Some(p.area_m2)),
            Val::opt(&p.activity_id),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        Some(Geometry::MultiPolygon(self.geometry.clone()))
    }
    fn rect(&self) -> Option<Rect<f64>> {
        self.geometry.bounding_rect()
    }
    fn json(&self) -> String {
        feature(self.geometry(), serde_json::to_value(self).unwrap_or_default())
    }
}

impl Columns for QaInspection {
    fn kind(&self) -> RecordKind {
        RecordKind::Qa
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn values(&self) -> Result<Vec<Val>> {
        let q = self;
        Ok(vec![
            Val::text(&q.id),
            Val::text(&q.hazard_id),
            Val::date(q.date),
            Val::Int(Some(q.lot_units as i64)),
            Val::Int(Some(q.sample_units as i64)),
            Val::Real(Some(q.box_m)),
            Val::Int(Some(q.c as i64)),
            Val::Int(Some(q.defects as i64)),
            Val::Int(Some(i64::from(q.accepted))),
            Val::Real(Some(q.detection)),
            Val::Text(Some(q.nonconformities.to_string())),
            Val::opt(&q.inspector),
        ])
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        None
    }
    fn json(&self) -> String {
        feature(None, serde_json::to_value(self).unwrap_or_default())
    }
}

macro_rules! any_record {
    ($r:expr, $x:ident => $e:expr) => {
        match $r {
            AnyRecord::Hazard($x) => $e,
            AnyRecord::Activity($x) => $e,
            AnyRecord::Find($x) => $e,
            AnyRecord::Accident($x) => $e,
            AnyRecord::Organisation($x) => $e,
            AnyRecord::Team($x) => $e,
            AnyRecord::Progress($x) => $e,
            AnyRecord::Qa($x) => $e,
        }
    };
}

impl Columns for AnyRecord {
    fn kind(&self) -> RecordKind {
        AnyRecord::kind(self)
    }
    fn id(&self) -> &str {
        AnyRecord::id(self)
    }
    fn values(&self) -> Result<Vec<Val>> {
        any_record!(self, r => r.values())
    }
    fn geometry(&self) -> Option<Geometry<f64>> {
        any_record!(self, r => Columns::geometry(r))
    }
    fn rect(&self) -> Option<Rect<f64>> {
        any_record!(self, r => r.rect())
    }
    fn json(&self) -> String {
        any_record!(self, r => r.json())
    }
}

/// A context feature as the change log keeps it.
pub(crate) fn context_json(f: &ContextFeature) -> String {
    let geometry = geojson::Geometry::new(geojson::Value::from(&f.geometry()));
    serde_json::json!({"type": "Feature", "geometry": geometry, "properties": f.properties()}).to_string()
}

/// What decoding a record needs of a row, whatever the backend: columns read as text, reals,
/// integers, and the row's geometry (`geom`).
pub(crate) trait Cells {
    fn text(&self, col: &str) -> Result<Option<String>, String>;
    fn real(&self, col: &str) -> Result<Option<f64>, String>;
    fn int(&self, col: &str) -> Result<Option<i64>, String>;
    fn geometry(&self) -> Result<Geometry<f64>, String>;
    /// A yes/no column (an integer in SQLite, a boolean in PostgreSQL).
    fn flag(&self, col: &str) -> Result<bool, String>;

    fn req_text(&self, col: &str) -> Result<String, String> {
        self.text(col)?.ok_or_else(|| format!("{col}: missing"))
    }
    fn req_real(&self, col: &str) -> Result<f64, String> {
        self.real(col)?.ok_or_else(|| format!("{col}: missing"))
    }
    fn req_int(&self, col: &str) -> Result<i64, String> {
        self.int(col)?.ok_or_else(|| format!("{col}: missing"))
    }
    /// A nullable text column; an unreadable value reads as none.
    fn opt_text(&self, col: &str) -> Option<String> {
        self.text(col).ok().flatten()
    }
}

impl Cells for SqliteRow {
    fn text(&self, col: &str) -> Result<Option<String>, String> {
        self.try_get(col).map_err(|e| format!("{col}: {e}"))
    }
    fn real(&self, col: &str) -> Result<Option<f64>, String> {
        self.try_get(col).map_err(|e| format!("{col}: {e}"))
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        self.try_get(col).map_err(|e| format!("{col}: {e}"))
    }
    fn geometry(&self) -> Result<Geometry<f64>, String> {
        decode_geometry(self)
    }
    fn flag(&self, col: &str) -> Result<bool, String> {
        Ok(self.req_int(col)? != 0)
    }
}

fn attributes(row: &impl Cells) -> Result<Attributes, String> {
    match row.opt_text("attributes") {
        None => Ok(Attributes::new()),
        Some(s) => serde_json::from_str(&s).map_err(|e| format!("attributes: {e}")),
    }
}

fn parse_enum<T: FromStr<Err = demine_core::UnknownValue>>(row: &impl Cells, col: &str) -> Result<T, String> {
    let s = row.req_text(col)?;
    s.parse().map_err(|e| format!("{col}: {e}"))
}

pub(crate) fn parse_date(row: &impl Cells, col: &str) -> Result<NaiveDate, String> {
    let s = row.req_text(col)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| format!("{col} '{s}': {e}"))
}

fn opt_date(row: &impl Cells, col: &str) -> Result<Option<NaiveDate>, String> {
    match row.opt_text(col) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|e| format!("{col} '{s}': {e}")),
    }
}

pub(crate) fn into_multipolygon(g: Geometry<f64>) -> Result<MultiPolygon<f64>, String> {
    match g {
        Geometry::MultiPolygon(m) => Ok(m),
        Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        other => Err(format!("expected a polygon geometry, found {other:?}")
            .chars()
            .take(120)
            .collect()),
    }
}

fn into_point(g: Geometry<f64>) -> Result<Point<f64>, String> {
    match g {
        Geometry::Point(p) => Ok(p),
        _ => Err("expected a point geometry".into()),
    }
}

fn count(row: &impl Cells, col: &str) -> Result<i64, String> {
    row.req_int(col)
}

pub(crate) fn decode_geometry(row: &SqliteRow) -> Result<Geometry<f64>, String> {
    let blob: Vec<u8> = row.try_get("geom").map_err(|e| format!("geom: {e}"))?;
    GpkgWkb(blob).to_geo().map_err(|e| format!("geometry: {e}"))
}

/// A row of the kind's table (or its history) as a record.
pub(crate) fn decode(kind: RecordKind, row: &impl Cells) -> Result<AnyRecord> {
    let id: String = row.opt_text("id").unwrap_or_default();
    decode_inner(kind, row).map_err(|why| StoreError::Corrupt {
        table: spec(kind).table,
        id,
        why,
    })
}

fn decode_inner(kind: RecordKind, row: &impl Cells) -> Result<AnyRecord, String> {
    let id: String = row.req_text("id")?;
    Ok(match kind {
        RecordKind::Hazards => AnyRecord::Hazard(Hazard {
            id,
            class: parse_enum::<HazardClass>(row, "class")?,
            geometry: into_multipolygon(row.geometry()?)?,
            name: row.opt_text("name"),
            reported_status: row.opt_text("reported_status"),
            organisation: row.opt_text("organisation"),
            land_use: row.opt_text("land_use"),
            contamination: row.opt_text("contamination"),
            evidence: row.opt_text("evidence"),
            blockages: row.opt_text("blockages"),
            recorded_date: opt_date(row, "recorded_date")?,
            attributes: attributes(row)?,
        }),
        RecordKind::Activities => AnyRecord::Activity(Activity {
            id,
            hazard_id: row.req_text("hazard_id")?,
            activity_type: parse_enum::<ActivityType>(row, "type")?,
            outcome: parse_enum::<Outcome>(row, "outcome")?,
            start_date: parse_date(row, "start_date")?,
            end_date: parse_date(row, "end_date")?,
            geometry: into_multipolygon(row.geometry()?)?,
            organisation: row.opt_text("organisation"),
            team: row.opt_text("team"),
            method: row.opt_text("method"),
            depth_cm: row.real("depth_cm").ok().flatten(),
            attributes: attributes(row)?,
        }),
        RecordKind::Finds => AnyRecord::Find(Find {
            id,
            date: parse_date(row, "date")?,
            category: parse_enum::<FindCategory>(row, "category")?,
            location: into_point(row.geometry()?)?,
            hazard_id: row.opt_text("hazard_id"),
            activity_id: row.opt_text("activity_id"),
            depth_cm: row.real("depth_cm").ok().flatten(),
            condition: row.opt_text("condition"),
            disposition: row.opt_text("disposition"),
            attributes: attributes(row)?,
        }),
        RecordKind::Accidents => AnyRecord::Accident(Accident {
            id,
            date: parse_date(row, "date")?,
            killed: count(row, "killed")?.max(0) as u32,
            injured: count(row, "injured")?.max(0) as u32,
            location: into_point(row.geometry()?)?,
            hazard_id: row.opt_text("hazard_id"),
            attributes: attributes(row)?,
        }),
        RecordKind::Organisations => AnyRecord::Organisation(Organisation {
            id,
            name: row.req_text("name")?,
            kind: row.opt_text("kind"),
        }),
        RecordKind::Teams => AnyRecord::Team(Team {
            id,
            organisation: row.opt_text("organisation"),
            kind: parse_enum::<TeamKind>(row, "kind")?,
            productivity_m2_per_day: row.req_real("productivity_m2_per_day")?,
            base_lon: row.real("base_lon").ok().flatten(),
            base_lat: row.real("base_lat").ok().flatten(),
            start_date: opt_date(row, "start_date")?,
            end_date: opt_date(row, "end_date")?,
            cost_per_day: row.real("cost_per_day").ok().flatten(),
        }),
        RecordKind::Progress => AnyRecord::Progress(DailyProgress {
            id,
            date: parse_date(row, "date")?,
            hazard_id: row.req_text("hazard_id")?,
            team: row.req_text("team")?,
            team_kind: row.req_text("team_kind")?,
            geometry: into_multipolygon(row.geometry()?)?,
            hours: row.req_real("hours")?,
            downtime_hours: row.req_real("downtime_hours")?,
            downtime_reason: row.opt_text("downtime_reason"),
            finds: count(row, "finds")?.max(0) as u32,
            lanes: row.opt_text("lanes"),
            terrain: row.opt_text("terrain"),
            area_m2: row.req_real("area_m2")?,
            activity_id: row.opt_text("activity_id"),
        }),
        RecordKind::Qa => {
            let nc = row.req_text("nonconformities")?;
            AnyRecord::Qa(QaInspection {
                id,
                hazard_id: row.req_text("hazard_id")?,
                date: parse_date(row, "date")?,
                lot_units: count(row, "lot_units")?.max(0) as u64,
                sample_units: count(row, "sample_units")?.max(0) as u64,
                box_m: row.req_real("box_m")?,
                c: count(row, "c")?.max(0) as u64,
                defects: count(row, "defects")?.max(0) as u64,
                accepted: count(row, "accepted")? != 0,
                detection: row.req_real("detection")?,
                nonconformities: serde_json::from_str(&nc).map_err(|e| format!("nonconformities: {e}"))?,
                inspector: row.opt_text("inspector"),
            })
        }
    })
}

pub(crate) fn context_feature(row: &impl Cells) -> Result<ContextFeature, String> {
    Ok(ContextFeature {
        layer: row.req_text("layer")?,
        id: row.opt_text("id"),
        geometry: row.geometry()?,
        attributes: attributes(row)?,
    })
}

/// The WKB inside a GeoPackage geometry blob (the codec writes GeoPackage blobs; PostGIS takes
/// the WKB after the header and its envelope).
pub(crate) fn wkb_of_gpkg(blob: Vec<u8>) -> Vec<u8> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return blob;
    }
    let envelope = match (blob[3] >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => 0,
    };
    blob[(8 + envelope).min(blob.len())..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn hand_written_polygon_blob_is_the_geopackage_blob() {
        let hexagon = polygon![
            (x: 37.61, y: 55.75), (x: 37.62, y: 55.751), (x: 37.625, y: 55.76),
            (x: 37.62, y: 55.769), (x: 37.61, y: 55.77), (x: 37.605, y: 55.76), (x: 37.61, y: 55.75),
        ];
        let holed = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]),
            vec![LineString::from(vec![(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 2.0)])],
        );
        for p in [hexagon, holed] {
            let (blob, rect) = polygon_blob(&p);
            assert_eq!(blob, gpkg_blob(&Geometry::Polygon(p.clone())).unwrap());
            assert_eq!(rect, p.bounding_rect());
            let back = GpkgWkb(blob).to_geo().unwrap();
            assert_eq!(back, Geometry::Polygon(p));
        }
    }
}
