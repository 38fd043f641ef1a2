//! # demine-store
//!
//! The registry store. The embedded default is one SQLite file that is a valid **GeoPackage 1.3**:
//! QGIS and GDAL open it directly and see the `hazards`, `activities`, `finds`, `accidents` and
//! `released_land` layers. A PostgreSQL/PostGIS backend will implement the same [`Repository`].
//!
//! **Owns:** the schema and its migrations, reading and writing domain values, transactions,
//! the append-only change log, GeoPackage bookkeeping (contents, extents, geometry blobs).
//!
//! **Must never:** compute anything (land release, risk, plans come from the engines as domain
//! values), parse import files, or print. It is the only crate that speaks SQL.
//!
//! Invariants:
//! - One [`Changeset`] is one transaction: either all of it is in the file, or none of it
//!   (a crash or SIGKILL mid-write leaves the file as before; SQLite's WAL guarantees it).
//! - Foreign keys are enforced: an activity, find or accident never refers to a missing hazard.
//! - `change_log` is append-only (triggers refuse UPDATE and DELETE); every record written by a
//!   changeset gets an entry with the actor, the time and the record as a GeoJSON feature.
//! - Feature tables are only ever appended to, so `gpkg_contents` extents are kept as the union
//!   of what was there and what is added.

use chrono::{NaiveDate, SecondsFormat, Utc};
use demine_core::release::HazardRelease;
use demine_core::{
    Accident, Activity, ActivityType, Attributes, ContextFeature, Find, FindCategory, Hazard, HazardClass, HazardRisk,
    Organisation, Outcome, Record, RecordKind, RiskCell, Team, TeamKind,
};
use geo::{BoundingRect, Geometry, LineString, MultiPolygon, Point, Polygon, Rect};
use geozero::wkb::GpkgWkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, Transaction};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

mod field;

/// Errors of the store, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot open the registry: {source}. Check the path and that you may write to its folder")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("{path} is not a demine registry: {why}. Pass another file with --db (or DEMINE_DB)")]
    NotARegistry { path: PathBuf, why: String },
    #[error("{path}: schema migration failed: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("registry database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("corrupt record in table {table}, id {id}: {why}")]
    Corrupt {
        table: &'static str,
        id: String,
        why: String,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Record counts per layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub hazards: u64,
    pub activities: u64,
    pub finds: u64,
    pub accidents: u64,
    pub released_land: u64,
    pub organisations: u64,
    pub teams: u64,
    pub change_log: u64,
    pub context_features: u64,
    pub risk_cells: u64,
}

/// Everything one write brings, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    /// What the change is, for the change log (e.g. `import hazards from field.geojson`).
    pub description: String,
    pub organisations: Vec<Organisation>,
    pub teams: Vec<Team>,
    pub hazards: Vec<Hazard>,
    pub activities: Vec<Activity>,
    pub finds: Vec<Find>,
    pub accidents: Vec<Accident>,
    /// A new risk map: replaces every stored cell (and the hazards' risk columns) when `Some`.
    pub risk_map: Option<(Vec<RiskCell>, Vec<HazardRisk>)>,
    /// Context-layer features to add.
    pub context_features: Vec<ContextFeature>,
    /// Context layers whose existing features are removed first (re-import of a layer).
    pub replace_layers: Vec<String>,
    /// Registry facts to set (key, value), e.g. `("synthetic", "true")`.
    pub meta: Vec<(String, String)>,
    /// Fresh accounting of hazards affected by this change (pieces included): replaces their
    /// computed columns and their `released_land` rows.
    pub recomputed: Vec<(String, HazardRelease)>,
    /// Daily progress reports to add (their activities go in `activities`).
    pub daily_progress: Vec<demine_core::DailyProgress>,
    /// Post-clearance inspections to add.
    pub qa_inspections: Vec<demine_core::QaInspection>,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeLogEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub batch: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The registry, whatever the backend. Engines never see this; the binary and server do.
