//! Ingest: the docs as `taos-core`, stable across restarts, app guides coming and going, replicas at once.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;
use taos_conformance::*;

use super::{get_item, guides_dir, list_all, nz, title_of, use_guides};

/// Full items of a source, by source_url.
async fn snapshot(client: &taos_client::Client, source_id: &str) -> BTreeMap<String, types::KnowledgeItem> {
    let mut out = BTreeMap::new();
    for k in list_all(client, None, Some(source_id), 200).await {
        out.insert(k.source_url.clone(), get_item(client, k.id).await);
    }
    out
}

/// The text after the title heading, whitespace collapsed, cut at 200 characters.
fn summary_of(text: &str) -> String {
    let body = text
        .trim_start()
        .strip_prefix("# ")
        .map_or(text, |t| t.split_once('\n').map_or("", |(_, rest)| rest));
    let head: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    head.trim_end().to_string()
}

e2e!(docs_are_ingested_as_taos_core);
/// The `taos-core` items are exactly the files under `docs/agents/`: same count, paths,
/// titles, summaries, content and doc URLs; listing pages through them in id order.
async fn docs_are_ingested_as_taos_core(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let files = docs::files();

    let items = list_all(&client, None, Some("taos-core"), 3).await;
    assert_eq!(items.len(), files.len(), "one item per doc file");
    let ids: Vec<_> = items.iter().map(|k| k.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "oldest first, by id");
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "paging repeats no item"
    );
    // The single-page listing agrees with the paged one.
    let whole = client.list_knowledge_items().limit(nz(200)).send().await.value();
    assert_eq!(whole.next_cursor, None);
    assert_eq!(whole.items, items);
    let first = client.list_knowledge_items().limit(nz(3)).send().await.value();
    assert_eq!(first.items.len(), 3);
    assert_eq!(
        first.next_cursor,
        Some(first.items[2].id),
        "the cursor is the last id"
    );

    let by_path: BTreeMap<&str, &types::KnowledgeItemSummary> =
        items.iter().map(|k| (k.source_url.as_str(), k)).collect();
    for f in &files {
        let k = by_path
            .get(f.path.as_str())
            .unwrap_or_else(|| panic!("{} was not ingested", f.path));
        assert_eq!(k.title, title_of(&f.path, f.text()), "{}", f.path);
        assert_eq!(k.summary, summary_of(f.text()), "{}", f.path);
        assert_eq!(k.category, "agent-docs");
        assert_eq!(k.source_id, "taos-core");
        assert_eq!(k.doc_url.as_deref(), Some(docs::html_url(&f.path).as_str()));
        let full = get_item(&client, k.id).await;
        assert_eq!(full.content, f.text(), "{}: content is the whole file", f.path);
        assert_eq!(full.title, k.title);
        assert_eq!(full.updated_at, k.updated_at);
        assert!(full.created_at <= full.updated_at);
        // The served page the item points at exists.
        let page = s.get(&docs::html_url(&f.path)).send().await;
        assert_eq!(
            page.status().as_u16(),
            200,
            "{} is served",
            docs::html_url(&f.path)
        );
    }
    // With no guides configured, taos-core is all there is.
    assert_eq!(list_all(&client, None, None, 200).await, items);
}

e2e!(restart_changes_nothing);
/// Ingesting again (a restart) keeps every id, `created_at` and `updated_at`.
async fn restart_changes_nothing(s: &Server) {
    let admin = s.setup_admin().await;
    let before = snapshot(&s.client(&admin.token), "taos-core").await;
    s.restart().await;
    let after = snapshot(&s.client(&admin.token), "taos-core").await;
    assert_eq!(after, before);
}

