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

/// Declares each case once per backend: `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::run_sqlite(super::$case).await;
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
                    super::run_postgres(stringify!($case), super::$case).await;
                }
            )*
        }
    };
}

on_both_backends!(
    concurrent_connects_migrate_once,
    first_user_is_created_once,
    users_conflicts_and_deletion,
    sessions_lifecycle,
    find_token_joins_user_and_agent,
    concurrent_agent_token_issue_leaves_one_active,
    partial_unique_index_rejects_second_active_token,
    slug_candidates_with_collisions,
    concurrent_creates_get_distinct_slugs,
    archive_revokes_token_and_frees_slug,
    update_agent_applies_only_given_fields,
    pagination_cursors,
    notifications_read_state,
    concurrent_idem_reserve_has_one_winner,
    idem_lifecycle,
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

// ---------- cases ----------

async fn concurrent_connects_migrate_once(url: String) {
    // Replicas starting together against an empty database must not trip over each other.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::connect(&url).await })
        })
        .collect();
    for h in handles {
        let s = h.await.unwrap().unwrap();
        s.ping().await.unwrap();
    }
    // And again on a migrated database.
    let s = Store::connect(&url).await.unwrap();
    assert_eq!(s.is_sqlite(), url.starts_with("sqlite:"));
    if s.is_sqlite() {
        let row =
            s.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "journal_mode").unwrap(), "wal");
    }
    assert_eq!(s.count_users().await.unwrap(), 0);
}

async fn first_user_is_created_once(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut new = new_user(&format!("admin{i}"));
                new.admin = true;
                let (_, token) = user_token(Uuid::nil());
                s.setup_account(new, token).await
            })
        })
        .collect();
    let mut created = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(pair) => created.push(pair),
            Err(Error::Conflict) => {}
            Err(e) => panic!("a concurrent setup failed: {e}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one setup wins");
    let (admin, token) = &created[0];
    assert!(admin.admin);
    assert_eq!(token.user_id, admin.id);
    assert_eq!(token.kind, TokenKind::User);
    assert_eq!(s.count_users().await.unwrap(), 1);
    let found = s.find_token(&token.token_hash).await.unwrap();
    assert_eq!(&found.user, admin);
    // Setup stays closed even after the admin is gone.
    s.delete_user(admin.id).await.unwrap();
    let (_, token) = user_token(Uuid::nil());
    assert_err(s.setup_account(new_user("late"), token).await, Error::Conflict);
}

async fn users_conflicts_and_deletion(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let alice = user(&s, "alice").await;
    assert_err(s.create_user(new_user("alice")).await, Error::Conflict);
    assert_eq!(s.find_user_by_username("alice").await.unwrap(), alice);
    assert_eq!(s.find_user(alice.id).await.unwrap(), alice);
    assert!(format!("{alice:?}").contains("redacted"));
    assert!(!format!("{alice:?}").contains("argon2"));

    let (_, tok) = user_token(alice.id);
    let tok = s.create_user_token(tok).await.unwrap();
    let a = agent(&s, alice.id, "Helper").await;
    let agent_tok = s
        .issue_agent_token(a.agent.id, alice.id, "h-agent", scope(&["agents.list"]), None)
        .await
        .unwrap();
    s.create_session(alice.id, "h-session", Utc::now() + Duration::hours(1))
        .await
        .unwrap();

    s.delete_user(alice.id).await.unwrap();
    assert_err(s.delete_user(alice.id).await, Error::NotFound);
    assert_err(s.delete_user(Uuid::now_v7()).await, Error::NotFound);
    assert_eq!(found(s.find_user(alice.id).await), None);
    assert_eq!(found(s.find_user_by_username("alice").await), None);
    assert_eq!(found(s.find_token(&tok.token_hash).await), None);
    assert_eq!(found(s.find_token(&agent_tok.token_hash).await), None);
    assert_eq!(found(s.find_session("h-session").await), None);
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 0);
    assert_eq!(found(s.get_agent(alice.id, "helper").await), None);
    assert_eq!(
        s.find_archived_agent(alice.id, a.agent.id).await.unwrap().id,
        a.agent.id
    );
    // Nothing new can be made for a removed user: the token or cookie would be dead on
    // arrival, the agent live under nobody.
    assert_err(s.create_user_token(user_token(alice.id).1).await, Error::NotFound);
    let in_an_hour = Utc::now() + Duration::hours(1);
    assert_err(
        s.create_session(alice.id, "late", in_an_hour).await,
        Error::NotFound,
    );
    assert_err(
        s.create_agent(new_agent(alice.id, "Late"), candidates("late"))
            .await,
        Error::NotFound,
    );
    assert_err(
        s.import_agent(new_agent(alice.id, "Late"), "late".to_owned())
            .await,
        Error::NotFound,
    );
    assert_err(
        s.restore_archived_agent(alice.id, a.agent.id, candidates("helper"))
            .await,
        Error::NotFound,
    );

    // The name is free again for a new person.
    let alice2 = user(&s, "alice").await;
    assert_ne!(alice2.id, alice.id);
    assert_eq!(s.count_users().await.unwrap(), 1);
}

