//! Records: list, create (batch import, validated, atomic, dry run), show, amend (If-Match),
//! retire; review and approval; conflicts; idempotent field submissions.

use super::kind;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use demine_app::shared::ListQuery;
use demine_app::AppError;
use serde_json::{json, Value};

/// The largest import a request may carry: a district's Shapefile or GeoPackage, not only a
/// GeoJSON page (axum's default is 2 MB).
pub const UPLOAD_LIMIT_BYTES: usize = 256 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/records/{kind}",
            get(list)
                .post(create)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/v1/records/{kind}/{id}", get(show).patch(amend).delete(retire))
        .route("/api/v1/review", get(review_queue))
        .route("/api/v1/review/{kind}/{id}", post(decide))
        .route("/api/v1/conflicts", get(conflicts))
        .route("/api/v1/conflicts/{fid}/resolve", post(resolve))
        .route("/api/v1/submissions/progress", post(submit_progress))
        .route("/api/v1/submissions/finds", post(submit_find))
}

/// Query of a list of records.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ListParams {
    /// At most this many records (1–10,000; default 100).
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    after: Option<i64>,
    /// minLon,minLat,maxLon,maxLat (WGS84).
    bbox: Option<String>,
    /// Only this hazard's records.
    hazard_id: Option<String>,
    /// `submitted`, `approved` or `rejected`.
    review: Option<String>,
    /// Only approved records.
    approved_only: bool,
    /// The registry as of the end of this day (YYYY-MM-DD).
    as_of: Option<String>,
}

pub(crate) fn parse_bbox(s: &str) -> ApiResult<demine_app::registry::Bbox> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::bad_request(format!("bbox '{s}': give minLon,minLat,maxLon,maxLat in degrees")))?;
    match v.as_slice() {
        [a, b, c, d] if a <= c && b <= d && v.iter().all(|x| x.is_finite()) => Ok(demine_app::registry::Bbox {
            min_lon: *a,
            min_lat: *b,
            max_lon: *c,
            max_lat: *d,
        }),
        _ => Err(ApiError::bad_request(format!(
            "bbox '{s}': give minLon,minLat,maxLon,maxLat with min ≤ max"
        ))),
    }
}

pub(crate) fn parse_day(what: &str, s: &Option<String>) -> ApiResult<Option<chrono::NaiveDate>> {
    Ok(demine_app::util::parse_opt_date(what, s.as_deref())?)
}

/// Records of a kind the caller may see, a page at a time (GeoJSON FeatureCollection; `next`
/// is the cursor of the following page).
#[utoipa::path(get, path = "/api/v1/records/{kind}", tag = "records",
    params(("kind" = String, Path, description = "hazards, activities, finds, accidents, organisations, teams, progress or qa"), ListParams),
    responses((status = 200, description = "a page of records (GeoJSON)"), (status = 401, description = "not logged in"), (status = 404, description = "no such kind")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(k): Path<String>,
    Query(p): Query<ListParams>,
    uri: axum::http::Uri,
) -> ApiResult<Json<Value>> {
    let kind = kind(&k)?;
    let l = ListQuery {
        limit: p.limit,
        after: p.after,
        bbox: p.bbox.as_deref().map(parse_bbox).transpose()?,
        as_of: parse_day("as_of", &p.as_of)?,
        hazard_id: p.hazard_id,
        review: p.review,
        approved_only: p.approved_only,
    };
    let page = demine_app::shared::list(&state.registry, &actor, kind, &l).await?;
    let mut v = serde_json::to_value(&page).map_err(|e| AppError::Internal(e.into()))?;
    if let Some(n) = page.next {
        // The same query (bbox, hazard, review …), one page on.
        let mut query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("after="))
            .collect();
        let after = format!("after={n}");
        query.push(&after);
        v["links"] = json!([{"rel": "next", "href": format!("{}?{}", uri.path(), query.join("&"))}]);
    }
    Ok(Json(v))
}

