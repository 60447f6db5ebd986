//! The agent docs as taosd serves them: every `doc_url` the server or the contract hands out,
//! and every link between the pages, lands on a served page and on a heading id that page's
//! HTML really has; the markdown twins are the repo's files byte for byte; `/llms.txt` and
//! `/llms-full.txt` list and hold every page; caching headers; no path leaves the docs.

use std::collections::HashSet;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use taos_conformance::*;

mod http;
mod links;
mod pages;

/// A relative link on the page at `from` resolved to a path under `docs/agents/`, or `None`
/// when it climbs out.
fn resolve_relative(from: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The ids of the headings of a served page (`<h2 id="…">`).
fn heading_ids(html: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    for (i, _) in html.match_indices("<h") {
        let tag = &html[i..];
        let level = tag.as_bytes().get(2).copied().unwrap_or(b'x');
        if !(b'1'..=b'6').contains(&level) {
            continue;
        }
        let open = &tag[..tag.find('>').unwrap_or(tag.len())];
        if let Some(start) = open.find(" id=\"") {
            let rest = &open[start + 5..];
            if let Some(end) = rest.find('"') {
                ids.insert(rest[..end].to_string());
            }
        }
    }
    ids
}

/// The body of a docs answer that must be 200.
#[track_caller]
fn served_text<'a>(s: &'a Server, path: &'a str) -> impl Future<Output = String> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let resp = s.get(path).send().await;
        let status = resp.status();
        let body = resp.text();
        assert_eq!(status, StatusCode::OK, "{caller}: GET {path}: {body}");
        body
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn heading_ids_are_read_from_html() {
    let ids = heading_ids(r##"<h1 id="a">A <a href="#a">#</a></h1><p id="x">no</p><h2 id="b-1">B</h2><hr>"##);
    assert_eq!(ids, HashSet::from(["a".to_string(), "b-1".to_string()]));
    assert_eq!(
        resolve_relative("concepts/errors.md", "../README.md").as_deref(),
        Some("README.md")
    );
    assert_eq!(resolve_relative("README.md", "../x.md"), None);
    assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
}
