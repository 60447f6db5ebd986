//! The rules of the system, free of HTTP. One file per contract tag holds that tag's
//! operations, each a function named for its `operationId` (`agent_tokens::issue_agent_token`);
//! beside them the rules they share: tokens, scopes, slugs, passwords, principals, sign-in,
//! idempotency. Every store answer becomes a catalog error here (`store_errors`).

pub mod accounts;
pub mod agent_tokens;
pub mod agents;
pub mod auth;
pub mod deploy;
pub mod discovery;
pub mod fleet;
pub mod fleet_watch;
pub mod idempotency;
pub mod identity;
pub mod knowledge;
pub mod lifecycle;
pub mod login_limits;
pub mod logs;
pub mod notifications;
pub mod notify;
pub mod pagination;
pub mod passwords;
pub mod principal;
pub mod runtimes;
pub mod scopes;
pub mod slug;
mod store_errors;
pub mod taos_agent;
pub mod token_migration;
pub mod tokens;
pub mod users;
