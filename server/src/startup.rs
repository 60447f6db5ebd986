//! Why taosd will not start, said once, on one line a person can act on: what is wrong and
//! how to fix it, naming the environment variable that sets it (most installs configure
//! taosd through its environment, not its flags).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Debug)]
pub struct Refusal {
    what: String,
    fix: String,
    /// The configuration is wrong (exit 2), rather than the world around it (exit 1).
    pub usage: bool,
}

impl Refusal {
    pub fn config(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: fix.into(),
            usage: true,
        }
    }

    pub fn environment(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: fix.into(),
            usage: false,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}. Fix: {}", self.what, self.fix)
    }
}

impl std::error::Error for Refusal {}

/// The address `TAOS_BIND` names: an IP address and port, or a host name and port (resolved
/// now; its first IPv4 address wins, else its first address, so `localhost` is 127.0.0.1).
pub fn bind_address(bind: &str) -> Result<SocketAddr, Refusal> {
    if let Ok(addr) = bind.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let invalid = |why: String| {
        Refusal::config(
            format!("TAOS_BIND (--bind) is `{bind}`, which is not an address to listen on: {why}"),
            "give HOST:PORT, e.g. TAOS_BIND=127.0.0.1:6969, TAOS_BIND=localhost:6970 or TAOS_BIND=0.0.0.0:6969 (port 0 picks a free port)",
        )
    };
    let Some((host, port)) = bind.rsplit_once(':') else {
        return Err(invalid("it has no `:PORT`".into()));
    };
    if port.parse::<u16>().is_err() {
        return Err(invalid(format!("`{port}` is not a port (0 to 65535)")));
    }
    if host.is_empty() {
        return Err(invalid("it has no host".into()));
    }
    let found: Vec<SocketAddr> = bind
        .to_socket_addrs()
        .map_err(|e| invalid(format!("`{host}` does not resolve ({e})")))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| invalid(format!("`{host}` resolves to no address")))
}

/// Why listening on `addr` failed, and what to do.
pub fn cannot_listen(addr: SocketAddr, e: &std::io::Error) -> Refusal {
    use std::io::ErrorKind;
    let (what, fix) = match e.kind() {
        ErrorKind::AddrInUse => (
            "the address is in use (another taosd, or another program, listens there)".to_string(),
            format!(
                "stop that program, or set TAOS_BIND to another port, e.g. TAOS_BIND={}:{} (port 0 picks a free port)",
                host_of(addr),
                addr.port().wrapping_add(1).max(1)
            ),
        ),
        ErrorKind::PermissionDenied => (
            "permission denied".to_string(),
            "ports below 1024 need privileges: set TAOS_BIND to a port from 1024 up, e.g. TAOS_BIND=127.0.0.1:6969"
                .to_string(),
        ),
        ErrorKind::AddrNotAvailable => (
            "no network interface of this machine has that address".to_string(),
            "set TAOS_BIND to an address of this machine, e.g. TAOS_BIND=127.0.0.1:6969 or TAOS_BIND=0.0.0.0:6969"
                .to_string(),
        ),
        _ => (
            e.to_string(),
            "set TAOS_BIND to another address, e.g. TAOS_BIND=127.0.0.1:6969".to_string(),
        ),
    };
    Refusal::environment(format!("cannot listen on {addr}: {what}"), fix)
}

fn host_of(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

/// A log filter that `TAOS_LOG` gives but tracing cannot read.
pub fn bad_log_filter(filter: &str, why: &dyn fmt::Display) -> Refusal {
    Refusal::config(
        format!("TAOS_LOG (--log) is `{filter}`, which is not a log filter: {why}"),
        "give a level (error, warn, info, debug, trace) or comma-separated TARGET=LEVEL pairs, e.g. TAOS_LOG=info or TAOS_LOG=taos_server=debug,info",
    )
}

/// The PostgreSQL database `url` names does not exist on its server.
pub fn missing_database(url: &str) -> Refusal {
    let parsed = url::Url::parse(url).ok();
    let name = parsed
        .as_ref()
        .map(|u| u.path().trim_start_matches('/').to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "taos".into());
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let port = parsed.as_ref().and_then(url::Url::port).unwrap_or(5432);
    let user = parsed
        .as_ref()
        .map(|u| u.username().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres".into());
    Refusal::environment(
        format!("the PostgreSQL database `{name}` does not exist on {host}:{port}"),
        format!(
            "create it with `createdb -h {host} -p {port} -U {user} {name}` (taosd makes its tables itself), or point TAOS_DATABASE_URL at one that exists"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_takes_addresses_and_host_names() {
        assert_eq!(bind_address("127.0.0.1:0").unwrap().to_string(), "127.0.0.1:0");
        assert_eq!(bind_address("[::1]:6969").unwrap().to_string(), "[::1]:6969");
        assert_eq!(
            bind_address("localhost:6970").unwrap().to_string(),
            "127.0.0.1:6970"
        );
        for bad in [
            "localhost",
            "localhost:port",
            ":6969",
            "127.0.0.1:70000",
            "no-such-host.invalid:1",
        ] {
            let e = bind_address(bad).unwrap_err();
            assert!(
                e.usage && e.to_string().starts_with("TAOS_BIND (--bind) is"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_missing_database_says_how_to_create_it() {
        let e = missing_database("postgres://taos@db.example:5433/taos_prod?sslmode=disable");
        assert_eq!(
            e.to_string(),
            "the PostgreSQL database `taos_prod` does not exist on db.example:5433. Fix: create it with `createdb -h db.example -p 5433 -U taos taos_prod` (taosd makes its tables itself), or point TAOS_DATABASE_URL at one that exists"
        );
    }
}
