//! Reading what the daemon has: one container's state, every container of ours (by label),
//! and making records for containers an earlier taosd made (adoption).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Inner;
use super::agent::Agent;
use super::container::{ENV_PREFIX, LABEL_AGENT, LABEL_RESTART};
use super::rest::RestError;
use crate::runtime::error::{Error, Result};
use crate::runtime::restart::RestartPolicy;
use crate::runtime::spec::Env;
use crate::runtime::state::{InstanceStatus, State};

/// A container's state as incusd reports it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Observed {
    /// incus status code: 102 stopped, 103 running, 110 frozen, …
    pub code: u64,
    pub pid: Option<u32>,
    pub memory: Option<u64>,
    /// CPU time of the current run, in nanoseconds.
    pub cpu_ns: Option<u64>,
    pub ip: Option<String>,
}

impl Observed {
    pub fn from_state(v: &Value) -> Self {
        let ip = v.get("network").and_then(Value::as_object).and_then(|nics| {
            nics.iter()
                .filter(|(name, _)| name.as_str() != "lo")
                .flat_map(|(_, nic)| {
                    nic.get("addresses")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .find(|a| a.get("scope").and_then(Value::as_str) == Some("global"))
                .and_then(|a| a.get("address").and_then(Value::as_str))
                .map(str::to_string)
        });
        Self {
            code: v.get("status_code").and_then(Value::as_u64).unwrap_or(0),
            pid: v
                .get("pid")
                .and_then(Value::as_u64)
                .filter(|&p| p > 0)
                .and_then(|p| u32::try_from(p).ok()),
            memory: v
                .pointer("/memory/usage")
                .and_then(Value::as_u64)
                .filter(|&m| m > 0),
            cpu_ns: v.pointer("/cpu/usage").and_then(Value::as_u64).filter(|&c| c > 0),
            ip,
        }
    }

    /// The daemon's status in our state machine's words.
    pub fn state(&self) -> State {
        match self.code {
            102 => State::Stopped,
            106 => State::Starting,
            107 => State::Stopping,
            110 => State::Paused,
            112 => State::Failed,
            // Started, Running, Freezing, Thawed.
            101 | 103 | 109 | 111 => State::Running,
            _ if self.pid.is_some() => State::Running,
            _ => State::Stopped,
        }
    }
}

/// One container carrying our label.
pub(super) struct Found {
    pub container: String,
    pub agent_id: Uuid,
    pub config: Map<String, Value>,
    pub observed: Observed,
}

/// The record of a container this taosd did not start: its state as the daemon has it.
fn adopted_status(o: &Observed) -> InstanceStatus {
    let mut s = InstanceStatus::new();
    match o.state() {
        State::Running | State::Starting | State::Stopping => s.running(o.pid, Utc::now()),
        State::Paused => {
            s.running(o.pid, Utc::now());
            s.paused();
        }
        other => s.state = other,
    }
    s
}

pub(super) fn label_of(config: &Map<String, Value>) -> Option<Uuid> {
    config.get(LABEL_AGENT)?.as_str()?.parse().ok()
}

fn policy_of(config: &Map<String, Value>) -> RestartPolicy {
    match config.get(LABEL_RESTART).and_then(Value::as_str) {
        Some("on-failure") => RestartPolicy::OnFailure,
        Some("always") => RestartPolicy::Always,
        _ => RestartPolicy::No,
    }
}

/// The container's `environment.*` as an env (to know which values to redact).
pub(super) fn env_of(config: &Map<String, Value>) -> Env {
    config
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(ENV_PREFIX)?, v.as_str()?)))
        .collect()
}

impl Inner {
    /// The instance (`GET /1.0/instances/X`), None when there is none.
    pub(super) async fn instance(&self, container: &str) -> Result<Option<Value>> {
        match self.rest.get(&format!("/1.0/instances/{container}")).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The container's state, None when there is no such container.
    pub(super) async fn observe(&self, container: &str) -> Result<Option<Observed>> {
        let path = format!("/1.0/instances/{container}/state");
        let mut tries = 0;
        loop {
            match self.rest.get(&path).await {
                Ok(v) => return Ok(Some(Observed::from_state(&v))),
                Err(e) if e.is_not_found() => return Ok(None),
                // Read while its init changes (it stops or starts), incusd can answer
                // `500 Invalid PID`: ask again a moment later.
                Err(RestError::Api { code: 500, .. }) if tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Every container labelled with an agent id, with its config and state, in one call.
    pub(super) async fn all(&self) -> Result<Vec<Found>> {
        let list = self.rest.get("/1.0/instances?recursion=2").await?;
        let found = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|inst| {
                let config = inst.get("config")?.as_object()?.clone();
                Some(Found {
                    container: inst.get("name")?.as_str()?.to_string(),
                    agent_id: label_of(&config)?,
                    observed: Observed::from_state(inst.get("state").unwrap_or(&Value::Null)),
                    config,
                })
            })
            .collect();
        Ok(found)
    }

    /// The record for a labelled container, made from the daemon's view if it is new here.
    pub(super) fn adopt(&self, found: &Found) -> Arc<Agent> {
        let mut agents = self.agents();
        if let Some(agent) = agents.get(&found.agent_id)
            && agent.container == found.container
        {
            return agent.clone();
        }
        tracing::info!(container = %found.container, agent_id = %found.agent_id, "managing an existing incus container");
        if let Ok(log) = self.logs.agent(found.agent_id) {
            log.add_secrets(env_of(&found.config).secret_values());
        }
        let agent = Arc::new(Agent::new(
            found.agent_id,
            found.container.clone(),
            policy_of(&found.config),
            adopted_status(&found.observed),
        ));
        agents.insert(found.agent_id, agent.clone());
        agent
    }

    /// The agent's record: known here, or found in the daemon by its label.
    pub(super) async fn find(&self, agent_id: Uuid) -> Result<Arc<Agent>> {
        if let Some(agent) = self.agents().get(&agent_id).cloned() {
            return Ok(agent);
        }
        let all = self.all().await?;
        let found = all
            .iter()
            .find(|f| f.agent_id == agent_id)
            .ok_or(Error::NotFound)?;
        Ok(self.adopt(found))
    }
}
