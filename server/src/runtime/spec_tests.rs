use super::*;

fn spec() -> InstanceSpec {
    InstanceSpec::process(Uuid::nil(), "scout", &["sh", "-c", "echo hi"])
}

fn refused(s: &InstanceSpec, kind: RuntimeKind) -> String {
    match s.validate_for(kind) {
        Err(Error::InvalidSpec { field, .. }) => field,
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

#[test]
fn a_plain_process_spec_is_valid() {
    let mut s = spec();
    s.env.insert("TAOS_TOKEN", "taos_agent_x").insert("_X1", "");
    s.resources = Resources {
        memory_mb: Some(64),
        cpus: Some(0.5),
        pids: Some(32),
    };
    s.working_dir = Some("work/./sub".into());
    assert_eq!(s.validate_for(RuntimeKind::Process), Ok(()));
}

#[test]
fn bad_commands_are_refused() {
    let mut s = spec();
    s.command.clear();
    assert_eq!(refused(&s, RuntimeKind::Process), "command");
    s.command = vec![String::new()];
    assert_eq!(refused(&s, RuntimeKind::Process), "command");
    s.command = vec!["sh".into(), "a\0b".into()];
    assert_eq!(refused(&s, RuntimeKind::Process), "command[1]");
    s.command = vec!["x".repeat(MAX_TOTAL_BYTES)];
    assert_eq!(refused(&s, RuntimeKind::Process), "command");
    s.command = vec!["a".into(); MAX_ARGS + 1];
    assert_eq!(refused(&s, RuntimeKind::Process), "command");
}

#[test]
fn containers_need_an_image() {
    let s = spec();
    assert_eq!(refused(&s, RuntimeKind::Docker), "image");
    let mut s = spec();
    s.image = Some("localhost/bb:latest".into());
    s.command.clear();
    assert_eq!(s.validate_for(RuntimeKind::Incus), Ok(()));
    s.image = Some("bb\0".into());
    assert_eq!(refused(&s, RuntimeKind::Docker), "image");
}

#[test]
fn limits_must_be_positive_and_sane() {
    let cases: [(Resources, &str); 7] = [
        (
            Resources {
                memory_mb: Some(0),
                ..Default::default()
            },
            "resources.memory_mb",
        ),
        (
            Resources {
                memory_mb: Some(-64),
                ..Default::default()
            },
            "resources.memory_mb",
        ),
        (
            Resources {
                memory_mb: Some(MAX_MEMORY_MB + 1),
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
                cpus: Some(-1.0),
                ..Default::default()
            },
            "resources.cpus",
        ),
        (
            Resources {
                cpus: Some(f64::NAN),
                ..Default::default()
            },
            "resources.cpus",
        ),
        (
            Resources {
                pids: Some(0),
                ..Default::default()
            },
            "resources.pids",
        ),
    ];
    for (resources, field) in cases {
        let mut s = spec();
        s.resources = resources;
        assert_eq!(refused(&s, RuntimeKind::Process), field, "{resources:?}");
    }
}

#[test]
fn env_names_are_portable_and_values_never_echoed() {
    for name in ["", "1X", "A-B", "A=B", "A B", "Ä"] {
        let mut s = spec();
        s.env.insert(name, "v");
        assert_eq!(refused(&s, RuntimeKind::Process), "env", "{name:?}");
    }
    let mut s = spec();
    s.env.insert("TAOS_TOKEN", "taos_agent_secret\0");
    let err = s.validate_for(RuntimeKind::Process).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid env.TAOS_TOKEN: contains a NUL character"
    );
}

#[test]
fn working_dir_cannot_leave_the_agent_dir() {
    for dir in ["/etc", "..", "a/../../b", "", "a\0"] {
        let mut s = spec();
        s.working_dir = Some(dir.into());
        assert_eq!(refused(&s, RuntimeKind::Process), "working_dir", "{dir:?}");
    }
}

#[test]
fn names_are_slugs() {
    for name in ["", "a/b", "../x", "a b", &"x".repeat(64)] {
        let mut s = spec();
        s.name = name.into();
        assert_eq!(refused(&s, RuntimeKind::Process), "name", "{name:?}");
    }
}

#[test]
fn debug_never_shows_env_values() {
    let mut s = spec();
    s.env
        .insert("TAOS_TOKEN", "taos_agent_s3cr3t")
        .insert("MODE", "quiet-value");
    let shown = format!("{s:?}");
    assert!(shown.contains("TAOS_TOKEN") && shown.contains("MODE"), "{shown}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("quiet-value"),
        "{shown}"
    );
}

#[test]
fn credentials_are_told_by_their_names() {
    let env: Env = [
        ("TAOS_TOKEN", "t1"),
        ("openai_api_key", "k1"),
        ("DB_PASSWORD", "p1"),
        ("EMPTY_SECRET", ""),
        ("LOG_LEVEL", "info"),
    ]
    .into_iter()
    .collect();
    let mut secrets = env.secret_values();
    secrets.sort();
    assert_eq!(secrets, ["k1", "p1", "t1"]);
}

#[test]
fn specs_round_trip_as_json() {
    let mut s = spec();
    s.env.insert("A", "1");
    s.restart = RestartPolicy::OnFailure;
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["env"]["A"], "1");
    assert_eq!(json["restart"], "on-failure");
    assert_eq!(serde_json::from_value::<InstanceSpec>(json).unwrap(), s);
}
