//! taosd's configuration: environment variables (or the same flags), all with defaults, so
//! `taosd` runs with no configuration at all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "taosd",
    version,
    about = "taosd: the agent-facing control plane of taOS",
    long_about = "taosd: the agent-facing control plane of taOS.\n\n\
        With no configuration it keeps its data in an embedded SQLite database in the XDG data \
        directory and listens on 127.0.0.1:6969. Every setting is an environment variable (or \
        the flag of the same name). The API is described at /openapi.json, agents' docs are at \
        /docs/agents/, an interactive page at /docs/api.",
    after_help = "Examples:\n  taosd\n  TAOS_BIND=0.0.0.0:6969 taosd\n  TAOS_DATABASE_URL=postgres://taos@db.example/taos taosd"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed on stdout).
    #[arg(long, env = "TAOS_BIND", default_value = "127.0.0.1:6969")]
    pub bind: SocketAddr,

    /// Directory for taosd's data [default: $XDG_DATA_HOME/taos, i.e. ~/.local/share/taos].
    #[arg(long, env = "TAOS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB` (PostgreSQL lets several
    /// taosd replicas share one state) [default: sqlite://<data dir>/taos.db].
    #[arg(long, env = "TAOS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log filter in tracing's env-filter syntax, e.g. `info` or `taos_server=debug,info`.
    #[arg(long, env = "TAOS_LOG", default_value = "info")]
    pub log: String,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "TAOS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Mark cookies `Secure` (set this when taosd is served over https, e.g. behind a proxy).
    #[arg(long, env = "TAOS_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Directories of installed apps' guides, `:`-separated like PATH. Each subdirectory
    /// `<slug>` holds one app's `*.md` guides, ingested into the knowledge store as source
    /// `app:<slug>` at startup; an app whose subdirectory is gone has its guides removed.
    #[arg(long, env = "TAOS_GUIDES_DIR", value_name = "DIRS")]
    pub guides_dir: Option<String>,
}

impl Config {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| dirs::data_dir().map(|d| d.join("taos")))
            .unwrap_or_else(|| PathBuf::from(".taos"))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir().join("taos.db").display()),
        }
    }

    /// The guide directories, in the order given (empty entries skipped, as in PATH).
    pub fn guides_dirs(&self) -> Vec<PathBuf> {
        self.guides_dir
            .as_deref()
            .unwrap_or_default()
            .split(':')
            .filter(|d| !d.trim().is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guides_dirs_split_like_path() {
        let c = Config::parse_from(["taosd", "--guides-dir", "/a:/b/c::"]);
        assert_eq!(c.guides_dirs(), vec![PathBuf::from("/a"), PathBuf::from("/b/c")]);
    }
}
