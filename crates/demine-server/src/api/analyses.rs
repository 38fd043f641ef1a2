//! Figures and analyses: status, land release, data quality, change log, priorities, residual
//! risk, certificates, QA, productivity; long work (risk build, plan, forecast, capacity,
//! report) as jobs.

use super::records::parse_day;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobView, Output, Work};
use crate::memo::{caller_key, Memo};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use demine_app::{Actor, AppError, Progress, Registry};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/release", get(release))
        .route("/api/v1/check", get(check))
        .route("/api/v1/log", get(log))
        .route("/api/v1/priorities", get(priorities))
        .route("/api/v1/hazards/{id}/residual", get(residual))
        .route("/api/v1/hazards/{id}/certificate", get(certificate))
        .route("/api/v1/qa/plan", post(qa_plan))
        .route("/api/v1/qa/inspections", post(qa_record))
        .route("/api/v1/progress/stats", get(progress_stats))
        .route("/api/v1/layers", get(layers))
        .route("/api/v1/analyses/{kind}", post(start_job))
}

fn value<T: serde::Serialize>(t: &T) -> ApiResult<Json<Value>> {
    serde_json::to_value(t)
        .map(Json)
        .map_err(|e| AppError::Internal(e.into()).into())
}

/// Records per layer.
#[utoipa::path(get, path = "/api/v1/status", tag = "figures",
    responses((status = 200, description = "records per layer"), (status = 401, description = "not logged in")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn status(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    value(&demine_app::registry::status(&state.registry, &actor).await?)
}

/// Query of land-release figures.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ReleaseParams {
    /// The registry as of the end of this day (YYYY-MM-DD).
    as_of: Option<String>,
    /// Released from this day (YYYY-MM-DD).
    from: Option<String>,
    /// Released to this day (YYYY-MM-DD).
    to: Option<String>,
    /// `organisation`, `month` or `class`.
    by: Option<String>,
    /// Only approved records (leave out submissions awaiting review).
    approved_only: bool,
    /// Include the figures of every hazard (default true; `false` gives totals and groups only,
    /// a few hundred bytes instead of megabytes on a national registry).
    per_hazard: Option<bool>,
}

/// Land release: totals over the union of hazards, per hazard (not for viewers), by
/// organisation, month or class; as of a day; approved data only or with submissions.
#[utoipa::path(get, path = "/api/v1/release", tag = "figures", params(ReleaseParams),
    responses((status = 200, description = "land-release figures (m²)"), (status = 422, description = "refused"), (status = 401, description = "not logged in")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn release(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(p): Query<ReleaseParams>,
) -> ApiResult<Response> {
    // Kept until the registry changes: the dashboard and the map ask on every visit, and a
    // national registry takes seconds to account.
    static RELEASE: Memo<Bytes> = Memo::new();
    let key = format!(
        "{}\u{1f}{p:?}\u{1f}{}",
        caller_key(&actor),
        chrono::Utc::now().date_naive()
    );
    let body = RELEASE
        .get_or_make(&state, key, || release_body(&state, &actor, &p))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        Bytes::clone(&body),
    )
        .into_response())
}

async fn release_body(state: &AppState, actor: &Actor, p: &ReleaseParams) -> ApiResult<Bytes> {
    let by = match p.by.as_deref() {
        None | Some("") => None,
        Some(b) => Some(b.parse().map_err(|e: String| ApiError::from(AppError::refused(e)))?),
    };
    let req = demine_app::release::ReleaseRequest {
        as_of: parse_day("as_of", &p.as_of)?,
        from: parse_day("from", &p.from)?,
        to: parse_day("to", &p.to)?,
        by,
        approved_only: p.approved_only,
    };
    let r = demine_app::release::release(&state.registry, actor, &req).await?;
    let mut v = demine_app::release::release_json_for(&r, actor);
    if p.per_hazard == Some(false) {
        if let Some(o) = v.as_object_mut() {
            o.remove("per_hazard");
        }
    }
    serde_json::to_vec(&v)
        .map(Bytes::from)
        .map_err(|e| AppError::Internal(e.into()).into())
}

/// The data-quality report.
#[utoipa::path(get, path = "/api/v1/check", tag = "figures",
    responses((status = 200, description = "issues found")), security(("bearer" = []), ("basic" = [])))]
pub async fn check(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    value(&demine_app::registry::check(&state.registry, &actor).await?)
}

/// Query of the change log.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct LogParams {
    /// At most this many entries (default 50, at most 1000).
    limit: Option<u32>,
    /// Only entries about this record id.
    id: Option<String>,
}

/// The change log, newest first (an operator sees its own organisation's entries).
#[utoipa::path(get, path = "/api/v1/log", tag = "figures", params(LogParams),
    responses((status = 200, description = "entries")), security(("bearer" = []), ("basic" = [])))]
pub async fn log(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(p): Query<LogParams>,
) -> ApiResult<Json<Value>> {
    let q = demine_app::registry::LogQuery {
        limit: Some(p.limit.unwrap_or(50).clamp(1, 1000)),
        entity_id: p.id,
        ..Default::default()
    };
    value(&demine_app::registry::change_log(&state.registry, &actor, &q).await?)
}

