//! `agents permissions NAME --can-read-user-memory`: one setting changed, shown, refused.

use serde_json::json;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

e2e!(agents_permissions_sets_memory_access);
/// `agents permissions NAME --can-read-user-memory true|false` changes exactly that setting
/// (`PUT /api/agents/{name}/permissions`), shows the agent (or the API's JSON), and reports
/// unknown agents, missing scope and bad values.
async fn agents_permissions_sets_memory_access(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    let before = create_agent(&client, "Research Bot").await;
    assert!(!before.can_read_user_memory);
    let ctl = Ctl::with_token(s, &admin.token);

    let shown = ctl
        .run(
            &[
                "agents",
                "permissions",
                "research-bot",
                "--can-read-user-memory",
                "true",
            ],
            None,
        )
        .await
        .ok();
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.starts_with("reads user memory") && l.ends_with("true")),
        "{}",
        shown.stdout
    );
    let now = client.get_agent().name("research-bot").send().await.value();
    assert!(now.can_read_user_memory);
    assert_eq!(
        (&now.color, &now.scope, &now.host),
        (&before.color, &before.scope, &before.host),
        "nothing else changes"
    );

    let printed = ctl
        .run(
            &[
                "agents",
                "permissions",
                "research-bot",
                "--can-read-user-memory",
                "false",
                "--json",
            ],
            None,
        )
        .await
        .ok()
        .json();
    let now = client.get_agent().name("research-bot").send().await.value();
    assert!(!now.can_read_user_memory);
    assert_eq!(
        printed,
        serde_json::to_value(&now).expect("to JSON"),
        "the API's Agent"
    );

    ctl.run(&["agents", "permissions", "research-bot"], None)
        .await
        .usage_err("--can-read-user-memory");
    ctl.run(
        &[
            "agents",
            "permissions",
            "research-bot",
            "--can-read-user-memory",
            "maybe",
        ],
        None,
    )
    .await
    .usage_err("maybe");
    ctl.run(
        &[
            "agents",
            "permissions",
            "nobody",
            "--can-read-user-memory",
            "true",
        ],
        None,
    )
    .await
    .api_err(1, "agent_not_found");

    // A token without agents.update: 403 scope_denied, and the agent is unchanged.
    let reader = issue_agent_token_with(&client, "research-bot", json!({"scope": ["agents.read"]}))
        .await
        .token;
    Ctl::with_token(s, &reader)
        .run(
            &[
                "agents",
                "permissions",
                "research-bot",
                "--can-read-user-memory",
                "true",
            ],
            None,
        )
        .await
        .api_err(1, "scope_denied");
    let after = client.get_agent().name("research-bot").send().await.value();
    assert!(!after.can_read_user_memory);
}
