//! Search: ranking, stemming, snippets and their sections, hostile queries.

use taos_conformance::*;

use super::{guides_dir, search, use_guides};

/// A raw `GET /api/knowledge/search` with `q` (and more query pairs), for inputs the SDK
/// would refuse to send.
async fn search_raw(s: &Server, token: &str, query: &[(&str, &str)]) -> Response {
    s.get("/api/knowledge/search")
        .bearer(token)
        .query(query)
        .send()
        .await
}

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