#[allow(async_fn_in_trait)]
pub trait Repository {
    async fn hazards(&self) -> Result<Vec<Hazard>>;
    async fn activities(&self) -> Result<Vec<Activity>>;
    async fn finds(&self) -> Result<Vec<Find>>;
    async fn accidents(&self) -> Result<Vec<Accident>>;
    async fn organisations(&self) -> Result<Vec<Organisation>>;
    async fn teams(&self) -> Result<Vec<Team>>;
    /// Ids already used in a layer.
    async fn ids(&self, kind: RecordKind) -> Result<HashSet<String>>;
    async fn counts(&self) -> Result<Counts>;
    /// Applies a changeset atomically, attributing it to `actor`.
    async fn apply(&self, changes: &Changeset, actor: &str) -> Result<()>;
    /// Features of one context layer, or of all.
    async fn context_features(&self, layer: Option<&str>) -> Result<Vec<ContextFeature>>;
    /// Context layers and their feature counts.
    async fn context_layers(&self) -> Result<Vec<(String, u64)>>;
    /// A registry fact (e.g. `synthetic`), if set.
    async fn meta(&self, key: &str) -> Result<Option<String>>;
    /// The latest change-log entries, newest first.
    async fn change_log(&self, limit: u32) -> Result<Vec<ChangeLogEntry>>;
    /// Each hazard's risk summary from the last `risk build` (hazards without one are left out).
    async fn hazard_risks(&self) -> Result<Vec<HazardRisk>>;
    /// Daily progress reports, by date.
    async fn daily_progress(&self) -> Result<Vec<demine_core::DailyProgress>>;
    /// Post-clearance inspections, by date.
    async fn qa_inspections(&self) -> Result<Vec<demine_core::QaInspection>>;
    /// A hazard's risk summary from the last `risk build`, if any.
    async fn hazard_risk(&self, hazard_id: &str) -> Result<Option<HazardRisk>>;
}

/// The embedded GeoPackage store.
#[derive(Debug, Clone)]
pub struct GeoPackageStore {
    pool: SqlitePool,
    path: PathBuf,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;

impl GeoPackageStore {
    /// Opens the registry at `path`, creating it (and its schema) on first use.
    pub async fn open(path: &Path) -> Result<Self> {
        let existed = path.exists();
        if existed {
            check_sqlite_header(path)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_owned(),
                source,
            })?;
        let store = GeoPackageStore {
            pool,
            path: path.to_owned(),
        };
        if existed {
            store.check_is_registry().await?;
        }
        MIGRATOR.run(&store.pool).await.map_err(|source| StoreError::Migrate {
            path: path.to_owned(),
            source,
        })?;
        Ok(store)
    }

    /// Where the registry lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checkpoints the WAL and closes, so that the file alone holds everything (for GDAL/QGIS
    /// on another machine, or a copy).
    pub async fn close(self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        self.pool.close().await;
        Ok(())
    }

    async fn check_is_registry(&self) -> Result<()> {
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&self.pool)
            .await?;
        if tables.is_empty() {
            return Ok(()); // an empty SQLite file: becomes a registry
        }
        let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&self.pool)
            .await?;
        if !tables.iter().any(|t| t == "_sqlx_migrations") {
            let why = if app_id == GPKG_APPLICATION_ID {
                "it is a GeoPackage, but not one demine created (no demine schema); import its layers with `demine import` instead".to_string()
            } else {
                "it is an SQLite database without the demine schema".to_string()
            };
            return Err(StoreError::NotARegistry {
                path: self.path.clone(),
                why,
            });
        }
        Ok(())
    }

    async fn read_features<T>(
        &self,
        table: &'static str,
        columns: &str,
        parse: impl Fn(&sqlx::sqlite::SqliteRow, Geometry<f64>) -> Result<T, String>,
    ) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        let sql = format!("SELECT id, geom, {columns} FROM {table} ORDER BY fid");
        // Row by row: a million finds never sit in memory twice (as rows and as records).
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            let id: String = row.get("id");
            let blob: Vec<u8> = row.get("geom");
            let geometry = GpkgWkb(blob).to_geo().map_err(|e| StoreError::Corrupt {
                table,
                id: id.clone(),
                why: format!("geometry: {e}"),
            })?;
            out.push(parse(&row, geometry).map_err(|why| StoreError::Corrupt { table, id, why })?);
        }
        Ok(out)
    }
}

