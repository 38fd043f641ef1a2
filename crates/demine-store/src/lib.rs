//! # demine-store
//!
//! The registry store. The embedded default is one SQLite file that is a valid **GeoPackage 1.3**
//! with R-tree spatial indexes: QGIS and GDAL open it directly and see the `hazards`,
//! `activities`, `finds`, `accidents` and `released_land` layers, and the `*_history` layers of
//! what corrections replaced. A PostgreSQL/PostGIS backend (`PgStore`, cargo feature `postgres`,
//! not yet complete) implements the same [`Repository`].
//!
//! **Owns:** the schema and its migrations, reading and writing domain values, transactions,
//! record versions and their history, the hash-chained change log, GeoPackage bookkeeping
//! (contents, extents, geometry blobs, spatial indexes).
//!
//! **Must never:** parse import files, print, decide a use case (who may do what, what a
//! correction means: that is `demine-app`), or depend on an engine other than `demine-core`.
//! It is the only crate that speaks SQL.
//!
//! Invariants:
//! - One [`Changeset`] is one transaction: either all of it is in the file, or none of it (a
//!   crash or SIGKILL mid-write leaves the file as before). Write transactions start with
//!   `BEGIN IMMEDIATE`, so two processes writing at once queue instead of failing.
//! - The computed columns of a hazard (area, cancelled, reduced, cleared, remaining, status) and
//!   its `released_land` pieces are computed by `demine-core`'s accounting *inside* the write
//!   transaction that changes the hazard or its activities, from what the transaction sees: they
//!   are never stale, whoever else writes at the same time.
//! - Every record has a version. A replacement or retirement based on another version than the
//!   stored one is refused ([`StoreError::Stale`]), naming the record.
//! - A correction never loses a version: the version it ends goes to `<table>_history` with when,
//!   how and why. `--as-of D` reads ([`Query::as_of`]) reconstruct the registry of day D.
//! - Foreign keys are enforced: an activity, find or accident never refers to a missing hazard.
//! - `change_log` is append-only (triggers refuse UPDATE and DELETE) and hash-chained: each
//!   entry's hash covers the previous entry's hash and the entry itself ([`entry_hash`]).

mod account_rows;
mod backend;
pub mod features;
pub mod foreign;
mod gpkg;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub mod pg_testing;
pub mod transfer;
mod types;

pub use features::{CmpOp, FeatureQuery, FeatureRow, Field, FieldType, Filter, Layer, Literal};
pub use gpkg::GeoPackageStore;
#[cfg(feature = "postgres")]
pub use pg::{redact_url, PgStore, ReadRouting};
pub use types::*;

use chrono::NaiveDate;
use demine_core::release::ReleaseFigures;
use demine_core::{
    Accident, Activity, AnyRecord, ContextFeature, DailyProgress, Find, Hazard, HazardRisk, HazardStatus, Organisation,
    QaInspection, RecordKind, RiskCell, Team,
};
use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;

