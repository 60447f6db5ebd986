//! The standard configuration shared by `taosctl` and every program using the SDK:
//! `TAOS_URL` (default `http://localhost:6969`), `TAOS_TOKEN`, and the credentials file
//! `$XDG_CONFIG_HOME/taos/credentials` (JSON `{"token": …, "url": …}`, mode 0600).

use std::path::PathBuf;

use serde::Deserialize;

pub const DEFAULT_URL: &str = "http://localhost:6969";

/// Where to reach taosd and with which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub url: String,
    pub token: Option<String>,
}

#[derive(Debug)]
pub enum ConfigError {
    /// The credentials file exists but cannot be read or parsed.
    Credentials { path: PathBuf, reason: String },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Credentials { path, reason } => write!(f, "cannot use {}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
struct Credentials {
    token: Option<String>,
    url: Option<String>,
}

/// `$XDG_CONFIG_HOME/taos/credentials`, else `~/.config/taos/credentials`.
pub fn credentials_path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))
        .map(|dir| dir.join("taos").join("credentials"))
}

impl Config {
    /// The URL from `TAOS_URL`, else the credentials file, else the default; the token from
    /// `TAOS_TOKEN`, else the credentials file.
    pub fn from_env() -> Result<Config, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let saved = match credentials_path() {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Credentials {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let creds: Credentials =
                    serde_json::from_str(&text).map_err(|e| ConfigError::Credentials {
                        path: path.clone(),
                        reason: format!("not valid JSON: {e}"),
                    })?;
                Some(creds)
            }
            _ => None,
        };
        let (saved_url, saved_token) = saved.map(|c| (c.url, c.token)).unwrap_or_default();
        Ok(Config {
            url: env("TAOS_URL")
                .or(saved_url)
                .unwrap_or_else(|| DEFAULT_URL.to_string()),
            token: env("TAOS_TOKEN").map(|t| t.trim().to_string()).or(saved_token),
        })
    }

    /// A client for this configuration.
    pub fn client(&self) -> Result<crate::Client, reqwest::Error> {
        crate::client(&self.url, self.token.as_deref())
    }
}
