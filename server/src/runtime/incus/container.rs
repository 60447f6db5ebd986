//! What a spec becomes in incus: the container's name, its config (labels, env, limits,
//! the agent's command as its init) and devices (the proxy that makes a loopback TAOS_URL
//! work inside a container that has no network).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::runtime::spec::InstanceSpec;

pub const NAME_PREFIX: &str = "taos-agent-";
/// The agent's id, on every container this backend makes: how it finds its own.
pub const LABEL_AGENT: &str = "user.taos.agent";
/// A digest of what the container was made from: a changed spec means a new container.
pub const LABEL_SPEC: &str = "user.taos.spec";
/// The restart policy, so a taosd that adopts the container applies the same one.
pub const LABEL_RESTART: &str = "user.taos.restart";
pub const ENV_PREFIX: &str = "environment.";
/// Where the agent's command is written when it cannot be given to LXC directly.
pub const COMMAND_FILE: &str = "/etc/taos/command";
/// The env file a systemd `taos-agent` unit reads (`EnvironmentFile=`).
pub const ENV_FILE: &str = "/etc/taos/agent.env";
pub const PROXY_DEVICE: &str = "taos-url";

pub fn container_name(spec: &InstanceSpec) -> String {
    format!("{NAME_PREFIX}{}", spec.name)
}

/// sha256 over image, command, env and resources: what a running container cannot change.
pub fn spec_digest(spec: &InstanceSpec) -> String {
    let material = json!({
        "image": spec.image,
        "command": spec.command,
        "env": spec.env,
        "resources": spec.resources,
    });
    let hash = Sha256::digest(material.to_string().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// How the agent's command becomes the container's init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    /// The image's own init.
    Image,
    /// `lxc.init.cmd` with the argv as is. LXC splits that value on spaces with no quoting
    /// at all (verified: `sh -c "echo hi"` arrives as `"echo` and `hi"`), so this is only
    /// used when no argument has whitespace or a quote.
    Direct(Vec<String>),
    /// `lxc.init.cmd = /bin/sh /etc/taos/command`: a script, written into the container
    /// before it starts, that `exec`s the argv single-quoted (needs `/bin/sh` in the image).
    /// Also used to bring `lo` up first when a proxy device needs it (an incus container
    /// without a network has `lo` down, and incus refuses `lxc.net.*` in raw.lxc).
    Script(String),
}

fn plain(arg: &str) -> bool {
    !arg.is_empty()
        && arg
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\'' | '\\'))
}

/// Single-quotes for sh: `'` becomes `'\''`.
fn sh_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

pub fn init_for(spec: &InstanceSpec, needs_lo: bool) -> Init {
    if spec.command.is_empty() {
        return Init::Image;
    }
    if !needs_lo && spec.command.iter().all(|a| plain(a)) {
        return Init::Direct(spec.command.clone());
    }
    let argv: Vec<String> = spec.command.iter().map(|a| sh_quote(a)).collect();
    let lo = if needs_lo {
        "# The proxy device for TAOS_URL listens on 127.0.0.1 inside: lo must be up.\n\
         ip link set lo up 2>/dev/null || true\n"
    } else {
        ""
    };
    Init::Script(format!(
        "#!/bin/sh\n# Written by taosd: the agent's command as this container's init.\n{lo}exec {}\n",
        argv.join(" ")
    ))
}

/// A loopback `TAOS_URL` (taosd's own address): the `host:port` a proxy device must carry.
pub fn loopback_target(spec: &InstanceSpec) -> Option<String> {
    let raw = spec.env.get("TAOS_URL")?;
    let url = url::Url::parse(raw).ok()?;
    let port = url.port_or_known_default()?;
    match url.host()? {
        url::Host::Ipv4(ip) if ip.is_loopback() => Some(format!("{ip}:{port}")),
        url::Host::Ipv6(ip) if ip.is_loopback() => Some(format!("[{ip}]:{port}")),
        url::Host::Domain("localhost") => Some(format!("127.0.0.1:{port}")),
        _ => None,
    }
}

/// The proxy device: listens inside the container (`bind: instance`), connects on the host.
pub fn proxy_device(target: &str) -> Value {
    json!({
        "type": "proxy",
        "listen": format!("tcp:{target}"),
        "connect": format!("tcp:{target}"),
        "bind": "instance",
    })
}

