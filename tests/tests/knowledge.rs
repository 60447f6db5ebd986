//! The knowledge store: the embedded docs ingested as `taos-core`, apps' guides from
//! `TAOS_GUIDES_DIR` as `app:<slug>`, list / get / search over them, and the helper agent's
//! system prompt.

use std::collections::{BTreeMap, HashSet};
use std::num::NonZeroU64;
use std::path::Path;

use serde_json::{Value, json};
use taos_conformance::*;

// ---------- what the docs on disk say ----------

/// The first `# ` heading outside code fences, else the file name.
fn title_of(path: &str, text: &str) -> String {
    let mut fence = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence
            && let Some(rest) = t.strip_prefix("# ")
            && !rest.trim().is_empty()
        {
            return rest.trim().to_string();
        }
    }
    path.rsplit('/').next().unwrap_or(path).to_string()
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

// ---------- helpers ----------

fn nz(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).expect("non-zero")
}

/// Every item of a list, following cursors `page` items at a time.
async fn list_all(
    client: &taos_client::Client,
    category: Option<&str>,
    source_id: Option<&str>,
    page: u64,
) -> Vec<types::KnowledgeItemSummary> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let mut req = client.list_knowledge_items().limit(nz(page));
        if let Some(c) = category {
            req = req.category(c);
        }
        if let Some(s) = source_id {
            req = req.source_id(s);
        }
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let got = req.send().await.value();
        assert!(
            got.items.len() as u64 <= page,
            "a page holds at most `limit` items"
        );
        all.extend(got.items);
        cursor = got.next_cursor;
        if cursor.is_none() {
            return all;
        }
    }
    panic!("paging did not end");
}

async fn get_item(client: &taos_client::Client, id: uuid::Uuid) -> types::KnowledgeItem {
    client.get_knowledge_item().id(id).send().await.value()
}

async fn search(
    client: &taos_client::Client,
    q: &str,
    category: Option<&str>,
    source_id: Option<&str>,
) -> types::KnowledgeSearchResults {
    let mut req = client.search_knowledge().q(q).limit(nz(50));
    if let Some(c) = category {
        req = req.category(c);
    }
    if let Some(s) = source_id {
        req = req.source_id(s);
    }
    req.send().await.value()
}

/// A raw `GET /api/knowledge/search` with `q` (and more query pairs), for inputs the SDK
/// would refuse to send.
async fn search_raw(s: &Server, token: &str, query: &[(&str, &str)]) -> Response {
    s.get("/api/knowledge/search")
        .bearer(token)
        .query(query)
        .send()
        .await
}

/// Full items of a source, by source_url.
async fn snapshot(client: &taos_client::Client, source_id: &str) -> BTreeMap<String, types::KnowledgeItem> {
    let mut out = BTreeMap::new();
    for k in list_all(client, None, Some(source_id), 200).await {
        out.insert(k.source_url.clone(), get_item(client, k.id).await);
    }
    out
}

/// A guides directory: `notes/` with two guides (one nested) and `weather/` with one.
fn guides_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(notes.join("howto")).unwrap();
    std::fs::write(
        notes.join("README.md"),
        "# Notes app\n\nThe notes app keeps the user's quick notes. Agents add a note with the notes API.\n",
    )
    .unwrap();
    std::fs::write(
        notes.join("howto/tagging.md"),
        "Tag notes with #words to find them later.\n",
    )
    .unwrap();
    let weather = dir.path().join("weather");
    std::fs::create_dir_all(&weather).unwrap();
    std::fs::write(
        weather.join("barometer.md"),
        "# Barometer calibration\n\nCalibrate the barometer once a month against the airport reading.\n",
    )
    .unwrap();
    std::fs::write(
        weather.join("station.md"),
        "# Weather station\n\nThe station has a thermometer, a rain gauge and two barometers; \
         each barometer reports every minute.\n",
    )
    .unwrap();
    dir
}

async fn use_guides(s: &Server, dir: &Path) {
    // Once taosd has answered a request it is serving, and so handles SIGTERM gracefully.
    s.get("/api/health").send().await;
    s.set_env("TAOS_GUIDES_DIR", dir.to_str().expect("UTF-8 temp path"));
    s.restart().await;
}

// ---------- ingest ----------

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

// ---------- filters ----------

