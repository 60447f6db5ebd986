//! The API page, `/docs/api`: the vendored Swagger UI over `/openapi.json`, titled "taOS agent
//! API". The served contract names as its server the origin it was fetched from, so the page's
//! "Try it out" calls this taosd whether it was opened at `localhost`, `127.0.0.1`, a LAN
//! address or through a proxy, on any port; the YAML's own `servers` entry (the default local
//! address) is for readers of the file.

use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value, json};
use utoipa_swagger_ui::Config;

use crate::errors::{self, Error};

const PAGE_TITLE: &str = "taOS agent API";

struct ApiPage {
    /// The contract as JSON text, rendered once, around its `servers` (set per request): the
    /// text before the value and the text after it.
    spec: (String, String),
    config: Arc<Config<'static>>,
    /// Whether taosd is served over https (`TAOS_SECURE_COOKIES`).
    secure: bool,
}

pub fn routes(secure: bool) -> Result<Router> {
    let mut spec: Value =
        yaml_serde::from_str(taos_api::OPENAPI_YAML).context("the embedded contract is not valid YAML")?;
    spec["servers"] = json!(SERVERS_SLOT);
    let text = serde_json::to_string(&spec).context("the contract as JSON")?;
    let slot = format!("\"{SERVERS_SLOT}\"");
    let (before, after) = text
        .split_once(&slot)
        .context("the servers slot of the rendered contract")?;
    let page = Arc::new(ApiPage {
        spec: (before.to_string(), after.to_string()),
        config: Arc::new(Config::new(["/openapi.json"])),
        secure,
    });
    Ok(Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs/api", get(|| async { Redirect::to("/docs/api/") }))
        .route(
            "/docs/api/",
            get(|s: State<Arc<ApiPage>>, h: HeaderMap| swagger(s, h, None)),
        )
        .route(
            "/docs/api/{*rest}",
            get(|s: State<Arc<ApiPage>>, h: HeaderMap, Path(rest): Path<String>| swagger(s, h, Some(rest))),
        )
        .with_state(page))
}

/// Stands for the `servers` value in the rendered contract (no contract text contains it).
const SERVERS_SLOT: &str = "@@taosd-servers@@";

async fn openapi_json(State(page): State<Arc<ApiPage>>, headers: HeaderMap, uri: Uri) -> Response {
    let servers = json!([{
        "url": origin(&headers, &uri, page.secure).unwrap_or_else(|| "/".into()),
        "description": "This taosd, at the address this document was fetched from",
    }])
    .to_string();
    let (before, after) = &page.spec;
    let mut body = String::with_capacity(before.len() + servers.len() + after.len());
    body.push_str(before);
    body.push_str(&servers);
    body.push_str(after);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `scheme://host[:port]` of this request as the client addressed it: the `Host` header (already
/// checked against the allow-list, see [`crate::host_check`]), https when taosd says it is served
/// so or a proxy in front says the client used it. `None` when there is no plain authority.
fn origin(headers: &HeaderMap, uri: &Uri, secure: bool) -> Option<String> {
    let host = match headers.get(header::HOST) {
        Some(h) => h.to_str().ok()?.to_string(),
        None => uri.authority()?.to_string(),
    };
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']'));
    if !plain {
        return None;
    }
    let https = secure || forwarded_https(headers);
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// `X-Forwarded-Proto: https` or `Forwarded: …proto=https…` from a proxy in front.
fn forwarded_https(headers: &HeaderMap) -> bool {
    let said = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
    };
    let x_proto = said("x-forwarded-proto");
    if let Some(first) = x_proto.first() {
        return first.split(',').next().is_some_and(|p| p.trim() == "https");
    }
    said("forwarded").iter().any(|v| {
        v.split([';', ','])
            .any(|part| part.trim().trim_matches('"') == "proto=https" || part.trim() == "proto=\"https\"")
    })
}

