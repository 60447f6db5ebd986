//! Password guessing, slowed down: per username and per client address, a few failed
//! sign-ins are free, then every further attempt must wait a back-off that doubles with each
//! failure (429 `too_many_attempts` with `Retry-After` meanwhile, correct password or not:
//! otherwise the answer would still tell a guess right). One limiter serves `POST /auth/login`,
//! `POST /auth/token` and the `/login` form, so failures on one count for all three.
//!
//! An attempt is charged when it starts, not when its answer is known, so a burst of parallel
//! guesses cannot all slip in before the first one fails; a success gives its charge back and
//! clears its username. It lives in memory: each replica keeps its own counts, and a restart
//! forgets them.
//!
//! Settings (environment, read once): `TAOS_LOGIN_USER_FAILURES` (free failures per username,
//! default 5), `TAOS_LOGIN_ADDRESS_FAILURES` (per address, default 30),
//! `TAOS_LOGIN_BACKOFF_SECS` (the first wait, default 1), `TAOS_LOGIN_BACKOFF_MAX_SECS` (the
//! longest, default 300), `TAOS_LOGIN_FORGET_SECS` (failures older than this are forgotten,
//! default 900).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use crate::errors::{self, Error, Result};

/// Keys tracked at most; beyond, the ones not blocking anybody are dropped first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub user_failures: u32,
    pub address_failures: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub forget: Duration,
}

impl Limits {
    fn from_env() -> Limits {
        let n = |name: &str, default: u64| -> u64 {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        let count = |name: &str, default: u64| u32::try_from(n(name, default)).unwrap_or(u32::MAX);
        Limits {
            user_failures: count("TAOS_LOGIN_USER_FAILURES", 5),
            address_failures: count("TAOS_LOGIN_ADDRESS_FAILURES", 30),
            backoff: Duration::from_secs(n("TAOS_LOGIN_BACKOFF_SECS", 1).max(1)),
            max_backoff: Duration::from_secs(n("TAOS_LOGIN_BACKOFF_MAX_SECS", 300).max(1)),
            forget: Duration::from_secs(n("TAOS_LOGIN_FORGET_SECS", 900).max(1)),
        }
    }

    /// The wait after `over` failures beyond the free ones (0 → the first back-off).
    fn backoff(&self, over: u32) -> Duration {
        let factor = 1u32.checked_shl(over.min(30)).unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Lower-cased: a guesser gains nothing from changing case.
    User(String),
    /// IPv4 as is; IPv6 by its /64, which one host usually holds whole. `None` when the
    /// connection did not record its peer: then every caller shares one address count, as
    /// clients behind one reverse proxy do anyway.
    Address(Option<IpAddr>),
}

impl Key {
    fn free(&self, limits: &Limits) -> u32 {
        match self {
            Key::User(_) => limits.user_failures,
            Key::Address(_) => limits.address_failures,
        }
    }
}

fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
        v4 => v4,
    }
}

#[derive(Debug)]
struct Entry {
    /// Attempts charged and not given back.
    failures: u32,
    blocked_until: Instant,
    last: Instant,
}

pub struct Limiter {
    limits: Limits,
    entries: Mutex<HashMap<Key, Entry>>,
}

/// An attempt let through; say how it ended with [`Attempt::succeeded`]. Dropped without
/// that, it stays charged as a failure.
#[must_use]
pub struct Attempt<'a> {
    limiter: &'a Limiter,
    /// Each key charged, with the block it had before and the block this attempt set.
    charged: Vec<(Key, Instant, Instant)>,
}

static LIMITER: LazyLock<Limiter> = LazyLock::new(|| Limiter::new(Limits::from_env()));

/// The process's limiter.
pub fn limiter() -> &'static Limiter {
    &LIMITER
}

