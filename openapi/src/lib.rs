//! The taOS agent API contract in Rust, generated from `openapi/taos.yaml`.
//!
//! - [`types`]: every schema of the contract (shared by the client and the server).
//! - [`operations`]: every operation with its scope, and the contract's tags.
//! - [`server`] (feature `server`): the `Api` trait with one method per operation, and the
//!   axum router that checks requests against the contract before calling it.
//! - [`mcp`] (feature `server`): the MCP tools, one per operation marked `x-mcp`.
//!
//! Everything under `src/generated/` is written by `cargo codegen generate`; never edit it by hand.

#[rustfmt::skip]
#[path = "generated/types.rs"]
pub mod types;

#[rustfmt::skip]
#[path = "generated/operations.rs"]
pub mod operations;

#[cfg(feature = "server")]
#[rustfmt::skip]
#[path = "generated/server.rs"]
pub mod server;

#[cfg(feature = "server")]
#[rustfmt::skip]
#[path = "generated/mcp.rs"]
pub mod mcp;

#[cfg(feature = "server")]
pub mod server_runtime;

pub mod token_format;

/// The contract itself, byte for byte.
pub const OPENAPI_YAML: &str = include_str!("../taos.yaml");
