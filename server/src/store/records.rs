//! The records the store hands out and takes in. Plain data: no SQL types leak out, scope
//! lists are `Vec<String>` (a JSON text column underneath), token kinds are an enum.

use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

pub use taos_api::token_format::TokenKind;

use super::entities::{agents, api_tokens, notifications, sessions, users};
use super::sealed::IdemClaim;

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

// Hand-written so that a stray `{:?}` never puts a password hash in a log.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("full_name", &self.full_name)
            .field("email", &self.email)
            .field("admin", &self.admin)
            .field("created_at", &self.created_at)
            .field("deleted_at", &self.deleted_at)
            .finish()
    }
}

#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token row (agent token or user token). Revoked and expired rows are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: Uuid,
    pub kind: TokenKind,
    pub user_id: Uuid,
    /// Set for agent tokens only.
    pub agent_id: Option<Uuid>,
    pub label: Option<String>,
    /// Lowercase hex SHA-256 of the token.
    pub token_hash: String,
    pub scope: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A user token to insert. In `Store::setup_account` the `user_id` is ignored and
/// replaced by the id of the user created there.
#[derive(Debug, Clone)]
pub struct NewUserToken {
    pub user_id: Uuid,
    pub label: Option<String>,
    pub token_hash: String,
    pub scope: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Everything authentication needs about a bearer token, from one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPrincipal {
    pub token: Token,
    pub user: User,
    /// The agent an agent token belongs to (possibly archived).
    pub agent: Option<Agent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: Uuid,
    pub user_id: Uuid,
    pub slug: String,
    pub display_name: String,
    pub host: Option<String>,
    pub qmd_index: Option<String>,
    pub color: String,
    pub emoji: Option<String>,
    pub can_read_user_memory: bool,
    pub scope: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub persona: Persona,
}

/// What an agent is told it is: stored and exported for it, never read by taosd. Left empty
/// where an agent is read only to authenticate it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Persona {
    pub model: Option<String>,
    pub soul_md: Option<String>,
    pub agent_md: Option<String>,
    pub memory_plugin: Option<String>,
}

/// Changes to a persona: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PersonaChanges {
    pub model: Option<Option<String>>,
    pub soul_md: Option<Option<String>>,
    pub agent_md: Option<Option<String>>,
    pub memory_plugin: Option<Option<String>>,
}

/// An agent to insert. The slug is chosen by the store (`create_agent`) or given
/// (`import_agent`).
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub user_id: Uuid,
    pub display_name: String,
    pub host: Option<String>,
    pub qmd_index: Option<String>,
    pub color: String,
    pub emoji: Option<String>,
    pub can_read_user_memory: bool,
    pub scope: Vec<String>,
    pub persona: Persona,
    /// `deploying` for a deploy, else `created`.
    pub status: &'static str,
    /// The runtime spec it is created with, if any.
    pub runtime: Option<NewRuntime>,
}

/// A runtime row made with its agent (the domain's JSON spec).
#[derive(Debug, Clone)]
pub struct NewRuntime {
    pub node: String,
    pub runtime: String,
    pub spec: String,
}

/// A partial update: `None` leaves a field alone; for nullable columns `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AgentChanges {
    pub display_name: Option<String>,
    pub host: Option<Option<String>>,
    pub qmd_index: Option<Option<String>>,
    pub color: Option<String>,
    pub emoji: Option<Option<String>>,
    pub can_read_user_memory: Option<bool>,
    pub scope: Option<Vec<String>>,
    pub status: Option<String>,
    pub persona: PersonaChanges,
}

/// An agent as the API shows it: with its owner's name and its active (unrevoked) token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub agent: Agent,
    pub owner_username: String,
    pub token: Option<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub message: String,
    pub level: String,
    pub source: String,
    pub app_origin: Option<String>,
    pub action_url: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    pub title: String,
    pub message: String,
    pub level: String,
    pub source: String,
    pub app_origin: Option<String>,
    pub action_url: Option<String>,
}

/// Result of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemOutcome {
    /// The caller owns the key now: run the request in `Store::sealed`, then `idem_complete`
    /// or `idem_release`.
    Reserved(IdemClaim),
    /// Another request with this key is still running.
    InFlight { fingerprint: String },
    /// A request with this key finished; replay its answer (if the fingerprint matches).
    Done {
        fingerprint: String,
        status: u16,
        body: String,
    },
}

// ---- conversions between rows and records ----

pub(super) fn scope_to_db(scope: &[String]) -> Result<String, DbErr> {
    serde_json::to_string(scope).map_err(|e| DbErr::Json(e.to_string()))
}

fn scope_from_db(s: &str) -> Result<Vec<String>, DbErr> {
    serde_json::from_str(s).map_err(|e| DbErr::Json(format!("scope column: {e}")))
}

impl From<users::Model> for User {
    fn from(m: users::Model) -> Self {
        User {
            id: m.id,
            username: m.username,
            password_hash: m.password_hash,
            full_name: m.full_name,
            email: m.email,
            admin: m.admin,
            created_at: m.created_at,
            deleted_at: m.deleted_at,
        }
    }
}

impl From<sessions::Model> for Session {
    fn from(m: sessions::Model) -> Self {
        Session {
            id: m.id,
            user_id: m.user_id,
            token_hash: m.token_hash,
            created_at: m.created_at,
            expires_at: m.expires_at,
        }
    }
}

impl TryFrom<api_tokens::Model> for Token {
    type Error = DbErr;

    fn try_from(m: api_tokens::Model) -> Result<Self, DbErr> {
        let kind = TokenKind::from_db(&m.kind)
            .ok_or_else(|| DbErr::Type(format!("unknown token kind {:?}", m.kind)))?;
        Ok(Token {
            id: m.id,
            kind,
            user_id: m.user_id,
            agent_id: m.agent_id,
            label: m.label,
            token_hash: m.token_hash,
            scope: scope_from_db(&m.scope)?,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            last_used_at: m.last_used_at,
        })
    }
}

impl TryFrom<agents::Model> for Agent {
    type Error = DbErr;

    fn try_from(m: agents::Model) -> Result<Self, DbErr> {
        Ok(Agent {
            id: m.id,
            user_id: m.user_id,
            slug: m.slug,
            display_name: m.display_name,
            host: m.host,
            qmd_index: m.qmd_index,
            color: m.color,
            emoji: m.emoji,
            can_read_user_memory: m.can_read_user_memory,
            scope: scope_from_db(&m.scope)?,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            archived_at: m.archived_at,
            persona: Persona {
                model: m.model,
                soul_md: m.soul_md,
                agent_md: m.agent_md,
                memory_plugin: m.memory_plugin,
            },
        })
    }
}

impl From<notifications::Model> for Notification {
    fn from(m: notifications::Model) -> Self {
        Notification {
            id: m.id,
            user_id: m.user_id,
            title: m.title,
            message: m.message,
            level: m.level,
            source: m.source,
            app_origin: m.app_origin,
            action_url: m.action_url,
            read: m.read,
            created_at: m.created_at,
        }
    }
}
