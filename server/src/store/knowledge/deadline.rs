//! The search's deadline: the database stops working on a search after `deadline`, so a
//! costly one cannot hold its connection for long. SQLite in memory (no second connection
//! could see it, so `inline` cannot run there): a progress handler on the pool connection
//! that runs it (sea-orm cannot reach one connection, so this goes straight through sqlx).
//! PostgreSQL: `statement_timeout` in the search's own transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx;
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, FromQueryResult, QueryResult, RuntimeErr, Statement,
    TransactionTrait, Value,
};

use super::KnowledgeHit;
use crate::store::{Error, Result, Store, db_error_code};

impl Store {
    /// The search on one connection of an in-memory database's pool, straight through sqlx:
    /// the deadline is a progress handler on that connection, which sea-orm cannot reach.
    pub(super) async fn search_sqlite(
        &self,
        sql: String,
        texts: Vec<String>,
        limit: i64,
        deadline: Duration,
    ) -> Result<Option<Vec<KnowledgeHit>>> {
        let mut conn = self
            .db
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .map_err(|e| match e {
                sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
                other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
            })?;
        let conn_err = |e: sqlx::Error| Error::from(DbErr::Conn(RuntimeErr::SqlxError(e.into())));
        let until = Instant::now() + deadline;
        // Set once the search is over however it ends (a dropped future included), so that a
        // handler left on the connection never stops a later statement.
        let over = Arc::new(AtomicBool::new(false));
        let running = over.clone();
        conn.lock_handle()
            .await
            .map_err(conn_err)?
            .set_progress_handler(PROGRESS_STEPS, move || {
                running.load(Ordering::Relaxed) || Instant::now() < until
            });
        let _over = SetOnDrop(over);
        // The text is the store's own, with `$n` placeholders for everything the caller sent.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for text in texts {
            query = query.bind(text);
        }
        let rows = query.bind(limit).fetch_all(&mut *conn).await;
        conn.lock_handle()
            .await
            .map_err(conn_err)?
            .remove_progress_handler();
        let rows = match rows {
            Ok(rows) => rows,
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(SQLITE_INTERRUPT) => {
                return Ok(None);
            }
            Err(e) => return Err(DbErr::Query(RuntimeErr::SqlxError(e.into())).into()),
        };
        let hits = rows
            .into_iter()
            .map(|row| KnowledgeHit::from_query_result(&QueryResult::from(row), ""))
            .collect::<std::result::Result<Vec<_>, DbErr>>()?;
        Ok(Some(hits))
    }

    /// The search in a transaction of its own, whose `statement_timeout` is the deadline.
    pub(super) async fn search_postgres(
        &self,
        sql: String,
        texts: Vec<String>,
        limit: i64,
        deadline: Duration,
    ) -> Result<Option<Vec<KnowledgeHit>>> {
        let mut values: Vec<Value> = texts.into_iter().map(Value::from).collect();
        values.push(limit.into());
        let txn = self.db.begin().await?;
        txn.execute_unprepared(&format!(
            "SET LOCAL statement_timeout = {}",
            deadline.as_millis().max(1)
        ))
        .await?;
        let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
        match KnowledgeHit::find_by_statement(stmt).all(&txn).await {
            Ok(hits) => {
                txn.commit().await?;
                Ok(Some(hits))
            }
            Err(e) if db_error_code(&e).as_deref() == Some(QUERY_CANCELED) => {
                // The failed transaction is over either way.
                let _ = txn.rollback().await;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// SQLite's result code of an interrupted statement (`SQLITE_INTERRUPT`).
const SQLITE_INTERRUPT: &str = "9";
/// PostgreSQL's SQLSTATE of a statement cancelled by `statement_timeout` (`query_canceled`).
const QUERY_CANCELED: &str = "57014";
/// Virtual-machine steps between two looks at the clock: often enough to stop within a
/// millisecond or so, rarely enough to cost nothing measurable.
const PROGRESS_STEPS: i32 = 1000;

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;
    use uuid::Uuid;

    use super::*;
    use crate::store::KnowledgeFilter;
    use crate::store::knowledge::tests::{doc, words};

    /// A search stopped at its deadline answers None, and the connections it ran on serve
    /// searches (more than the pool holds) in full afterwards.
    async fn a_search_is_stopped_at_its_deadline(url: String) {
        let store = Store::connect(&url).await.unwrap();
        // Long documents that all hold the words, so a search of them has real work to do.
        let docs: Vec<_> = (0..300)
            .map(|n| {
                let text = "Rotate the token, issue a scope to the agent. ".repeat(60);
                doc(&format!("d{n}.md"), &format!("Doc {n}"), &text)
            })
            .collect();
        store
            .sync_knowledge_source("s", "agent-docs", &docs, |_| false)
            .await
            .unwrap();
        let any = KnowledgeFilter::default();
        let ws = words(&["token", "rotate", "agent"]);
        // Zero is stopped at the first look at the clock (1 ms on PostgreSQL, whose zero
        // means no limit).
        let stopped = store
            .search_knowledge(&ws, &any, 10, Duration::ZERO)
            .await
            .unwrap();
        assert!(stopped.is_none(), "a search past its deadline is stopped");
        if url.starts_with("sqlite:") {
            // Longer than the inline budget: moved to a blocking thread, and answered in full.
            let moved = crate::store::knowledge::inline::moved_searches();
            let hits = store
                .search_knowledge(&words(&["issue", "scope"]), &any, 10, Duration::from_secs(60))
                .await
                .unwrap()
                .expect("in time");
            assert_eq!(hits.len(), 10);
            assert!(
                crate::store::knowledge::inline::moved_searches() > moved,
                "a search of 300 long documents takes longer than {:?}",
                crate::store::knowledge::inline::INLINE_BUDGET
            );
        }
        for _ in 0..20 {
            let hits = store
                .search_knowledge(&ws, &any, 10, Duration::from_secs(60))
                .await
                .unwrap()
                .expect("in time");
            assert_eq!(hits.len(), 10);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_deadline() {
        let dir = tempfile::tempdir().unwrap();
        a_search_is_stopped_at_its_deadline(format!("sqlite://{}/taos.db", dir.path().display())).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(pg_tests),
        ignore = "TAOS_TEST_DATABASE_URL not set: the PostgreSQL variant did not run"
    )]
    async fn postgres_deadline() {
        let admin_url = std::env::var("TAOS_TEST_DATABASE_URL").expect("TAOS_TEST_DATABASE_URL");
        let name = format!("taos_search_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str()).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (base, query) = admin_url.split_once('?').unwrap_or((admin_url.as_str(), ""));
        let server = base.rsplit_once('/').map(|(s, _)| s).unwrap();
        let url = format!(
            "{server}/{name}{}",
            if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            }
        );
        let outcome = tokio::spawn(a_search_is_stopped_at_its_deadline(url)).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic.into_panic());
        }
    }
}
