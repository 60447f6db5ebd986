//! The error catalog: every error the server can answer with, in one place.
//!
//! Each entry ([`catalog`]) is a stable slug with its HTTP status, the next step for the caller
//! (`fix`) and the doc page + heading that explains it (`doc_url`). Domain code returns
//! [`Error`] values built from these entries; every layer answers with them, and [`response`]
//! renders them as the canonical `{error, detail, fix, doc_url}` body. Adding an error means
//! adding an entry to `catalog.rs` (and to `docs/agents/concepts/errors.md`).

mod catalog;
mod response;

use std::fmt;

pub use catalog::*;
pub use response::error_body;

/// One entry of the catalog; two errors are of one kind when their entries are equal.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    pub slug: &'static str,
    pub status: u16,
    pub fix: &'static str,
    pub doc_url: &'static str,
}

/// An error to answer with: a catalog entry, what happened this time, and extra members
/// (such as `required_scope`) that carry dynamic values for programs to read.
#[derive(Debug)]
pub struct Error {
    pub kind: &'static Kind,
    pub detail: String,
    pub extra: Vec<(&'static str, String)>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: &'static Kind, detail: impl Into<String>) -> Self {
        Error {
            kind,
            detail: detail.into(),
            extra: Vec::new(),
        }
    }

    /// Adds an extra member to the body, e.g. `("required_scope", "agents.create")`.
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    /// 405 for `path`, which takes the methods in `allow` (the `Allow` header's value).
    pub fn method_not_allowed(path: &str, allow: &str) -> Self {
        Error::new(&METHOD_NOT_ALLOWED, format!("{path} takes {allow}."))
    }

    /// Whether this error is of `kind`.
    pub fn is(&self, kind: &Kind) -> bool {
        self.kind == kind
    }

    /// A failure of ours, not the caller's: logged in full here, reported without details.
    pub fn internal(context: &str, cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        Error::new(&INTERNAL_ERROR, "The server failed to handle this request.")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.slug, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_are_unique_and_every_entry_is_complete() {
        let mut seen = HashSet::new();
        for k in ALL {
            assert!(seen.insert(k.slug), "duplicate slug {}", k.slug);
            assert!(
                !k.fix.is_empty() && k.doc_url.starts_with("/docs/agents/"),
                "{}",
                k.slug
            );
            assert!(k.doc_url.contains('#'), "{} must point at a heading", k.slug);
            assert!((400..600).contains(&k.status), "{}", k.slug);
        }
    }
}
