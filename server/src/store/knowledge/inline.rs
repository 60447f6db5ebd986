//! The search on a SQLite file, run on a read connection of the blocking thread it lands on
//! (see `sqlite_reads`): straight through rusqlite. Through sqlx each row is handed from the
//! connection's worker thread over a channel, and those switches cost more than the ranking
//! itself. A blocking thread rather than the caller's, because a search may run up to its
//! deadline and must not hold up the requests of the runtime's few threads meanwhile. The
//! deadline is a progress handler on that connection, taken off when the search is over.
//!
//! An answer kept in `cache` is looked up first, on the calling thread (a `PRAGMA` and a
//! hash lookup, as cheap as the token lookup every request makes there). A search the cache
//! cannot answer is tried on the calling thread too, for [`INLINE_BUDGET`] at most: most take
//! a fraction of a millisecond, and handing them to a blocking thread and back cost a quarter
//! of their CPU (two thread wake-ups, and a blocking thread's own connection and page cache to
//! keep warm). One still running then is stopped and run again, from the start, on a blocking
//! thread with what is left of its deadline: the runtime's threads are held up by no search
//! for longer than the budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{ErrorCode, Row, params_from_iter};
use sea_orm::DbErr;
use uuid::Uuid;

use super::{KnowledgeFilter, KnowledgeHit, cache, fts5_bm25};
use crate::store::sqlite_reads::SqliteReads;
use crate::store::{Error, Result};

/// Virtual-machine steps between two looks at the clock, as in `deadline`.
const PROGRESS_STEPS: i32 = 1000;

/// How long a search may run on the calling thread before it is moved to a blocking one.
pub(super) const INLINE_BUDGET: Duration = Duration::from_millis(3);

/// Searches moved to a blocking thread after their inline budget, since start (for tests).
static MOVED: AtomicU64 = AtomicU64::new(0);

#[cfg(test)]
pub(super) fn moved_searches() -> u64 {
    MOVED.load(Ordering::Relaxed)
}

/// The search `sql` with `texts` stands for: `words` and `filter`, as `cache` keys it.
pub(super) struct Search<'a> {
    pub words: &'a [String],
    pub filter: &'a KnowledgeFilter,
    pub sql: String,
    pub texts: Vec<String>,
}

pub(super) async fn search(
    reads: Arc<SqliteReads>,
    search: Search<'_>,
    limit: i64,
    deadline: Duration,
) -> Result<Option<Vec<KnowledgeHit>>> {
    let key = cache::Key::new(reads.path(), search.words, search.filter, limit);
    let generation = reads.with(|c| cache::observe(c, reads.path()))?;
    if let Some(hits) = cache::get(&key, generation) {
        return Ok(Some(hits.as_ref().clone()));
    }
    let Search {
        words, sql, texts, ..
    } = search;
    let started = Instant::now();
    let budget = INLINE_BUDGET.min(deadline);
    let inline = fts5_bm25::with_words(reads.path(), generation, words, || {
        run(&reads, &sql, &texts, limit, budget)
    })?;
    if let Some(hits) = inline {
        cache::put(key, generation, Arc::new(hits.clone()));
        return Ok(Some(hits));
    }
    if budget == deadline {
        // The whole deadline was spent here.
        return Ok(None);
    }
    let Some(deadline) = deadline.checked_sub(started.elapsed()) else {
        return Ok(None);
    };
    MOVED.fetch_add(1, Ordering::Relaxed);
    let words = words.to_vec();
    tokio::task::spawn_blocking(move || {
        // The generation as this thread's connection sees it: the search's snapshot starts
        // after this look (see `cache`).
        let generation = reads.with(|c| cache::observe(c, reads.path()))?;
        let hits = fts5_bm25::with_words(reads.path(), generation, &words, || {
            run(&reads, &sql, &texts, limit, deadline)
        })?;
        if let Some(hits) = &hits {
            cache::put(key, generation, Arc::new(hits.clone()));
        }
        Ok(hits)
    })
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
