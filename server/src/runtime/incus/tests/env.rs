use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncWriteExt;

use super::*;
use crate::runtime::Injection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_reaches_the_agent_and_apply_env_changes_it() {
    let Some(mut f) = fixture("env").await else { return };
    let mut spec = f.spec(Some("echo \"greeting=$GREETING\"; sleep 600"));
    spec.env.insert("GREETING", "hello world");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "greeting=hello world").await;

    spec.env.insert("GREETING", "bonjour");
    // busybox has no taos-agent unit: the container is restarted with it.
    assert_eq!(
        f.rt.apply_env(&spec, Duration::from_secs(1)).await.unwrap(),
        Injection::Restarted
    );
    f.wait_line(id, |l| l == "greeting=bonjour").await;
    // The env file a systemd unit would read was written too, readable by root only.
    let file = format!(
        "/1.0/instances/taos-agent-{}/files?path=/etc/taos/agent.env",
        spec.name
    );
    let content = f.rt.inner.rest.get_raw(&file).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&content), "GREETING='bonjour'\n");
    let on_disk = format!(
        "/var/lib/incus/containers/{}_taos-agent-{}/rootfs/etc/taos/agent.env",
        f.project, spec.name
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&on_disk).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{on_disk}");

    f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    spec.env.insert("GREETING", "hallo");
    assert_eq!(
        f.rt.apply_env(&spec, GRACE).await.unwrap(),
        Injection::OnNextStart
    );
    let t = f.rt.start(&spec).await.unwrap();
    assert!(t.changed);
    f.wait_line(id, |l| l == "greeting=hallo").await;

    let mut unknown = spec.clone();
    unknown.agent_id = Uuid::new_v4();
    assert_eq!(
        f.rt.apply_env(&unknown, GRACE).await.unwrap(),
        Injection::OnNextStart
    );
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_taos_url_works_inside_through_the_proxy_device() {
    let Some(mut f) = fixture("taos_url").await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    // taosd's stand-in: answers `pong` to whoever connects.
    let serve = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = conn.write_all(b"pong\n").await;
        }
    });
    // busybox nc quits at the end of its input: `sleep` keeps it open for the answer.
    let mut spec = f.spec(Some(
        "port=${TAOS_URL##*:}; for i in $(seq 50); do \
         r=$(sleep 1 | nc 127.0.0.1 $port); if [ -n \"$r\" ]; then echo \"got $r\"; break; fi; \
         sleep 0.2; done; sleep 600",
    ));
    spec.env.insert("TAOS_URL", format!("http://127.0.0.1:{port}"));
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l == "got pong").await;
    assert!(accepted.load(Ordering::SeqCst) >= 1);
    serve.abort();
    assert!(f.rt.remove(id, GRACE).await.unwrap());
}