/// Swagger UI's files, its `index.html` retitled. They are embedded gzipped (utoipa-swagger-ui's
/// `gzip`: 3 MB less of the binary) and sent so to a client that accepts gzip (every browser);
/// one that does not (a bare `curl`) gets them unpacked.
async fn swagger(State(page): State<Arc<ApiPage>>, headers: HeaderMap, rest: Option<String>) -> Response {
    let tail = rest.unwrap_or_default();
    match utoipa_swagger_ui::serve(&tail, page.config.clone()) {
        Ok(Some(file)) => {
            let index = tail.is_empty() || tail == "index.html";
            let mut gzipped = file.gzpipped;
            let mut bytes = file.bytes.into_owned();
            if gzipped && (index || !accepts_gzip(&headers)) {
                match gunzip(&bytes) {
                    Ok(plain) => {
                        bytes = plain;
                        gzipped = false;
                    }
                    Err(e) => return Error::internal("unpacking the API page", e).into_response(),
                }
            }
            if index {
                bytes = String::from_utf8_lossy(&bytes)
                    .replace(
                        "<title>Swagger UI</title>",
                        &format!("<title>{PAGE_TITLE}</title>"),
                    )
                    .into_bytes();
            }
            let mut out = (StatusCode::OK, bytes).into_response();
            if let Ok(ct) = HeaderValue::from_str(&file.content_type) {
                out.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if file.gzpipped {
                out.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            if gzipped {
                out.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            out
        }
        Ok(None) => Error::new(
            &errors::ROUTE_NOT_FOUND,
            format!(
                "There is no file /docs/api/{} in the API page.",
                tail.escape_debug()
            ),
        )
        .into_response(),
        Err(e) => Error::internal("serving the API page", e).into_response(),
    }
}

/// Whether `Accept-Encoding` takes gzip (with a q-value above 0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name == "gzip" || name == "x-gzip" || name == "*") && !refused
        })
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::test_support::headers;
    use std::sync::LazyLock;

    use super::*;

    static INDEX: LazyLock<String> = LazyLock::new(|| {
        let config = Arc::new(Config::new(["/openapi.json"]));
        let file = utoipa_swagger_ui::serve("", config)
            .ok()
            .flatten()
            .expect("index.html");
        let bytes = if file.gzpipped {
            gunzip(&file.bytes).expect("a gzipped index.html")
        } else {
            file.bytes.into_owned()
        };
        String::from_utf8_lossy(&bytes).into_owned()
    });

    #[test]
    fn gzip_is_sent_only_to_clients_that_take_it() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
    }

    #[test]
    fn the_vendored_page_has_the_title_we_replace() {
        assert!(INDEX.contains("<title>Swagger UI</title>"), "{}", *INDEX);
    }

    #[test]
    fn the_origin_is_the_one_the_client_used() {
        let uri: Uri = "/openapi.json".parse().unwrap();
        let o = |h: &[(&'static str, &'static str)], secure| origin(&headers(h), &uri, secure);
        assert_eq!(
            o(&[("host", "localhost:7000")], false).as_deref(),
            Some("http://localhost:7000")
        );
        assert_eq!(
            o(&[("host", "127.0.0.1:6969")], false).as_deref(),
            Some("http://127.0.0.1:6969")
        );
        assert_eq!(
            o(&[("host", "[::1]:6969")], false).as_deref(),
            Some("http://[::1]:6969")
        );
        assert_eq!(
            o(&[("host", "taos.example")], true).as_deref(),
            Some("https://taos.example")
        );
        assert_eq!(
            o(&[("host", "taos.example"), ("x-forwarded-proto", "https")], false).as_deref(),
            Some("https://taos.example")
        );
        assert_eq!(
            o(
                &[("host", "taos.example"), ("forwarded", "for=1.2.3.4;proto=https")],
                false
            )
            .as_deref(),
            Some("https://taos.example")
        );
        assert_eq!(
            o(&[("host", "taos.example"), ("x-forwarded-proto", "http")], false).as_deref(),
            Some("http://taos.example")
        );
        // Nothing that could break out of a URL.
        assert_eq!(o(&[("host", "a b")], false), None);
        assert_eq!(o(&[("host", "evil/x?")], false), None);
        assert_eq!(o(&[("host", "a\"b")], false), None);
        assert_eq!(o(&[], false), None);
    }
}
