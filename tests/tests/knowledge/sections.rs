//! Hits by section: each hit's snippet, section and anchor come from the one section of its
//! document that matches best, cut at ingest, never from text across two sections.

use taos_conformance::*;

use super::{get_item, search, use_guides};

/// A guide whose words sit in known sections: `heron` in the text of "Ducks" once and in the
/// heading of "Herons"; `pelican` only in "Pelicans".
fn birds_guide() -> tempfile::TempDir {
    let guides = tempfile::tempdir().expect("tempdir");
    let app = guides.path().join("birds");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(
        app.join("shore.md"),
        "# Shore birds\n\nWhat lives on the shore.\n\n## Ducks\n\nDucks swim in the shallows \
         while a heron\n\n## Herons\n\nwaits without moving.\n\n## Pelicans\n\nA pelican \
         scoops fish into its pouch.\n",
    )
    .unwrap();
    guides
}

/// The text of the section under `heading` in `content`: from its heading line to the next
/// `## ` heading.
fn section_text<'a>(content: &'a str, heading: &str) -> &'a str {
    let start = content
        .find(&format!("## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let rest = &content[start..];
    rest[3..].find("\n## ").map_or(rest, |end| &rest[..end + 4])
}

/// The snippet's own words, marks and ellipses taken out.
fn snippet_words(snippet: &str) -> Vec<String> {
    snippet
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

e2e!(a_word_in_one_section_yields_that_section);
/// A word found in one section only yields that section; a word that also names a section's
/// heading yields the section it names, and its snippet holds no text of another section.
async fn a_word_in_one_section_yields_that_section(s: &Server) {
    let guides = birds_guide();
    use_guides(s, guides.path()).await;
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);

    let pelican = search(&client, "pelican", None, Some("app:birds")).await;
    assert_eq!(pelican.items.len(), 1, "{pelican:?}");
    assert_eq!(pelican.items[0].section.as_deref(), Some("Pelicans"));
    assert!(pelican.items[0].snippet.contains("[pelican]"), "{pelican:?}");
    assert_eq!(pelican.items[0].doc_url, None, "app guides are not served");

    let heron = search(&client, "heron", None, Some("app:birds")).await;
    assert_eq!(heron.items.len(), 1, "{heron:?}");
    let hit = &heron.items[0];
    assert_eq!(hit.section.as_deref(), Some("Herons"), "{hit:?}");
    let content = get_item(&client, hit.id).await.content;
    let own: Vec<String> = snippet_words(section_text(&content, "Herons"));
    for word in snippet_words(&hit.snippet) {
        assert!(
            own.contains(&word),
            "{word:?} of the snippet {:?} is not in the section's text",
            hit.snippet
        );
    }
}

e2e!(revoke_token_leads_to_the_section_about_revoking);
/// Over the real docs, the best hit for "revoke token" is the token recipe's section on
/// revoking, linked by its heading's anchor; the agents recipe's own revoking section is a
/// hit too.
async fn revoke_token_leads_to_the_section_about_revoking(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let hits = search(&client, "revoke token", None, Some("taos-core")).await;
    let best = hits.items.first().expect("hits");
    assert_eq!(best.source_url, "recipes/issuing-tokens.md", "{hits:?}");
    assert_eq!(best.section.as_deref(), Some("Revoke the token"), "{best:?}");
    assert_eq!(
        best.doc_url.as_deref(),
        Some("/docs/agents/recipes/issuing-tokens#revoke-the-token")
    );
    assert!(
        best.snippet.to_lowercase().contains("[revoke"),
        "{:?}",
        best.snippet
    );
    let agents = hits
        .items
        .iter()
        .find(|h| h.source_url == "recipes/managing-agents.md")
        .expect("the agents recipe is a hit");
    assert_eq!(agents.section.as_deref(), Some("Revoke a token"), "{agents:?}");
}