/// Inserts one `web-clip` item straight into the database (the API cannot create items);
/// returns its id.
async fn insert_web_clip(s: &Server) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    let id_sql = match s.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        _ => format!("'{id}'"),
    };
    let sql = format!(
        "INSERT INTO knowledge_items (id, source_id, source_url, category, title, summary, content, \
         content_hash, doc_url, created_at, updated_at) VALUES ({id_sql}, 'clipper', \
         'https://example.com/zebra', 'web-clip', 'Zebra tokens', 'A clipped page.', \
         'A clipped page about zebras and their tokens.', 'x', NULL, '{at}', '{at}')"
    );
    assert_eq!(s.sql_execute(&sql, &[]).await, 1);
    id
}

e2e!(category_and_source_filters_really_filter);
/// `category` and `source_id` narrow lists and searches, before the limit.
async fn category_and_source_filters_really_filter(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let clip = insert_web_clip(s).await;
    let doc_count = docs::files().len();

    let agent_docs = list_all(&client, Some("agent-docs"), None, 2).await;
    assert_eq!(agent_docs.len(), doc_count);
    assert!(agent_docs.iter().all(|k| k.category == "agent-docs"));
    let clips = list_all(&client, Some("web-clip"), None, 2).await;
    assert_eq!(clips.iter().map(|k| k.id).collect::<Vec<_>>(), [clip]);
    assert_eq!(clips[0].doc_url, None);
    assert_eq!(list_all(&client, None, None, 50).await.len(), doc_count + 1);
    assert_eq!(
        list_all(&client, None, Some("clipper"), 50).await.len(),
        1,
        "source_id filters too"
    );
    assert!(
        list_all(&client, Some("web-clip"), Some("taos-core"), 50)
            .await
            .is_empty()
    );
    assert!(
        list_all(&client, Some("no-such-category"), None, 50)
            .await
            .is_empty()
    );
    assert_eq!(get_item(&client, clip).await.title, "Zebra tokens");

    // "token" is in the clip and in many docs.
    let all = search(&client, "tokens", None, None).await;
    assert!(all.items.iter().any(|h| h.id == clip));
    assert!(all.items.iter().any(|h| h.source_id == "taos-core"));
    let only_docs = search(&client, "tokens", Some("agent-docs"), None).await;
    assert!(!only_docs.items.is_empty());
    assert!(
        only_docs.items.iter().all(|h| h.category == "agent-docs"),
        "category=agent-docs excludes the clip"
    );
    let only_clips = search(&client, "tokens", Some("web-clip"), None).await;
    assert_eq!(only_clips.items.iter().map(|h| h.id).collect::<Vec<_>>(), [clip]);
    let by_source = search(&client, "tokens", None, Some("clipper")).await;
    assert_eq!(by_source.items.iter().map(|h| h.id).collect::<Vec<_>>(), [clip]);
    // Filters apply before the limit: one hit asked for, and it is the clip, whatever ranks
    // higher elsewhere.
    let one = client
        .search_knowledge()
        .q("tokens")
        .category("web-clip")
        .limit(nz(1))
        .send()
        .await
        .value();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].id, clip);
    assert!(
        search(&client, "zebra", Some("agent-docs"), None)
            .await
            .items
            .is_empty()
    );

    // The system prompt is built from agent docs only.
    let prompt = client.get_system_prompt().send().await.value();
    assert!(prompt.sources.iter().all(|src| src.id != clip));
    assert!(!prompt.prompt.contains("zebras"));
}

// ---------- search ----------

