//! The agent's own token: handed to it as `TAOS_TOKEN` (with `TAOS_URL`), used by it through
//! `taosctl`, replaced when re-issued, taken away when revoked.

use std::time::{Duration, Instant};

use serde_json::json;
use taos_conformance::*;

use super::*;

/// What the test agent writes to its `token` file, once it has it.
async fn token_file(dir: &std::path::Path, not: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(t) = std::fs::read_to_string(dir.join("token")) {
            let t = t.trim().to_string();
            if dir.join("ready").exists() && Some(t.as_str()) != not {
                return t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the agent never wrote a new token file"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn titles(s: &Server, token: &str) -> Vec<(String, String)> {
    let page = s.client(token).list_notifications().send().await.value();
    page.items.into_iter().map(|n| (n.title, n.source)).collect()
}

e2e!(an_agent_uses_the_token_it_was_given_and_gets_the_next_one);
/// Started, the agent notifies its user with its injected token through `taosctl`. A
/// re-issue restarts it with the new token (the old one is refused); a revoke restarts it
/// with none.
async fn an_agent_uses_the_token_it_was_given_and_gets_the_next_one(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), "Herald").await;
    let taosctl = taos_conformance::taosctl::path();
    let script = format!(
        "rm -f ready; printf %s \"$TAOS_TOKEN\" > token; touch ready; \
         [ -n \"$TAOS_TOKEN\" ] && {} ui notify --title \"hello from $TAOS_URL\"; exec sleep 60",
        taosctl.display()
    );
    configure(s, t, "herald", &["sh", "-c", &script], json!({})).await;
    let started = verb(s, t, "herald", "start").await;
    assert_eq!(started.state, types::InstanceState::Running);
    let dir = work_dir(s, &agent);
    let first = token_file(&dir, None).await;
    assert!(
        first.starts_with("taos_agent_"),
        "the agent got no token: {first:?}"
    );
    let me = s.client(&first).whoami().send().await.value();
    assert_eq!(me.agent_id, Some(agent.id), "the injected token is the agent's");
    let hello = format!("hello from {}", s.url());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !titles(s, t).await.iter().any(|(title, _)| *title == hello) {
        assert!(
            Instant::now() < deadline,
            "the agent never notified: {:?}",
            titles(s, t).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        titles(s, t)
            .await
            .iter()
            .any(|(title, src)| *title == hello && src == "agent:herald"),
        "sent as the agent"
    );

    // Re-issue: the running agent is restarted with the new token; the old one is dead.
    let issued: types::IssuedAgentToken = from_json(
        s.post("/api/agents/herald/token/issue")
            .bearer(t)
            .json(&json!({}))
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(issued.injection, Some(types::Injection::Restarted));
    let second = token_file(&dir, Some(&first)).await;
    assert_eq!(second, issued.token, "the agent now holds the re-issued token");
    s.get("/api/auth/whoami")
        .bearer(&first)
        .send()
        .await
        .expect_error(401, "invalid_token");
    let state = runtime_of(s, t, "herald").await.state;
    assert_eq!(state.state, types::InstanceState::Running);
    assert_ne!(state.pid, started.pid, "restarted");

    // Revoke: restarted without a token.
    s.delete("/api/agents/herald/token")
        .bearer(t)
        .send()
        .await
        .expect_status(204);
    let third = token_file(&dir, Some(&second)).await;
    assert_eq!(third, "", "a revoked agent has no token");
    s.get("/api/auth/whoami")
        .bearer(&second)
        .send()
        .await
        .expect_error(401, "invalid_token");

    // A stopped agent gets a token at its next start.
    verb(s, t, "herald", "stop").await;
    let issued: types::IssuedAgentToken = from_json(
        s.post("/api/agents/herald/token/issue")
            .bearer(t)
            .json(&json!({}))
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(issued.injection, Some(types::Injection::OnNextStart));
    verb(s, t, "herald", "start").await;
    assert_eq!(token_file(&dir, Some("")).await, issued.token);
    verb(s, t, "herald", "stop").await;

    // An agent without a runtime spec: no injection at all.
    create_agent(&s.client(t), "Plain").await;
    let issued: types::IssuedAgentToken = from_json(
        s.post("/api/agents/plain/token/issue")
            .bearer(t)
            .json(&json!({}))
            .send()
            .await
            .expect_json(200),
    );
    assert_eq!(issued.injection, None);
}

e2e!(the_agent_environment_is_clean_and_its_cwd_is_its_own);
/// The agent sees its spec's env, `TAOS_URL`, `TAOS_TOKEN` and a default `PATH` — nothing of
/// taosd's own environment — and runs in its own directory.
async fn the_agent_environment_is_clean_and_its_cwd_is_its_own(s: &Server) {
    s.set_env("TAOS_TEST_LEAK", "from-taosd");
    s.restart().await;
    let admin = s.setup_admin().await;
    let t = &admin.token;
    let agent = create_agent(&s.client(t), "Env").await;
    configure(
        s,
        t,
        "env",
        &["sh", "-c", "env | sort > env.txt; pwd > pwd.txt; touch ready"],
        json!({"env": {"GREETING": "hi"}}),
    )
    .await;
    verb(s, t, "env", "start").await;
    wait_for(s, t, "env", "stopped").await;
    let dir = work_dir(s, &agent);
    let env = std::fs::read_to_string(dir.join("env.txt")).expect("env.txt");
    assert!(env.contains("GREETING=hi"), "{env}");
    assert!(env.contains(&format!("TAOS_URL={}", s.url())), "{env}");
    assert!(env.contains("TAOS_TOKEN=taos_agent_"), "{env}");
    assert!(
        !env.contains("TAOS_TEST_LEAK"),
        "taosd's env leaked into the agent: {env}"
    );
    let pwd = std::fs::read_to_string(dir.join("pwd.txt")).expect("pwd.txt");
    assert_eq!(
        std::path::Path::new(pwd.trim()),
        dir.canonicalize().unwrap_or(dir.clone())
    );
}
