//! Test support for the PostgreSQL backend (feature `postgres`): fresh databases on a test
//! cluster, and the ordinary role a server connects as. Used by the store's, the server's and
//! the CLI's tests; never by a running registry.

use crate::{Result, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};

/// The test cluster's admin URL (`DEMINE_TEST_PG`, printed by `scripts/pg-test-cluster.sh env`).
pub fn cluster() -> Option<String> {
    std::env::var("DEMINE_TEST_PG").ok().filter(|s| !s.is_empty())
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A new, empty database on the cluster at `admin` (from its `demine_template`, which has
/// PostGIS), as a URL for the same user.
pub async fn new_database(admin: &str) -> Result<String> {
    let name = unique("demine_t");
    let pool = sqlx::PgPool::connect(admin).await?;
    // CREATE DATABASE … TEMPLATE needs the template to be unused: retry while another test
    // copies it.
    let mut tries = 0;
    loop {
        match sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE demine_template"))
            .execute(&pool)
            .await
        {
            Ok(_) => break,
            Err(e) if tries < 100 && e.to_string().contains("being accessed by other users") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    Ok(format!("{base}/{name}"))
}

/// A new login role that is neither superuser nor owner nor exempt from row-level security, with
/// the rights a server needs on the registry at `url` (which must already hold the schema), as
/// a URL for that role: how a server connects in production.
pub async fn server_role(url: &str) -> Result<String> {
    let role = unique("demine_t_server");
    let admin = sqlx::PgPool::connect(url).await?;
    for sql in [
        format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
    ] {
        sqlx::query(&sql).execute(&admin).await?;
    }
    admin.close().await;
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| StoreError::Refused(format!("{url}: not a URL")))?;
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    Ok(format!("{scheme}://{role}@{host}"))
}
