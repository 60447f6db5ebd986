//! The runtime-spec flags (`--runtime`, `--image`, `--env`, `--env-file`, limits, `--restart`,
//! `-- COMMAND…`), shared by `agents runtime set` and `agents deploy`, and the spec they make.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use taos_client::types::{self, builder};

use crate::failure::{Failure, Result};
use crate::request;

/// What the help of a command taking env says about keeping values off the command line.
macro_rules! env_help {
    () => {
        "Env values are secrets more often than not: a value on the command line is seen by everyone
who can list this machine's processes, and lands in your shell history. Prefer
`--env-file FILE` (NAME=VALUE lines) or `--env NAME` alone, which takes the value of NAME from
taosctl's own environment. taosd sets TAOS_URL and TAOS_TOKEN itself."
    };
}
pub(crate) use env_help;

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Where it runs [default: the server's default runtime, see `taosctl runtimes`]
    #[arg(long, value_name = "KIND", value_parser = ["process", "docker", "incus"])]
    runtime: Option<String>,
    /// The image (docker, incus; it must be present there)
    #[arg(long, value_name = "IMG")]
    image: Option<String>,
    /// An env variable: NAME=VALUE, or NAME alone to take its value from taosctl's own
    /// environment (keeps secrets off the command line). Repeat for several
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// A file of NAME=VALUE lines (blank lines and # comments skipped); --env wins over it
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Most memory, in MiB
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(4..=4_194_304))]
    memory_mb: Option<i64>,
    /// Most CPU, in cores (0.5 = half a core)
    #[arg(long, value_name = "X")]
    cpus: Option<f64>,
    /// Most processes and threads at once
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4_194_304))]
    pids: Option<u64>,
    /// What happens when the agent ends on its own
    #[arg(long, value_name = "POLICY", value_parser = ["no", "on-failure", "always"])]
    restart: Option<String>,
    /// The program and its arguments, after `--` (run without a shell: say `sh -c '…'` for one)
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

impl SpecArgs {
    /// The spec the flags describe, or the usage error (exit 2) naming the flag the contract
    /// refuses; the server still checks what only it can (a process spec needs a command).
    pub fn spec(&self) -> Result<types::AgentRuntimeSpec> {
        if let Some(cpus) = self.cpus
            && !(0.01..=1024.0).contains(&cpus)
        {
            return Err(Failure::usage(
                "invalid value for --cpus: it must be between 0.01 and 1024",
            ));
        }
        let resources = (self.memory_mb.is_some() || self.cpus.is_some() || self.pids.is_some()).then(|| {
            types::Resources {
                memory_mb: self.memory_mb,
                cpus: self.cpus,
                pids: self.pids.and_then(std::num::NonZeroU64::new),
            }
        });
        let command = self
            .command
            .iter()
            .map(|a| {
                a.parse::<types::AgentRuntimeSpecCommandItem>()
                    .map_err(|e| Failure::usage(format!("invalid COMMAND argument: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        request::body(
            builder::AgentRuntimeSpec::default()
                .runtime(request::opt::<types::RuntimeKind>("--runtime", &self.runtime)?)
                .image(request::opt::<types::AgentRuntimeSpecImage>(
                    "--image",
                    &self.image,
                )?)
                .command(command)
                .env(self.env_values()?)
                .resources(resources)
                .restart(request::opt::<types::RestartPolicy>("--restart", &self.restart)?),
        )
    }

    /// `--env-file`, then `--env` (which wins), as the contract's env map.
    fn env_values(&self) -> Result<HashMap<String, types::AgentRuntimeSpecEnvValue>> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(path) = &self.env_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read --env-file {}: {e}", path.display())))?;
            pairs.extend(
                env_file(&text).map_err(|e| Failure::usage(format!("--env-file {}: {e}", path.display())))?,
            );
        }
        for arg in &self.env {
            pairs.push(env_arg(arg, |name| std::env::var(name).ok())?);
        }
        pairs
            .into_iter()
            .map(|(name, value)| {
                let v = value
                    .parse::<types::AgentRuntimeSpecEnvValue>()
                    .map_err(|e| Failure::usage(format!("invalid value for env {name}: {e}")))?;
                Ok((name, v))
            })
            .collect()
    }
}

/// One `--env`: `NAME=VALUE`, or `NAME` with its value looked up by `lookup` (taosctl's own
/// environment).
fn env_arg(arg: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<(String, String)> {
    let (name, value) = match arg.split_once('=') {
        Some((name, value)) => (name, value.to_string()),
        None => {
            let value = lookup(arg).ok_or_else(|| {
                Failure::usage(format!(
                    "--env {arg}: {arg} is not set in taosctl's environment (give --env {arg}=VALUE, or set it first)"
                ))
            })?;
            (arg, value)
        }
    };
    check_name(name).map_err(|e| Failure::usage(format!("--env {arg}: {e}")))?;
    Ok((name.to_string(), value))
}

/// The `NAME=VALUE` lines of an env file: blank lines and `#` comments skipped, an optional
/// `export ` before the name, and one pair of matching quotes around the value removed.
fn env_file(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("line {}: want NAME=VALUE", n + 1));
        };
        let name = name.trim();
        check_name(name).map_err(|e| format!("line {}: {e}", n + 1))?;
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

/// An env name as the contract takes it: letters, digits and `_`, not starting with a digit.
fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an env name (letters, digits and _, not starting with a digit)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_args_take_a_value_or_look_it_up() {
        let lookup = |n: &str| (n == "KEY").then(|| "from-env".to_string());
        assert_eq!(
            env_arg("A=b=c", lookup).map_err(|f| f.message).ok(),
            Some(("A".into(), "b=c".into()))
        );
        assert_eq!(
            env_arg("KEY", lookup).map_err(|f| f.message).ok(),
            Some(("KEY".into(), "from-env".into()))
        );
        let missing = env_arg("NOPE", lookup)
            .err()
            .map(|f| f.message)
            .unwrap_or_default();
        assert!(missing.contains("not set"), "{missing}");
        assert!(env_arg("1BAD=x", lookup).is_err());
        assert!(env_arg("=x", lookup).is_err());
    }

    #[test]
    fn env_files_skip_comments_and_unquote() {
        let text = "# a comment\n\nA=1\nexport B=\"two words\"\nC='x=y'\nD=\n";
        let pairs = env_file(text).unwrap_or_default();
        assert_eq!(
            pairs,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x=y".into()),
                ("D".into(), String::new()),
            ]
        );
        assert!(env_file("JUSTANAME\n").is_err());
    }
}
