//! taosd as a process: the one line it prints, graceful SIGTERM, state kept across restarts,
//! and the backend it was given really being the one it uses.

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

e2e!(prints_one_line_and_stops_cleanly_on_sigterm);
/// stdout carries exactly the one `taosd listening on …` line; SIGTERM ends taosd with
/// status 0 within seconds.
async fn prints_one_line_and_stops_cleanly_on_sigterm(s: &Server) {
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Before Stop").await;
    let url = s.url();
    let stopped = s.stop().await;
    assert_eq!(
        stopped.stdout,
        vec![format!("taosd listening on {url}")],
        "stdout: {:?}",
        stopped.stdout
    );
    let status = stopped.status.expect("taosd exited");
    assert!(
        status.success(),
        "taosd exited with {status} on SIGTERM\n{}",
        s.stderr()
    );
    assert!(
        stopped.took < std::time::Duration::from_secs(10),
        "SIGTERM took {:?}",
        stopped.took
    );
    assert!(
        reqwest::get(format!("{url}/api/health")).await.is_err(),
        "still answering after stop"
    );
}

e2e!(state_survives_a_restart);
/// People, tokens, agents, archive entries and notifications are all still there after a
/// restart on the same data dir / database; setup stays closed.
async fn state_survives_a_restart(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Persistent").await;
    let token = issue_agent_token_with(
        &client,
        "persistent",
        json!({"scope": ["ui.notify", "agents.read"]}),
    )
    .await;
    create_agent(&client, "Archived Later").await;
    let archived = client.delete_agent().name("archived-later").send().await.value();
    let note = s
        .client(&token.token)
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "remember me"})))
        .send()
        .await
        .value();

    s.restart().await;

    let client = s.client(&admin.token);
    let agent = client.get_agent().name("persistent").send().await.value();
    assert!(agent.has_token);
    assert_eq!(
        agent.token_scope,
        Some(vec!["ui.notify".to_string(), "agents.read".to_string()])
    );
    let me = s.client(&token.token).whoami().send().await.value();
    assert_eq!(me.agent_name.as_deref(), Some("persistent"));
    assert_eq!(
        client.list_archived_agents().send().await.value().items[0].id,
        archived.id
    );
    assert_eq!(
        client.list_notifications().send().await.value().items[0].id,
        note.notification_id
    );
    let status = s.anon().get_auth_status().send().await.value();
    assert!(status.configured);
    s.post("/auth/setup")
        .json(&json!({"username": "again", "password": PASSWORD}))
        .send()
        .await
        .expect_error(409, "already_configured");
    s.login(ADMIN, PASSWORD).await;
}

e2e!(uses_the_database_it_was_given);
/// The rows the API writes are in the database the harness gave taosd (SQLite file in the
/// data dir, or the per-test PostgreSQL database).
async fn uses_the_database_it_was_given(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Counted").await;
    create_agent(&client, "Counted").await;
    assert_eq!(
        s.sql_execute("UPDATE users SET full_name = full_name", &[]).await,
        1
    );
    assert_eq!(
        s.sql_execute("UPDATE agents SET display_name = display_name", &[])
            .await,
        2
    );
    if let Backend::Postgres { .. } = s.backend() {
        assert!(
            !s.data_dir().join("taos.db").exists(),
            "taosd on PostgreSQL also created a SQLite database in its data dir"
        );
    }
}
