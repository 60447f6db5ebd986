//! The contract's API traits, implemented: translate between wire types and the domain, and
//! nothing else. One file per tag of the contract, each implementing that tag's
//! trait; every method is a few lines, the rules live in `domain/`. This file holds
//! what all operations share (`ApiBase`).

mod accounts;
mod agent_tokens;
mod agents;
mod deploy;
mod discovery;
mod identity;
mod knowledge;
mod lifecycle;
mod logs;
mod notifications;
mod notify;
mod runtimes;
mod taos_agent;
mod users;

mod convert;
mod idempotency;
mod rejection;

/// First-run setup from the setup page, the way `POST /auth/setup` does it.
pub(crate) use accounts::setup_from_fields;
/// What `GET /` answers an agent, the same as `GET /api`.
pub(crate) use discovery::api_index;

use std::sync::Arc;

use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use taos_api::operations::Operation;
use taos_api::server::{self as wire, Rejection, Work};
use taos_api::types;

use crate::auth::{self, Ctx};
use crate::errors::Error;
use crate::state::SharedState;

pub struct Api {
    state: SharedState,
}

impl Api {
    pub fn new(state: SharedState) -> Arc<Api> {
        Arc::new(Api { state })
    }

    fn session_cookie(&self, value: &str, max_age: i64) -> String {
        auth::session_set_cookie(value, max_age, self.state.secure_cookies)
    }
}

type Res<T> = Result<T, Error>;

fn limit(l: i64) -> u64 {
    u64::try_from(l).unwrap_or(1)
}

fn strings<T: std::ops::Deref<Target = String>>(items: Option<&[T]>) -> Option<Vec<String>> {
    items.map(|v| v.iter().map(|s| s.to_string()).collect())
}

fn scope(s: Option<&types::Scope>) -> Option<Vec<String>> {
    strings(s.map(|s| s.as_slice()))
}

fn days(d: Option<types::ExpiresInDays>) -> Option<i64> {
    d.map(|d| i64::try_from(d.0.get()).unwrap_or(i64::MAX))
}

impl wire::ApiBase for Api {
    type Context = Ctx;
    type Halt = Error;

    async fn authorize(&self, op: &'static Operation, parts: &Parts) -> Res<Ctx> {
        auth::authorize(&self.state, op, parts).await
    }

    fn reject(&self, _op: &'static Operation, r: Rejection) -> Error {
        rejection::to_error(r)
    }

    async fn idempotent(
        &self,
        op: &'static Operation,
        ctx: Ctx,
        key: Option<String>,
        request: serde_json::Value,
        work: Work<Ctx>,
    ) -> Response {
        idempotency::run(&self.state, op, ctx, key, request, work).await
    }

    fn method_not_allowed(&self, _method: &Method, path: &str, allow: &'static str) -> Error {
        Error::method_not_allowed(path, allow)
    }
}
