//! incus with an image whose own init runs the agent as a `taos-agent` systemd unit (the
//! `taos-systemd` image of tests/runtimes/incus.sh): the unit reads the env file taosd pushes,
//! and a re-issued token reaches it live — the unit restarts, the container does not.

use std::time::{Duration, Instant};

use serde_json::json;
use taos_conformance::*;

use super::backends::IncusProject;
use super::*;

const SYSTEMD_IMAGE: &str = "taos-systemd";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(incus_tests),
    ignore = "TAOS_TEST_INCUS=1 not set at build time: the incus variant did not run"
)]
async fn a_reissued_token_reaches_a_systemd_unit_live() {
    let project = IncusProject::new();
    let s = Server::start_sqlite().await;
    s.set_env("TAOS_INCUS_PROJECT", &project.0);
    s.restart().await;
    s.run_case(reissue_reaches_the_unit(&s)).await;
    s.stop().await;
}

/// Lines of the agent's logs that carry its whoami answer.
async fn whoamis(s: &Server, token: &str, name: &str, id: &str) -> usize {
    log_lines(s, token, name, "tail=10000")
        .await
        .iter()
        .filter(|l| l.line.contains(id))
        .count()
}

async fn reissue_reaches_the_unit(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let name = format!("unit {}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let agent = create_agent(&s.client(t), &name).await;
    let slug = agent.name.clone();
    s.put(&format!("/api/agents/{slug}/runtime"))
        .bearer(t)
        .json(&json!({"runtime": "incus", "image": SYSTEMD_IMAGE}))
        .send()
        .await
        .expect_json(200);
    let started = verb(s, t, &slug, "start").await;
    assert_eq!(started.state, types::InstanceState::Running, "{started:?}");
    let id = agent.id.to_string();
    // The unit got the token from the env file at its first start.
    await_line(s, t, &slug, |l| l.contains(&id)).await;
    let first = whoamis(s, t, &slug, &id).await;

    let issued: types::IssuedAgentToken = from_json(
        s.post(&format!("/api/agents/{slug}/token/issue"))
            .bearer(t)
            .json(&json!({}))
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(
        issued.injection,
        Some(types::Injection::Live),
        "a systemd unit gets the new token without a container restart"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while whoamis(s, t, &slug, &id).await <= first {
        assert!(
            Instant::now() < deadline,
            "the restarted unit did not call with its new token"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = runtime_of(s, t, &slug).await.state;
    assert_eq!(after.state, types::InstanceState::Running);
    assert_eq!(
        after.started_at, started.started_at,
        "the container kept running (only its unit restarted)"
    );
    // The new token is the agent's.
    let me = s.client(&issued.token).whoami().send().await.value();
    assert_eq!(me.agent_id, Some(agent.id));
    s.delete(&format!("/api/agents/{slug}"))
        .bearer(t)
        .send()
        .await
        .expect_status(200);
}