fn too_many(wait: Duration) -> Error {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::new(
        &errors::TOO_MANY_ATTEMPTS,
        format!("Too many failed sign-ins for this username or from this address; wait {secs} s."),
    )
    .with("retry_after", secs.max(1).to_string())
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Lets an attempt for `username` from `address` through, or answers 429 with the wait.
    pub fn begin(&self, username: &str, address: Option<IpAddr>) -> Result<Attempt<'_>> {
        let keys = [
            Key::User(username.to_lowercase()),
            Key::Address(address.map(address_key)),
        ];
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_KEYS {
            let forget = self.limits.forget;
            entries.retain(|_, e| e.blocked_until > now || now.duration_since(e.last) < forget);
            if entries.len() >= MAX_KEYS {
                entries.retain(|_, e| e.blocked_until > now);
            }
        }
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|e| e.blocked_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(too_many(wait));
        }
        let mut charged = Vec::with_capacity(keys.len());
        for key in keys {
            let free = key.free(&self.limits);
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                blocked_until: now,
                last: now,
            });
            if now.duration_since(entry.last) >= self.limits.forget {
                entry.failures = 0;
            }
            let before = entry.blocked_until;
            entry.failures = entry.failures.saturating_add(1);
            entry.last = now;
            if entry.failures >= free.max(1) {
                entry.blocked_until = now + self.limits.backoff(entry.failures - free.max(1));
            }
            charged.push((key, before, entry.blocked_until));
        }
        Ok(Attempt {
            limiter: self,
            charged,
        })
    }
}

impl Attempt<'_> {
    /// The password was right: the username starts afresh, the address gets its charge back.
    pub fn succeeded(self) {
        self.settle(true);
    }

    /// No password was checked (the server was busy or failed): every charge goes back.
    pub fn not_checked(self) {
        self.settle(false);
    }

    fn settle(self, clear_user: bool) {
        let mut entries = self.limiter.entries.lock().unwrap_or_else(|e| e.into_inner());
        for (key, before, set) in self.charged {
            if clear_user && matches!(key, Key::User(_)) {
                entries.remove(&key);
            } else if let Some(e) = entries.get_mut(&key) {
                e.failures = e.failures.saturating_sub(1);
                // Lift the block this attempt set, unless a later failure has set its own.
                if e.blocked_until == set {
                    e.blocked_until = before;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            user_failures: 3,
            address_failures: 5,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(25),
            forget: Duration::from_secs(900),
        }
    }

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn a_username_waits_after_its_free_failures() {
        let l = Limiter::new(limits());
        for _ in 0..3 {
            drop(l.begin("Ada", A).unwrap());
        }
        let e = l.begin("ada", A).err().unwrap();
        assert!(e.is(&errors::TOO_MANY_ATTEMPTS));
        assert_eq!(e.extra, vec![("retry_after", "10".to_string())]);
        // Another username from that address still may try.
        drop(l.begin("grace", A).unwrap());
    }

    #[test]
    fn an_address_waits_after_its_free_failures_whatever_the_username() {
        let l = Limiter::new(limits());
        for i in 0..5 {
            drop(l.begin(&format!("u{i}"), A).unwrap());
        }
        assert!(l.begin("new", A).is_err());
        let elsewhere = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
        assert!(
            l.begin("new", elsewhere).is_ok(),
            "the username alone is not blocked"
        );
    }

    #[test]
    fn success_clears_the_username_and_refunds_the_address() {
        let l = Limiter::new(limits());
        for _ in 0..2 {
            drop(l.begin("ada", A).unwrap());
        }
        l.begin("ada", A).unwrap().succeeded();
        for _ in 0..3 {
            drop(l.begin("ada", A).unwrap());
        }
        assert!(l.begin("ada", A).is_err());
        // Address: 2 + 3 failures charged, the success given back: 5 → blocked now.
        assert!(l.begin("other", A).is_err());
    }

    #[test]
    fn unchecked_attempts_cost_nothing() {
        let l = Limiter::new(limits());
        for _ in 0..10 {
            l.begin("ada", A).unwrap().not_checked();
        }
        drop(l.begin("ada", A).unwrap());
    }

    #[test]
    fn many_successes_never_block_an_address() {
        let l = Limiter::new(limits());
        for _ in 0..100 {
            l.begin("ada", A).unwrap().succeeded();
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let l = limits();
        assert_eq!(l.backoff(0), Duration::from_secs(10));
        assert_eq!(l.backoff(1), Duration::from_secs(20));
        assert_eq!(l.backoff(2), Duration::from_secs(25));
        assert_eq!(l.backoff(u32::MAX), Duration::from_secs(25));
    }

    #[test]
    fn ipv6_addresses_group_by_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
