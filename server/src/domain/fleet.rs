//! The fleet: agents with a runtime spec, and the rules every runtime verb shares — which
//! backend an agent is on, what it is started with (its spec, plus `TAOS_URL` and a token
//! taosd hands it), and one verb at a time per agent. Shared by the `runtimes`, `lifecycle`
//! and `logs` operations and by the watcher that keeps the store in step with the runtimes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::digest::sha256_hex;
use crate::domain::tokens::{self, TokenKind};
use crate::errors::{self, Error, Result};
use crate::runtime::{self, Env, InstanceSpec, Resources, RestartPolicy, Runtime, RuntimeKind, Runtimes};
use crate::store::{AgentRuntimeRow, Store};

/// Variables taosd sets itself; a spec may not.
pub const RESERVED_ENV: &[&str] = &["TAOS_URL", "TAOS_TOKEN"];

/// An agent's runtime spec as stored (JSON in the store's `spec` column).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSpec {
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub env: Env,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub restart: RestartPolicy,
}

/// What the owner last asked for; taosd brings the agent back to it after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desired {
    Running,
    Paused,
    Stopped,
}

impl Desired {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            _ => Self::Stopped,
        }
    }
}

/// An agent's runtime row, read.
#[derive(Debug, Clone)]
pub struct Configured {
    pub kind: RuntimeKind,
    pub spec: RuntimeSpec,
    pub desired: Desired,
    /// The status last recorded (the runtime's own answer is fresher when it has one).
    pub status: Option<runtime::InstanceStatus>,
}

impl Configured {
    /// What a runtime says of the agent, weighed against the record: a container stopped on
    /// request before taosd restarted is adopted by the new taosd as one that ended by itself
    /// (a killed init reads as a failure), but the record knows it was stopped.
    pub fn weigh(&self, seen: runtime::InstanceStatus) -> runtime::InstanceStatus {
        let stopped_on_request = self.desired == Desired::Stopped
            && self
                .status
                .as_ref()
                .is_some_and(|r| r.state == runtime::State::Stopped);
        match (&self.status, seen.state) {
            (Some(recorded), runtime::State::Failed) if stopped_on_request => recorded.clone(),
            _ => seen,
        }
    }

    pub fn from_row(row: &AgentRuntimeRow) -> Result<Self> {
        let kind = row
            .runtime
            .parse()
            .map_err(|e| Error::internal("a stored runtime is unknown", e))?;
        let spec = serde_json::from_str(&row.spec)
            .map_err(|e| Error::internal("a stored runtime spec does not parse", e))?;
        // A status that does not parse (written by another version) is only a lost hint.
        let status = row.status.as_deref().and_then(|s| serde_json::from_str(s).ok());
        Ok(Self {
            kind,
            spec,
            desired: Desired::parse(&row.desired),
            status,
        })
    }
}

pub struct Fleet {
    pub runtimes: Arc<Runtimes>,
    /// This taosd's id (kept in the data dir): process agents belong to the box they run on.
    pub node: String,
    /// What agents get as `TAOS_URL`.
    pub url: String,
    /// The plaintext of each token taosd handed an agent in this run. Tokens are stored
    /// hashed, so a token is handed on only while taosd remembers it; otherwise a start issues
    /// a fresh one (and the previous stops working).
    tokens: Mutex<HashMap<Uuid, String>>,
    /// One verb at a time per agent (a delete waits for a start to finish, then removes).
    locks: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    /// Agents an operation (a deploy) holds, with its id: other changes to them are refused
    /// while it runs, rather than queued behind it.
    held: Arc<Mutex<HashMap<Uuid, Uuid>>>,
    /// Woken whenever an operation of this taosd makes progress (long-polls wait on it).
    pub operation_progress: tokio::sync::Notify,
}

/// An agent held by an operation until this is dropped.
pub struct Hold {
    agent_id: Uuid,
    held: Arc<Mutex<HashMap<Uuid, Uuid>>>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.agent_id);
    }
}

/// How long an agent gets to stop when it is removed or re-made.
pub const REMOVE_GRACE: Duration = Duration::from_secs(5);

impl Fleet {
    pub fn new(runtimes: Arc<Runtimes>, node: String, url: String) -> Self {
        Self {
            runtimes,
            node,
            url,
            tokens: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
            held: Arc::new(Mutex::new(HashMap::new())),
            operation_progress: tokio::sync::Notify::new(),
        }
    }

    /// Holds the agent for the operation `operation_id` until the [`Hold`] is dropped.
    pub fn hold(&self, agent_id: Uuid, operation_id: Uuid) -> Hold {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(agent_id, operation_id);
        Hold {
            agent_id,
            held: self.held.clone(),
        }
    }