e2e!(search_ranks_titles_first_and_stems);
/// A page whose title has the word ranks above one that only mentions it; `tokens` finds
/// `token`; every word must match; snippets mark the matched words with `[` `]`; 10 hits
/// unless `limit` says otherwise.
async fn search_ranks_titles_first_and_stems(s: &Server) {
    let guides = guides_dir();
    // An app with more guides on one word than a search answers by default.
    let zoo = guides.path().join("zoo");
    std::fs::create_dir(&zoo).unwrap();
    for i in 0..12 {
        std::fs::write(
            zoo.join(format!("q{i:02}.md")),
            format!("# Quokka {i}\n\nQuokka fact {i}.\n"),
        )
        .unwrap();
    }
    use_guides(s, guides.path()).await;
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);

    let hits = search(&client, "barometer", None, None).await;
    assert_eq!(hits.query, "barometer");
    let paths: Vec<&str> = hits.items.iter().map(|h| h.source_url.as_str()).collect();
    assert_eq!(
        paths,
        ["barometer.md", "station.md"],
        "title match first; `barometers` matched by its stem: {hits:?}"
    );
    assert!(hits.items[0].score > hits.items[1].score);
    assert_eq!(hits.items[0].title, "Barometer calibration");
    assert_eq!(hits.items[0].source_id, "app:weather");
    for h in &hits.items {
        assert!(
            h.snippet.to_lowercase().contains("[barometer"),
            "snippet marks the word: {:?}",
            h.snippet
        );
    }

    // Every word must appear.
    let both = search(&client, "barometer calibration", None, None).await;
    assert_eq!(
        both.items
            .iter()
            .map(|h| h.source_url.as_str())
            .collect::<Vec<_>>(),
        ["barometer.md"]
    );
    assert!(
        search(&client, "barometer zanzibar", None, None)
            .await
            .items
            .is_empty()
    );

    // Stemming over the real docs: `tokens` finds pages that say `token`.
    let tokens = search(&client, "tokens", Some("agent-docs"), Some("taos-core")).await;
    assert!(tokens.items.len() >= 3, "{tokens:?}");
    assert!(
        tokens.items.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    for h in &tokens.items {
        assert!(
            h.snippet.contains('[') && h.snippet.contains(']'),
            "{:?}",
            h.snippet
        );
        assert!(h.snippet.to_lowercase().contains("[token"), "{:?}", h.snippet);
        assert!(
            h.doc_url
                .as_deref()
                .is_some_and(|u| u.starts_with("/docs/agents/"))
        );
    }
    // The limit caps the hits, 10 by default: the best 10 of the 12.
    let every = search(&client, "quokka", None, None).await;
    assert_eq!(every.items.len(), 12, "{every:?}");
    let capped = client.search_knowledge().q("quokka").send().await.value();
    assert_eq!(capped.items, every.items[..10]);
}

e2e!(hits_point_at_the_section_of_their_snippet);
/// A hit names the heading its snippet sits under, and `doc_url` ends in that heading's id on
/// the served page; an app guide (not served) still names its section; text before the first
/// heading has none.
async fn hits_point_at_the_section_of_their_snippet(s: &Server) {
    let guides = tempfile::tempdir().expect("tempdir");
    let app = guides.path().join("garden");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(
        app.join("watering.md"),
        "# Watering\n\nThe garden app waters plants.\n\n## Schedules\n\nA schedule waters the \
         tomatoes at dawn.\n\n## Schedules\n\nA second schedule waters the marrows at dusk.\n",
    )
    .unwrap();
    use_guides(s, guides.path()).await;
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);

    let tomatoes = search(&client, "tomatoes", None, Some("app:garden")).await;
    assert_eq!(tomatoes.items.len(), 1, "{tomatoes:?}");
    assert_eq!(tomatoes.items[0].section.as_deref(), Some("Schedules"));
    assert_eq!(tomatoes.items[0].doc_url, None, "app guides are not served");
    let marrows = search(&client, "marrows", None, Some("app:garden")).await;
    assert_eq!(
        marrows.items[0].section.as_deref(),
        Some("Schedules"),
        "{marrows:?}"
    );
    let intro = search(&client, "plants", None, Some("app:garden")).await;
    assert_eq!(
        intro.items[0].section, None,
        "before the first heading: {intro:?}"
    );

    // Over the real docs every anchor is an id of the served page, under that heading.
    let mut anchored = 0;
    for q in [
        "rotate token",
        "revoke",
        "idempotency key",
        "cursor",
        "scope denied",
    ] {
        for h in search(&client, q, None, Some("taos-core")).await.items {
            let url = h.doc_url.clone().expect("taos-core pages are served");
            let Some((page, id)) = url.split_once('#') else {
                assert_eq!(h.section, None, "no anchor means no section: {h:?}");
                continue;
            };
            let section = h.section.clone().expect("an anchor comes with its section");
            let html = s.get(page).send().await.text();
            let tag = format!(" id=\"{id}\"");
            let at = html
                .find(&tag)
                .unwrap_or_else(|| panic!("{page} has no id {id}: {h:?}"));
            // The heading's text as shown, less the `#` self-link at its end.
            let shown = html::text_of(html::text_in(&html[at..], "", "</h"));
            let shown = shown.trim_end().trim_end_matches('#').trim();
            assert_eq!(
                shown, section,
                "{url}: the heading with that id and the hit's section"
            );
            anchored += 1;
        }
    }
    assert!(anchored >= 5, "most hits land in a section ({anchored})");
}

