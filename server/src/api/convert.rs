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
        model: a.persona.model.clone(),
        soul_md: a.persona.soul_md.clone(),
        agent_md: a.persona.agent_md.clone(),
        memory_plugin: a.persona.memory_plugin.clone(),
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
    // `body` and `priority` are the names a notification is sent with; `message` and `level`
    // are kept (deprecated) for clients written before.
    let priority = n.level.parse().unwrap_or(types::Priority::Normal);
    types::Notification {
        id: n.id,
        title: n.title.clone(),
        body: n.message.clone(),
        priority,
        message: n.message.clone(),
        level: priority,
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

/// A domain enum as the contract's enum of the same values (both serialise to the same
/// strings; the catalog of values is the contract's).
pub fn wire<D: serde::Serialize, W: serde::de::DeserializeOwned>(d: D) -> W {
    serde_json::to_value(d)
        .and_then(serde_json::from_value)
        .expect("the domain's and the contract's values are the same")
}

/// The contract's enum as the domain's of the same values.
pub fn domain<W: serde::Serialize, D: serde::de::DeserializeOwned>(w: W) -> D {
    wire(w)
}

pub fn runtime_info(
    a: &crate::runtime::Availability,
    default: crate::runtime::RuntimeKind,
) -> types::RuntimeInfo {
    let c = &a.capabilities;
    types::RuntimeInfo {
        kind: wire(a.kind),
        available: a.available,
        default: a.kind == default,
        version: a.version.clone(),
        reason: a.reason.clone(),
        fix: a.fix.clone(),
        capabilities: types::RuntimeCapabilities {
            pause: wire(c.pause),
            limits: types::RuntimeCapabilitiesLimits {
                memory: c.limits.memory,
                cpus: c.limits.cpus,
                pids: c.limits.pids,
            },
            live_env_update: c.live_env_update,
            survives_server_restart: c.survives_server_restart,
        },
    }
}

pub fn agent_state(s: &crate::domain::lifecycle::AgentState) -> types::AgentState {
    let st = &s.status;
    types::AgentState {
        agent: s.agent.clone(),
        runtime: wire(s.kind),
        state: wire(st.state),
        changed: s.changed,
        exit_code: st.exit_code.map(i64::from),
        signal: st.signal.map(i64::from),
        pid: st.pid.map(i64::from),
        started_at: st.started_at,
        finished_at: st.finished_at,
        restart_count: i64::from(st.restart_count),
        last_error: st.last_error.clone(),
        next_restart_at: st.next_restart_at,
    }
}

pub fn agent_runtime(r: &crate::domain::runtimes::AgentRuntime) -> types::AgentRuntime {
    let spec = r.spec();
    types::AgentRuntime {
        agent: r.agent.slug.clone(),
        configured: r.configured.is_some(),
        runtime: wire(r.kind),
        command: spec.command.clone(),
        image: spec.image.clone(),
        env_names: spec.env.names().map(str::to_string).collect(),
        resources: types::Resources {
            memory_mb: spec.resources.memory_mb,
            cpus: spec.resources.cpus,
            pids: spec
                .resources
                .pids
                .and_then(|p| u64::try_from(p).ok())
                .and_then(std::num::NonZeroU64::new),
        },
        restart: wire(spec.restart),
        desired_state: wire(r.desired().as_str()),
        state: agent_state(&crate::domain::lifecycle::AgentState {
            agent: r.agent.slug.clone(),
            kind: r.kind,
            changed: false,
            status: r.status.clone(),
        }),
    }
}

/// A state named in a query (already checked against the contract's enum).
pub fn state_named(s: &str) -> Result<crate::runtime::State, crate::errors::Error> {
    crate::runtime::State::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| {
            crate::errors::Error::new(
                &crate::errors::INVALID_PARAMETER,
                format!("'{s}' is not a state."),
            )
            .with("parameter", "state")
        })
}

pub fn log_line(l: &crate::runtime::logs::LogLine) -> types::LogLine {
    types::LogLine {
        seq: l.seq,
        ts: Some(l.ts),
        stream: wire(l.stream),
        line: l.line.clone(),
    }
}

/// A verb named in a path (already checked against the contract's enum).
pub fn verb_named(s: &str) -> Result<crate::runtime::Verb, crate::errors::Error> {
    crate::runtime::Verb::ALL
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| {
            crate::errors::Error::new(
                &crate::errors::INVALID_PARAMETER,
                format!("'{s}' is not a verb: use start, stop, pause, resume or restart."),
            )
            .with("parameter", "action")
        })
}

/// An error as the contract's `Error` (inside a bulk answer).
pub fn error(e: &crate::errors::Error) -> Option<types::Error> {
    // Every member is a string and the schema takes extra ones: this cannot fail.
    serde_json::from_value(crate::errors::error_body(e)).ok()
}

/// A runtime spec as the domain takes it.
pub fn runtime_request(body: types::AgentRuntimeSpec) -> crate::domain::agents::RuntimeRequest {
    use crate::domain::fleet::RuntimeSpec;
    use crate::runtime::{Env, Resources};
    let spec = RuntimeSpec {
        command: body.command.iter().map(|a| a.to_string()).collect(),
        image: body.image.map(|i| i.to_string()),
        env: body
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect::<Env>(),
        resources: body
            .resources
            .map(|r| Resources {
                memory_mb: r.memory_mb,
                cpus: r.cpus,
                pids: r.pids.map(|p| i64::try_from(p.get()).unwrap_or(i64::MAX)),
            })
            .unwrap_or_default(),
        restart: body.restart.map(domain).unwrap_or_default(),
    };
    crate::domain::agents::RuntimeRequest {
        kind: body.runtime.map(domain),
        spec,
    }
}

pub fn operation(op: &crate::domain::deploy::Operation) -> types::Operation {
    types::Operation {
        id: op.id,
        kind: wire(op.kind.as_str()),
        agent: op.agent.clone(),
        status: wire(op.status),
        done: op.done(),
        steps: op
            .steps
            .iter()
            .map(|s| types::OperationStep {
                name: s.name.clone(),
                status: wire(s.status),
                started_at: s.started_at,
                finished_at: s.finished_at,
                detail: s.detail.clone(),
            })
            .collect(),
        // A stored error is a canonical body; one that no longer fits the schema is left out.
        error: op.error.clone().and_then(|e| serde_json::from_value(e).ok()),
        result: op.result.as_ref().map(agent_state),
        created_at: op.created_at,
        updated_at: op.updated_at,
    }
}