/// Options of a batch import.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct CreateParams {
    /// Validate only; write nothing.
    dry_run: bool,
    /// Replace stored records with the same id (a re-survey).
    upsert: bool,
    /// Repair what is safely repairable (ring orientation, closing rings).
    fix: bool,
    /// Why (kept in the change log).
    reason: Option<String>,
    /// The body's format (geojson, csv, shp, kml, kmz, gpx, fgb, gpkg, parquet), overriding
    /// `Content-Type`.
    format: Option<String>,
    /// A GeoPackage table, a KML Folder, a shapefile in a zip, a GPX part.
    layer: Option<String>,
    /// A shapefile's `.dbf` encoding, overriding `.cpg` and LDID.
    encoding: Option<String>,
    /// The source CRS (`EPSG:NNNN`), overriding what the body declares.
    crs: Option<String>,
}

/// Imports records, validated exactly as `demine import`: all or nothing; a refusal lists every
/// problem with its record and field. An operator's records are stored as submitted, for the
/// authority's review. The body is GeoJSON, or another format by `Content-Type` (`text/csv`,
/// `application/zip` for a zipped Shapefile, `application/vnd.google-earth.kml+xml`,
/// `application/vnd.google-earth.kmz`, `application/gpx+xml`, `application/flatgeobuf`,
/// `application/geopackage+sqlite3`, `application/vnd.apache.parquet`) or by `?format=`.
#[utoipa::path(post, path = "/api/v1/records/{kind}", tag = "records",
    params(("kind" = String, Path, description = "record kind"), CreateParams),
    request_body(content = String, description = "GeoJSON FeatureCollection, or CSV, Shapefile (zip), KML, KMZ, GPX, FlatGeobuf, GeoPackage or GeoParquet by Content-Type", content_type = "application/geo+json"),
    responses((status = 201, description = "imported"), (status = 200, description = "dry run: valid, nothing written"),
              (status = 422, description = "refused: every problem listed"), (status = 401, description = "not logged in"),
              (status = 403, description = "the role may not write")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(k): Path<String>,
    Query(p): Query<CreateParams>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let kind = kind(&k)?;
    use demine_app::import::Format;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/geo+json");
    let format = match &p.format {
        Some(name) => Format::from_name(name).map_err(|e| ApiError::bad_request(format!("format: {e}")))?,
        None => Format::from_media_type(media_type).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                format!(
                    "Content-Type '{media_type}' is not a format demine imports; send GeoJSON (application/geo+json), \
                 CSV (text/csv), a zipped Shapefile (application/zip), KML, KMZ, GPX, FlatGeobuf, GeoPackage or \
                 GeoParquet with its media type, or name the format with ?format="
                ),
            )
        })?,
    };
    let opts = demine_app::import::ImportOptions {
        fix: p.fix,
        dry_run: p.dry_run,
        upsert: p.upsert,
        replace: false,
        reason: p.reason,
    };
    let src = demine_app::import::SourceOptions {
        layer: p.layer,
        encoding: p.encoding,
        crs: p.crs,
        ..Default::default()
    };
    let done = demine_app::import::import_upload(&state.registry, &actor, kind, format, &body, &opts, &src).await?;
    let status = if done.dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(done)).into_response())
}

pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The version an `If-Match` header names (`"3"` or `3`).
pub(crate) fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    s.parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("If-Match '{s}': give the ETag of the record you read")))
}

/// One record in full (a hazard with its land release, activities, finds, QA, residual risk,
/// certificate state), its versions and change-log entries. The ETag is its version.
#[utoipa::path(get, path = "/api/v1/records/{kind}/{id}", tag = "records",
    params(("kind" = String, Path, description = "record kind"), ("id" = String, Path, description = "record id")),
    responses((status = 200, description = "the record"), (status = 404, description = "no such record you may see")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((k, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let kind = kind(&k)?;
    let s = demine_app::show::show(&state.registry, &actor, kind, &id).await?;
    let mut r = Json(&s).into_response();
    r.headers_mut().insert(header::ETAG, etag(s.version));
    Ok(r)
}

/// A correction of one record.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Patch {
    /// Fields to set (an empty string clears an optional field).
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    /// The corrected geometry (GeoJSON).
    #[serde(default)]
    geometry: Option<Value>,
    /// Why (required).
    reason: String,
}

/// Amends a record, validated as an import of the corrected record. Send `If-Match` with the
/// ETag you read: an edit based on a replaced version is kept as a conflict for review (409).
#[utoipa::path(patch, path = "/api/v1/records/{kind}/{id}", tag = "records",
    params(("kind" = String, Path, description = "record kind"), ("id" = String, Path, description = "record id")),
    request_body = Patch,
    responses((status = 200, description = "amended"), (status = 409, description = "based on a replaced version: kept as a conflict"),
              (status = 422, description = "refused"), (status = 404, description = "no such record you may see")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn amend(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((k, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(p): Json<Patch>,
) -> ApiResult<Response> {
    let kind = kind(&k)?;
    let a = demine_app::upkeep::Amendment {
        set: p
            .set
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_str().map(str::to_string).unwrap_or_else(|| {
                        if v.is_null() {
                            String::new()
                        } else {
                            v.to_string()
                        }
                    }),
                )
            })
            .collect(),
        geometry_file: None,
        geometry: p.geometry,
        reason: p.reason,
        based_on: if_match(&headers)?,
    };
    let c = demine_app::shared::amend_or_flag(&state.registry, &actor, kind, &id, &a).await?;
    let mut r = Json(&c).into_response();
    if let Some(v) = c.version {
        r.headers_mut().insert(header::ETAG, etag(v));
    }
    Ok(r)
}

/// Options of a retirement.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct RetireParams {
    /// Why (required).
    reason: String,
    /// Also retire a hazard's activities, progress and QA.
    cascade: bool,
}

