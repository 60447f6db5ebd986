//! Assembling and serving the HTTP application: the generated router for every operation of
//! the contract, a short list of non-API routes, and the layers every request passes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::Api;
use crate::config::Config;
use crate::domain::fleet::Fleet;
use crate::domain::fleet_watch;
use crate::errors::{self, Error};
use crate::host_check::{self, AllowedHosts};
use crate::state::AppState;
use crate::{background, runtime, serve, store};

/// The whole application for a connected store, answering the `hosts` it may (see
/// [`host_check`]).
pub fn router(state: Arc<AppState>, hosts: AllowedHosts) -> Result<Router> {
    let api_page = crate::web::api_page::routes(state.secure_cookies)?;
    let request_id = header::HeaderName::from_static("x-request-id");

    let api = Api::new(state.clone());
    Ok(taos_api::server::router(api.clone())
        .merge(crate::mcp::routes(state.clone(), api))
        .route("/openapi.yaml", get(openapi_yaml))
        .merge(api_page)
        .merge(crate::web::docs::routes())
        .merge(crate::web::pages::routes(state))
        .fallback(route_not_found)
        .layer(axum::middleware::from_fn(explain_bare_errors))
        .layer(CatchPanicLayer::custom(|_| {
            Error::new(
                &errors::INTERNAL_ERROR,
                "The server failed to handle this request.",
            )
            .into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            host_check::check,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let id = req
                .headers()
                .get(X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // Quoted (Debug), so no id can pass for another field of the line.
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = ?id)
        })
        .on_failure(log_failure))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(drop_unacceptable_request_id)))
}

/// A 5xx is a failure of the server, logged as an error, except a 503: taosd answers it by
/// design when it sheds load (`too_many_connections`, `search_busy`, `password_checks_busy`),
/// and the one 503 that is a fault, the database not answering, is logged where it is seen.
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let ms = latency.as_millis();
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::warn!(latency_ms = ms, "503 Service Unavailable: shedding load");
        }
        ServerErrorsFailureClass::StatusCode(status) => {
            tracing::error!(latency_ms = ms, %status, "response failed");
        }
        ServerErrorsFailureClass::Error(error) => tracing::error!(latency_ms = ms, %error, "response failed"),
    }
}

const X_REQUEST_ID: &str = "x-request-id";
const MAX_REQUEST_ID: usize = 128;

/// Whether a client's `x-request-id` may be kept: 1 to [`MAX_REQUEST_ID`] characters of
/// `A-Z a-z 0-9 . _ : -` (what UUIDs, ULIDs and tracing ids use).
fn acceptable_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Removes an `x-request-id` that is not [acceptable](acceptable_request_id) (or sent more
/// than once), so the request gets a fresh one: the id is logged and echoed, and spaces,
/// quotes, control characters or a page of text in it could forge or bloat log lines.
async fn drop_unacceptable_request_id(mut req: Request<Body>, next: axum::middleware::Next) -> Response {
    let ids = req.headers().get_all(X_REQUEST_ID);
    let mut sent = ids.iter();
    let keep = match (sent.next(), sent.next()) {
        (None, _) => true,
        (Some(id), None) => acceptable_request_id(id.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        req.headers_mut().remove(X_REQUEST_ID);
    }
    next.run(req).await
}

async fn openapi_yaml() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        taos_api::OPENAPI_YAML,
    )
}

async fn route_not_found(method: Method, uri: axum::http::Uri) -> Error {
    Error::new(
        &errors::ROUTE_NOT_FOUND,
        format!("There is no route {method} {}.", uri.path()),
    )
}

/// The contract's paths answer a wrong method themselves (the generated router), and so do
/// the pages and docs; what is left (the Swagger UI's routes, `/openapi.yaml`) would get axum's
/// bare 405. Give it the canonical body, keeping the `Allow` header axum computed.
async fn explain_bare_errors(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let takes = allow
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(str::trim).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let mut out = Error::method_not_allowed(&path, &takes).into_response();
    if let Ok(v) = HeaderValue::from_str(&takes) {
        out.headers_mut().insert(header::ALLOW, v);
    }
    out
}

