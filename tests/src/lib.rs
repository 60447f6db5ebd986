//! End-to-end conformance suites for taOS: a real `taosd` process, driven over HTTP through
//! `taos-client` (and raw `reqwest` for protocol-level cases the SDK cannot express).
//!
//! - [`Server`] spawns `taosd` on a free loopback port with a temp data dir (SQLite) or a fresh
//!   PostgreSQL database, and stops it on drop.
//! - [`e2e!`] turns one `async fn(&Server)` into two tests, `sqlite` and `postgres`; the latter
//!   is ignored unless `TAOS_TEST_DATABASE_URL` was set when the tests were built.
//! - [`people`], [`agents`] and [`check`] hold the small helpers the suites share; [`docs`]
//!   the agent docs as the repo has them, [`taosctl`] the CLI binary, [`html`] reading pages.
//!
//! Run: `cargo build -p taos-server && cargo test -p taos-conformance`, and with
//! `TAOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` for the PostgreSQL variants.

pub mod agents;
pub mod check;
mod db;
pub mod docs;
pub mod html;
pub mod people;
pub mod recipes;
mod server;
pub mod smoke;
pub mod spec;
pub mod taosctl;
pub mod tokens;

pub use agents::{agents_listed, create_agent, create_agent_with, issue_agent_token, issue_agent_token_with};
pub use check::{ApiError, ApiResultExt, expect_error, json_body};
pub use people::Person;
pub use server::{Backend, Server};
pub use taos_client::types;

/// Re-exported so the suites need no extra dependencies.
pub use {chrono, reqwest, serde_json, taos_client, tokio, uuid};

/// How long one case may run before it is failed (a hung server must not hang the suite).
pub const CASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// Runs an end-to-end case on both backends.
///
/// ```ignore
/// e2e!(second_setup_is_rejected);
/// /// What it checks.
/// async fn second_setup_is_rejected(s: &Server) { … }
/// ```
///
/// adds a module of the case's name with two tests, `sqlite` and `postgres`. Each starts its
/// own `taosd` (fresh data dir / fresh database), runs the case and stops the server; the
/// PostgreSQL one is `#[ignore]`d unless `TAOS_TEST_DATABASE_URL` was set at build time.
#[macro_export]
macro_rules! e2e {
    ($name:ident) => {
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let server = $crate::Server::start_sqlite().await;
                server.run_case(super::$name(&server)).await;
                server.stop().await;
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                not(pg_tests),
                ignore = "TAOS_TEST_DATABASE_URL not set: the PostgreSQL variant did not run"
            )]
            async fn postgres() {
                let server = $crate::Server::start_postgres().await;
                server.run_case(super::$name(&server)).await;
                server.stop().await;
            }
        }
    };
}

/// A request or response type of the contract from JSON (panics when `value` does not fit the
/// type: a bug in the test, not in the server).
#[track_caller]
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(v) => v,
        Err(e) => panic!("{value} is not a valid {}: {e}", std::any::type_name::<T>()),
    }
}
