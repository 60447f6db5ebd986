//! A changed env (a token issued, re-issued or revoked) reaching an agent's container.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use serde_json::Value;

use super::Inner;
use super::container::{self, ENV_PREFIX, LABEL_RESTART, LABEL_SPEC, PROXY_DEVICE};
use super::rest::RestError;
use super::verbs::{EXEC_WAIT, START_WAIT};
use crate::runtime::Injection;
use crate::runtime::RuntimeKind;
use crate::runtime::error::{Error, Result};
use crate::runtime::spec::InstanceSpec;
use crate::runtime::state::State;

/// Where an image may have the agent's systemd unit (env file + unit restart = live).
const UNIT_PATHS: [&str; 3] = [
    "/etc/systemd/system/taos-agent.service",
    "/lib/systemd/system/taos-agent.service",
    "/usr/lib/systemd/system/taos-agent.service",
];

impl Inner {
    /// The env changed: set `environment.*` (what new processes and the next start see); on a
    /// running container also write the env file and restart the `taos-agent` unit when the
    /// image has one (live), else restart the container.
    pub(super) async fn apply_env(
        self: &Arc<Self>,
        spec: &InstanceSpec,
        grace: Duration,
    ) -> Result<Injection> {
        spec.validate_for(RuntimeKind::Incus)?;
        let agent = match self.find(spec.agent_id).await {
            Ok(agent) => agent,
            Err(Error::NotFound) => return Ok(Injection::OnNextStart),
            Err(e) => return Err(e),
        };
        let _op = agent.op.lock().await;
        let Some(inst) = self.instance(&agent.container).await? else {
            return Ok(Injection::OnNextStart);
        };
        self.update_config(&agent.container, &inst, spec).await?;
        {
            let mut s = agent.lock();
            s.spec = Some(spec.clone());
            s.policy = spec.restart;
        }
        if let Ok(log) = self.logs.agent(agent.id) {
            log.add_secrets(spec.env.secret_values());
        }
        let seen = match self.refresh(&agent).await {
            Ok(seen) => seen,
            Err(Error::NotFound) => return Ok(Injection::OnNextStart),
            Err(e) => return Err(e),
        };
        if seen.state() == State::Stopped || !agent.status().state.is_live() {
            return Ok(Injection::OnNextStart);
        }
        if seen.state() == State::Running && self.restart_unit(&agent.container, spec).await? {
            return Ok(Injection::Live);
        }
        self.stop_locked(&agent, grace).await?;
        self.start_locked(&agent, spec).await?;
        Ok(Injection::Restarted)
    }

    /// Replaces the container's `environment.*`, its spec label and its proxy device.
    async fn update_config(&self, container: &str, inst: &Value, spec: &InstanceSpec) -> Result<()> {
        let mut config = inst
            .get("config")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        config.retain(|k, _| !k.starts_with(ENV_PREFIX));
        for (k, v) in spec.env.iter() {
            config.insert(format!("{ENV_PREFIX}{k}"), v.into());
        }
        config.insert(LABEL_SPEC.into(), container::spec_digest(spec).into());
        config.insert(LABEL_RESTART.into(), spec.restart.as_str().into());
        let mut devices = inst
            .get("devices")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        devices.remove(PROXY_DEVICE);
        devices.extend(container::devices_for(spec));
        let mut body = serde_json::Map::new();
        for key in ["architecture", "ephemeral", "profiles", "stateful", "description"] {
            if let Some(v) = inst.get(key) {
                body.insert(key.into(), v.clone());
            }
        }
        body.insert("config".into(), config.into());
        body.insert("devices".into(), devices.into());
        self.rest
            .run(
                Method::PUT,
                &format!("/1.0/instances/{container}"),
                Some(&Value::Object(body)),
                START_WAIT,
            )
            .await
            .map_err(|e| match e {
                RestError::Unreachable(_) => Error::from(e),
                other => Error::failed(format!("cannot update {container}'s config: {other}")),
            })?;
        Ok(())
    }

    /// Writes the env file (0600) and, when the image runs the agent as a `taos-agent`
    /// systemd unit, restarts the unit. Whether the new env reached the agent that way.
    async fn restart_unit(&self, container: &str, spec: &InstanceSpec) -> Result<bool> {
        self.write_env_file(container, spec).await?;
        let mut has_unit = false;
        for path in UNIT_PATHS {
            if self.rest.file_exists(container, path).await? {
                has_unit = true;
                break;
            }
        }
        if !has_unit {
            return Ok(false);
        }
        match self
            .rest
            .exec(container, &["systemctl", "restart", "taos-agent"], EXEC_WAIT)
            .await
        {
            Ok(0) => Ok(true),
            Ok(code) => {
                tracing::warn!(
                    container,
                    code,
                    "systemctl restart taos-agent failed; restarting the container"
                );
                Ok(false)
            }
            Err(e @ RestError::Unreachable(_)) => Err(e.into()),
            Err(e) => {
                tracing::warn!(
                    container,
                    "systemctl restart taos-agent: {e}; restarting the container"
                );
                Ok(false)
            }
        }
    }
}
