//! REST API under `/api/v1`: one route per use case of `demine-app`.

mod analyses;
pub(crate) mod records;

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobView, Output};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

/// The OpenAPI document of `/api/v1`, generated from the routes' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "demine API", description = "The shared registry of a mine action programme: records, land release, risk, plans, field work, QA. Errors are problem details (RFC 9457)."),
    paths(
        auth::token, auth::revoke, me, health, job, job_result,
        records::list, records::create, records::show, records::amend, records::retire,
        records::review_queue, records::decide, records::conflicts, records::resolve,
        records::submit_progress, records::submit_find,
        analyses::status, analyses::release, analyses::check, analyses::log, analyses::priorities,
        analyses::residual, analyses::certificate, analyses::qa_plan, analyses::qa_record,
        analyses::progress_stats, analyses::layers, analyses::start_job,
    ),
    components(schemas(auth::Login, auth::Token, auth::Revoke, JobView)),
    modifiers(&Security),
    tags((name = "auth"), (name = "records"), (name = "review"), (name = "field"), (name = "figures"), (name = "jobs"))
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// Every route of `/api/v1`, `/healthz` and `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs").url("/api/v1/docs/openapi.json", ApiDoc::openapi()))
        .route("/api/v1/auth/token", post(auth::token))
        .route("/api/v1/auth/revoke", post(auth::revoke))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/jobs/{id}", get(job))
        .route("/api/v1/jobs/{id}/result", get(job_result))
        .merge(records::routes())
        .merge(analyses::routes())
}

/// Who is logged in: name, role, organisation, assigned organisations and what the role may do
/// (the web application's menus follow `may`; every route still checks for itself).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "the caller"), (status = 401, description = "not logged in")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn me(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::json!({
        "username": actor.name,
        "role": actor.role.as_str(),
        "organisation": actor.organisation,
        "assigned": actor.assigned,
        "may": actor.rights(),
        "synthetic": state.registry.synthetic().await?,
    })))
}

/// Whether the server and its registry answer.
#[utoipa::path(get, path = "/healthz", tag = "figures", responses((status = 200, description = "the registry answers"), (status = 503, description = "the registry does not answer")))]
pub async fn health(State(state): State<AppState>) -> Response {
    use demine_app::Repository as _;
    match state.registry.store.meta("synthetic").await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the registry does not answer\n").into_response()
        }
    }
}

/// Prometheus metrics (administrators: Prometheus scrapes with Basic or Bearer credentials).
async fn metrics(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Response> {
    actor.require(demine_app::actor::Act::Administer)?;
    let mut r = state.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Ok(r)
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A job: its status, progress and, when done, where its result is.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "the job", body = JobView), (status = 404, description = "no such job of yours")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn job(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    state
        .jobs
        .view(&id, &actor)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no job {id}")))
}

/// The result of a finished job (JSON, HTML or CSV as the job made it). A JSON result's `notes`
/// (what the figures rest on, what was assumed) read in the language of `Accept-Language`; the
/// rest is data, as the job made it.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/result", tag = "jobs", params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "the result"), (status = 404, description = "no such job of yours, or not finished")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn job_result(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let Output { content_type, body } = state
        .jobs
        .output(&id, &actor)
        .ok_or_else(|| ApiError::not_found(format!("no finished job {id}")))?;
    let json = content_type.starts_with("application/json");
    let lang = crate::error::request_lang(&headers);
    let body = if json { notes_in(body, lang) } else { body };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if json {
        r.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-language"));
        r.headers_mut()
            .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    }
    Ok(r)
}

/// A JSON result with its top-level `notes` in `lang` (unchanged in English, or without notes).
fn notes_in(body: Vec<u8>, lang: demine_app::text::Lang) -> Vec<u8> {
    if lang == demine_app::text::Lang::En {
        return body;
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    let Some(serde_json::Value::Array(notes)) = value.get_mut("notes") else {
        return body;
    };
    for note in notes.iter_mut() {
        if let serde_json::Value::String(s) = note {
            *s = demine_app::text::tr_message(lang, s);
        }
    }
    serde_json::to_vec(&value).unwrap_or(body)
}

/// Parses a record kind from a path (`hazards`, `activities`, …); unknown kinds are 404.
pub(crate) fn kind(s: &str) -> ApiResult<demine_app::RecordKind> {
    s.parse()
        .map_err(|e: demine_app::UnknownValue| ApiError::not_found(format!("no record kind {e}")))
}
