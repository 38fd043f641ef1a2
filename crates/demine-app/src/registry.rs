//! Where the registry is, and opening it: readers open what exists (a typo in `--db` is an
//! error, never an empty registry); only `init`, an import and the demo create one.

use crate::{Actor, AppError, AppResult};
use demine_store::{Applied, Changeset, GeoPackageStore, Repository, Store};
pub use demine_store::{Bbox, ChangeLogEntry, Computed, LogQuery};
use std::path::{Path, PathBuf};

/// Where a registry lives: a GeoPackage file, or a PostgreSQL + PostGIS database (builds with
/// the cargo feature `postgres`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    GeoPackage(PathBuf),
    /// A `postgres://` URL (it may hold a password: print [`Location::describe`], never this).
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Location {
    /// `--db` as given: a file path (a GeoPackage) or a `postgres://` URL.
    pub fn parse(s: &str) -> AppResult<Location> {
        let t = s.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Ok(Location::Postgres(t.to_string()));
            #[cfg(not(feature = "postgres"))]
            return Err(AppError::refused(format!(
                "--db {}: PostgreSQL registries are not supported by this build yet; use a GeoPackage file",
                redact(t)
            )));
        }
        if t.is_empty() {
            return Err(AppError::refused(
                "--db is empty; give a registry file, e.g. demine.gpkg",
            ));
        }
        Ok(Location::GeoPackage(PathBuf::from(t)))
    }

    /// For messages (no password).
    pub fn describe(&self) -> String {
        match self {
            Location::GeoPackage(p) => p.display().to_string(),
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => redact(url),
        }
    }

    /// The location without the folders, host, port and user: the GeoPackage's file name, or
    /// the database's name.
    ///
    /// ```
    /// use demine_app::Location;
    /// let l = Location::parse("/srv/mine-action/demine.gpkg").unwrap();
    /// assert_eq!(l.public_name(), "demine.gpkg");
    /// ```
    pub fn public_name(&self) -> String {
        match self {
            Location::GeoPackage(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "the registry".into()),
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => {
                let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                let database = path.split_once('/').map_or("", |(_, db)| db);
                let database = database.split(['?', '#']).next().unwrap_or("");
                if database.is_empty() {
                    "the registry".into()
                } else {
                    format!("database {database}")
                }
            }
        }
    }

    /// Whether a registry is there: the file exists, or the database holds the demine schema
    /// (a database the DBA made is empty until `init` or a first import).
    pub async fn exists(&self) -> AppResult<bool> {
        match self {
            Location::GeoPackage(p) => Ok(p.exists()),
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => match demine_store::PgStore::open_existing(url).await {
                Ok(s) => {
                    s.close().await?;
                    Ok(true)
                }
                Err(demine_store::StoreError::Missing { .. }) => Ok(false),
                Err(e) => Err(e.into()),
            },
        }
    }

    fn check_folder(&self) -> AppResult<()> {
        // Infallible without the `postgres` feature.
        #[allow(clippy::infallible_destructuring_match)]
        let p = match self {
            Location::GeoPackage(p) => p,
            #[cfg(feature = "postgres")]
            Location::Postgres(_) => return Ok(()),
        };
        if let Some(parent) = p.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                return Err(AppError::refused(format!(
                    "{}: folder {} does not exist; create it or pass another --db",
                    p.display(),
                    parent.display()
                )));
            }
        }
        Ok(())
    }
}

/// A URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// An open registry.
#[derive(Debug, Clone)]
pub struct Registry {
    pub store: Store,
    pub location: Location,
    /// The name messages give the registry, when not its location: see [`Registry::named_for_clients`].
    shown_as: Option<String>,
}

impl Registry {
    /// Opens an existing registry; refuses, naming it, when there is none.
    pub async fn open(location: &Location) -> AppResult<Registry> {
        location.check_folder()?;
        let store = match location {
            Location::GeoPackage(p) => Store::GeoPackage(GeoPackageStore::open_existing(p).await?),
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => Store::Postgres(demine_store::PgStore::open_existing(url).await?),
        };
        Ok(Registry {
            store,
            location: location.clone(),
            shown_as: None,
        })
    }