/// Retires a record (kept in its history). `If-Match` guards against a replaced version.
#[utoipa::path(delete, path = "/api/v1/records/{kind}/{id}", tag = "records",
    params(("kind" = String, Path, description = "record kind"), ("id" = String, Path, description = "record id"), RetireParams),
    responses((status = 200, description = "retired"), (status = 412, description = "based on a replaced version"),
              (status = 422, description = "refused"), (status = 404, description = "no such record you may see")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn retire(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((k, id)): Path<(String, String)>,
    Query(p): Query<RetireParams>,
    headers: HeaderMap,
) -> ApiResult<Json<demine_app::upkeep::Corrected>> {
    let kind = kind(&k)?;
    let r = demine_app::upkeep::RetireRequest {
        reason: p.reason,
        cascade: p.cascade,
        based_on: if_match(&headers)?,
    };
    Ok(Json(
        demine_app::upkeep::retire(&state.registry, &actor, kind, &id, &r).await?,
    ))
}

/// Records submitted by operators, awaiting the authority's review, each with the version
/// before it (for a field-by-field comparison).
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    responses((status = 200, description = "the queue"), (status = 403, description = "the role does not review")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn review_queue(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(demine_app::shared::review_queue(&state.registry, &actor).await?))
}

/// A review decision.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// `approve` or `reject`.
    decision: String,
    /// Why (required to reject).
    reason: Option<String>,
}

/// Approves or rejects a submitted record (the authority's analysts). Audited.
#[utoipa::path(post, path = "/api/v1/review/{kind}/{id}", tag = "review",
    params(("kind" = String, Path, description = "record kind"), ("id" = String, Path, description = "record id")),
    request_body = Decision,
    responses((status = 200, description = "decided"), (status = 403, description = "the role does not review"), (status = 404, description = "no such record")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((k, id)): Path<(String, String)>,
    Json(d): Json<Decision>,
) -> ApiResult<Json<Value>> {
    let kind = kind(&k)?;
    let approve = match d.decision.as_str() {
        "approve" | "approved" => true,
        "reject" | "rejected" => false,
        other => return Err(ApiError::bad_request(format!("decision '{other}': approve or reject"))),
    };
    demine_app::shared::decide(&state.registry, &actor, kind, &id, approve, d.reason).await?;
    Ok(Json(
        json!({"ok": true, "kind": kind.as_str(), "id": id, "review": if approve { "approved" } else { "rejected" }}),
    ))
}

/// Edits that were based on a replaced version, kept for review.
#[utoipa::path(get, path = "/api/v1/conflicts", tag = "review",
    responses((status = 200, description = "open conflicts")), security(("bearer" = []), ("basic" = [])))]
pub async fn conflicts(State(state): State<AppState>, Caller(actor): Caller) -> ApiResult<Json<Value>> {
    let c = demine_app::shared::conflicts(&state.registry, &actor, true).await?;
    Ok(Json(json!(c)))
}

/// How a conflict was resolved.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    resolution: String,
}

