//! Least privilege for agents: an agent made and given a token without asking for a scope gets
//! the agent preset (`ui.notify`, `knowledge.read`) and nothing more, so it can neither mint
//! a sibling's token (cutting the sibling off) nor register agents; more is granted only when
//! asked, within the issuer's own scope.

use serde_json::json;
use taos_conformance::*;

/// The documented agent preset (`docs/agents/concepts/permissions.md#the-agent-preset`).
fn preset() -> Vec<String> {
    vec!["ui.notify".to_string(), "knowledge.read".to_string()]
}

e2e!(a_default_agent_notifies_and_reads_the_docs_and_nothing_more);
/// Created without `scope`, its token issued without `scope`: the agent may notify its user
/// and search the docs, and says who it is; issuing its sibling's token, registering an agent
/// or changing one are 403 `scope_denied`, and the sibling's token keeps working.
async fn a_default_agent_notifies_and_reads_the_docs_and_nothing_more(s: &Server) {
    let admin = s.setup_admin().await;
    let operator = s.client(&admin.token);
    let agent = create_agent(&operator, "Plain Bot").await;
    assert_eq!(agent.scope, preset(), "the agent's default scope is the preset");
    let sibling = create_agent(&operator, "Sibling Bot").await;
    let sibling_token = issue_agent_token(&operator, &sibling.name).await;
    let issued = issue_agent_token_with(&operator, &agent.name, json!({})).await;
    assert_eq!(issued.scope, preset(), "the token's default scope is the agent's");
    assert_eq!(
        operator
            .get_agent()
            .name(agent.name.as_str())
            .send()
            .await
            .value()
            .token_scope,
        Some(preset())
    );

    let bot = s.client(&issued.token);
    let me = bot.whoami().send().await.value();
    assert_eq!(
        me.agent_name.as_deref(),
        Some("plain-bot"),
        "whoami needs no scope"
    );
    assert_eq!(me.scope, preset());
    let sent = bot
        .notify_user()
        .body(from_json::<types::NotifyRequest>(json!({"title": "hello"})))
        .send()
        .await
        .value();
    assert!(sent.delivered);
    let hits = bot.search_knowledge().q("token").send().await.value();
    assert!(!hits.items.is_empty(), "the docs answer a search for 'token'");

    let denied = s
        .post(&format!("/api/agents/{}/token/issue", sibling.name))
        .bearer(&issued.token)
        .json(&json!({}))
        .send()
        .await
        .expect_error(403, "scope_denied");
    assert_eq!(denied.body["required_scope"], "agents.token.issue");
    let denied = s
        .post("/api/agents")
        .bearer(&issued.token)
        .json(&json!({"name": "Spawned"}))
        .send()
        .await
        .expect_error(403, "scope_denied");
    assert_eq!(denied.body["required_scope"], "agents.create");
    for (path, slug) in [
        (format!("/api/agents/{}", sibling.name), "agents.read"),
        ("/api/agents".to_string(), "agents.list"),
    ] {
        let denied = s
            .get(&path)
            .bearer(&issued.token)
            .send()
            .await
            .expect_error(403, "scope_denied");
        assert_eq!(denied.body["required_scope"], slug);
    }
    s.put(&format!("/api/agents/{}", sibling.name))
        .bearer(&issued.token)
        .json(&json!({"scope": ["*"]}))
        .send()
        .await
        .expect_error(403, "scope_denied");
    s.delete(&format!("/api/agents/{}/token", sibling.name))
        .bearer(&issued.token)
        .send()
        .await
        .expect_error(403, "scope_denied");

    // Nothing of the sibling changed, and no agent was made.
    let me = s.client(&sibling_token).whoami().send().await.value();
    assert_eq!(
        me.agent_name.as_deref(),
        Some("sibling-bot"),
        "the sibling's token still works"
    );
    let names: Vec<String> = operator
        .list_agents()
        .send()
        .await
        .value()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, vec!["plain-bot".to_string(), "sibling-bot".to_string()]);
}

e2e!(an_operator_grants_more_only_when_asked);
/// `["*"]` (or any scope within the operator's own) is granted when asked, on create, on
/// update and on issue; a narrower operator gets a preset narrowed to what it holds, and
/// asking beyond its own is 403 `scope_exceeds_caller`.
async fn an_operator_grants_more_only_when_asked(s: &Server) {
    let admin = s.setup_admin().await;
    let operator = s.client(&admin.token);
    let wide = create_agent_with(&operator, json!({"name": "Wide Bot", "scope": ["*"]})).await;
    assert_eq!(wide.scope, vec!["*".to_string()]);
    let wide_token = issue_agent_token(&operator, &wide.name).await;
    create_agent(&operator, "Other Bot").await;
    // The trusted agent may do what the preset may not: mint its sibling's token.
    let minted = issue_agent_token_with(&s.client(&wide_token), "other-bot", json!({})).await;
    assert_eq!(minted.scope, preset());

    // A token wider than its agent's default, when asked for at issue time.
    let plain = create_agent(&operator, "Plain Bot").await;
    let asked = issue_agent_token_with(&operator, &plain.name, json!({"scope": ["*"]})).await;
    assert_eq!(asked.scope, vec!["*".to_string()]);
    // And a wider default, when asked for in an update.
    let updated = operator
        .update_agent()
        .name(plain.name.as_str())
        .body(from_json::<types::AgentUpdate>(
            json!({"scope": ["agents.*", "ui.notify"]}),
        ))
        .send()
        .await
        .value();
    assert_eq!(
        updated.scope,
        vec!["agents.*".to_string(), "ui.notify".to_string()]
    );
    assert_eq!(
        issue_agent_token_with(&operator, &plain.name, json!({}))
            .await
            .scope,
        vec!["agents.*".to_string(), "ui.notify".to_string()]
    );

    // An operator that holds only part of the preset hands out only that part by default.
    let narrow_token = s
        .user_token(
            taos_conformance::people::ADMIN,
            taos_conformance::people::PASSWORD,
            Some(&["agents.*", "ui.notify"]),
        )
        .await;
    let narrow = s.client(&narrow_token);
    let made = create_agent(&narrow, "Narrow Made").await;
    assert_eq!(made.scope, vec!["ui.notify".to_string()]);
    s.post("/api/agents")
        .bearer(&narrow_token)
        .json(&json!({"name": "Too Wide", "scope": ["*"]}))
        .send()
        .await
        .expect_error(403, "scope_exceeds_caller");
}