/// The `environment.*`, label and limit keys for `spec` (raw.lxc aside).
pub fn config_for(spec: &InstanceSpec, init: &Init) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert(LABEL_AGENT.into(), spec.agent_id.to_string().into());
    c.insert(LABEL_SPEC.into(), spec_digest(spec).into());
    c.insert(LABEL_RESTART.into(), spec.restart.as_str().into());
    for (k, v) in spec.env.iter() {
        c.insert(format!("{ENV_PREFIX}{k}"), v.into());
    }
    let r = &spec.resources;
    if let Some(mb) = r.memory_mb {
        c.insert("limits.memory".into(), format!("{mb}MiB").into());
    }
    if let Some(cpus) = r.cpus {
        // A hard quota of `cpus` CPUs' worth of time, spread over at most that many CPUs.
        let host = std::thread::available_parallelism().map_or(1, |n| n.get());
        let count = (cpus.ceil() as usize).clamp(1, host);
        c.insert("limits.cpu".into(), count.to_string().into());
        let ms = ((cpus * 100.0).round() as u64).max(1);
        c.insert("limits.cpu.allowance".into(), format!("{ms}ms/100ms").into());
    }
    if let Some(pids) = r.pids {
        c.insert("limits.processes".into(), pids.to_string().into());
    }
    let init_cmd = match init {
        Init::Image => None,
        Init::Direct(argv) => Some(argv.join(" ")),
        Init::Script(_) => Some(format!("/bin/sh {COMMAND_FILE}")),
    };
    if let Some(cmd) = init_cmd {
        // `plain` arguments hold no newline, so this stays one raw.lxc line.
        c.insert("raw.lxc".into(), format!("lxc.init.cmd = {cmd}\n").into());
    }
    c
}

pub fn devices_for(spec: &InstanceSpec) -> Map<String, Value> {
    let mut d = Map::new();
    if let Some(target) = loopback_target(spec) {
        d.insert(PROXY_DEVICE.into(), proxy_device(&target));
    }
    d
}

/// The body of `POST /1.0/instances`: never privileged, no nesting, no host disks (only
/// the default profile's root disk on the pool).
pub fn create_body(spec: &InstanceSpec, image: &str, init: &Init) -> Value {
    json!({
        "name": container_name(spec),
        "type": "container",
        "profiles": ["default"],
        "source": {"type": "image", "alias": image},
        "config": config_for(spec, init),
        "devices": devices_for(spec),
    })
}

/// The env file pushed for a systemd unit (`KEY='value'` per line, systemd's quoting).
pub fn env_file(spec: &InstanceSpec) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in spec.env.iter() {
        let escaped = v.replace('\\', r"\\").replace('\'', r"\'").replace('\n', r"\n");
        out.push_str(&format!("{k}='{escaped}'\n"));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn spec(cmd: &[&str]) -> InstanceSpec {
        let mut s = InstanceSpec::process(Uuid::new_v4(), "a", cmd);
        s.image = Some("img".into());
        s
    }

    #[test]
    fn plain_argv_goes_to_lxc_and_anything_else_through_a_quoted_script() {
        assert_eq!(
            init_for(&spec(&["sleep", "9"]), false),
            Init::Direct(vec!["sleep".into(), "9".into()])
        );
        let Init::Script(s) = init_for(&spec(&["sh", "-c", "echo 'hi' \"$X\"\nrm -rf /"]), false) else {
            panic!("a script")
        };
        assert!(
            s.ends_with("exec 'sh' '-c' 'echo '\\''hi'\\'' \"$X\"\nrm -rf /'\n"),
            "{s}"
        );
        assert_eq!(init_for(&spec(&[]), false), Init::Image);
        assert!(matches!(init_for(&spec(&["sleep", "9"]), true), Init::Script(_)));
    }

    #[test]
    fn only_a_loopback_taos_url_gets_a_proxy() {
        let mut s = spec(&[]);
        for (url, want) in [
            ("http://127.0.0.1:8080/x", Some("127.0.0.1:8080")),
            ("http://localhost", Some("127.0.0.1:80")),
            ("http://[::1]:9/", Some("[::1]:9")),
            ("http://10.0.0.1:8080", None),
            ("not a url", None),
        ] {
            s.env.insert("TAOS_URL", url);
            assert_eq!(loopback_target(&s).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn the_digest_follows_what_a_container_cannot_change() {
        let a = spec(&["x"]);
        let mut b = a.clone();
        assert_eq!(spec_digest(&a), spec_digest(&b));
        b.restart = crate::runtime::RestartPolicy::Always;
        assert_eq!(spec_digest(&a), spec_digest(&b));
        b.env.insert("K", "v");
        assert_ne!(spec_digest(&a), spec_digest(&b));
    }
}
