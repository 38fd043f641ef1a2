//! OGC API – Features at `/ogc` (Part 1 core + GeoJSON + OpenAPI 3.0, Part 2 CRS, Part 3 CQL2
//! filters and queryables, Part 4 create/replace/update/delete with ETags) and Mapbox vector
//! tiles at `/tiles`.
//!
//! Thin, like the rest of the server: who sees what, filters and writes are `demine-app`'s
//! (`demine_app::features`); this module parses parameters, negotiates formats, transforms
//! coordinates (`crs`) and encodes GeoJSON, OpenAPI (`openapi`) and tiles (`tiles`).
//!
//! `/ogc`, `/ogc/conformance` and `/ogc/api` are public (clients and ogctests read them before
//! logging in); everything else takes a [`Caller`] (deny by default).

pub mod crs;
pub(crate) mod features;
pub mod openapi;
pub mod tiles;

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

/// Every route of `/ogc` and `/tiles`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(features::landing))
        .route("/ogc/", get(features::landing))
        .route("/ogc/conformance", get(features::conformance))
        .route("/ogc/api", get(features::api))
        .route("/ogc/collections", get(features::collections))
        .route("/ogc/collections/{cid}", get(features::collection))
        .route("/ogc/collections/{cid}/queryables", get(features::queryables))
        .route(
            "/ogc/collections/{cid}/items",
            get(features::items)
                .post(features::create)
                .options(features::options_items),
        )
        .route(
            "/ogc/collections/{cid}/items/{fid}",
            get(features::item)
                .put(features::replace)
                .patch(features::update)
                .delete(features::delete)
                .options(features::options_item),
        )
        .route("/tiles/{file}", get(tiles::tilejson_flat))
        .route("/tiles/{layer}/{file}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
}

/// The scheme and host clients reached us at (links are absolute: GDAL and QGIS follow them).
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// Whether the client prefers HTML: `f=html`, or `text/html` in `Accept` ahead of any JSON type.
/// `*/*` and no `Accept` get JSON (OWSLib, ogctests and curl send those).
pub(crate) fn wants_html(headers: &HeaderMap, f: Option<&str>) -> bool {
    match f {
        Some("html") => return true,
        Some(_) => return false,
        None => {}
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    match (accept.find("text/html"), accept.find("json")) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A JSON body with exactly this content type (ogctests compares the string).
pub(crate) fn json_body(v: &Value, content_type: &'static str) -> Response {
    let mut r = (StatusCode::OK, v.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A minimal HTML view of a JSON document: its title, its links, and the JSON itself.
pub(crate) fn html_body(title: &str, v: &Value) -> Response {
    let mut r = (StatusCode::OK, html_text(title, v)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// The HTML page of a JSON document: its title, its links, and the document.
pub(crate) fn html_text(title: &str, v: &Value) -> String {
    let mut links = String::new();
    let mut all: Vec<&Value> = v["links"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    if let Some(cs) = v["collections"].as_array() {
        for c in cs {
            all.extend(
                c["links"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|l| l["rel"] == "self"),
            );
        }
    }
    for l in all {
        let href = l["href"].as_str().unwrap_or("");
        let text = l["title"].as_str().or(l["rel"].as_str()).unwrap_or(href);
        links.push_str(&format!("<li><a href=\"{}\">{}</a></li>", escape(href), escape(text)));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head><body>\
         <h1>{t}</h1><ul>{links}</ul><pre>{json}</pre></body></html>",
        t = escape(title),
        json = escape(&serde_json::to_string_pretty(v).unwrap_or_default())
    )
}

/// A 400 naming the parameter and the problem (problem details, with the OGC `code`).
pub(crate) fn bad_param(parameter: &str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(detail)
        .with("code", Value::from("InvalidParameterValue"))
        .with("parameter", Value::from(parameter))
}