async fn sessions_lifecycle(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "bob").await;
    let now = Utc::now();
    let live = s
        .create_session(u.id, "live", now + Duration::hours(1))
        .await
        .unwrap();
    s.create_session(u.id, "old", now - Duration::seconds(1))
        .await
        .unwrap();
    let (session, owner) = s.find_session("live").await.unwrap();
    assert_eq!(session, live);
    assert_eq!(owner.id, u.id);
    // Expired sessions are still returned; the caller decides.
    assert!(found(s.find_session("old").await).is_some());
    assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 1);
    assert!(found(s.find_session("old").await).is_none());
    s.delete_session("live").await.unwrap();
    assert!(found(s.find_session("live").await).is_none());
    assert!(found(s.find_session("nope").await).is_none());
}

async fn find_token_joins_user_and_agent(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "carol").await;
    let (_, new) = user_token(u.id);
    let ut = s.create_user_token(new).await.unwrap();
    let p = s.find_token(&ut.token_hash).await.unwrap();
    assert_eq!(p.token, ut);
    assert_eq!(p.user.id, u.id);
    assert_eq!(p.agent, None);
    assert_eq!(p.token.scope, scope(&["*"]));

    let a = agent(&s, u.id, "Scout").await;
    let exp = Utc::now() + Duration::days(3);
    let at = s
        .issue_agent_token(
            a.agent.id,
            u.id,
            "agent-hash",
            scope(&["agents.list", "ui.notify"]),
            Some(exp),
        )
        .await
        .unwrap();
    let p = s.find_token("agent-hash").await.unwrap();
    assert_eq!(p.token.kind, TokenKind::Agent);
    assert_eq!(p.token.scope, scope(&["agents.list", "ui.notify"]));
    assert_eq!(p.agent.as_ref().map(|a| a.slug.as_str()), Some("scout"));
    assert_eq!(p.user.username, "carol");
    assert_eq!(found(s.find_token("unknown").await), None);

    // Revoked tokens come back (the caller answers 401 for them), marked revoked.
    s.revoke_user_token(u.id, ut.id).await.unwrap();
    assert_err(s.revoke_user_token(u.id, ut.id).await, Error::NotFound);
    // Not a user token.
    assert_err(s.revoke_user_token(u.id, at.id).await, Error::NotFound);
    assert!(
        s.find_token(&ut.token_hash)
            .await
            .unwrap()
            .token
            .revoked_at
            .is_some()
    );
    s.revoke_agent_token(a.agent.id).await.unwrap();
    assert!(
        s.find_token("agent-hash")
            .await
            .unwrap()
            .token
            .revoked_at
            .is_some()
    );
    s.revoke_agent_token(a.agent.id).await.unwrap();
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 0);

    let when = Utc::now() - Duration::minutes(5);
    s.touch_tokens(&[ut.id, at.id], when).await.unwrap();
    s.touch_tokens(&[], when).await.unwrap();
    let p = s.find_token("agent-hash").await.unwrap();
    let got = p.token.last_used_at.unwrap();
    assert!((got - when).num_milliseconds().abs() < 1, "{got} vs {when}");
}

