//! The agent registry: agents belong to a user; an agent token acts for that user.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::domain::{slug, tokens};
use crate::errors::{self, Error, Result};
use crate::store::{Agent, AgentChanges, AgentView, NewAgent, Store, Token};

pub const DEFAULT_COLOR: &str = "#888888";

/// What a caller asks for when registering an agent.
pub struct AgentSpec {
    pub display_name: String,
    pub host: Option<String>,
    pub qmd_index: Option<String>,
    pub color: Option<String>,
    pub emoji: Option<String>,
    pub can_read_user_memory: bool,
    pub scope: Option<Vec<String>>,
}

/// An agent's settings as an export document carries them.
pub struct Exported {
    pub slug: String,
    pub spec: AgentSpec,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn not_found(name: &str) -> Error {
    Error::new(
        &errors::AGENT_NOT_FOUND,
        format!("No agent named '{name}' exists."),
    )
}

/// The store reports a row that vanished between our read and our write (a concurrent delete)
/// as `RecordNotFound`; to the caller that is the same 404 as if it had never been there.
fn or_gone(missing: impl FnOnce() -> Error) -> impl FnOnce(sea_orm::DbErr) -> Error {
    move |e| match e {
        sea_orm::DbErr::RecordNotFound(_) => missing(),
        other => other.into(),
    }
}

/// The agent's default token scope: as asked (within the caller's own), else the caller's.
fn agent_scope(caller: &Principal, requested: Option<Vec<String>>) -> Result<Vec<String>> {
    match requested {
        Some(scope) => {
            caller.require_covers(&scope)?;
            Ok(scope)
        }
        None => Ok(caller.scope.clone()),
    }
}

fn new_agent(caller: &Principal, spec: AgentSpec) -> Result<NewAgent> {
    let scope = agent_scope(caller, spec.scope)?;
    Ok(NewAgent {
        user_id: caller.user_id,
        display_name: spec.display_name.trim().to_string(),
        host: non_empty(spec.host),
        qmd_index: non_empty(spec.qmd_index),
        color: spec.color.unwrap_or_else(|| DEFAULT_COLOR.to_string()),
        emoji: non_empty(spec.emoji),
        can_read_user_memory: spec.can_read_user_memory,
        scope,
    })
}

pub async fn create(store: &Store, caller: &Principal, spec: AgentSpec) -> Result<AgentView> {
    let display_name = spec.display_name.trim().to_string();
    let Some(base) = slug::slugify(&display_name) else {
        return Err(Error::new(
            &errors::INVALID_AGENT_NAME,
            format!("The name '{display_name}' has no letter or digit to make a slug from."),
        ));
    };
    let new = new_agent(caller, spec)?;
    match store.create_agent(new, slug::candidates(&base)).await? {
        Ok(view) => Ok(view),
        Err(_) => Err(Error::new(
            &errors::SLUG_COLLISION_UNRESOLVABLE,
            format!("Every slug from '{base}' to '{base}-1000' is taken."),
        )),
    }
}

pub async fn import(store: &Store, caller: &Principal, exported: Exported) -> Result<AgentView> {
    if slug::RESERVED.contains(&exported.slug.as_str()) {
        return Err(Error::new(
            &errors::INVALID_AGENT_NAME,
            format!(
                "'{}' is reserved; change `agent.name` in the document.",
                exported.slug
            ),
        ));
    }
    let slug = exported.slug.clone();
    let new = new_agent(caller, exported.spec)?;
    match store.import_agent(new, slug.clone()).await? {
        Ok(view) => Ok(view),
        Err(_) => Err(Error::new(
            &errors::AGENT_EXISTS,
            format!("An agent named '{slug}' already exists."),
        )),
    }
}

pub async fn get(store: &Store, caller: &Principal, name: &str) -> Result<AgentView> {
    store
        .find_agent(caller.user_id, name)
        .await?
        .ok_or_else(|| not_found(name))
}

pub async fn list(
    store: &Store,
    caller: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<AgentView>> {
    let rows = store
        .list_agents(caller.user_id, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |v| v.agent.id))
}

/// A partial update as the API takes it: absent fields stay, empty strings clear.
#[derive(Default)]
pub struct Update {
    pub host: Option<String>,
    pub qmd_index: Option<String>,
    pub color: Option<String>,
    pub emoji: Option<String>,
    pub can_read_user_memory: Option<bool>,
    pub scope: Option<Vec<String>>,
}

pub async fn update(store: &Store, caller: &Principal, name: &str, update: Update) -> Result<AgentView> {
    let view = get(store, caller, name).await?;
    if let Some(scope) = &update.scope {
        caller.require_covers(scope)?;
    }
    let clearable = |v: Option<String>| v.map(|s| non_empty(Some(s)));
    let changes = AgentChanges {
        host: clearable(update.host),
        qmd_index: clearable(update.qmd_index),
        color: update.color,
        emoji: clearable(update.emoji),
        can_read_user_memory: update.can_read_user_memory,
        scope: update.scope,
        ..AgentChanges::default()
    };
    store
        .update_agent(view.agent.id, changes)
        .await
        .map_err(or_gone(|| not_found(name)))
}

/// Archives the agent; its token is revoked in the same transaction.
pub async fn archive(store: &Store, caller: &Principal, name: &str) -> Result<Agent> {
    let view = get(store, caller, name).await?;
    store
        .archive_agent(view.agent.id)
        .await
        .map_err(or_gone(|| not_found(name)))
}

fn archived_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::ARCHIVED_AGENT_NOT_FOUND,
        format!("No archived agent with id {id} exists."),
    )
}

pub async fn list_archived(
    store: &Store,
    caller: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<Agent>> {
    let rows = store
        .list_archived(caller.user_id, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |a| a.id))
}

pub async fn restore(store: &Store, caller: &Principal, id: Uuid) -> Result<AgentView> {
    let agent = store
        .find_archived(caller.user_id, id)
        .await?
        .ok_or_else(|| archived_not_found(id))?;
    match store
        .restore_agent(caller.user_id, id, slug::candidates(&agent.slug))
        .await?
    {
        Ok(view) => Ok(view),
        Err(_) => Err(Error::new(
            &errors::SLUG_COLLISION_UNRESOLVABLE,
            format!(
                "Every slug from '{}' to '{}-1000' is taken.",
                agent.slug, agent.slug
            ),
        )),
    }
}

pub async fn purge(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    if store.purge_archived(caller.user_id, id).await? {
        Ok(())
    } else {
        Err(archived_not_found(id))
    }
}

/// Issues the agent's token, revoking the previous one in the same transaction.
pub async fn issue_token(
    store: &Store,
    caller: &Principal,
    name: &str,
    scope: Option<Vec<String>>,
    expires_in_days: Option<i64>,
) -> Result<(AgentView, Token, String)> {
    let view = get(store, caller, name).await?;
    let scope = scope.unwrap_or_else(|| view.agent.scope.clone());
    caller.require_covers(&scope)?;
    let expires_at: Option<DateTime<Utc>> = expires_in_days.map(|d| Utc::now() + Duration::days(d));
    let secret = tokens::generate(tokens::TokenKind::Agent);
    let token = store
        .issue_agent_token(
            view.agent.id,
            caller.user_id,
            &tokens::hash(&secret),
            scope,
            expires_at,
        )
        .await?;
    Ok((view, token, secret))
}

pub async fn revoke_token(store: &Store, caller: &Principal, name: &str) -> Result<()> {
    let view = get(store, caller, name).await?;
    store.revoke_agent_token(view.agent.id).await?;
    Ok(())
}