/// Errors of the store, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot open the registry: {source}. Check the path and that you may write to its folder")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("{path}: no such registry. Create one with `demine init`, an import, or `demine demo`, or pass another file with --db (or DEMINE_DB)")]
    Missing { path: PathBuf },
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
    #[error("no {} '{id}' in the registry", kind.singular())]
    NotFound { kind: RecordKind, id: String },
    #[error(
        "{} '{id}' was changed since it was read: the change was based on version {expected}, the registry holds version {current}; read it again (`demine show {} {id}`) and redo the change",
        kind.singular(), kind.as_str()
    )]
    Stale {
        kind: RecordKind,
        id: String,
        expected: u64,
        current: u64,
    },
    #[error("{0}")]
    Refused(String),
    #[error("submission {client_id} was already received")]
    DuplicateSubmission { client_id: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The registry, whatever the backend. Engines never see this; `demine-app` does.
///
/// Futures are `Send`, so one repository serves a multi-threaded HTTP server.
pub trait Repository: Send + Sync {
    /// Records of one kind matching `q`, with their versions, in stored order.
    fn records(&self, kind: RecordKind, q: &Query) -> impl Future<Output = Result<Vec<Stored<AnyRecord>>>> + Send;
    /// How many records of one kind match `q` (ignoring its paging).
    fn count(&self, kind: RecordKind, q: &Query) -> impl Future<Output = Result<u64>> + Send;
    /// One record by id, with its version.
    fn record(&self, kind: RecordKind, id: &str) -> impl Future<Output = Result<Option<Stored<AnyRecord>>>> + Send;
    /// Every version of a record, oldest first, the stored one last (if not retired).
    fn versions(&self, kind: RecordKind, id: &str) -> impl Future<Output = Result<Vec<Version>>> + Send;
    /// A hazard with everything recorded on it: activities, finds and accidents (linked to it,
    /// or unlinked and inside it), daily progress, QA, risk and its computed figures. `None`
    /// when there is no such hazard, or it is outside `q.organisations`.
    fn dossier(&self, id: &str, q: &Query) -> impl Future<Output = Result<Option<HazardDossier>>> + Send;
    /// Computed land-release figures as stored, per hazard id matching `q`.
    fn computed(&self, q: &Query) -> impl Future<Output = Result<Vec<(String, Computed)>>> + Send;
    /// Ids in use in a layer (current records only).
    fn ids(&self, kind: RecordKind) -> impl Future<Output = Result<HashSet<String>>> + Send;
    /// Record counts per layer.
    fn counts(&self) -> impl Future<Output = Result<Counts>> + Send;
    /// Applies a changeset atomically, attributing it to `author`.
    fn apply(&self, changes: &Changeset, author: &Author) -> impl Future<Output = Result<Applied>> + Send;
    /// As [`Repository::apply`], and in the same transaction the records of `stream`, inserted
    /// as they arrive; nothing is written unless the stream ends with [`StreamChunk::Commit`].
    fn apply_streamed(
        &self,
        changes: &Changeset,
        author: &Author,
        stream: &mut InsertStream,
    ) -> impl Future<Output = Result<Applied>> + Send;
    /// Features of one context layer, or of all.
    fn context_features(&self, layer: Option<&str>) -> impl Future<Output = Result<Vec<ContextFeature>>> + Send;
    /// Context layers and their feature counts.
    fn context_layers(&self) -> impl Future<Output = Result<Vec<(String, u64)>>> + Send;
    /// A registry fact (e.g. `synthetic`), if set.
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// A consistent copy of the whole registry at `path` (a new file), taken while others
    /// read and write: what `demine backup` writes.
    fn snapshot_to(&self, path: &std::path::Path) -> impl Future<Output = Result<()>> + Send;
    /// Features of one layer for map clients (OGC API, tiles): properties and geometry, in
    /// stored order, filtered and paged as `q` says.
    fn features(&self, q: &FeatureQuery) -> impl Future<Output = Result<Vec<FeatureRow>>> + Send;
    /// How many features match `q` (ignoring its paging).
    fn count_features(&self, q: &FeatureQuery) -> impl Future<Output = Result<u64>> + Send;
    /// The box of the features matching `q` (ignoring its paging); `None` when there are none.
    fn feature_extent(&self, q: &FeatureQuery) -> impl Future<Output = Result<Option<Bbox>>> + Send;
    /// A token that changes whenever what map clients read changes (tile caches key on it).
    fn generation(&self) -> impl Future<Output = Result<String>> + Send;
    /// Change-log entries matching `q`, newest first.
    fn change_log(&self, q: &LogQuery) -> impl Future<Output = Result<Vec<ChangeLogEntry>>> + Send;
    /// Each hazard's risk summary from the last `risk build` (hazards without one are left out).
    fn hazard_risks(&self) -> impl Future<Output = Result<Vec<HazardRisk>>> + Send;
    /// Risk cells whose outline meets `q.bbox` (all without one), with paging.
    fn risk_cells(&self, q: &Query) -> impl Future<Output = Result<Vec<RiskCell>>> + Send;

    /// Hazards matching `q`.
    fn hazards(&self, q: &Query) -> impl Future<Output = Result<Vec<Hazard>>> + Send {
        async move {
            Ok(unwrap_kind(self.records(RecordKind::Hazards, q).await?, |r| match r {
                AnyRecord::Hazard(h) => Some(h),
                _ => None,
            }))
        }
    }
    /// Activities matching `q`.
    fn activities(&self, q: &Query) -> impl Future<Output = Result<Vec<Activity>>> + Send {
        async move {
            Ok(unwrap_kind(
                self.records(RecordKind::Activities, q).await?,
                |r| match r {
                    AnyRecord::Activity(a) => Some(a),
                    _ => None,
                },
            ))
        }
    }
    /// Finds matching `q`.
    fn finds(&self, q: &Query) -> impl Future<Output = Result<Vec<Find>>> + Send {
        async move {
            Ok(unwrap_kind(self.records(RecordKind::Finds, q).await?, |r| match r {
                AnyRecord::Find(f) => Some(f),
                _ => None,
            }))
        }
    }
    /// Accidents matching `q`.
    fn accidents(&self, q: &Query) -> impl Future<Output = Result<Vec<Accident>>> + Send {
        async move {
            Ok(unwrap_kind(
                self.records(RecordKind::Accidents, q).await?,
                |r| match r {
                    AnyRecord::Accident(a) => Some(a),
                    _ => None,
                },
            ))
        }
    }
    /// Organisations matching `q`.
    fn organisations(&self, q: &Query) -> impl Future<Output = Result<Vec<Organisation>>> + Send {
        async move {
            Ok(unwrap_kind(
                self.records(RecordKind::Organisations, q).await?,
                |r| match r {
                    AnyRecord::Organisation(o) => Some(o),
                    _ => None,
                },
            ))
        }
    }
    /// Teams matching `q`.
    fn teams(&self, q: &Query) -> impl Future<Output = Result<Vec<Team>>> + Send {
        async move {
            Ok(unwrap_kind(self.records(RecordKind::Teams, q).await?, |r| match r {
                AnyRecord::Team(t) => Some(t),
                _ => None,
            }))
        }
    }
    /// Daily progress reports matching `q`, by date.
    fn daily_progress(&self, q: &Query) -> impl Future<Output = Result<Vec<DailyProgress>>> + Send {
        async move {
            let mut v = unwrap_kind(self.records(RecordKind::Progress, q).await?, |r| match r {
                AnyRecord::Progress(p) => Some(p),
                _ => None,
            });
            v.sort_by_key(|a| a.date);
            Ok(v)
        }
    }
    /// Post-clearance inspections matching `q`, by date.
    fn qa_inspections(&self, q: &Query) -> impl Future<Output = Result<Vec<QaInspection>>> + Send {
        async move {
            let mut v = unwrap_kind(self.records(RecordKind::Qa, q).await?, |r| match r {
                AnyRecord::Qa(i) => Some(i),
                _ => None,
            });
            v.sort_by_key(|a| a.date);
            Ok(v)
        }
    }
}

fn unwrap_kind<T>(records: Vec<Stored<AnyRecord>>, pick: impl Fn(AnyRecord) -> Option<T>) -> Vec<T> {
    records.into_iter().filter_map(|s| pick(s.record)).collect()
}

/// Accounts, tokens, submissions and conflicts of the shared registry.
pub trait Accounts: Send + Sync {
    fn user(&self, username: &str) -> impl Future<Output = Result<Option<UserRecord>>> + Send;
    fn users(&self) -> impl Future<Output = Result<Vec<UserRecord>>> + Send;
    /// Creates or replaces an account (logged in the change log, without its password hash).
    fn save_user(&self, user: &UserRecord, author: &Author) -> impl Future<Output = Result<()>> + Send;
    /// Counts a login: a success clears the failures; a failure adds one, and locks the account
    /// until `lock_until` when `failures_to_lock` is reached. Returns the account after.
    fn login_attempt(
        &self,
        username: &str,
        ok: bool,
        failures_to_lock: u32,
        lock_until: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>>> + Send;
    fn save_token(&self, token: &TokenRecord) -> impl Future<Output = Result<()>> + Send;
    fn token(&self, token_hash: &str) -> impl Future<Output = Result<Option<TokenRecord>>> + Send;
    /// Revokes one token, or every token of `username` (`token_hash` None). Returns how many.
    fn revoke_tokens(
        &self,
        username: &str,
        token_hash: Option<&str>,
        at: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    fn submission(&self, client_id: &str) -> impl Future<Output = Result<Option<Submission>>> + Send;
    fn conflicts(&self, open_only: bool) -> impl Future<Output = Result<Vec<Conflict>>> + Send;
}

/// The stored computed figures of one hazard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Computed {
    pub figures: ReleaseFigures,
    pub status: HazardStatus,
}

/// A registry store of either backend: what the CLI and the server hold.
#[derive(Debug, Clone)]
pub enum Store {
    GeoPackage(GeoPackageStore),
    /// A PostgreSQL + PostGIS registry (`--db postgres://…`).
    #[cfg(feature = "postgres")]
    Postgres(PgStore),
}

impl Store {
    /// Where the registry lives, for messages.
    pub fn location(&self) -> String {
        match self {
            Store::GeoPackage(s) => s.path().display().to_string(),
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => s.location().to_string(),
        }
    }

    /// The store as a long-running server holds it: on PostgreSQL, the registry's generation
    /// and the accounts asked for are kept until the database notifies a change
    /// ([`PgStore::watching_changes`]); a GeoPackage reads both in-process and is unchanged.
    pub fn watching_changes(self) -> Store {
        match self {
            Store::GeoPackage(s) => Store::GeoPackage(s),
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => Store::Postgres(s.watching_changes()),
        }
    }

    /// Flushes and closes (a GeoPackage is checkpointed so that the file alone holds everything).
    pub async fn close(self) -> Result<()> {
        match self {
            Store::GeoPackage(s) => s.close().await,
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => s.close().await,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::GeoPackage($s) => $e,
            #[cfg(feature = "postgres")]
            Store::Postgres($s) => $e,
        }
    };
}

impl Repository for Store {
    async fn records(&self, kind: RecordKind, q: &Query) -> Result<Vec<Stored<AnyRecord>>> {
        delegate!(self, s => s.records(kind, q).await)
    }
    async fn count(&self, kind: RecordKind, q: &Query) -> Result<u64> {
        delegate!(self, s => s.count(kind, q).await)
    }
    async fn record(&self, kind: RecordKind, id: &str) -> Result<Option<Stored<AnyRecord>>> {
        delegate!(self, s => s.record(kind, id).await)
    }
    async fn versions(&self, kind: RecordKind, id: &str) -> Result<Vec<Version>> {
        delegate!(self, s => s.versions(kind, id).await)
    }
    async fn dossier(&self, id: &str, q: &Query) -> Result<Option<HazardDossier>> {
        delegate!(self, s => s.dossier(id, q).await)
    }
    async fn computed(&self, q: &Query) -> Result<Vec<(String, Computed)>> {
        delegate!(self, s => s.computed(q).await)
    }
    async fn ids(&self, kind: RecordKind) -> Result<HashSet<String>> {
        delegate!(self, s => s.ids(kind).await)
    }
    async fn counts(&self) -> Result<Counts> {
        delegate!(self, s => s.counts().await)
    }
    async fn apply(&self, changes: &Changeset, author: &Author) -> Result<Applied> {
        delegate!(self, s => s.apply(changes, author).await)
    }
    async fn apply_streamed(&self, changes: &Changeset, author: &Author, stream: &mut InsertStream) -> Result<Applied> {
        delegate!(self, s => s.apply_streamed(changes, author, stream).await)
    }
    async fn context_features(&self, layer: Option<&str>) -> Result<Vec<ContextFeature>> {
        delegate!(self, s => s.context_features(layer).await)
    }
    async fn context_layers(&self) -> Result<Vec<(String, u64)>> {
        delegate!(self, s => s.context_layers().await)
    }
    async fn meta(&self, key: &str) -> Result<Option<String>> {
        delegate!(self, s => s.meta(key).await)
    }
    async fn change_log(&self, q: &LogQuery) -> Result<Vec<ChangeLogEntry>> {
        delegate!(self, s => s.change_log(q).await)
    }
    async fn snapshot_to(&self, path: &std::path::Path) -> Result<()> {
        delegate!(self, s => s.snapshot_to(path).await)
    }
    async fn hazard_risks(&self) -> Result<Vec<HazardRisk>> {
        delegate!(self, s => s.hazard_risks().await)
    }
    async fn risk_cells(&self, q: &Query) -> Result<Vec<RiskCell>> {
        delegate!(self, s => s.risk_cells(q).await)
    }
    async fn features(&self, q: &FeatureQuery) -> Result<Vec<FeatureRow>> {
        delegate!(self, s => s.features(q).await)
    }
    async fn count_features(&self, q: &FeatureQuery) -> Result<u64> {
        delegate!(self, s => s.count_features(q).await)
    }
    async fn feature_extent(&self, q: &FeatureQuery) -> Result<Option<Bbox>> {
        delegate!(self, s => s.feature_extent(q).await)
    }
    async fn generation(&self) -> Result<String> {
        delegate!(self, s => s.generation().await)
    }
}

impl Accounts for Store {
    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        delegate!(self, s => s.user(username).await)
    }
    async fn users(&self) -> Result<Vec<UserRecord>> {
        delegate!(self, s => s.users().await)
    }
    async fn save_user(&self, user: &UserRecord, author: &Author) -> Result<()> {
        delegate!(self, s => s.save_user(user, author).await)
    }
    async fn login_attempt(
        &self,
        username: &str,
        ok: bool,
        failures_to_lock: u32,
        lock_until: &str,
    ) -> Result<Option<UserRecord>> {
        delegate!(self, s => s.login_attempt(username, ok, failures_to_lock, lock_until).await)
    }
    async fn save_token(&self, token: &TokenRecord) -> Result<()> {
        delegate!(self, s => s.save_token(token).await)
    }
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        delegate!(self, s => s.token(token_hash).await)
    }
    async fn revoke_tokens(&self, username: &str, token_hash: Option<&str>, at: &str) -> Result<u64> {
        delegate!(self, s => s.revoke_tokens(username, token_hash, at).await)
    }
    async fn submission(&self, client_id: &str) -> Result<Option<Submission>> {
        delegate!(self, s => s.submission(client_id).await)
    }
    async fn conflicts(&self, open_only: bool) -> Result<Vec<Conflict>> {
        delegate!(self, s => s.conflicts(open_only).await)
    }
}

/// The time now, as every timestamp of the registry is written (sortable as text).
pub fn now_stamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The end of day `d` (UTC), as stored timestamps are written: what `--as-of d` compares with.
pub fn end_of_day(d: NaiveDate) -> String {
    format!("{}T00:00:00.000Z", d.succ_opt().unwrap_or(d))
}

/// The hash of a change-log entry: SHA-256 (hex) of the previous entry's hash and every field
/// of this one, as a JSON array (so no two entries can be written the same way).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(prev_hash: &str, e: &ChangeLogEntry) -> String {
    use sha2::{Digest, Sha256};
    // Serialised from references, as `json!([...])` would write it (same text, no copies).
    let canonical = serde_json::to_string(&(
        prev_hash,
        e.seq,
        &e.at,
        &e.actor,
        &e.organisation,
        &e.request_id,
        &e.action,
        &e.entity,
        &e.entity_id,
        &e.batch,
        &e.before,
        &e.after,
        &e.reason,
    ))
    .expect("strings and numbers serialise");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}
