//! The `agents` operations: the registry of a user's agents, live (addressed by slug) and
//! archived (addressed by id). An agent token acts for the agent's user (`agent_tokens`).

use uuid::Uuid;

use crate::domain::fleet::{Fleet, RuntimeSpec};
use crate::domain::pagination::{self, Page};
use crate::domain::principal::Principal;
use crate::domain::store_errors::{not_found, user_gone};
use crate::domain::{scopes, slug};
use crate::errors::{self, Error, Result};
use crate::runtime::RuntimeKind;
use crate::store::{self, AgentChanges, NewAgent, NewRuntime, PersonaChanges, Store};

pub use crate::store::{Agent, AgentView, Persona};

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
    pub persona: Persona,
    /// The runtime spec to create it with, if any.
    pub runtime: Option<RuntimeRequest>,
}

/// A runtime spec as a caller gives it (`runtime`: the server's default when None).
pub struct RuntimeRequest {
    pub kind: Option<RuntimeKind>,
    pub spec: RuntimeSpec,
}

/// A persona as given: empty strings are no value (model and plugin names are trimmed, the
/// markdown is kept as written).
pub fn persona(
    model: Option<String>,
    soul_md: Option<String>,
    agent_md: Option<String>,
    memory_plugin: Option<String>,
) -> Persona {
    let text = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    Persona {
        model: non_empty(model),
        soul_md: text(soul_md),
        agent_md: text(agent_md),
        memory_plugin: non_empty(memory_plugin),
    }
}

/// The runtime row an agent is made with: its spec checked against its runtime first.
pub(super) fn checked_runtime(fleet: &Fleet, r: RuntimeRequest, slug: &str) -> Result<NewRuntime> {
    let kind = r.kind.unwrap_or(fleet.runtimes.default_kind());
    let spec = crate::domain::runtimes::check_spec(fleet, kind, &r.spec, Uuid::nil(), slug)?;
    Ok(NewRuntime {
        node: fleet.node.clone(),
        runtime: kind.as_str().to_owned(),
        spec,
    })
}

/// An agent's settings as an export document carries them.
pub struct Exported {
    pub slug: String,
    pub spec: AgentSpec,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn agent_not_found(name: &str) -> Error {
    Error::new(
        &errors::AGENT_NOT_FOUND,
        format!("No agent named '{name}' exists."),
    )
}

/// The store's `NotFound` for the live agent `name`, also when it was archived between our
/// read and our write: to the caller the same 404 as if it had never been there.
pub(super) fn no_live_agent(name: &str) -> impl FnOnce(store::Error) -> Error + '_ {
    not_found(move || agent_not_found(name))
}

fn archived_agent_not_found(id: Uuid) -> Error {
    Error::new(
        &errors::ARCHIVED_AGENT_NOT_FOUND,
        format!("No archived agent with id {id} exists."),
    )
}

fn slugs_exhausted(base: &str) -> Error {
    Error::new(
        &errors::SLUG_COLLISION_UNRESOLVABLE,
        format!("Every slug from '{base}' to '{base}-1000' is taken."),
    )
}

/// The store's answers to making a live agent from slugs starting at `base`: every slug
/// taken, or the caller's own user removed meanwhile.
pub(super) fn making_agent<'a>(
    caller: &'a Principal,
    base: &'a str,
) -> impl FnOnce(store::Error) -> Error + 'a {
    move |e| match e {
        store::Error::Exhausted => slugs_exhausted(base),
        store::Error::UserGone => caller.removed(),
        other => other.into(),
    }
}

/// The store's answers to making a live agent under exactly `slug`: a live agent has it, or
/// the caller's own user was removed meanwhile.
fn importing_agent<'a>(caller: &'a Principal, slug: &'a str) -> impl FnOnce(store::Error) -> Error + 'a {
    move |e| match e {
        store::Error::Conflict => Error::new(
            &errors::AGENT_EXISTS,
            format!("An agent named '{slug}' already exists."),
        ),
        store::Error::UserGone => caller.removed(),
        other => other.into(),
    }
}

