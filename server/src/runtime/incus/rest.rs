//! A small client for incusd's REST API on its unix socket: one HTTP/1 connection per
//! request (the socket is local, a connection costs microseconds), every call bounded in
//! time, errors typed from incus's `{type: "error", error_code, error}` answers, and
//! asynchronous operations (`202` + `/1.0/operations/<id>`) waited for with `/wait`.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;

/// Most bytes one answer may have (an instance list, a console log chunk).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Added to an operation's own wait so the daemon answers before the client gives up.
const WAIT_MARGIN: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq)]
pub enum RestError {
    /// The socket is missing, refuses, or does not answer in time.
    Unreachable(String),
    /// incusd answered with an error.
    Api { code: u16, error: String },
    /// An answer that is not what the API documents.
    Protocol(String),
}

impl RestError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { code: 404, .. })
    }
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(why) => f.write_str(why),
            Self::Api { code, error } => write!(f, "incusd: {error} ({code})"),
            Self::Protocol(why) => write!(f, "unexpected answer from incusd: {why}"),
        }
    }
}

pub type RestResult<T> = Result<T, RestError>;

/// A file to write into an instance.
pub struct FileWrite<'a> {
    pub path: &'a str,
    pub mode: u32,
    pub directory: bool,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Rest {
    socket: PathBuf,
    project: String,
    /// The bound on every call that is not an operation's wait.
    pub timeout: Duration,
}

impl Rest {
    pub fn new(socket: PathBuf, project: String, timeout: Duration) -> Self {
        Self {
            socket,
            project,
            timeout,
        }
    }

