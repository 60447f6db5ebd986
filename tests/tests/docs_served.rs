//! The agent docs as taosd serves them: every `doc_url` the server or the contract hands out,
//! and every link between the pages, lands on a served page and on a heading id that page's
//! HTML really has; the markdown twins are the repo's files byte for byte; `/llms.txt` and
//! `/llms-full.txt` list and hold every page; caching headers; no path leaves the docs.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use taos_conformance::docs::{self, DocFile};
use taos_conformance::html;
use taos_conformance::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------
// The docs in the repo

/// The text of the first `# ` heading outside code, as the HTML `<title>` shows it.
fn h1_text(page: &DocFile) -> String {
    let mut in_heading = false;
    let mut title = String::new();
    for event in Parser::new(page.text()) {
        match event {
            Event::Start(Tag::Heading {
                level: pulldown_cmark::HeadingLevel::H1,
                ..
            }) => in_heading = true,
            Event::End(pulldown_cmark::TagEnd::Heading(_)) if in_heading => break,
            Event::Text(t) | Event::Code(t) if in_heading => title.push_str(&t),
            _ => {}
        }
    }
    assert!(!title.is_empty(), "{} has no `# ` title", page.path);
    title
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

// ---------------------------------------------------------------------------------------------
// The served site

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

#[track_caller]
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Links resolve

e2e!(every_doc_url_resolves_to_a_served_heading);
/// Every `doc_url` of the error catalog, of `GET /api` and of the contract (tags' `x-taos-doc`
/// and any `doc_url` in its examples) is a served HTML page with that heading id.
async fn every_doc_url_resolves_to_a_served_heading(s: &Server) {
    let mut site = Site::default();
    let mut problems = Vec::new();

    assert!(taos_server::errors::ALL.len() > 20, "the catalog looks empty");
    for kind in taos_server::errors::ALL {
        if let Err(e) = site.resolve(s, kind.doc_url).await {
            problems.push(format!("errors.rs {}: {e}", kind.slug));
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

// ---------------------------------------------------------------------------------------------
// Pages, twins, llms.txt

e2e!(markdown_twins_are_the_files_byte_for_byte);
/// `/docs/agents/<path>.md` is the repo's file exactly, as `text/markdown`; the HTML page has
/// the H1 as its title, links its twin, and reads as HTML.
async fn markdown_twins_are_the_files_byte_for_byte(s: &Server) {
    for page in docs::files() {
        let resp = s.get(&page.md_url()).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{}", page.md_url());
        assert_eq!(content_type(resp.headers()), "text/markdown; charset=utf-8");
        let served = resp.bytes();
        assert!(
            served == page.bytes.as_slice(),
            "{} differs from docs/agents/{} (rebuild taosd after editing the docs)",
            page.md_url(),
            page.path
        );

        let resp = s.get(&page.html_url()).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{}", page.html_url());
        assert_eq!(content_type(resp.headers()), "text/html; charset=utf-8");
        let html = resp.text();
        let title = h1_text(&page);
        assert_eq!(
            html::unescape(html::text_in(&html, "<title", "</title>")),
            format!("{title} · taOS agent docs"),
            "{}: <title> is not the H1",
            page.html_url()
        );
        let twin = page.md_url();
        assert!(
            html.contains(&format!(
                r#"<link rel="alternate" type="text/markdown" href="{twin}""#
            )),
            "{}: no alternate link to {twin}",
            page.html_url()
        );
        for link in [
            "/docs/agents/",
            "/llms.txt",
            "/openapi.json",
            "/docs/api",
            twin.as_str(),
        ] {
            assert!(
                html.contains(&format!(r#"<a href="{link}">"#)),
                "{}: the header does not link {link}",
                page.html_url()
            );
        }
        let tables = Parser::new_ext(page.text(), pulldown_cmark::Options::ENABLE_TABLES)
            .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
            .count();
        assert_eq!(
            html.matches("<table>").count(),
            tables,
            "{}: every table is rendered as one",
            page.html_url()
        );
        let ids = heading_ids(&html);
        assert!(!ids.is_empty(), "{}: no heading ids", page.html_url());
        for id in &ids {
            assert!(
                html.contains(&format!(r##"href="#{id}""##)),
                "{}: heading {id} has no self-link",
                page.html_url()
            );
        }
    }

    // The index page is README.md, also under its own name.
    let index = served_text(s, "/docs/agents/").await;
    let readme = served_text(s, "/docs/agents/README").await;
    assert_eq!(index, readme);
    assert!(index.contains(r#"href="/docs/agents/README.md""#));
}

e2e!(html_headings_get_github_ids);
/// The heading ids of a served page are GitHub's, duplicates numbered: checked against ids
/// computed here for every heading of every page (the unit tests cover the odd cases).
async fn html_headings_get_github_ids(s: &Server) {
    for page in docs::files() {
        let html = served_text(s, &page.html_url()).await;
        let served = heading_ids(&html);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut want = HashSet::new();
        let mut heading: Option<String> = None;
        for event in Parser::new_ext(page.text(), pulldown_cmark::Options::ENABLE_TABLES) {
            match event {
                Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
                Event::Text(t) | Event::Code(t) => {
                    if let Some(h) = heading.as_mut() {
                        h.push_str(&t);
                    }
                }
                Event::End(pulldown_cmark::TagEnd::Heading(_)) => {
                    let text = heading.take().unwrap_or_default();
                    let base: String = text
                        .trim()
                        .to_lowercase()
                        .chars()
                        .filter_map(|c| match c {
                            ' ' => Some('-'),
                            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                            _ => None,
                        })
                        .collect();
                    let mut id = base.clone();
                    while seen.contains_key(&id) {
                        let n = seen.entry(base.clone()).or_insert(0);
                        *n += 1;
                        id = format!("{base}-{n}");
                    }
                    seen.insert(id.clone(), 0);
                    want.insert(id);
                }
                _ => {}
            }
        }
        assert_eq!(served, want, "{}: heading ids", page.html_url());
    }
}

/// One `- [name](url): notes` line of `/llms.txt`.
type LlmsLink<'a> = (&'a str, &'a str, &'a str);

e2e!(llms_txt_indexes_every_page);
/// `/llms.txt` follows the convention (H1, `> ` summary, `## Docs` / `## API` / `## Optional`
/// link lists), lists every page in reading order with its title and a description, and every
/// link in it answers 200; `/llms-full.txt` holds every page, each after a line naming its URL.
async fn llms_txt_indexes_every_page(s: &Server) {
    let resp = s.get("/llms.txt").send().await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(content_type(resp.headers()), "text/plain; charset=utf-8");
    let txt = resp.text();
    let lines: Vec<&str> = txt.lines().collect();
    assert_eq!(lines[0], "# taOS agent API");
    assert_eq!(lines[1], "");
    assert!(
        lines[2].starts_with("> ") && lines[2].len() > 20,
        "summary: {:?}",
        lines[2]
    );
    for needle in ["Authorization: Bearer", "GET /api", "fix", "doc_url"] {
        assert!(txt.contains(needle), "llms.txt does not mention {needle}");
    }

    // Sections, in order, each a list of `- [name](url): notes` lines.
    let mut sections: Vec<(&str, Vec<LlmsLink>)> = Vec::new();
    for line in &lines {
        if let Some(name) = line.strip_prefix("## ") {
            sections.push((name, Vec::new()));
        } else if let (Some((_, links)), Some(item)) = (sections.last_mut(), line.strip_prefix("- [")) {
            let (name, rest) = item
                .split_once("](")
                .unwrap_or_else(|| panic!("bad link line {line:?}"));
            let (url, notes) = rest
                .split_once(')')
                .unwrap_or_else(|| panic!("bad link line {line:?}"));
            let notes = notes.strip_prefix(": ").unwrap_or(notes);
            links.push((name, url, notes));
        }
    }
    let names: Vec<&str> = sections.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["Docs", "API", "Optional"], "{txt}");

    let docs = &sections[0].1;
    let pages = docs::files();
    let listed: Vec<&str> = docs.iter().map(|(_, url, _)| *url).collect();
    let want: Vec<String> = pages.iter().map(DocFile::md_url).collect();
    assert_eq!(listed, want, "## Docs must list every page in reading order");
    for ((name, _, notes), page) in docs.iter().zip(&pages) {
        assert_eq!(*name, h1_text(page).replace(['[', ']'], ""), "{}", page.path);
        assert!(!notes.trim().is_empty(), "{}: no description", page.path);
        assert!(!notes.contains('\n'));
    }
    let api: Vec<&str> = sections[1].1.iter().map(|(_, url, _)| *url).collect();
    for url in ["/openapi.json", "/openapi.yaml", "/api"] {
        assert!(api.contains(&url), "## API lacks {url}: {api:?}");
    }
    let optional: Vec<&str> = sections[2].1.iter().map(|(_, url, _)| *url).collect();
    assert_eq!(optional, ["/llms-full.txt"]);

    for (_, list) in &sections {
        for (_, url, _) in list {
            let status = s.get(url).send().await.status();
            assert_eq!(status, StatusCode::OK, "llms.txt link {url}");
        }
    }

    let resp = s.get("/llms-full.txt").send().await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(content_type(resp.headers()), "text/plain; charset=utf-8");
    let full = resp.text();
    let mut last = 0;
    for page in &pages {
        let block = format!("<!-- {} -->\n{}", page.md_url(), page.text());
        let at = full
            .find(&block)
            .unwrap_or_else(|| panic!("/llms-full.txt lacks {} after a line naming it", page.path));
        assert!(
            at >= last,
            "{} is out of reading order in /llms-full.txt",
            page.path
        );
        last = at;
    }
}

e2e!(api_index_links_resolve);
/// The URLs `GET /api` gives (`docs_url`, `llms_txt_url`, `openapi_url`) answer 200.
async fn api_index_links_resolve(s: &Server) {
    let index = s.get("/api").send().await.expect_json(200);
    for key in ["docs_url", "llms_txt_url", "openapi_url"] {
        let url = index[key]
            .as_str()
            .unwrap_or_else(|| panic!("GET /api has no {key}"));
        let resp = s.get(url).send().await;
        assert_eq!(resp.status().as_u16(), 200, "{key} {url}");
    }
    assert_eq!(index["docs_url"], "/docs/agents/");
    assert_eq!(index["llms_txt_url"], "/llms.txt");
}

// ---------------------------------------------------------------------------------------------
// HTTP behaviour

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
