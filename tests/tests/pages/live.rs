//! What keeps the inbox alive without a reload, over HTTP: the page's ETag and `304` while
//! nothing changed (what `/assets/inbox.js` polls with), the script itself, and priorities
//! marked by meaning. (That a notification appears in an open page: browser.rs.)

use serde_json::json;
use taos_conformance::people::ADMIN;
use taos_conformance::*;

use super::{Browser, assert_page_headers, item, notify, pager_token};

/// The inbox asked for again with `etag`, as the script does.
async fn again(b: &mut Browser<'_>, etag: String) -> super::Page {
    let req = b.http.get(b.s.at("/notifications")).header("if-none-match", etag);
    b.send(req).await
}

e2e!(the_inbox_answers_304_until_something_changes);
/// The inbox carries an ETag (also on its `<main>`, for the script); asked again with it, the
/// answer is a bodiless 304 until a notification arrives or one is marked read.
async fn the_inbox_answers_304_until_something_changes(s: &Server) {
    let admin = s.setup_admin().await;
    let pager = pager_token(s, &admin).await;
    let mut b = Browser::signed_in(s, ADMIN).await;
    let first = b.inbox().await;
    let etag = first.header("etag").expect("an ETag").to_string();
    assert!(
        first
            .body
            .contains(&format!("<main data-etag=\"{}\">", etag.replace('"', "&#34;"))),
        "the page carries its ETag: {}",
        first.body
    );

    let same = again(&mut b, etag.clone()).await;
    assert_eq!(same.status, 304, "{}", same.body);
    assert!(same.body.is_empty());
    assert_eq!(same.header("etag"), Some(etag.as_str()));
    assert_page_headers(&same);

    let id = notify(s, &pager, json!({"title": "new one"})).await;
    let changed = again(&mut b, etag.clone()).await;
    assert_eq!(changed.status, 200);
    assert!(changed.body.contains("new one"));
    let etag2 = changed.header("etag").unwrap().to_string();
    assert_ne!(etag2, etag);
    assert_eq!(again(&mut b, etag2.clone()).await.status, 304);

    s.client(&admin.token)
        .mark_notification_read()
        .id(id)
        .send()
        .await
        .value();
    let read = again(&mut b, etag2.clone()).await;
    assert_eq!(read.status, 200, "a read mark made elsewhere changes the page");
    assert!(!item(&read.body, &id.to_string()).contains("Mark read"));

    // Signed out, the poll is sent to sign in, never handed a 304.
    let mut out = Browser::new(s);
    let p = again(&mut out, etag2).await;
    assert_eq!(p.location(), "/login?next=/notifications");
}

e2e!(the_inbox_script_is_served_by_taosd);
/// The page loads `/assets/inbox.js` (no inline script, nothing from elsewhere, as its CSP
/// says), and taosd serves it as JavaScript.
async fn the_inbox_script_is_served_by_taosd(s: &Server) {
    s.setup_admin().await;
    let mut b = Browser::signed_in(s, ADMIN).await;
    let inbox = b.inbox().await;
    assert!(
        inbox
            .body
            .contains("<script src=\"/assets/inbox.js\" defer></script>"),
        "{}",
        inbox.body
    );
    assert_eq!(inbox.body.matches("<script").count(), 1, "no other script");
    let js = s.get("/assets/inbox.js").send().await;
    assert_eq!(js.status().as_u16(), 200);
    assert_eq!(js.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(js.header("x-content-type-options"), Some("nosniff"));
    let text = js.text();
    assert!(
        text.contains("If-None-Match") && text.contains("toLocaleString"),
        "{text:.300}"
    );
    s.post("/assets/inbox.js").send().await.expect_status(405);
}

e2e!(priorities_are_marked_by_meaning);
/// `high` is marked as urgent, `low` as quiet (not the same colour), `normal` not at all; the
/// time is a machine-readable `<time>` the script shows in the browser's zone.
async fn priorities_are_marked_by_meaning(s: &Server) {
    let admin = s.setup_admin().await;
    let pager = pager_token(s, &admin).await;
    let high = notify(s, &pager, json!({"title": "h", "priority": "high"})).await;
    let low = notify(s, &pager, json!({"title": "l", "priority": "low"})).await;
    let normal = notify(s, &pager, json!({"title": "n"})).await;
    let mut b = Browser::signed_in(s, ADMIN).await;
    let page = b.inbox().await;
    assert!(item(&page.body, &high.to_string()).contains("class=\"badge priority priority-high\""));
    assert!(item(&page.body, &low.to_string()).contains("class=\"badge priority priority-low\""));
    assert!(!item(&page.body, &normal.to_string()).contains("priority-"));
    let css_rule = |class: &str| {
        let at = page
            .body
            .find(&format!(".badge.{class} {{"))
            .unwrap_or_else(|| panic!("no rule for {class}"));
        page.body[at..at + page.body[at..].find('}').unwrap()].to_string()
    };
    assert!(css_rule("priority-high").contains("var(--warn)"));
    assert!(
        !css_rule("priority-low").contains("var(--warn)"),
        "low is not painted like high"
    );
    assert!(item(&page.body, &normal.to_string()).contains("<time class=\"when\" datetime=\""));
    assert!(
        page.body
            .contains("href=\"/docs/agents/recipes/notifying-the-user\""),
        "the docs are linked"
    );
}
