//! The one error type of every runtime backend; the API maps each variant to a catalog entry.

use super::RuntimeKind;
use super::state::{State, Verb};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The backend cannot be used here (not installed, daemon down): `fix` says what to do.
    Unavailable {
        kind: RuntimeKind,
        reason: String,
        fix: String,
    },
    /// The backend has no instance for this agent.
    NotFound,
    /// The verb cannot apply to an instance in state `from`; `allowed` would.
    InvalidTransition {
        verb: Verb,
        from: State,
        allowed: Vec<Verb>,
    },
    /// A field of the spec is refused (checked before anything starts).
    InvalidSpec { field: String, why: String },
    /// The backend tried and failed (spawn error, daemon error, a process that outlived
    /// SIGKILL); `reason` is safe to show (no secrets).
    Failed { reason: String },
}

/// Each variant as the sentence an operator reads.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable { kind, reason, .. } => {
                write!(f, "the {kind} runtime is not available: {reason}")
            }
            Self::NotFound => f.write_str("the runtime has no instance of this agent"),
            Self::InvalidTransition { verb, from, allowed } => {
                write!(f, "cannot {verb} an agent that is {from}")?;
                if allowed.is_empty() {
                    Ok(())
                } else {
                    let verbs: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
                    write!(f, "; it can {}", verbs.join(", "))
                }
            }
            Self::InvalidSpec { field, why } => write!(f, "invalid {field}: {why}"),
            Self::Failed { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub(crate) fn spec(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self::InvalidSpec {
            field: field.into(),
            why: why.into(),
        }
    }

    pub(crate) fn failed(reason: impl Into<String>) -> Self {
        Self::Failed {
            reason: reason.into(),
        }
    }
}
