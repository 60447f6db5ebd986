//! Serving the application on a listener, with limits that keep hostile or broken clients from
//! taking the server down: timeouts on a request's head, on its body and on idle connections
//! ([`io`], [`body`]), a cap on connections served at once with headroom under the
//! open-files limit, and canonical answers for what hyper rejects by itself.
//!
//! Over the cap, a connection is still accepted, answered `503 too_many_connections` with
//! `Retry-After` and closed, so that the client learns why instead of hanging in the listen
//! backlog; at most [`OVER_CAP`] such answers are in flight, beyond that a connection is
//! closed at once. HTTP/1.1 only, as before.

mod body;
mod io;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use self::body::{AnswerBody, BodySeen, TimedBody};
use self::io::{ConnState, TimedIo};
use crate::config::Config;
use crate::errors::{self, Error};

/// File descriptors kept for everything but served connections: the database pool, its
/// files, the logs, and the answers to connections over the cap.
const FD_HEADROOM: u64 = 128;
/// Connections over the cap being answered at once (within [`FD_HEADROOM`]).
const OVER_CAP: usize = 32;
/// How long a connection over the cap may take to send its request's head.
const OVER_CAP_HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest path and query answered; longer is `414 uri_too_long`.
const MAX_URI_BYTES: usize = 8 * 1024;
/// The most a request line and headers may take; more is `431 headers_too_large` (hyper).
/// It also bounds what a connection that never ends its head can make hyper buffer.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The limits of [`run`], from the configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, the connection cap lowered to fit the open-files limit (raised
    /// to its hard limit first).
    pub fn from_config(config: &Config) -> Limits {
        let wanted = u64::from(config.max_connections);
        let max_connections = match raise_open_files_limit() {
            Some(files) if files < wanted + FD_HEADROOM => {
                let fits = files.saturating_sub(FD_HEADROOM).max(1);
                tracing::warn!(
                    open_files_limit = files,
                    "TAOS_MAX_CONNECTIONS lowered from {wanted} to {fits}, to keep {FD_HEADROOM} \
                     file descriptors for the database and logs; raise the hard limit \
                     (`ulimit -Hn`, systemd `LimitNOFILE=`) to serve more"
                );
                fits
            }
            _ => wanted,
        };
        Limits {
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Raises the soft open-files limit to the hard one; the limit now in force, if known.
fn raise_open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                tracing::debug!(
                    from = limit.rlim_cur,
                    to = raised.rlim_cur,
                    "open-files limit raised"
                );
                return Some(raised.rlim_cur);
            }
        }
    }
    Some(limit.rlim_cur)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish (idle connections are closed at once).
pub async fn run(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let served = Arc::new(Semaphore::new(limits.max_connections));
    let over_cap = Arc::new(Semaphore::new(OVER_CAP));
    let graceful = GracefulShutdown::new();
    let at_cap = AtomicBool::new(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_header_size(MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        match served.clone().try_acquire_owned() {
            Ok(permit) => {
                at_cap.store(false, Ordering::Relaxed);
                let state = Arc::new(ConnState::default());
                let io = TimedIo::new(stream, state.clone(), limits.header_timeout, limits.idle_timeout);
                let service = AppService {
                    app: app.clone(),
                    state,
                    peer,
                    body_timeout: limits.body_timeout,
                };
                let conn = graceful.watch(http.serve_connection(TokioIo::new(io), service));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                    drop(permit);
                });
            }
            Err(_) => {
                if !at_cap.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "at the connection cap (TAOS_MAX_CONNECTIONS): answering new connections 503"
                    );
                }
                match over_cap.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let header_timeout = limits.header_timeout;
                        tokio::spawn(async move {
                            answer_over_cap(stream, header_timeout).await;
                            drop(permit);
                        });
                    }
                    Err(_) => drop(stream),
                }
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Out of file descriptors (or a similar failure of accept itself): wait for some to free
/// rather than spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::warn!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Reads one request's head (briefly) and answers `503 too_many_connections`.
async fn answer_over_cap(stream: TcpStream, header_timeout: Duration) {
    let header_timeout = header_timeout.min(OVER_CAP_HEADER_TIMEOUT);
    let io = TimedIo::new(stream, Arc::default(), header_timeout, header_timeout).lingering();
    let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
        let error = Error::new(
            &errors::TOO_MANY_CONNECTIONS,
            "The server is serving as many connections as it may; this one is closed.",
        )
        .with("retry_after", "1");
        Ok::<_, Infallible>(closing(error.into_response(), None))
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(false).max_header_size(MAX_HEAD_BYTES);
    let _ = http.serve_connection(TokioIo::new(io), service).await;
}

/// The application as one connection's hyper service.
struct AppService {
    app: Router,
    state: Arc<ConnState>,
    peer: SocketAddr,
    body_timeout: Duration,
}

type Answer = Result<Response<AnswerBody>, Infallible>;

impl hyper::service::Service<Request<Incoming>> for AppService {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        self.state.request_started();
        let state = self.state.clone();
        let answered =
            move |response: axum::response::Response| Ok(response.map(|b| AnswerBody::new(b, state)));
        let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
        if uri_len > MAX_URI_BYTES {
            let error = Error::new(
                &errors::URI_TOO_LONG,
                format!("The path and query are {uri_len} bytes; at most {MAX_URI_BYTES} are answered."),
            );
            let id = req.headers().get(REQUEST_ID).cloned();
            let mut response = error.into_response();
            if !req.body().is_end_stream() {
                body_left_unread(&self.state, &mut response);
            }
            set_request_id(&mut response, id);
            return Box::pin(std::future::ready(answered(response)));
        }
        let seen = Arc::new(BodySeen::default());
        let deadline = tokio::time::Instant::now() + self.body_timeout;
        let mut req = req.map(|b| Body::new(TimedBody::new(b, deadline, seen.clone())));
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let mut app = self.app.clone();
        let conn = self.state.clone();
        Box::pin(async move {
            let Ok(mut response) = tower_service::Service::call(&mut app, req).await;
            if !seen.ended.load(Ordering::Acquire) {
                body_left_unread(&conn, &mut response);
            }
            if !seen.timed_out.load(Ordering::Acquire) {
                return answered(response);
            }
            let error = Error::new(
                &errors::REQUEST_TIMEOUT,
                "The request body did not arrive in full in time; it was dropped.",
            );
            let id = response.headers().get(REQUEST_ID).cloned();
            answered(closing(error.into_response(), id))
        })
    }
}

const REQUEST_ID: &str = "x-request-id";

/// An answer given outside the router's layers, with the `x-request-id` every answer has
/// (the request's when known).
fn set_request_id(response: &mut axum::response::Response, id: Option<HeaderValue>) {
    let id = id
        .filter(|v| v.len() <= 200)
        .or_else(|| HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok());
    if let Some(id) = id {
        response.headers_mut().insert(REQUEST_ID, id);
    }
}

/// `response` (see [`set_request_id`]), closing the connection after it.
/// `response` answers a request whose body was not read to its end, and hyper will not read
/// the rest: it says the connection closes, so that the client sends no next request on it,
/// and the connection lingers for what the client still sends (see `io`).
fn body_left_unread(conn: &ConnState, response: &mut axum::response::Response) {
    conn.body_left_unread();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

fn closing(mut response: axum::response::Response, id: Option<HeaderValue>) -> axum::response::Response {
    set_request_id(&mut response, id);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
