//! Raw HTTP for what the typed SDK cannot send (malformed bodies, wrong methods, odd headers,
//! cookies): one fluent chain from the request to the assertion on its answer.
//!
//! ```ignore
//! let err = s.post("/api/agents").bearer(&token).json(&body).send().await
//!     .expect_error(422, "validation_error");
//! let index = s.get("/api").send().await.expect_json(200);
//! ```
//!
//! [`Request::send`] reads the whole answer, so every check on a [`Response`] is synchronous and
//! its panic names the test's line (`#[track_caller]`) and the request (`POST /api/agents`).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::check::{ApiError, assert_canonical};

/// A request being built; see the module docs.
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    builder: reqwest::RequestBuilder,
    /// `METHOD path`, for messages.
    what: String,
}

/// A whole answer: status, headers and body, already read.
#[derive(Debug, Clone)]
pub struct Response {
    what: String,
    status: u16,
    headers: HeaderMap,
    url: String,
    body: Vec<u8>,
}

impl Request {
    pub(crate) fn new(http: &reqwest::Client, method: Method, base: &str, path: &str) -> Request {
        Request {
            what: format!("{method} {path}"),
            builder: http.request(method, format!("{base}{path}")),
        }
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Request {
        self.map(|b| b.bearer_auth(token))
    }

    /// `Cookie: taos_session=<session>`, as a browser signed in with `session` sends it.
    pub fn session(self, session: &str) -> Request {
        self.header("cookie", format!("taos_session={session}"))
    }

    /// One header (panics when the name or value is not valid HTTP: a bug in the test).
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<[u8]>) -> Request {
        let (name, value) = (name.as_ref(), value.as_ref());
        let header = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("{}: bad header name {name:?}: {e}", self.what));
        let value = HeaderValue::from_bytes(value)
            .unwrap_or_else(|e| panic!("{}: bad value for {name}: {e}", self.what));
        self.map(|b| b.header(header, value))
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: &(impl Serialize + ?Sized)) -> Request {
        self.map(|b| b.json(body))
    }

    /// A raw body, sent as given (no `Content-Type` unless set with [`Request::header`]).
    pub fn body(self, body: impl Into<reqwest::Body>) -> Request {
        self.map(|b| b.body(body))
    }

    /// Query parameters, encoded and appended to the path.
    pub fn query(self, query: &(impl Serialize + ?Sized)) -> Request {
        self.map(|b| b.query(query))
    }

    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Request {
        Request {
            builder: f(self.builder),
            what: self.what,
        }
    }

    /// Sends the request and reads the whole answer (panics on a connection-level failure).
    #[track_caller]
    pub fn send(self) -> impl Future<Output = Response> {
        let caller = std::panic::Location::caller();
        async move {
            let what = self.what.clone();
            self.try_send()
                .await
                .unwrap_or_else(|e| panic!("{caller}: {what}: no answer: {e}"))
        }
    }

    /// Sends the request; a connection-level failure is returned, for the cases where the
    /// server may rightly close the connection early (an oversized body).
    pub async fn try_send(self) -> reqwest::Result<Response> {
        let resp = self.builder.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let url = resp.url().to_string();
        let body = resp.bytes().await?.to_vec();
        Ok(Response {
            what: self.what,
            status,
            headers,
            url,
            body,
        })
    }
}

impl Response {
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).expect("a status reqwest parsed")
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL that answered (after redirects).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Panics unless the answer has `status`; returns it for further checks.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Response {
        assert_eq!(
            self.status,
            status,
            "{}: unexpected status; body: {}",
            self.what,
            self.text()
        );
        self
    }

    /// The body as `T` (panics when it is not JSON of that shape).
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        // A `match`, not a closure: the panic names the test's line.
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(e) => panic!(
                "{} ({}): the body is not a {} ({e}): {:?}",
                self.what,
                self.status,
                std::any::type_name::<T>(),
                self.text()
            ),
        }
    }

    /// Panics unless the answer has `status` and a JSON body; returns the body.
    #[track_caller]
    pub fn expect_json(self, status: u16) -> Value {
        self.expect_status(status).json()
    }

    /// Panics unless the answer is the canonical error `slug` with `status`, served as
    /// `application/json` (see [`assert_canonical`]).
    #[track_caller]
    pub fn expect_error(self, status: u16, slug: &str) -> ApiError {
        let body = self.error_body(&format!("{status} {slug}"));
        assert_eq!(
            (self.status, body["error"].as_str().unwrap_or("<no error member>")),
            (status, slug),
            "{}: unexpected answer: {body}",
            self.what
        );
        self.canonical(body)
    }

    /// Panics unless the answer is a canonical error with `status`, whatever its slug.
    #[track_caller]
    pub fn expect_canonical(self, status: u16) -> ApiError {
        let body = self.error_body(&format!("an error with {status}"));
        assert_eq!(self.status, status, "{}: unexpected answer: {body}", self.what);
        self.canonical(body)
    }

    #[track_caller]
    fn error_body(&self, expected: &str) -> Value {
        match serde_json::from_slice(&self.body) {
            Ok(body) => body,
            Err(_) => panic!(
                "{}: expected {expected}, got {} with a non-JSON body: {:?}",
                self.what,
                self.status,
                self.text()
            ),
        }
    }

    #[track_caller]
    fn canonical(self, body: Value) -> ApiError {
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "{}: error {} has Content-Type {ct:?}, not application/json",
            self.what,
            body["error"]
        );
        assert_canonical(self.status, &self.headers, &body);
        ApiError {
            status: self.status,
            headers: self.headers,
            body,
        }
    }

    /// Like [`Response::expect_error`], for an answer the contract lets be one of `slugs`.
    #[track_caller]
    pub fn expect_error_in(self, status: u16, slugs: &[&str]) -> ApiError {
        let body: Value = serde_json::from_slice(&self.body).unwrap_or_default();
        let slug = body["error"].as_str().unwrap_or_default().to_string();
        assert!(
            slugs.contains(&slug.as_str()),
            "{}: expected {status} with one of {slugs:?}, got {}: {}",
            self.what,
            self.status,
            self.text()
        );
        self.expect_error(status, &slug)
    }
}
