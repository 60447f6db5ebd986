//! What the store's answers mean to a caller: the one place a `store::Error` becomes a catalog
//! error. Each domain function maps the `NotFound`, `Conflict` or `Exhausted` it expects to its
//! own catalog entry, through one small helper per concept (built on [`not_found`] and
//! [`conflict`] here, or [`optional`] where none is an answer); whatever is left goes through
//! `From`, where a database failure is a 500 (logged) or a 503, and an unmapped
//! `NotFound`/`Conflict`/`Exhausted` is a bug.

use crate::errors::{self, Error, Result};
use crate::store;

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Unavailable(cause) => {
                tracing::error!(error = %cause, "database unavailable");
                Error::new(&errors::SERVICE_UNAVAILABLE, "The database is not answering.")
            }
            store::Error::Db(cause) => Error::internal("database error", cause),
            unmapped @ (store::Error::NotFound
            | store::Error::Conflict
            | store::Error::Exhausted
            | store::Error::UserGone) => {
                Error::internal("a store answer its operation does not map (a bug)", unmapped)
            }
        }
    }
}

/// The store's `NotFound` as `missing()`; any other answer as [`From`] says.
pub(crate) fn not_found(missing: impl FnOnce() -> Error) -> impl FnOnce(store::Error) -> Error {
    move |e| match e {
        store::Error::NotFound => missing(),
        other => other.into(),
    }
}

/// The store's `Conflict` as `taken()`; any other answer as [`From`] says.
pub(crate) fn conflict(taken: impl FnOnce() -> Error) -> impl FnOnce(store::Error) -> Error {
    move |e| match e {
        store::Error::Conflict => taken(),
        other => other.into(),
    }
}

/// The store's `UserGone` (the user the write acted for was removed meanwhile) as `gone()`;
/// any other answer as `rest` says.
pub(crate) fn user_gone(
    gone: impl FnOnce() -> Error,
    rest: impl FnOnce(store::Error) -> Error,
) -> impl FnOnce(store::Error) -> Error {
    move |e| match e {
        store::Error::UserGone => gone(),
        other => rest(other),
    }
}

/// For a lookup whose "no such row" is an answer, not an error: `NotFound` as `None`.
pub(crate) fn optional<T>(found: store::Result<T>) -> Result<Option<T>> {
    match found {
        Ok(v) => Ok(Some(v)),
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_answers_are_internal_and_mapped_ones_are_the_operations_own() {
        for unmapped in [
            store::Error::NotFound,
            store::Error::Conflict,
            store::Error::Exhausted,
            store::Error::UserGone,
        ] {
            assert_eq!(Error::from(unmapped).kind, &errors::INTERNAL_ERROR);
        }
        let missing = || Error::new(&errors::AGENT_NOT_FOUND, "gone");
        assert_eq!(
            not_found(missing)(store::Error::NotFound).kind,
            &errors::AGENT_NOT_FOUND
        );
        assert_eq!(
            not_found(missing)(store::Error::Conflict).kind,
            &errors::INTERNAL_ERROR
        );
        let taken = || Error::new(&errors::USERNAME_TAKEN, "taken");
        assert_eq!(
            conflict(taken)(store::Error::Conflict).kind,
            &errors::USERNAME_TAKEN
        );
        assert_eq!(
            conflict(taken)(store::Error::NotFound).kind,
            &errors::INTERNAL_ERROR
        );
    }
}
