//! Who is calling: a person (session or user token) or an agent acting for its person.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::scopes;
use crate::errors::{self, Error};

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Session,
    UserToken,
    AgentToken,
}

/// An authenticated caller. Agents act for the user who owns them; everything they create
/// belongs to that user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub admin: bool,
    pub kind: Kind,
    pub scope: Vec<String>,
    /// The agent behind an agent token: (id, slug).
    pub agent: Option<(Uuid, String)>,
    /// The token or session id.
    pub credential_id: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Principal {
    /// The key idempotency records are scoped to: one person shares keys across sessions and
    /// user tokens; each agent has its own.
    pub fn idempotency_scope(&self) -> String {
        match &self.agent {
            Some((id, _)) => format!("agent:{id}"),
            None => format!("user:{}", self.user_id),
        }
    }

    /// The `source` of what this caller sends the user.
    pub fn source(&self) -> String {
        match &self.agent {
            Some((_, slug)) => format!("agent:{slug}"),
            None => format!("user:{}", self.username),
        }
    }

    pub fn is_person(&self) -> bool {
        self.kind != Kind::AgentToken
    }

    /// Managing people and user tokens is for people, never agents.
    pub fn require_person(&self) -> Result<(), Error> {
        if self.is_person() {
            Ok(())
        } else {
            Err(Error::new(
                &errors::PERSON_REQUIRED,
                "Agent tokens cannot manage people or personal tokens.",
            ))
        }
    }

    pub fn require_admin(&self) -> Result<(), Error> {
        self.require_person()?;
        if self.admin {
            Ok(())
        } else {
            Err(Error::new(
                &errors::ADMIN_REQUIRED,
                format!("User '{}' is not an admin.", self.username),
            ))
        }
    }

    /// The caller's own user was removed while their request ran (the store found no live
    /// owner for what they were making): the answer their next request gets, at once.
    pub fn removed(&self) -> Error {
        let what = match self.kind {
            Kind::Session => &errors::AUTH_REQUIRED,
            Kind::UserToken | Kind::AgentToken => &errors::INVALID_TOKEN,
        };
        Error::new(
            what,
            format!("User '{}' was removed while this request ran.", self.username),
        )
    }

    /// A caller can only hand out scopes its own scope covers (the user ceiling).
    pub fn require_covers(&self, requested: &[String]) -> Result<(), Error> {
        if scopes::covers(&self.scope, requested) {
            return Ok(());
        }
        let beyond: Vec<&str> = requested
            .iter()
            .filter(|r| !scopes::covers(&self.scope, std::slice::from_ref(*r)))
            .map(String::as_str)
            .collect();
        Err(Error::new(
            &errors::SCOPE_EXCEEDS_CALLER,
            format!(
                "Requested scope {beyond:?} is not covered by your own scope {:?}.",
                self.scope
            ),
        )
        .with("caller_scope", self.scope.join(" ")))
    }
}
