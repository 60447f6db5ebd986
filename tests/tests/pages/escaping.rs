//! Every field reaches the page as text; `action_url` is a link only for the web or this site.

use serde_json::json;
use taos_conformance::html::text_in;
use taos_conformance::people::ADMIN;
use taos_conformance::*;

use super::{Browser, assert_shown_as_text, item, notify, pager_token};

e2e!(every_field_is_escaped);
/// Title, message, source, app origin, action URL and username reach the page as text.
async fn every_field_is_escaped(s: &Server) {
    let admin = s.setup_admin().await;
    let token = pager_token(s, &admin).await;
    let evil = "<script>alert(1)</script><img src=x onerror=\"document.title='pwned'\">&amp;";
    let id = notify(
        s,
        &token,
        json!({
            "title": format!("T{evil}"),
            "body": format!("M{evil}"),
            "app_origin": format!("A{evil}"),
            "action_url": "https://example.com/?q=<b>\"x'",
        }),
    )
    .await;
    // What the API would never store, as if it had been: a source and an unsafe action URL.
    let title = format!("T{evil}");
    s.sql_execute(
        "UPDATE notifications SET source = $1 WHERE title = $2",
        &[&format!("agent:{evil}"), &title],
    )
    .await;
    let text_id = notify(s, &token, json!({"title": "plain"})).await;
    s.sql_execute(
        "UPDATE notifications SET action_url = $1 WHERE title = $2",
        &[&format!("javascript:{evil}"), "plain"],
    )
    .await;
    // A username with markup (the API allows none; the page must not rely on that).
    let weird = "a<i>\"b'&";
    assert_eq!(
        s.sql_execute(
            "UPDATE users SET username = $1 WHERE username = $2",
            &[weird, ADMIN]
        )
        .await,
        1
    );

    let mut b = Browser::signed_in(s, weird).await;
    let html = b.inbox().await.body;
    assert!(!html.contains(evil), "a raw field reached the page");
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<i>"));
    let li = item(&html, &id.to_string());
    for (what, open, close, want) in [
        ("title", "<h2 class=\"title\"", "</h2>", format!("T{evil}")),
        ("message", "<p class=\"message\"", "</p>", format!("M{evil}")),
        (
            "app_origin",
            "<code class=\"app-origin\"",
            "</code>",
            format!("A{evil}"),
        ),
        (
            "source",
            "<code class=\"source\"",
            "</code>",
            format!("agent:{evil}"),
        ),
    ] {
        assert_shown_as_text(text_in(li, open, close), &want, what);
    }
    assert!(
        li.contains("href=\"https://example.com/?q=%3Cb%3E%22x%27\""),
        "the action link is the parsed, encoded URL:\n{li}"
    );
    let li = item(&html, &text_id.to_string());
    let shown = text_in(li, "<span class=\"action-text\"", "</span>");
    let shown = shown.strip_prefix("Link (not opened): ").unwrap_or(shown);
    assert_shown_as_text(shown, &format!("javascript:{evil}"), "an unsafe action_url");
    assert!(!li.contains("href=\"javascript"), "{li}");
    assert_shown_as_text(
        text_in(&html, "<strong class=\"username\"", "</strong>"),
        weird,
        "the username",
    );
}

e2e!(action_urls_link_only_to_the_web_or_this_site);
/// `action_url` is a link only for an absolute http(s) URL or a path on this site; anything
/// else (stored before validation, or by a bug) is shown as text.
async fn action_urls_link_only_to_the_web_or_this_site(s: &Server) {
    let admin = s.setup_admin().await;
    let token = pager_token(s, &admin).await;
    let cases = [
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example", None),
        (" javascript:alert(1)", None),
        ("/\\evil.example", None),
        ("vbscript:msgbox(1)", None),
        ("https://example.com/x", Some("https://example.com/x")),
        ("/notifications", Some("/notifications")),
    ];
    let mut ids = Vec::new();
    for (i, (url, _)) in cases.iter().enumerate() {
        let title = format!("case {i}");
        // The API refuses the unsafe ones, so they are written to the database directly.
        let resp = s
            .post("/api/ui/notify")
            .bearer(&token)
            .json(&json!({"title": title, "action_url": url}))
            .send()
            .await;
        let id = if resp.status().as_u16() == 200 {
            resp.expect_json(200)["notification_id"]
                .as_str()
                .unwrap()
                .to_string()
        } else {
            let status = resp.status().as_u16();
            assert!(matches!(status, 400 | 422), "the API refuses {url:?}: {status}");
            let id = notify(s, &token, json!({"title": title, "action_url": "/notifications"})).await;
            let changed = s
                .sql_execute(
                    "UPDATE notifications SET action_url = $1 WHERE title = $2",
                    &[url, &title],
                )
                .await;
            assert_eq!(changed, 1);
            id.to_string()
        };
        ids.push(id);
    }
    let mut b = Browser::signed_in(s, ADMIN).await;
    let html = b.inbox().await.body;
    for ((url, link), id) in cases.iter().zip(&ids) {
        let li = item(&html, id);
        match link {
            Some(href) => {
                assert!(
                    li.contains(&format!("href=\"{href}\" rel=\"noopener noreferrer\"")),
                    "{url:?} should be a link:\n{li}"
                );
            }
            None => {
                assert!(!li.contains("<a "), "{url:?} must not be a link:\n{li}");
                assert!(li.contains("action-text"), "{url:?} is shown as text:\n{li}");
            }
        }
    }
    for bad in [
        "href=\"javascript",
        "href=\"data:",
        "href=\"//",
        "href=\" ",
        "href=\"/\\",
    ] {
        assert!(!html.contains(bad), "{bad} on the page");
    }
}
