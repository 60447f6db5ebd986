use super::*;
use crate::runtime::{Error, Resources, StopCause, Verb};

const LONG: &str = "echo up; while :; do sleep 0.05; done";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_is_idempotent_and_state_follows() {
    let mut f = fixture();
    let spec = sh(LONG);
    let id = spec.agent_id;
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));

    let t = f.rt.start(&spec).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Created, State::Running));
    let pid = t.status.pid.unwrap();
    assert!(alive(pid));
    assert!(t.status.started_at.is_some());
    f.expect_events(id, &[LifecycleKind::Started]).await;

    let again = f.rt.start(&spec).await.unwrap();
    assert!(!again.changed);
    assert_eq!(again.status.pid, Some(pid), "no second copy");
    assert_eq!(f.wait_line(id, |l| l == "up").await.seq, 0);

    let listed = f.rt.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].agent_id, listed[0].status.state), (id, State::Running));
    assert!(listed[0].memory_bytes.unwrap() > 0);
    assert!(listed[0].cpu_time_ms.is_some());

    assert!(f.rt.remove(id, Duration::from_secs(2)).await.unwrap());
    assert!(!alive(pid));
    assert_eq!(f.rt.state(id).await, Err(Error::NotFound));
    assert!(!f.rt.remove(id, Duration::from_secs(2)).await.unwrap());
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
    assert!(f.rt.list().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_is_clean_and_the_cwd_is_the_agents_own() {
    let f = fixture();
    let mut spec = InstanceSpec::process(Uuid::new_v4(), "envy", &["env"]);
    spec.env
        .insert("GREETING", "hello world")
        .insert("TAOS_URL", "http://127.0.0.1:1");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    let mut seen = f.texts(id);
    seen.sort();
    let home = f.home(id);
    let mut want = vec![
        "GREETING=hello world".to_string(),
        format!("HOME={}", home.display()),
        format!("PATH={}", super::super::DEFAULT_PATH),
        "TAOS_URL=http://127.0.0.1:1".to_string(),
    ];
    want.sort();
    // Exactly these: nothing of taosd's environment (its TAOS_* settings, HOME, …) leaks.
    assert_eq!(seen, want);

    let mut spec = InstanceSpec::process(Uuid::new_v4(), "pwd", &["pwd"]);
    spec.working_dir = Some("projects/one".into());
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    let cwd = std::path::PathBuf::from(&f.texts(id)[0]);
    assert_eq!(cwd, f.home(id).join("projects/one"));
    assert!(cwd.starts_with(f.dir.path().canonicalize().unwrap()));
    use std::os::unix::fs::PermissionsExt;
    let agent_dir = f.dir.path().join(id.to_string());
    assert_eq!(
        std::fs::metadata(&agent_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_cannot_take_the_cwd_outside() {
    let mut f = fixture();
    let mut spec = InstanceSpec::process(Uuid::new_v4(), "escape", &["pwd"]);
    let id = spec.agent_id;
    // The agent (or anyone) left a link in its home pointing elsewhere.
    let home = f.dir.path().join(id.to_string()).join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::symlink("/tmp", home.join("out")).unwrap();
    spec.working_dir = Some("out".into());
    let err = f.rt.start(&spec).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSpec { field, .. } if field == "working_dir"),
        "{err:?}"
    );
    assert_eq!(
        f.rt.state(id).await.unwrap().state,
        State::Created,
        "nothing started"
    );
    assert!(f.events.try_recv().is_err(), "no event: nothing happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_specs_are_refused_before_anything_starts() {
    let mut f = fixture();
    let marker = f.dir.path().join("ran");
    let touch = format!("touch {}", marker.display());
    let mut cases: Vec<(InstanceSpec, &str)> = Vec::new();
    let mut empty = sh(&touch);
    empty.command.clear();
    cases.push((empty, "command"));
    let mut nul = sh(&touch);
    nul.command.push("a\0b".into());
    cases.push((nul, "command[3]"));
    for (resources, field) in [
        (
            Resources {
                memory_mb: Some(-1),
                ..Default::default()
            },
            "resources.memory_mb",
        ),
        (
            Resources {
                memory_mb: Some(0),
                ..Default::default()
            },
            "resources.memory_mb",
        ),
        (
            Resources {
                cpus: Some(0.0),
                ..Default::default()
            },
            "resources.cpus",
        ),
        (
            Resources {
                cpus: Some(-2.0),
                ..Default::default()
            },
            "resources.cpus",
        ),
        (
            Resources {
                pids: Some(-5),
                ..Default::default()
            },
            "resources.pids",
        ),
    ] {
        let mut s = sh(&touch);
        s.resources = resources;
        cases.push((s, field));
    }
    let mut bad_env = sh(&touch);
    bad_env.env.insert("A=B", "x");
    cases.push((bad_env, "env"));
    for (spec, field) in cases {
        for result in [
            f.rt.start(&spec).await,
            f.rt.restart(&spec, Duration::from_secs(1)).await,
        ] {
            match result {
                Err(Error::InvalidSpec { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert_eq!(f.rt.state(spec.agent_id).await, Err(Error::NotFound));
        assert!(!f.dir.path().join(spec.agent_id.to_string()).exists());
    }
    assert!(!marker.exists());
    assert!(f.events.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_program_is_the_specs_fault() {
    let f = fixture();
    let spec = InstanceSpec::process(Uuid::new_v4(), "ghost", &["no-such-program-here"]);
    let err = f.rt.start(&spec).await.unwrap_err();
    let Error::InvalidSpec { field, why } = err else {
        panic!("{err:?}")
    };
    assert_eq!(field, "command");
    assert!(why.contains("no-such-program-here"), "{why}");
    assert_eq!(f.rt.state(spec.agent_id).await.unwrap().state, State::Created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_brings_a_new_env_to_a_new_process() {
    let f = fixture();
    let mut spec = sh("echo \"v=$V\"; exec sleep 100");
    spec.env.insert("V", "1");
    let id = spec.agent_id;
    let first = f.rt.start(&spec).await.unwrap().status.pid.unwrap();
    f.wait_line(id, |l| l == "v=1").await;
    spec.env.insert("V", "2");
    let t = f.rt.restart(&spec, Duration::from_secs(2)).await.unwrap();
    assert!(t.changed);
    assert_eq!((t.from, t.status.state), (State::Running, State::Running));
    assert_ne!(t.status.pid, Some(first));
    assert!(!alive(first));
    f.wait_line(id, |l| l == "v=2").await;
    f.rt.remove(id, Duration::from_secs(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_seq_survive_a_taosd_restart() {
    let f = fixture();
    let spec = sh("echo one; echo two");
    let id = spec.agent_id;
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    let Fixture { dir, rt, logs, .. } = f;
    drop((rt, logs));

    let f = reopen(dir, |_| {}, LogLimits::default());
    assert!(
        f.rt.list().await.unwrap().is_empty(),
        "children are not re-adopted"
    );
    let spec = InstanceSpec {
        command: vec!["sh".into(), "-c".into(), "echo three".into()],
        ..spec
    };
    f.rt.start(&spec).await.unwrap();
    f.wait_state(id, State::Stopped).await;
    let lines = f.lines(id);
    let got: Vec<(u64, &str)> = lines.iter().map(|l| (l.seq, l.line.as_str())).collect();
    assert_eq!(got, [(0, "one"), (1, "two"), (2, "three")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_every_agent_and_refuses_new_ones() {
    let mut f = fixture();
    let (a, b) = (sh(LONG), sh("trap '' TERM; while :; do sleep 0.05; done"));
    let pa = f.rt.start(&a).await.unwrap().status.pid.unwrap();
    let pb = f.rt.start(&b).await.unwrap().status.pid.unwrap();
    f.rt.shutdown(Duration::from_millis(300)).await;
    assert!(!alive(pa) && !alive(pb));
    let mut events = Vec::new();
    while let Ok(e) = f.events.try_recv() {
        events.push(e);
    }
    for id in [a.agent_id, b.agent_id] {
        assert_eq!(f.rt.state(id).await.unwrap().state, State::Stopped);
        let kinds: Vec<LifecycleKind> = events
            .iter()
            .filter(|e| e.agent_id == id)
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                LifecycleKind::Started,
                LifecycleKind::Stopped {
                    cause: StopCause::Shutdown
                }
            ]
        );
    }
    assert!(matches!(
        f.rt.start(&sh(LONG)).await,
        Err(Error::Unavailable { .. })
    ));
    // A verb on a stopped agent still answers.
    let err = f.rt.pause(a.agent_id).await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidTransition {
            verb: Verb::Pause,
            from: State::Stopped,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reports_what_applies_here() {
    let f = fixture();
    let a = f.rt.probe().await;
    assert!(a.available && a.reason.is_none());
    assert!(a.version.unwrap().starts_with("linux "));
    assert!(!a.capabilities.survives_server_restart);
    if cgroups_expected(&f) {
        let l = a.capabilities.limits;
        assert!(l.memory && l.cpus && l.pids, "{l:?}");
    }
    let plain = fixture_with(without_cgroups, LogLimits::default());
    let caps = plain.rt.probe().await.capabilities;
    assert_eq!(caps.pause, PauseKind::Sigstop);
    assert_eq!(caps.limits, crate::runtime::LimitsApplied::default());
}