    /// Opens an existing registry whose reads that may lag go to a streaming replica
    /// (`demine serve --read-replica URL`); PostgreSQL registries only.
    pub async fn open_with_replica(location: &Location, replica: Option<&str>) -> AppResult<Registry> {
        let Some(replica) = replica else {
            return Registry::open(location).await;
        };
        match location {
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => {
                if !matches!(Location::parse(replica)?, Location::Postgres(_)) {
                    return Err(AppError::refused(format!(
                        "--read-replica {}: a read replica is a postgres:// URL of a hot standby of {}",
                        redact(replica),
                        location.describe()
                    )));
                }
                let store = demine_store::PgStore::open_existing(url)
                    .await?
                    .with_read_replica(replica)
                    .await?;
                Ok(Registry {
                    store: Store::Postgres(store),
                    location: location.clone(),
                    shown_as: None,
                })
            }
            _ => Err(AppError::refused(format!(
                "--read-replica {}: {} is a GeoPackage file; read replicas are for registries on PostgreSQL (--db postgres://…)",
                redact(replica),
                location.describe()
            ))),
        }
    }

    /// A registry on a store opened by the caller (a test's, with its own role or filters).
    pub fn on_store(store: Store, location: Location) -> Registry {
        Registry {
            store,
            location,
            shown_as: None,
        }
    }

    /// The registry as a server holds it for hours: see [`Store::watching_changes`].
    pub fn watching_changes(self) -> Registry {
        Registry {
            store: self.store.watching_changes(),
            ..self
        }
    }

    /// Opens a registry, creating an empty one if there is none (`demine init`, the demo).
    pub async fn open_or_create(location: &Location) -> AppResult<Registry> {
        location.check_folder()?;
        let store = match location {
            Location::GeoPackage(p) => Store::GeoPackage(GeoPackageStore::open(p).await?),
            #[cfg(feature = "postgres")]
            Location::Postgres(url) => Store::Postgres(demine_store::PgStore::open(url).await?),
        };
        Ok(Registry {
            store,
            location: location.clone(),
            shown_as: None,
        })
    }

    /// For messages: the location (file path, or database URL without its password), or the
    /// name given by [`Registry::named_for_clients`].
    pub fn name(&self) -> String {
        self.shown_as.clone().unwrap_or_else(|| self.location.describe())
    }

    /// The registry as a server's clients see it in messages: by its file's name, or its
    /// database's, never by the server's folders, host, port or database user, which are not
    /// theirs to know.
    pub fn named_for_clients(self) -> Registry {
        let shown_as = self.location.public_name();
        Registry {
            shown_as: Some(shown_as),
            ..self
        }
    }

    /// Whether the registry holds SYNTHETIC demo data.
    pub async fn synthetic(&self) -> AppResult<bool> {
        Ok(self.store.meta("synthetic").await?.as_deref() == Some("true"))
    }

    /// Flushes and closes.
    pub async fn close(self) -> AppResult<()> {
        Ok(self.store.close().await?)
    }

    /// Applies a changeset as `actor`.
    pub async fn apply(&self, changes: &Changeset, actor: &Actor) -> AppResult<Applied> {
        Ok(self.store.apply(changes, &actor.author()).await?)
    }
}

/// The registry's records an engine works on: hazards, activities, finds, accidents and the
/// context layers.
#[derive(Clone)]
pub struct Evidence {
    pub hazards: Vec<demine_core::Hazard>,
    pub activities: Vec<demine_core::Activity>,
    pub finds: Vec<demine_core::Find>,
    pub accidents: Vec<demine_core::Accident>,
    pub layers: Vec<demine_core::ContextFeature>,
}

impl Registry {
    /// The records matching `q`, with every context layer.
    pub async fn evidence(&self, q: &demine_store::Query) -> AppResult<Evidence> {
        Ok(Evidence {
            hazards: self.store.hazards(q).await?,
            activities: self.store.activities(q).await?,
            finds: self.store.finds(q).await?,
            accidents: self.store.accidents(q).await?,
            layers: self.store.context_features(None).await?,
        })
    }

