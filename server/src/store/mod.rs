//! Persistence: sea-orm entities, migrations and every query. The only module that knows SQL
//! (and names sea-orm); it imports nothing from the domain. Every pub method answers
//! [`Result`] (see `error`); the methods of an operation are named for its `operationId`, in
//! the file named for its tag (`agent_tokens::issue_agent_token`).
//!
//! The same code runs on SQLite (the default, one file, no setup) and PostgreSQL (shared by
//! replicas). Invariants live in the schema (partial unique indexes, a setup marker row, a
//! unique idempotency triple); the code here makes concurrent writers queue or retry rather
//! than fail.

mod accounts;
mod agent_runtimes;
mod agent_tokens;
mod agents;
mod archived_agents;
mod checkpoint;
mod entities;
mod error;
mod idempotency;
mod identity;
mod knowledge;
mod knowledge_sources;
mod migrations;
mod notifications;
mod notify;
mod notify_writer;
mod open;
mod operations;
mod records;
mod sealed;
mod sessions;
mod sqlite_notify;
mod sqlite_reads;
mod tokens;
mod users;

#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use sea_orm::sqlx::sqlite::SqliteSynchronous;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    RuntimeErr, SqlErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use agent_runtimes::{AgentRuntimeRow, RuntimeAgent};
pub use error::{DbFailure, Error, Result};
pub use idempotency::IdemPolicy;
pub use knowledge::{KnowledgeFilter, KnowledgeHit, KnowledgeItem, KnowledgeSummary};
pub use knowledge_sources::{KnowledgeDoc, KnowledgeSection, SyncReport};
pub use operations::{NewOperation, OperationProgress, OperationRow};
pub use records::*;
pub use sealed::{IdemClaim, Sealed};

/// Handle to the database; cheap to clone (it wraps the connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// The hot-path reads done inline on a SQLite file (see `sqlite_reads`); None on
    /// PostgreSQL and in-memory SQLite.
    reads: Option<std::sync::Arc<sqlite_reads::SqliteReads>>,
    /// The task that commits concurrent notifications together (see `notify_writer`).
    notify: notify_writer::LazyWriter,
    /// The thread that checkpoints a SQLite file's WAL (see `checkpoint`); None on
    /// PostgreSQL and in-memory SQLite.
    checkpoints: Option<std::sync::Arc<checkpoint::Checkpointer>>,
}

const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 16;
/// Attempts of one write transaction before a retryable failure is passed on.
const WRITE_ATTEMPTS: u32 = 12;
/// Key of the PostgreSQL advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK: i64 = 0x7a05_0001;

impl Store {
    /// Connects, tunes the pool for the backend, and applies pending migrations. A PostgreSQL
    /// server that cannot be reached is [`Error::Unavailable`] within a few seconds, with the
    /// reason; connecting again later may succeed.
    pub async fn connect(url: &str) -> Result<Store> {
        let file = sqlite_reads::file_of(url);
        if let Some(path) = &file {
            open::make_sqlite_file_private(path).map_err(|e| {
                Error::Db(DbFailure(DbErr::Conn(RuntimeErr::Internal(format!(
                    "cannot create {} with mode 0600: {e}",
                    path.display()
                )))))
            })?;
        } else if !url.starts_with("sqlite:") {
            open::probe_postgres(url).await?;
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        // Statement logs would carry token and password hashes; never emit them.
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if url.starts_with("sqlite:") {
            if in_memory {
                // Each connection would otherwise open its own, empty, in-memory database.
                opts.max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            } else {
                opts.max_connections(SQLITE_POOL);
            }
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .pragma("wal_autocheckpoint", checkpoint::POOL_AUTOCHECKPOINT.to_string())
            });
        } else {
            opts.max_connections(POSTGRES_POOL);
        }
        let db = Database::connect(opts).await?;
        let reads = file
            .clone()
            .map(|path| std::sync::Arc::new(sqlite_reads::SqliteReads::new(path)));
        let mut store = Store {
            db,
            reads,
            notify: Default::default(),
            checkpoints: None,
        };
        if store.is_sqlite() && !in_memory {
            store.enable_wal().await?;
        }
        store.migrate().await?;
        if let Some(path) = file {
            store.checkpoints = Some(std::sync::Arc::new(
                checkpoint::Checkpointer::start(path).map_err(|e| {
                    Error::Db(DbFailure(DbErr::Custom(format!(
                        "cannot start the WAL checkpoint thread: {e}"
                    ))))
                })?,
            ));
        }
        Ok(store)
    }

    /// Switches the database file to WAL, so readers run beside the one writer. The mode is
    /// stored in the file, so this is done once here rather than by every new pool
    /// connection: that per-connection pragma fails with "database is locked" (without
    /// waiting for `busy_timeout`) while another connection is writing.
    async fn enable_wal(&self) -> std::result::Result<(), DbErr> {
        const ATTEMPTS: u32 = 50;
        for attempt in 1..=ATTEMPTS {
            let stmt = Statement::from_string(DbBackend::Sqlite, "PRAGMA journal_mode = WAL");
            match self.db.query_one_raw(stmt).await {
                // SQLite answers with the mode now in force, which is the old one when it
                // could not take the lock it needs to switch.
                Ok(Some(row)) => {
                    if row
                        .try_get::<String>("", "journal_mode")?
                        .eq_ignore_ascii_case("wal")
                    {
                        return Ok(());
                    }
                }
                Ok(None) => {}
                Err(e) if attempt < ATTEMPTS && is_retryable_db(&e) => {}
                Err(e) => return Err(e),
            }
            pause_before_retry(attempt).await;
        }
        Err(DbErr::Custom(
            "could not switch the SQLite database to WAL mode".to_owned(),
        ))
    }

    /// Applies pending migrations in one write transaction, so that replicas starting together
    /// take turns (the advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) instead of
    /// racing to create the same tables.
    async fn migrate(&self) -> std::result::Result<(), DbErr> {
        let txn = self.begin_write().await?;
        if !self.is_sqlite() {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
        }
        migrations::Migrator::up(&txn, None).await?;
        txn.commit().await
    }

    pub fn is_sqlite(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Sqlite
    }

    /// Whether the database answers (`getHealth`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.db.ping().await?)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY when another connection wrote in between, whereas waiting for the lock at
    /// BEGIN just queues behind `busy_timeout`.
    async fn begin_write(&self) -> std::result::Result<DatabaseTransaction, DbErr> {
        let sqlite_transaction_mode = self.is_sqlite().then_some(SqliteTransactionMode::Immediate);
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode,
                ..Default::default()
            })
            .await
    }
}

