//! A daemon that is not there, or that accepts and never answers: no daemon needed.

use super::*;
use crate::runtime::Error;

fn at(socket: std::path::PathBuf) -> IncusRuntime {
    let dir = tempfile::tempdir().unwrap();
    let logs = Arc::new(Logs::new(dir.path(), LogLimits::default()));
    let config = IncusConfig {
        socket,
        ..config("default")
    };
    IncusRuntime::new(config, logs, Events::new())
}

async fn check(rt: IncusRuntime) {
    let begun = Instant::now();
    let a = rt.probe().await;
    assert!(begun.elapsed() <= Duration::from_secs(3), "{:?}", begun.elapsed());
    assert!(!a.available);
    assert!(a.reason.is_some());
    assert!(
        a.fix
            .as_deref()
            .unwrap()
            .contains("apt-get install -t bookworm-backports incus-base")
    );

    // One agent a verb: the verbs of one agent take turns (and `state` answers from the record
    // while another is at work), and here they wait side by side, so a hung daemon costs the
    // suite one bound, not four.
    let mut spec = InstanceSpec::process(Uuid::new_v4(), "down", &["sleep", "1"]);
    spec.image = Some(IMAGE.into());
    let unavailable = |verb: &'static str, began: Instant, r: std::result::Result<(), Error>| {
        let took = began.elapsed();
        assert!(matches!(r, Err(Error::Unavailable { .. })), "{verb}: {r:?}");
        assert!(took <= Duration::from_secs(5), "{verb} took {took:?}");
    };
    let began = Instant::now();
    tokio::join!(
        async { unavailable("start", began, rt.start(&spec).await.map(|_| ())) },
        async { unavailable("stop", began, rt.stop(Uuid::new_v4(), GRACE).await.map(|_| ())) },
        async { unavailable("state", began, rt.state(Uuid::new_v4()).await.map(|_| ())) },
        async { unavailable("list", began, rt.list().await.map(|_| ())) },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_socket_is_unavailable_at_once() {
    let dir = tempfile::tempdir().unwrap();
    check(at(dir.path().join("none.socket"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_answers_is_unavailable_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hung.socket");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    // Accepts, reads nothing, answers nothing.
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    check(at(path)).await;
    hold.abort();
}
