//! HTTP behaviour: ETag and 304, the bare directory, refused writes, unknown pages and traversal.

use std::collections::HashSet;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use taos_conformance::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{content_type, dechunk};

e2e!(answers_carry_an_etag_and_honour_if_none_match);
/// Every docs answer has a strong ETag, `Cache-Control: no-cache` and `nosniff`; a matching
/// `If-None-Match` (also weak, in a list, or `*`) gets 304 with no body; HEAD has no body.
async fn answers_carry_an_etag_and_honour_if_none_match(s: &Server) {
    let mut etags = HashSet::new();
    for path in [
        "/docs/agents/",
        "/docs/agents/README.md",
        "/docs/agents/getting-started",
        "/llms.txt",
        "/llms-full.txt",
    ] {
        let resp = s.get(path).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let h = resp.headers().clone();
        let body = resp.bytes();
        let etag = h
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
            "{path}: {etag}"
        );
        assert!(
            etags.insert(etag.clone()),
            "{path}: ETag {etag} shared with another answer"
        );
        assert_eq!(h.get(header::CACHE_CONTROL).unwrap(), "no-cache", "{path}");
        assert_eq!(
            h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff",
            "{path}"
        );

        // The same ETag next time (it is the hash of the body, not of the time).
        let again = s.get(path).send().await;
        assert_eq!(again.headers().get(header::ETAG).unwrap().to_str().unwrap(), etag);

        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".to_string(),
        ] {
            let resp = s.get(path).header(header::IF_NONE_MATCH, &inm).send().await;
            assert_eq!(resp.status().as_u16(), 304, "{path} with If-None-Match {inm}");
            assert_eq!(resp.headers().get(header::ETAG).unwrap().to_str().unwrap(), etag);
            assert!(resp.bytes().is_empty());
        }
        let resp = s
            .get(path)
            .header(header::IF_NONE_MATCH, "\"stale\"")
            .send()
            .await;
        assert_eq!(resp.status().as_u16(), 200, "{path} with a stale ETag");
        assert_eq!(resp.bytes(), body);

        let resp = s.request(reqwest::Method::HEAD, path).send().await;
        assert_eq!(resp.status().as_u16(), 200, "HEAD {path}");
        assert_eq!(content_type(resp.headers()), content_type(&h), "HEAD {path}");
        assert!(resp.bytes().is_empty(), "HEAD {path} has a body");
    }
}

e2e!(the_bare_directory_redirects_and_writes_are_refused);
/// `/docs/agents` redirects to `/docs/agents/`; `/docs` and `/docs/` are not pages; writing
/// to the docs is a canonical 405 with `Allow: GET, HEAD`.
async fn the_bare_directory_redirects_and_writes_are_refused(s: &Server) {
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirects.get(s.at("/docs/agents")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 308);
    assert_eq!(resp.headers().get(header::LOCATION).unwrap(), "/docs/agents/");

    for path in ["/docs", "/docs/"] {
        s.get(path).send().await.expect_error(404, "route_not_found");
    }
    for path in [
        "/docs/agents/",
        "/docs/agents/README.md",
        "/llms.txt",
        "/llms-full.txt",
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let err = s
                .request(method.clone(), path)
                .send()
                .await
                .expect_error(405, "method_not_allowed");
            assert_eq!(err.header("allow"), Some("GET, HEAD"), "{method} {path}");
        }
    }
}

e2e!(unknown_pages_and_traversal_are_doc_page_not_found);
/// An unknown page, a directory, and every spelling of a path that would leave the docs
/// (`..`, `%2e%2e`, encoded slashes and backslashes, NUL, invalid UTF-8) are 404
/// `doc_page_not_found` with the canonical body. Sent over a raw socket: HTTP clients
/// normalise `..` away before sending.
async fn unknown_pages_and_traversal_are_doc_page_not_found(s: &Server) {
    for path in [
        "/docs/agents/no-such-page",
        "/docs/agents/no-such-page.md",
        "/docs/agents/recipes",
        "/docs/agents/recipes/",
        "/docs/agents/concepts/errors/",
        "/docs/agents/README.MD",
        "/docs/agents/../Cargo.toml",
        "/docs/agents/../../../../etc/passwd",
        "/docs/agents/concepts/../README.md",
        "/docs/agents/./README.md",
        "/docs/agents//README.md",
        "/docs/agents/%2e%2e/Cargo.toml",
        "/docs/agents/%2E%2E/%2E%2E/server/src/main.rs",
        "/docs/agents/..%2f..%2fCargo.toml",
        "/docs/agents/concepts%2f..%2fREADME.md",
        "/docs/agents/..%5cREADME.md",
        "/docs/agents/concepts%5cerrors.md",
        "/docs/agents/README.md%00",
        "/docs/agents/%00",
        "/docs/agents/%ff%fe",
        "/docs/agents/%252e%252e/Cargo.toml",
    ] {
        let (status, headers, body) = raw_get(s, path).await;
        let parsed: Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("GET {path}: {status} with a non-JSON body {body:?}"));
        assert_eq!(
            (status, parsed["error"].as_str().unwrap_or_default()),
            (404, "doc_page_not_found"),
            "GET {path}: {body}"
        );
        assert!(
            content_type(&headers).starts_with("application/json"),
            "GET {path}"
        );
        taos_conformance::check::assert_canonical(status, &headers, &parsed);
        assert_eq!(parsed["doc_url"], "/docs/agents/README#pages");
        assert!(
            !body.contains("[workspace]") && !body.contains("root:"),
            "GET {path} leaked a file"
        );
    }
}

/// One `GET` over a plain TCP connection, the request target sent exactly as given.
async fn raw_get(s: &Server, path: &str) -> (u16, HeaderMap, String) {
    let authority = s
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect to taosd");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("GET {path}: not an HTTP answer: {raw:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(k, v);
        }
    }
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    (status, headers, body)
}
