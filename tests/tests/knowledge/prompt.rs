//! The helper agent's system prompt: the docs in reading order, else the built-in manual.

use taos_conformance::*;

use super::{get_item, guides_dir, list_all, title_of, use_guides};

e2e!(system_prompt_is_the_docs_in_reading_order);
/// The prompt is every agent-docs item — taos-core in reading order, then app guides by
/// source and path — as `## <title>` and content joined by `---`; with no agent docs it is
/// the built-in manual.
async fn system_prompt_is_the_docs_in_reading_order(s: &Server) {
    let guides = guides_dir();
    use_guides(s, guides.path()).await;
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let files = docs::files();

    let p = client.get_system_prompt().send().await.value();
    assert!(!p.fallback);
    let mut expected: Vec<(String, String)> = files
        .iter()
        .map(|f| ("taos-core".to_string(), f.path.clone()))
        .collect();
    for (src, path) in [
        ("app:notes", "README.md"),
        ("app:notes", "howto/tagging.md"),
        ("app:weather", "barometer.md"),
        ("app:weather", "station.md"),
    ] {
        expected.push((src.to_string(), path.to_string()));
    }
    let got: Vec<(String, String)> = p
        .sources
        .iter()
        .map(|src| (src.source_id.clone(), src.source_url.clone()))
        .collect();
    assert_eq!(got, expected, "sources in prompt order");

    // The prompt is exactly the sources' sections, in that order.
    let mut sections = Vec::new();
    for src in &p.sources {
        let item = get_item(&client, src.id).await;
        assert_eq!(item.title, src.title);
        sections.push(format!("## {}\n\n{}", item.title, item.content));
    }
    assert_eq!(p.prompt, sections.join("\n\n---\n\n"));
    let mut at = 0;
    for f in &files {
        let heading = format!("## {}\n\n", title_of(&f.path, f.text()));
        let found = p.prompt[at..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading:?} missing or out of order"));
        at += found + heading.len();
    }
    assert!(
        p.prompt
            .starts_with(&format!("## {}\n\n", title_of(&files[0].path, files[0].text())))
    );

    // No agent docs at all: the built-in manual.
    let deleted = s
        .sql_execute("DELETE FROM knowledge_items WHERE category = 'agent-docs'", &[])
        .await;
    assert_eq!(deleted as usize, files.len() + 4);
    let p = client.get_system_prompt().send().await.value();
    assert!(p.fallback);
    assert!(p.sources.is_empty());
    assert!(p.prompt.starts_with("# taOS helper manual"), "{}", p.prompt);
    for must in [
        "Authorization: Bearer",
        "GET /api",
        "/llms.txt",
        "/docs/agents/",
        "fix",
        "doc_url",
        "next_cursor",
        "Idempotency-Key",
    ] {
        assert!(p.prompt.contains(must), "the manual mentions {must}");
    }
    assert!(list_all(&client, None, None, 50).await.is_empty());

    // The next start ingests the docs again.
    s.restart().await;
    let client = s.client(&admin.token);
    let p = client.get_system_prompt().send().await.value();
    assert!(!p.fallback);
    assert_eq!(p.sources.len(), files.len() + 4);
}
