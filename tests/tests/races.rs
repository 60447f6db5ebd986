//! Two requests on one object at the same moment, many rounds, on both backends: every answer
//! is one the contract documents for its operation (2xx, or 401/404/409 with the canonical body
//! and the right slug), never a 500; the state afterwards is consistent; and taosd logged no
//! internal error while it ran.

use futures::future::join_all;
use serde_json::{Value, json};
use taos_conformance::check::assert_canonical;
use taos_conformance::*;

/// Rounds per pair: enough for both orders, and the overlap between them, to come up.
const ROUNDS: usize = 24;

/// What one request got.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn slug(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// Panics unless this is `ok`, or one of the `errors` (status, slug).
    #[track_caller]
    fn expect(&self, what: &str, ok: u16, errors: &[(u16, &str)]) {
        let fits = self.status == ok
            || errors
                .iter()
                .any(|(st, slug)| *st == self.status && *slug == self.slug());
        assert!(
            fits,
            "{what}: {} {} is not a documented answer here (expected {ok} or {errors:?})",
            self.status, self.body
        );
    }
}

async fn send(req: Request) -> Answer {
    let answer = req.send().await;
    let status = answer.status().as_u16();
    let text = answer.text();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status >= 400 {
        assert_canonical(status, answer.headers(), &body);
    }
    Answer { status, body }
}