/// Marks a conflict resolved.
#[utoipa::path(post, path = "/api/v1/conflicts/{fid}/resolve", tag = "review",
    params(("fid" = i64, Path, description = "conflict number")), request_body = Resolution,
    responses((status = 200, description = "resolved"), (status = 404, description = "no open conflict")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(fid): Path<i64>,
    Json(r): Json<Resolution>,
) -> ApiResult<Json<Value>> {
    demine_app::shared::resolve_conflict(&state.registry, &actor, fid, &r.resolution).await?;
    Ok(Json(json!({"ok": true})))
}

/// A day's progress from a field form.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ProgressForm {
    /// The client's UUID of this submission: resending it is safe.
    client_id: String,
    id: Option<String>,
    date: String,
    task: String,
    team: String,
    team_kind: Option<String>,
    hours: f64,
    #[serde(default)]
    downtime_hours: f64,
    downtime_reason: Option<String>,
    #[serde(default)]
    finds: u32,
    lanes: Option<String>,
    terrain: Option<String>,
    /// The land worked (GeoJSON Polygon or MultiPolygon, WGS84).
    geometry: Value,
}

fn submitted(s: demine_app::shared::Submitted) -> Response {
    let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
    let mut r = (if s.replayed { StatusCode::OK } else { status }, Json(s.body)).into_response();
    if s.replayed {
        r.headers_mut()
            .insert("x-demine-replayed", HeaderValue::from_static("true"));
    }
    r
}

fn conflict_with_copy(e: AppError) -> ApiError {
    match e {
        AppError::Conflict(m) => match serde_json::from_str::<Value>(&m) {
            Ok(v) if v.get("stored").is_some() => ApiError::new(
                StatusCode::CONFLICT,
                "Conflict",
                v["message"].as_str().unwrap_or("conflict").to_string(),
            )
            .with("stored", v["stored"].clone())
            .with("stored_at", v["stored_at"].clone()),
            _ => ApiError::from(AppError::Conflict(m)),
        },
        other => other.into(),
    }
}

/// Records a day's progress sent from the field under a client UUID: the same UUID with the
/// same body answers as the first time (200), with another body 409 and the stored copy.
#[utoipa::path(post, path = "/api/v1/submissions/progress", tag = "field", request_body = ProgressForm,
    responses((status = 201, description = "recorded"), (status = 200, description = "already recorded: the original answer"),
              (status = 409, description = "the UUID was used with another body: the stored copy"), (status = 422, description = "refused")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn submit_progress(State(state): State<AppState>, Caller(actor): Caller, body: Bytes) -> ApiResult<Response> {
    let f: ProgressForm =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
    let geometry = demine_app::field::polygons_from_geojson("request body", &f.geometry)?;
    let r = demine_app::field::ProgressAddRequest {
        date: &f.date,
        geometry: Some(geometry),
        task: &f.task,
        team: &f.team,
        team_kind: f.team_kind.as_deref(),
        polygon: None,
        lanes: f.lanes.as_deref(),
        lane_plan: None,
        hours: f.hours,
        downtime_hours: f.downtime_hours,
        downtime_reason: f.downtime_reason.as_deref(),
        finds: f.finds,
        terrain: f.terrain.as_deref(),
        id: f.id.as_deref(),
        max_m2_per_hour: None,
        dry_run: false,
    };
    demine_app::shared::submit_progress(&state.registry, &actor, &f.client_id, &body, &r)
        .await
        .map(submitted)
        .map_err(conflict_with_copy)
}

/// A find from the field.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct FindForm {
    client_id: String,
    /// The find as a GeoJSON Feature of the import contract (id, date, category, hazard_id…).
    feature: Value,
}

/// Records a find sent from the field under a client UUID (idempotent, as progress).
#[utoipa::path(post, path = "/api/v1/submissions/finds", tag = "field", request_body = FindForm,
    responses((status = 201, description = "recorded"), (status = 200, description = "already recorded"),
              (status = 409, description = "the UUID was used with another body"), (status = 422, description = "refused")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn submit_find(State(state): State<AppState>, Caller(actor): Caller, body: Bytes) -> ApiResult<Response> {
    let f: FindForm = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
    demine_app::shared::submit_find(&state.registry, &actor, &f.client_id, &body, &f.feature)
        .await
        .map(submitted)
        .map_err(conflict_with_copy)
}
