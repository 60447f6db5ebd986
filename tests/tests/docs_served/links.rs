//! Links resolve: every `doc_url` and every link between the pages lands on a served heading id.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag};
use reqwest::StatusCode;
use serde_json::Value;
use taos_conformance::docs;
use taos_conformance::*;

use super::{content_type, heading_ids, resolve_relative, served_text};

#[track_caller]
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

async fn fetch_ids(s: &Server, path: &str) -> Result<HashSet<String>, String> {
    let resp = s.get(path).try_send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let ct = content_type(resp.headers());
    let body = resp.text();
    if status != StatusCode::OK {
        return Err(format!("answered {status}: {body}"));
    }
    if ct != "text/html; charset=utf-8" {
        return Err(format!("Content-Type {ct:?}, not HTML"));
    }
    Ok(heading_ids(&body))
}

/// Served HTML pages by path, fetched once per case.
#[derive(Default)]
struct Site {
    html: HashMap<String, Result<HashSet<String>, String>>,
}

impl Site {
    /// Checks that `url` (a path, maybe with `#fragment`) is a served HTML page with a heading
    /// of that id; returns what is wrong.
    async fn resolve(&mut self, s: &Server, url: &str) -> Result<(), String> {
        let (path, fragment) = match url.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (url, None),
        };
        if !path.starts_with("/docs/agents/") {
            return Err(format!("{url} is not under /docs/agents/"));
        }
        if !self.html.contains_key(path) {
            let got = fetch_ids(s, path).await;
            self.html.insert(path.to_string(), got);
        }
        let ids = self.html[path].as_ref().map_err(|e| format!("{url}: {e}"))?;
        match fragment {
            Some(f) if !ids.contains(f) => {
                let mut known: Vec<&String> = ids.iter().collect();
                known.sort();
                Err(format!(
                    "{url}: the page has no heading id {f:?} (it has {known:?})"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Every link destination in a page, as a markdown parser sees them (links in code are text).
fn links_in(text: &str) -> Vec<String> {
    Parser::new_ext(text, pulldown_cmark::Options::ENABLE_TABLES)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

e2e!(every_doc_url_resolves_to_a_served_heading);
/// Every `doc_url` of the error catalog, of `GET /api` and of the contract (tags' `x-taos-doc`
/// and any `doc_url` in its examples) is a served HTML page with that heading id.
async fn every_doc_url_resolves_to_a_served_heading(s: &Server) {
    let mut site = Site::default();
    let mut problems = Vec::new();

    assert!(taos_server::errors::ALL.len() > 20, "the catalog looks empty");
    for kind in taos_server::errors::ALL {
        if let Err(e) = site.resolve(s, kind.doc_url).await {
            problems.push(format!("errors catalog {}: {e}", kind.slug));
        }
    }

    let index = s.get("/api").send().await.expect_json(200);
    let routes = index["routes"].as_array().expect("GET /api routes");
    assert!(!routes.is_empty());
    for route in routes {
        let url = route["doc_url"].as_str().unwrap_or_default();
        if let Err(e) = site.resolve(s, url).await {
            problems.push(format!("GET /api route {}: {e}", route["title"]));
        }
    }

    let doc = spec::json();
    let mut spec_urls = Vec::new();
    collect_doc_urls(&doc, "", &mut spec_urls);
    let tags = doc["tags"].as_array().expect("tags").len();
    assert!(
        spec_urls
            .iter()
            .filter(|(at, _)| at.starts_with("/tags/"))
            .count()
            == tags,
        "every tag has an x-taos-doc: {spec_urls:?}"
    );
    for (at, url) in &spec_urls {
        if let Err(e) = site.resolve(s, url).await {
            problems.push(format!("openapi/taos.yaml {at}: {e}"));
        }
    }
    assert_no_problems("doc_url", &problems);
}

/// Every string under a `doc_url`, `docs_url` or `x-taos-doc` key: (JSON pointer, value).
fn collect_doc_urls(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let here = format!("{at}/{k}");
                match (k.as_str(), child.as_str()) {
                    ("doc_url" | "docs_url" | "x-taos-doc", Some(url)) => out.push((here, url.to_string())),
                    _ => collect_doc_urls(child, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_doc_urls(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

e2e!(every_link_between_the_pages_resolves);
/// Every link inside `docs/agents/**/*.md` to another page (relative `*.md`, or absolute under
/// `/docs/agents/`) or to a heading of the same page resolves to a served page and heading id;
/// and the served HTML carries relative `.md` links as links to the HTML page.
async fn every_link_between_the_pages_resolves(s: &Server) {
    let mut site = Site::default();
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in docs::files() {
        let html = served_text(s, &page.html_url()).await;
        for link in links_in(page.text()) {
            let at = format!("{} link {link:?}", page.path);
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let target = if let Some(fragment) = link.strip_prefix('#') {
                format!("{}#{fragment}", page.html_url())
            } else if link.starts_with("/docs/agents/") {
                link.clone()
            } else if link.starts_with('/') {
                // Another part of the site (`/openapi.json`, `/llms.txt`): it must answer.
                let status = s.get(&link).send().await.status();
                if status != StatusCode::OK {
                    problems.push(format!("{at}: answered {status}"));
                }
                continue;
            } else {
                let (file, fragment) = match link.split_once('#') {
                    Some((f, frag)) => (f, Some(frag)),
                    None => (link.as_str(), None),
                };
                let Some(resolved) = resolve_relative(&page.path, file) else {
                    problems.push(format!("{at}: leaves docs/agents/"));
                    continue;
                };
                if !resolved.ends_with(".md") {
                    problems.push(format!("{at}: not a page of the docs, so it cannot be served"));
                    continue;
                }
                let mut url = docs::html_url(&resolved);
                if let Some(f) = fragment {
                    url = format!("{url}#{f}");
                }
                if !html.contains(&format!("href=\"{url}\"")) {
                    problems.push(format!("{at}: the served HTML does not link {url}"));
                }
                url
            };
            checked += 1;
            if let Err(e) = site.resolve(s, &target).await {
                problems.push(format!("{at}: {e}"));
            }
        }
    }
    assert!(checked > 10, "only {checked} links between pages found");
    assert_no_problems("links between pages", &problems);
}
