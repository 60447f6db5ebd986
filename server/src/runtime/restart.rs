//! The restart policy shared by every backend (Docker's and systemd's vocabulary): what to
//! do when a run ends without a stop verb, with a capped exponential back-off that resets
//! after a healthy run and gives up after too many fast failures in a row (supervisord's
//! FATAL).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::state::Exit;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    No,
    OnFailure,
    Always,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::OnFailure => "on-failure",
            Self::Always => "always",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The pause before the first restart; doubled for each fast failure after it.
    pub initial: Duration,
    pub max: Duration,
    /// A run this long counts as healthy: the next failure starts the back-off again.
    pub healthy_after: Duration,
    /// This many fast failures in a row and the policy gives up (at least 1).
    pub max_fast_failures: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
            max_fast_failures: 5,
        }
    }
}

/// What happens after a run ended on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The policy does not restart it: it stays as its exit left it.
    Stay,
    RestartAfter(Duration),
    /// `failures` fast failures in a row: it stays `failed`.
    GiveUp {
        failures: u32,
    },
}

impl Backoff {
    /// Decides after a run of `ran_for` that ended with `exit`; `streak` is the instance's
    /// count of fast failures in a row, kept across runs and updated here.
    pub fn after_exit(&self, policy: RestartPolicy, exit: Exit, ran_for: Duration, streak: &mut u32) -> Next {
        let restarts = match policy {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure => !exit.success(),
            RestartPolicy::Always => true,
        };
        if ran_for >= self.healthy_after {
            *streak = 0;
        }
        if !restarts {
            return Next::Stay;
        }
        *streak += 1;
        if *streak >= self.max_fast_failures.max(1) {
            return Next::GiveUp { failures: *streak };
        }
        let doublings = (*streak - 1).min(31);
        let delay = self
            .initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max);
        Next::RestartAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_millis(10);

    #[test]
    fn on_failure_backs_off_doubling_to_the_cap_then_gives_up() {
        let b = Backoff {
            max_fast_failures: 9,
            ..Backoff::default()
        };
        let mut streak = 0;
        let delays: Vec<Next> = (0..9)
            .map(|_| b.after_exit(RestartPolicy::OnFailure, Exit::code(1), FAST, &mut streak))
            .collect();
        let secs = |s| Next::RestartAfter(Duration::from_secs(s));
        assert_eq!(
            delays,
            [
                secs(1),
                secs(2),
                secs(4),
                secs(8),
                secs(16),
                secs(32),
                secs(60),
                secs(60),
                Next::GiveUp { failures: 9 }
            ]
        );
    }

    #[test]
    fn a_healthy_run_resets_the_back_off() {
        let b = Backoff::default();
        let mut streak = 0;
        for _ in 0..3 {
            b.after_exit(RestartPolicy::Always, Exit::code(1), FAST, &mut streak);
        }
        assert_eq!(streak, 3);
        let next = b.after_exit(
            RestartPolicy::Always,
            Exit::code(1),
            Duration::from_secs(61),
            &mut streak,
        );
        assert_eq!(next, Next::RestartAfter(Duration::from_secs(1)));
        assert_eq!(streak, 1);
    }

    #[test]
    fn which_exits_restart() {
        let b = Backoff::default();
        let cases = [
            (RestartPolicy::No, Exit::code(1), false),
            (RestartPolicy::No, Exit::signal(9), false),
            (RestartPolicy::OnFailure, Exit::code(0), false),
            (RestartPolicy::OnFailure, Exit::code(2), true),
            (RestartPolicy::OnFailure, Exit::signal(9), true),
            (RestartPolicy::Always, Exit::code(0), true),
        ];
        for (policy, exit, restarts) in cases {
            let mut streak = 0;
            let next = b.after_exit(policy, exit, FAST, &mut streak);
            assert_eq!(
                matches!(next, Next::RestartAfter(_)),
                restarts,
                "{policy:?} {exit:?}"
            );
            assert_eq!(streak, u32::from(restarts));
        }
    }

    #[test]
    fn huge_streaks_stay_at_the_cap() {
        let b = Backoff {
            max_fast_failures: u32::MAX,
            ..Backoff::default()
        };
        let mut streak = 100;
        let next = b.after_exit(RestartPolicy::Always, Exit::code(1), FAST, &mut streak);
        assert_eq!(next, Next::RestartAfter(b.max));
    }

    #[test]
    fn policies_use_docker_names() {
        for p in [RestartPolicy::No, RestartPolicy::OnFailure, RestartPolicy::Always] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