/// The scope an agent gets when nobody asks for more: send its user notifications
/// (`ui.notify`) and read the docs (`knowledge.read`). Reading itself needs no scope
/// (`GET /api/auth/whoami`); `agents.read` is left out on purpose, since it reads every agent
/// of the user, and so is everything that manages agents or mints tokens. The contract's
/// `AgentCreate.scope` / `TokenIssueRequest.scope` and `docs/agents/concepts/permissions.md`
/// name this list.
pub const AGENT_PRESET: &[&str] = &["ui.notify", "knowledge.read"];

/// The agent's default token scope: as asked (within the caller's own), else the
/// [`AGENT_PRESET`] less whatever of it the caller does not hold itself (a caller never hands
/// out more than it has, and leaving `scope` out must not fail).
fn agent_scope(caller: &Principal, requested: Option<Vec<String>>) -> Result<Vec<String>> {
    match requested {
        Some(scope) => {
            caller.require_covers(&scope)?;
            Ok(scope)
        }
        None => Ok(AGENT_PRESET
            .iter()
            .map(|s| s.to_string())
            .filter(|s| scopes::covers(&caller.scope, std::slice::from_ref(s)))
            .collect()),
    }
}

pub(super) fn new_agent(
    caller: &Principal,
    spec: AgentSpec,
    status: &'static str,
    runtime: Option<NewRuntime>,
) -> Result<NewAgent> {
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
        persona: spec.persona,
        status,
        runtime,
    })
}

/// The slug a display name starts from, or `invalid_agent_name`.
pub(super) fn base_slug(display_name: &str) -> Result<String> {
    let display_name = display_name.trim();
    slug::slugify(display_name).ok_or_else(|| {
        Error::new(
            &errors::INVALID_AGENT_NAME,
            format!("The name '{display_name}' has no letter or digit to make a slug from."),
        )
    })
}

pub async fn create_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    mut spec: AgentSpec,
) -> Result<AgentView> {
    let base = base_slug(&spec.display_name)?;
    let runtime = spec
        .runtime
        .take()
        .map(|r| checked_runtime(fleet, r, &base))
        .transpose()?;
    let new = new_agent(caller, spec, "created", runtime)?;
    store
        .create_agent(new, slug::candidates(&base))
        .await
        .map_err(making_agent(caller, &base))
}

pub async fn import_agent(store: &Store, caller: &Principal, exported: Exported) -> Result<AgentView> {
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
    let new = new_agent(caller, exported.spec, "created", None)?;
    store
        .import_agent(new, slug.clone())
        .await
        .map_err(importing_agent(caller, &slug))
}

pub async fn get_agent(store: &Store, caller: &Principal, name: &str) -> Result<AgentView> {
    store
        .get_agent(caller.user_id, name)
        .await
        .map_err(no_live_agent(name))
}

/// The agent an export document is made from (the document itself is the contract's type,
/// built in `api/`).
/// The one version of the export document there is (`importAgent` takes only this one).
pub const EXPORT_VERSION: u32 = 1;

/// An agent's settings as a document `import_agent` can recreate it from (no token, no id).
pub struct Export {
    pub version: u32,
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub agent: Agent,
}

pub async fn export_agent(store: &Store, caller: &Principal, name: &str) -> Result<Export> {
    let view = get_agent(store, caller, name).await?;
    Ok(Export {
        version: EXPORT_VERSION,
        exported_at: chrono::Utc::now(),
        agent: view.agent,
    })
}

pub async fn list_agents(
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
    pub model: Option<String>,
    pub soul_md: Option<String>,
    pub agent_md: Option<String>,
    pub memory_plugin: Option<String>,
    /// Replaces the runtime spec (as `setAgentRuntime`).
    pub runtime: Option<RuntimeRequest>,
}