    /// Writes `changes` unless `dry_run`.
    pub async fn apply_unless(&self, dry_run: bool, changes: &Changeset, actor: &Actor) -> AppResult<()> {
        if !dry_run {
            self.apply(changes, actor).await?;
        }
        Ok(())
    }
}

/// Where an import writes.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// A registry already open: a server's, whose next read must see its own write at once (on
    /// PostgreSQL, one opened per request would be a new pool, outside the server's kept answers).
    Open(&'a Registry),
    /// The registry at a location, opened for the import and closed after it; the first import
    /// creates it, atomically (the command line).
    At(&'a Location),
}

impl<'a> From<&'a Registry> for Destination<'a> {
    fn from(r: &'a Registry) -> Self {
        Destination::Open(r)
    }
}

impl<'a> From<&'a Location> for Destination<'a> {
    fn from(l: &'a Location) -> Self {
        Destination::At(l)
    }
}

impl Destination<'_> {
    /// For messages: [`Registry::name`] of an open registry, else the location.
    pub fn name(&self) -> String {
        match self {
            Destination::Open(r) => r.name(),
            Destination::At(l) => l.describe(),
        }
    }

    pub fn location(&self) -> &Location {
        match self {
            Destination::Open(r) => &r.location,
            Destination::At(l) => l,
        }
    }

    /// The registry an import is checked against and written to: the open one, or the one at
    /// the location (`None`: there is none yet, and the import creates it).
    pub async fn registry(&self) -> AppResult<Option<Registry>> {
        match self {
            Destination::Open(r) => Ok(Some((*r).clone())),
            Destination::At(l) if l.exists().await? => Ok(Some(Registry::open(l).await?)),
            Destination::At(_) => Ok(None),
        }
    }
}

/// Writes an import to `registry` (as [`Destination::registry`] gave it), or to a new one
/// created atomically; nothing with `dry_run`. Closes a registry opened for the import.
pub async fn finish_import(
    destination: Destination<'_>,
    registry: Option<Registry>,
    changes: &Changeset,
    actor: &Actor,
    dry_run: bool,
) -> AppResult<()> {
    match (registry, destination) {
        (Some(r), Destination::Open(_)) => r.apply_unless(dry_run, changes, actor).await,
        (Some(r), Destination::At(_)) => {
            r.apply_unless(dry_run, changes, actor).await?;
            r.close().await
        }
        (None, _) if dry_run => Ok(()),
        (None, d) => write_or_create(d.location(), changes, actor).await.map(|_| ()),
    }
}

/// What `demine init` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialised {
    pub db: String,
    pub created: bool,
}

/// Creates an empty registry (or says it exists).
pub async fn init(location: &Location) -> AppResult<Initialised> {
    let existed = location.exists().await?;
    let r = Registry::open_or_create(location).await?;
    r.close().await?;
    Ok(Initialised {
        db: location.describe(),
        created: !existed,
    })
}

/// Writes `changes` to the registry at `location`: the existing one, or a new one created
/// atomically (written under a temporary name in the same folder, then renamed), so that a
/// refused or killed first import leaves no file.
pub async fn write_or_create(location: &Location, changes: &Changeset, actor: &Actor) -> AppResult<Applied> {
    location.check_folder()?;
    if location.exists().await? {
        let r = Registry::open(location).await?;
        let applied = r.apply(changes, actor).await?;
        r.close().await?;
        return Ok(applied);
    }
    match location {
        Location::GeoPackage(db) => create_geopackage_with(db, changes, actor).await,
        // A database creates its schema in the transaction-safe migrations; the changeset is
        // then one transaction like any other.
        #[cfg(feature = "postgres")]
        Location::Postgres(_) => {
            let r = Registry::open_or_create(location).await?;
            let applied = r.apply(changes, actor).await?;
            r.close().await?;
            Ok(applied)
        }
    }
}

