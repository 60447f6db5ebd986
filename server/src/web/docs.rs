//! Serving `docs/agents/`: `/docs/agents/<path>.md` (the markdown as written),
//! `/docs/agents/<path>` (HTML for people, GitHub-style heading ids), `/llms.txt` and
//! `/llms-full.txt`. The docs are compiled in, so every answer is built once and carries an
//! ETag that only changes with the binary.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get};

use crate::agent_docs;
use crate::errors::{self, Error};
use crate::web::{html_page, llms};

const MARKDOWN: &str = "text/markdown; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

pub fn routes() -> Router {
    Router::new()
        .route(
            "/docs/agents",
            only_get(get(|| async { Redirect::permanent("/docs/agents/") })),
        )
        .route(
            "/docs/agents/",
            only_get(get(|headers: HeaderMap| async move { serve(&headers, "README") })),
        )
        .route("/docs/agents/{*path}", only_get(get(page)))
        .route(
            "/llms.txt",
            only_get(get(|headers: HeaderMap| async move { serve(&headers, LLMS_TXT) })),
        )
        .route(
            "/llms-full.txt",
            only_get(get(
                |headers: HeaderMap| async move { serve(&headers, LLMS_FULL_TXT) },
            )),
        )
}

/// Other methods get the canonical 405 with an `Allow` header (the app's own 405 handling
/// only knows the contract's paths).
fn only_get(route: MethodRouter) -> MethodRouter {
    route.fallback(|| async {
        let mut response = Error::new(
            &errors::METHOD_NOT_ALLOWED,
            "The docs are read-only: use GET or HEAD.",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        response
    })
}

async fn page(headers: HeaderMap, path: Result<Path<String>, PathRejection>) -> Response {
    // A path that does not decode (invalid UTF-8) is simply not a page.
    let path = path.map(|Path(p)| p).unwrap_or_default();
    match clean(&path) {
        Some(p) if SITE.contains_key(p) => serve(&headers, p),
        _ => Error::new(
            &errors::DOC_PAGE_NOT_FOUND,
            format!(
                "There is no page /docs/agents/{} in the agent docs.",
                path.escape_debug()
            ),
        )
        .into_response(),
    }
}

/// The page key for a request path, or `None` for anything that could name a file outside
/// the docs (`..`, `.`, empty segments, backslashes, NUL) — the docs are embedded, but a path
/// like that never names a page.
fn clean(path: &str) -> Option<&str> {
    let bad = path.is_empty()
        || path.contains(['\\', '\0'])
        || path.split('/').any(|s| s.is_empty() || s == "." || s == "..");
    (!bad).then_some(path)
}

const LLMS_TXT: &str = "/llms.txt";
const LLMS_FULL_TXT: &str = "/llms-full.txt";

/// One answer, built once.
struct Body {
    content_type: &'static str,
    text: String,
    etag: HeaderValue,
}

impl Body {
    fn new(content_type: &'static str, text: String) -> Self {
        // A quoted prefix of a hex digest: always a valid header value.
        let tag = format!("\"{}\"", &crate::digest::sha256_hex(&text)[..32]);
        let etag = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""));
        Body {
            content_type,
            text,
            etag,
        }
    }
}

/// Every answer by key: page paths as requested (`concepts/errors.md` for the markdown,
/// `concepts/errors` for the HTML) plus the two `/llms*.txt` files.
static SITE: LazyLock<HashMap<&'static str, Body>> = LazyLock::new(|| {
    let pages = agent_docs::pages();
    let mut site = HashMap::new();
    for p in &pages {
        site.insert(p.path, Body::new(MARKDOWN, p.text.to_string()));
        match html_page::render(p) {
            Ok(html) => {
                site.insert(p.path.trim_end_matches(".md"), Body::new(HTML, html));
            }
            // Our bug, caught by the unit tests: the page answers doc_page_not_found.
            Err(e) => tracing::error!(page = p.path, error = %e, "doc page template failed to render"),
        }
    }
    site.insert(LLMS_TXT, Body::new(TEXT, llms::index(&pages)));
    site.insert(LLMS_FULL_TXT, Body::new(TEXT, llms::full(&pages)));
    site
});

fn serve(headers: &HeaderMap, key: &str) -> Response {
    let Some(body) = SITE.get(key) else {
        return Error::new(
            &errors::DOC_PAGE_NOT_FOUND,
            format!("There is no page {key} in the agent docs."),
        )
        .into_response();
    };
    let common = [
        (header::ETAG, body.etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if not_modified(headers, &body.etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(body.content_type))],
        body.text.clone(),
    )
        .into_response()
}

/// RFC 9110 §13.1.2: `If-None-Match` matches with the weak comparison, `*` matches anything.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_never_names_a_page() {
        for p in [
            "",
            "..",
            "../Cargo.toml",
            "concepts/../README.md",
            "./README.md",
            "concepts//errors",
            "concepts/",
            "..\\README.md",
            "README.md\0",
        ] {
            assert_eq!(clean(p), None, "{p:?}");
        }
        assert_eq!(clean("concepts/errors.md"), Some("concepts/errors.md"));
    }

    #[test]
    fn every_page_is_served_twice() {
        for p in agent_docs::pages() {
            assert_eq!(SITE[p.path].text, p.text);
            assert!(
                SITE[p.path.trim_end_matches(".md")]
                    .text
                    .starts_with("<!doctype html>")
            );
        }
        assert!(SITE.contains_key("README"));
        assert!(SITE[LLMS_TXT].text.starts_with("# taOS agent API\n"));
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            h
        };
        let etag = HeaderValue::from_static("\"abc\"");
        assert!(not_modified(&with("\"abc\""), &etag));
        assert!(not_modified(&with("W/\"abc\""), &etag));
        assert!(not_modified(&with("\"x\", \"abc\""), &etag));
        assert!(not_modified(&with("*"), &etag));
        assert!(!not_modified(&with("\"abd\""), &etag));
        assert!(!not_modified(&HeaderMap::new(), &etag));
    }
}
