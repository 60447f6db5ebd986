//! WAL checkpoints of a SQLite file, on a thread of their own.
//!
//! Why: with `synchronous=NORMAL` a commit only appends to the WAL; the disk flushes happen
//! when the WAL is checkpointed into the database file. By default the connection whose
//! commit takes the WAL past 1000 pages runs that checkpoint itself, before its commit
//! returns, so one write in a thousand pages waited for two fsyncs — tens of milliseconds on
//! a shared disk, and with group commit every notification of that batch waited too (the
//! notify p99 in docs/benchmarks.md). Here a thread checkpoints every [`INTERVAL`] instead,
//! PASSIVE (it never waits for, nor blocks, a reader or the writer), and the pool's
//! connections only checkpoint themselves when the WAL is far past that ([`POOL_AUTOCHECKPOINT`]),
//! should this thread fall behind. Durability is unchanged: a commit is in the WAL before it
//! is answered either way.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the WAL is checkpointed while the store is open. Often enough that under a full
/// notify load (about 16 MB of WAL a second on the benchmark's box) the WAL stays far below
/// [`WRITER_AUTOCHECKPOINT`]: at 500 ms it grew past 10 000 pages between two checkpoints, so
/// the notification writer ran one itself at commit, two fsyncs with every notification of
/// its batch waiting (a few times a second: the notify p99). A checkpoint with nothing to copy
/// costs a look at the WAL index and no fsync.
const INTERVAL: Duration = Duration::from_millis(100);

/// WAL pages after which a pool connection checkpoints at commit (SQLite's default is 1000):
/// the fallback when the checkpoint thread falls behind (40 MB of 4 KB pages).
pub(super) const POOL_AUTOCHECKPOINT: u32 = 10_000;

/// The same fallback for the notification writer, set further out: its commits are the ones
/// every waiting notify shares, so it checkpoints only when this thread is far behind (160 MB).
pub(super) const WRITER_AUTOCHECKPOINT: u32 = 4 * POOL_AUTOCHECKPOINT;

/// The checkpoint thread of one store; it ends when this is dropped (with the last `Store`).
#[derive(Debug)]
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(path: PathBuf) -> std::io::Result<Checkpointer> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("taos-checkpoint".into())
            .spawn(move || run(&path, &stopped))?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn run(path: &Path, stopped: &mpsc::Receiver<()>) {
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the database for WAL checkpoints; commits will run them");
            return;
        }
    };
    let mut failing = false;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        // Answers (busy, WAL frames, frames checkpointed); a busy one is simply tried again.
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
            Err(_) => {}
        }
    }
}