async fn create_geopackage_with(db: &Path, changes: &Changeset, actor: &Actor) -> AppResult<Applied> {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demine.gpkg".into());
    let tmp = db.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let sidecars = |p: &Path| ["-wal", "-shm", "-journal"].map(|s| PathBuf::from(format!("{}{s}", p.display())));
    let _ = std::fs::remove_file(&tmp);
    let result = async {
        let store = GeoPackageStore::open(&tmp).await?;
        let applied = store.apply(changes, &actor.author()).await?;
        store.close().await?;
        Ok::<_, AppError>(applied)
    }
    .await;
    match result {
        Ok(applied) => {
            std::fs::rename(&tmp, db)?;
            for p in sidecars(&tmp) {
                let _ = std::fs::remove_file(p);
            }
            Ok(applied)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            for p in sidecars(&tmp) {
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://demine:s3cret@db.example:5432/registry"),
            "postgres://demine:***@db.example:5432/registry"
        );
        assert_eq!(redact("postgres://db/registry"), "postgres://db/registry");
    }
}

/// What the registry holds: records per layer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub counts: demine_store::Counts,
    pub db: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<&'static str>,
}

/// What the registry holds; an operator sees their own organisations' records counted (and
/// no registry-wide figures: the change log and history counts are 0 for them).
pub async fn status(reg: &Registry, actor: &Actor) -> AppResult<Status> {
    actor.require(crate::actor::Act::Aggregates)?;
    let mut counts = reg.store.counts().await?;
    if let Some(orgs) = actor.scope() {
        use demine_core::RecordKind as K;
        let q = demine_store::Query::all().in_organisations(Some(orgs.clone()));
        let n = |k| reg.store.count(k, &q);
        counts.hazards = n(K::Hazards).await?;
        counts.activities = n(K::Activities).await?;
        counts.finds = n(K::Finds).await?;
        counts.accidents = n(K::Accidents).await?;
        counts.teams = n(K::Teams).await?;
        counts.daily_progress = n(K::Progress).await?;
        counts.qa_inspections = n(K::Qa).await?;
        counts.released_land = reg
            .store
            .computed(&q)
            .await?
            .iter()
            .filter(|(_, c)| c.figures.released_m2() > 0.0)
            .count() as u64;
        counts.change_log = 0;
        counts.history = 0;
    }
    Ok(Status {
        counts,
        db: reg.name(),
        data: reg.synthetic().await?.then_some("SYNTHETIC"),
    })
}

/// The data-quality report over the records the actor may see.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checked {
    pub errors: usize,
    pub warnings: usize,
    pub issues: Vec<demine_core::quality::QualityIssue>,
    #[serde(skip)]
    pub hazards: usize,
    #[serde(skip)]
    pub activities: usize,
    #[serde(skip)]
    pub finds: usize,
}

pub async fn check(reg: &Registry, actor: &Actor) -> AppResult<Checked> {
    actor.require(crate::actor::Act::Read)?;
    let q = demine_store::Query::all().in_organisations(actor.scope());
    let hazards = reg.store.hazards(&q).await?;
    let activities = reg.store.activities(&q).await?;
    let finds = reg.store.finds(&q).await?;
    let issues = demine_core::quality::check_registry(&hazards, &activities, &finds);
    let errors = issues.iter().filter(|i| i.severity == "error").count();
    Ok(Checked {
        errors,
        warnings: issues.len() - errors,
        issues,
        hazards: hazards.len(),
        activities: activities.len(),
        finds: finds.len(),
    })
}

/// The change log, newest first (everything for the authority; an operator's own entries).
pub async fn change_log(
    reg: &Registry,
    actor: &Actor,
    q: &demine_store::LogQuery,
) -> AppResult<Vec<demine_store::ChangeLogEntry>> {
    actor.require(crate::actor::Act::Read)?;
    let mut entries = reg.store.change_log(q).await?;
    if let Some(orgs) = actor.scope() {
        entries.retain(|e| e.organisation.as_ref().is_some_and(|o| orgs.contains(o)));
    }
    Ok(entries)
}
