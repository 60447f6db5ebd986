//! What [`Store::connect`](super::Store::connect) does before the pool opens: a SQLite file
//! made private before SQLite writes a byte into it, and a quick probe of a PostgreSQL server,
//! so that an unreachable one is reported at once with its reason (the pool would retry in
//! silence until its acquire timeout and then only say that it timed out).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::{DbErr, RuntimeErr};

use super::{DbFailure, Error};

/// How long one attempt to reach PostgreSQL may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Creates the SQLite database file (and takes away group and other access from an existing
/// one and its `-wal` and `-shm` files) with mode 0600. SQLite creates the `-wal` and `-shm`
/// files with the mode of the main file, so the whole database stays private whatever the
/// umask or the data directory's mode.
pub(super) fn make_sqlite_file_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                let mode = meta.permissions().mode() & 0o700;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Opens and closes one connection to the PostgreSQL server of `url`. A server that cannot be
/// reached (refused, no answer within [`PROBE_TIMEOUT`], not accepting connections yet) is
/// [`Error::Unavailable`], which the caller may retry; anything else (a bad URL, a refused
/// password, a missing database) is [`Error::Db`].
pub(super) async fn probe_postgres(url: &str) -> Result<(), Error> {
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::Db(DbFailure(conn_err(e))))?;
    match tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&options)).await {
        Err(_) => Err(Error::Unavailable(DbFailure(DbErr::Conn(RuntimeErr::Internal(
            format!("no answer within {PROBE_TIMEOUT:?}"),
        ))))),
        Ok(Ok(conn)) => {
            // Only whether it answered matters; a failed goodbye changes nothing.
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => {
            let unreachable = match &e {
                sea_orm::sqlx::Error::Io(_) | sea_orm::sqlx::Error::Tls(_) => true,
                sea_orm::sqlx::Error::Database(d) => d.is_transient_in_connect_phase(),
                _ => false,
            };
            let failure = DbFailure(conn_err(e));
            Err(if unreachable {
                Error::Unavailable(failure)
            } else {
                Error::Db(failure)
            })
        }
    }
}

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(e)))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::make_sqlite_file_private;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn database_files_become_private() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = dir.path().join("taos.db");
        make_sqlite_file_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);

        // An install from before: world-readable files are closed up, contents kept.
        std::fs::write(&db, b"kept").unwrap();
        let wal = dir.path().join("taos.db-wal");
        std::fs::write(&wal, b"").unwrap();
        for f in [&db, &wal] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        make_sqlite_file_private(&db).unwrap();
        assert_eq!((mode(&db), mode(&wal)), (0o600, 0o600));
        assert_eq!(std::fs::read(&db).unwrap(), b"kept");
    }
}