/// Hazards ranked by priority, each score broken down.
#[utoipa::path(get, path = "/api/v1/priorities", tag = "figures",
    responses((status = 200, description = "the ranked hazards")), security(("bearer" = []), ("basic" = [])))]
pub async fn priorities(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    let p = demine_app::priority::priority(&state.registry, &actor, None).await?;
    let mut v = serde_json::to_value(&p.report).map_err(|e| AppError::Internal(e.into()))?;
    v["synthetic"] = json!(p.synthetic);
    Ok(Json(v))
}

/// Residual risk of a hazard's released land.
#[utoipa::path(get, path = "/api/v1/hazards/{id}/residual", tag = "figures", params(("id" = String, Path, description = "hazard id")),
    responses((status = 200, description = "expected items remaining, P(any)"), (status = 404, description = "no such hazard you may see")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn residual(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let r = demine_app::field::residual(&state.registry, &actor, &id, &Default::default()).await?;
    Ok(Json(r.json))
}

/// Query of a certificate.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct CertificateParams {
    /// `en` (default) or `uk`.
    lang: Option<String>,
    /// A draft watermarked NOT VALID when the hazard cannot be certified yet.
    draft: bool,
    /// `html` (default) or `pdf`.
    format: Option<String>,
}

/// The land release certificate of a hazard (HTML or PDF): refused unless the hazard is
/// released and its latest QA lot accepted, or a draft.
#[utoipa::path(get, path = "/api/v1/hazards/{id}/certificate", tag = "figures",
    params(("id" = String, Path, description = "hazard id"), CertificateParams),
    responses((status = 200, description = "the certificate"), (status = 422, description = "cannot be certified yet: why"), (status = 404, description = "no such hazard you may see")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn certificate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    Query(p): Query<CertificateParams>,
) -> ApiResult<Response> {
    let lang = p.lang.unwrap_or_else(|| "en".into());
    let c = demine_app::field::certificate(&state.registry, &actor, &id, &lang, p.draft).await?;
    let (ct, body) = match p.format.as_deref() {
        None | Some("html") => ("text/html; charset=utf-8", c.html.into_bytes()),
        Some("pdf") => {
            let html = c.html.clone();
            let pdf = tokio::task::spawn_blocking(move || demine_app::report::print_pdf(&html))
                .await
                .map_err(|e| AppError::Internal(e.into()))??;
            ("application/pdf", pdf)
        }
        Some(other) => return Err(ApiError::bad_request(format!("format '{other}': html or pdf"))),
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(r)
}

/// The QA sampling plan (exact hypergeometric OC) for a lot of cleared land.
#[utoipa::path(post, path = "/api/v1/qa/plan", tag = "field",
    responses((status = 200, description = "n, c and the OC curve"), (status = 422, description = "refused")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn qa_plan(
    Caller(_actor): Caller,
    Json(r): Json<demine_app::field::QaPlanRequest>,
) -> ApiResult<Json<Value>> {
    value(&demine_app::field::qa_plan(&r)?)
}

/// Records a post-clearance inspection.
#[utoipa::path(post, path = "/api/v1/qa/inspections", tag = "field",
    responses((status = 201, description = "recorded"), (status = 422, description = "refused"), (status = 403, description = "the role may not record QA")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn qa_record(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Json(r): Json<demine_app::field::QaRecordRequest>,
) -> ApiResult<Response> {
    let rec = demine_app::field::qa_record(&state.registry, &actor, &r).await?;
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

/// Productivity per team kind and terrain from daily progress.
#[utoipa::path(get, path = "/api/v1/progress/stats", tag = "figures",
    responses((status = 200, description = "productivity")), security(("bearer" = []), ("basic" = [])))]
pub async fn progress_stats(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    value(&demine_app::field::progress_stats(&state.registry, &actor).await?)
}

/// Context layers and their feature counts.
#[utoipa::path(get, path = "/api/v1/layers", tag = "figures",
    responses((status = 200, description = "layers")), security(("bearer" = []), ("basic" = [])))]
pub async fn layers(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    let l = demine_app::export::layers(&state.registry, &actor).await?;
    Ok(Json(json!(l
        .iter()
        .map(|(l, n)| json!({"layer": l, "features": n}))
        .collect::<Vec<_>>())))
}

fn json_output(v: Value) -> Output {
    Output {
        content_type: "application/json",
        body: v.to_string().into_bytes(),
    }
}

fn parse_body<T: serde::de::DeserializeOwned + Default>(body: &Option<Json<Value>>) -> ApiResult<T> {
    match body {
        None => Ok(T::default()),
        Some(Json(v)) => {
            serde_json::from_value(v.clone()).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
        }
    }
}

