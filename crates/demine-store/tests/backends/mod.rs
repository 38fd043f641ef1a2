//! The backends a store test runs on: the GeoPackage file always; PostgreSQL + PostGIS when the
//! crate is built with `--features postgres` and `DEMINE_TEST_PG` names a cluster (see
//! `scripts/pg-test-cluster.sh`). Each fixture is a fresh, empty registry.

#![allow(dead_code)]

use demine_store::{GeoPackageStore, Store};
use std::path::PathBuf;

/// A fresh registry on one backend.
pub struct Fixture {
    pub name: &'static str,
    pub store: Store,
    /// The GeoPackage's folder, kept until the fixture is dropped.
    _dir: Option<tempfile::TempDir>,
    place: Place,
}

enum Place {
    File(PathBuf),
    #[cfg(feature = "postgres")]
    Url(String),
}

/// Every configured backend, each with a fresh registry. With the `postgres` feature on and
/// `DEMINE_TEST_PG` set, a PostGIS cluster that cannot be reached fails the test (never a
/// silent skip).
pub async fn backends() -> Vec<Fixture> {
    #[allow(unused_mut)]
    let mut v = vec![geopackage().await];
    #[cfg(feature = "postgres")]
    if let Some(f) = postgis().await {
        v.push(f);
    }
    for f in &v {
        eprintln!("backend: {}", f.name);
    }
    v
}

pub async fn geopackage() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.gpkg");
    let store = Store::GeoPackage(GeoPackageStore::open(&path).await.unwrap());
    Fixture {
        name: "geopackage",
        store,
        _dir: Some(dir),
        place: Place::File(path),
    }
}

impl Fixture {
    /// A second store on the same registry, as a second process would open it.
    pub async fn open_again(&self) -> Store {
        match &self.place {
            Place::File(p) => Store::GeoPackage(GeoPackageStore::open_existing(p).await.unwrap()),
            #[cfg(feature = "postgres")]
            Place::Url(u) => Store::Postgres(demine_store::PgStore::open_existing(u).await.unwrap()),
        }
    }

    /// Another fresh registry on the same backend.
    pub async fn fresh(&self) -> Fixture {
        match &self.place {
            Place::File(_) => geopackage().await,
            #[cfg(feature = "postgres")]
            Place::Url(_) => postgis().await.expect("DEMINE_TEST_PG is set"),
        }
    }

    /// The registry's database URL (PostGIS fixtures).
    pub fn url(&self) -> Option<&str> {
        match &self.place {
            Place::File(_) => None,
            #[cfg(feature = "postgres")]
            Place::Url(u) => Some(u),
        }
    }
}

/// The test cluster's admin URL, when configured.
#[cfg(feature = "postgres")]
pub fn cluster() -> Option<String> {
    demine_store::pg_testing::cluster()
}

/// A new, empty database on the test cluster, as its URL.
#[cfg(feature = "postgres")]
pub async fn new_database() -> Option<String> {
    let admin = cluster()?;
    Some(
        demine_store::pg_testing::new_database(&admin)
            .await
            .unwrap_or_else(|e| panic!("DEMINE_TEST_PG is set but no test database can be made: {e}")),
    )
}

#[cfg(feature = "postgres")]
pub async fn postgis() -> Option<Fixture> {
    let url = new_database().await?;
    let store = Store::Postgres(demine_store::PgStore::open(&url).await.unwrap());
    Some(Fixture {
        name: "postgis",
        store,
        _dir: None,
        place: Place::Url(url),
    })
}
