//! What a knowledge search may cost: a repeated word counts once (250 repetitions of one word
//! once took 7–10 s), at most 16 different words (400 `invalid_search_query` beyond), and
//! heavy searches arriving together can no longer hold every database connection, so the
//! rest of the API keeps answering (it answered 503 while eight of them ran).

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use taos_conformance::*;

async fn search(s: &Server, token: &str, q: &str) -> Response {
    s.get("/api/knowledge/search")
        .bearer(token)
        .query(&[("q", q), ("limit", "50")])
        .send()
        .await
}

/// What a user sees of the hits: which items, in which order, with which snippet and score.
fn hits(body: &Value) -> Vec<(String, String, String)> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {body}"))
        .iter()
        .map(|h| {
            (
                h["id"].to_string(),
                h["snippet"].to_string(),
                h["score"].to_string(),
            )
        })
        .collect()
}

/// `word` `n` times, space-separated.
fn repeated(word: &str, n: usize) -> String {
    vec![word; n].join(" ")
}

/// A one-character word found in many docs, so that 250 of it (within `q`'s 500 characters)
/// was the costliest search there was: `a` on SQLite (over a minute on a busy two-core box),
/// `1` on PostgreSQL, whose English configuration drops `a` as a stop word (3.6 s).
fn heavy_word(s: &Server) -> &'static str {
    match s.backend() {
        Backend::Sqlite => "a",
        _ => "1",
    }
}

e2e!(a_repeated_word_counts_once);
/// 250 repetitions of one word (in any case) answer at once, with exactly the hits of the
/// word searched once.
async fn a_repeated_word_counts_once(s: &Server) {
    let admin = s.setup_admin().await;
    let t = admin.token.as_str();
    let word = heavy_word(s);
    let once = search(s, t, word).await.expect_json(200);
    assert!(hits(&once).len() >= 5, "{word:?} is in many docs");
    for q in [repeated(word, 250), repeated(&word.to_uppercase(), 250)] {
        assert!(q.chars().count() <= 500, "within q's length");
        // Any commit empties the answer cache (SQLite): the repeated query is searched anew,
        // not answered from the word's cached answer.
        s.post("/api/ui/notify")
            .bearer(t)
            .json(&json!({"title": "a write between searches"}))
            .send()
            .await
            .expect_json(200);
        let started = Instant::now();
        let body = search(s, t, &q).await.expect_json(200);
        let took = started.elapsed();
        assert_eq!(body["query"], json!(q), "the query is echoed as sent");
        assert_eq!(hits(&body), hits(&once), "the same hits as the word once");
        assert!(
            took < Duration::from_millis(1500),
            "250 repetitions took {took:?}: a repeated word must count once"
        );
    }
}

e2e!(too_many_different_words_are_refused);
/// Up to 16 different words are searched (repetitions do not count); a 17th, or more than 500
/// characters, is 400 `invalid_search_query` saying why.
async fn too_many_different_words_are_refused(s: &Server) {
    let admin = s.setup_admin().await;
    let t = admin.token.as_str();
    let words: Vec<String> = (1..=17).map(|n| format!("word{n}")).collect();
    let sixteen = words[..16].join(" ");
    let body = search(s, t, &sixteen).await.expect_json(200);
    assert!(body["items"].is_array(), "{body}");
    let sixteen_repeated = format!("{sixteen} {sixteen} WORD1 Word2");
    search(s, t, &sixteen_repeated).await.expect_json(200);

    let err = search(s, t, &words.join(" "))
        .await
        .expect_error(400, "invalid_search_query");
    assert!(
        err.detail().contains("17 different words") && err.detail().contains("16"),
        "{}",
        err.detail()
    );
    let err = search(s, t, &"x".repeat(501))
        .await
        .expect_error(400, "invalid_search_query");
    assert!(err.detail().contains("500"), "{}", err.detail());
}

e2e!(heavy_searches_do_not_starve_the_api);
/// While a burst of the heaviest searches a client can send runs (as many as the database
/// pool holds, and more), listing agents and notifying keep answering 2xx, promptly. Each search is
/// answered 200, or 503 `search_busy` with `Retry-After` when it had to wait too long for its
/// turn; never `service_unavailable` from a pool the searches emptied.
async fn heavy_searches_do_not_starve_the_api(s: &Server) {
    let admin = s.setup_admin().await;
    let t = admin.token.as_str();
    let client = s.client(t);
    create_agent(&client, "Search Bot").await;
    let agent = issue_agent_token_with(&client, "search-bot", json!({"scope": ["ui.notify"]}))
        .await
        .token;
    // The pool holds 8 connections on SQLite and 16 on PostgreSQL: 8 heavy searches emptied
    // the SQLite pool; PostgreSQL's takes a few more.
    let burst = match s.backend() {
        Backend::Sqlite => 8,
        _ => 20,
    };
    // A repeated word, and two of 16 different common words: the most a query may hold.
    let common = "token agent scope api error request user list name read issue key page use server docs";
    let mut heavy = vec![repeated(heavy_word(s), 250); burst];
    heavy.extend([common.to_string(), common.to_string()]);
    let searches = join_all(heavy.iter().map(|q| search(s, t, q)));
    let others = async {
        // Give the searches a head start, then keep the rest of the API busy beside them.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut slowest = Duration::ZERO;
        for n in 0..10 {
            let started = Instant::now();
            s.get("/api/agents").bearer(t).send().await.expect_json(200);
            s.post("/api/ui/notify")
                .bearer(&agent)
                .json(&json!({"title": format!("still here {n}"), "body": "beside the searches"}))
                .send()
                .await
                .expect_json(200);
            slowest = slowest.max(started.elapsed());
        }
        slowest
    };
    let (answers, slowest) = tokio::join!(searches, others);
    assert!(
        slowest < Duration::from_secs(2),
        "a list and a notify took {slowest:?} beside the searches"
    );
    let mut answered = 0;
    for resp in answers {
        if resp.status().as_u16() == 200 {
            answered += 1;
            continue;
        }
        let err = resp.expect_error(503, "search_busy");
        assert!(err.headers.contains_key("retry-after"), "{}", err.body);
        assert_eq!(err.body["retry_after"], "1", "{}", err.body);
    }
    assert!(answered > 0, "some of the searches are answered");
}
