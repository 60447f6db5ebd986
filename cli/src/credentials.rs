//! The credentials file (`$XDG_CONFIG_HOME/taos/credentials`, JSON `{"token", "url"}`). It is
//! created with mode 0600 from the first byte and replaced atomically; a file others can read
//! is fixed, or refused loudly when it cannot be.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::failure::{EXIT_ERROR, Failure, Result};

#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub fn path() -> Result<PathBuf> {
    taos_client::credentials_path().ok_or_else(|| {
        Failure::new(
            EXIT_ERROR,
            "cannot tell where the credentials file goes: HOME is not set",
        )
    })
}

fn io_failure(path: &Path, what: &str, e: std::io::Error) -> Failure {
    Failure::new(EXIT_ERROR, format!("cannot {what} {}: {e}", path.display()))
}

/// Reads the file if it exists, first making sure only its owner can read it.
pub fn load() -> Result<Option<Credentials>> {
    let path = path()?;
    let meta = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_failure(&path, "read", e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(|e| {
            Failure::new(
                EXIT_ERROR,
                format!(
                    "{} is readable by others (mode {mode:o}) and cannot be fixed: {e}",
                    path.display()
                ),
            )
            .with_fix(format!(
                "run `chmod 600 {}` or delete it and log in again",
                path.display()
            ))
        })?;
        eprintln!(
            "warning: {} was readable by others (mode {mode:o}); it is now 600",
            path.display()
        );
    }
    let text = fs::read_to_string(&path).map_err(|e| io_failure(&path, "read", e))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Failure::new(EXIT_ERROR, format!("{} is not valid JSON: {e}", path.display()))
            .with_fix("delete it and run `taosctl auth login` again")
    })
}

/// Writes the file: a new file created 0600 next to it, then renamed over it.
pub fn save(creds: &Credentials) -> Result<PathBuf> {
    let path = path()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_failure(dir, "create", e))?;
    let tmp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io_failure(&tmp, "create", e))?;
    let text = serde_json::to_string_pretty(creds).map_err(|e| Failure::new(EXIT_ERROR, e.to_string()))?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(|e| io_failure(&tmp, "write", e))?;
    fs::rename(&tmp, &path).map_err(|e| io_failure(&path, "replace", e))?;
    Ok(path)
}

/// Deletes the file; a missing file is fine.
pub fn remove() -> Result<Option<PathBuf>> {
    let path = path()?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_failure(&path, "delete", e)),
    }
}
