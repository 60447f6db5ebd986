//! How taOS names and labels its containers: the name an agent's container has, the labels
//! that say which agent owns it, and the spec digest that says when it must be made again.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::runtime::restart::RestartPolicy;
use crate::runtime::spec::InstanceSpec;

/// The owning agent's id.
pub const LABEL_AGENT: &str = "taos.agent";
/// Set on every container taOS made: what the watcher and listings filter on.
pub const LABEL_MANAGED: &str = "taos.managed";
/// A digest of what is fixed at creation (image, command, env, resources): a spec whose
/// digest differs needs a new container.
pub const LABEL_SPEC: &str = "taos.spec";
/// The restart policy, so a later taosd that adopts the container applies the same one.
pub const LABEL_RESTART: &str = "taos.restart";

pub fn container_name(agent_name: &str) -> String {
    format!("taos-agent-{agent_name}")
}

/// sha256 over a canonical encoding (length-prefixed fields, env sorted by name).
pub fn spec_digest(spec: &InstanceSpec) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(spec.image.as_deref().unwrap_or("").as_bytes());
    field(&(spec.command.len() as u64).to_be_bytes());
    for arg in &spec.command {
        field(arg.as_bytes());
    }
    // Env iterates in name order (a BTreeMap).
    for (name, value) in spec.env.iter() {
        field(name.as_bytes());
        field(value.as_bytes());
    }
    let r = &spec.resources;
    field(format!("{:?}/{:?}/{:?}", r.memory_mb, r.cpus, r.pids).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn labels(spec: &InstanceSpec) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_AGENT.to_string(), spec.agent_id.to_string()),
        (LABEL_MANAGED.to_string(), "1".to_string()),
        (LABEL_SPEC.to_string(), spec_digest(spec)),
        (LABEL_RESTART.to_string(), spec.restart.as_str().to_string()),
    ])
}

pub fn agent_of(labels: &HashMap<String, String>) -> Option<Uuid> {
    labels.get(LABEL_AGENT)?.parse().ok()
}

pub fn restart_of(labels: &HashMap<String, String>) -> RestartPolicy {
    match labels.get(LABEL_RESTART).map(String::as_str) {
        Some("on-failure") => RestartPolicy::OnFailure,
        Some("always") => RestartPolicy::Always,
        _ => RestartPolicy::No,
    }
}

/// The agent's name from its container's (`/taos-agent-x` as Docker reports it).
pub fn agent_name(container_name: &str) -> String {
    let name = container_name.trim_start_matches('/');
    name.strip_prefix("taos-agent-").unwrap_or(name).to_string()
}
