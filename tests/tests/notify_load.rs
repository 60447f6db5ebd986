//! Many notifications at once. taosd commits concurrent notifies together (group commit), so
//! these check what batching must never change: every acknowledged notification is in its own
//! user's inbox exactly once, with its own title and source — also when taosd is killed with
//! SIGKILL in the middle of the load.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

/// Every notification in the inbox of the token's user, through the paged list.
async fn inbox(s: &Server, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = s
            .get("/api/notifications")
            .bearer(token)
            .query(&[("limit", "200")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c.as_str())]);
        }
        let page = req.send().await.expect_json(200);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

/// The ids of `items`, checking that none appears twice.
#[track_caller]
fn distinct_ids(items: &[Value]) -> HashSet<String> {
    let ids: HashSet<String> = items
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids.len(), items.len(), "a notification is listed twice");
    ids
}

e2e!(parallel_notifies_land_once_each_in_their_own_inbox);
/// Two people and an agent of each notify from 16 tasks at once, so the server's batches mix
/// users and senders: every notify answers 200, and each user's inbox holds exactly the
/// notifications acknowledged to that user's senders, each once, with its title and the
/// source of the token that sent it.
async fn parallel_notifies_land_once_each_in_their_own_inbox(s: &Server) {
    const TASKS_PER_SENDER: usize = 4;
    const EACH: usize = 25;
    let admin = s.setup_admin().await;
    let bob = s.add_user(&admin, "bob").await;
    let mut senders = Vec::new();
    for (person, agent) in [(&admin, "Pager"), (&bob, "Beeper")] {
        let client = s.client(&person.token);
        let slug = create_agent(&client, agent).await.name;
        let agent_token = issue_agent_token_with(&client, &slug, json!({"scope": ["ui.notify"]}))
            .await
            .token;
        senders.push((
            person.id,
            person.token.clone(),
            format!("user:{}", person.username),
        ));
        senders.push((person.id, agent_token, format!("agent:{slug}")));
    }

    let mut tasks = Vec::new();
    for (sender, (user, token, source)) in senders.iter().enumerate() {
        for task in 0..TASKS_PER_SENDER {
            let requests: Vec<(String, Request)> = (0..EACH)
                .map(|i| {
                    let title = format!("s{sender} t{task} n{i}");
                    let req = s
                        .post("/api/ui/notify")
                        .bearer(token)
                        .json(&json!({"title": title}));
                    (title, req)
                })
                .collect();
            let (user, source) = (*user, source.clone());
            tasks.push(tokio::spawn(async move {
                let mut sent = Vec::new();
                for (title, req) in requests {
                    let answer = req.send().await.expect_json(200);
                    assert_eq!(answer["delivered"], true);
                    let id = answer["notification_id"].as_str().expect("id").to_string();
                    sent.push((user, id, title, source.clone()));
                }
                sent
            }));
        }
    }
    // id → (user, title, source) of every acknowledged notification.
    let mut acked: HashMap<String, (uuid::Uuid, String, String)> = HashMap::new();
    for task in tasks {
        for (user, id, title, source) in task.await.expect("sender task") {
            assert!(
                acked.insert(id, (user, title, source)).is_none(),
                "one id answered twice"
            );
        }
    }
    assert_eq!(acked.len(), senders.len() * TASKS_PER_SENDER * EACH);

    for person in [&admin, &bob] {
        let items = inbox(s, &person.token).await;
        let listed = distinct_ids(&items);
        let expected: HashSet<String> = acked
            .iter()
            .filter(|(_, (user, _, _))| *user == person.id)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(
            listed, expected,
            "{}'s inbox is what was sent to them",
            person.username
        );
        for n in &items {
            let (_, title, source) = &acked[n["id"].as_str().unwrap()];
            assert_eq!(n["title"], json!(title));
            assert_eq!(n["source"], json!(source));
        }
    }
}

e2e!(acknowledged_notifications_survive_sigkill);
/// 16 tasks notify as fast as they can; once a few hundred are acknowledged taosd is killed
/// with SIGKILL while requests are under way, and started again on the same database. Every
/// notification that was answered 200 is in the inbox (requests cut off by the kill may or
/// may not have been stored), and none is there twice.
async fn acknowledged_notifications_survive_sigkill(s: &Server) {
    const SENDERS: usize = 16;
    const BEFORE_KILL: usize = 300;
    let admin = s.setup_admin().await;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let url = s.url();
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (acked, stop, http, url, token) = (
            acked.clone(),
            stop.clone(),
            http.clone(),
            url.clone(),
            admin.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let sent = http
                    .post(format!("{url}/api/ui/notify"))
                    .bearer_auth(&token)
                    .json(&json!({"title": format!("sender {sender} #{i}")}))
                    .send()
                    .await;
                // The kill cuts connections: an answer that did not arrive whole was not
                // acknowledged.
                let Ok(resp) = sent else { return };
                let status = resp.status().as_u16();
                let Ok(body) = resp.json::<Value>().await else {
                    return;
                };
                assert_eq!(status, 200, "notify before the kill: {body}");
                let id = body["notification_id"].as_str().expect("id").to_string();
                acked.lock().unwrap().push(id);
            }
        }));
    }
    let started = Instant::now();
    while acked.lock().unwrap().len() < BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "fewer than {BEFORE_KILL} notifies answered in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.crash_and_restart().await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("sender task");
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(acked.len() >= BEFORE_KILL);

    let stored = distinct_ids(&inbox(s, &admin.token).await);
    let lost: Vec<&String> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged notifications are gone after SIGKILL: {lost:?}",
        lost.len(),
        acked.len()
    );
}
