//! taosd: the agent-facing control plane of taOS.
//!
//! Layers, data flowing one way: the generated router (`taos_api::server`) → `auth`
//! (who is calling) → `api` (HTTP ↔ domain) → `domain` (the rules) → `store` (SQL).

pub mod errors;
pub mod domain;
pub mod store;
