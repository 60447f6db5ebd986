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
pub mod request;
mod server;
pub mod smoke;
pub mod spec;
pub mod taosctl;
pub mod tokens;

pub use agents::{agents_listed, create_agent, create_agent_with, issue_agent_token, issue_agent_token_with};
pub use check::{ApiError, ApiResultExt};
pub use people::Person;
pub use request::{Request, Response};
pub use server::{Backend, Server};
pub use taos_client::types;

/// Re-exported so the suites need no extra dependencies.
pub use {chrono, reqwest, serde_json, taos_client, tokio, uuid};

/// How long one case may run before it is failed (a hung server must not hang the suite).
pub const CASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// Declares an end-to-end case: one `async fn(&Server)`, written once, run on fresh servers.
///
/// ```ignore
/// e2e!(second_setup_is_rejected);
/// /// What it checks.
/// async fn second_setup_is_rejected(s: &Server) { … }
///
/// e2e!(postgres_only: revocation_is_seen_by_every_replica);
/// /// Replicas share one PostgreSQL database (`s.start_replica()`); SQLite is one box.
/// async fn revocation_is_seen_by_every_replica(s: &Server) { … }
/// ```
///
/// The first form adds a module of the case's name with two tests, `sqlite` and `postgres`;
/// the second only `postgres`. Each starts its own `taosd` (fresh data dir / fresh database),
/// runs the case within [`CASE_TIMEOUT`] and stops the server; dropping it fails the test when
/// taosd logged a failure of its own (see [`Server::expect_server_errors`]). Every `postgres`
/// test is `#[ignore]`d with the reason unless `TAOS_TEST_DATABASE_URL` was set at build time
/// (`cfg(pg_tests)`, see build.rs), so a PostgreSQL case that did not run is reported as
/// ignored, never as passed; built with it, a run without it fails.
#[macro_export]
macro_rules! e2e {
    ($name:ident) => {
        mod $name {
            $crate::e2e!(@sqlite $name);
            $crate::e2e!(@postgres $name);
        }
    };
    (postgres_only: $name:ident) => {
        mod $name {
            $crate::e2e!(@postgres $name);
        }
    };
    (@sqlite $name:ident) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn sqlite() {
            $crate::e2e!(@run $name, start_sqlite);
        }
    };
    (@postgres $name:ident) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        #[cfg_attr(
            not(pg_tests),
            ignore = "TAOS_TEST_DATABASE_URL not set at build time: the PostgreSQL variant did not run"
        )]
        async fn postgres() {
            $crate::e2e!(@run $name, start_postgres);
        }
    };
    (@run $name:ident, $start:ident) => {
        let server = $crate::Server::$start().await;
        server.run_case(super::$name(&server)).await;
        server.stop().await;
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
