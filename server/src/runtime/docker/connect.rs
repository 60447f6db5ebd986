//! The connection to the Docker engine: made lazily, version-negotiated, dropped after a
//! transport failure so the next call connects again (dockerd restarted, or came up late),
//! and every call bounded in time so a daemon that hangs cannot hang a verb.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::runtime::RuntimeKind;
use crate::runtime::error::Error;

pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Connecting and negotiating the API version, at most.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// An ordinary call (inspect, pause, list), at most: a verb answers within ~5 s even when
/// the daemon accepts connections and never answers.
pub const QUICK: Duration = Duration::from_secs(3);
/// Calls that make or start containers may take longer on a loaded machine.
pub const SLOW: Duration = Duration::from_secs(30);

pub const FIX: &str = "Install Docker (apt-get install docker.io) and start dockerd; taosd finds it at \
                       DOCKER_HOST or /var/run/docker.sock";

/// Why a call failed.
#[derive(Debug)]
pub enum Fault {
    /// No answer: the daemon is down, the socket missing, or the call timed out.
    Down(String),
    /// The daemon answered with an error status.
    Api { status: u16, message: String },
}

impl Fault {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Fault::Api { status: 404, .. })
    }

    /// Docker's and podman's "it is already so" answers (409 or 500 with a text).
    pub fn is_already(&self) -> bool {
        match self {
            Fault::Api { status, message } => {
                let m = message.to_ascii_lowercase();
                (*status == 409 || *status == 500) && m.contains("already")
            }
            Fault::Down(_) => false,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Fault::Down(m) => m,
            Fault::Api { message, .. } => message,
        }
    }
}

impl From<Fault> for Error {
    fn from(f: Fault) -> Self {
        match f {
            Fault::Down(reason) => unavailable(reason),
            Fault::Api { message, .. } => Error::failed(format!("the Docker engine refused: {message}")),
        }
    }
}

pub fn unavailable(reason: impl Into<String>) -> Error {
    Error::Unavailable {
        kind: RuntimeKind::Docker,
        reason: reason.into(),
        fix: FIX.into(),
    }
}

/// The socket: the configured one, else `DOCKER_HOST` when it names a unix socket, else
/// the usual path.
pub fn socket_path(configured: Option<&Path>) -> PathBuf {
    if let Some(p) = configured {
        return p.to_path_buf();
    }
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => PathBuf::from(&host["unix://".len()..]),
        _ => PathBuf::from(DEFAULT_SOCKET),
    }
}

pub struct Conn {
    path: PathBuf,
    client: Mutex<Option<Docker>>,
}

fn fault(e: bollard::errors::Error) -> Fault {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, message } => Fault::Api {
            status: status_code,
            message,
        },
        other => Fault::Down(other.to_string()),
    }
}

impl Conn {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            client: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Option<Docker>> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the connection: the next call connects (and negotiates) again.
    pub fn forget(&self) {
        *self.cached() = None;
    }

    /// A connected client, negotiated to the daemon's API version.
    pub async fn client(&self) -> Result<Docker, Fault> {
        if let Some(c) = self.cached().clone() {
            return Ok(c);
        }
        let path = self.path.to_string_lossy().into_owned();
        // bollard's own timeout only covers request → headers; ours bound every call.
        let docker = Docker::connect_with_unix(&path, 120, API_DEFAULT_VERSION)
            .map_err(|e| Fault::Down(format!("cannot connect to {path}: {e}")))?;
        let docker = match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => return Err(Fault::Down(format!("no Docker engine answers on {path}: {e}"))),
            Err(_) => {
                return Err(Fault::Down(format!(
                    "the Docker engine on {path} did not answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        };
        *self.cached() = Some(docker.clone());
        Ok(docker)
    }

    /// Runs one call within `limit`; a failure to reach the daemon forgets the connection.
    pub async fn call<T, F, Fut>(&self, limit: Duration, f: F) -> Result<T, Fault>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let docker = self.client().await?;
        let out = match tokio::time::timeout(limit, f(docker)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(fault(e)),
            Err(_) => Err(Fault::Down(format!(
                "the Docker engine did not answer within {} s",
                limit.as_secs()
            ))),
        };
        if let Err(Fault::Down(_)) = &out {
            self.forget();
        }
        out
    }
}
