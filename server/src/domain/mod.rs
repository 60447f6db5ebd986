//! The rules of the system, free of HTTP: tokens, scopes, slugs, passwords and the services
//! that use the store.

pub mod accounts;
pub mod agents;
pub mod auth;
pub mod idempotency;
pub mod knowledge;
pub mod notifications;
pub mod pagination;
pub mod passwords;
pub mod principal;
pub mod scopes;
pub mod slug;
pub mod tokens;