async fn concurrent_agent_token_issue_leaves_one_active(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "dave").await;
    let a = agent(&s, u.id, "Racer").await;
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let s = s.clone();
            let (agent_id, user_id) = (a.agent.id, u.id);
            tokio::spawn(async move {
                s.issue_agent_token(agent_id, user_id, &format!("race-{i}"), scope(&["*"]), None)
                    .await
            })
        })
        .collect();
    let mut issued = HashSet::new();
    for h in handles {
        let t = h.await.unwrap().unwrap();
        issued.insert(t.id);
    }
    assert_eq!(issued.len(), 64);
    assert_eq!(active_agent_tokens(&s, a.agent.id).await, 1);
    let view = s.get_agent(u.id, "racer").await.unwrap();
    let active = view.token.unwrap();
    assert!(issued.contains(&active.id));
    let total = api_tokens::Entity::find()
        .filter(api_tokens::Column::AgentId.eq(a.agent.id))
        .count(&s.db)
        .await
        .unwrap();
    assert_eq!(total, 64);

    // Issuing for an archived agent, or someone else's, is refused.
    let other = user(&s, "eve").await;
    assert_err(
        s.issue_agent_token(a.agent.id, other.id, "x", scope(&["*"]), None)
            .await,
        Error::NotFound,
    );
}

async fn partial_unique_index_rejects_second_active_token(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "frank").await;
    let a = agent(&s, u.id, "Solo").await;
    s.issue_agent_token(a.agent.id, u.id, "first", scope(&["*"]), None)
        .await
        .unwrap();
    let row = |hash: &str, revoked: bool, agent_id: Option<Uuid>| api_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(if agent_id.is_some() { "agent" } else { "user" }.to_owned()),
        user_id: Set(u.id),
        agent_id: Set(agent_id),
        label: Set(None),
        token_hash: Set(hash.to_owned()),
        scope: Set("[]".to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(None),
        revoked_at: Set(revoked.then(Utc::now)),
        last_used_at: Set(None),
    };
    let err = row("second", false, Some(a.agent.id))
        .insert(&s.db)
        .await
        .unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
    // Revoked rows and user tokens (NULL agent) are outside the index.
    row("revoked", true, Some(a.agent.id))
        .insert(&s.db)
        .await
        .unwrap();
    row("u1", false, None).insert(&s.db).await.unwrap();
    row("u2", false, None).insert(&s.db).await.unwrap();
    // The hash is unique across all tokens.
    let err = row("u1", true, None).insert(&s.db).await.unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
    // The schema also refuses a second live agent with the same slug.
    let err = super::entities::agents::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(u.id),
        slug: Set("solo".to_owned()),
        display_name: Set("Solo".to_owned()),
        host: Set(None),
        qmd_index: Set(None),
        color: Set("#000000".to_owned()),
        emoji: Set(None),
        can_read_user_memory: Set(false),
        scope: Set("[]".to_owned()),
        status: Set("created".to_owned()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        archived_at: Set(None),
    }
    .insert(&s.db)
    .await
    .unwrap_err();
    assert!(is_unique_violation(&err), "{err}");
}

async fn slug_candidates_with_collisions(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "grace").await;
    let other = user(&s, "heidi").await;
    let slugs: Vec<String> = [
        agent(&s, u.id, "Bot").await,
        agent(&s, u.id, "bot").await,
        agent(&s, u.id, "BOT!").await,
        agent(&s, other.id, "Bot").await,
    ]
    .into_iter()
    .map(|v| v.agent.slug)
    .collect();
    assert_eq!(slugs, ["bot", "bot-2", "bot-3", "bot"]);

    let two = || ["bot".to_owned(), "bot-2".to_owned()].into_iter();
    assert_err(
        s.create_agent(new_agent(u.id, "Bot"), two()).await,
        Error::Exhausted,
    );
    // More candidates than one lookup batch, all but the last taken.
    for i in 4..=150 {
        s.import_agent(new_agent(u.id, "Bot"), format!("bot-{i}"))
            .await
            .unwrap();
    }
    let v = agent(&s, u.id, "Bot").await;
    assert_eq!(v.agent.slug, "bot-151");
    assert_eq!(v.owner_username, "grace");

    assert_err(
        s.import_agent(new_agent(u.id, "X"), "bot".to_owned()).await,
        Error::Conflict,
    );
    let imported = s
        .import_agent(new_agent(u.id, "X"), "exact-name".to_owned())
        .await
        .unwrap();
    assert_eq!(imported.agent.slug, "exact-name");
    assert_eq!(imported.agent.status, "created");
}

