//! The rules of the system, free of HTTP: tokens, scopes, slugs, passwords and the services
//! that use the store.

pub mod passwords;
pub mod scopes;
pub mod slug;
pub mod tokens;
