//! An error as an HTTP answer: its status, the canonical body, and the headers some errors
//! carry (RFC 6750 challenges, `Retry-After`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Error, catalog as errors};

/// The canonical body: `{error, detail, fix, doc_url}` plus the error's extra members.
pub fn error_body(e: &Error) -> Value {
    let mut body = Map::new();
    body.insert("error".into(), json!(e.kind.slug));
    body.insert("detail".into(), json!(e.detail));
    body.insert("fix".into(), json!(e.kind.fix));
    body.insert("doc_url".into(), json!(e.kind.doc_url));
    for (k, v) in &e.extra {
        body.insert((*k).into(), json!(v));
    }
    Value::Object(body)
}

/// RFC 6750 §3: a challenge on every 401 and on scope failures. No error code when no
/// credentials were sent at all.
fn challenge(e: &Error) -> Option<String> {
    let quote = |s: &str| s.replace(['"', '\\'], "'");
    if e.is(&errors::SCOPE_DENIED) {
        let scope = e
            .extra
            .iter()
            .find(|(k, _)| *k == "required_scope")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        return Some(format!(
            "Bearer realm=\"taos\", error=\"insufficient_scope\", error_description=\"{}\", scope=\"{}\"",
            quote(&e.detail),
            quote(scope)
        ));
    }
    if e.kind.status != 401 {
        return None;
    }
    if e.is(&errors::AUTH_REQUIRED) || e.is(&errors::INVALID_CREDENTIALS) {
        return Some("Bearer realm=\"taos\"".into());
    }
    Some(format!(
        "Bearer realm=\"taos\", error=\"invalid_token\", error_description=\"{}\"",
        quote(&e.detail)
    ))
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let e = self;
        let status = StatusCode::from_u16(e.kind.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(error_body(&e))).into_response();
        let headers = response.headers_mut();
        if let Some(c) = challenge(&e).and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, c);
        }
        if let Some((_, secs)) = e.extra.iter().find(|(k, _)| *k == "retry_after")
            && let Ok(v) = HeaderValue::from_str(secs)
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}