    /// `operation_in_progress` while an operation holds the agent.
    pub fn ensure_free(&self, agent_id: Uuid, name: &str) -> Result<()> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&agent_id)
            .copied();
        match held {
            None => Ok(()),
            Some(op) => Err(Error::new(
                &errors::OPERATION_IN_PROGRESS,
                format!("The agent '{name}' is being deployed (operation {op}); it takes no other change until that is done."),
            )
            .with("operation_id", op.to_string())),
        }
    }

    /// The verb lock of one agent.
    pub async fn lock(&self, agent_id: Uuid) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(agent_id)
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    pub fn backend(&self, kind: RuntimeKind) -> Result<Arc<dyn Runtime>> {
        self.runtimes.get(Some(kind)).map_err(runtime_error)
    }

    pub fn remember_token(&self, agent_id: Uuid, token: Option<String>) {
        let mut all = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match token {
            Some(t) => {
                all.insert(agent_id, t);
            }
            None => {
                all.remove(&agent_id);
            }
        }
    }

    fn token(&self, agent_id: Uuid) -> Option<String> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&agent_id)
            .cloned()
    }

    /// The instance spec an agent starts with: its spec, `TAOS_URL`, and its token — the one
    /// taosd handed it in this run, else a fresh one issued now with the agent's own scope
    /// (`issue` false: no token unless one is remembered, for a revoke). The token is
    /// registered as a secret of the agent's logs.
    pub async fn instance_spec(
        &self,
        store: &Store,
        agent: &crate::store::Agent,
        c: &Configured,
        issue: bool,
    ) -> Result<InstanceSpec> {
        let mut env = c.spec.env.clone();
        env.insert("TAOS_URL", self.url.clone());
        let token = match self.token(agent.id) {
            Some(t) => Some(t),
            None if issue => Some(self.issue_token(store, agent).await?),
            None => None,
        };
        if let Some(t) = &token {
            env.insert("TAOS_TOKEN", t.clone());
            if let Ok(log) = self.runtimes.logs().agent(agent.id) {
                log.add_secrets([t.clone()]);
            }
        }
        if let Ok(log) = self.runtimes.logs().agent(agent.id) {
            log.add_secrets(c.spec.env.secret_values());
        }
        Ok(InstanceSpec {
            agent_id: agent.id,
            name: agent.slug.clone(),
            command: c.spec.command.clone(),
            image: c.spec.image.clone(),
            env,
            resources: c.spec.resources,
            restart: c.spec.restart,
            working_dir: None,
        })
    }
}

impl Fleet {
    /// Issues the agent a token with its own scope (revoking any other) and remembers it to
    /// hand to the agent.
    pub async fn issue_token(&self, store: &Store, agent: &crate::store::Agent) -> Result<String> {
        let secret = tokens::generate(TokenKind::Agent);
        store
            .issue_agent_token(
                agent.id,
                agent.user_id,
                &sha256_hex(&secret),
                agent.scope.clone(),
                None,
            )
            .await
            .map_err(|e| match e {
                crate::store::Error::NotFound => gone(&agent.slug),
                other => Error::from(other),
            })?;
        self.remember_token(agent.id, Some(secret.clone()));
        Ok(secret)
    }

    /// The agent's token changed (issued: `Some`, revoked: `None`): hand the running agent
    /// the new one. `None` when the agent has no runtime spec (nothing runs it).
    pub async fn token_changed(
        &self,
        store: &Store,
        agent: &crate::store::Agent,
        token: Option<String>,
    ) -> Result<Option<runtime::Injection>> {
        // The lock first: a move to another runtime may be under way.
        let _one_at_a_time = self.lock(agent.id).await;
        self.remember_token(agent.id, token);
        let Some(row) = store.get_agent_runtime(agent.id).await? else {
            return Ok(None);
        };
        let c = Configured::from_row(&row)?;
        let backend = self.backend(c.kind)?;
        let spec = self.instance_spec(store, agent, &c, false).await?;
        let injection = backend
            .apply_env(&spec, REMOVE_GRACE)
            .await
            .map_err(runtime_error)?;
        if let Ok(status) = backend.state(agent.id).await {
            crate::domain::lifecycle::record(store, agent.id, &status).await;
        }
        Ok(Some(injection))
    }

    /// The agent was deleted: stop it and forget it on its runtime (its logs are kept).
    pub async fn agent_deleted(&self, store: &Store, agent_id: Uuid) {
        self.remember_token(agent_id, None);
        // The lock first: a move to another runtime may be under way.
        let _one_at_a_time = self.lock(agent_id).await;
        let Ok(Some(row)) = store.get_agent_runtime(agent_id).await else {
            return;
        };
        let Ok(c) = Configured::from_row(&row) else {
            return;
        };
        if let Ok(backend) = self.backend(c.kind)
            && let Err(e) = backend.remove(agent_id, REMOVE_GRACE).await
        {
            tracing::warn!(%agent_id, error = %e, "could not remove a deleted agent from its runtime");
        }
        if let Err(e) = store.set_agent_desired(agent_id, Desired::Stopped.as_str()).await {
            tracing::warn!(%agent_id, error = %e, "could not record a deleted agent as stopped");
        }
    }
}

pub fn gone(name: &str) -> Error {
    Error::new(
        &errors::AGENT_NOT_FOUND,
        format!("There is no agent named '{name}' (it was deleted meanwhile)."),
    )
}

/// A runtime's answer as a catalog error.
pub fn runtime_error(e: runtime::Error) -> Error {
    use runtime::Error as E;
    match e {
        E::Unavailable { kind, reason, fix } => Error::new(
            &errors::RUNTIME_UNAVAILABLE,
            format!("The {kind} runtime is not available here: {reason}."),
        )
        .with("runtime", kind.as_str())
        .with("runtime_fix", fix),
        E::NotFound => Error::new(
            &errors::INVALID_TRANSITION,
            "The agent is not known to its runtime (it was never started).",
        )
        .with("state", "created"),
        E::InvalidTransition { verb, from, allowed } => {
            let verbs: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
            Error::new(
                &errors::INVALID_TRANSITION,
                format!(
                    "Cannot {verb} an agent that is {from}{}.",
                    if verbs.is_empty() {
                        String::new()
                    } else {
                        format!("; it can {}", verbs.join(", "))
                    }
                ),
            )
            .with("state", from.as_str())
            .with("allowed", verbs.join(","))
        }
        E::InvalidSpec { field, why } => Error::new(
            &errors::INVALID_RUNTIME_SPEC,
            format!("The runtime spec's {field} is not valid: {why}."),
        )
        .with("field", field),
        E::Failed { reason } => Error::new(
            &errors::RUNTIME_FAILED,
            format!("The runtime could not do it: {reason}."),
        ),
    }
}
