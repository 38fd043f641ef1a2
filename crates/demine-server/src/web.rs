//! The web application (`web/`, built by `scripts/build-web.sh`), embedded in the binary and
//! served at `/` (cargo feature `web`).
//!
//! Hashed build assets (`/assets/*`) are immutable for a year; `index.html`, the service worker
//! and the catalogs are revalidated on every load (`no-cache` + ETag), so a new binary is picked
//! up at once. Any other path without a file extension is the application itself (SPA fallback:
//! the app routes on the client), while `/api`, `/ogc` and `/tiles` never fall back to HTML: an
//! unknown API path stays a 404 problem. Every page carries a Content-Security-Policy that allows
//! this origin only: the app cannot load anything from the internet, by construction.

use crate::error::ApiError;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
struct Assets;

/// Only this origin: scripts, styles, images, fetches, workers (MapLibre's worker is a blob).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; \
child-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Whether the web application was built into this binary.
pub fn embedded() -> bool {
    Assets::get("index.html").is_some()
}

fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn content_type(path: &str) -> String {
    match path.rsplit('.').next() {
        Some("webmanifest") => "application/manifest+json".into(),
        Some("json") => "application/json".into(),
        Some("js" | "mjs") => "text/javascript; charset=utf-8".into(),
        Some("html") => "text/html; charset=utf-8".into(),
        Some("css") => "text/css; charset=utf-8".into(),
        _ => mime_guess::from_path(path).first_or_octet_stream().to_string(),
    }
}

/// Serves an embedded file, or the app for a client-side route; everything else is a 404.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let api = ["api/", "ogc", "tiles", "healthz", "metrics"]
        .iter()
        .any(|p| path == p.trim_end_matches('/') || path.starts_with(p));
    if api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::not_found(format!("no route {} {}", method, uri.path())).into_response();
    }
    let (name, file) = match Assets::get(if path.is_empty() { "index.html" } else { path }) {
        Some(f) => (if path.is_empty() { "index.html" } else { path }, f),
        // A path with an extension names a file: a missing one is a 404, not the app.
        None if path.rsplit('/').next().is_some_and(|last| last.contains('.')) => {
            return ApiError::not_found(format!("no file {}", uri.path())).into_response()
        }
        None => match Assets::get("index.html") {
            Some(f) => ("index.html", f),
            None => return ApiError::not_found("the web application is not built into this binary").into_response(),
        },
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mut r = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, file.data.into_owned()).into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type(name)) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(name)));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if name == "sw.js" {
        // The worker controls the whole origin.
        h.insert("service-worker-allowed", HeaderValue::from_static("/"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_immutable_and_the_shell_is_revalidated() {
        assert!(cache_control("assets/index-abc123.js").contains("immutable"));
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(cache_control("sw.js"), "no-cache");
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("assets/a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("manifest.webmanifest"), "application/manifest+json");
        assert_eq!(content_type("i18n/uk.json"), "application/json");
        assert_eq!(content_type("icon.svg"), "image/svg+xml");
    }
}