fn check_sqlite_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut header))
        .map_err(|e| StoreError::NotARegistry {
            path: path.to_owned(),
            why: format!("cannot read it: {e}"),
        })?;
    if n == 0 {
        return Ok(());
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(StoreError::NotARegistry {
            path: path.to_owned(),
            why: "it is not an SQLite/GeoPackage file".into(),
        });
    }
    Ok(())
}

fn opt_str(row: &sqlx::sqlite::SqliteRow, col: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(col).ok().flatten()
}

fn attributes(row: &sqlx::sqlite::SqliteRow) -> Result<Attributes, String> {
    match opt_str(row, "attributes") {
        None => Ok(Attributes::new()),
        Some(s) => serde_json::from_str(&s).map_err(|e| format!("attributes: {e}")),
    }
}

fn parse_enum<T: FromStr<Err = demine_core::UnknownValue>>(
    row: &sqlx::sqlite::SqliteRow,
    col: &str,
) -> Result<T, String> {
    let s: String = row.try_get(col).map_err(|e| format!("{col}: {e}"))?;
    s.parse().map_err(|e| format!("{col}: {e}"))
}

fn parse_date(row: &sqlx::sqlite::SqliteRow, col: &str) -> Result<NaiveDate, String> {
    let s: String = row.try_get(col).map_err(|e| format!("{col}: {e}"))?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| format!("{col} '{s}': {e}"))
}

fn into_multipolygon(g: Geometry<f64>) -> Result<MultiPolygon<f64>, String> {
    match g {
        Geometry::MultiPolygon(m) => Ok(m),
        Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        other => Err(format!("expected a polygon geometry, found {other:?}")
            .chars()
            .take(120)
            .collect()),
    }
}

fn context_feature(row: &sqlx::sqlite::SqliteRow) -> Result<ContextFeature, String> {
    let blob: Vec<u8> = row.try_get("geom").map_err(|e| e.to_string())?;
    let geometry = GpkgWkb(blob).to_geo().map_err(|e| format!("geometry: {e}"))?;
    Ok(ContextFeature {
        layer: row.get("layer"),
        id: opt_str(row, "id"),
        geometry,
        attributes: attributes(row)?,
    })
}

fn into_point(g: Geometry<f64>) -> Result<Point<f64>, String> {
    match g {
        Geometry::Point(p) => Ok(p),
        _ => Err("expected a point geometry".into()),
    }
}

/// The GeoPackage blob of a polygon (as [`gpkg_blob`] writes it) and its bounding box, written
/// directly: a national risk map holds millions of hexagons.
fn polygon_blob(p: &Polygon<f64>) -> (Vec<u8>, Option<Rect<f64>>) {
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
fn gpkg_blob(g: &Geometry<f64>) -> Result<Vec<u8>> {
    let envelope = match g.bounding_rect() {
        Some(r) if !matches!(g, Geometry::Point(_)) => vec![r.min().x, r.max().x, r.min().y, r.max().y],
        _ => Vec::new(), // points carry no envelope (spec: optional, GDAL omits it)
    };
    g.to_gpkg_wkb(CoordDimensions::xy(), Some(4326), envelope)
        .map_err(|e| StoreError::Sql(sqlx::Error::Encode(Box::new(e))))
}

fn geojson_feature(r: &dyn Record) -> String {
    let feature = geojson::Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(geojson::Value::from(&r.geometry()))),
        id: None,
        properties: Some(r.properties()),
        foreign_members: None,
    };
    feature.to_string()
}

fn json_attributes(a: &Attributes) -> Option<String> {
    (!a.is_empty()).then(|| serde_json::Value::Object(a.clone()).to_string())
}