async fn concurrent_creates_get_distinct_slugs(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "ivan").await;
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            let uid = u.id;
            tokio::spawn(async move { s.create_agent(new_agent(uid, "Twin"), candidates("twin")).await })
        })
        .collect();
    let mut slugs = HashSet::new();
    for h in handles {
        slugs.insert(h.await.unwrap().unwrap().agent.slug);
    }
    let expected: HashSet<String> = candidates("twin").take(16).collect();
    assert_eq!(slugs, expected);
}

async fn archive_revokes_token_and_frees_slug(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "judy").await;
    let first = agent(&s, u.id, "Bot").await;
    let tok = s
        .issue_agent_token(first.agent.id, u.id, "bot-token", scope(&["*"]), None)
        .await
        .unwrap();

    let archived = s.delete_agent(first.agent.id).await.unwrap();
    assert!(archived.archived_at.is_some());
    assert!(archived.updated_at >= first.agent.updated_at);
    let p = s.find_token(&tok.token_hash).await.unwrap();
    assert!(p.token.revoked_at.is_some(), "archiving revokes the token");
    assert_eq!(found(s.get_agent(u.id, "bot").await), None);
    assert_err(s.delete_agent(first.agent.id).await, Error::NotFound);
    assert_err(
        s.issue_agent_token(first.agent.id, u.id, "again", scope(&["*"]), None)
            .await,
        Error::NotFound,
    );

    // The slug is free for a new agent.
    let second = agent(&s, u.id, "Bot").await;
    assert_eq!(second.agent.slug, "bot");

    assert_eq!(
        s.find_archived_agent(u.id, first.agent.id).await.unwrap().slug,
        "bot"
    );
    assert_eq!(found(s.find_archived_agent(u.id, second.agent.id).await), None);
    let stranger = user(&s, "mallory").await;
    assert_eq!(
        found(s.find_archived_agent(stranger.id, first.agent.id).await),
        None
    );

    // Restoring re-resolves the slug against the live agents.
    let restored = s
        .restore_archived_agent(u.id, first.agent.id, candidates("bot"))
        .await
        .unwrap();
    assert_eq!(restored.agent.id, first.agent.id);
    assert_eq!(restored.agent.slug, "bot-2");
    assert_eq!(restored.agent.archived_at, None);
    assert_eq!(restored.token, None, "the old token stays revoked");
    assert_err(
        s.restore_archived_agent(u.id, first.agent.id, candidates("bot"))
            .await,
        Error::NotFound,
    );

    // Restore with every candidate taken.
    s.delete_agent(first.agent.id).await.unwrap();
    let only_bot = || std::iter::once("bot".to_owned());
    assert_err(
        s.restore_archived_agent(u.id, first.agent.id, only_bot()).await,
        Error::Exhausted,
    );

    // Purge deletes the row and its tokens; only archived agents of the caller.
    assert_err(
        s.purge_archived_agent(stranger.id, first.agent.id).await,
        Error::NotFound,
    );
    // Live.
    assert_err(
        s.purge_archived_agent(u.id, second.agent.id).await,
        Error::NotFound,
    );
    s.purge_archived_agent(u.id, first.agent.id).await.unwrap();
    assert_err(
        s.purge_archived_agent(u.id, first.agent.id).await,
        Error::NotFound,
    );
    assert_eq!(found(s.find_token(&tok.token_hash).await), None);
    assert_eq!(found(s.find_archived_agent(u.id, first.agent.id).await), None);
}

