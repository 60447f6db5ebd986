//! Agents and their tokens, through the SDK.

use serde_json::{Value, json};

use crate::check::ApiResultExt;
use crate::from_json;
use crate::types;

/// `POST /api/agents {"name": name}`; returns the created agent.
pub async fn create_agent(client: &taos_client::Client, name: &str) -> types::Agent {
    create_agent_with(client, json!({ "name": name })).await
}

/// `POST /api/agents` with `body` (a JSON `AgentCreate`); returns the created agent.
pub async fn create_agent_with(client: &taos_client::Client, body: Value) -> types::Agent {
    let created = client
        .create_agent()
        .body(from_json::<types::AgentCreate>(body))
        .send()
        .await
        .must();
    assert_eq!(created.status().as_u16(), 201, "create answers 201");
    created.into_inner()
}

/// `POST /api/agents/{slug}/token/issue` with no options; returns the plaintext token.
pub async fn issue_agent_token(client: &taos_client::Client, slug: &str) -> String {
    issue_agent_token_with(client, slug, json!({})).await.token
}

/// `POST /api/agents/{slug}/token/issue` with `body` (a JSON `TokenIssueRequest`).
pub async fn issue_agent_token_with(
    client: &taos_client::Client,
    slug: &str,
    body: Value,
) -> types::IssuedAgentToken {
    client
        .issue_agent_token()
        .name(slug)
        .body(from_json::<types::TokenIssueRequest>(body))
        .send()
        .await
        .value()
}

/// How many live agents `GET /api/agents` lists on its first page (50 by default): what a
/// case checks to prove a refused or replayed request created nothing.
pub async fn agents_listed(client: &taos_client::Client) -> usize {
    client.list_agents().send().await.value().items.len()
}
