//! Group commit for `notify`: one writer per store takes every notification waiting when it
//! is free and commits them in one transaction; each caller is answered once the transaction
//! holding its notification has committed.
//!
//! Why: each notify used to be a write transaction of its own. On SQLite those queue for the
//! one write lock inside SQLite's busy handler, which sleeps in steps of up to 100 ms, so 32
//! concurrent notifies had a p99 over 50 ms (docs/benchmarks.md); on PostgreSQL each one is a
//! commit (a WAL flush) of its own. One writer never waits for its own lock, and N waiting
//! notifications cost one commit. Nothing is acknowledged before its commit, so a `kill -9`
//! loses no acknowledged notification (a power loss may, see the README's durability note).
//!
//! On a SQLite file the writer is a thread with its own connection (`sqlite_notify`); on
//! PostgreSQL (and in-memory SQLite) a task writing through sea-orm (`Store::insert_notifications`).

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{Error, Notification, Result, Store, sqlite_notify};

/// Most notifications in one transaction (10 bound parameters each: far below either
/// database's limit).
pub(super) const MAX_BATCH: usize = 128;
/// Notifications waiting for the writer before senders wait too.
const QUEUE: usize = 1024;

pub(super) type Reply = oneshot::Sender<Result<Notification>>;

pub(super) struct Job {
    pub(super) row: Notification,
    pub(super) reply: Reply,
}

#[derive(Debug)]
pub(super) struct NotifyWriter {
    jobs: mpsc::Sender<Job>,
}

impl NotifyWriter {
    /// Starts the writer for `store`'s database. It holds no `Store` with a writer of its own,
    /// so it ends when the last `Store` holding this one is dropped (the channel closes).
    fn start(store: &Store) -> NotifyWriter {
        let (jobs, queue) = mpsc::channel(QUEUE);
        match store.reads.as_ref().map(|r| sqlite_notify::open(r.path())) {
            Some(Ok(conn)) => {
                if let Err(e) = sqlite_notify::spawn(conn, queue) {
                    // Resources are exhausted; notifies answer 500 until a restart.
                    tracing::error!(error = %e, "cannot start the notification writer thread");
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "cannot open the notification writer's connection; writing through the pool");
                tokio::spawn(run(store.without_writer(), queue));
            }
            None => {
                tokio::spawn(run(store.without_writer(), queue));
            }
        }
        NotifyWriter { jobs }
    }

    /// Hands the notification to the writer and waits until its transaction has committed
    /// (or failed).
    pub(super) async fn write(&self, row: Notification) -> Result<Notification> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { row, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    DbErr::Custom("the notification writer stopped".to_owned()).into()
}

/// Answers each job of a committed batch: its row, or `UserGone` when its user was found
/// removed (and the row not written).
pub(super) fn answer(rows: Vec<Notification>, replies: Vec<Reply>, gone: &HashSet<Uuid>) {
    for (row, reply) in rows.into_iter().zip(replies) {
        let answer = if gone.contains(&row.user_id) {
            Err(Error::UserGone)
        } else {
            Ok(row)
        };
        // A caller that hung up no longer waits for its answer; its row is stored all the same.
        let _ = reply.send(answer);
    }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (rows, replies): (Vec<Notification>, Vec<Reply>) =
            batch.drain(..).map(|j| (j.row, j.reply)).unzip();
        match store.insert_notifications(&rows).await {
            Ok(gone) => answer(rows, replies, &gone),
            // A row the database refuses must not fail the others: each is tried alone.
            Err(_) if rows.len() > 1 => {
                for (row, reply) in rows.into_iter().zip(replies) {
                    let result = store.insert_notifications(std::slice::from_ref(&row)).await;
                    match result {
                        Ok(gone) => answer(vec![row], vec![reply], &gone),
                        Err(e) => drop(reply.send(Err(e))),
                    }
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}

/// The writer of a store, started on first use (so a store opened for a one-off job starts
/// none).
#[derive(Clone, Debug, Default)]
pub(super) struct LazyWriter(Arc<std::sync::OnceLock<NotifyWriter>>);

impl LazyWriter {
    pub(super) fn get(&self, store: &Store) -> &NotifyWriter {
        self.0.get_or_init(|| NotifyWriter::start(store))
    }
}