/// Connects, migrates, binds, prints `taosd listening on http://ADDR` and serves until
/// SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<()> {
    let data_dir = config.data_dir();
    create_private_dir(&data_dir)?;
    let url = config.database_url();
    // Registered before anything waits: a SIGTERM while the database is still out of reach
    // stops taosd cleanly, and one right after the address is printed (whoever started taosd
    // may stop it as soon as it reads that line) does not kill it without a clean stop.
    let mut shutdown = Box::pin(shutdown_signal()?);
    // Bound first: a taken port is said at once, before any migration or ingest. Connections
    // wait in the backlog until the server is ready.
    let bind = crate::startup::bind_address(&config.bind)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| crate::startup::cannot_listen(bind, &e))?;
    let addr = listener.local_addr()?;
    let store = tokio::select! {
        store = connect(&url) => store?,
        () = &mut shutdown => return Ok(()),
    };
    // Before serving, so the first request already finds this binary's docs.
    crate::domain::knowledge::ingest(&store, &config.guides_dirs()).await;
    let toucher = background::start(store.clone());
    let fleet = Arc::new(Fleet::new(
        Arc::new(runtimes(&data_dir, &config)),
        node_id(&data_dir)?,
        agent_url(addr),
    ));
    let watcher = fleet_watch::watch(store.clone(), fleet.clone());
    // Deploys the previous run left unfinished end first, so reconciling does not bring
    // their half-made agents back.
    crate::domain::deploy::fail_interrupted(&store, &fleet).await;
    fleet_watch::reconcile(&store, &fleet).await;
    crate::domain::token_migration::migrate_agent_tokens(&store, &fleet).await;
    let state = Arc::new(AppState {
        store: store.clone(),
        toucher,
        secure_cookies: config.secure_cookies,
        idempotency_takeover: config.idempotency_takeover,
        fleet: fleet.clone(),
    });
    let app = router(state, AllowedHosts::new(&config.allowed_hosts))?;
    let limits = serve::Limits::from_config(&config);

    crate::startup_pages::release();
    tracing::info!(%addr, data_dir = %data_dir.display(), database = %redact(&url), "taosd ready");
    crate::web::pages::announce_setup(&store, addr).await;
    println!("taosd listening on http://{addr}");
    serve::run(listener, app, limits, shutdown).await;
    // Agents on the process runtime would not outlive taosd anyway: stop them cleanly, and
    // record that they were stopped by the shutdown (the next start brings them back).
    fleet.runtimes.shutdown(AGENT_STOP_GRACE).await;
    fleet_watch::after_shutdown(&store, &fleet).await;
    watcher.abort();
    tracing::info!("taosd stopped");
    Ok(())
}

/// How long each agent gets to stop when taosd does (well inside the shutdown deadline).
const AGENT_STOP_GRACE: Duration = Duration::from_secs(5);

/// The runtimes: the process backend, with agents' directories and logs under
/// `<data dir>/agents/`, Docker (at `DOCKER_HOST` or /var/run/docker.sock) and incus (its
/// unix socket, in `TAOS_INCUS_PROJECT`).
fn runtimes(data_dir: &std::path::Path, config: &Config) -> runtime::Runtimes {
    let agents = data_dir.join("agents");
    let logs = Arc::new(runtime::logs::Logs::new(
        &agents,
        runtime::logs::LogLimits::default(),
    ));
    let events = runtime::Events::new();
    let process = runtime::process::ProcessRuntime::new(
        runtime::process::ProcessConfig::new(&agents),
        logs.clone(),
        events.clone(),
    );
    // Made lazily: an engine that is not there now is probed (and retried) on use, and never
    // holds up the start.
    let docker = runtime::docker::DockerRuntime::new(
        runtime::docker::DockerConfig::default(),
        logs.clone(),
        events.clone(),
    );
    let incus = runtime::incus::IncusRuntime::new(
        runtime::incus::IncusConfig {
            project: config.incus_project.clone(),
            ..runtime::incus::IncusConfig::default()
        },
        logs.clone(),
        events.clone(),
    );
    runtime::Runtimes::new(config.runtime, logs, events)
        .with(Arc::new(process))
        .with(Arc::new(docker))
        .with(Arc::new(incus))
}

