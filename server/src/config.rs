//! taosd's configuration: environment variables (or the same flags), all with defaults, so
//! `taosd` runs with no configuration at all.

use std::path::PathBuf;
use std::time::Duration;

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
    /// Address to listen on, HOST:PORT: an IP address or a host name (resolved at start; its
    /// first IPv4 address is used, so `localhost:6970` is 127.0.0.1:6970). Port 0 picks a
    /// free port; the chosen address is printed on stdout.
    #[arg(
        long,
        env = "TAOS_BIND",
        default_value = "127.0.0.1:6969",
        value_name = "HOST:PORT"
    )]
    pub bind: String,

    /// Directory for taosd's data [default: $XDG_DATA_HOME/taos, i.e. ~/.local/share/taos].
    #[arg(long, env = "TAOS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB` (PostgreSQL lets several
    /// taosd replicas share one state) [default: sqlite://<data dir>/taos.db]. A SQLite file is
    /// created with mode 0600. While a PostgreSQL server cannot be reached, taosd says so on
    /// stderr and tries again, with growing pauses up to 30 s, until it answers.
    #[arg(long, env = "TAOS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log filter in tracing's env-filter syntax, e.g. `info` or `taos_server=debug,info`; one
    /// that does not parse stops taosd at start.
    #[arg(long, env = "TAOS_LOG", default_value = "info")]
    pub log: String,

    /// Log format: `text` for people (coloured only on a terminal, and not with `NO_COLOR`
    /// set), `json` for log collectors.
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

    /// How long a client may take to send a request's line and headers (a new connection:
    /// from connecting; a kept-alive one: from the first byte of its next request), e.g.
    /// `10s`, `500ms`. A connection that is late is closed without an answer.
    #[arg(long, env = "TAOS_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub header_timeout: Duration,

    /// How long a client may take to send a whole request body, counted from the end of its
    /// headers. A late body is dropped and answered `408 request_timeout`.
    #[arg(long, env = "TAOS_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub body_timeout: Duration,

    /// How long a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, env = "TAOS_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub idle_timeout: Duration,

    /// Most connections served at once. taosd raises its open-files limit to the hard limit
    /// at start and lowers this to keep headroom under it; a connection beyond it is answered
    /// `503 too_many_connections` with `Retry-After` and closed.
    #[arg(long, env = "TAOS_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_connections: u32,

    /// Extra `Host` names taosd answers to, comma-separated (`name` for any port, `name:port`
    /// for one), e.g. the name of a proxy in front of it; `*` answers any Host. Without it
    /// taosd answers only `localhost` and IP addresses, which a web page cannot DNS-rebind.
    #[arg(long, env = "TAOS_ALLOWED_HOSTS", value_delimiter = ',', value_name = "HOSTS")]
    pub allowed_hosts: Vec<String>,

    /// How long a request with an `Idempotency-Key` may go unanswered before a retry with the
    /// same key presumes it died with its process and runs it afresh. Nothing it did is kept
    /// (its work and its answer commit together), so a shorter window only costs a request
    /// that really runs longer its answer: `409 idempotency_key_in_use` for it.
    #[arg(long, env = "TAOS_IDEMPOTENCY_TAKEOVER", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub idempotency_takeover: Duration,

    /// The runtime an agent runs on when its spec names none: `process` (a supervised child
    /// of taosd, any Linux), `docker` or `incus`.
    #[arg(long, env = "TAOS_RUNTIME", default_value = "process", value_parser = parse_runtime, value_name = "RUNTIME")]
    pub runtime: crate::runtime::RuntimeKind,

    /// The incus project agents' containers are made in (it must exist). Each taosd sharing
    /// one incusd needs its own: a taosd manages every taOS container of its project.
    #[arg(
        long,
        env = "TAOS_INCUS_PROJECT",
        default_value = "default",
        value_name = "PROJECT"
    )]
    pub incus_project: String,
}

fn parse_runtime(text: &str) -> Result<crate::runtime::RuntimeKind, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a runtime: use process, docker or incus"))
}

/// `10s`, `500ms`, `2m` or a bare number of seconds (`1.5`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `10s`, `500ms` or `2m`"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{unit}` is not a unit; use `ms`, `s` or `m`")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 86_400.0) {
        return Err(format!("`{text}` must be more than 0 and less than a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
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

    #[test]
    fn durations_take_a_unit_or_seconds() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0", "-1s", "5h", "fast", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allowed_hosts_are_comma_separated() {
        let c = Config::parse_from(["taosd", "--allowed-hosts", "taos.example,proxy:8080"]);
        assert_eq!(c.allowed_hosts, ["taos.example", "proxy:8080"]);
    }
}
