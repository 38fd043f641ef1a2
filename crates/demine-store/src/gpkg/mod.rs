//! The embedded GeoPackage store (SQLite through sqlx).

pub(crate) mod accounts;
pub(crate) mod bind;
pub(crate) mod codec;
pub(crate) mod features;
pub(crate) mod functions;
mod read;
mod rtree;
mod write;

use crate::{
    Applied, Author, ChangeLogEntry, Changeset, Computed, Counts, FeatureQuery, FeatureRow, HazardDossier,
    InsertStream, LogQuery, Query, Repository, Result, StoreError, Stored, Version,
};
use demine_core::{AnyRecord, ContextFeature, HazardRisk, RecordKind, RiskCell};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The embedded GeoPackage store.
#[derive(Debug, Clone)]
pub struct GeoPackageStore {
    pool: SqlitePool,
    path: PathBuf,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;

impl GeoPackageStore {
    /// Opens the registry at `path`, creating it (and its schema) if there is no file yet. Only
    /// commands that create registries (init, import, demo) call this; readers call
    /// [`GeoPackageStore::open_existing`].
    pub async fn open(path: &Path) -> Result<Self> {
        Self::connect(path, true).await
    }

    /// Opens an existing registry; refuses ([`StoreError::Missing`]) when there is no file.
    pub async fn open_existing(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(StoreError::Missing { path: path.to_owned() });
        }
        Self::connect(path, false).await
    }

    async fn connect(path: &Path, create: bool) -> Result<Self> {
        if demine_core::is_special_file(path) {
            return Err(StoreError::NotARegistry {
                path: path.to_owned(),
                why: "it is a device or a pipe, not a file".into(),
            });
        }
        let existed = path.exists();
        if existed {
            check_sqlite_header(path)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(60))
            // 64 MiB of page cache per connection: a national import is one transaction, and
            // a small cache spills it to the WAL page by page.
            .pragma("cache_size", "-65536")
            // Statement journals (every multi-row insert inside the transaction has one) and
            // the sorter of an index rebuilt by a bulk insert stay in memory, not temp files.
            .pragma("temp_store", "memory")
            // The sorter of an index rebuilt by a bulk insert may hand parts of a sort bigger
            // than its memory to helper threads (a million finds' sorts fit in memory: no
            // change measured there).
            .pragma("threads", sorter_threads().to_string());
        let pool = SqlitePoolOptions::new()
            // WAL: readers run beside the one writer; writes queue on BEGIN IMMEDIATE.
            .max_connections(4)
            // No idle reaping (nothing to gain on a local file): sqlx 0.8's reaper can spin
            // forever and wedge the runtime (sqlx#3645; the fix, #4289, is not in a 0.8 release).
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    let mut handle = conn.lock_handle().await?;
                    // SAFETY: the handle is locked for this call; it is an open connection.
                    unsafe { functions::register(handle.as_raw_handle().as_ptr()) }.map_err(|rc| {
                        sqlx::Error::Configuration(
                            format!("cannot register the GeoPackage SQL functions (SQLite code {rc})").into(),
                        )
                    })?;
                    Ok(())
                })
            })
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
        write::seal_unhashed_log(&store.pool).await?;
        Ok(store)
    }

    /// Where the registry lives.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

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

impl Repository for GeoPackageStore {
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
        read::records(&self.pool, kind, q).await
    }
    async fn count(&self, kind: RecordKind, q: &Query) -> Result<u64> {
        read::count(&self.pool, kind, q).await
    }
    async fn record(&self, kind: RecordKind, id: &str) -> Result<Option<Stored<AnyRecord>>> {
        let q = Query {
            ids: Some(vec![id.to_string()]),
            ..Query::default()
        };
        Ok(read::records(&self.pool, kind, &q).await?.into_iter().next())
    }
    async fn versions(&self, kind: RecordKind, id: &str) -> Result<Vec<Version>> {
        read::versions(&self.pool, kind, id).await
    }
    async fn dossier(&self, id: &str, q: &Query) -> Result<Option<HazardDossier>> {
        read::dossier(&self.pool, id, q).await
    }
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>> {
        read::computed(&self.pool, q).await
    }
    async fn ids(&self, kind: RecordKind) -> Result<HashSet<String>> {
        let sql = format!("SELECT id FROM {}", codec::spec(kind).table);
        let ids: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&self.pool).await?;
        Ok(ids.into_iter().collect())
    }
    async fn counts(&self) -> Result<Counts> {
        read::counts(&self.pool).await
    }
    async fn apply(&self, changes: &Changeset, author: &Author) -> Result<Applied> {
        write::apply(&self.pool, changes, author, None).await
    }
    async fn apply_streamed(&self, changes: &Changeset, author: &Author, stream: &mut InsertStream) -> Result<Applied> {
        write::apply(&self.pool, changes, author, Some(stream)).await
    }
    async fn context_features(&self, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
        read::context_features(&self.pool, layer).await
    }
    async fn context_layers(&self) -> Result<Vec<(String, u64)>> {
        read::context_layers(&self.pool).await
    }
    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM demine_meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn change_log(&self, q: &LogQuery) -> Result<Vec<ChangeLogEntry>> {
        read::change_log(&self.pool, q).await
    }
    async fn snapshot_to(&self, path: &Path) -> Result<()> {
        // VACUUM INTO reads one consistent snapshot (WAL readers do not block the writer) and
        // writes a compact, self-contained file: no -wal beside it to forget.
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().as_ref())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    async fn hazard_risks(&self) -> Result<Vec<HazardRisk>> {
        read::hazard_risks(&self.pool).await
    }
    async fn risk_cells(&self, q: &Query) -> Result<Vec<RiskCell>> {
        read::risk_cells(&self.pool, q).await
    }
    async fn features(&self, q: &FeatureQuery) -> Result<Vec<FeatureRow>> {
        features::features(&self.pool, q).await
    }
    async fn count_features(&self, q: &FeatureQuery) -> Result<u64> {
        features::count(&self.pool, q).await
    }
    async fn feature_extent(&self, q: &FeatureQuery) -> Result<Option<crate::Bbox>> {
        features::extent(&self.pool, q).await
    }
    async fn generation(&self) -> Result<String> {
        features::generation(&self.pool).await
    }
}

/// Auxiliary threads SQLite's sorter may use: the machine's other cores (SQLite caps it at 8).
fn sorter_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .clamp(1, 8)
}
