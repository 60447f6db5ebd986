//! Deleting a user is final: requests of that user that authenticated just before the removal
//! either commit before it (and are cut off by it) or write nothing. Many rounds, both
//! backends: afterwards no live agent, no active token and no notification of a removed user
//! committed after the removal, every answer one the contract documents, and no internal error
//! logged.

use futures::future::join_all;
use serde_json::{Value, json};
use taos_conformance::check::assert_canonical;
use taos_conformance::people::PASSWORD;
use taos_conformance::*;

/// Rounds: enough for the removal to land before, between and after the other requests.
const ROUNDS: usize = 24;
/// Notifications sent in each round beside the removal (by the person and by their agent).
const NOTIFIES: usize = 4;

#[derive(Debug)]
struct Answer {
    what: &'static str,
    status: u16,
    body: Value,
}

impl Answer {
    /// Panics unless this is `ok`, or one of the `errors` (status, slug).
    #[track_caller]
    fn expect(&self, ok: u16, errors: &[(u16, &str)]) {
        let slug = self.body["error"].as_str().unwrap_or_default();
        let fits = self.status == ok || errors.iter().any(|(st, sl)| *st == self.status && *sl == slug);
        assert!(
            fits,
            "{}: {} {} is not a documented answer here (expected {ok} or {errors:?})",
            self.what, self.status, self.body
        );
    }
}

