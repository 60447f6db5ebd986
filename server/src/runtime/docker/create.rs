//! Making and deleting an agent's container: the image must already be in the engine
//! (nothing is pulled), the env is fixed here, and the container gets no privilege, mount
//! or capability beyond Docker's defaults.

use std::collections::HashMap;
use std::sync::Arc;

use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};

use super::Inner;
use super::agent::Agent;
use super::connect::{Fault, QUICK, SLOW};
use super::names;
use super::observe::Seen;
use crate::runtime::error::{Error, Result};
use crate::runtime::spec::InstanceSpec;

/// The daemon's own copy of a container's output stays bounded too (taosd keeps its own).
const DOCKER_LOG_MAX_SIZE: &str = "10m";
const DOCKER_LOG_FILES: &str = "2";
/// Deleted containers remembered per agent (a recreate per token rotation adds one).
const RETIRED_KEPT: usize = 16;

fn no_image(image: &str) -> Error {
    Error::spec(
        "image",
        format!("no image '{image}' in the Docker engine; load it with docker pull or docker import"),
    )
}

fn body(spec: &InstanceSpec, network: &str) -> ContainerCreateBody {
    let r = &spec.resources;
    let host = HostConfig {
        memory: r.memory_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
        nano_cpus: r.cpus.map(|c| (c * 1e9).round() as i64),
        pids_limit: r.pids,
        network_mode: Some(network.to_string()),
        privileged: Some(false),
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), DOCKER_LOG_MAX_SIZE.to_string()),
                ("max-file".to_string(), DOCKER_LOG_FILES.to_string()),
            ])),
        }),
        ..Default::default()
    };
    ContainerCreateBody {
        image: spec.image.clone(),
        cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(names::labels(spec)),
        host_config: Some(host),
        ..Default::default()
    }
}

impl Inner {
    /// The container named for `spec`, if there is one; a container of that name that
    /// belongs to another agent (or that taOS did not make) is refused, never touched.
    pub(super) async fn find_for_spec(&self, spec: &InstanceSpec) -> Result<Option<Seen>> {
        let name = names::container_name(&spec.name);
        let Some(seen) = self.inspect(&name).await? else {
            return Ok(None);
        };
        if !seen.managed() {
            return Err(Error::failed(format!(
                "the container name '{name}' is taken by a container taOS did not make; taOS will not touch it"
            )));
        }
        match seen.agent_id() {
            Some(owner) if owner == spec.agent_id => Ok(Some(seen)),
            owner => Err(Error::failed(format!(
                "the container name '{name}' is taken by a container of another agent ({}); \
                 taOS will not touch it",
                owner.map_or_else(|| "unknown".to_string(), |o| o.to_string())
            ))),
        }
    }

    /// Makes the agent's container (created, not started).
    pub(super) async fn create(self: &Arc<Self>, agent: &Agent, spec: &InstanceSpec) -> Result<Seen> {
        let image = spec.image.clone().unwrap_or_default();
        let probe = image.clone();
        match self
            .conn
            .call(QUICK, |d| async move { d.inspect_image(&probe).await })
            .await
        {
            Ok(_) => {}
            Err(f) if f.is_not_found() => return Err(no_image(&image)),
            Err(f) => return Err(f.into()),
        }
        let name = names::container_name(&spec.name);
        let opts = CreateContainerOptionsBuilder::new().name(&name).build();
        let config = body(spec, &self.config.network);
        let made = self
            .conn
            .call(
                SLOW,
                |d| async move { d.create_container(Some(opts), config).await },
            )
            .await;
        let id = match made {
            Ok(r) => r.id,
            Err(f) if f.is_not_found() => return Err(no_image(&image)),
            Err(Fault::Api { message, .. }) if message.contains("already in use") => {
                return Err(Error::failed(format!(
                    "the container name '{name}' was taken meanwhile (another start?); try again"
                )));
            }
            Err(f) => return Err(f.into()),
        };
        let seen = self
            .inspect(&id)
            .await?
            .ok_or_else(|| Error::failed("the new container vanished at once"))?;
        {
            let mut l = agent.lock();
            l.container = Some(id);
            l.restart = spec.restart;
            l.spec = Some(spec.clone());
        }
        Ok(seen)
    }

    /// Deletes a container (forcefully: a running one is killed); a missing one is fine.
    pub(super) async fn delete(&self, agent: &Agent, id: &str) -> Result<()> {
        {
            // Only recent ones matter: their `destroy` events arrive within moments.
            let mut l = agent.lock();
            if l.retired.len() >= RETIRED_KEPT {
                l.retired.remove(0);
            }
            l.retired.push(id.to_string());
        }
        let key = id.to_string();
        let opts = RemoveContainerOptionsBuilder::new().force(true).build();
        match self
            .conn
            .call(
                SLOW,
                |d| async move { d.remove_container(&key, Some(opts)).await },
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(f) if f.is_not_found() => Ok(()),
            Err(f) => Err(f.into()),
        }
    }
}
