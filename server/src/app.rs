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
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api::Api;
use crate::config::Config;
use crate::errors::{self, Error};
use crate::host_check::{self, AllowedHosts};
use crate::state::AppState;
use crate::{background, serve, store};

/// The whole application for a connected store, answering the `hosts` it may (see
/// [`host_check`]).
pub fn router(state: Arc<AppState>, hosts: AllowedHosts) -> Result<Router> {
    let spec: serde_json::Value =
        yaml_serde::from_str(taos_api::OPENAPI_YAML).context("the embedded contract is not valid YAML")?;
    let swagger =
        utoipa_swagger_ui::SwaggerUi::new("/docs/api").external_url_unchecked("/openapi.json", spec);
    let request_id = header::HeaderName::from_static("x-request-id");

    Ok(taos_api::server::router(Api::new(state.clone()))
        .route("/openapi.yaml", get(openapi_yaml))
        .merge(swagger)
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
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid)))
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
    let detail = format!("{path} takes {takes}.");
    let mut out = Error::new(&errors::METHOD_NOT_ALLOWED, detail).into_response();
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
    let store = store::Store::connect(&url)
        .await
        .with_context(|| format!("cannot open the database ({})", redact(&url)))?;
    // Before listening, so the first request already finds this binary's docs.
    crate::domain::knowledge::ingest(&store, &config.guides_dirs()).await;
    let toucher = background::start(store.clone());
    let state = Arc::new(AppState {
        store,
        toucher,
        secure_cookies: config.secure_cookies,
    });
    let app = router(state, AllowedHosts::new(&config.allowed_hosts))?;
    let limits = serve::Limits::from_config(&config);

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // Registered before the address is printed: whoever starts taosd may stop it as soon as it
    // reads that line, and a SIGTERM before registration would kill it without a clean stop.
    let shutdown = shutdown_signal()?;
    tracing::info!(%addr, data_dir = %data_dir.display(), database = %redact(&url), "taosd ready");
    println!("taosd listening on http://{addr}");
    serve::run(listener, app, limits, shutdown).await;
    tracing::info!("taosd stopped");
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
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
    }
}
