use super::*;
use crate::runtime::{Error, StopCause, Verb};

const LONG: &str = "echo up; while :; do sleep 1; done";
const GRACE: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_restart_remove_and_their_changed_flags() {
    let Some(mut f) = fixture("lifecycle").await else {
        return;
    };
    let mut spec = bb(&f, LONG);
    spec.resources = crate::runtime::Resources {
        memory_mb: Some(64),
        cpus: Some(0.5),
        pids: Some(100),
    };
    let id = spec.agent_id;
    let name = super::super::container_name(&spec.name);
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));

    let t = f.rt.start(&spec).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Created, State::Running));
    assert!(t.status.pid.is_some() && t.status.started_at.is_some());
    f.expect_events(id, &[LifecycleKind::Started]).await;
    let again = f.rt.start(&spec).await.unwrap();
    assert!(!again.changed);
    assert_eq!(again.status.pid, t.status.pid, "no second container");
    f.wait_line(id, |l| l == "up").await;

    // Docker's own view: labelled, unprivileged, host network, env and command as given.
    let labels = docker(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"taos.agent\"}} {{.HostConfig.Privileged}} {{.HostConfig.NetworkMode}}",
        &name,
    ])
    .unwrap();
    assert_eq!(labels, format!("{id} false host"));
    let limits = docker(&["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{len .Mounts}} {{.HostConfig.CapAdd}}", &name]).unwrap();
    assert_eq!(limits, format!("{} 500000000 100 0 <no value>", 64 * 1024 * 1024));

    let listed = f.rt.list().await.unwrap();
    let me = listed.iter().find(|i| i.agent_id == id).unwrap();
    assert_eq!(
        (me.name.as_str(), me.status.state),
        (spec.name.as_str(), State::Running)
    );
    eprintln!(
        "list: memory {:?}, cpu {:?} ms, ip {:?}",
        me.memory_bytes, me.cpu_time_ms, me.ip
    );
    // Read from the container's cgroup (taosd runs on the same host, as root here).
    assert!(me.memory_bytes.is_some_and(|m| m > 0), "{me:?}");
    assert_eq!(me.ip, None, "host network");

    // Pause/resume are not start: start on a paused agent is refused by the state machine.
    f.rt.pause(id).await.unwrap();
    f.expect_events(id, &[LifecycleKind::Paused]).await;
    match f.rt.start(&spec).await {
        Err(Error::InvalidTransition {
            verb: Verb::Start,
            from: State::Paused,
            ..
        }) => {}
        other => panic!("start on paused: {other:?}"),
    }
    f.rt.resume(id).await.unwrap();
    f.expect_events(id, &[LifecycleKind::Resumed]).await;

    let restarted = f.rt.restart(&spec, GRACE).await.unwrap();
    assert!(restarted.changed);
    assert_eq!(restarted.status.state, State::Running);
    assert!(restarted.status.started_at > t.status.started_at);
    let stopped = LifecycleKind::Stopped {
        cause: StopCause::Verb,
    };
    f.expect_events(id, &[stopped, LifecycleKind::Started]).await;

    let s = f.rt.stop(id, GRACE).await.unwrap();
    assert!(s.changed);
    assert_eq!((s.from, s.status.state), (State::Running, State::Stopped));
    assert!(s.status.exit_code.is_some() && s.status.finished_at.is_some() && s.status.pid.is_none());
    assert!(!f.rt.stop(id, GRACE).await.unwrap().changed);
    f.expect_events(id, &[stopped]).await;
    match f.rt.pause(id).await {
        Err(Error::InvalidTransition {
            verb: Verb::Pause,
            from: State::Stopped,
            ..
        }) => {}
        other => panic!("pause on stopped: {other:?}"),
    }
    // The watcher adds nothing for what the verbs did.
    f.no_event(id, Duration::from_millis(500)).await;

    // Started again: the same container (its spec is unchanged).
    let before = docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap();
    assert!(f.rt.start(&spec).await.unwrap().changed);
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap(), before);
    f.expect_events(id, &[LifecycleKind::Started]).await;

    assert!(f.rt.remove(id, GRACE).await.unwrap());
    f.expect_events(id, &[stopped, LifecycleKind::Removed]).await;
    assert_eq!(docker(&["inspect", &name]), None, "the container is gone");
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));
    assert!(!f.rt.remove(id, GRACE).await.unwrap());
    assert!(f.texts(id).contains(&"up".to_string()), "logs are kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_kills_an_agent_that_ignores_term_after_the_grace() {
    let Some(f) = fixture("stop grace").await else {
        return;
    };
    let spec = bb(&f, "trap '' TERM; echo armed; while :; do sleep 1; done");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "armed").await;
    let began = Instant::now();
    let s = f.rt.stop(id, Duration::from_secs(2)).await.unwrap();
    let took = began.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "stopped after {took:?}, before the grace"
    );
    assert!(took < Duration::from_secs(6), "stop took {took:?}");
    assert_eq!(s.status.state, State::Stopped);
    assert_eq!((s.status.exit_code, s.status.signal), (Some(137), Some(9)));
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_the_specs_fault_and_makes_nothing() {
    let Some(f) = fixture("missing image").await else {
        return;
    };
    let mut spec = bb(&f, LONG);
    spec.image = Some("localhost/taos-no-such-image:latest".into());
    match f.rt.start(&spec).await {
        Err(Error::InvalidSpec { field, why }) => {
            assert_eq!(field, "image");
            assert_eq!(
                why,
                "no image 'localhost/taos-no-such-image:latest' in the Docker engine; load it with docker pull or docker import"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        docker(&["inspect", &super::super::container_name(&spec.name)]),
        None
    );
    assert!(matches!(f.rt.state(spec.agent_id).await, Err(Error::NotFound)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_by_another_agent_is_refused_and_left_alone() {
    let Some(f) = fixture("name taken").await else {
        return;
    };
    let mine = bb(&f, LONG);
    f.rt.start(&mine).await.unwrap();
    let theirs = InstanceSpec {
        agent_id: Uuid::new_v4(),
        ..mine.clone()
    };
    match f.rt.start(&theirs).await {
        Err(Error::Failed { reason }) => assert!(reason.contains("another agent"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(!f.rt.remove(theirs.agent_id, GRACE).await.unwrap());
    assert_eq!(f.rt.state(mine.agent_id).await.unwrap().state, State::Running);
    assert!(f.rt.remove(mine.agent_id, GRACE).await.unwrap());
}
