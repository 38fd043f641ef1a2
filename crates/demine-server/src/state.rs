//! What every request handler shares: the registry, the jobs, metrics, the login limiter.

use crate::jobs::Jobs;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use demine_app::Registry;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The server's shared state (cheap to clone: handles only).
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub jobs: Jobs,
    pub metrics: PrometheusHandle,
    pub logins: Arc<LoginLimiter>,
    pub basic_cache: Arc<demine_app::accounts::BasicCache>,
}

impl AppState {
    /// Messages name the registry by its file's or database's name only: see
    /// [`Registry::named_for_clients`].
    pub fn new(registry: Registry) -> AppState {
        AppState {
            registry: registry.named_for_clients(),
            jobs: Jobs::default(),
            metrics: metrics_handle(),
            logins: Arc::new(LoginLimiter::default()),
            basic_cache: Arc::default(),
        }
    }
}

/// The process's Prometheus recorder (one per process: tests build many states).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may be installed already (tests): keep ours readable anyway.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their latency by route and status.
pub async fn observe(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("demine_http_requests_total", &labels).increment(1);
    metrics::histogram!("demine_http_request_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Failed logins per client address: after [`LoginLimiter::FAILURES_PER_MINUTE`] in a minute the
/// address must wait, so that guessing passwords is slow even across accounts (an account also
/// locks after repeated failures). Successful logins are not limited: argon2 paces them.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl LoginLimiter {
    pub const FAILURES_PER_MINUTE: usize = 10;

    /// Whether a login attempt from `ip` may go ahead now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&ip) {
            None => true,
            Some(v) => {
                v.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
                v.len() < Self::FAILURES_PER_MINUTE
            }
        }
    }

    /// Counts a failed attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(ip).or_default().push(Instant::now());
    }
}