    /// `path` with the project added to its query.
    fn url(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}project={}", urlencode(&self.project))
    }

    /// One request; the raw status and body. Bounded by `timeout` in all (connect included).
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
        timeout: Duration,
    ) -> RestResult<(StatusCode, Bytes)> {
        let url = self.url(path);
        let exchange = async {
            let stream = UnixStream::connect(&self.socket).await.map_err(|e| {
                RestError::Unreachable(format!("cannot connect to {}: {e}", self.socket.display()))
            })?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| RestError::Unreachable(format!("incusd handshake: {e}")))?;
            // The connection task ends with the exchange (or when this future is dropped).
            let conn = tokio::spawn(conn);
            let mut req = Request::builder()
                .method(method)
                .uri(&url)
                .header(http::header::HOST, "incus");
            if !body.is_empty() && headers.is_empty() {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
            }
            for (name, value) in headers {
                req = req.header(*name, value);
            }
            let req = req
                .body(Full::new(body))
                .map_err(|e| RestError::Protocol(format!("building a request: {e}")))?;
            let res = sender
                .send_request(req)
                .await
                .map_err(|e| RestError::Unreachable(format!("incusd closed the connection: {e}")));
            let res = match res {
                Ok(res) => res,
                Err(e) => {
                    conn.abort();
                    return Err(e);
                }
            };
            let status = res.status();
            let body = Limited::new(res.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| RestError::Protocol(format!("reading an answer: {e}")))?
                .to_bytes();
            conn.abort();
            Ok((status, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(RestError::Unreachable(format!(
                "incusd did not answer on {} within {} ms",
                self.socket.display(),
                timeout.as_millis()
            ))),
        }
    }

    /// A JSON call; an error answer becomes [`RestError::Api`]. Returns the whole envelope
    /// (`type`, `metadata`, `operation`).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> RestResult<Value> {
        let body = match body {
            Some(v) => Bytes::from(serde_json::to_vec(v).map_err(|e| RestError::Protocol(e.to_string()))?),
            None => Bytes::new(),
        };
        let (status, bytes) = self.send(method, path, &[], body, timeout).await?;
        envelope(status, &bytes)
    }

    pub async fn get(&self, path: &str) -> RestResult<Value> {
        let v = self.call(Method::GET, path, None, self.timeout).await?;
        Ok(v.get("metadata").cloned().unwrap_or(Value::Null))
    }

    /// A call that may start an operation: waits up to `wait` for it to finish and returns
    /// the operation's metadata (or the sync answer's).
    pub async fn run(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        wait: Duration,
    ) -> RestResult<Value> {
        let v = self.call(method, path, body, self.timeout).await?;
        self.finish(v, wait).await
    }

    async fn finish(&self, v: Value, wait: Duration) -> RestResult<Value> {
        if v.get("type").and_then(Value::as_str) != Some("async") {
            return Ok(v.get("metadata").cloned().unwrap_or(Value::Null));
        }
        let op = v
            .get("operation")
            .and_then(Value::as_str)
            .ok_or_else(|| RestError::Protocol("an async answer without an operation".into()))?;
        let secs = wait.as_secs().max(1);
        let path = format!("{op}/wait?timeout={secs}");
        let done = self
            .call(Method::GET, &path, None, Duration::from_secs(secs) + WAIT_MARGIN)
            .await?;
        let meta = done.get("metadata").cloned().unwrap_or(Value::Null);
        match meta.get("status").and_then(Value::as_str) {
            Some("Success") => Ok(meta),
            Some("Running") | Some("Pending") => Err(RestError::Api {
                code: 504,
                error: format!("the operation did not finish within {secs} s"),
            }),
            _ => Err(RestError::Api {
                code: meta
                    .get("status_code")
                    .and_then(Value::as_u64)
                    .map_or(500, |c| c as u16),
                error: meta
                    .get("err")
                    .and_then(Value::as_str)
                    .filter(|e| !e.is_empty())
                    .unwrap_or("the operation failed")
                    .to_string(),
            }),
        }
    }

    /// The raw body of a GET (the console log is not JSON).
    pub async fn get_raw(&self, path: &str) -> RestResult<Bytes> {
        let (status, bytes) = self
            .send(Method::GET, path, &[], Bytes::new(), self.timeout)
            .await?;
        if status.is_success() {
            Ok(bytes)
        } else {
            envelope(status, &bytes).map(|_| Bytes::new())
        }
    }

    /// Writes a file (or makes a directory) in an instance, running or not.
    pub async fn write_file(&self, instance: &str, file: FileWrite<'_>) -> RestResult<()> {
        let path = format!("/1.0/instances/{instance}/files?path={}", urlencode(file.path));
        let headers = [
            ("X-Incus-uid", "0".to_string()),
            ("X-Incus-gid", "0".to_string()),
            ("X-Incus-mode", format!("{:04o}", file.mode)),
            (
                "X-Incus-type",
                if file.directory { "directory" } else { "file" }.to_string(),
            ),
            ("X-Incus-write", "overwrite".to_string()),
            ("Content-Type", "application/octet-stream".to_string()),
        ];
        let (status, bytes) = self
            .send(
                Method::POST,
                &path,
                &headers,
                Bytes::from(file.content),
                self.timeout,
            )
            .await?;
        envelope(status, &bytes).map(|_| ())
    }

    /// Whether a path exists in an instance.
    pub async fn file_exists(&self, instance: &str, path: &str) -> RestResult<bool> {
        let url = format!("/1.0/instances/{instance}/files?path={}", urlencode(path));
        match self.get_raw(&url).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Runs a command in a running instance without attaching to it (no websocket) and
    /// returns its exit status.
    pub async fn exec(&self, instance: &str, argv: &[&str], wait: Duration) -> RestResult<i64> {
        let body = serde_json::json!({
            "command": argv,
            "wait-for-websocket": false,
            "interactive": false,
            "record-output": false,
        });
        let meta = self
            .run(
                Method::POST,
                &format!("/1.0/instances/{instance}/exec"),
                Some(&body),
                wait,
            )
            .await?;
        meta.pointer("/metadata/return")
            .and_then(Value::as_i64)
            .ok_or_else(|| RestError::Protocol("exec without a return status".into()))
    }
}

/// Reads incus's envelope: `{type: sync|async|error, …}`.
fn envelope(status: StatusCode, bytes: &[u8]) -> RestResult<Value> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| RestError::Protocol(format!("HTTP {status} with a body that is not JSON: {e}")))?;
    if v.get("type").and_then(Value::as_str) == Some("error") || !status.is_success() {
        return Err(RestError::Api {
            code: v
                .get("error_code")
                .and_then(Value::as_u64)
                .map_or(status.as_u16(), |c| c as u16),
            error: v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_string(),
        });
    }
    Ok(v)
}

/// Percent-encodes a query value (paths and project names are ours and plain, but a
/// configured project name is not trusted to be).
fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