pub async fn update_agent(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    update: Update,
) -> Result<AgentView> {
    let view = get_agent(store, caller, name).await?;
    if let Some(scope) = &update.scope {
        caller.require_covers(scope)?;
    }
    // The spec is checked before anything changes, so a spec that cannot run changes nothing.
    if let Some(r) = &update.runtime {
        fleet.ensure_free(view.agent.id, name)?;
        let kind = r.kind.unwrap_or(fleet.runtimes.default_kind());
        crate::domain::runtimes::check_spec(fleet, kind, &r.spec, view.agent.id, &view.agent.slug)?;
    }
    let clearable = |v: Option<String>| v.map(|s| non_empty(Some(s)));
    let text = |v: Option<String>| v.map(|s| Some(s).filter(|s| !s.trim().is_empty()));
    let persona = PersonaChanges {
        model: clearable(update.model),
        soul_md: text(update.soul_md),
        agent_md: text(update.agent_md),
        memory_plugin: clearable(update.memory_plugin),
    };
    let changes = AgentChanges {
        host: clearable(update.host),
        qmd_index: clearable(update.qmd_index),
        color: update.color,
        emoji: clearable(update.emoji),
        can_read_user_memory: update.can_read_user_memory,
        scope: update.scope,
        persona,
        ..AgentChanges::default()
    };
    let updated = store
        .update_agent(view.agent.id, caller.user_id, changes)
        .await
        .map_err(user_gone(|| caller.removed(), no_live_agent(name)))?;
    if let Some(r) = update.runtime {
        crate::domain::runtimes::set_agent_runtime(store, fleet, caller, name, r.kind, r.spec).await?;
    }
    Ok(updated)
}

/// Sets whether the agent may read its user's memory: an update of that one field.
pub async fn set_agent_permissions(
    store: &Store,
    fleet: &Fleet,
    caller: &Principal,
    name: &str,
    can_read_user_memory: bool,
) -> Result<AgentView> {
    let update = Update {
        can_read_user_memory: Some(can_read_user_memory),
        ..Update::default()
    };
    update_agent(store, fleet, caller, name, update).await
}

/// Archives the agent; its token is revoked in the same transaction.
pub async fn delete_agent(store: &Store, fleet: &Fleet, caller: &Principal, name: &str) -> Result<Agent> {
    let view = get_agent(store, caller, name).await?;
    fleet.ensure_free(view.agent.id, name)?;
    store
        .delete_agent(view.agent.id)
        .await
        .map_err(no_live_agent(name))
}

/// The store's `NotFound` for the archived agent `id`, also when it was restored or purged
/// between our read and our write.
fn no_archived_agent(id: Uuid) -> impl FnOnce(store::Error) -> Error {
    not_found(move || archived_agent_not_found(id))
}

/// The store's answers to restoring the archived agent `id` from slugs starting at `slug`.
fn restoring_agent<'a>(
    caller: &'a Principal,
    id: Uuid,
    slug: &'a str,
) -> impl FnOnce(store::Error) -> Error + 'a {
    move |e| match e {
        store::Error::Exhausted => slugs_exhausted(slug),
        store::Error::UserGone => caller.removed(),
        other => no_archived_agent(id)(other),
    }
}

pub async fn list_archived_agents(
    store: &Store,
    caller: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<Agent>> {
    let rows = store
        .list_archived_agents(caller.user_id, after, pagination::fetch_size(limit))
        .await?;
    Ok(pagination::page(rows, limit, |a| a.id))
}

/// Brings the archived agent back under its old slug, or the next free one. A concurrent
/// restore or purge that got there first makes this a 404, like an id that never existed.
pub async fn restore_archived_agent(store: &Store, caller: &Principal, id: Uuid) -> Result<AgentView> {
    let agent = store
        .find_archived_agent(caller.user_id, id)
        .await
        .map_err(no_archived_agent(id))?;
    store
        .restore_archived_agent(caller.user_id, id, slug::candidates(&agent.slug))
        .await
        .map_err(restoring_agent(caller, id, &agent.slug))
}

pub async fn purge_archived_agent(store: &Store, caller: &Principal, id: Uuid) -> Result<()> {
    store
        .purge_archived_agent(caller.user_id, id)
        .await
        .map_err(no_archived_agent(id))
}
