//! Making an agent's container: its image checked first (a missing one is an invalid spec
//! and nothing is created), made again when its spec changed, never taken over from
//! another agent.

use http::Method;
use serde_json::{Value, json};

use super::Inner;
use super::agent::Agent;
use super::container::{self, COMMAND_FILE, ENV_FILE, Init, LABEL_RESTART, LABEL_SPEC};
use super::observe::label_of;
use super::rest::{FileWrite, RestError};
use super::verbs::{CREATE_WAIT, DELETE_WAIT, START_WAIT};
use crate::runtime::error::{Error, Result};
use crate::runtime::spec::InstanceSpec;

impl Inner {
    /// The image as `source` of a new container, or InvalidSpec when incus has no such
    /// alias (or fingerprint).
    pub(super) async fn image_source(&self, image: &str) -> Result<Value> {
        match self.rest.get(&format!("/1.0/images/aliases/{image}")).await {
            Ok(_) => return Ok(json!({"type": "image", "alias": image})),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        match self.rest.get(&format!("/1.0/images/{image}")).await {
            Ok(_) => Ok(json!({"type": "image", "fingerprint": image})),
            Err(e) if e.is_not_found() || matches!(e, RestError::Api { code: 400, .. }) => Err(Error::spec(
                "image",
                format!(
                    "incus has no image '{image}' (alias or fingerprint); import one with `incus image import … --alias {image}`"
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes the container for `spec`; nothing is left behind when that fails.
    pub(super) async fn create(&self, agent: &Agent, spec: &InstanceSpec) -> Result<()> {
        let image = spec.image.as_deref().unwrap_or_default();
        let source = self.image_source(image).await?;
        let init = container::init_for(spec, container::loopback_target(spec).is_some());
        let mut body = container::create_body(spec, image, &init);
        body["source"] = source;
        self.rest
            .run(Method::POST, "/1.0/instances", Some(&body), CREATE_WAIT)
            .await
            .map_err(|e| match e {
                RestError::Unreachable(_) => Error::from(e),
                other => Error::failed(format!(
                    "cannot create the container {}: {other}",
                    agent.container
                )),
            })?;
        // The agent's command is init, and sees `environment.*`; an image's own init runs
        // services, which see only what they read: the env file (a `taos-agent` unit's
        // `EnvironmentFile=`).
        let written = match init {
            Init::Script(script) => self.write_command(&agent.container, script).await,
            Init::Image => self.write_env_file(&agent.container, spec).await,
            Init::Direct(_) => Ok(()),
        };
        if let Err(e) = written {
            let _ = self.delete(&agent.container).await;
            return Err(e);
        }
        tracing::info!(container = %agent.container, agent_id = %agent.id, "created an incus container");
        Ok(())
    }

    pub(super) async fn write_command(&self, container: &str, script: String) -> Result<()> {
        self.ensure_taos_dir(container).await?;
        self.rest
            .write_file(
                container,
                FileWrite {
                    path: COMMAND_FILE,
                    mode: 0o755,
                    directory: false,
                    content: script.into_bytes(),
                },
            )
            .await
            .map_err(|e| Error::failed(format!("cannot write the agent's command into {container}: {e}")))
    }

    /// Writes the agent's env as the env file (0600), for the services of an image's init.
    pub(super) async fn write_env_file(&self, container: &str, spec: &InstanceSpec) -> Result<()> {
        self.ensure_taos_dir(container).await?;
        self.rest
            .write_file(
                container,
                FileWrite {
                    path: ENV_FILE,
                    mode: 0o600,
                    directory: false,
                    content: container::env_file(spec),
                },
            )
            .await
            .map_err(|e| Error::failed(format!("cannot write {ENV_FILE} in {container}: {e}")))
    }

    pub(super) async fn ensure_taos_dir(&self, container: &str) -> Result<()> {
        let dir = FileWrite {
            path: "/etc/taos",
            mode: 0o755,
            directory: true,
            content: Vec::new(),
        };
        match self.rest.write_file(container, dir).await {
            Ok(()) => Ok(()),
            // Already there.
            Err(RestError::Api {
                code: 400 | 409 | 500,
                ..
            }) if self
                .rest
                .file_exists(container, "/etc/taos")
                .await
                .unwrap_or(false) =>
            {
                Ok(())
            }
            Err(e) => Err(Error::failed(format!(
                "cannot make /etc/taos in {container}: {e}"
            ))),
        }
    }

    pub(super) async fn delete(&self, container: &str) -> Result<()> {
        match self
            .rest
            .run(
                Method::DELETE,
                &format!("/1.0/instances/{container}"),
                None,
                DELETE_WAIT,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes sure a container made from `spec` exists: creates it, or makes it again when
    /// it was made from another spec and is not running (a running one is left to
    /// `restart`). Another agent's container under the name is never touched.
    pub(super) async fn prepare(&self, agent: &Agent, spec: &InstanceSpec) -> Result<()> {
        let Some(inst) = self.instance(&agent.container).await? else {
            return self.create(agent, spec).await;
        };
        let config = inst
            .get("config")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match label_of(&config) {
            Some(id) if id == spec.agent_id => {}
            Some(other) => {
                return Err(Error::failed(format!(
                    "the container {} belongs to another agent ({other})",
                    agent.container
                )));
            }
            None => {
                return Err(Error::failed(format!(
                    "a container named {} exists and was not made by taOS",
                    agent.container
                )));
            }
        }
        let digest = container::spec_digest(spec);
        if config.get(LABEL_SPEC).and_then(Value::as_str) == Some(digest.as_str()) {
            if config.get(LABEL_RESTART).and_then(Value::as_str) != Some(spec.restart.as_str()) {
                let patch = json!({"config": {LABEL_RESTART: spec.restart.as_str()}});
                let path = format!("/1.0/instances/{}", agent.container);
                self.rest
                    .run(Method::PATCH, &path, Some(&patch), START_WAIT)
                    .await?;
            }
            return Ok(());
        }
        let running = inst
            .get("status_code")
            .and_then(Value::as_u64)
            .is_some_and(|c| c != 102);
        if running {
            return Ok(());
        }
        tracing::info!(container = %agent.container, "the spec changed: making the container again");
        self.delete(&agent.container).await?;
        self.create(agent, spec).await
    }
}
