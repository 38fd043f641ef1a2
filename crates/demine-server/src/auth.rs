//! Who is calling: `Authorization: Bearer TOKEN` (from `POST /api/v1/auth/token`) or HTTP Basic
//! (for GIS clients that speak nothing else). Deny by default: a route that takes a [`Caller`]
//! refuses a request without valid credentials (401).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use base64::Engine;
use demine_app::accounts;
use demine_app::Actor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The authenticated actor of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

/// The request id (set by the request-id layer).
pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The client's address (loopback when the server runs without connection info, in tests).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        let Some(value) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Err(ApiError::unauthorized(
                "log in: send `Authorization: Bearer TOKEN` (POST /api/v1/auth/token) or HTTP Basic",
            ));
        };
        let actor = if let Some(token) = value.strip_prefix("Bearer ") {
            accounts::authenticate(&state.registry, token.trim(), rid).await?
        } else if let Some(b64) = value.strip_prefix("Basic ") {
            let ip = client_ip(parts);
            if !state.logins.allow(ip) {
                return Err(too_many());
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::unauthorized("malformed HTTP Basic credentials"))?;
            let (user, password) = decoded
                .split_once(':')
                .ok_or_else(|| ApiError::unauthorized("malformed HTTP Basic credentials"))?;
            accounts::check_basic(&state.registry, &state.basic_cache, user, password, rid)
                .await
                .inspect_err(|e| {
                    if matches!(e, demine_app::AppError::Unauthorized(_)) {
                        state.logins.failed(ip);
                    }
                })?
        } else {
            return Err(ApiError::unauthorized(
                "unsupported Authorization scheme: use Bearer or Basic",
            ));
        };
        Ok(Caller(actor))
    }
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many login attempts",
        "too many login attempts from this address; wait a minute",
    )
}

/// `POST /api/v1/auth/token` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// A bearer token.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Token {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Logs in: a bearer token for a username and password.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = Login,
    responses((status = 200, description = "a token", body = Token),
              (status = 401, description = "wrong username or password, or the account is locked"),
              (status = 429, description = "too many attempts from this address")))]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(login): Json<Login>,
) -> ApiResult<Json<Token>> {
    if !state.logins.allow(ip) {
        return Err(too_many());
    }
    let t = accounts::login(&state.registry, &login.username, &login.password, None)
        .await
        .inspect_err(|e| {
            if matches!(e, demine_app::AppError::Unauthorized(_)) {
                state.logins.failed(ip);
            }
        })?;
    Ok(Json(Token {
        token: t.token,
        expires_at: t.expires_at,
    }))
}

/// `POST /api/v1/auth/revoke` body: nothing (the token used), or an administrator's username.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Revoke {
    /// Revoke every token of this account (administrators).
    pub username: Option<String>,
}

/// Revokes the token of this request (log out), or every token of an account.
#[utoipa::path(post, path = "/api/v1/auth/revoke", tag = "auth", request_body = Revoke,
    responses((status = 200, description = "tokens revoked"), (status = 401, description = "not logged in")),
    security(("bearer" = []), ("basic" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: axum::http::HeaderMap,
    body: Option<Json<Revoke>>,
) -> ApiResult<Json<serde_json::Value>> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let own = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let n = match &body.username {
        Some(u) => accounts::revoke(&state.registry, &actor, None, Some(u)).await?,
        None => accounts::revoke(&state.registry, &actor, own, None).await?,
    };
    Ok(Json(serde_json::json!({"revoked": n})))
}
