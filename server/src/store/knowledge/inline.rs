//! The search on a SQLite file, run on a read connection of the blocking thread it lands on
//! (see `sqlite_reads`): straight through rusqlite. Through sqlx each row is handed from the
//! connection's worker thread over a channel, and those switches cost more than the ranking
//! itself. A blocking thread rather than the caller's, because a search may run up to its
//! deadline and must not hold up the requests of the runtime's few threads meanwhile. The
//! deadline is a progress handler on that connection, taken off when the search is over.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{ErrorCode, Row, params_from_iter};
use sea_orm::DbErr;
use uuid::Uuid;

use super::KnowledgeHit;
use crate::store::sqlite_reads::SqliteReads;
use crate::store::{Error, Result};

/// Virtual-machine steps between two looks at the clock, as in `deadline`.
const PROGRESS_STEPS: i32 = 1000;

pub(super) async fn search(
    reads: Arc<SqliteReads>,
    sql: String,
    texts: Vec<String>,
    limit: i64,
    deadline: Duration,
) -> Result<Option<Vec<KnowledgeHit>>> {
    tokio::task::spawn_blocking(move || run(&reads, &sql, &texts, limit, deadline))
        .await
        .map_err(|e| Error::from(DbErr::Custom(format!("search task: {e}"))))?
}

fn run(
    reads: &SqliteReads,
    sql: &str,
    texts: &[String],
    limit: i64,
    deadline: Duration,
) -> Result<Option<Vec<KnowledgeHit>>> {
    let until = Instant::now() + deadline;
    let outcome = reads.with(|conn| {
        conn.progress_handler(PROGRESS_STEPS, Some(move || Instant::now() >= until))?;
        let rows = conn.prepare_cached(sql).and_then(|mut stmt| {
            let params = texts
                .iter()
                .map(|t| rusqlite::types::Value::Text(t.clone()))
                .chain(std::iter::once(rusqlite::types::Value::Integer(limit)));
            stmt.query_map(params_from_iter(params), hit)?
                .collect::<rusqlite::Result<Vec<_>>>()
        });
        conn.progress_handler(0, None::<fn() -> bool>)?;
        Ok(rows)
    })?;
    match outcome {
        Ok(hits) => Ok(Some(hits)),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::OperationInterrupted => Ok(None),
        Err(e) => Err(DbErr::Custom(format!("sqlite search: {e}")).into()),
    }
}

fn hit(row: &Row) -> rusqlite::Result<KnowledgeHit> {
    let id: Vec<u8> = row.get(0)?;
    Ok(KnowledgeHit {
        id: Uuid::from_slice(&id).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
        })?,
        source_id: row.get(1)?,
        source_url: row.get(2)?,
        category: row.get(3)?,
        title: row.get(4)?,
        doc_url: row.get(5)?,
        section: row.get(6)?,
        anchor: row.get(7)?,
        snippet: row.get(8)?,
        score: row.get(9)?,
    })
}