/// Sends the requests at the same moment (each on its own task); answers in order.
async fn together(requests: Vec<(&'static str, Request)>) -> Vec<Answer> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks = requests.into_iter().map(|(what, req)| {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let answer = req.send().await;
            let status = answer.status().as_u16();
            let text = answer.text();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            if status >= 400 {
                assert_canonical(status, answer.headers(), &body);
            }
            Answer { what, status, body }
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

/// Rows that outlive a removal, counted by no-op updates (the harness runs statements): live
/// agents, active tokens, and notifications made after `deleted_at`, of removed users.
async fn assert_nothing_outlives_the_removal(s: &Server) {
    let removed = "SELECT id FROM users WHERE deleted_at IS NOT NULL";
    let live_agents = s
        .sql_execute(
            &format!(
                "UPDATE agents SET status = status WHERE archived_at IS NULL AND user_id IN ({removed})"
            ),
            &[],
        )
        .await;
    assert_eq!(live_agents, 0, "live agents of removed users");
    let active_tokens = s
        .sql_execute(
            &format!(
                "UPDATE api_tokens SET revoked_at = revoked_at WHERE revoked_at IS NULL AND user_id IN ({removed})"
            ),
            &[],
        )
        .await;
    assert_eq!(active_tokens, 0, "active tokens of removed users");
    let late_notes = s
        .sql_execute(
            "UPDATE notifications SET title = title WHERE EXISTS (SELECT 1 FROM users u \
             WHERE u.id = notifications.user_id AND u.deleted_at IS NOT NULL \
             AND u.deleted_at < notifications.created_at)",
            &[],
        )
        .await;
    assert_eq!(
        late_notes, 0,
        "notifications of removed users made after the removal"
    );
}

e2e!(delete_user_racing_every_write_of_theirs);
/// Removing a user while they (and their agent) change an agent, set its permissions, issue
/// and revoke agent tokens, notify, mark notifications read and revoke a personal token. The
/// removal answers 204. Each of theirs answers as if it ran wholly before the removal (its
/// own success answer) or after it: 401 `invalid_token` (their credential revoked, or the
/// user gone by the time the write's transaction ran) or, for what names an agent, 404
/// `agent_not_found` (archived by the removal, before the request looked it up). Never 404
/// `user_token_not_found` for the personal token the removal revoked: the user is gone, not
/// the token.
async fn delete_user_racing_every_write_of_theirs(s: &Server) {
    let admin = s.setup_admin().await;
    for round in 0..ROUNDS {
        let person = s.add_user(&admin, &format!("leaver{round}")).await;
        let own = s.client(&person.token);
        let spare = s.user_token(&person.username, PASSWORD, None).await;
        let spare_id = s
            .client(&spare)
            .whoami()
            .send()
            .await
            .value()
            .token_id
            .expect("a token has an id");
        let mine = create_agent(&own, "Mine").await.name;
        let other = create_agent(&own, "Other").await.name;
        let agent_token = issue_agent_token_with(&own, &mine, json!({"scope": ["*"]}))
            .await
            .token;
        let note = s
            .post("/api/ui/notify")
            .bearer(&person.token)
            .json(&json!({"title": "before"}))
            .send()
            .await
            .expect_json(200);
        let note_id = note["notification_id"].as_str().unwrap().to_string();

        let mut requests = vec![
            (
                "deleteUser",
                s.delete(&format!("/api/users/{}", person.id))
                    .bearer(&admin.token),
            ),
            (
                "updateAgent",
                s.put(&format!("/api/agents/{mine}"))
                    .bearer(&person.token)
                    .json(&json!({"color": "#123456"})),
            ),
            (
                "setAgentPermissions",
                s.put(&format!("/api/agents/{mine}/permissions"))
                    .bearer(&agent_token)
                    .json(&json!({"can_read_user_memory": true})),
            ),
            (
                "issueAgentToken",
                s.post(&format!("/api/agents/{other}/token/issue"))
                    .bearer(&agent_token)
                    .json(&json!({})),
            ),
            (
                "revokeAgentToken",
                s.delete(&format!("/api/agents/{other}/token"))
                    .bearer(&person.token),
            ),
            (
                "markNotificationRead",
                s.post(&format!("/api/notifications/{note_id}/read"))
                    .bearer(&person.token),
            ),
            (
                "markAllNotificationsRead",
                s.post("/api/notifications/read-all").bearer(&agent_token),
            ),
            (
                "revokeUserToken",
                s.delete(&format!("/api/auth/tokens/{spare_id}"))
                    .bearer(&person.token),
            ),
        ];
        for i in 0..NOTIFIES {
            let token = if i % 2 == 0 { &person.token } else { &agent_token };
            requests.push((
                "notifyUser",
                s.post("/api/ui/notify")
                    .bearer(token)
                    .json(&json!({"title": format!("during {i}")})),
            ));
        }
        let answers = together(requests).await;

        let revoked = (401, "invalid_token");
        let archived = (404, "agent_not_found");
        answers[0].expect(204, &[]);
        for a in &answers[1..] {
            match a.what {
                "updateAgent" | "setAgentPermissions" | "issueAgentToken" => {
                    a.expect(200, &[revoked, archived])
                }
                "revokeAgentToken" => a.expect(204, &[revoked, archived]),
                "revokeUserToken" => a.expect(204, &[revoked]),
                _ => a.expect(200, &[revoked]),
            }
        }
        if answers[3].status == 200 {
            let token = answers[3].body["token"].as_str().unwrap();
            s.get("/api/auth/whoami")
                .bearer(token)
                .send()
                .await
                .expect_error(401, "invalid_token");
        }
        for token in [&person.token, &spare, &agent_token] {
            s.get("/api/auth/whoami")
                .bearer(token)
                .send()
                .await
                .expect_error(401, "invalid_token");
        }
    }
    assert_nothing_outlives_the_removal(s).await;
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

e2e!(notifies_beside_a_removal_are_refused_only_for_the_removed_user);
/// A person and the admin notify at the same moment as the person is removed, so their
/// notifications share the server's batches with the removal in between. The admin's are all
/// delivered and listed; the person's are delivered (before the removal) or refused with 401
/// `invalid_token`, and none of theirs is stored after the removal.
async fn notifies_beside_a_removal_are_refused_only_for_the_removed_user(s: &Server) {
    const EACH: usize = 6;
    let admin = s.setup_admin().await;
    let mut delivered = Vec::new();
    for round in 0..ROUNDS {
        let person = s.add_user(&admin, &format!("sender{round}")).await;
        let mut requests = vec![(
            "deleteUser",
            s.delete(&format!("/api/users/{}", person.id))
                .bearer(&admin.token),
        )];
        for i in 0..EACH {
            for (what, token) in [("theirs", &person.token), ("admin's", &admin.token)] {
                requests.push((
                    what,
                    s.post("/api/ui/notify")
                        .bearer(token)
                        .json(&json!({"title": format!("round {round} {i}")})),
                ));
            }
        }
        let answers = together(requests).await;
        answers[0].expect(204, &[]);
        for a in &answers[1..] {
            if a.what == "admin's" {
                a.expect(200, &[]);
                delivered.push(a.body["notification_id"].as_str().unwrap().to_string());
            } else {
                a.expect(200, &[(401, "invalid_token")]);
            }
        }
    }
    let inbox = s
        .get("/api/notifications")
        .bearer(&admin.token)
        .query(&[("limit", "200")])
        .send()
        .await
        .expect_json(200);
    let listed: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed.len(),
        delivered.len(),
        "the admin's inbox is what was sent to them"
    );
    for id in &delivered {
        assert!(
            listed.contains(&id.as_str()),
            "delivered notification {id} is not listed"
        );
    }
    assert_nothing_outlives_the_removal(s).await;
}
