//! What to run: an instance spec, the same for every backend, checked before anything starts.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::RuntimeKind;
use super::error::{Error, Result};
use super::restart::RestartPolicy;

const MAX_ARGS: usize = 1024;
const MAX_ENV_VARS: usize = 256;
/// For argv and for env, each: well under Linux's ARG_MAX, so exec cannot fail on size.
const MAX_TOTAL_BYTES: usize = 128 * 1024;
const MAX_NAME: usize = 63;
const MAX_WORKING_DIR: usize = 255;
pub const MAX_MEMORY_MB: i64 = 4 * 1024 * 1024;
/// Less than this cannot even exec a shell: refuse it instead of an instant OOM kill.
pub const MIN_MEMORY_MB: i64 = 4;
pub const MAX_CPUS: f64 = 1024.0;
pub const MIN_CPUS: f64 = 0.01;
pub const MAX_PIDS: i64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSpec {
    pub agent_id: Uuid,
    /// The agent's slug: names its container (`taos-agent-<name>`) and shows in listings.
    pub name: String,
    /// argv for the `process` backend (and the command override for containers). Never run
    /// through a shell unless argv itself names one.
    #[serde(default)]
    pub command: Vec<String>,
    /// The image for `docker` and `incus`.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub env: Env,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub restart: RestartPolicy,
    /// Relative to the agent's own directory (which is the default); cannot leave it.
    #[serde(default)]
    pub working_dir: Option<String>,
}

/// Limits; signed and floating so that what a caller sent (a negative number included) is
/// refused here, with the field named, rather than lost in a conversion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    pub memory_mb: Option<i64>,
    pub cpus: Option<f64>,
    /// Most processes and threads at once (contains a fork bomb).
    pub pids: Option<i64>,
}

/// Environment variables. Values are secrets (an agent's token among them): `Debug` shows
/// names only, and the API lists names only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Env(BTreeMap<String, String>);

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.keys().map(|k| (k, "***"))).finish()
    }
}

/// Names whose values are redacted from an agent's logs (besides secrets registered with
/// the log store): the usual words for credentials.
const SECRET_NAME_WORDS: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL"];

impl Env {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.0.insert(name.into(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Values of variables named like credentials (`TAOS_TOKEN`, `API_KEY`, …), to redact.
    pub fn secret_values(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| {
                let k = k.to_ascii_uppercase();
                !v.is_empty() && SECRET_NAME_WORDS.iter().any(|w| k.contains(w))
            })
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl InstanceSpec {
    /// A spec for the process backend.
    pub fn process(agent_id: Uuid, name: &str, command: &[&str]) -> Self {
        Self {
            agent_id,
            name: name.into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            image: None,
            env: Env::new(),
            resources: Resources::default(),
            restart: RestartPolicy::No,
            working_dir: None,
        }
    }

    /// Everything a backend of `kind` needs, or the first field that is wrong.
    pub fn validate_for(&self, kind: RuntimeKind) -> Result<()> {
        check_name(&self.name)?;
        match kind {
            RuntimeKind::Process => {
                if self.command.is_empty() {
                    return Err(Error::spec(
                        "command",
                        "the process runtime needs a command (argv), e.g. [\"python3\", \"agent.py\"]",
                    ));
                }
            }
            RuntimeKind::Docker | RuntimeKind::Incus => match self.image.as_deref() {
                None | Some("") => {
                    return Err(Error::spec("image", format!("the {kind} runtime needs an image")));
                }
                Some(image) => check_text("image", image, 255)?,
            },
        }
        check_command(&self.command)?;
        check_env(&self.env)?;
        check_resources(&self.resources)?;
        if let Some(dir) = &self.working_dir {
            check_working_dir(dir)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::spec(
            "name",
            format!("1 to {MAX_NAME} letters, digits, '-' or '_'"),
        ))
    }
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::spec(field, "contains a NUL character"));
    }
    if value.len() > max {
        return Err(Error::spec(field, format!("longer than {max} bytes")));
    }
    Ok(())
}

fn check_command(argv: &[String]) -> Result<()> {
    if argv.len() > MAX_ARGS {
        return Err(Error::spec("command", format!("more than {MAX_ARGS} arguments")));
    }
    if argv.first().is_some_and(|a| a.is_empty()) {
        return Err(Error::spec("command", "the program (first argument) is empty"));
    }
    for (i, arg) in argv.iter().enumerate() {
        check_text(&format!("command[{i}]"), arg, MAX_TOTAL_BYTES)?;
    }
    if argv.iter().map(|a| a.len() + 1).sum::<usize>() > MAX_TOTAL_BYTES {
        return Err(Error::spec(
            "command",
            format!("longer than {MAX_TOTAL_BYTES} bytes in all"),
        ));
    }
    Ok(())
}

fn check_env(env: &Env) -> Result<()> {
    if env.0.len() > MAX_ENV_VARS {
        return Err(Error::spec("env", format!("more than {MAX_ENV_VARS} variables")));
    }
    for (name, value) in env.iter() {
        let portable = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !portable {
            return Err(Error::spec(
                "env",
                format!(
                    "'{}' is not a variable name (letters, digits and '_', not starting with a digit)",
                    name.escape_debug()
                ),
            ));
        }
        // The value is a secret: name the variable, never echo the value.
        check_text(&format!("env.{name}"), value, MAX_TOTAL_BYTES)?;
    }
    if env.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>() > MAX_TOTAL_BYTES {
        return Err(Error::spec(
            "env",
            format!("longer than {MAX_TOTAL_BYTES} bytes in all"),
        ));
    }
    Ok(())
}

fn check_resources(r: &Resources) -> Result<()> {
    if let Some(mb) = r.memory_mb
        && !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&mb)
    {
        return Err(Error::spec(
            "resources.memory_mb",
            format!("must be from {MIN_MEMORY_MB} to {MAX_MEMORY_MB}, not {mb}"),
        ));
    }
    if let Some(cpus) = r.cpus
        && !(cpus.is_finite() && (MIN_CPUS..=MAX_CPUS).contains(&cpus))
    {
        return Err(Error::spec(
            "resources.cpus",
            format!("must be from {MIN_CPUS} to {MAX_CPUS}, not {cpus}"),
        ));
    }
    if let Some(pids) = r.pids
        && !(1..=MAX_PIDS).contains(&pids)
    {
        return Err(Error::spec(
            "resources.pids",
            format!("must be from 1 to {MAX_PIDS}, not {pids}"),
        ));
    }
    Ok(())
}

fn check_working_dir(dir: &str) -> Result<()> {
    check_text("working_dir", dir, MAX_WORKING_DIR)?;
    let inside = !dir.is_empty()
        && Path::new(dir)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside {
        Ok(())
    } else {
        Err(Error::spec(
            "working_dir",
            "must be a relative path inside the agent's directory (no '/' at the start, no '..')",
        ))
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