/// Sends the requests at the same moment (each on its own task) and returns their answers in
/// order.
async fn together(requests: Vec<Request>) -> Vec<Answer> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks = requests.into_iter().map(|req| {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            send(req).await
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

/// Rows that break an invariant, counted by a no-op update (the harness runs statements, not
/// queries): archived agents with an active token, and live agents of removed users.
async fn assert_consistent(s: &Server) {
    let archived_with_token = s
        .sql_execute(
            "UPDATE api_tokens SET revoked_at = revoked_at WHERE revoked_at IS NULL \
             AND agent_id IN (SELECT id FROM agents WHERE archived_at IS NOT NULL)",
            &[],
        )
        .await;
    assert_eq!(archived_with_token, 0, "archived agents with an active token");
    let live_of_removed = s
        .sql_execute(
            "UPDATE agents SET status = status WHERE archived_at IS NULL \
             AND user_id IN (SELECT id FROM users WHERE deleted_at IS NOT NULL)",
            &[],
        )
        .await;
    assert_eq!(live_of_removed, 0, "live agents of removed users");
}

/// taosd logged no internal error (a 500, or a database error turned into one).
fn assert_no_internal_error(s: &Server) {
    let log = s.stderr();
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("internal_error"))
        .collect();
    assert!(
        bad.is_empty(),
        "taosd logged internal errors:\n{}",
        bad.join("\n")
    );
}

async fn archive(s: &Server, token: &str, slug: &str) -> String {
    let archived = s
        .delete(&format!("/api/agents/{slug}"))
        .bearer(token)
        .send()
        .await
        .expect_json(200);
    archived["id"].as_str().unwrap().to_string()
}

e2e!(token_issue_racing_delete);
/// Issuing an agent's token while it is being deleted: the delete archives it; the issue
/// either came first (200, and the delete revoked that token with the agent) or after (404
/// `agent_not_found`). A restored agent never brings the token back.
async fn token_issue_racing_delete(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    for round in 0..ROUNDS {
        let slug = create_agent(&client, &format!("Issue race {round}")).await.name;
        let path = format!("/api/agents/{slug}");
        let answers = together(vec![
            s.post(&format!("{path}/token/issue"))
                .bearer(&admin.token)
                .json(&json!({})),
            s.delete(&path).bearer(&admin.token),
        ])
        .await;
        let (issue, delete) = (&answers[0], &answers[1]);
        issue.expect("issueAgentToken", 200, &[(404, "agent_not_found")]);
        delete.expect("deleteAgent", 200, &[]);
        if issue.status == 200 {
            let token = issue.body["token"].as_str().unwrap();
            s.get("/api/auth/whoami")
                .bearer(token)
                .send()
                .await
                .expect_error(401, "invalid_token");
        }
        let id = delete.body["id"].as_str().unwrap();
        let restored = s
            .post(&format!("/api/agents/archived/{id}/restore"))
            .bearer(&admin.token)
            .send()
            .await
            .expect_json(200);
        assert_eq!(
            restored["has_token"], false,
            "a token came back with the agent: {restored}"
        );
    }
    assert_consistent(s).await;
    assert_no_internal_error(s);
}

e2e!(restore_racing_restore);
/// Two restores of one archived agent: exactly one 200, the other 404
/// `archived_agent_not_found`; one live agent afterwards.
async fn restore_racing_restore(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    for round in 0..ROUNDS {
        let slug = create_agent(&client, &format!("Restore race {round}")).await.name;
        let id = archive(s, &admin.token, &slug).await;
        let path = format!("/api/agents/archived/{id}/restore");
        let answers = together(vec![
            s.post(&path).bearer(&admin.token),
            s.post(&path).bearer(&admin.token),
        ])
        .await;
        for a in &answers {
            a.expect("restoreArchivedAgent", 200, &[(404, "archived_agent_not_found")]);
        }
        let ok: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
        assert_eq!(
            ok.len(),
            1,
            "{} of two concurrent restores succeeded: {answers:?}",
            ok.len()
        );
        assert_eq!(ok[0].body["name"], slug.as_str(), "restored under another slug");
        client.get_agent().name(slug.as_str()).send().await.value();
    }
    assert_eq!(agents_listed(&client).await, ROUNDS);
    assert_consistent(s).await;
    assert_no_internal_error(s);
}

e2e!(update_racing_delete);
/// Updating an agent (and setting its permissions, and revoking its token) while it is being
/// deleted: each is either done first (200/204) or finds no agent (404 `agent_not_found`).
async fn update_racing_delete(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    for round in 0..ROUNDS {
        let slug = create_agent(&client, &format!("Update race {round}")).await.name;
        issue_agent_token(&client, &slug).await;
        let path = format!("/api/agents/{slug}");
        let answers = together(vec![
            s.put(&path)
                .bearer(&admin.token)
                .json(&json!({"host": "192.0.2.9"})),
            s.put(&format!("{path}/permissions"))
                .bearer(&admin.token)
                .json(&json!({"can_read_user_memory": true})),
            s.delete(&format!("{path}/token")).bearer(&admin.token),
            s.delete(&path).bearer(&admin.token),
        ])
        .await;
        let not_found = [(404, "agent_not_found")];
        answers[0].expect("updateAgent", 200, &not_found);
        answers[1].expect("setAgentPermissions", 200, &not_found);
        answers[2].expect("revokeAgentToken", 204, &not_found);
        answers[3].expect("deleteAgent", 200, &[]);
        for a in &answers[..2] {
            if a.status == 200 {
                assert_eq!(a.body["name"], slug.as_str(), "{}", a.body);
            }
        }
        client
            .get_agent()
            .name(slug.as_str())
            .send()
            .await
            .api_err(404, "agent_not_found");
    }
    assert_consistent(s).await;
    assert_no_internal_error(s);
}

e2e!(purge_racing_restore);
/// Purging an archived agent while it is being restored: one of them wins; the other finds
/// no archived agent (404 `archived_agent_not_found`).
async fn purge_racing_restore(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let mut live = 0;
    for round in 0..ROUNDS {
        let slug = create_agent(&client, &format!("Purge race {round}")).await.name;
        let id = archive(s, &admin.token, &slug).await;
        let answers = together(vec![
            s.delete(&format!("/api/agents/archived/{id}"))
                .bearer(&admin.token),
            s.post(&format!("/api/agents/archived/{id}/restore"))
                .bearer(&admin.token),
        ])
        .await;
        let (purge, restore) = (&answers[0], &answers[1]);
        let gone = [(404, "archived_agent_not_found")];
        purge.expect("purgeArchivedAgent", 204, &gone);
        restore.expect("restoreArchivedAgent", 200, &gone);
        assert!(
            (purge.status == 204) != (restore.status == 200),
            "exactly one of purge and restore must win: {answers:?}"
        );
        if restore.status == 200 {
            live += 1;
            client.get_agent().name(slug.as_str()).send().await.value();
        } else {
            client
                .get_agent()
                .name(slug.as_str())
                .send()
                .await
                .api_err(404, "agent_not_found");
        }
    }
    assert_eq!(agents_listed(&client).await, live);
    let archived = client.list_archived_agents().send().await.value();
    assert!(
        archived.items.is_empty(),
        "purged or restored agents are still archived"
    );
    assert_consistent(s).await;
    assert_no_internal_error(s);
}

e2e!(delete_user_racing_their_requests);
/// Removing a user while they create an agent and issue a token: the removal wins (204) and
/// cuts off everything acting for them, whichever order the database saw; their own requests
/// are done first, or are refused (401, their token revoked; 404, their agent archived).
async fn delete_user_racing_their_requests(s: &Server) {
    let admin = s.setup_admin().await;
    for round in 0..ROUNDS {
        let person = s.add_user(&admin, &format!("racer{round}")).await;
        let own = s.client(&person.token);
        let slug = create_agent(&own, "Mine").await.name;
        let answers = together(vec![
            s.delete(&format!("/api/users/{}", person.id))
                .bearer(&admin.token),
            s.post("/api/agents")
                .bearer(&person.token)
                .json(&json!({"name": "Another"})),
            s.post(&format!("/api/agents/{slug}/token/issue"))
                .bearer(&person.token)
                .json(&json!({})),
        ])
        .await;
        let revoked = (401, "invalid_token");
        answers[0].expect("deleteUser", 204, &[]);
        answers[1].expect("createAgent", 201, &[revoked]);
        answers[2].expect("issueAgentToken", 200, &[revoked, (404, "agent_not_found")]);
        if answers[2].status == 200 {
            let token = answers[2].body["token"].as_str().unwrap();
            s.get("/api/auth/whoami")
                .bearer(token)
                .send()
                .await
                .expect_error(401, "invalid_token");
        }
        s.get("/api/auth/whoami")
            .bearer(&person.token)
            .send()
            .await
            .expect_error(401, "invalid_token");
    }
    assert_consistent(s).await;
    assert_no_internal_error(s);
}
