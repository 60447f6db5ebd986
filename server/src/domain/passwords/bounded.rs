//! A bound on password checks anyone can start. Each argon2 hash holds 19 MiB while it runs;
//! unbounded, 128 parallel wrong sign-ins held 2.4 GiB. Here at most `TAOS_PASSWORD_CHECKS`
//! run at once (default: the number of cores, more would only queue for a core anyway), at
//! most `TAOS_PASSWORD_QUEUE` more wait (default 64), and beyond that the caller gets
//! 503 `password_checks_busy` with `Retry-After` at once.
//!
//! The memory must also go back to the system afterwards: glibc raises its mmap threshold
//! to the size of the first big block freed, so from the second hash on the 19 MiB came from
//! the per-thread arenas and stayed there. A fixed threshold (set once, before the first
//! hash) keeps such blocks mmapped, so each is unmapped when its hash ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

use crate::errors::{self, Error, Result};

/// What a queued check waits at most, as told in `Retry-After`.
const RETRY_AFTER_SECS: &str = "1";

struct Pool {
    running: Arc<Semaphore>,
    /// Checks admitted (running or waiting for a permit).
    admitted: Arc<AtomicUsize>,
    /// How many may be admitted at once: running plus queued.
    capacity: usize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let running = env_usize("TAOS_PASSWORD_CHECKS").unwrap_or(cores).max(1);
    let queue = env_usize("TAOS_PASSWORD_QUEUE").unwrap_or(64);
    Pool {
        running: Arc::new(Semaphore::new(running)),
        admitted: Arc::new(AtomicUsize::new(0)),
        capacity: running + queue,
    }
});

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// One admitted check; leaving (however the check ends) frees its place.
struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy() -> Error {
    Error::new(
        &errors::PASSWORD_CHECKS_BUSY,
        "The server is checking too many passwords at once.",
    )
    .with("retry_after", RETRY_AFTER_SECS)
}

/// Whether `password` matches `phc`; with no hash (an unknown username), spends the time of a
/// real check and answers false. Bounded as the module says.
pub async fn check(password: String, phc: Option<String>) -> Result<bool> {
    let pool = &*POOL;
    if pool.admitted.fetch_add(1, Ordering::AcqRel) >= pool.capacity {
        pool.admitted.fetch_sub(1, Ordering::AcqRel);
        return Err(busy());
    }
    let admitted = Admitted(pool.admitted.clone());
    let permit = pool
        .running
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::internal("password check permit", e))?;
    // The permit and the place move into the task: a caller that hangs up does not free them
    // while the hash still runs.
    tokio::task::spawn_blocking(move || {
        let _held = (permit, admitted);
        match phc {
            Some(phc) => super::verify(&password, &phc),
            None => {
                super::verify_dummy(&password);
                false
            }
        }
    })
    .await
    .map_err(|e| Error::internal("password check task", e))
}

/// Before any hash: see the module docs. Idempotent and cheap after the first call.
pub(super) fn keep_big_blocks_mapped() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(set_mmap_threshold);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_mmap_threshold() {
    // 4 MiB: far below argon2's 19 MiB block array, far above the server's everyday
    // allocations, which stay in the arenas as before.
    const THRESHOLD: libc::c_int = 4 << 20;
    // SAFETY: mallopt only sets allocator parameters; glibc takes its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_answer_like_verify() {
        let h = super::super::hash("pw");
        assert!(check("pw".into(), Some(h.clone())).await.unwrap());
        assert!(!check("px".into(), Some(h)).await.unwrap());
        assert!(!check("pw".into(), None).await.unwrap());
    }
}