fn union_rect(acc: Option<Rect<f64>>, r: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (acc, r) {
        (None, r) | (r, None) => r,
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
    }
}

/// A value bound into a multi-row INSERT.
enum Val {
    Text(Option<String>),
    Real(Option<f64>),
    Int(Option<i64>),
    Blob(Vec<u8>),
}

impl Val {
    fn text(s: &str) -> Val {
        Val::Text(Some(s.to_string()))
    }
    fn opt(s: &Option<String>) -> Val {
        Val::Text(s.clone())
    }
}

/// Inserts rows with multi-row INSERTs: one round trip to SQLite's worker thread per few hundred
/// rows instead of one per row (the difference between seconds and tens of seconds at
/// national scale).
async fn insert_many(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<()> {
    // SQLite allows 32,766 bound variables per statement.
    let per_statement = (30_000 / columns.len().max(1)).clamp(1, 500);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_statement).collect();
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
        q.push_values(chunk, |mut b, row| {
            for v in row {
                match v {
                    Val::Text(t) => b.push_bind(t),
                    Val::Real(x) => b.push_bind(x),
                    Val::Int(i) => b.push_bind(i),
                    Val::Blob(bytes) => b.push_bind(bytes),
                };
            }
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn extend_extent(tx: &mut Transaction<'_, Sqlite>, table: &str, rect: Option<Rect<f64>>, at: &str) -> Result<()> {
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

impl Repository for GeoPackageStore {
    async fn hazards(&self) -> Result<Vec<Hazard>> {
        self.read_features(
            "hazards",
            "class, name, reported_status, organisation, land_use, contamination, evidence, blockages, attributes",
            |row, g| {
                Ok(Hazard {
                    id: row.get("id"),
                    class: parse_enum::<HazardClass>(row, "class")?,
                    geometry: into_multipolygon(g)?,
                    name: opt_str(row, "name"),
                    reported_status: opt_str(row, "reported_status"),
                    organisation: opt_str(row, "organisation"),
                    land_use: opt_str(row, "land_use"),
                    contamination: opt_str(row, "contamination"),
                    evidence: opt_str(row, "evidence"),
                    blockages: opt_str(row, "blockages"),
                    attributes: attributes(row)?,
                })
            },
        )
        .await
    }

    async fn activities(&self) -> Result<Vec<Activity>> {
        self.read_features(
            "activities",
            "hazard_id, type, outcome, start_date, end_date, organisation, team, method, depth_cm, attributes",
            |row, g| {
                Ok(Activity {
                    id: row.get("id"),
                    hazard_id: row.get("hazard_id"),
                    activity_type: parse_enum::<ActivityType>(row, "type")?,
                    outcome: parse_enum::<Outcome>(row, "outcome")?,
                    start_date: parse_date(row, "start_date")?,
                    end_date: parse_date(row, "end_date")?,
                    geometry: into_multipolygon(g)?,
                    organisation: opt_str(row, "organisation"),
                    team: opt_str(row, "team"),
                    method: opt_str(row, "method"),
                    depth_cm: row.try_get("depth_cm").ok().flatten(),
                    attributes: attributes(row)?,
                })
            },
        )
        .await
    }

    async fn finds(&self) -> Result<Vec<Find>> {
        self.read_features(
            "finds",
            "date, category, hazard_id, activity_id, depth_cm, condition, disposition, attributes",
            |row, g| {
                Ok(Find {
                    id: row.get("id"),
                    date: parse_date(row, "date")?,
                    category: parse_enum::<FindCategory>(row, "category")?,
                    location: into_point(g)?,
                    hazard_id: opt_str(row, "hazard_id"),
                    activity_id: opt_str(row, "activity_id"),
                    depth_cm: row.try_get("depth_cm").ok().flatten(),
                    condition: opt_str(row, "condition"),
                    disposition: opt_str(row, "disposition"),
                    attributes: attributes(row)?,
                })
            },
        )
        .await
    }

    async fn accidents(&self) -> Result<Vec<Accident>> {
        self.read_features("accidents", "date, killed, injured, hazard_id, attributes", |row, g| {
            Ok(Accident {
                id: row.get("id"),
                date: parse_date(row, "date")?,
                killed: row.try_get::<i64, _>("killed").map_err(|e| e.to_string())?.max(0) as u32,
                injured: row.try_get::<i64, _>("injured").map_err(|e| e.to_string())?.max(0) as u32,
                location: into_point(g)?,
                hazard_id: opt_str(row, "hazard_id"),
                attributes: attributes(row)?,
            })
        })
        .await
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query("SELECT id, name, kind FROM organisations ORDER BY fid")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Organisation {
                id: r.get("id"),
                name: r.get("name"),
                kind: opt_str(r, "kind"),
            })
            .collect())
    }

    async fn teams(&self) -> Result<Vec<Team>> {
        let rows = sqlx::query(
            "SELECT id, organisation, kind, productivity_m2_per_day, base_lon, base_lat FROM teams ORDER BY fid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get("id");
                Ok(Team {
                    kind: parse_enum::<TeamKind>(r, "kind").map_err(|why| StoreError::Corrupt {
                        table: "teams",
                        id: id.clone(),
                        why,
                    })?,
                    id,
                    organisation: opt_str(r, "organisation"),
                    productivity_m2_per_day: r.get("productivity_m2_per_day"),
                    base_lon: r.try_get("base_lon").ok().flatten(),
                    base_lat: r.try_get("base_lat").ok().flatten(),
                })
            })
            .collect()
    }

    async fn ids(&self, kind: RecordKind) -> Result<HashSet<String>> {
        let sql = format!("SELECT id FROM {}", kind.as_str());
        let ids: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&self.pool).await?;
        Ok(ids.into_iter().collect())
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM hazards) AS hazards, (SELECT count(*) FROM activities) AS activities,
                    (SELECT count(*) FROM finds) AS finds, (SELECT count(*) FROM accidents) AS accidents,
                    (SELECT count(*) FROM released_land) AS released_land,
                    (SELECT count(*) FROM organisations) AS organisations, (SELECT count(*) FROM teams) AS teams,
                    (SELECT count(*) FROM change_log) AS change_log,
                    (SELECT count(*) FROM context_features) AS context_features,
                    (SELECT count(*) FROM risk_cells) AS risk_cells",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |c: &str| row.get::<i64, _>(c) as u64;
        Ok(Counts {
            hazards: n("hazards"),
            activities: n("activities"),
            finds: n("finds"),
            accidents: n("accidents"),
            released_land: n("released_land"),
            organisations: n("organisations"),
            teams: n("teams"),
            change_log: n("change_log"),
            context_features: n("context_features"),
            risk_cells: n("risk_cells"),
        })
    }

    async fn apply(&self, c: &Changeset, actor: &str) -> Result<()> {
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let batch = c.description.as_str();
        let mut tx = self.pool.begin().await?;

        for (k, v) in &c.meta {
            sqlx::query("INSERT INTO demine_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        let mut log: Vec<Vec<Val>> = Vec::new();
        let mut log_insert = |entity: &str, id: &str, after: String| {
            log.push(vec![
                Val::text(&at),
                Val::text(actor),
                Val::text("insert"),
                Val::text(entity),
                Val::text(id),
                Val::text(batch),
                Val::Text(None),
                Val::Text(Some(after)),
            ]);
        };
        let rows: Vec<Vec<Val>> = c
            .organisations
            .iter()
            .map(|o| {
                log_insert("organisations", &o.id, serde_json::to_string(o).unwrap_or_default());
                vec![Val::text(&o.id), Val::text(&o.name), Val::opt(&o.kind)]
            })
            .collect();
        insert_many(&mut tx, "organisations", &["id", "name", "kind"], rows).await?;
        let rows: Vec<Vec<Val>> = c
            .teams
            .iter()
            .map(|t| {
                log_insert("teams", &t.id, serde_json::to_string(t).unwrap_or_default());
                vec![
                    Val::text(&t.id),
                    Val::opt(&t.organisation),
                    Val::text(t.kind.as_str()),
                    Val::Real(Some(t.productivity_m2_per_day)),
                    Val::Real(t.base_lon),
                    Val::Real(t.base_lat),
                ]
            })
            .collect();
        let columns = [
            "id",
            "organisation",
            "kind",
            "productivity_m2_per_day",
            "base_lon",
            "base_lat",
        ];
        insert_many(&mut tx, "teams", &columns, rows).await?;

        let mut rect = None;
        let mut rows = Vec::with_capacity(c.hazards.len());
        for h in &c.hazards {
            let g = Geometry::MultiPolygon(h.geometry.clone());
            rect = union_rect(rect, g.bounding_rect());
            log_insert("hazards", &h.id, geojson_feature(h));
            rows.push(vec![
                Val::Blob(gpkg_blob(&g)?),
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
            ]);
        }
        let columns = [
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
        ];
        insert_many(&mut tx, "hazards", &columns, rows).await?;
        extend_extent(&mut tx, "hazards", rect, &at).await?;

        let mut rect = None;
        let mut rows = Vec::with_capacity(c.activities.len());
        for a in &c.activities {
            let g = Geometry::MultiPolygon(a.geometry.clone());
            rect = union_rect(rect, g.bounding_rect());
            log_insert("activities", &a.id, geojson_feature(a));
            rows.push(vec![
                Val::Blob(gpkg_blob(&g)?),
                Val::text(&a.id),
                Val::text(&a.hazard_id),
                Val::text(a.activity_type.as_str()),
                Val::text(a.outcome.as_str()),
                Val::Text(Some(a.start_date.to_string())),
                Val::Text(Some(a.end_date.to_string())),
                Val::opt(&a.organisation),
                Val::opt(&a.team),
                Val::opt(&a.method),
                Val::Real(a.depth_cm),
                Val::Text(json_attributes(&a.attributes)),
            ]);
        }
        let columns = [
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
        ];
        insert_many(&mut tx, "activities", &columns, rows).await?;
        extend_extent(&mut tx, "activities", rect, &at).await?;

        let mut rect = None;
        let mut rows = Vec::with_capacity(c.finds.len());
        for f in &c.finds {
            let g = Geometry::Point(f.location);
            rect = union_rect(rect, g.bounding_rect());
            log_insert("finds", &f.id, geojson_feature(f));
            rows.push(vec![
                Val::Blob(gpkg_blob(&g)?),
                Val::text(&f.id),
                Val::Text(Some(f.date.to_string())),
                Val::text(f.category.as_str()),
                Val::opt(&f.hazard_id),
                Val::opt(&f.activity_id),
                Val::Real(f.depth_cm),
                Val::opt(&f.condition),
                Val::opt(&f.disposition),
                Val::Text(json_attributes(&f.attributes)),
            ]);
        }
        let columns = [
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
        ];
        insert_many(&mut tx, "finds", &columns, rows).await?;
        extend_extent(&mut tx, "finds", rect, &at).await?;

        let mut rect = None;
        let mut rows = Vec::with_capacity(c.accidents.len());
        for a in &c.accidents {
            let g = Geometry::Point(a.location);
            rect = union_rect(rect, g.bounding_rect());
            log_insert("accidents", &a.id, geojson_feature(a));
            rows.push(vec![
                Val::Blob(gpkg_blob(&g)?),
                Val::text(&a.id),
                Val::Text(Some(a.date.to_string())),
                Val::Int(Some(a.killed as i64)),
                Val::Int(Some(a.injured as i64)),
                Val::opt(&a.hazard_id),
                Val::Text(json_attributes(&a.attributes)),
            ]);
        }
        let columns = ["geom", "id", "date", "killed", "injured", "hazard_id", "attributes"];
        insert_many(&mut tx, "accidents", &columns, rows).await?;
        extend_extent(&mut tx, "accidents", rect, &at).await?;

        let mut rect = None;
        let mut rows = Vec::with_capacity(c.context_features.len());
        for f in &c.context_features {
            rect = union_rect(rect, f.geometry.bounding_rect());
            log_insert("context_features", f.id(), geojson_feature(f));
            rows.push(vec![
                Val::Blob(gpkg_blob(&f.geometry)?),
                Val::text(&f.layer),
                Val::opt(&f.id),
                Val::Text(json_attributes(&f.attributes)),
            ]);
        }
        // Deletions of replaced layers come first, then these inserts (below).
        let context_rows = rows;
        let context_rect = rect;

        for layer in &c.replace_layers {
            let old = sqlx::query("SELECT fid, geom, layer, id, attributes FROM context_features WHERE layer = ?")
                .bind(layer)
                .fetch_all(&mut *tx)
                .await?;
            for row in &old {
                let fid: i64 = row.get("fid");
                let before = context_feature(row).map(|f| geojson_feature(&f)).unwrap_or_default();
                sqlx::query("INSERT INTO change_log (at, actor, action, entity, entity_id, batch, before) VALUES (?, ?, 'delete', 'context_features', ?, ?, ?)")
                    .bind(&at)
                    .bind(actor)
                    .bind(fid.to_string())
                    .bind(batch)
                    .bind(before)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM context_features WHERE layer = ?")
                .bind(layer)
                .execute(&mut *tx)
                .await?;
        }
        insert_many(
            &mut tx,
            "context_features",
            &["geom", "layer", "id", "attributes"],
            context_rows,
        )
        .await?;
        let rect = context_rect;
        extend_extent(&mut tx, "context_features", rect, &at).await?;
        // After the deletions of replaced layers, so the log reads in the order things happened.
        let columns = [
            "at",
            "actor",
            "action",
            "entity",
            "entity_id",
            "batch",
            "before",
            "after",
        ];
        insert_many(&mut tx, "change_log", &columns, log).await?;
        field::write(&mut tx, &c.daily_progress, &c.qa_inspections, &at, actor, batch).await?;

        if let Some((cells, hazard_risks)) = &c.risk_map {
            sqlx::query("DELETE FROM risk_cells").execute(&mut *tx).await?;
            sqlx::query("UPDATE hazards SET risk_expected_share = NULL, risk_p_any = NULL")
                .execute(&mut *tx)
                .await?;
            let mut rect = None;
            let mut rows = Vec::with_capacity(cells.len());
            for cell in cells {
                let (blob, r) = polygon_blob(&cell.outline);
                rect = union_rect(rect, r);
                rows.push(vec![
                    Val::Blob(blob),
                    Val::text(&cell.cell),
                    Val::Int(Some(cell.resolution as i64)),
                    Val::Real(Some(cell.risk)),
                    Val::Int(cell.label.map(i64::from)),
                    Val::Int(Some(cell.items as i64)),
                ]);
            }
            let columns = ["geom", "cell", "resolution", "risk", "label", "items"];
            insert_many(&mut tx, "risk_cells", &columns, rows).await?;
            extend_extent(&mut tx, "risk_cells", rect, &at).await?;
            // Many hazards per statement (one statement each costs a round trip to SQLite).
            for chunk in hazard_risks.chunks(2_000) {
                let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                    "UPDATE hazards SET risk_expected_share = v.column2, risk_p_any = v.column3 FROM (",
                );
                q.push_values(chunk, |mut b, h| {
                    b.push_bind(&h.hazard_id)
                        .push_bind(h.expected_contaminated_share)
                        .push_bind(h.p_any);
                });
                q.push(") AS v WHERE hazards.id = v.column1");
                q.build().execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO change_log (at, actor, action, entity, batch, after) VALUES (?, ?, 'replace', 'risk_cells', ?, ?)")
                .bind(&at)
                .bind(actor)
                .bind(batch)
                .bind(serde_json::json!({ "cells": cells.len(), "hazards": hazard_risks.len() }).to_string())
                .execute(&mut *tx)
                .await?;
        }

        let mut rect = None;
        let mut pieces = Vec::new();
        for (hazard_id, r) in &c.recomputed {
            sqlx::query(
                "UPDATE hazards SET area_m2 = ?, cancelled_m2 = ?, reduced_m2 = ?, cleared_m2 = ?, remaining_m2 = ?, status = ? WHERE id = ?",
            )
            .bind(r.area_m2)
            .bind(r.cancelled_m2)
            .bind(r.reduced_m2)
            .bind(r.cleared_m2)
            .bind(r.remaining_m2)
            .bind(r.status.as_str())
            .bind(hazard_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM released_land WHERE hazard_id = ?")
                .bind(hazard_id)
                .execute(&mut *tx)
                .await?;
            for piece in &r.pieces {
                let g = Geometry::MultiPolygon(piece.geometry.clone());
                rect = union_rect(rect, g.bounding_rect());
                pieces.push(vec![
                    Val::Blob(gpkg_blob(&g)?),
                    Val::text(hazard_id),
                    Val::text(&piece.activity_id),
                    Val::text(piece.outcome.as_str()),
                    Val::Real(Some(piece.area_m2)),
                ]);
            }
        }
        let columns = ["geom", "hazard_id", "activity_id", "outcome", "area_m2"];
        insert_many(&mut tx, "released_land", &columns, pieces).await?;
        extend_extent(&mut tx, "released_land", rect, &at).await?;
        if !c.recomputed.is_empty() {
            sqlx::query("INSERT INTO change_log (at, actor, action, entity, batch, after) VALUES (?, ?, 'recompute', 'hazards', ?, ?)")
                .bind(&at)
                .bind(actor)
                .bind(batch)
                .bind(serde_json::json!({ "hazards_recomputed": c.recomputed.len() }).to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn context_features(&self, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
        let rows = sqlx::query(
            "SELECT fid, geom, layer, id, attributes FROM context_features WHERE ?1 IS NULL OR layer = ?1 ORDER BY fid",
        )
        .bind(layer)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                context_feature(row).map_err(|why| StoreError::Corrupt {
                    table: "context_features",
                    id: row.get::<i64, _>("fid").to_string(),
                    why,
                })
            })
            .collect()
    }

    async fn context_layers(&self) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query("SELECT layer, count(*) AS n FROM context_features GROUP BY layer ORDER BY layer")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("layer"), r.get::<i64, _>("n") as u64))
            .collect())
    }

    async fn hazard_risks(&self) -> Result<Vec<HazardRisk>> {
        let rows: Vec<(String, f64, f64)> = sqlx::query_as(
            "SELECT id, risk_expected_share, risk_p_any FROM hazards \
             WHERE risk_p_any IS NOT NULL AND risk_expected_share IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(hazard_id, expected_contaminated_share, p_any)| HazardRisk {
                hazard_id,
                expected_contaminated_share,
                p_any,
            })
            .collect())
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM demine_meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn daily_progress(&self) -> Result<Vec<demine_core::DailyProgress>> {
        field::daily_progress(&self.pool).await
    }

    async fn qa_inspections(&self) -> Result<Vec<demine_core::QaInspection>> {
        field::qa_inspections(&self.pool).await
    }

    async fn hazard_risk(&self, hazard_id: &str) -> Result<Option<HazardRisk>> {
        field::hazard_risk(&self.pool, hazard_id).await
    }

    async fn change_log(&self, limit: u32) -> Result<Vec<ChangeLogEntry>> {
        let rows = sqlx::query(
            "SELECT fid, at, actor, action, entity, entity_id, batch, before, after FROM change_log ORDER BY fid DESC LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ChangeLogEntry {
                seq: r.get("fid"),
                at: r.get("at"),
                actor: r.get("actor"),
                action: r.get("action"),
                entity: r.get("entity"),
                entity_id: opt_str(r, "entity_id"),
                batch: opt_str(r, "batch"),
                before: opt_str(r, "before"),
                after: opt_str(r, "after"),
            })
            .collect())
    }
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