/// The URL agents reach this taosd at: its own address, with a wildcard bind seen through
/// loopback.
fn agent_url(addr: std::net::SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        }
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// This taosd's id, made once and kept in the data dir: the agents it runs are recorded
/// under it, so replicas sharing one database each reconcile only their own.
fn node_id(data_dir: &std::path::Path) -> Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(id.as_bytes())?;
    Ok(id)
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Opens the store. A PostgreSQL server that cannot be reached is said so at once, with the
/// reason, and tried again with growing pauses until it answers (taosd may start before its
/// database, e.g. in a compose file or at boot); any other failure ends taosd.
async fn connect(url: &str) -> Result<store::Store> {
    let mut pause = Duration::from_secs(1);
    let mut failed = false;
    loop {
        match store::Store::connect(url).await {
            Ok(store) => {
                if failed {
                    tracing::warn!(database = %redact(url), "reached the database; starting");
                }
                return Ok(store);
            }
            Err(store::Error::Unavailable(reason)) if !url.starts_with("sqlite:") => {
                failed = true;
                tracing::warn!(
                    "cannot reach the database at {}: {reason}; retrying in {}s",
                    redact(url),
                    pause.as_secs()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_CONNECT_PAUSE);
            }
            Err(e) if e.is_missing_database() => return Err(crate::startup::missing_database(url).into()),
            Err(e) => return Err(e).with_context(|| format!("cannot open the database ({})", redact(url))),
        }
    }
}

const MAX_CONNECT_PAUSE: Duration = Duration::from_secs(30);

/// A database URL without its passwords (the one after `user:` and any query parameter whose
/// name contains `password`), for logs.
pub(crate) fn redact(url: &str) -> String {
    const HIDDEN: &str = "***";
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Not a URL the drivers take either; show only its scheme, in case it holds a secret.
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        return format!("{scheme}:{HIDDEN} (not a valid URL)");
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(HIDDEN));
    }
    let secret = |name: &str| name.to_ascii_lowercase().contains("password");
    if parsed.query_pairs().any(|(name, _)| secret(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if secret(&name) {
                    HIDDEN.into()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// A future that resolves on SIGINT or SIGTERM; the handlers are installed when this returns.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! { _ = interrupt.recv() => {}, _ = terminate.recv() => {} }
        tracing::info!("shutting down");
        // In-flight requests get a moment to finish; `serve::run` stops accepting at once.
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            tracing::warn!("shutdown took too long; exiting");
            std::process::exit(0);
        });
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:///x/taos.db"), "sqlite:///x/taos.db");
        assert_eq!(
            redact("postgres://u@h:5432/db?password=secret&sslmode=require"),
            "postgres://u@h:5432/db?password=***&sslmode=require"
        );
        assert_eq!(
            redact("postgres://u:secret@h/db?PassWord=secret&sslpassword=secret"),
            "postgres://u:***@h/db?PassWord=***&sslpassword=***"
        );
        // An `@` in the password, unescaped: everything up to the last one is user info.
        assert_eq!(redact("postgres://u:se@cret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u:secret@[::1/db"),
            "postgres:*** (not a valid URL)"
        );
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        use super::acceptable_request_id as ok;
        assert!(ok(b"0b6f3c2e-8d4a-4f7e-9a51-2c7d9e0f1a23"));
        assert!(ok(b"Root:1.67_a"));
        assert!(ok("x".repeat(128).as_bytes()));
        for bad in [
            &b""[..],
            b"a b",
            b"a\tb",
            b"a\"b",
            b"a=b",
            b"caf\xc3\xa9",
            "x".repeat(129).as_bytes(),
        ] {
            assert!(!ok(bad), "{bad:?}");
        }
    }
}
