//! The PostgreSQL + PostGIS store (sqlx's postgres driver), behind the cargo feature `postgres`.
//!
//! The same tables, columns and rules as the GeoPackage store (`migrations-pg/` mirrors
//! `migrations/`), in PostgreSQL types: `geometry(…, 4326)` with GiST indexes, `date`, `json`
//! (kept as written). Records are encoded and decoded by the GeoPackage store's codec
//! (`gpkg::codec`: which columns, in which order; [`Cells`] reads a row of either backend);
//! geometry travels as WKB (`ST_GeomFromWKB` / `ST_AsBinary`).
//!
//! Writes: one changeset is one transaction that first takes the registry's write lock
//! (`pg_advisory_xact_lock`), so writers from many server processes queue as they do on the
//! GeoPackage's `BEGIN IMMEDIATE`. The lock is needed by the accounting (a hazard's figures are
//! computed from what the transaction sees) and by the change log (each entry chains on the
//! previous one). Reads never take it.

mod accounts;
mod features;
mod read;
mod watch;
mod write;

use crate::features::{FeatureQuery, FeatureRow};
use crate::gpkg::codec::Cells;
use crate::{
    Applied, Author, Bbox, ChangeLogEntry, Changeset, Computed, Counts, HazardDossier, InsertStream, LogQuery, Query,
    Repository, Result, StoreError, Stored, Version,
};
use demine_core::{AnyRecord, ContextFeature, HazardRisk, RecordKind, RiskCell};
use geo::Geometry;
use geozero::wkb::Wkb;
use geozero::ToGeo;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The registry on a PostgreSQL + PostGIS database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The URL without its password, for messages.
    location: String,
    /// Whether reads filter by organisation in SQL (the first wall). Row-level security (the
    /// second) holds either way; only tests turn this off, to show that it does.
    app_filter: bool,
    /// A streaming replica for reads that may lag (`demine serve --read-replica`).
    replica: Option<Arc<Replica>>,
    /// Answers kept until the registry notifies a change (a server: [`PgStore::watching_changes`]).
    watch: Option<Arc<watch::ChangeWatch>>,
}

/// A read replica (a hot standby of the primary) and what decides whether a read may go there.
#[derive(Debug)]
struct Replica {
    pool: PgPool,
    location: String,
    /// The primary's WAL position after this store's last write: a read goes to the replica
    /// only once the replica has replayed up to it (read-your-own-writes), else to the primary.
    last_write_lsn: Mutex<Option<String>>,
    reads_on_replica: AtomicU64,
    reads_on_primary: AtomicU64,
}

/// Where this store's reads went (with a replica).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReadRouting {
    pub reads_on_replica: u64,
    pub reads_on_primary: u64,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-pg");

