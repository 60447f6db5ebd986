//! The notification writer on a SQLite file: a thread of its own with its own connection,
//! calling SQLite directly.
//!
//! Why: as a tokio task writing through sea-orm, each batch took four round trips to sqlx's
//! connection thread (begin, check, insert, commit), and each of them waited for a turn on the
//! runtime's workers behind the request tasks; under load batches stretched and their tail
//! became the notify p99. On a thread of its own a batch takes what SQLite takes (as the hot
//! reads in `sqlite_reads` do). It writes exactly what the sea-orm path writes (a store test
//! reads its rows back through sea-orm) and makes the same check: the user is live, in the
//! same `BEGIN IMMEDIATE` transaction as the insert.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use chrono::SecondsFormat;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sea_orm::DbErr;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::checkpoint::WRITER_AUTOCHECKPOINT;
use super::notify_writer::{Job, MAX_BATCH, Reply, answer};
use super::{Error, Notification};

/// Starts the writer thread on `conn` (from [`open`]), taking the jobs of `queue`.
pub(super) fn spawn(conn: Connection, queue: mpsc::Receiver<Job>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("taos-notify".into())
        .spawn(move || run(conn, queue))
        .map(drop)
}

/// The writer's connection, with the settings of the pool's connections (`Store::connect`)
/// that writes depend on, but for its own checkpoint fallback (`checkpoint`).
pub(super) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT)?;
    Ok(conn)
}

fn run(mut conn: Connection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (rows, replies): (Vec<Notification>, Vec<Reply>) =
            jobs.into_iter().map(|j| (j.row, j.reply)).unzip();
        match insert(&mut conn, &rows) {
            Ok(gone) => answer(rows, replies, &gone),
            // A row the database refuses must not fail the others: each is tried alone.
            Err(_) if rows.len() > 1 => {
                for (row, reply) in rows.into_iter().zip(replies) {
                    match insert(&mut conn, std::slice::from_ref(&row)) {
                        Ok(gone) => answer(vec![row], vec![reply], &gone),
                        Err(e) => drop(reply.send(Err(failure(e)))),
                    }
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(failure(e)));
                }
            }
        }
    }
}

fn failure(e: rusqlite::Error) -> Error {
    DbErr::Custom(format!("sqlite notify: {e}")).into()
}

/// One transaction: each user checked live, the rows of live users inserted; returns the
/// users found removed. An error rolls everything back (the transaction's drop).
fn insert(conn: &mut Connection, rows: &[Notification]) -> rusqlite::Result<HashSet<Uuid>> {
    let txn = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut users: Vec<Uuid> = rows.iter().map(|n| n.user_id).collect();
    users.sort_unstable();
    users.dedup();
    let mut gone = HashSet::new();
    {
        let mut live = txn.prepare_cached("SELECT 1 FROM users WHERE id = ?1 AND deleted_at IS NULL")?;
        for user in users {
            if !live.exists([user.as_bytes().as_slice()])? {
                gone.insert(user);
            }
        }
        let mut put = txn.prepare_cached(
            "INSERT INTO notifications (id, user_id, title, message, level, source, app_origin, \
             action_url, read, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for n in rows.iter().filter(|n| !gone.contains(&n.user_id)) {
            put.execute(rusqlite::params![
                n.id.as_bytes().as_slice(),
                n.user_id.as_bytes().as_slice(),
                n.title,
                n.message,
                n.level,
                n.source,
                n.app_origin,
                n.action_url,
                n.read,
                // As sqlx stores a `DateTime<Utc>` on SQLite, so text comparisons and the
                // sea-orm reads see one format.
                n.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, false),
            ])?;
        }
    }
    txn.commit()?;
    Ok(gone)
}
