//! Serves a registry for the OGC client tests and the benchmark (until `demine serve` is on
//! this branch): `ogc_serve DB ADDR [USER ROLE [ORG]]`, the user's password from
//! `DEMINE_PASSWORD` (created if missing). Logs at info (filters and boxes show).

use demine_app::accounts::{add_user, NewUser};
use demine_app::registry::{Location, Registry};
use demine_app::{Actor, Repository as _, Role};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_ansi(false)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(db), Some(addr)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: ogc_serve DB ADDR [USER ROLE [ORG]]");
    };
    // Held as `demine serve` holds it (on PostgreSQL: generation and accounts kept until notified).
    let reg = Registry::open(&Location::parse(db)?).await?.watching_changes();
    if let (Some(user), Some(role)) = (args.get(2), args.get(3)) {
        if demine_app::Accounts::user(&reg.store, user).await?.is_none() {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("role: {e}"))?;
            add_user(
                &reg,
                &Actor::local("ogc_serve"),
                &NewUser {
                    username: user.clone(),
                    role,
                    organisation: args.get(4).cloned(),
                    assigned: vec![],
                    password: std::env::var("DEMINE_PASSWORD").unwrap_or_else(|_| "correct horse battery".into()),
                },
            )
            .await?;
        }
    }
    let _ = reg.store.meta("synthetic").await?;
    // The OGC routes and /healthz (the full router of 62b72f2 panics on a route conflict in
    // /api/v1; `demine serve` replaces this example).
    let app = axum::Router::new()
        .merge(demine_server::ogc::routes())
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .with_state(demine_server::AppState::new(reg));
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    tracing::info!(addr = %addr, "serving /ogc and /tiles");
    axum::serve(listener, app).await?;
    Ok(())
}
