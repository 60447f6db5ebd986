//! Store tests. Every case runs on a fresh temp-file SQLite database and, when
//! `TAOS_TEST_DATABASE_URL` points at a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`), on a fresh PostgreSQL database created for the
//! case and dropped after it. Without the variable the PostgreSQL variants say so on stderr
//! and do nothing.

use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use chrono::{Duration, Utc};
use futures::FutureExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::entities::api_tokens;
use super::*;
use crate::digest::sha256_hex;

mod agents;
mod checkpoint;
mod idempotency;
mod notifications;
mod sqlite_reads;
mod tokens;
mod users;

// ---------- harness ----------

async fn run_sqlite<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/taos.db", dir.path().display());
    case(url).await;
}

async fn run_postgres<F, Fut>(name: &str, case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(admin_url) = std::env::var("TAOS_TEST_DATABASE_URL") else {
        panic!(
            "PostgreSQL variant of store test `{name}` needs TAOS_TEST_DATABASE_URL \
             (e.g. postgres://postgres@127.0.0.1:5432/test), also at build time"
        );
    };
    let db_name = format!("taos_store_test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {db_name}"))
        .await
        .unwrap();
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url.as_str(), String::new()),
    };
    let server = base.rsplit_once('/').map(|(s, _)| s).unwrap();
    let url = format!("{server}/{db_name}{query}");

    let outcome = AssertUnwindSafe(case(url)).catch_unwind().await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
        .await
        .unwrap();
    let _ = admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Declares each case (`topic::case`, an `async fn(url)` in a topic module) once per backend:
/// `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($topic:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::run_sqlite(super::$topic::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[cfg_attr(
                    not(pg_tests),
                    ignore = "TAOS_TEST_DATABASE_URL not set: the PostgreSQL variant did not run"
                )]
                async fn $case() {
                    super::run_postgres(stringify!($case), super::$topic::$case).await;
                }
            )*
        }
    };
}

on_both_backends!(
    users::concurrent_connects_migrate_once,
    users::first_user_is_created_once,
    users::users_conflicts_and_deletion,
    users::sessions_lifecycle,
    tokens::find_token_joins_user_and_agent,
    tokens::concurrent_agent_token_issue_leaves_one_active,
    tokens::partial_unique_index_rejects_second_active_token,
    agents::slug_candidates_with_collisions,
    agents::concurrent_creates_get_distinct_slugs,
    agents::archive_revokes_token_and_frees_slug,
    agents::update_agent_applies_only_given_fields,
    agents::pagination_cursors,
    notifications::notifications_read_state,
    notifications::concurrent_notifies_are_committed_together,
    idempotency::concurrent_idem_reserve_has_one_winner,
    idempotency::idem_lifecycle,
    idempotency::sealed_work_commits_with_its_answer,
    idempotency::a_taken_over_claim_cannot_commit,
);

// ---------- helpers ----------

/// The row a lookup found, `None` for `NotFound`; any other error fails the test.
#[track_caller]
fn found<T>(r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(Error::NotFound) => None,
        Err(e) => panic!("expected a row or NotFound, got {e}"),
    }
}

/// Panics unless `r` is the store error `want` (compared by variant).
#[track_caller]
fn assert_err<T: std::fmt::Debug>(r: Result<T>, want: Error) {
    match r {
        Err(e) if std::mem::discriminant(&e) == std::mem::discriminant(&want) => {}
        other => panic!("expected {want}, got {other:?}"),
    }
}

/// Slug candidates as the domain offers them: `base`, `base-2`, … `base-1000`.
fn candidates(base: &str) -> impl Iterator<Item = String> + Send + 'static {
    let base = base.to_owned();
    std::iter::once(base.clone()).chain((2..=1000).map(move |n| format!("{base}-{n}")))
}

/// A display name's slug base: lowercase words joined by `-`.
fn base_of(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
        full_name: None,
        email: None,
        admin: false,
    }
}

async fn user(s: &Store, name: &str) -> User {
    s.create_user(new_user(name)).await.unwrap()
}

fn new_agent(user_id: Uuid, display_name: &str) -> NewAgent {
    NewAgent {
        user_id,
        display_name: display_name.to_owned(),
        host: None,
        qmd_index: None,
        color: "#888888".to_owned(),
        emoji: None,
        can_read_user_memory: false,
        scope: vec!["agents.*".to_owned()],
        persona: Default::default(),
        status: "created",
        runtime: None,
    }
}

async fn agent(s: &Store, user_id: Uuid, name: &str) -> AgentView {
    s.create_agent(new_agent(user_id, name), candidates(&base_of(name)))
        .await
        .unwrap()
}

fn user_token(user_id: Uuid) -> (String, NewUserToken) {
    let secret = format!("taos_user_{}", Uuid::new_v4().simple());
    let new = NewUserToken {
        user_id,
        label: Some("laptop".to_owned()),
        token_hash: sha256_hex(&secret),
        scope: vec!["*".to_owned()],
        expires_at: None,
    };
    (secret, new)
}

async fn active_agent_tokens(s: &Store, agent_id: Uuid) -> u64 {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::AgentId.eq(agent_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .count(&s.db)
        .await
        .unwrap()
}

fn scope(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}
