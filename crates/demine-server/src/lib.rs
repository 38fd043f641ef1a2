//! # demine-server
//!
//! The shared registry over HTTP: a REST API under `/api/v1` for every use case of
//! `demine-app` (OpenAPI document at `/api/v1/openapi.json`, Swagger UI at `/api/v1/docs`,
//! offline), accounts and tokens, roles and organisation isolation, idempotent field
//! submissions, review and approval, long work as jobs; `/healthz` and Prometheus `/metrics`.
//!
//! **Owns:** routes, HTTP authentication (Bearer tokens, HTTP Basic for GIS clients), problem
//! details (RFC 9457), request ids, structured logs, graceful shutdown, jobs.
//!
//! **Must never:** speak SQL, decide a domain rule (who may see what, what a correction
//! means: that is `demine-app`), or call the CLI. Every route that reads or writes the registry
//! calls a use case of `demine-app`, as the CLI does; `/healthz` alone asks the store directly
//! (one meta value) whether the registry answers.

pub mod api;
pub mod auth;
pub mod error;
pub mod jobs;
pub mod memo;
pub mod ogc;
pub mod overview;
pub mod state;
#[cfg(feature = "web")]
pub mod web;

pub use state::AppState;

use axum::http::{HeaderName, Request};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header that carries each request's id (set when absent, returned in every response).
pub const REQUEST_ID: &str = "x-request-id";

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// PEM certificate chain and key: HTTPS when both are given.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Whether this binary serves the web application at `/` (cargo feature `web`, with the app
/// built into it).
pub fn web_app_embedded() -> bool {
    #[cfg(feature = "web")]
    {
        web::embedded()
    }
    #[cfg(not(feature = "web"))]
    {
        false
    }
}

/// Every route of the server, over `state`.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let routes = Router::new().merge(api::routes()).merge(ogc::routes());
    #[cfg(feature = "web")]
    let routes = routes.fallback(web::fallback);
    routes
        .layer(axum::middleware::from_fn(error::plain_errors_as_problems))
        .layer(axum::middleware::from_fn(error::problems_in_request_language))
        .layer(axum::middleware::from_fn_with_state(state.clone(), state::observe))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<axum::body::Body>| {
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    // The path without its query: a query may carry a filter, never a secret, but
                    // the Authorization header is never logged.
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight (graceful shutdown).
pub async fn serve(state: AppState, opts: ServeOptions) -> anyhow::Result<()> {
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // The web map's first view is made in the background while the server already answers.
    let overview = tokio::spawn(overview::keep_made(state.clone()));
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        shutdown.graceful_shutdown(Some(Duration::from_secs(20)));
    });
    match &opts.tls {
        Some((cert, key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| anyhow::anyhow!("TLS certificate {} / key {}: {e}", cert.display(), key.display()))?;
            tracing::info!(addr = %opts.addr, "serving HTTPS");
            axum_server::bind_rustls(opts.addr, config)
                .handle(handle)
                .serve(app)
                .await?;
        }
        None => {
            tracing::info!(addr = %opts.addr, "serving HTTP");
            axum_server::bind(opts.addr).handle(handle).serve(app).await?;
        }
    }
    overview.abort();
    state.jobs.stop();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
