//! Markdown headings as GitHub shows them: the options the docs are parsed with, the heading ids
//! (github-slugger's rules), and the sections of a page. One definition serves the HTML pages
//! (`web::markdown`) and the knowledge store's sections (`domain::knowledge`, at ingest), so a
//! search hit's `#anchor` is always an id of the served page.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// How the docs are parsed: GFM tables, strikethrough, task lists.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The text a reader sees in a run of inline events: text and code spans, line breaks as spaces.
pub fn plain_text(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events {
        match e {
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

/// GitHub's heading ids (github-slugger): lowercase; letters, digits, `-` and `_` kept; each
/// space becomes `-`; everything else dropped; a repeated id gets `-1`, `-2`, … appended.
#[derive(Default)]
pub struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    pub fn slug(&mut self, heading: &str) -> String {
        let base = slugify(heading);
        let mut id = base.clone();
        // As github-slugger does: count per base, and skip numbers another heading already took
        // (a literal "A-1" heading before the second "A").
        while self.seen.contains_key(&id) {
            let n = self.seen.entry(base.clone()).or_insert(0);
            *n += 1;
            id = format!("{base}-{n}");
        }
        self.seen.insert(id.clone(), 0);
        id
    }
}

/// One heading's id, without de-duplication.
fn slugify(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// One heading of a page, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
    /// The text a reader sees.
    pub text: String,
    /// Its id on the served HTML page.
    pub id: String,
    /// Byte offset in the markdown where the heading starts.
    pub start: usize,
}

/// Every heading of `text` (code fences excluded, as a markdown parser sees them) with the id
/// the served page gives it.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut slugger = Slugger::default();
    let mut out = Vec::new();
    let mut open: Option<(u8, usize, Vec<Event>)> = None;
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                open = Some((level_number(level), range.start, Vec::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, events)) = open.take() {
                    let text = plain_text(&events).trim().to_string();
                    let id = slugger.slug(&text);
                    out.push(Heading {
                        level,
                        text,
                        id,
                        start,
                    });
                }
            }
            other => {
                if let Some((_, _, events)) = open.as_mut() {
                    events.push(other);
                }
            }
        }
    }
    out
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The sections of a page in order, end to end: the text before its first section heading
/// (level 2 or deeper; None, and left out when blank), then each such heading with the text up
/// to the next one, heading line included. What a search hit's section and anchor come from.
pub fn sections(text: &str) -> Vec<(Option<Heading>, Range<usize>)> {
    let mut out = Vec::new();
    let mut open: (Option<Heading>, usize) = (None, 0);
    for h in headings(text).into_iter().filter(|h| h.level >= 2) {
        let start = h.start;
        let (heading, from) = std::mem::replace(&mut open, (Some(h), start));
        if heading.is_some() || !text[from..start].trim().is_empty() {
            out.push((heading, from..start));
        }
    }
    let (heading, from) = open;
    if heading.is_some() || !text[from..].trim().is_empty() {
        out.push((heading, from..text.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(headings: &[&str]) -> Vec<String> {
        let mut s = Slugger::default();
        headings.iter().map(|h| s.slug(h)).collect()
    }

    #[test]
    fn heading_ids_match_github() {
        assert_eq!(
            ids(&[
                "Issue a token",
                "The helper agent's system prompt",
                "`GET /api`",
                "Start / stop",
                "Errors: 4xx & 5xx",
                "snake_case and kebab-case",
                "Ünïcode Wörds",
                "  Trimmed  ",
            ]),
            [
                "issue-a-token",
                "the-helper-agents-system-prompt",
                "get-api",
                "start--stop",
                "errors-4xx--5xx",
                "snake_case-and-kebab-case",
                "ünïcode-wörds",
                "trimmed",
            ]
        );
    }

    #[test]
    fn repeated_headings_are_numbered_like_github() {
        assert_eq!(
            ids(&["Example", "Example", "Example", "Example 1", "Example-1"]),
            ["example", "example-1", "example-2", "example-1-1", "example-1-2"]
        );
        assert_eq!(ids(&["A-1", "A", "A"]), ["a-1", "a", "a-2"]);
    }

    #[test]
    fn headings_carry_their_page_ids_and_offsets() {
        let text = "# Title\n\nIntro.\n\n## Issue a token\n\nText.\n\n```bash\n# not a heading\n```\n\n### `GET /api`\n\n## Issue a token\n";
        let hs = headings(text);
        let ids: Vec<(u8, &str)> = hs.iter().map(|h| (h.level, h.id.as_str())).collect();
        assert_eq!(
            ids,
            [
                (1, "title"),
                (2, "issue-a-token"),
                (3, "get-api"),
                (2, "issue-a-token-1")
            ]
        );
        assert_eq!(&text[hs[1].start..hs[1].start + 2], "##");
    }

    #[test]
    fn sections_cover_the_page_at_its_section_headings() {
        let text = "# Title\n\nIntro.\n\n## Issue a token\n\nText.\n\n```bash\n# not a heading\n```\n\n### `GET /api`\n\nMore.\n\n## Issue a token\n";
        let ss = sections(text);
        let got: Vec<(Option<&str>, &str)> = ss
            .iter()
            .map(|(h, r)| (h.as_ref().map(|h| h.id.as_str()), &text[r.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                (None, "# Title\n\nIntro.\n\n"),
                (
                    Some("issue-a-token"),
                    "## Issue a token\n\nText.\n\n```bash\n# not a heading\n```\n\n"
                ),
                (Some("get-api"), "### `GET /api`\n\nMore.\n\n"),
                (Some("issue-a-token-1"), "## Issue a token\n"),
            ]
        );
        // A page that starts at its first section has no intro; one with no heading is one
        // section; an empty page has none.
        assert_eq!(
            sections("## A\n\nx")[0].0.as_ref().map(|h| h.text.as_str()),
            Some("A")
        );
        assert_eq!(sections("## A\n\nx").len(), 1);
        let plain = sections("just text");
        assert_eq!(
            (plain.len(), plain[0].0.is_none(), plain[0].1.clone()),
            (1, true, 0..9)
        );
        assert!(sections("  \n").is_empty());
    }
}