e2e!(app_guides_come_and_go);
/// Guide directories are ingested as `app:<slug>` beside taos-core without touching it; a
/// changed guide is updated in place; an app whose directory is gone loses its guides and
/// nothing else.
async fn app_guides_come_and_go(s: &Server) {
    let admin = s.setup_admin().await;
    let core = snapshot(&s.client(&admin.token), "taos-core").await;
    let guides = guides_dir();
    // An entry that does not exist and one that is empty, as PATH may have.
    let missing = guides.path().join("no-such-dir");
    let dirs = format!("{}::{}", missing.display(), guides.path().display());
    s.set_env("TAOS_GUIDES_DIR", &dirs);
    s.restart().await;
    let client = s.client(&admin.token);

    assert_eq!(snapshot(&client, "taos-core").await, core, "taos-core untouched");
    let notes = snapshot(&client, "app:notes").await;
    assert_eq!(
        notes.keys().collect::<Vec<_>>(),
        ["README.md", "howto/tagging.md"]
    );
    assert_eq!(notes["README.md"].title, "Notes app");
    assert_eq!(
        notes["howto/tagging.md"].title, "tagging.md",
        "no H1: the file name"
    );
    for k in notes.values() {
        assert_eq!(k.category, "agent-docs");
        assert_eq!(k.doc_url, None, "app guides are not served by taosd");
    }
    let weather = snapshot(&client, "app:weather").await;
    assert_eq!(weather.keys().collect::<Vec<_>>(), ["barometer.md", "station.md"]);
    let all = list_all(&client, None, None, 200).await;
    assert_eq!(all.len(), core.len() + notes.len() + weather.len());

    // Change one guide, remove the weather app.
    let tagging = guides.path().join("notes/howto/tagging.md");
    std::fs::write(&tagging, "# Tagging\n\nTag notes with #words.\n").unwrap();
    std::fs::remove_dir_all(guides.path().join("weather")).unwrap();
    s.restart().await;
    let client = s.client(&admin.token);

    assert!(
        snapshot(&client, "app:weather").await.is_empty(),
        "an uninstalled app's guides are gone"
    );
    assert_eq!(snapshot(&client, "taos-core").await, core, "taos-core untouched");
    let notes_after = snapshot(&client, "app:notes").await;
    assert_eq!(
        notes_after["README.md"], notes["README.md"],
        "unchanged guide untouched"
    );
    let (old, new) = (&notes["howto/tagging.md"], &notes_after["howto/tagging.md"]);
    assert_eq!(new.id, old.id, "a changed guide keeps its id");
    assert_eq!(new.created_at, old.created_at);
    assert!(
        new.updated_at > old.updated_at,
        "updated_at moves when the content changes"
    );
    assert_eq!(new.title, "Tagging");
    assert_eq!(new.content, "# Tagging\n\nTag notes with #words.\n");

    // Without TAOS_GUIDES_DIR no app is installed.
    s.set_env("TAOS_GUIDES_DIR", "");
    s.restart().await;
    let client = s.client(&admin.token);
    assert!(snapshot(&client, "app:notes").await.is_empty());
    assert_eq!(snapshot(&client, "taos-core").await, core);
}

e2e!(postgres_only: replicas_ingest_at_once);
/// Several replicas starting at once on one PostgreSQL all ingest without error and leave
/// one copy of each document, with the first replica's ids.
async fn replicas_ingest_at_once(primary: &Server) {
    let guides = guides_dir();
    use_guides(primary, guides.path()).await;
    let admin = primary.setup_admin().await;
    let before: Value = primary
        .get("/api/knowledge?limit=200")
        .bearer(&admin.token)
        .send()
        .await
        .expect_json(200);
    std::fs::write(guides.path().join("notes/new.md"), "# New guide\n").unwrap();
    let (a, b, c) = tokio::join!(
        primary.start_replica(),
        primary.start_replica(),
        primary.start_replica()
    );
    for r in [&a, &b, &c] {
        assert!(
            !r.stderr().contains("ERROR"),
            "a replica failed to ingest:\n{}",
            r.stderr()
        );
    }
    let after = list_all(&a.client(&admin.token), None, None, 200).await;
    let before: Vec<types::KnowledgeItemSummary> = serde_json::from_value(before["items"].clone()).unwrap();
    assert_eq!(
        after.len(),
        before.len() + 1,
        "one copy of each, plus the new guide"
    );
    for k in &before {
        assert!(after.iter().any(|x| x.id == k.id && x.updated_at == k.updated_at));
    }
    let keys: HashSet<_> = after.iter().map(|k| (&k.source_id, &k.source_url)).collect();
    assert_eq!(keys.len(), after.len());
    for r in [a, b, c] {
        r.stop().await;
    }
}