async fn update_agent_applies_only_given_fields(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "ken").await;
    let mut new = new_agent(u.id, "Painter");
    new.host = Some("box-1".to_owned());
    new.emoji = Some("🎨".to_owned());
    let base = s.create_agent(new, candidates("painter")).await.unwrap();
    s.issue_agent_token(base.agent.id, u.id, "painter-token", scope(&["*"]), None)
        .await
        .unwrap();

    let v = s
        .update_agent(
            base.agent.id,
            AgentChanges {
                color: Some("#ff0000".to_owned()),
                emoji: Some(None),
                scope: Some(scope(&["ui.notify"])),
                can_read_user_memory: Some(true),
                status: Some("running".to_owned()),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.agent.color, "#ff0000");
    assert_eq!(v.agent.emoji, None);
    assert_eq!(v.agent.host.as_deref(), Some("box-1"), "untouched");
    assert_eq!(v.agent.display_name, "Painter");
    assert_eq!(v.agent.scope, scope(&["ui.notify"]));
    assert!(v.agent.can_read_user_memory);
    assert_eq!(v.agent.status, "running");
    assert_eq!(v.agent.slug, "painter");
    assert!(v.agent.updated_at >= base.agent.updated_at);
    assert_eq!(v.owner_username, "ken");
    assert_eq!(v.token.map(|t| t.token_hash).as_deref(), Some("painter-token"));
    assert_eq!(s.get_agent(u.id, "painter").await.unwrap().agent, v.agent);

    let v = s
        .update_agent(
            base.agent.id,
            AgentChanges {
                host: Some(None),
                display_name: Some("Painter Two".to_owned()),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.agent.host, None);
    assert_eq!(v.agent.display_name, "Painter Two");
    assert_eq!(v.agent.color, "#ff0000");

    s.delete_agent(base.agent.id).await.unwrap();
    assert_err(
        s.update_agent(base.agent.id, AgentChanges::default()).await,
        Error::NotFound,
    );
}

async fn pagination_cursors(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "liz").await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(agent(&s, u.id, &format!("Worker {i}")).await.agent.id);
    }
    // A token on one of them must not duplicate or drop rows.
    s.issue_agent_token(created[3], u.id, "w3", scope(&["*"]), None)
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s.list_agents(u.id, after, 3).await.unwrap();
        seen.extend(page.iter().map(|v| v.agent.id));
        if page.len() < 3 {
            break;
        }
        after = page.last().map(|v| v.agent.id);
    }
    assert_eq!(seen, created, "ascending, complete, no overlap");
    let all = s.list_agents(u.id, None, 100).await.unwrap();
    assert_eq!(all.iter().filter(|v| v.token.is_some()).count(), 1);
    assert_eq!(all[3].token.as_ref().map(|t| t.token_hash.as_str()), Some("w3"));
    assert!(all.iter().all(|v| v.owner_username == "liz"));

    // Archived: newest first, cursor means "older than".
    for id in &created[..5] {
        s.delete_agent(*id).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s.list_archived_agents(u.id, after, 2).await.unwrap();
        seen.extend(page.iter().map(|a| a.id));
        if page.len() < 2 {
            break;
        }
        after = page.last().map(|a| a.id);
    }
    let mut expected = created[..5].to_vec();
    expected.reverse();
    assert_eq!(seen, expected);
    assert_eq!(s.list_agents(u.id, None, 100).await.unwrap().len(), 2);

    // Users: ascending, live only.
    let more: Vec<Uuid> = vec![user(&s, "m1").await.id, user(&s, "m2").await.id];
    let first = s.list_users(None, 2).await.unwrap();
    assert_eq!(first.iter().map(|u| u.id).collect::<Vec<_>>(), [u.id, more[0]]);
    let rest = s.list_users(Some(more[0]), 2).await.unwrap();
    assert_eq!(rest.iter().map(|u| u.id).collect::<Vec<_>>(), [more[1]]);
    s.delete_user(more[1]).await.unwrap();
    assert!(s.list_users(Some(more[0]), 2).await.unwrap().is_empty());

    // User tokens: ascending, unrevoked only.
    let mut toks = Vec::new();
    for _ in 0..4 {
        toks.push(s.create_user_token(user_token(u.id).1).await.unwrap().id);
    }
    s.revoke_user_token(u.id, toks[1]).await.unwrap();
    let page = s.list_user_tokens(u.id, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [toks[0], toks[2]]);
    let page = s.list_user_tokens(u.id, Some(toks[2]), 2).await.unwrap();
    assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [toks[3]]);
    assert!(s.list_user_tokens(more[0], None, 10).await.unwrap().is_empty());
}

