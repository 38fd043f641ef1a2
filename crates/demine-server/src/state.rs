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
///
/// An IPv6 client is counted by its /64 network, since one host is handed a whole /64 and could
/// otherwise take a fresh address per guess. Addresses whose failures are all older than the
/// window are forgotten (swept once a window), so the map holds at most the last two minutes'
/// failing networks, however many addresses have ever failed.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<RecentFailures>,
}

#[derive(Default)]
struct RecentFailures {
    by_client: HashMap<IpAddr, Vec<Instant>>,
    last_sweep: Option<Instant>,
}

impl LoginLimiter {
    pub const FAILURES_PER_MINUTE: usize = 10;
    const WINDOW: Duration = Duration::from_secs(60);

    /// Whether a login attempt from `ip` may go ahead now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    /// Counts a failed attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        self.failed_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.by_client.get_mut(&Self::client_key(ip)) {
            None => true,
            Some(times) => {
                times.retain(|t| now.duration_since(*t) < Self::WINDOW);
                times.len() < Self::FAILURES_PER_MINUTE
            }
        }
    }

    fn failed_at(&self, ip: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // A sweep once a window, not on every failure: a flood of failures from many addresses
        // would otherwise cost a pass over all of them each.
        if failures
            .last_sweep
            .is_none_or(|t| now.duration_since(t) >= Self::WINDOW)
        {
            failures.by_client.retain(|_, times| {
                times.retain(|t| now.duration_since(*t) < Self::WINDOW);
                !times.is_empty()
            });
            failures.last_sweep = Some(now);
        }
        failures.by_client.entry(Self::client_key(ip)).or_default().push(now);
    }

    /// The address a client's failures count against: IPv4 as is (also when mapped into IPv6),
    /// IPv6 by its /64 network.
    fn client_key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    IpAddr::V6(std::net::Ipv6Addr::from(network))
                }
            },
        }
    }

    #[cfg(test)]
    fn remembered_addresses(&self) -> usize {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).by_client.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn an_address_waits_after_ten_failures_in_a_minute_and_may_try_again_after_it() {
        let limiter = LoginLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let t0 = Instant::now();
        for _ in 0..LoginLimiter::FAILURES_PER_MINUTE {
            assert!(limiter.allow_at(ip, t0));
            limiter.failed_at(ip, t0);
        }
        assert!(!limiter.allow_at(ip, t0 + Duration::from_secs(30)));
        assert!(limiter.allow_at(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8)), t0));
        assert!(limiter.allow_at(ip, t0 + Duration::from_secs(61)));
    }

    #[test]
    fn addresses_that_failed_long_ago_are_forgotten() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..5_000u32 {
            limiter.failed_at(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), t0);
        }
        assert_eq!(limiter.remembered_addresses(), 5_000);
        limiter.failed_at(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), t0 + Duration::from_secs(61));
        assert_eq!(limiter.remembered_addresses(), 1);
    }

    #[test]
    fn an_ipv6_host_cannot_escape_the_limit_by_changing_address_within_its_64() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..LoginLimiter::FAILURES_PER_MINUTE as u16 {
            limiter.failed_at(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i + 1)), t0);
        }
        assert!(!limiter.allow_at(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9)), t0));
        assert!(limiter.allow_at(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1)), t0));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        limiter.failed_at(mapped, t0);
        assert_eq!(limiter.remembered_addresses(), 2);
    }
}
