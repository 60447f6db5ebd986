//! `Idempotency-Key` across a crash: keyed creates run in parallel, taosd is killed with
//! SIGKILL mid-load (three times), restarted, and every key ever sent is retried once the
//! takeover window has passed. The promise: one key, one agent. Each retry is either the
//! replay of an answer given before the crash or a clean first run; never a second agent.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taos_conformance::*;

/// Parallel clients creating agents, each with a fresh key per request.
const WORKERS: usize = 16;
/// Answered creates to wait for before each kill, so the kill lands under load.
const ACKS_BEFORE_KILL: usize = 40;
const ROUNDS: usize = 3;
/// The takeover window this taosd runs with (`TAOS_IDEMPOTENCY_TAKEOVER`).
const TAKEOVER: Duration = Duration::from_secs(1);

/// A key sent, the agent name it asked for, and the id answered before the crash (if any).
#[derive(Default)]
struct Ledger {
    sent: Vec<(String, String)>,
    answered: HashMap<String, String>,
}

e2e!(a_killed_taosd_never_doubles_a_keyed_create);
async fn a_killed_taosd_never_doubles_a_keyed_create(s: &Server) {
    s.set_env("TAOS_IDEMPOTENCY_TAKEOVER", &format!("{}s", TAKEOVER.as_secs()));
    s.restart().await;
    let admin = s.setup_admin().await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    for round in 0..ROUNDS {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                tokio::spawn(create_until_refused(
                    s.http().clone(),
                    s.url(),
                    admin.token.clone(),
                    round,
                    w,
                    ledger.clone(),
                ))
            })
            .collect();
        let goal = ledger.lock().unwrap().answered.len() + ACKS_BEFORE_KILL;
        let started = Instant::now();
        while ledger.lock().unwrap().answered.len() < goal {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the load never got {ACKS_BEFORE_KILL} answers"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        s.crash_and_restart().await;
        for worker in workers {
            worker.await.expect("worker task");
        }
    }
    // Requests cut by the kill left their keys claimed and unanswered; past the window a
    // retry may take them over.
    tokio::time::sleep(TAKEOVER + Duration::from_millis(500)).await;

    let (sent, answered) = {
        let ledger = ledger.lock().unwrap();
        (ledger.sent.clone(), ledger.answered.clone())
    };
    let mut unanswered_before = 0;
    let mut id_of_name = BTreeMap::new();
    for (key, name) in &sent {
        let retry = create(s, &admin.token, key, name).await;
        let replayed = retry.header("idempotent-replayed") == Some("true");
        let body = retry.expect_json(201);
        let id = body["id"].as_str().expect("id").to_owned();
        match answered.get(key) {
            Some(first) => {
                assert!(
                    replayed,
                    "key {key} was answered before the crash; its retry must replay"
                );
                assert_eq!(&id, first, "the replay of {key} names another agent");
            }
            None => unanswered_before += 1,
        }
        assert_eq!(body["display_name"], json!(name));
        id_of_name.insert(name.clone(), id);
    }

    let listed = all_agents(s, &admin.token).await;
    let mut listed_ids: Vec<String> = listed
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    listed_ids.sort();
    let mut expected: Vec<String> = id_of_name.values().cloned().collect();
    expected.sort();
    assert_eq!(
        listed.len(),
        sent.len(),
        "{} keys were sent ({unanswered_before} unanswered when taosd was killed) but {} agents exist: \
         a key made more than one agent. Names: {:?}",
        sent.len(),
        listed.len(),
        listed.iter().map(|a| a["name"].clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        listed_ids, expected,
        "the agents are exactly the ones the retries answered"
    );
}

/// One client: creates agents one after another until taosd stops answering (it was killed).
async fn create_until_refused(
    http: reqwest::Client,
    url: String,
    token: String,
    round: usize,
    worker: usize,
    ledger: Arc<Mutex<Ledger>>,
) {
    for i in 0.. {
        let key = uuid::Uuid::new_v4().to_string();
        let name = format!("crash-{round}-{worker}-{i}");
        ledger.lock().unwrap().sent.push((key.clone(), name.clone()));
        let sent = http
            .post(format!("{url}/api/agents"))
            .bearer_auth(&token)
            .header("idempotency-key", &key)
            .json(&json!({ "name": name }))
            .send()
            .await;
        let Ok(resp) = sent else { return };
        if resp.status() != 201 {
            return;
        }
        let Ok(body) = resp.json::<Value>().await else {
            return;
        };
        let id = body["id"].as_str().expect("a 201 names the agent").to_owned();
        ledger.lock().unwrap().answered.insert(key, id);
    }
}

async fn create(s: &Server, token: &str, key: &str, name: &str) -> Response {
    s.post("/api/agents")
        .bearer(token)
        .header("idempotency-key", key)
        .json(&json!({ "name": name }))
        .send()
        .await
}

async fn all_agents(s: &Server, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/agents?limit=100&cursor={c}"),
            None => "/api/agents?limit=100".to_owned(),
        };
        let page = s.get(&path).bearer(token).send().await.expect_json(200);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}