fn note(user_id: Uuid, title: &str) -> NewNotification {
    NewNotification {
        user_id,
        title: title.to_owned(),
        message: "hello".to_owned(),
        level: "normal".to_owned(),
        source: "agent:bot".to_owned(),
        app_origin: None,
        action_url: Some("https://example.com".to_owned()),
    }
}

async fn notifications_read_state(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let u = user(&s, "mia").await;
    let other = user(&s, "ned").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(s.notify_user(note(u.id, &format!("n{i}"))).await.unwrap().id);
    }
    let foreign = s.notify_user(note(other.id, "theirs")).await.unwrap();
    assert!(!foreign.read);
    assert_eq!(foreign.action_url.as_deref(), Some("https://example.com"));

    let page = s.list_notifications(u.id, false, None, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|n| n.id).collect::<Vec<_>>(),
        [ids[4], ids[3], ids[2]]
    );
    let page = s.list_notifications(u.id, false, Some(ids[2]), 3).await.unwrap();
    assert_eq!(page.iter().map(|n| n.id).collect::<Vec<_>>(), [ids[1], ids[0]]);

    assert_eq!(s.mark_notification_read(u.id, ids[3]).await.unwrap(), 1);
    assert_eq!(s.mark_notification_read(u.id, ids[3]).await.unwrap(), 0);
    assert_err(s.mark_notification_read(u.id, foreign.id).await, Error::NotFound);
    assert_err(
        s.mark_notification_read(u.id, Uuid::now_v7()).await,
        Error::NotFound,
    );
    let unread = s.list_notifications(u.id, true, None, 10).await.unwrap();
    assert_eq!(
        unread.iter().map(|n| n.id).collect::<Vec<_>>(),
        [ids[4], ids[2], ids[1], ids[0]]
    );
    let unread = s.list_notifications(u.id, true, Some(ids[4]), 2).await.unwrap();
    assert_eq!(unread.iter().map(|n| n.id).collect::<Vec<_>>(), [ids[2], ids[1]]);

    assert_eq!(s.mark_all_notifications_read(u.id).await.unwrap(), 4);
    assert_eq!(s.mark_all_notifications_read(u.id).await.unwrap(), 0);
    assert!(
        s.list_notifications(u.id, true, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.list_notifications(other.id, true, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn concurrent_idem_reserve_has_one_winner(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.idem_reserve("user:1", "createAgent", "k1", "fp", now, Duration::hours(24))
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved => reserved += 1,
            IdemOutcome::InFlight { fingerprint } => assert_eq!(fingerprint, "fp"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1);

    // Concurrent takeovers of an abandoned claim: still exactly one winner.
    let later = now + Duration::seconds(61);
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.idem_reserve("user:1", "createAgent", "k1", "fp2", later, Duration::hours(24))
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for h in handles {
        match h.await.unwrap().unwrap() {
            IdemOutcome::Reserved => reserved += 1,
            IdemOutcome::InFlight { fingerprint } => assert_eq!(fingerprint, "fp2"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1);
}

async fn idem_lifecycle(url: String) {
    let s = Store::connect(&url).await.unwrap();
    let now = Utc::now();
    let ttl = Duration::hours(24);
    let reserve = |key: &'static str, fp: &'static str, at| {
        let s = s.clone();
        async move {
            s.idem_reserve("agent:9", "notify", key, fp, at, ttl)
                .await
                .unwrap()
        }
    };

    assert_eq!(reserve("a", "fp1", now).await, IdemOutcome::Reserved);
    assert_eq!(
        reserve("a", "fp2", now).await,
        IdemOutcome::InFlight {
            fingerprint: "fp1".to_owned()
        }
    );
    // Scoped by principal and operation.
    assert_eq!(
        s.idem_reserve("agent:10", "notify", "a", "fp1", now, ttl)
            .await
            .unwrap(),
        IdemOutcome::Reserved
    );
    assert_eq!(
        s.idem_reserve("agent:9", "other", "a", "fp1", now, ttl)
            .await
            .unwrap(),
        IdemOutcome::Reserved
    );

    s.idem_complete("agent:9", "notify", "a", 201, "{\"id\":1}".to_owned())
        .await
        .unwrap();
    let done = IdemOutcome::Done {
        fingerprint: "fp1".to_owned(),
        status: 201,
        body: "{\"id\":1}".to_owned(),
    };
    assert_eq!(reserve("a", "fp1", now).await, done);
    // A finished answer is not "abandoned", however old, until it expires.
    assert_eq!(reserve("a", "fp1", now + Duration::hours(23)).await, done);
    assert_eq!(
        reserve("a", "fp9", now + Duration::hours(25)).await,
        IdemOutcome::Reserved
    );
    assert_eq!(
        reserve("a", "fp1", now + Duration::hours(25)).await,
        IdemOutcome::InFlight {
            fingerprint: "fp9".to_owned()
        }
    );

    // Release frees the key at once.
    assert_eq!(reserve("b", "fp1", now).await, IdemOutcome::Reserved);
    s.idem_release("agent:9", "notify", "b").await.unwrap();
    assert_eq!(reserve("b", "fp3", now).await, IdemOutcome::Reserved);

    // In flight for under a minute is still in flight.
    assert_eq!(
        reserve("b", "fp4", now + Duration::seconds(59)).await,
        IdemOutcome::InFlight {
            fingerprint: "fp3".to_owned()
        }
    );

    let purged = s.idem_purge_expired(now + Duration::hours(24)).await.unwrap();
    assert_eq!(purged, 3, "b, the agent:10 claim and the other-operation claim");
    assert_eq!(s.idem_purge_expired(now + Duration::days(3)).await.unwrap(), 1);
}

/// The inline SQLite reads (`sqlite_reads`) return exactly what the sea-orm queries return,
/// in every state the hot path meets: user and agent tokens, with and without expiry and use,
/// revoked, unknown, a deleted owner, and agents with and without an active token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_sqlite_reads_match_sea_orm() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&format!("sqlite://{}/taos.db", dir.path().display()))
        .await
        .unwrap();
    assert!(s.reads.is_some(), "a SQLite file gets the inline reads");
    let same_token = |hash: &'static str| {
        let s = s.clone();
        async move {
            let inline = found(s.find_token(hash).await);
            let orm = found(s.find_token_orm(hash).await);
            assert_eq!(inline, orm, "find_token({hash})");
            inline
        }
    };
    let u = user(&s, "erin").await;
    let (_, mut new) = user_token(u.id);
    new.token_hash = "user-hash".into();
    new.expires_at = Some(Utc::now() + Duration::days(1));
    s.create_user_token(new).await.unwrap();
    assert!(same_token("user-hash").await.is_some());
    assert!(same_token("unknown").await.is_none());

    let a = agent(&s, u.id, "Fast Reader").await;
    let same_agent = |slug: &'static str| {
        let s = s.clone();
        async move {
            let inline = found(s.get_agent(u.id, slug).await);
            let orm = found(s.get_agent_orm(u.id, slug).await);
            assert_eq!(inline, orm, "get_agent({slug})");
            inline
        }
    };
    assert!(same_agent("fast-reader").await.is_some_and(|v| v.token.is_none()));
    assert!(same_agent("nobody").await.is_none());
    let t = s
        .issue_agent_token(a.agent.id, u.id, "agent-hash", scope(&["agents.*"]), None)
        .await
        .unwrap();
    s.touch_tokens(&[t.id], Utc::now()).await.unwrap();
    assert!(same_token("agent-hash").await.is_some_and(|p| p.agent.is_some()));
    assert!(same_agent("fast-reader").await.is_some_and(|v| v.token.is_some()));
    s.update_agent(
        a.agent.id,
        AgentChanges {
            emoji: Some(Some("🔬".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(same_agent("fast-reader").await.is_some());

    s.delete_agent(a.agent.id).await.unwrap();
    assert!(
        same_token("agent-hash")
            .await
            .is_some_and(|p| p.token.revoked_at.is_some())
    );
    assert!(same_agent("fast-reader").await.is_none());

    let other = user(&s, "frank").await;
    let (_, mut new) = user_token(other.id);
    new.token_hash = "frank-hash".into();
    s.create_user_token(new).await.unwrap();
    s.delete_user(other.id).await.unwrap();
    assert!(
        same_token("frank-hash").await.is_none(),
        "a deleted user's token finds nobody"
    );
}