e2e!(hostile_queries_never_fail_the_server);
/// `q` is plain words: query syntax, punctuation, emoji and long inputs are answered 200 or
/// 400 `invalid_search_query`, never a 5xx; out-of-range limits are rejected.
async fn hostile_queries_never_fail_the_server(s: &Server) {
    let admin = s.setup_admin().await;
    let t = admin.token.as_str();
    let long = "token ".repeat(84);
    let long = long[..500].to_string();
    let with_words = [
        "NEAR(a b)",
        "a OR",
        "OR",
        "-x",
        "title:x",
        "content:token",
        "token*",
        "\"token",
        "a AND NOT b",
        "(token",
        "^token",
        "token 🚀",
        "' OR 1=1 --",
        "100%_done",
        long.as_str(),
    ];
    for q in with_words {
        let resp = search_raw(s, t, &[("q", q)]).await;
        let body = resp.expect_json(200);
        assert_eq!(body["query"], q);
        assert!(body["items"].is_array(), "{q:?}: {body}");
    }
    let token_hits = search_raw(s, t, &[("q", "token 🚀")]).await.expect_json(200);
    assert!(
        !token_hits["items"].as_array().unwrap().is_empty(),
        "emoji only separates words"
    );

    for q in ["\"", "*", "🚀", "!?.,;:-()[]{}", "…", "\"\"", "   \"  "] {
        let err = search_raw(s, t, &[("q", q)])
            .await
            .expect_error(400, "invalid_search_query");
        assert!(err.detail().contains("no word"), "{q:?}: {}", err.detail());
    }
    for q in ["", " ", "\t\n"] {
        search_raw(s, t, &[("q", q)])
            .await
            .expect_error(400, "invalid_search_query");
    }
    search_raw(s, t, &[])
        .await
        .expect_error(400, "invalid_search_query");
    let too_long = "a".repeat(501);
    search_raw(s, t, &[("q", too_long.as_str())])
        .await
        .expect_error(400, "invalid_search_query");
    for limit in ["0", "51", "-1", "ten"] {
        let err = search_raw(s, t, &[("q", "token"), ("limit", limit)])
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], "limit");
    }
    let fifty = search_raw(s, t, &[("q", "the"), ("limit", "50")])
        .await
        .expect_json(200);
    assert!(fifty["items"].as_array().unwrap().len() <= 50);

    // Filters are text with no NUL (PostgreSQL could not compare one): refused up front, on
    // the list as on the search.
    for (key, value) in [("category", "agent\0docs"), ("source_id", "\0")] {
        let err = search_raw(s, t, &[("q", "token"), (key, value)])
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], key);
        let err = s
            .get("/api/knowledge")
            .bearer(t)
            .query(&[(key, value)])
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], key);
    }
}

// ---------- errors and access ----------

e2e!(unknown_ids_and_missing_scope);
/// An unknown id is 404 `knowledge_item_not_found`; a token without `knowledge.read` is 403
/// `scope_denied` on every knowledge operation; any user's token with it reads the same,
/// shared knowledge.
async fn unknown_ids_and_missing_scope(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let err = client
        .get_knowledge_item()
        .id(uuid::Uuid::now_v7())
        .send()
        .await
        .api_err(404, "knowledge_item_not_found");
    assert!(err.fix().contains("GET /api/knowledge"), "{}", err.fix());
    s.get("/api/knowledge/not-a-uuid")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(422, "invalid_parameter");

    create_agent(&client, "Notifier").await;
    let narrow = issue_agent_token_with(&client, "notifier", json!({"scope": ["ui.notify"]}))
        .await
        .token;
    let bot = s.client(&narrow);
    let any_id = list_all(&client, None, None, 1).await[0].id;
    let errs = [
        bot.list_knowledge_items()
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.search_knowledge()
            .q("token")
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.get_knowledge_item()
            .id(any_id)
            .send()
            .await
            .api_err(403, "scope_denied"),
        bot.get_system_prompt().send().await.api_err(403, "scope_denied"),
    ];
    for e in errs {
        assert_eq!(e.body["required_scope"], "knowledge.read");
        assert!(e.detail().contains("knowledge.read"), "{}", e.detail());
    }

    // Another user's agent with `knowledge.read` sees the same items.
    let bob = s.add_user(&admin, "bob").await;
    let bob_client = s.client(&bob.token);
    create_agent(&bob_client, "Reader").await;
    let reader = issue_agent_token_with(&bob_client, "reader", json!({"scope": ["knowledge.read"]}))
        .await
        .token;
    let reader = s.client(&reader);
    assert_eq!(
        list_all(&reader, None, None, 200).await,
        list_all(&client, None, None, 200).await
    );
    assert_eq!(get_item(&reader, any_id).await.id, any_id);
    assert!(!search(&reader, "token", None, None).await.items.is_empty());
    reader.get_system_prompt().send().await.value();
    let err = reader.list_agents().send().await.api_err(403, "scope_denied");
    assert_eq!(err.body["required_scope"], "agents.list");
}

// ---------- system prompt ----------

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

// ---------- replicas ----------

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
