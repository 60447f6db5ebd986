//! taosd restarting under running agents: a clean stop brings them back at the next start; a
//! `kill -9` leaves them marked, restarted by their policy; a crash of the agent tells its owner.

use std::time::{Duration, Instant};

use serde_json::json;
use taos_conformance::*;

use super::*;

e2e!(a_clean_restart_brings_back_what_was_running);
/// Agents running at a SIGTERM of taosd run again after it starts; a stopped one stays stopped.
async fn a_clean_restart_brings_back_what_was_running(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    for name in ["Keeper", "Resting"] {
        create_agent(&s.client(t), name).await;
    }
    configure(s, t, "keeper", &["sleep", "120"], json!({})).await;
    configure(s, t, "resting", &["sleep", "120"], json!({})).await;
    let pid = verb(s, t, "keeper", "start").await.pid.expect("pid");
    verb(s, t, "resting", "start").await;
    verb(s, t, "resting", "stop").await;
    s.restart().await;
    assert!(!alive(pid), "a clean stop of taosd stopped its agent");
    let keeper = runtime_of(s, t, "keeper").await;
    assert_eq!(keeper.state.state, types::InstanceState::Running, "{keeper:?}");
    assert!(keeper.state.pid.is_some_and(|p| p != pid && alive(p)));
    let resting = runtime_of(s, t, "resting").await;
    assert_eq!(resting.state.state, types::InstanceState::Stopped);
    assert_eq!(resting.desired_state, types::AgentRuntimeDesiredState::Stopped);
    verb(s, t, "keeper", "stop").await;
}

e2e!(after_a_kill_9_agents_are_marked_and_restarted_by_policy);
/// After `kill -9` of taosd, the agents it ran are gone; the one whose policy restarts runs
/// again, the other is `failed` with why.
async fn after_a_kill_9_agents_are_marked_and_restarted_by_policy(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    for name in ["Phoenix", "Mortal"] {
        create_agent(&s.client(t), name).await;
    }
    configure(
        s,
        t,
        "phoenix",
        &["sleep", "120"],
        json!({"restart": "on-failure"}),
    )
    .await;
    configure(s, t, "mortal", &["sleep", "120"], json!({})).await;
    let p1 = verb(s, t, "phoenix", "start").await.pid.expect("pid");
    let p2 = verb(s, t, "mortal", "start").await.pid.expect("pid");
    s.crash_and_restart().await;
    // The previous taosd's agents do not linger (their cgroups are swept at start).
    await_gone(p1).await;
    await_gone(p2).await;
    let phoenix = runtime_of(s, t, "phoenix").await;
    assert_eq!(phoenix.state.state, types::InstanceState::Running, "{phoenix:?}");
    assert!(phoenix.state.pid.is_some_and(alive));
    let mortal = runtime_of(s, t, "mortal").await;
    assert_eq!(mortal.state.state, types::InstanceState::Failed, "{mortal:?}");
    assert!(
        mortal
            .state
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("taosd stopped"),
        "{mortal:?}"
    );
    // The owner can start it again.
    assert_eq!(
        verb(s, t, "mortal", "start").await.state,
        types::InstanceState::Running
    );
    verb(s, t, "mortal", "stop").await;
    verb(s, t, "phoenix", "stop").await;
}

e2e!(a_crash_tells_the_owner_with_the_exit_code_and_last_lines);
/// An agent that exits non-zero is `failed` with its exit code, and its owner gets a
/// notification from `system.lifecycle` quoting its last lines; `on-failure` restarts it.
async fn a_crash_tells_the_owner_with_the_exit_code_and_last_lines(s: &Server) {
    let admin = s.setup_admin().await;
    let t = &admin.token;
    create_agent(&s.client(t), "Fragile").await;
    configure(
        s,
        t,
        "fragile",
        &["sh", "-c", "echo about to fail; exit 3"],
        json!({}),
    )
    .await;
    verb(s, t, "fragile", "start").await;
    let failed = wait_for(s, t, "fragile", "failed").await;
    assert_eq!(failed.exit_code, Some(3));
    let deadline = Instant::now() + Duration::from_secs(10);
    let crash = loop {
        let page = s.client(t).list_notifications().send().await.value();
        if let Some(n) = page.items.into_iter().find(|n| n.source == "system.lifecycle") {
            break n;
        }
        assert!(Instant::now() < deadline, "no crash notification");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(crash.title.contains("fragile"), "{crash:?}");
    assert!(crash.message.contains("exit code 3"), "{crash:?}");
    assert!(crash.message.contains("about to fail"), "{crash:?}");

    // With `on-failure` it is started again, with a growing restart count.
    create_agent(&s.client(t), "Bouncer").await;
    configure(
        s,
        t,
        "bouncer",
        &["sh", "-c", "sleep 0.2; exit 1"],
        json!({"restart": "on-failure"}),
    )
    .await;
    verb(s, t, "bouncer", "start").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let st = runtime_of(s, t, "bouncer").await.state;
        if st.restart_count >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "not restarted: {st:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = verb(s, t, "bouncer", "stop").await;
    assert_eq!(stopped.state, types::InstanceState::Stopped);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        runtime_of(s, t, "bouncer").await.state.state,
        types::InstanceState::Stopped,
        "a stop ends the restarts"
    );
}
