use super::*;
use crate::runtime::StopCause;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_taosd_adopts_the_containers_an_earlier_one_made() {
    let Some(f) = fixture("adoption").await else {
        return;
    };
    let spec = bb(&f, "echo one; while :; do sleep 1; done");
    let id = spec.agent_id;
    let started = f.rt.start(&spec).await.unwrap().status;
    f.wait_line(id, |l| l == "one").await;

    // taosd stops: its containers do not.
    f.rt.shutdown(Duration::from_secs(1)).await;
    let name = super::super::container_name(&spec.name);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &name]).unwrap(),
        "running"
    );
    let mut f = f.restart_taosd();
    let status = f.rt.state(id).await.unwrap();
    assert_eq!(status.state, State::Running);
    assert_eq!(status.started_at, started.started_at);
    assert_eq!(status.pid, started.pid, "the same container, not a new one");
    let listed = f.rt.list().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|i| i.agent_id == id && i.status.state == State::Running)
    );
    // Its log is followed again, without feeding the earlier line twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(f.texts(id), ["one"]);

    let s = f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    assert!(s.changed);
    assert_eq!(s.status.state, State::Stopped);
    f.expect_events(
        id,
        &[LifecycleKind::Stopped {
            cause: StopCause::Verb,
        }],
    )
    .await;
    assert!(f.rt.start(&spec).await.unwrap().changed);
    f.wait_line(id, |l| l == "one").await;
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}
