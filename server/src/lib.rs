//! taosd: the agent-facing control plane of taOS.
//!
//! Layers, data flowing one way: the generated router (`taos_api::server`) → [`auth`] (who is
//! calling, may they) → [`api`] (HTTP ↔ domain) → [`domain`] (the rules) → [`store`] (SQL).

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
pub mod runtime;
pub mod serve;
pub mod startup;
pub mod startup_pages;
pub mod state;
pub mod store;
pub mod web;
