//! `taosctl knowledge …` end to end: the real binary against a real taosd (SQLite), with the
//! token in `TAOS_TOKEN` as an agent would have it.

use serde_json::json;
use taos_conformance::taosctl::{Output, Terminal};
use taos_conformance::*;

/// Runs `taosctl ARGS` against `s` with `token` in TAOS_TOKEN and an empty config dir.
async fn taosctl(s: &Server, token: &str, args: &[&str]) -> Output {
    Terminal::with_token(s, token).run(args, None).await
}

sqlite_e2e!(list_get_search_and_prompt);
async fn list_get_search_and_prompt(s: &Server) {
    let admin = s.setup_admin().await;
    let t = admin.token.as_str();
    let api = s.client(t);
    let all = api
        .list_knowledge_items()
        .limit(std::num::NonZeroU64::new(200).unwrap())
        .send()
        .await
        .value()
        .items;
    assert!(all.len() >= 5);

    // list: --json is the API's page; --all follows cursors; a table for people.
    let page = taosctl(s, t, &["knowledge", "list", "--limit", "2", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["id"], all[0].id.to_string());
    let cursor = page["next_cursor"].as_str().expect("a next page").to_string();
    assert_eq!(cursor, all[1].id.to_string());
    let next = taosctl(
        s,
        t,
        &["knowledge", "list", "--limit", "2", "--cursor", &cursor, "--json"],
    )
    .await
    .ok()
    .json();
    assert_eq!(next["items"][0]["id"], all[2].id.to_string());
    let every = taosctl(s, t, &["knowledge", "list", "--limit", "2", "--all", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(every["items"].as_array().unwrap().len(), all.len());
    assert_eq!(every["next_cursor"], serde_json::Value::Null);
    let core = taosctl(
        s,
        t,
        &[
            "knowledge",
            "list",
            "--source",
            "taos-core",
            "--category",
            "agent-docs",
            "--json",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(core["items"].as_array().unwrap().len(), all.len());
    let none = taosctl(s, t, &["knowledge", "list", "--source", "app:nothing"])
        .await
        .ok();
    assert!(none.stdout.is_empty());
    assert!(none.stderr.contains("No knowledge items"), "{}", none.stderr);
    let table = taosctl(s, t, &["knowledge", "list", "--limit", "3"]).await.ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("TITLE"),
        "{}",
        table.stdout
    );
    assert_eq!(lines.len(), 4, "header and three rows:\n{}", table.stdout);
    assert!(lines[1].contains(&all[0].id.to_string()) && lines[1].contains(&all[0].title));
    assert!(table.stderr.contains("--cursor"), "{}", table.stderr);

    // get: the whole content, or the API's item with --json.
    let readme = &all[0];
    let item = taosctl(s, t, &["knowledge", "get", &readme.id.to_string(), "--json"])
        .await
        .ok()
        .json();
    let full = api.get_knowledge_item().id(readme.id).send().await.value();
    assert_eq!(item, serde_json::to_value(&full).unwrap());
    let shown = taosctl(s, t, &["knowledge", "get", &readme.id.to_string()])
        .await
        .ok();
    assert!(shown.stdout.contains(full.content.trim_end()), "{}", shown.stdout);
    assert!(shown.stdout.contains(&full.title));
    let missing = taosctl(s, t, &["knowledge", "get", &uuid::Uuid::now_v7().to_string()]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("knowledge_item_not_found"),
        "{}",
        missing.stderr
    );
    assert!(missing.stderr.contains("fix:") && missing.stderr.contains("docs:"));
    // Not a UUID: a docs path, looked up; none has this one.
    let not_uuid = taosctl(s, t, &["knowledge", "get", "no-such-page"]).await;
    assert_eq!(not_uuid.code, 1, "{}", not_uuid.stderr);
    assert!(
        not_uuid.stderr.contains("knowledge_item_not_found"),
        "{}",
        not_uuid.stderr
    );

    // search: the words become `q`; --json is the API's answer.
    let found = taosctl(
        s,
        t,
        &["knowledge", "search", "issue", "token", "--limit", "3", "--json"],
    )
    .await
    .ok()
    .json();
    assert_eq!(found["query"], "issue token");
    let hits = found["items"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3, "{found}");
    let via_api = api
        .search_knowledge()
        .q("issue token")
        .limit(std::num::NonZeroU64::new(3).unwrap())
        .send()
        .await
        .value();
    assert_eq!(found, serde_json::to_value(&via_api).unwrap());
    let people = taosctl(
        s,
        t,
        &["knowledge", "search", "pagination", "--source", "taos-core"],
    )
    .await
    .ok();
    assert!(people.stdout.starts_with("1. "), "{}", people.stdout);
    // Snippets are shown, the matched words plain (no `[…]` markers off a terminal), with the
    // full link.
    // (Brackets of the docs' own markdown links stay.)
    let lower = people.stdout.to_lowercase();
    let marked = lower
        .match_indices("[pagination]")
        .any(|(i, m)| !lower[i + m.len()..].starts_with('('));
    assert!(
        lower.contains("pagination") && !marked && !lower.contains("[["),
        "snippets are shown, unmarked: {}",
        people.stdout
    );
    assert!(
        people.stdout.contains(&format!("{}/docs/agents/", s.url())),
        "hits link to full URLs: {}",
        people.stdout
    );
    assert!(
        people.stderr.contains("taosctl knowledge get"),
        "{}",
        people.stderr
    );
    let nothing = taosctl(s, t, &["knowledge", "search", "zanzibar"]).await.ok();
    assert!(nothing.stdout.is_empty());
    assert!(nothing.stderr.contains("zanzibar"), "{}", nothing.stderr);
    let filtered = taosctl(
        s,
        t,
        &["knowledge", "search", "token", "--category", "web-clip", "--json"],
    )
    .await
    .ok()
    .json();
    assert_eq!(filtered["items"], json!([]));
    let punct = taosctl(s, t, &["knowledge", "search", "\"*"]).await;
    assert_eq!(punct.code, 1);
    assert!(punct.stderr.contains("invalid_search_query"), "{}", punct.stderr);
    assert!(punct.stderr.contains("fix:"), "{}", punct.stderr);
    for bad in [
        vec!["knowledge", "search"],
        vec!["knowledge", "search", "token", "--limit", "51"],
        vec!["knowledge", "search", "token", "--limit", "0"],
    ] {
        let out = taosctl(s, t, &bad).await;
        assert_eq!(out.code, 2, "{bad:?} is a usage error: {}", out.stderr);
    }

    // prompt: the text, or the whole object with --json.
    let prompt = taosctl(s, t, &["knowledge", "prompt", "--json"])
        .await
        .ok()
        .json();
    let via_api = api.get_system_prompt().send().await.value();
    assert_eq!(prompt, serde_json::to_value(&via_api).unwrap());
    assert_eq!(prompt["fallback"], false);
    let text = taosctl(s, t, &["knowledge", "prompt"]).await.ok();
    assert_eq!(text.stdout, format!("{}\n", via_api.prompt));

    // A token without knowledge.read: the API's 403 with its fix, exit 1.
    create_agent(&api, "Notifier").await;
    let narrow = issue_agent_token_with(&api, "notifier", json!({"scope": ["ui.notify"]}))
        .await
        .token;
    let denied = taosctl(s, &narrow, &["knowledge", "list"]).await;
    assert_eq!(denied.code, 1);
    assert!(
        denied.stderr.contains("scope_denied") && denied.stderr.contains("knowledge.read"),
        "{}",
        denied.stderr
    );
}

sqlite_e2e!(help_has_examples);
async fn help_has_examples(s: &Server) {
    let ctl = Terminal::new(s);
    ctl.assert_examples(&[
        &["knowledge", "list"],
        &["knowledge", "get"],
        &["knowledge", "search"],
        &["knowledge", "prompt"],
    ])
    .await;
    let top = ctl.run(&["--help"], None).await.ok();
    assert!(top.stdout.contains("knowledge"), "{}", top.stdout);
}