/// Starts long work as a job: `risk-build`, `plan`, `forecast`, `capacity`, `strategy` (what
/// `demine strategy --json` prints: clear-all, survey-led and evidence-led compared, the frontier
/// and the first `hazards` hazards' actions, 100 unless given) or `report`. The answer (202) is
/// the job; poll `/api/v1/jobs/{id}`, then fetch its result.
#[utoipa::path(post, path = "/api/v1/analyses/{kind}", tag = "jobs",
    params(("kind" = String, Path, description = "risk-build, plan, forecast, capacity, strategy or report")),
    responses((status = 202, description = "started", body = JobView), (status = 403, description = "the role may not"),
              (status = 404, description = "no such kind of job"), (status = 400, description = "bad options")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn start_job(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    body: Option<Json<Value>>,
) -> ApiResult<Response> {
    let reg: Registry = state.registry.clone();
    let who: Actor = actor.clone();
    // The role is checked now, so that a forbidden job is refused at once, not failed later.
    let work: Work = match kind.as_str() {
        "risk-build" => {
            who.require(demine_app::actor::Act::Administer)?;
            let opts: demine_app::risk::BuildOptions = parse_body(&body)?;
            Box::new(move |p: Box<dyn Progress>| {
                Box::pin(async move {
                    let m = demine_app::risk::risk_build(&reg, &who, &opts, p.as_ref()).await?;
                    Ok(json_output(
                        serde_json::to_value(&m).map_err(|e| AppError::Internal(e.into()))?,
                    ))
                })
            })
        }
        "plan" => {
            who.require(demine_app::actor::Act::Read)?;
            let input: demine_app::plan::PlanInput = parse_body(&body)?;
            let settings: demine_app::plan::PlanSettings = parse_body(&body)?;
            no_files(&input)?;
            Box::new(move |_p: Box<dyn Progress>| {
                Box::pin(async move {
                    let p = demine_app::plan::plan(Some(&reg), &who, &input, &settings).await?;
                    Ok(json_output(demine_app::plan::plan_json(&p)))
                })
            })
        }
        "forecast" => {
            who.require(demine_app::actor::Act::Read)?;
            let input: demine_app::plan::PlanInput = parse_body(&body)?;
            let settings: demine_app::plan::ForecastSettings = parse_body(&body)?;
            no_files(&input)?;
            Box::new(move |p: Box<dyn Progress>| {
                Box::pin(async move {
                    let f = demine_app::plan::forecast(Some(&reg), &who, &input, &settings, p.as_ref()).await?;
                    Ok(json_output(demine_app::plan::forecast_json(&f)))
                })
            })
        }
        "capacity" => {
            who.require(demine_app::actor::Act::Read)?;
            let input: demine_app::plan::PlanInput = parse_body(&body)?;
            let settings: demine_app::plan::CapacitySettings = parse_body(&body)?;
            no_files(&input)?;
            Box::new(move |_p: Box<dyn Progress>| {
                Box::pin(async move {
                    let c = demine_app::plan::capacity(Some(&reg), &who, &input, &settings).await?;
                    Ok(json_output(demine_app::plan::capacity_json(&c)))
                })
            })
        }
        "strategy" => {
            who.require(demine_app::actor::Act::Read)?;
            let input: demine_app::plan::PlanInput = parse_body(&body)?;
            let settings: demine_app::strategy::StrategySettings = parse_body(&body)?;
            let shown: StrategyHazards = parse_body(&body)?;
            no_files(&input)?;
            Box::new(move |p: Box<dyn Progress>| {
                Box::pin(async move {
                    let s = demine_app::strategy::strategies(&reg, &who, &input, &settings, p.as_ref()).await?;
                    Ok(json_output(demine_app::strategy::strategies_json(&s, shown.hazards)))
                })
            })
        }
        "report" => {
            who.require(demine_app::actor::Act::Aggregates)?;
            let req: demine_app::report::ReportRequest = parse_body(&body)?;
            Box::new(move |p: Box<dyn Progress>| {
                Box::pin(async move {
                    let html = demine_app::report::report(&reg, &who, &req, p.as_ref()).await?;
                    Ok(Output {
                        content_type: "text/html; charset=utf-8",
                        body: html.into_bytes(),
                    })
                })
            })
        }
        other => {
            return Err(ApiError::not_found(format!(
                "no job kind '{other}': risk-build, plan, forecast, capacity, strategy or report"
            )))
        }
    };
    let job = state.jobs.start(&kind, &actor, work);
    let mut r = (StatusCode::ACCEPTED, Json(&job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// How many hazards a strategy job lists with their actions (most expected items left first).
#[derive(Debug, serde::Deserialize)]
#[serde(default)]
struct StrategyHazards {
    hazards: usize,
}

impl Default for StrategyHazards {
    fn default() -> Self {
        StrategyHazards { hazards: 100 }
    }
}

/// Over HTTP, plans come from the registry: no server-side file paths. Method settings and
/// thresholds out of range are refused before a job starts.
fn no_files(input: &demine_app::plan::PlanInput) -> ApiResult<()> {
    if input.tasks.is_some() || input.teams.is_some() {
        return Err(ApiError::bad_request(
            "tasks and teams files are for the command line; over HTTP, plans use the registry's hazards and teams",
        ));
    }
    input.evidence.methods()?;
    input.evidence.thresholds()?;
    Ok(())
}
