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

    // One agent a verb: the verbs of one agent take turns, and here they wait side by side.
    let spec = || InstanceSpec {
        image: Some(IMAGE.into()),
        ..InstanceSpec::process(Uuid::new_v4(), "nowhere", &["true"])
    };
    let id = || Uuid::new_v4();
    let (to_start, to_restart, to_apply) = (spec(), spec(), spec());
    let grace = Duration::from_secs(10);
    let unavailable = |(r, took): (Result<(), Error>, Duration), verb: &str| {
        assert!(took <= Duration::from_secs(5), "{verb} took {took:?}");
        match r {
            Err(Error::Unavailable {
                kind: RuntimeKind::Docker,
                fix,
                ..
            }) => assert_eq!(fix, super::super::FIX),
            other => panic!("{verb}: {other:?}"),
        }
    };
    // Each verb is bounded on its own; side by side, a hung daemon costs the suite one bound,
    // not nine.
    let (start, stop, pause, resume, restart, state, remove, list, apply_env) = tokio::join!(
        timed(rt.start(&to_start)),
        timed(rt.stop(id(), grace)),
        timed(rt.pause(id())),
        timed(rt.resume(id())),
        timed(rt.restart(&to_restart, grace)),
        timed(rt.state(id())),
        timed(rt.remove(id(), grace)),
        timed(rt.list()),
        timed(rt.apply_env(&to_apply, grace)),
    );
    unavailable(start, "start");
    unavailable(stop, "stop");
    unavailable(pause, "pause");
    unavailable(resume, "resume");
    unavailable(restart, "restart");
    unavailable(state, "state");
    unavailable(remove, "remove");
    unavailable(list, "list");
    unavailable(apply_env, "apply_env");
}

/// What `verb` answered, as `()` or its error, and how long it took.
async fn timed<T>(verb: impl Future<Output = Result<T, Error>>) -> (Result<(), Error>, Duration) {
    let began = Instant::now();
    let r = verb.await.map(|_| ());
    (r, began.elapsed())
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