/// The key of the registry's write lock (`pg_advisory_xact_lock`): "demine" in ASCII.
pub(crate) const WRITE_LOCK: i64 = 0x0000_6465_6d69_6e65;

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`: URLs go into messages and
/// logs, passwords never do.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:***{}", &url[..scheme_end + 3], &authority[..colon], &rest[at..])
        }
        _ => url.to_string(),
    }
}

impl PgStore {
    /// Opens the registry in the database at `url`, creating its schema if the database has
    /// none yet (the database itself must exist, with PostGIS available).
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing registry; refuses ([`StoreError::Missing`]) when the database holds no
    /// demine schema (a command that only reads never creates one).
    pub async fn open_existing(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        let has_schema: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&store.pool)
            .await?;
        if !has_schema {
            return Err(StoreError::Missing {
                path: PathBuf::from(&store.location),
            });
        }
        let ours: bool =
            sqlx::query_scalar("SELECT to_regclass('change_log') IS NOT NULL AND to_regclass('hazards') IS NOT NULL")
                .fetch_one(&store.pool)
                .await?;
        if !ours {
            return Err(StoreError::NotARegistry {
                path: PathBuf::from(&store.location),
                why: "the database has sqlx migrations but no demine schema".into(),
            });
        }
        // A server role that does not own the schema cannot run migrations: only run them when
        // some are pending.
        let applied: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&store.pool)
            .await?;
        let latest = MIGRATOR.iter().map(|m| m.version).max();
        if applied < latest {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// The same store without the application's organisation filter: reads are left to
    /// row-level security alone. For tests that prove the second wall holds; never use it to
    /// serve anyone.
    #[doc(hidden)]
    pub fn without_application_filter_for_tests(mut self) -> Self {
        self.app_filter = false;
        self
    }

    /// The same store, keeping the registry's generation and the accounts asked for until the
    /// database notifies a change (`LISTEN demine_changed`, see `watch`): a server asks for
    /// both on every request. Not with a read replica, whose generation may lag the
    /// notification. Needs a Tokio runtime; the listener lives as long as the store.
    pub fn watching_changes(mut self) -> Self {
        if self.replica.is_none() {
            self.watch = Some(watch::ChangeWatch::start(self.pool.clone()));
        }
        self
    }

    /// Whether this store is keeping answers now: it watches, and its listening connection has
    /// shown (by a probe) that notifications reach it.
    pub fn watching(&self) -> bool {
        self.watch.as_ref().is_some_and(|w| w.listening())
    }

    /// This store wrote: nothing it kept is given again (its next read sees its own write
    /// without waiting for the notification).
    pub(crate) fn forget_kept(&self) {
        if let Some(w) = &self.watch {
            w.changed();
        }
    }

    /// The SQL query and the row-level security scope of a read.
    fn split(&self, q: &Query) -> (Query, Option<Vec<String>>) {
        let scope = q.organisations.clone();
        let mut sql = q.clone();
        if !self.app_filter {
            sql.organisations = None;
        }
        (sql, scope)
    }

    async fn connect(url: &str) -> Result<Self> {
        let location = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|source| StoreError::Open {
                path: PathBuf::from(&location),
                source,
            })?
            .application_name("demine")
            .options([("TimeZone", "UTC")]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            // No idle reaping: sqlx 0.8's reaper can spin forever and wedge the server's runtime
            // (sqlx#3645, fixed by #4289, not in a 0.8 release); 8 connections kept open cost
            // the server little.
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: PathBuf::from(&location),
                source,
            })?;
        Ok(PgStore {
            pool,
            location,
            app_filter: true,
            replica: None,
            watch: None,
        })
    }

    /// Sends reads that may lag to the hot standby at `url` (a streaming replica of this
    /// registry's database), and writes, accounts and reads that must see this store's own
    /// latest write to the primary. Refuses a replica that is not a registry.
    pub async fn with_read_replica(mut self, url: &str) -> Result<Self> {
        let replica = Self::connect(url).await?;
        let ours: bool =
            sqlx::query_scalar("SELECT to_regclass('change_log') IS NOT NULL AND to_regclass('hazards') IS NOT NULL")
                .fetch_one(&replica.pool)
                .await?;
        if !ours {
            return Err(StoreError::NotARegistry {
                path: PathBuf::from(&replica.location),
                why: "the read replica holds no demine registry (is it a standby of the primary?)".into(),
            });
        }
        self.watch = None;
        self.replica = Some(Arc::new(Replica {
            pool: replica.pool,
            location: replica.location,
            last_write_lsn: Mutex::new(None),
            reads_on_replica: AtomicU64::new(0),
            reads_on_primary: AtomicU64::new(0),
        }));
        Ok(self)
    }

    /// Where reads went so far (`None` without a replica).
    pub fn read_routing(&self) -> Option<ReadRouting> {
        self.replica.as_ref().map(|r| ReadRouting {
            reads_on_replica: r.reads_on_replica.load(Ordering::Relaxed),
            reads_on_primary: r.reads_on_primary.load(Ordering::Relaxed),
        })
    }

    /// The replica's URL without its password, if there is one.
    pub fn replica_location(&self) -> Option<&str> {
        self.replica.as_ref().map(|r| r.location.as_str())
    }

    /// The pool a read that may lag goes to: the replica once it has replayed this store's last
    /// write, else (or when the replica cannot answer) the primary.
    async fn reader(&self) -> &PgPool {
        let Some(r) = &self.replica else {
            return &self.pool;
        };
        let lsn = r.last_write_lsn.lock().map(|l| l.clone()).unwrap_or(None);
        let caught_up: Option<bool> = sqlx::query_scalar(
            "SELECT pg_is_in_recovery() AND ($1::text IS NULL OR pg_last_wal_replay_lsn() >= $1::pg_lsn)",
        )
        .bind(lsn)
        .fetch_one(&r.pool)
        .await
        .unwrap_or(None);
        if caught_up == Some(true) {
            r.reads_on_replica.fetch_add(1, Ordering::Relaxed);
            &r.pool
        } else {
            r.reads_on_primary.fetch_add(1, Ordering::Relaxed);
            &self.pool
        }
    }

    /// Remembers the primary's WAL position after a write (with a replica). The *insert*
    /// position: with asynchronous commit the commit record may not be written yet, and a
    /// standby that has replayed up to the write position could still miss it.
    async fn wrote(&self) {
        self.forget_kept();
        if let Some(r) = &self.replica {
            let lsn: Option<String> = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
                .fetch_one(&self.pool)
                .await
                .ok();
            if let (Some(lsn), Ok(mut last)) = (lsn, r.last_write_lsn.lock()) {
                *last = Some(lsn);
            }
        }
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(|source| StoreError::Migrate {
            path: PathBuf::from(&self.location),
            source,
        })
    }

    /// Where the registry lives (its URL without the password).
    pub fn location(&self) -> &str {
        &self.location
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<()> {
        self.pool.close().await;
        Ok(())
    }
}

impl Cells for PgRow {
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
        let wkb: Vec<u8> = self.try_get("geom").map_err(|e| format!("geom: {e}"))?;
        Wkb(wkb).to_geo().map_err(|e| format!("geometry: {e}"))
    }
    fn flag(&self, col: &str) -> Result<bool, String> {
        self.try_get(col).map_err(|e| format!("{col}: {e}"))
    }
}

pub(crate) use crate::gpkg::codec::wkb_of_gpkg;

impl Repository for PgStore {
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
        let (q, scope) = self.split(q);
        read::records(self.reader().await, kind, &q, scope.as_deref()).await
    }
    async fn count(&self, kind: RecordKind, q: &Query) -> Result<u64> {
        let (q, scope) = self.split(q);
        read::count(self.reader().await, kind, &q, scope.as_deref()).await
    }
    async fn record(&self, kind: RecordKind, id: &str) -> Result<Option<Stored<AnyRecord>>> {
        let q = Query {
            ids: Some(vec![id.to_string()]),
            ..Query::default()
        };
        Ok(read::records(self.reader().await, kind, &q, None)
            .await?
            .into_iter()
            .next())
    }
    async fn versions(&self, kind: RecordKind, id: &str) -> Result<Vec<Version>> {
        read::versions(self.reader().await, kind, id).await
    }
    async fn dossier(&self, id: &str, q: &Query) -> Result<Option<HazardDossier>> {
        let (q, scope) = self.split(q);
        read::dossier(self.reader().await, id, &q, scope.as_deref()).await
    }
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>> {
        let (q, scope) = self.split(q);
        read::computed(self.reader().await, &q, scope.as_deref()).await
    }
    async fn ids(&self, kind: RecordKind) -> Result<HashSet<String>> {
        let sql = format!("SELECT id FROM {}", crate::gpkg::codec::spec(kind).table);
        let mut tx = read::scoped(self.reader().await, None).await?;
        let ids: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(ids.into_iter().collect())
    }
    async fn counts(&self) -> Result<Counts> {
        read::counts(self.reader().await).await
    }
    async fn apply(&self, changes: &Changeset, author: &Author) -> Result<Applied> {
        let applied = write::apply(&self.pool, changes, author, None).await?;
        self.wrote().await;
        Ok(applied)
    }
    async fn apply_streamed(&self, changes: &Changeset, author: &Author, stream: &mut InsertStream) -> Result<Applied> {
        let applied = write::apply(&self.pool, changes, author, Some(stream)).await?;
        self.wrote().await;
        Ok(applied)
    }
    async fn context_features(&self, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
        read::context_features(self.reader().await, layer).await
    }
    async fn context_layers(&self) -> Result<Vec<(String, u64)>> {
        read::context_layers(self.reader().await).await
    }
    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM demine_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn change_log(&self, q: &LogQuery) -> Result<Vec<ChangeLogEntry>> {
        read::change_log(self.reader().await, q).await
    }
    async fn snapshot_to(&self, _path: &Path) -> Result<()> {
        Err(StoreError::Refused(format!(
            "{}: `demine backup` of a PostgreSQL registry is not implemented yet; back the database up with pg_dump (or pg_basebackup and WAL archiving for point-in-time recovery)",
            self.location
        )))
    }
    async fn hazard_risks(&self) -> Result<Vec<HazardRisk>> {
        read::hazard_risks(self.reader().await).await
    }
    async fn risk_cells(&self, q: &Query) -> Result<Vec<RiskCell>> {
        read::risk_cells(self.reader().await, q).await
    }
    async fn features(&self, q: &FeatureQuery) -> Result<Vec<FeatureRow>> {
        features::features(self.reader().await, q, self.app_filter).await
    }
    async fn count_features(&self, q: &FeatureQuery) -> Result<u64> {
        features::count(self.reader().await, q, self.app_filter).await
    }
    async fn feature_extent(&self, q: &FeatureQuery) -> Result<Option<Bbox>> {
        features::extent(self.reader().await, q, self.app_filter).await
    }
    async fn generation(&self) -> Result<String> {
        match &self.watch {
            Some(w) => w.generation(features::generation(&self.pool)).await,
            None => features::generation(self.reader().await).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact_url("postgres://demine:s3cret@db.example:5432/registry"),
            "postgres://demine:***@db.example:5432/registry"
        );
        assert_eq!(
            redact_url("postgres://demine@127.0.0.1/registry"),
            "postgres://demine@127.0.0.1/registry"
        );
        assert_eq!(redact_url("postgres:///registry"), "postgres:///registry");
    }

    #[test]
    fn wkb_is_the_geopackage_blob_without_its_header() {
        use geozero::{CoordDimensions, ToWkb};
        let p = Geometry::Polygon(polygon![(x: 30.0, y: 50.0), (x: 30.1, y: 50.0), (x: 30.1, y: 50.1)]);
        let blob = crate::gpkg::codec::gpkg_blob(&p).unwrap();
        assert_eq!(wkb_of_gpkg(blob), p.to_wkb(CoordDimensions::xy()).unwrap());
        let pt = Geometry::Point(geo::Point::new(30.0, 50.0));
        let blob = crate::gpkg::codec::gpkg_blob(&pt).unwrap();
        assert_eq!(wkb_of_gpkg(blob), pt.to_wkb(CoordDimensions::xy()).unwrap());
    }
}
