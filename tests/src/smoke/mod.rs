//! The A-tier smoke runner behind `taos-conformance smoke`: each canonical task goes to an agent
//! command as a plain-English prompt, then its side effect is verified through the API.
//!
//! - [`tasks`]: the tasks, their order, dependencies and prompts;
//! - [`agent`]: running the agent command (process group, time limit, output tail);
//! - [`verify`]: the checks, with the runner's token;
//! - [`report`]: the JSON report and the per-task lines.
//!
//! Outcome of a task: verified → `succeeded`; not verified and the agent exited 0 →
//! `wrong_path`; otherwise (non-zero exit, time limit, no start, or a failed dependency) →
//! `gave_up`.

pub mod agent;
pub mod report;
pub mod tasks;
pub mod verify;

use std::time::{Duration, Instant};

use taos_client::types;

pub use report::{Outcome, Report, TaskResult, Totals};
pub use tasks::{Run, Task};

/// How much of the agent's output goes into a task's detail, per stream.
const TAIL_CHARS: usize = 150;

/// Everything one run needs.
pub struct Options {
    pub url: String,
    pub token: String,
    pub agent_cmd: String,
    pub tasks: Vec<Task>,
    pub timeout: Duration,
}

/// `url` as the runner and the agent use it, or why it cannot be used.
pub fn check_url(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--url {url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "--url {url:?} must be an http:// or https:// URL of a taOS server, e.g. http://127.0.0.1:6969"
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Checks the token with `GET /api/auth/whoami` before any task runs.
pub async fn preflight(url: &str, token: &str) -> Result<types::Whoami, String> {
    if token.trim().is_empty() {
        return Err("no token: set TAOS_TOKEN, or pass --token-stdin (or --token)".into());
    }
    let client =
        taos_client::client(url, Some(token)).map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    match tokio::time::timeout(verify::VERIFY_TIMEOUT, client.whoami().send()).await {
        Ok(Ok(me)) => Ok(me.into_inner()),
        Ok(Err(e)) if e.status().is_some_and(|s| s.as_u16() == 401) => Err(format!(
            "the token was rejected: GET /api/auth/whoami answered {}; give a valid taOS token (a `*` user token, e.g. from `taosctl auth token`)",
            verify::describe(&e)
        )),
        Ok(Err(e)) => Err(format!(
            "GET {url}/api/auth/whoami failed: {}; is a taOS server running there?",
            verify::describe(&e)
        )),
        Err(_) => Err(format!(
            "GET {url}/api/auth/whoami did not answer within {:?}",
            verify::VERIFY_TIMEOUT
        )),
    }
}

/// Runs the tasks in order, printing a line per task on stderr as it finishes.
pub async fn run(opts: &Options) -> Report {
    let run = Run::new(&opts.url);
    let mut report = Report::new(&run.url);
    let client = taos_client::client(&run.url, Some(&opts.token));
    eprintln!(
        "smoke: run {} against {}: {} task(s), agent `{}`",
        run.id,
        run.url,
        opts.tasks.len(),
        // Someone may have written the token into the command itself.
        agent::redact(&opts.agent_cmd, &opts.token)
    );
    for &task in &opts.tasks {
        let blocked = task
            .depends_on()
            .filter(|dep| report.outcome_of(dep.name()) != Some(Outcome::Succeeded));
        let result = match (blocked, &client) {
            (Some(dep), _) => TaskResult {
                task: task.name().into(),
                prompt: task.prompt(&run),
                outcome: Outcome::GaveUp,
                detail: format!("skipped: depends on {dep}"),
                exit_code: None,
                duration_ms: 0,
            },
            (None, Ok(client)) => run_task(task, &run, opts, client).await,
            (None, Err(e)) => TaskResult {
                task: task.name().into(),
                prompt: task.prompt(&run),
                outcome: Outcome::GaveUp,
                detail: format!("cannot build an HTTP client to verify with: {e}"),
                exit_code: None,
                duration_ms: 0,
            },
        };
        eprintln!("{}", result.line());
        report.push(result);
    }
    eprintln!("smoke: {}", report.summary());
    report
}

async fn run_task(task: Task, run: &Run, opts: &Options, client: &taos_client::Client) -> TaskResult {
    let prompt = task.prompt(run);
    let started = Instant::now();
    let work = agent::run(agent::Invocation {
        cmd: &opts.agent_cmd,
        prompt: &prompt,
        env: vec![
            ("TAOS_URL", run.url.clone()),
            ("TAOS_TOKEN", opts.token.clone()),
            ("TAOS_SMOKE_PROMPT", prompt.clone()),
            ("TAOS_SMOKE_TASK", task.name().to_string()),
        ],
        timeout: opts.timeout,
    });
    let (ran, watched) = verify::watching(task, run, client, work).await;
    let finding = verify::verify(task, run, client, &watched).await;

    let outcome = if finding.verified {
        Outcome::Succeeded
    } else if ran.exited_ok() {
        Outcome::WrongPath
    } else {
        Outcome::GaveUp
    };
    let how = match &ran.ended {
        agent::Ended::Exited(status) => match status.code() {
            Some(code) => format!("agent exited {code}"),
            None => format!("agent ended by {status}"),
        },
        agent::Ended::TimedOut => format!(
            "agent timed out after {} s and was killed",
            opts.timeout.as_secs()
        ),
        agent::Ended::NotStarted(why) => why.clone(),
    };
    // The finding quotes what the agent wrote (a notification's body), which may be a token.
    let mut detail = format!("{}; {how}", agent::redact(&finding.detail, &opts.token));
    for (label, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        let tail = agent::tail(text, &opts.token, TAIL_CHARS);
        if !tail.is_empty() {
            detail.push_str(&format!("; {label}: {tail}"));
        }
    }
    TaskResult {
        task: task.name().into(),
        prompt,
        outcome,
        detail,
        exit_code: ran.exit_code(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
