//! The pages: markdown twins byte for byte, GitHub heading ids, `/llms.txt`, `GET /api`'s links.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag};
use reqwest::StatusCode;
use taos_conformance::docs::{self, DocFile};
use taos_conformance::html;
use taos_conformance::*;

use super::{content_type, heading_ids, served_text};

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
