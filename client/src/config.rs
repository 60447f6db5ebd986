//! The standard configuration shared by `taosctl` and every program using the SDK, resolved in
//! one place:
//!
//! - the server: `--url` (the caller's flag), else `TAOS_URL`, else the server saved in the
//!   credentials file, else [`DEFAULT_URL`];
//! - the token: `TAOS_TOKEN`, else the credentials file, with where it came from;
//! - the credentials file: `$XDG_CONFIG_HOME/taos/credentials`, else
//!   `~/.config/taos/credentials`, JSON `{"token": …, "url": …}`. Only its owner may read it: a
//!   file others can read is made 0600 before it is read (and refused when that fails); it is
//!   written 0600 from the first byte and replaced atomically.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const DEFAULT_URL: &str = "http://localhost:6969";

/// What the credentials file holds.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Where the token in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The `TAOS_TOKEN` environment variable.
    Env,
    /// The credentials file at this path.
    File(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env => f.write_str("TAOS_TOKEN"),
            TokenSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Where to reach taosd and with which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The server's base URL, without a trailing `/`.
    pub url: String,
    /// The token in use and where it came from.
    pub token: Option<(String, TokenSource)>,
    /// The credentials file (whether or not it exists).
    pub credentials_path: PathBuf,
    /// What the credentials file holds, when there is one.
    pub saved: Option<Credentials>,
    /// The file was readable by others with this mode and has been made 0600; worth a warning.
    pub fixed_mode: Option<u32>,
}

#[derive(Debug)]
pub enum ConfigError {
    /// Neither `XDG_CONFIG_HOME` nor a home directory says where the credentials file goes.
    NoConfigDir,
    /// The file or its directory cannot be read, created, written, replaced or deleted.
    Io {
        path: PathBuf,
        /// `read`, `create`, `write`, `replace` or `delete`.
        action: &'static str,
        error: std::io::Error,
    },
    /// Others can read the file and it cannot be made private.
    Exposed {
        path: PathBuf,
        mode: u32,
        error: std::io::Error,
    },
    /// The file is not the JSON it should be.
    Invalid { path: PathBuf, reason: String },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::NoConfigDir => {
                f.write_str("cannot tell where the credentials file goes: HOME is not set")
            }
            ConfigError::Io { path, action, error } => {
                write!(f, "cannot {action} {}: {error}", path.display())
            }
            ConfigError::Exposed { path, mode, error } => write!(
                f,
                "{} is readable by others (mode {mode:o}) and cannot be fixed: {error}",
                path.display()
            ),
            ConfigError::Invalid { path, reason } => {
                write!(f, "{} is not valid JSON: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> ConfigError {
    let path = path.to_path_buf();
    move |error| ConfigError::Io { path, action, error }
}

/// A variable's value when it is set and not blank.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `$XDG_CONFIG_HOME/taos/credentials`, else `~/.config/taos/credentials`.
pub fn credentials_path() -> Option<PathBuf> {
    credentials_path_in(&|name| std::env::var(name).ok())
}

fn credentials_path_in(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let home = || {
        env("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
    };
    env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".config")))
        .map(|dir| dir.join("taos").join("credentials"))
}

impl Config {
    /// The configuration of this process: `url_flag` (a command line's `--url`), its
    /// environment and its credentials file.
    pub fn load(url_flag: Option<String>) -> Result<Config, ConfigError> {
        Config::resolve(url_flag, &|name| std::env::var(name).ok())
    }

    /// The configuration with `env` standing for the environment (the precedence rules, apart
    /// from the process; see the module docs).
    pub fn resolve(
        url_flag: Option<String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let credentials_path = credentials_path_in(env).ok_or(ConfigError::NoConfigDir)?;
        let (saved, fixed_mode) = match read_credentials(&credentials_path)? {
            Some((creds, fixed)) => (Some(creds), fixed),
            None => (None, None),
        };
        let url = non_empty(url_flag)
            .or_else(|| non_empty(env("TAOS_URL")))
            .or_else(|| saved.as_ref().and_then(|c| c.url.clone()))
            .unwrap_or_else(|| DEFAULT_URL.to_string());
        let url = url.trim().trim_end_matches('/').to_string();
        let token = match non_empty(env("TAOS_TOKEN")) {
            Some(t) => Some((t.trim().to_string(), TokenSource::Env)),
            None => saved
                .as_ref()
                .and_then(|c| c.token.clone())
                .map(|t| (t, TokenSource::File(credentials_path.clone()))),
        };
        Ok(Config {
            url,
            token,
            credentials_path,
            saved,
            fixed_mode,
        })
    }

    /// A client for this configuration (with its token, if any).
    pub fn client(&self) -> Result<crate::Client, reqwest::Error> {
        crate::client(&self.url, self.token.as_ref().map(|(t, _)| t.as_str()))
    }

    /// Writes `creds` to the credentials file: a new file created 0600 next to it (in a
    /// directory created 0700), then renamed over it, so no reader ever sees half a file or a
    /// moment of wider permissions.
    pub fn save(&self, creds: &Credentials) -> Result<PathBuf, ConfigError> {
        write_credentials(&self.credentials_path, creds)?;
        Ok(self.credentials_path.clone())
    }

