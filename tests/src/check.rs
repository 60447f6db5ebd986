//! Assertions on what a caller sees: the canonical error body, its status and headers (for
//! answers of the SDK; raw answers have the same checks on [`crate::Response`]).

use std::fmt::Debug;

use reqwest::header::HeaderMap;
use serde_json::Value;
use taos_client::{Error, ResponseValue, types};

/// An error answer, already checked to be canonical.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl ApiError {
    pub fn slug(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }

    pub fn fix(&self) -> &str {
        self.body["fix"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `WWW-Authenticate` header (panics when it is missing).
    #[track_caller]
    pub fn www_authenticate(&self) -> &str {
        self.header("www-authenticate")
            .unwrap_or_else(|| panic!("no WWW-Authenticate header on {} {}", self.status, self.body))
    }
}

/// Panics unless `body` is the canonical error: non-empty `error`, `detail`, `fix`, `doc_url`,
/// `doc_url` under `/docs/agents/` pointing at a heading; and the answer carries `x-request-id`.
#[track_caller]
pub fn assert_canonical(status: u16, headers: &HeaderMap, body: &Value) {
    for key in ["error", "detail", "fix", "doc_url"] {
        let v = body.get(key).and_then(Value::as_str);
        assert!(
            v.is_some_and(|s| !s.trim().is_empty()),
            "{status}: error body lacks a non-empty string `{key}`: {body}"
        );
    }
    let doc_url = body["doc_url"].as_str().unwrap();
    assert!(
        doc_url.starts_with("/docs/agents/") && doc_url.contains('#'),
        "{status}: doc_url must point at a heading under /docs/agents/, got {doc_url:?} in {body}"
    );
    assert!(
        headers.contains_key("x-request-id"),
        "{status} {}: no x-request-id header; headers: {headers:?}",
        body["error"]
    );
}

fn describe(e: &Error<types::Error>) -> String {
    match e {
        Error::ErrorResponse(rv) => format!("{} {:?}", rv.status(), &**rv),
        Error::UnexpectedResponse(r) => format!("unexpected response {} (not in the contract)", r.status()),
        Error::InvalidResponsePayload(bytes, err) => format!(
            "the response does not match the contract's schema ({err}): {}",
            String::from_utf8_lossy(bytes)
        ),
        other => format!("{other:?}"),
    }
}

/// Assertions on a result of the generated SDK.
pub trait ApiResultExt<T> {
    /// The successful answer (panics with the error body otherwise).
    fn must(self) -> ResponseValue<T>;
    /// The successful answer's body.
    fn value(self) -> T;
    /// The canonical error `slug` with `status` (panics otherwise).
    fn api_err(self, status: u16, slug: &str) -> ApiError;
}

impl<T: Debug> ApiResultExt<T> for Result<ResponseValue<T>, Error<types::Error>> {
    #[track_caller]
    fn must(self) -> ResponseValue<T> {
        match self {
            Ok(v) => v,
            Err(e) => panic!("expected success, got {}", describe(&e)),
        }
    }

    #[track_caller]
    fn value(self) -> T {
        self.must().into_inner()
    }

    #[track_caller]
    fn api_err(self, status: u16, slug: &str) -> ApiError {
        match self {
            Ok(v) => panic!("expected {status} {slug}, got {} {:?}", v.status(), &*v),
            Err(Error::ErrorResponse(rv)) => {
                let got = rv.status().as_u16();
                let headers = rv.headers().clone();
                let body = serde_json::to_value(rv.into_inner()).expect("error body to JSON");
                assert_eq!(
                    (got, body["error"].as_str().unwrap_or_default()),
                    (status, slug),
                    "unexpected error answer: {body}"
                );
                assert_canonical(got, &headers, &body);
                ApiError {
                    status: got,
                    headers,
                    body,
                }
            }
            Err(e) => panic!("expected {status} {slug}, got {}", describe(&e)),
        }
    }
}
