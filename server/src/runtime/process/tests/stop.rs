use super::*;
use crate::runtime::StopCause;
use crate::runtime::process::ProcessConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polite_agent_stops_on_sigterm() {
    let mut f = fixture();
    let spec = sh("trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "up").await;
    let t = f.rt.stop(id, Duration::from_secs(10)).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Running, State::Stopped));
    // It left by its own `exit 0`, not by SIGKILL.
    assert_eq!((t.status.exit_code, t.status.signal), (Some(0), None));
    assert!(f.texts(id).contains(&"bye".to_string()));
    f.expect_events(
        id,
        &[
            LifecycleKind::Started,
            LifecycleKind::Stopped {
                cause: StopCause::Verb,
            },
        ],
    )
    .await;

    let again = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    assert!(!again.changed);
    assert_eq!(again.status.state, State::Stopped);
}

/// The agent and the child it forked both ignore SIGTERM: after the grace both are killed.
async fn stubborn(tune: impl FnOnce(&mut ProcessConfig)) {
    let f = fixture_with(tune, LogLimits::default());
    let spec = sh("trap '' TERM; sleep 1000 & echo $! > child.pid; echo up; while :; do sleep 0.05; done");
    let id = spec.agent_id;
    let leader = f.rt.start(&spec).await.unwrap().status.pid.unwrap();
    let child = read_pid(&f, id, "child.pid").await;
    f.wait_line(id, |l| l == "up").await;
    assert!(alive(child));
    let t = f.rt.stop(id, Duration::from_millis(300)).await.unwrap();
    assert_eq!(t.status.state, State::Stopped);
    assert_eq!((t.status.signal, t.status.exit_code), (Some(9), Some(137)));
    assert!(!alive(leader), "the agent is gone");
    assert!(!alive(child), "its child is gone too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_term_ignoring_agent_and_its_child_are_killed_after_the_grace() {
    stubborn(|_| {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cgroups_the_process_group_is_killed() {
    stubborn(without_cgroups).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_cgroup_even_a_child_that_left_the_group_is_killed() {
    let f = fixture();
    if !cgroups_expected(&f) {
        return;
    }
    let spec = sh("setsid sleep 1000 & echo $! > child.pid; exec sleep 1000");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    let child = read_pid(&f, id, "child.pid").await;
    // `setsid` made its own session and group: a process-group signal misses it.
    let deadline = Instant::now() + WAIT;
    while procfs::stat(child).is_none_or(|s| s.pgrp as u32 != child) {
        assert!(Instant::now() < deadline, "setsid never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f.rt.stop(id, Duration::from_millis(300)).await.unwrap();
    assert!(!alive(child), "the cgroup held it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_agents_leftover_children_do_not_outlive_it() {
    let f = fixture_with(without_cgroups, LogLimits::default());
    let spec = sh("sleep 1000 & echo $! > child.pid; sleep 0.2; exit 4");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    let child = read_pid(&f, id, "child.pid").await;
    let status = f.wait_state(id, State::Failed).await;
    assert_eq!(status.exit_code, Some(4));
    assert!(!alive(child));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_paused_agent_thaws_it_to_let_it_exit() {
    for tune in [
        (|_: &mut ProcessConfig| {}) as fn(&mut ProcessConfig),
        without_cgroups,
    ] {
        let f = fixture_with(tune, LogLimits::default());
        let spec = sh("trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done");
        let id = spec.agent_id;
        f.rt.start(&spec).await.unwrap();
        // Its trap is set once it speaks.
        f.wait_line(id, |l| l == "up").await;
        f.rt.pause(id).await.unwrap();
        let t = f.rt.stop(id, Duration::from_secs(10)).await.unwrap();
        assert_eq!(
            (t.from, t.status.state, t.status.exit_code),
            (State::Paused, State::Stopped, Some(0))
        );
        assert!(f.texts(id).contains(&"bye".to_string()));
    }
}
