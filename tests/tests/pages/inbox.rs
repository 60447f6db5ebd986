//! The inbox: only your own notifications, newest first, 50 a page, read marks.

use serde_json::json;
use taos_conformance::people::ADMIN;
use taos_conformance::*;

use super::{Browser, assert_page_headers, item, notify, pager_token, unread_count};

fn item_ids(html: &str) -> Vec<String> {
    html.match_indices("data-id=\"")
        .map(|(i, m)| html[i + m.len()..i + m.len() + 36].to_string())
        .collect()
}

e2e!(only_your_own_notifications);
/// Another person's notifications are never shown, and cannot be marked read by id.
async fn only_your_own_notifications(s: &Server) {
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let admin_pager = pager_token(s, &admin).await;
    let bob_pager = pager_token(s, &bob).await;
    let mine = notify(s, &admin_pager, json!({"title": "for admin"})).await;
    let theirs = notify(s, &bob_pager, json!({"title": "for bob only"})).await;

    let mut b = Browser::signed_in(s, ADMIN).await;
    let inbox = b.inbox().await;
    assert_eq!(item_ids(&inbox.body), vec![mine.to_string()]);
    assert!(!inbox.body.contains("for bob only"));
    let p = b
        .post(
            &format!("/notifications/{theirs}/read"),
            &[("csrf", &inbox.csrf())],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_page_headers(&p);
    let p = b
        .post("/notifications/not-a-uuid/read", &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(p.status, 404);
    b.post("/notifications/read-all", &[("csrf", &inbox.csrf())])
        .await;
    assert_eq!(unread_count(s, &bob.token).await, 1, "bob's stays unread");
    assert_eq!(unread_count(s, &admin.token).await, 0);

    let mut bb = Browser::signed_in(s, "bob").await;
    let inbox = bb.inbox().await;
    assert_eq!(item_ids(&inbox.body), vec![theirs.to_string()]);
    assert!(
        inbox
            .body
            .contains("Signed in as <strong class=\"username\">bob</strong>")
    );
}

e2e!(newest_first_fifty_a_page);
/// Newest first, 50 a page, an "Older" link to the rest; unread marks as text and class;
/// marking one read returns to the page it was on; an empty inbox says so.
async fn newest_first_fifty_a_page(s: &Server) {
    let admin = s.setup_admin().await;
    let mut b = Browser::signed_in(s, ADMIN).await;
    let empty = b.inbox().await;
    assert!(empty.body.contains("No notifications yet."));
    assert!(!empty.body.contains("Mark all read"));
    assert!(!empty.body.contains("Older"));

    let token = pager_token(s, &admin).await;
    let mut ids = Vec::new();
    for i in 0..53 {
        ids.push(
            notify(s, &token, json!({"title": format!("number {i}")}))
                .await
                .to_string(),
        );
    }
    ids.reverse();

    let first = b.inbox().await;
    assert_eq!(
        item_ids(&first.body),
        ids[..50].to_vec(),
        "the 50 newest, newest first"
    );
    let older = "<a class=\"older\" href=\"/notifications?cursor=";
    let at = first.body.find(older).expect("an Older link") + older.len();
    let cursor = first.body[at..at + 36].to_string();
    assert_eq!(cursor, ids[49]);
    let li = item(&first.body, &ids[0]);
    assert!(
        li.contains("class=\"note unread\"") && li.contains(">Unread<"),
        "{li}"
    );
    assert!(li.contains("number 52") && li.contains("<code class=\"source\">agent:pager</code>"));
    assert!(li.contains("Mark read"));
    assert!(first.body.contains("Mark all read"));

    let second = b.get(&format!("/notifications?cursor={cursor}")).await;
    assert_eq!(second.status, 200);
    assert_eq!(item_ids(&second.body), ids[50..].to_vec());
    assert!(!second.body.contains(older), "no Older link on the last page");
    assert!(
        second.body.contains("href=\"/notifications\""),
        "a link back to the newest"
    );

    // Mark one on page two read: back to page two, and it shows as read.
    let csrf = second.csrf();
    let p = b
        .post(
            &format!("/notifications/{}/read", ids[51]),
            &[("csrf", &csrf), ("cursor", &cursor)],
        )
        .await;
    assert_eq!(p.location(), format!("/notifications?cursor={cursor}"));
    let second = b.get(&format!("/notifications?cursor={cursor}")).await;
    let li = item(&second.body, &ids[51]);
    assert!(
        li.contains("class=\"note read\"") && !li.contains("Unread") && !li.contains("Mark read"),
        "{li}"
    );
    assert!(item(&second.body, &ids[50]).contains(">Unread<"));

    let last = ids.last().unwrap();
    let past = b.get(&format!("/notifications?cursor={last}")).await;
    assert!(past.body.contains("Nothing older."));
}
