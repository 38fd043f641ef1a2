//! Errors as problem details (RFC 9457, `application/problem+json`), with the same located
//! messages the CLI prints.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use demine_app::AppError;
use serde_json::json;

/// An error of a route (boxed: results stay small on the happy path).
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

/// The members of a problem-details answer.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    /// Every located problem (file or request, record, field) of a refusal.
    pub problems: Vec<String>,
    /// Extra members (e.g. the stored copy of a conflicting submission).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(Problem {
            status,
            title,
            detail: detail.into(),
            problems: Vec::new(),
            extra: serde_json::Map::new(),
        }))
    }
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }
    pub fn with(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.0.extra.insert(key.into(), value);
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Refused(r) => {
                let mut a = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Refused", r.to_string());
                a.0.problems = r.problems.clone();
                if !r.detail.is_null() {
                    a.0.extra.insert("detail_json".into(), r.detail.clone());
                }
                a
            }
            AppError::NotFound(m) => ApiError::not_found(m),
            AppError::Stale(m) => ApiError::new(StatusCode::PRECONDITION_FAILED, "Stale version", m),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "Conflict", m),
            AppError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "Forbidden", m),
            AppError::Unauthorized(m) => ApiError::unauthorized(m),
            AppError::Internal(e) => {
                // The cause goes to the log; the client gets no internals.
                tracing::error!(error = %format!("{e:#}"), "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "the server could not do this; the log has the cause",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = *self.0;
        let mut body = json!({
            "type": "about:blank",
            "title": p.title,
            "status": p.status.as_u16(),
            "detail": p.detail,
        });
        if !p.problems.is_empty() {
            body["problems"] = json!(p.problems);
        }
        for (k, v) in p.extra {
            body[k] = v;
        }
        let mut r = (p.status, body.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if p.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"demine\", Basic realm=\"demine\""),
            );
        }
        r
    }
}

/// Result of a route.
pub type ApiResult<T> = Result<T, ApiError>;

/// Middleware: an error response that is not already problem details (axum's extractors answer
/// a bad query string, a malformed JSON body or a body over the size limit in plain text)
/// becomes problem details with the same status and its text as the detail, so that every
/// client reads every error one way.
pub async fn plain_errors_as_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    // Extractor rejections are one short sentence; more is not an error text to pass on.
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let detail = if text.is_empty() { title.to_string() } else { text };
    ApiError::new(status, title, detail).into_response()
}

/// The language a request asks for (`Accept-Language`, the most preferred of those demine
/// speaks; English when it names none of them).
pub fn request_lang(headers: &axum::http::HeaderMap) -> demine_app::text::Lang {
    use demine_app::text::Lang;
    let Some(accept) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return Lang::En;
    };
    let mut best = (0.0_f64, Lang::En);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f64>().ok()))
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "uk" => Lang::Uk,
            "en" => Lang::En,
            _ => continue,
        };
        if quality > best.0 {
            best = (quality, lang);
        }
    }
    best.1
}

/// Middleware: problem details (and a failed job's problem) in the language the request asks
/// for with `Accept-Language: uk`; the code writes them in English, as the CLI's `--lang`
/// translates what it prints.
pub async fn problems_in_request_language(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use demine_app::text::Lang;
    let lang = request_lang(req.headers());
    // A job's status (not its result, which may be large and is the caller's data).
    let is_job = req
        .uri()
        .path()
        .strip_prefix("/api/v1/jobs/")
        .is_some_and(|id| !id.contains('/'));
    let mut response = next.run(req).await;
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let problem = content_type.starts_with("application/problem+json");
    if !(problem || is_job && content_type.starts_with("application/json")) {
        return response;
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-language"));
    if lang == Lang::En {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the answer could not be read").into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if problem {
        translate_problem(&mut value, lang);
    } else {
        if let Some(error) = value.get_mut("error") {
            translate_problem(error, lang);
        }
        if let Some(serde_json::Value::String(stage)) = value.get_mut("stage") {
            *stage = demine_app::text::tr_message(lang, stage);
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    Response::from_parts(parts, axum::body::Body::from(value.to_string()))
}

/// A problem's title, detail and located problems in `lang`.
fn translate_problem(problem: &mut serde_json::Value, lang: demine_app::text::Lang) {
    use demine_app::text::tr_message;
    for key in ["title", "detail"] {
        if let Some(serde_json::Value::String(s)) = problem.get_mut(key) {
            *s = tr_message(lang, s);
        }
    }
    if let Some(serde_json::Value::Array(problems)) = problem.get_mut("problems") {
        for p in problems {
            if let serde_json::Value::String(s) = p {
                *s = tr_message(lang, s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_app::text::Lang;

    fn lang_of(accept: &str) -> Lang {
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        request_lang(&h)
    }

    #[test]
    fn the_most_preferred_language_demine_speaks_is_chosen() {
        assert_eq!(lang_of("uk"), Lang::Uk);
        assert_eq!(lang_of("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Uk);
        assert_eq!(lang_of("en-GB,uk;q=0.5"), Lang::En);
        assert_eq!(lang_of("de-DE,uk;q=0.3"), Lang::Uk);
        assert_eq!(lang_of("de-DE,fr;q=0.8"), Lang::En);
        assert_eq!(request_lang(&axum::http::HeaderMap::new()), Lang::En);
    }
}
