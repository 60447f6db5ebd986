//! Domain records → the contract's wire types.

use taos_api::types;

use crate::domain::agents::{Agent, AgentView};
use crate::domain::notifications::Notification;
use crate::domain::pagination::Page;
use crate::domain::principal::{Kind, Principal};
use crate::domain::tokens::Token;
use crate::domain::users::User;

pub fn user(u: &User) -> types::User {
    types::User {
        id: u.id,
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        email: u.email.clone(),
        admin: u.admin,
        created_at: u.created_at,
    }
}

fn status(s: &str) -> types::AgentStatus {
    // Unknown values cannot be stored (the store only writes these), so `created` is a safe floor.
    s.parse().unwrap_or(types::AgentStatus::Created)
}

pub fn agent(v: &AgentView) -> types::Agent {
    let a = &v.agent;
    let token = v.token.as_ref();
    types::Agent {
        id: a.id,
        name: a.slug.clone(),
        display_name: a.display_name.clone(),
        host: a.host.clone(),
        qmd_index: a.qmd_index.clone(),
        color: a.color.clone(),
        emoji: a.emoji.clone(),
        can_read_user_memory: a.can_read_user_memory,
        scope: a.scope.clone(),
        status: status(&a.status),
        owner: types::AgentOwner {
            user_id: a.user_id,
            username: v.owner_username.clone(),
        },
        has_token: token.is_some(),
        issued_at: token.map(|t| t.created_at),
        last_used_at: token.and_then(|t| t.last_used_at),
        token_scope: token.map(|t| t.scope.clone()),
        token_expires_at: token.and_then(|t| t.expires_at),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

pub fn archived(a: &Agent) -> types::ArchivedAgent {
    types::ArchivedAgent {
        id: a.id,
        name: a.slug.clone(),
        display_name: a.display_name.clone(),
        archived_at: a.archived_at.unwrap_or(a.updated_at),
        created_at: a.created_at,
    }
}

pub fn user_token(t: &Token) -> types::UserToken {
    types::UserToken {
        id: t.id,
        label: t.label.clone().unwrap_or_default(),
        scope: t.scope.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
    }
}

pub fn notification(n: &Notification) -> types::Notification {
    types::Notification {
        id: n.id,
        title: n.title.clone(),
        message: n.message.clone(),
        level: n.level.parse().unwrap_or(types::Priority::Normal),
        source: n.source.clone(),
        app_origin: n.app_origin.clone(),
        action_url: n.action_url.clone(),
        read: n.read,
        timestamp: n.created_at.timestamp(),
        created_at: n.created_at,
    }
}

pub fn whoami(p: &Principal) -> types::Whoami {
    types::Whoami {
        user_id: p.user_id,
        username: p.username.clone(),
        agent_id: p.agent.as_ref().map(|(id, _)| *id),
        agent_name: p.agent.as_ref().map(|(_, slug)| slug.clone()),
        scope: p.scope.clone(),
        kind: match p.kind {
            Kind::Session => types::PrincipalKind::Session,
            Kind::UserToken => types::PrincipalKind::UserToken,
            Kind::AgentToken => types::PrincipalKind::AgentToken,
        },
        token_id: (p.kind != Kind::Session).then_some(p.credential_id),
        expires_at: p.expires_at,
    }
}

/// `(items, next_cursor)` of a page, converted.
pub fn page<T, U>(p: Page<T>, f: impl Fn(&T) -> U) -> (Vec<U>, Option<uuid::Uuid>) {
    (p.items.iter().map(f).collect(), p.next_cursor)
}
