//! The smoke report: JSON for machines (`--report-json`), one line per task for people.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The side effect is there.
    Succeeded,
    /// The agent said it was done (exit 0) but the side effect is not there.
    WrongPath,
    /// The agent failed, timed out, could not start, or the task was skipped.
    GaveUp,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Succeeded => "succeeded",
            Outcome::WrongPath => "wrong_path",
            Outcome::GaveUp => "gave_up",
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub succeeded: usize,
    pub wrong_path: usize,
    pub gave_up: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub task: String,
    pub prompt: String,
    pub outcome: Outcome,
    /// The verification's finding and the tail of the agent's output (tokens redacted).
    pub detail: String,
    /// `null` when the agent timed out, was killed by a signal, did not start, or was skipped.
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub url: String,
    pub started_at: DateTime<Utc>,
    pub totals: Totals,
    pub results: Vec<TaskResult>,
}

impl Report {
    pub fn new(url: &str) -> Report {
        Report {
            url: url.to_string(),
            started_at: Utc::now(),
            totals: Totals::default(),
            results: Vec::new(),
        }
    }

    pub fn push(&mut self, result: TaskResult) {
        match result.outcome {
            Outcome::Succeeded => self.totals.succeeded += 1,
            Outcome::WrongPath => self.totals.wrong_path += 1,
            Outcome::GaveUp => self.totals.gave_up += 1,
        }
        self.results.push(result);
    }

    /// Whether every task succeeded (and there was at least one).
    pub fn all_succeeded(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|r| r.outcome == Outcome::Succeeded)
    }

    pub fn outcome_of(&self, task: &str) -> Option<Outcome> {
        self.results.iter().find(|r| r.task == task).map(|r| r.outcome)
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn summary(&self) -> String {
        format!(
            "{} succeeded, {} wrong_path, {} gave_up",
            self.totals.succeeded, self.totals.wrong_path, self.totals.gave_up
        )
    }
}

impl TaskResult {
    /// The line printed on stderr as the task finishes.
    pub fn line(&self) -> String {
        format!(
            "smoke: {:<20} {:<10} {:>6.1} s  {}",
            self.task,
            self.outcome.to_string(),
            self.duration_ms as f64 / 1000.0,
            self.detail
        )
    }
}
