//! The daemon going away and coming back, without disturbing the shared dockerd: the
//! runtime talks to it through a socket proxy this test stops and starts again.

use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};

use super::*;
use crate::runtime::Error;

/// Forwards every connection on `path` to the real socket; aborting it drops them all.
fn proxy(path: &Path) -> JoinHandle<()> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).unwrap();
    let upstream = super::super::connect::socket_path(None);
    tokio::spawn(async move {
        let mut conns = JoinSet::new();
        while let Ok((mut down, _)) = listener.accept().await {
            let upstream = upstream.clone();
            conns.spawn(async move {
                if let Ok(mut up) = UnixStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                }
            });
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_and_its_watcher_come_back_with_the_daemon() {
    // Only to learn whether a daemon is there (and to skip loudly when not).
    let Some(probe) = fixture("reconnect").await else {
        return;
    };
    let sock_dir = tempfile::tempdir().unwrap();
    let path: PathBuf = sock_dir.path().join("docker.sock");
    let mut up = proxy(&path);
    let made = probe.made.clone();
    let mut f = open(
        tempfile::tempdir().unwrap(),
        |c| c.socket = Some(path.clone()),
        LogLimits::default(),
        made,
    );
    let spec = bb(&f, "echo up; while :; do sleep 1; done");
    let id = spec.agent_id;
    let name = super::super::container_name(&spec.name);
    f.rt.start(&spec).await.unwrap();
    f.expect_events(id, &[LifecycleKind::Started]).await;

    // dockerd "stops": verbs answer Unavailable, promptly.
    up.abort();
    let _ = up.await;
    let _ = std::fs::remove_file(&path);
    let began = Instant::now();
    assert!(matches!(f.rt.state(id).await, Err(Error::Unavailable { .. })));
    assert!(!f.rt.probe().await.available);
    assert!(began.elapsed() < Duration::from_secs(5));

    // …and comes back: the runtime reconnects, and so does the watcher (it sees a kill
    // made behind taosd's back as the crash it is).
    up = proxy(&path);
    let deadline = Instant::now() + WAIT;
    while f.rt.state(id).await.is_err() {
        assert!(Instant::now() < deadline, "never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(f.rt.state(id).await.unwrap().state, State::Running);
    tokio::time::sleep(Duration::from_secs(2)).await;
    docker(&["kill", &name]).unwrap();
    let e = f.next_event(id).await;
    assert_eq!(e.kind, LifecycleKind::Exited);
    assert_eq!((e.status.state, e.status.exit_code), (State::Failed, Some(137)));

    // Removed behind taosd's back: the runtime forgets it, and says so.
    docker(&["rm", "-f", &name]).unwrap();
    f.expect_events(id, &[LifecycleKind::Removed]).await;
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));
    up.abort();
    drop(probe);
}
