//! Markdown → HTML for the agent docs: GFM tables, GitHub-style heading ids with a self-link on
//! every heading, and relative `*.md` links pointing at the served HTML pages. Also the plain
//! text helpers `/llms.txt` needs (a page's first sentence).

use pulldown_cmark::{CowStr, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::{agent_docs, headings};

/// A page rendered for people.
pub struct Rendered {
    /// The HTML of the page body (no `<html>` shell).
    pub html: String,
    /// The plain text of the first `#` heading, for `<title>`.
    pub title: Option<String>,
}

/// Renders the page at `page_path` (relative to `docs/agents/`, e.g. `concepts/errors.md`).
pub fn render(page_path: &str, text: &str) -> Rendered {
    let mut slugger = headings::Slugger::default();
    let mut title = None;
    let mut events: Vec<Event> = Vec::new();
    // A heading's events are held back until its end, when its text (and so its id) is known.
    let mut heading: Option<Vec<Event>> = None;
    for event in Parser::new_ext(text, headings::markdown_options()) {
        let event = rewrite_link(page_path, event);
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(vec![event]),
            Event::End(TagEnd::Heading(level)) => {
                let Some(mut held) = heading.take() else {
                    events.push(event);
                    continue;
                };
                let plain = headings::plain_text(&held[1..]);
                let id = slugger.slug(&plain);
                if level == HeadingLevel::H1 && title.is_none() {
                    title = Some(plain.trim().to_string());
                }
                if let Some(Event::Start(Tag::Heading { id: slot, .. })) = held.first_mut() {
                    *slot = Some(CowStr::from(id.clone()));
                }
                events.extend(held);
                events.push(Event::InlineHtml(CowStr::from(format!(
                    r##" <a class="anchor" href="#{id}" aria-label="Link to this section">#</a>"##
                ))));
                events.push(event);
            }
            other => match heading.as_mut() {
                Some(held) => held.push(other),
                None => events.push(other),
            },
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered { html, title }
}

/// Relative links to another page (`permissions.md#scopes`, `../README.md`) point at the
/// served HTML page instead; other links are left alone.
fn rewrite_link<'a>(page_path: &str, event: Event<'a>) -> Event<'a> {
    let Event::Start(Tag::Link {
        link_type,
        dest_url,
        title,
        id,
    }) = event
    else {
        return event;
    };
    let dest_url = match html_url(page_path, &dest_url) {
        Some(url) => CowStr::from(url),
        None => dest_url,
    };
    Event::Start(Tag::Link {
        link_type,
        dest_url,
        title,
        id,
    })
}

/// The served HTML URL of a relative `*.md` link on the page at `page_path`, or `None` when the
/// link is absolute, not to a `.md` file, or leaves `docs/agents/`.
fn html_url(page_path: &str, link: &str) -> Option<String> {
    if link.is_empty() || link.starts_with(['/', '#']) || link.contains("://") || link.starts_with("mailto:")
    {
        return None;
    }
    let (file, fragment) = match link.split_once('#') {
        Some((f, frag)) => (f, Some(frag)),
        None => (link, None),
    };
    if !file.ends_with(".md") {
        return None;
    }
    let mut url = agent_docs::html_url(&resolve(page_path, file)?);
    if let Some(frag) = fragment {
        url.push('#');
        url.push_str(frag);
    }
    Some(url)
}

/// `rel` resolved against the directory of `page_path`; `None` when it climbs out of the root.
fn resolve(page_path: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = page_path.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
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

/// The first sentence of the page's first paragraph, as plain text with code spans kept in
/// backticks: the one-line description of the page in `/llms.txt`.
pub fn first_sentence(text: &str) -> Option<String> {
    let mut in_paragraph = false;
    let mut out = String::new();
    for event in Parser::new_ext(text, headings::markdown_options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if in_paragraph => break,
            Event::Text(t) if in_paragraph => out.push_str(&t),
            Event::Code(t) if in_paragraph => {
                out.push('`');
                out.push_str(&t);
                out.push('`');
            }
            Event::SoftBreak | Event::HardBreak if in_paragraph => out.push(' '),
            _ => {}
        }
    }
    let out = out.trim();
    if out.is_empty() {
        return None;
    }
    let sentence = cut_after_sentence(out);
    // A paragraph that introduces a list or code block ends in `:`; alone, it reads as a sentence.
    Some(match sentence.strip_suffix(':') {
        Some(s) => format!("{s}."),
        None => sentence.to_string(),
    })
}

/// `text` up to and including its first `.`, `?` or `!` that ends a sentence (followed by a
/// space or the end, and not part of `e.g.`/`i.e.`).
fn cut_after_sentence(text: &str) -> &str {
    let mut in_code = false;
    for (i, c) in text.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '.' | '?' | '!' if !in_code => {
                let end = i + c.len_utf8();
                let at_break = text[end..].chars().next().is_none_or(char::is_whitespace);
                let abbreviation = ["e.g.", "i.e.", "etc."]
                    .iter()
                    .any(|a| text[..end].to_lowercase().ends_with(a));
                if at_break && !abbreviation {
                    return &text[..end];
                }
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_ids_and_self_links() {
        let r = render(
            "concepts/x.md",
            "# The `x` page\n\n## Start / stop\n\n## Start / stop\n\n```md\n# not a heading\n```\n",
        );
        assert_eq!(r.title.as_deref(), Some("The x page"));
        assert!(r.html.contains(r#"<h1 id="the-x-page">"#), "{}", r.html);
        assert!(
            r.html
                .contains(r##"<h2 id="start--stop">Start / stop <a class="anchor" href="#start--stop""##)
        );
        assert!(r.html.contains(r#"<h2 id="start--stop-1">"#));
        assert!(!r.html.contains("not-a-heading"));
    }

    #[test]
    fn relative_md_links_point_at_html_pages() {
        let r = render(
            "concepts/errors.md",
            "[a](idempotency.md#expiry) [b](../README.md) [c](../recipes/x.md) [d](https://e.org/a.md) [e](#here) [f](/openapi.json) [g](../../out.md)",
        );
        for want in [
            r#"href="/docs/agents/concepts/idempotency#expiry""#,
            r#"href="/docs/agents/""#,
            r#"href="/docs/agents/recipes/x""#,
            r#"href="https://e.org/a.md""#,
            r##"href="#here""##,
            r#"href="/openapi.json""#,
            r#"href="../../out.md""#,
        ] {
            assert!(r.html.contains(want), "{want} not in {}", r.html);
        }
        assert_eq!(
            html_url("README.md", "getting-started.md"),
            Some("/docs/agents/getting-started".into())
        );
        assert_eq!(
            html_url("README.md", "README.md#pages"),
            Some("/docs/agents/#pages".into())
        );
    }

    #[test]
    fn tables_render() {
        let r = render("a.md", "| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
    }

    #[test]
    fn first_sentence_is_the_description() {
        assert_eq!(
            first_sentence("# T\n\nThese pages are for agents (e.g. bots). And more.\n").as_deref(),
            Some("These pages are for agents (e.g. bots).")
        );
        assert_eq!(
            first_sentence("# T\n\n```\ncode. x\n```\n\nUse `a.b` to\nwrap lines!\n").as_deref(),
            Some("Use `a.b` to wrap lines!")
        );
        assert_eq!(first_sentence("# Only a title\n"), None);
        assert_eq!(
            first_sentence("# T\n\nEvery list answers one page:\n\n```json\n{}\n```\n").as_deref(),
            Some("Every list answers one page.")
        );
    }
}
