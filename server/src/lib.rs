//! taosd: the agent-facing control plane of taOS.
//!
//! Layers, data flowing one way: the generated router (`taos_api::server`) → [`auth`] (who is
//! calling, may they) → [`api`] (HTTP ↔ domain) → [`domain`] (the rules) → [`store`] (SQL).
//! [`mcp`] is a second door into the same generated steps: a tool call becomes the request of
//! its operation, run in-process.

pub mod agent_docs;
pub mod api;
pub mod app;
pub mod auth;
pub mod background;
pub mod config;
pub mod digest;
pub mod domain;
pub mod errors;
pub mod headings;
pub mod host_check;
pub mod mcp;
pub mod runtime;
pub mod serve;
pub mod startup;
pub mod startup_pages;
pub mod state;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod web;
