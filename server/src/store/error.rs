//! The store's one result model. Every pub method answers `store::Result<T>`: a missing row is
//! always [`Error::NotFound`], a taken name [`Error::Conflict`], no free slug left
//! [`Error::Exhausted`]; a database failure stays opaque ([`Error::Db`], or
//! [`Error::Unavailable`] when the database cannot be reached), so no sea-orm type leaves the
//! store. The domain says what each of these means for the operation that got it.

use std::fmt;

use sea_orm::DbErr;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug)]
pub enum Error {
    /// The row asked for does not exist (or is not in the state asked for: a live agent that
    /// was archived meanwhile, an archived agent restored or purged meanwhile).
    NotFound,
    /// The name asked for is taken by a live row (username, agent slug), or the one-time
    /// setup was done already.
    Conflict,
    /// Every slug candidate offered is taken by a live agent of that user.
    Exhausted,
    /// The user a write acts for is not (or no longer) live: removed before the write's
    /// transaction could commit, so nothing was written.
    UserGone,
    /// The database cannot be reached (no connection from the pool, a broken connection).
    Unavailable(DbFailure),
    /// The database failed otherwise.
    Db(DbFailure),
}

/// What the database said, kept for the log; only the store can look inside.
pub struct DbFailure(pub(super) DbErr);

impl fmt::Debug for DbFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DbFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error {
    /// The database error inside, for the retry logic of `write_txn!`.
    pub(super) fn db_err(&self) -> Option<&DbErr> {
        match self {
            Error::Unavailable(DbFailure(e)) | Error::Db(DbFailure(e)) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// Whether the PostgreSQL server answered that the database named does not exist
    /// (SQLSTATE 3D000): no retry helps, someone must create it.
    pub fn is_missing_database(&self) -> bool {
        let Some(DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))) = self.db_err() else {
            return false;
        };
        matches!(&**e, sea_orm::sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000"))
    }
}

impl From<DbErr> for Error {
    fn from(e: DbErr) -> Self {
        match e {
            // sea-orm's own "no such row" (e.g. an update of a vanished row by primary key).
            DbErr::RecordNotFound(_) => Error::NotFound,
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Error::Unavailable(DbFailure(e)),
            other => Error::Db(DbFailure(other)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("no such row"),
            Error::Conflict => f.write_str("the name is taken"),
            Error::Exhausted => f.write_str("every slug candidate is taken"),
            Error::UserGone => f.write_str("the user is not live"),
            Error::Unavailable(e) => write!(f, "database unavailable: {e}"),
            Error::Db(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for Error {}
