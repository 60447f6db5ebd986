//! An unreachable daemon: no socket, or one that accepts and never answers. No dockerd
//! needed; these always run.

use std::path::PathBuf;

use super::*;
use crate::runtime::{Error, RuntimeKind};

fn at(socket: PathBuf) -> (DockerRuntime, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let logs = Arc::new(Logs::new(dir.path(), LogLimits::default()));
    let config = DockerConfig {
        socket: Some(socket),
        ..DockerConfig::default()
    };
    (DockerRuntime::new(config, logs, Events::new()), dir)
}

async fn all_unavailable(rt: &DockerRuntime) {
    let probe_began = Instant::now();
    let a = rt.probe().await;
    assert!(
        probe_began.elapsed() < Duration::from_secs(3),
        "probe took {:?}",
        probe_began.elapsed()
    );
    assert!(!a.available);
    assert_eq!(a.kind, RuntimeKind::Docker);
    assert!(a.reason.is_some() && a.version.is_none());
    assert_eq!(a.fix.as_deref(), Some(super::super::FIX));
    assert!(a.capabilities.survives_server_restart);

    let spec = InstanceSpec {
        image: Some(IMAGE.into()),
        ..InstanceSpec::process(Uuid::new_v4(), "nowhere", &["true"])
    };
    let id = spec.agent_id;
    let grace = Duration::from_secs(10);
    let unavailable = |r: Result<(), Error>, verb: &str, began: Instant| {
        assert!(
            began.elapsed() <= Duration::from_secs(5),
            "{verb} took {:?}",
            began.elapsed()
        );
        match r {
            Err(Error::Unavailable {
                kind: RuntimeKind::Docker,
                fix,
                ..
            }) => assert_eq!(fix, super::super::FIX),
            other => panic!("{verb}: {other:?}"),
        }
    };
    let t = Instant::now();
    unavailable(rt.start(&spec).await.map(|_| ()), "start", t);
    let t = Instant::now();
    unavailable(rt.stop(id, grace).await.map(|_| ()), "stop", t);
    let t = Instant::now();
    unavailable(rt.pause(id).await.map(|_| ()), "pause", t);
    let t = Instant::now();
    unavailable(rt.resume(id).await.map(|_| ()), "resume", t);
    let t = Instant::now();
    unavailable(rt.restart(&spec, grace).await.map(|_| ()), "restart", t);
    let t = Instant::now();
    unavailable(rt.state(id).await.map(|_| ()), "state", t);
    let t = Instant::now();
    unavailable(rt.remove(id, grace).await.map(|_| ()), "remove", t);
    let t = Instant::now();
    unavailable(rt.list().await.map(|_| ()), "list", t);
    let t = Instant::now();
    unavailable(rt.apply_env(&spec, grace).await.map(|_| ()), "apply_env", t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_socket_is_unavailable_at_once() {
    let (rt, dir) = at(PathBuf::from("/nonexistent/taos-test/docker.sock"));
    all_unavailable(&rt).await;
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_answers_is_unavailable_in_bounded_time() {
    let sock_dir = tempfile::tempdir().unwrap();
    let path = sock_dir.path().join("hang.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    // Accepts every connection and holds it open without a byte in answer.
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    let (rt, dir) = at(path);
    all_unavailable(&rt).await;
    hold.abort();
    drop(dir);
}