    /// Deletes the credentials file; `None` when there was none.
    pub fn forget(&self) -> Result<Option<PathBuf>, ConfigError> {
        let path = &self.credentials_path;
        match fs::remove_file(path) {
            Ok(()) => Ok(Some(path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(path, "delete")(e)),
        }
    }
}

/// Reads the file if it exists, first making sure only its owner can read it. Returns what it
/// holds and, when it had to be made private, the mode it had.
fn read_credentials(path: &Path) -> Result<Option<(Credentials, Option<u32>)>, ConfigError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, "read")(e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    let fixed = if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|error| {
            ConfigError::Exposed {
                path: path.to_path_buf(),
                mode,
                error,
            }
        })?;
        Some(mode)
    } else {
        None
    };
    let text = fs::read_to_string(path).map_err(io(path, "read"))?;
    let creds = serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(Some((creds, fixed)))
}

fn write_credentials(path: &Path, creds: &Credentials) -> Result<(), ConfigError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir, "create"))?;
    let tmp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp, "create"))?;
    let text = serde_json::to_string_pretty(creds).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(io(&tmp, "write"))?;
    fs::rename(&tmp, path).map_err(io(path, "replace"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// An environment of exactly `vars`, with the config dir in `dir`.
    fn env_of(dir: &Path, vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("XDG_CONFIG_HOME".into(), dir.display().to_string());
        move |name| map.get(name).cloned()
    }

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("taos").join("credentials");
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    const SAVED: &str = r#"{"token": "taos_user_saved", "url": "http://saved:1"}"#;

    #[test]
    fn url_flag_then_env_then_saved_then_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let none = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        assert_eq!(none.url, DEFAULT_URL);
        assert_eq!((none.token, none.saved), (None, None));

        write(dir.path(), SAVED, 0o600);
        let saved = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        assert_eq!(saved.url, "http://saved:1");
        let blank = Config::resolve(Some(" ".into()), &env_of(dir.path(), &[("TAOS_URL", "")]));
        assert_eq!(
            blank.expect("config").url,
            "http://saved:1",
            "blank values count as unset"
        );

        let env = env_of(dir.path(), &[("TAOS_URL", " http://env:2/ ")]);
        assert_eq!(Config::resolve(None, &env).expect("config").url, "http://env:2");
        let flag = Config::resolve(Some("http://flag:3/".into()), &env).expect("config");
        assert_eq!(flag.url, "http://flag:3");
    }

    #[test]
    fn taos_token_beats_the_file_and_says_where_it_came_from() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), SAVED, 0o600);
        let from_file = Config::resolve(None, &env_of(dir.path(), &[("TAOS_TOKEN", "  ")])).expect("config");
        assert_eq!(
            from_file.token,
            Some(("taos_user_saved".into(), TokenSource::File(path.clone())))
        );
        assert_eq!(
            from_file.token.expect("token").1.to_string(),
            path.display().to_string()
        );

        let env = env_of(dir.path(), &[("TAOS_TOKEN", " taos_agent_env\n")]);
        let from_env = Config::resolve(None, &env).expect("config");
        assert_eq!(from_env.token, Some(("taos_agent_env".into(), TokenSource::Env)));
        assert_eq!(TokenSource::Env.to_string(), "TAOS_TOKEN");
        assert_eq!(
            from_env.saved.and_then(|c| c.token).as_deref(),
            Some("taos_user_saved"),
            "the saved token is still known (logout revokes it)"
        );
    }

    #[test]
    fn the_file_is_under_xdg_config_home_else_home() {
        let xdg = credentials_path_in(&|n| (n == "XDG_CONFIG_HOME").then(|| "/x".to_string()));
        assert_eq!(xdg, Some(PathBuf::from("/x/taos/credentials")));
        let home = credentials_path_in(&|n| match n {
            "XDG_CONFIG_HOME" => Some(String::new()),
            "HOME" => Some("/home/ada".into()),
            _ => None,
        });
        assert_eq!(home, Some(PathBuf::from("/home/ada/.config/taos/credentials")));
    }

    #[test]
    fn a_file_others_can_read_is_made_private_before_it_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), SAVED, 0o644);
        let config = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        assert_eq!(config.fixed_mode, Some(0o644));
        assert_eq!(mode(&path), 0o600);
        assert_eq!(config.url, "http://saved:1");
        let again = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        assert_eq!(again.fixed_mode, None, "a private file is left alone");
    }

    #[test]
    fn a_file_that_is_not_json_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "token=abc", 0o600);
        let err = Config::resolve(None, &env_of(dir.path(), &[])).expect_err("invalid");
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("is not valid JSON"), "{err}");
    }

    #[test]
    fn saving_writes_a_private_file_and_replaces_the_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        let creds = Credentials {
            token: Some("taos_user_new".into()),
            url: Some("http://here:4".into()),
        };
        let path = config.save(&creds).expect("save");
        assert_eq!(path, config.credentials_path);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("dir")), 0o700);
        let reread = Config::resolve(None, &env_of(dir.path(), &[])).expect("config");
        assert_eq!(reread.saved, Some(creds.clone()));

        // An old file with wide permissions is replaced, not rewritten in place.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");
        config.save(&creds).expect("save");
        assert_eq!(mode(&path), 0o600);
        let leftovers: Vec<_> = fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n != "credentials")
            .collect();
        assert!(leftovers.is_empty(), "no temp file is left: {leftovers:?}");

        assert_eq!(config.forget().expect("forget"), Some(path.clone()));
        assert!(!path.exists());
        assert_eq!(config.forget().expect("forget"), None, "a missing file is fine");
    }
}
