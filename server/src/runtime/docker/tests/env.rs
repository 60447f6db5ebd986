use super::*;
use crate::runtime::Injection;
use crate::runtime::logs::REDACTED;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_reaches_the_container_redacted_in_logs_and_apply_env_recreates() {
    let Some(f) = fixture("env").await else { return };
    let token = "taos_agent_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u";
    let mut spec = bb(
        &f,
        "echo \"token=$TAOS_TOKEN greeting=$GREETING\"; while :; do sleep 1; done",
    );
    spec.env.insert("TAOS_TOKEN", token).insert("GREETING", "v1");
    let id = spec.agent_id;
    let name = super::super::container_name(&spec.name);
    assert_eq!(
        f.rt.apply_env(&spec, Duration::from_secs(1)).await.unwrap(),
        Injection::OnNextStart
    );
    f.rt.start(&spec).await.unwrap();
    let line = f.wait_line(id, |l| l.starts_with("token=")).await;
    assert_eq!(line.line, format!("token={REDACTED} greeting=v1"));
    let env = docker(&["inspect", "-f", "{{json .Config.Env}}", &name]).unwrap();
    assert!(env.contains(&format!("TAOS_TOKEN={token}")), "{env}");
    let first = docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap();

    // The same env: nothing to do.
    assert_eq!(
        f.rt.apply_env(&spec, Duration::from_secs(1)).await.unwrap(),
        Injection::Live
    );

    let token2 = "taos_agent_c2Vjb25kdG9rZW5zZWNvbmR0b2tlbnNlY29uZHRva2Vu";
    spec.env.insert("TAOS_TOKEN", token2).insert("GREETING", "v2");
    let how = f.rt.apply_env(&spec, Duration::from_secs(1)).await.unwrap();
    assert_eq!(how, Injection::Recreated);
    let second = docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap();
    assert_ne!(first, second, "a new container");
    assert_eq!(f.rt.state(id).await.unwrap().state, State::Running);
    let line = f.wait_line(id, |l| l.contains("greeting=v2")).await;
    assert_eq!(line.line, format!("token={REDACTED} greeting=v2"));
    let env = docker(&["inspect", "-f", "{{json .Config.Env}}", &name]).unwrap();
    assert!(env.contains(&format!("TAOS_TOKEN={token2}")), "{env}");
    // Each line once: the old container's output is not fed again from the new one.
    let texts = f.texts(id);
    assert_eq!(
        texts.iter().filter(|l| l.contains("greeting=v1")).count(),
        1,
        "{texts:?}"
    );
    let stored: String = texts.concat();
    assert!(!stored.contains(token) && !stored.contains(token2));

    // Stopped, a changed env waits for the next start, which makes the container again.
    f.rt.stop(id, Duration::from_secs(1)).await.unwrap();
    spec.env.insert("GREETING", "v3");
    assert_eq!(
        f.rt.apply_env(&spec, Duration::from_secs(1)).await.unwrap(),
        Injection::OnNextStart
    );
    f.rt.start(&spec).await.unwrap();
    f.wait_line(id, |l| l.contains("greeting=v3")).await;
    let third = docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap();
    assert_ne!(third, second);

    // restart with a changed spec makes the container again too.
    spec.env.insert("GREETING", "v4");
    let t = f.rt.restart(&spec, Duration::from_secs(1)).await.unwrap();
    assert!(t.changed);
    assert_eq!(t.status.state, State::Running);
    f.wait_line(id, |l| l.contains("greeting=v4")).await;
    assert_ne!(docker(&["inspect", "-f", "{{.Id}}", &name]).unwrap(), third);
    assert!(f.rt.remove(id, Duration::from_secs(1)).await.unwrap());
}