/// Runs `$body` (an expression of type `store::Result<T>` that uses `$txn`) in a write
/// transaction, committing on `Ok`; an `Err` (`NotFound` included) rolls back. Within sealed
/// work (see `sealed`) the transaction is a savepoint of the work's one parked transaction, and
/// its commit only releases the savepoint. When the body
/// or the commit fails with a database error that a fresh
/// attempt can fix (a unique violation from a concurrent insert, a serialization failure or
/// deadlock on PostgreSQL, a busy SQLite, or [`retry`]), the whole transaction is rolled back
/// and run again after a short random pause. The body must therefore be re-runnable: clone
/// inputs rather than moving them.
macro_rules! write_txn {
    ($store:expr, |$txn:ident| $body:expr) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let $txn = $store.begin_write_txn().await?;
            let result: $crate::store::Result<_> = async { $body }.await;
            let outcome = match result {
                Ok(value) => $txn
                    .commit()
                    .await
                    .map(|()| value)
                    .map_err($crate::store::Error::from),
                Err(e) => {
                    // The error is what matters; a failed rollback also ends the transaction.
                    let _ = $txn.rollback().await;
                    Err(e)
                }
            };
            match outcome {
                Err(e) if attempt < $crate::store::WRITE_ATTEMPTS && $crate::store::is_retryable(&e) => {
                    $crate::store::pause_before_retry(attempt).await;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use write_txn;

/// The error a transaction body returns to ask [`write_txn!`] for a fresh attempt, when it
/// notices that a concurrent transaction changed what it just read.
fn retry() -> Error {
    DbErr::Custom(RETRY_MARKER.to_owned()).into()
}

const RETRY_MARKER: &str = "store: concurrent change, retry";

fn is_retryable(e: &Error) -> bool {
    e.db_err().is_some_and(is_retryable_db)
}

fn is_retryable_db(e: &DbErr) -> bool {
    if let DbErr::Custom(m) = e
        && m == RETRY_MARKER
    {
        return true;
    }
    if is_unique_violation(e) {
        return true;
    }
    match db_error_code(e).as_deref() {
        // PostgreSQL serialization_failure, deadlock_detected.
        Some("40001" | "40P01") => true,
        // SQLite BUSY, LOCKED and their extended codes (e.g. BUSY_SNAPSHOT = 517).
        Some(code) => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
        None => false,
    }
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// SQLSTATE on PostgreSQL, the (extended) result code on SQLite.
fn db_error_code(e: &DbErr) -> Option<String> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner))
        | DbErr::Conn(RuntimeErr::SqlxError(inner)) => match inner.as_ref() {
            sea_orm::sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// Jittered, growing pause so that transactions which just collided do not collide again.
async fn pause_before_retry(attempt: u32) {
    let ceiling = 2u64 << attempt.min(6);
    let ms = rand::rng().random_range(1..=ceiling);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// The current time at the precision both databases keep (PostgreSQL stores microseconds),
/// so a record returned by a write equals the one read back later.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
