//! The `Host` allow-list, against DNS rebinding: a web page on `evil.example` that points its
//! DNS name at 127.0.0.1 may send requests to taosd that its browser treats as same-origin
//! (say `POST /auth/setup` on a fresh install). Such requests carry `Host: evil.example`, so
//! taosd answers only Hosts that cannot be rebound: `localhost` and IP literals (whatever the
//! port, so port mappings and a LAN address keep working), plus the names the operator lists
//! in `TAOS_ALLOWED_HOSTS` (a proxy's name, `*` for any).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::{self, Error};

/// Which `Host`s taosd answers; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    any: bool,
    /// `(host, port)`, lower case; no port = any port.
    extra: Vec<(String, Option<u16>)>,
}

impl AllowedHosts {
    /// The defaults plus `TAOS_ALLOWED_HOSTS`' entries (`name`, `name:port`, `[v6]:port`, `*`).
    pub fn new(entries: &[String]) -> AllowedHosts {
        let mut hosts = AllowedHosts::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                hosts.any = true;
            } else if let Some((host, port)) = split_host(entry) {
                hosts.extra.push((host.to_ascii_lowercase(), port));
            } else {
                tracing::warn!(entry, "TAOS_ALLOWED_HOSTS: not a host name; ignored");
            }
        }
        hosts
    }

    /// Whether a request with this `Host` (authority) is answered.
    pub fn allows(&self, authority: &str) -> bool {
        if self.any {
            return true;
        }
        let Some((host, port)) = split_host(authority) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        if host == "localhost" || host.parse::<Ipv4Addr>().is_ok() || is_bracketed_v6(&host) {
            return true;
        }
        self.extra
            .iter()
            .any(|(h, p)| *h == host && (p.is_none() || *p == port))
    }
}

/// `host[:port]` (a v6 literal keeps its brackets); `None` when it is not that shape.
fn split_host(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        match &authority[end..] {
            "" => (&authority[..end], None),
            rest => (&authority[..end], Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
    valid.then_some((host, port))
}

fn is_bracketed_v6(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .is_some_and(|h| h.parse::<Ipv6Addr>().is_ok())
}

/// The middleware: every route (API, docs, pages) answers only allowed Hosts. The authority
/// of an absolute-form request target counts, as HTTP says it does, else the `Host` header.
pub async fn check(State(hosts): State<Arc<AllowedHosts>>, req: Request<Body>, next: Next) -> Response {
    let authority = match req.uri().authority() {
        Some(a) => Some(a.as_str().to_string()),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    match authority {
        Some(a) if hosts.allows(&a) => next.run(req).await,
        Some(a) => {
            let shown: String = a.chars().take(100).collect();
            Error::new(
                &errors::HOST_NOT_ALLOWED,
                format!("taosd does not answer requests for the host `{shown}`."),
            )
            .into_response()
        }
        None if hosts.any => next.run(req).await,
        None => Error::new(&errors::HOST_NOT_ALLOWED, "The request has no `Host` header.").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_answer_localhost_and_ip_literals_only() {
        let h = AllowedHosts::new(&[]);
        for ok in [
            "localhost",
            "LOCALHOST:6969",
            "127.0.0.1:6969",
            "127.0.0.1",
            "192.168.1.5:8080",
            "[::1]:6969",
            "[::1]",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:6969",
            "localhost.evil.example",
            "127.0.0.1.nip.io:6969",
            "localhost.",
            "",
            ":6969",
            "[::1]x",
            "127.0.0.1:99999",
            "a b",
        ] {
            assert!(!h.allows(refused), "{refused}");
        }
    }

    #[test]
    fn listed_names_are_answered_with_any_port_or_theirs() {
        let h = AllowedHosts::new(&["Taos.Example".into(), "proxy:8080".into(), " ".into()]);
        assert!(h.allows("taos.example"));
        assert!(h.allows("taos.example:443"));
        assert!(h.allows("proxy:8080"));
        assert!(!h.allows("proxy:8081"));
        assert!(!h.allows("proxy"));
        assert!(!h.allows("evil.example"));
        assert!(AllowedHosts::new(&["*".into()]).allows("evil.example"));
    }
}
