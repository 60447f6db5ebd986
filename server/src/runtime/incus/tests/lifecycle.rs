use super::*;
use crate::runtime::{Error, Resources, StopCause};

const TICKS: &str = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_is_idempotent_stop_reports_a_change_and_remove_forgets() {
    let Some(mut f) = fixture("lifecycle").await else {
        return;
    };
    let mut spec = f.spec(Some(TICKS));
    spec.resources = Resources {
        memory_mb: Some(64),
        cpus: Some(0.5),
        pids: Some(100),
    };
    let id = spec.agent_id;
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));

    let t = f.rt.start(&spec).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Created, State::Running));
    assert!(t.status.pid.is_some());
    f.expect_events(id, &[LifecycleKind::Started]).await;
    assert_eq!(f.daemon_code(&spec).await, Some(103));
    // Labelled, limited, and unprivileged.
    let inst =
        f.rt.inner
            .instance(&format!("taos-agent-{}", spec.name))
            .await
            .unwrap()
            .unwrap();
    let config = &inst["config"];
    assert_eq!(config["user.taos.agent"], id.to_string());
    assert_eq!(config["limits.memory"], "64MiB");
    assert_eq!(config["limits.cpu.allowance"], "50ms/100ms");
    assert_eq!(config["limits.processes"], "100");
    assert!(config.get("security.privileged").is_none() && config.get("security.nesting").is_none());
    let state =
        f.rt.inner
            .rest
            .get(&format!("/1.0/instances/taos-agent-{}/state", spec.name))
            .await
            .unwrap();
    assert_eq!(
        state["memory"]["total"],
        64 * 1024 * 1024,
        "the memory limit is in force"
    );

    let again = f.rt.start(&spec).await.unwrap();
    assert!(!again.changed);
    assert_eq!(again.status.pid, t.status.pid);
    // The console is the agent's output, each line once, in order.
    f.wait_line(id, |l| l == "tick 3").await;
    let texts = f.texts(id);
    assert_eq!(texts[0], "tick 0", "{texts:?}");
    for (i, l) in texts.iter().enumerate() {
        assert_eq!(l, &format!("tick {i}"));
    }

    let listed = f.rt.list().await.unwrap();
    let me = listed.iter().find(|i| i.agent_id == id).expect("listed");
    assert_eq!(
        (me.name.as_str(), me.status.state),
        (spec.name.as_str(), State::Running)
    );
    assert!(me.memory_bytes.unwrap() > 0);

    let stopped = f.rt.stop(id, GRACE).await.unwrap();
    assert!(stopped.changed);
    assert_eq!(stopped.status.state, State::Stopped);
    assert_eq!(stopped.status.exit_code, None, "incus gives no exit status");
    assert_eq!(f.daemon_code(&spec).await, Some(102));
    let again = f.rt.stop(id, GRACE).await.unwrap();
    assert!(!again.changed);

    assert!(f.rt.remove(id, GRACE).await.unwrap());
    assert_eq!(f.daemon_code(&spec).await, None);
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));
    assert!(!f.rt.remove(id, GRACE).await.unwrap());
    f.expect_events(
        id,
        &[
            LifecycleKind::Stopped {
                cause: StopCause::Verb,
            },
            LifecycleKind::Removed,
        ],
    )
    .await;
    // The logs are kept.
    assert!(f.texts(id).len() >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_an_invalid_spec_and_leaves_nothing() {
    let Some(mut f) = fixture("missing_image").await else {
        return;
    };
    let mut spec = f.spec(None);
    spec.image = Some("taos-no-such-image".into());
    match f.rt.start(&spec).await {
        Err(Error::InvalidSpec { field, .. }) => assert_eq!(field, "image"),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.daemon_code(&spec).await, None);
    assert_eq!(f.rt.state(spec.agent_id).await, Err(Error::NotFound));
    assert!(
        f.rt.list()
            .await
            .unwrap()
            .iter()
            .all(|i| i.agent_id != spec.agent_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_by_another_agent_is_refused() {
    let Some(mut f) = fixture("name_taken").await else {
        return;
    };
    let spec = f.spec(Some("sleep 600"));
    f.rt.start(&spec).await.unwrap();
    let mut other = spec.clone();
    other.agent_id = Uuid::new_v4();
    match f.rt.start(&other).await {
        Err(Error::Failed { reason }) => assert!(reason.contains("another agent"), "{reason}"),
        x => panic!("{x:?}"),
    }
    // The first agent's container is untouched.
    assert_eq!(f.rt.state(spec.agent_id).await.unwrap().state, State::Running);
    assert!(f.rt.remove(spec.agent_id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_runtime_adopts_the_containers_of_an_earlier_one() {
    let Some(mut f) = fixture("adoption").await else {
        return;
    };
    let spec = f.spec(Some(TICKS));
    let id = spec.agent_id;
    let pid = f.rt.start(&spec).await.unwrap().status.pid;
    f.wait_line(id, |l| l == "tick 2").await;
    let made = std::mem::take(&mut f.made);
    let project = std::mem::take(&mut f.project);
    let dir = tempfile::tempdir().unwrap();
    let old_dir = std::mem::replace(&mut f.dir, dir);
    drop(f);

    // taosd restarts: a new runtime over the same log directory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut g = reopen(old_dir, &project);
    g.made = made;
    let status = g.rt.state(id).await.unwrap();
    assert_eq!((status.state, status.pid), (State::Running, pid), "the same run");
    assert!(g.rt.list().await.unwrap().iter().any(|i| i.agent_id == id));
    let before = g.texts(id).len();
    g.wait_line(id, |l| l == format!("tick {}", before + 3)).await;
    // No line twice, none lost (the console read while no taosd ran is read now).
    for (i, l) in g.texts(id).iter().enumerate() {
        assert_eq!(l, &format!("tick {i}"));
    }
    assert_eq!(g.rt.stop(id, GRACE).await.unwrap().status.state, State::Stopped);
    assert!(g.rt.remove(id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_argv_is_the_containers_init() {
    let Some(mut f) = fixture("direct_command").await else {
        return;
    };
    let mut spec = f.spec(None);
    // No whitespace: given to LXC as is (`lxc.init.cmd`), no shell involved. (An init that
    // exits at once makes liblxc's start itself fail, so the agent here keeps running.)
    spec.command = ["/bin/watch", "-t", "-n", "0.2", "/bin/env"]
        .map(String::from)
        .to_vec();
    spec.env.insert("GREETING", "hi-from-env");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l.ends_with("GREETING=hi-from-env")).await;
    // PID 1 ignores the halt signal it has no handler for: forced after the grace.
    let t = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    assert_eq!(t.status.state, State::Stopped);
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}
