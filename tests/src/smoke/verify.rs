//! Checking each task's side effect through the API, with the runner's own token. A finding
//! says what was seen, in words a person reading the report can act on.

use std::future::Future;
use std::num::NonZeroU64;
use std::time::Duration;

use futures::TryStreamExt;
use taos_client::{Client, Error, types};

use super::tasks::{AGENT_HOST, NOTIFICATION_BODY, Run, SEARCH_SCOPE, Task};

/// How long one verification may take (a few API calls).
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(15);
/// How many notifications are looked through for the one a task should have sent.
const NOTIFICATIONS_SCANNED: usize = 1000;
/// How long the deployed agent's own notification may take to arrive after the agent under
/// test is done: the deployed program sends it on its own time, not the agent's.
const NOTIFICATION_GRACE: Duration = Duration::from_secs(10);
/// How many of the deployed agent's last log lines a `read-logs` answer is looked for in.
const LOG_LINES_SCANNED: NonZeroU64 = NonZeroU64::new(1000).expect("1000 is not zero");
/// How long the runner's watch is given to be in place before the agent under test starts
/// (its first wait request must reach taosd before a pause can be missed).
const WATCH_HEAD_START: Duration = Duration::from_millis(500);
/// How long the watch may still take to report after the agent under test has ended.
const WATCH_GRACE: Duration = Duration::from_secs(2);
/// One long-poll of the watch: under the client's 60 s limit on a whole answer.
const WATCH_POLL_S: i64 = 50;

#[derive(Debug, Clone)]
pub struct Finding {
    pub verified: bool,
    pub detail: String,
}

fn yes(detail: impl Into<String>) -> Finding {
    Finding {
        verified: true,
        detail: detail.into(),
    }
}

fn no(detail: impl Into<String>) -> Finding {
    Finding {
        verified: false,
        detail: detail.into(),
    }
}

/// What the runner saw while the agent worked, for a task whose effect leaves no trace once
/// it is done: a paused and resumed agent looks like one never paused.
#[derive(Debug, Default, Clone)]
pub struct Watched {
    /// `pause-resume`: the deployed agent's state before the task (`None`: it could not be
    /// read).
    pub before: Option<types::AgentState>,
    /// `pause-resume`: the deployed agent was seen `paused` while the task ran.
    pub saw_paused: bool,
}

/// Runs `work` (the agent doing `task`), watching what `task` needs watched meanwhile.
pub async fn watching<F: Future>(task: Task, run: &Run, client: &Client, work: F) -> (F::Output, Watched) {
    if task != Task::PauseResume {
        return (work.await, Watched::default());
    }
    let name = run.deployed_agent();
    let before = client
        .get_agent_runtime()
        .name(name.as_str())
        .send()
        .await
        .ok()
        .map(|rt| rt.into_inner().state);
    let watch = until_paused(client, &name);
    tokio::pin!(watch);
    // The watch goes first, so that its wait is in place before the agent can pause.
    let mut saw_paused = tokio::time::timeout(WATCH_HEAD_START, &mut watch).await.is_ok();
    let out = if saw_paused {
        work.await
    } else {
        tokio::pin!(work);
        tokio::select! {
            out = &mut work => {
                saw_paused = tokio::time::timeout(WATCH_GRACE, &mut watch).await.is_ok();
                out
            }
            () = &mut watch => {
                saw_paused = true;
                work.await
            }
        }
    };
    (out, Watched { before, saw_paused })
}

/// Ends once the agent `name` is seen paused (`GET /api/agents/{name}/wait?state=paused`,
/// which answers at the first change to it); never otherwise.
async fn until_paused(client: &Client, name: &str) {
    loop {
        match client
            .wait_agent()
            .name(name)
            .state(types::InstanceState::Paused)
            .timeout_s(WATCH_POLL_S)
            .send()
            .await
        {
            Ok(_) => return,
            // 408: not paused yet; ask again.
            Err(e) if e.status().is_some_and(|s| s.as_u16() == 408) => {}
            // Anything else (the agent not there yet, a blip): keep watching, gently.
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Whether `task`'s side effect is there; `watched` is what [`watching`] saw.
pub async fn verify(task: Task, run: &Run, client: &Client, watched: &Watched) -> Finding {
    let check = async {
        match task {
            Task::CreateAgent => created(run, client).await,
            Task::SendNotification => sent(run, client).await,
            Task::IssueAndUseToken => issued_and_used(run, client).await,
            Task::SearchDocs => answered(run, client).await,
            Task::RevokeToken => revoked(run, client).await,
            Task::ArchiveAgent => archived(run, client).await,
            Task::DeployAgent => deployed(run, client).await,
            Task::ReadLogs => logs_read(run, client).await,
            Task::PauseResume => paused_and_resumed(run, client, watched).await,
        }
    };
    match tokio::time::timeout(VERIFY_TIMEOUT, check).await {
        Ok(Ok(finding)) => finding,
        Ok(Err(problem)) => no(format!("could not verify: {problem}")),
        Err(_) => no(format!(
            "could not verify: the API did not answer within {VERIFY_TIMEOUT:?}"
        )),
    }
}

/// An API failure in a sentence: `404 agent_not_found (…detail…)`, or the transport error.
pub fn describe(e: &Error<types::Error>) -> String {
    match e {
        Error::ErrorResponse(rv) => format!("{} {} ({})", rv.status().as_u16(), rv.error, rv.detail),
        Error::UnexpectedResponse(resp) => format!("unexpected answer {}", resp.status()),
        other => other.to_string(),
    }
}

/// The agent `name`, or `None` when the API says it does not exist.
async fn agent(client: &Client, name: &str) -> Result<Option<types::Agent>, String> {
    match client.get_agent().name(name).send().await {
        Ok(agent) => Ok(Some(agent.into_inner())),
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 404) => Ok(None),
        Err(e) => Err(format!("GET /api/agents/{name}: {}", describe(&e))),
    }
}

/// The user's notifications titled `title`, newest first.
async fn notifications_titled(client: &Client, title: &str) -> Result<Vec<types::Notification>, String> {
    let mut found = Vec::new();
    let mut cursor = None;
    let mut seen = 0;
    loop {
        let mut req = client.list_notifications().limit(200);
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = req
            .send()
            .await
            .map_err(|e| format!("GET /api/notifications: {}", describe(&e)))?
            .into_inner();
        seen += page.items.len();
        found.extend(page.items.into_iter().filter(|n| n.title == title));
        match page.next_cursor {
            Some(c) if seen < NOTIFICATIONS_SCANNED => cursor = Some(c),
            _ => return Ok(found),
        }
    }
}

async fn created(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.agent();
    Ok(match agent(client, &name).await? {
        None => no(format!("GET /api/agents/{name} answered 404: no agent {name:?}")),
        Some(a) if a.host.as_deref() == Some(AGENT_HOST) => {
            yes(format!("agent {name:?} exists on host {AGENT_HOST}"))
        }
        Some(a) => no(format!(
            "agent {name:?} exists but its host is {:?}, not {AGENT_HOST:?}",
            a.host
        )),
    })
}

async fn sent(run: &Run, client: &Client) -> Result<Finding, String> {
    let title = run.notification_title();
    let found = notifications_titled(client, &title).await?;
    Ok(if found.iter().any(|n| n.message == NOTIFICATION_BODY) {
        yes(format!(
            "notification {title:?} with body {NOTIFICATION_BODY:?} is in the inbox"
        ))
    } else if let Some(n) = found.first() {
        no(format!(
            "notification {title:?} is in the inbox, but its body is {:?}, not {NOTIFICATION_BODY:?}",
            n.message
        ))
    } else {
        no(format!("no notification titled {title:?} in the inbox"))
    })
}

async fn issued_and_used(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.agent();
    let Some(a) = agent(client, &name).await? else {
        return Ok(no(format!(
            "GET /api/agents/{name} answered 404: no agent {name:?}"
        )));
    };
    if !a.has_token {
        return Ok(no(format!("agent {name:?} has no token (has_token is false)")));
    }
    let title = run.hello_title();
    let source = format!("agent:{name}");
    let found = notifications_titled(client, &title).await?;
    Ok(if found.iter().any(|n| n.source == source) {
        yes(format!(
            "agent {name:?} has a token, and notification {title:?} came from {source}"
        ))
    } else if let Some(n) = found.first() {
        no(format!(
            "agent {name:?} has a token, but notification {title:?} came from {}, not {source}: it was not sent with the agent's token",
            n.source
        ))
    } else {
        no(format!(
            "agent {name:?} has a token, but there is no notification titled {title:?}"
        ))
    })
}

async fn answered(run: &Run, client: &Client) -> Result<Finding, String> {
    let title = run.answer_title();
    let found = notifications_titled(client, &title).await?;
    Ok(if found.iter().any(|n| n.message.trim() == SEARCH_SCOPE) {
        yes(format!("notification {title:?} answers {SEARCH_SCOPE:?}"))
    } else if let Some(n) = found.first() {
        no(format!(
            "notification {title:?} answers {:?}, not {SEARCH_SCOPE:?}",
            n.message
        ))
    } else {
        no(format!("no notification titled {title:?} in the inbox"))
    })
}

async fn revoked(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.agent();
    Ok(match agent(client, &name).await? {
        None => no(format!(
            "GET /api/agents/{name} answered 404: the agent is gone, not just its token"
        )),
        Some(a) if a.has_token => no(format!("agent {name:?} still has a token")),
        Some(_) => yes(format!("agent {name:?} has no token any more")),
    })
}

async fn archived(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.agent();
    if agent(client, &name).await?.is_some() {
        return Ok(no(format!(
            "agent {name:?} is still live (GET /api/agents/{name} answers 200)"
        )));
    }
    let mut cursor = None;
    loop {
        let mut req = client.list_archived_agents().limit(200);
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = req
            .send()
            .await
            .map_err(|e| format!("GET /api/agents/archived: {}", describe(&e)))?
            .into_inner();
        if page.items.iter().any(|a| a.name == name) {
            return Ok(yes(format!("agent {name:?} answers 404 and is in the archive")));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => {
                return Ok(no(format!(
                    "agent {name:?} answers 404 but is not in GET /api/agents/archived (purged, or never created)"
                )));
            }
        }
    }
}

/// The deploy of `deployed-<id>` succeeded, and its own program notified the user with the
/// token the deploy issued (the agent's current token, issued in the deploy's `issue_token`
/// step: a token issued afterwards, from outside, would have replaced it).
async fn deployed(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.deployed_agent();
    let op = match client.get_agent_deploy_status().name(name.as_str()).send().await {
        Ok(op) => op.into_inner(),
        Err(Error::ErrorResponse(rv)) if rv.error == "deploy_not_found" => {
            return Ok(no(format!(
                "agent {name:?} exists but was not deployed (created with POST /api/agents, not POST /api/agents/deploy)"
            )));
        }
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 404) => {
            return Ok(no(format!(
                "GET /api/agents/{name}/deploy-status answered {}: no agent {name:?} was deployed",
                describe(&e)
            )));
        }
        Err(e) => return Err(format!("GET /api/agents/{name}/deploy-status: {}", describe(&e))),
    };
    match op.status {
        types::OperationStatus::Succeeded => {}
        types::OperationStatus::Running => {
            return Ok(no(format!("the deploy of {name:?} ({}) is still running", op.id)));
        }
        types::OperationStatus::Failed => {
            let why = op.error.as_ref().map_or_else(
                || "no error given".to_string(),
                |e| {
                    let step = e.step.as_deref().unwrap_or("-");
                    format!("{} at step {step}: {}", e.error, e.detail)
                },
            );
            return Ok(no(format!("the deploy of {name:?} ({}) failed: {why}", op.id)));
        }
    }
    let Some(a) = agent(client, &name).await? else {
        return Ok(no(format!(
            "the deploy of {name:?} succeeded but the agent is gone"
        )));
    };
    let issued_by_deploy = op
        .steps
        .iter()
        .find(|s| s.name == "issue_token")
        .and_then(|s| s.finished_at);
    match (a.issued_at, issued_by_deploy) {
        (None, _) => {
            return Ok(no(format!(
                "agent {name:?} has no token: it was revoked after the deploy"
            )));
        }
        // Times are kept to the second or finer: a second of slack for the rounding.
        (Some(issued), Some(step)) if issued > step + chrono::Duration::seconds(1) => {
            return Ok(no(format!(
                "agent {name:?} has a token issued at {issued}, after the deploy issued one ({step}): the program did not keep the token taOS injected"
            )));
        }
        _ => {}
    }
    let title = run.up_title();
    let source = format!("agent:{name}");
    let deadline = tokio::time::Instant::now() + NOTIFICATION_GRACE;
    loop {
        let found = notifications_titled(client, &title).await?;
        if found.iter().any(|n| n.source == source) {
            return Ok(yes(format!(
                "agent {name:?} was deployed (operation {} succeeded) and its program sent notification {title:?} as {source}",
                op.id
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(match found.first() {
                Some(n) => no(format!(
                    "agent {name:?} was deployed, but notification {title:?} came from {}, not {source}: it was not sent with the agent's injected token",
                    n.source
                )),
                None => no(format!(
                    "agent {name:?} was deployed, but no notification titled {title:?} came within {} s",
                    NOTIFICATION_GRACE.as_secs()
                )),
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The `read-logs` notification's body is a line the deployed agent wrote (its last one when
/// the program writes no more; any of its recent ones otherwise, as it may have written on).
async fn logs_read(run: &Run, client: &Client) -> Result<Finding, String> {
    let name = run.deployed_agent();
    let title = run.logs_title();
    let found = notifications_titled(client, &title).await?;
    let Some(n) = found.first() else {
        return Ok(no(format!("no notification titled {title:?} in the inbox")));
    };
    let lines = log_lines(client, &name).await?;
    let body = n.message.trim();
    let (last_seq, last) = lines
        .last()
        .map_or((None, ""), |(seq, l)| (Some(*seq), l.as_str()));
    Ok(
        match lines
            .iter()
            .rev()
            .find(|(_, l)| !body.is_empty() && l.trim() == body)
        {
            Some((seq, _)) if Some(*seq) == last_seq => yes(format!(
                "notification {title:?} quotes the last line of {name:?}'s logs (seq {seq})"
            )),
            Some((seq, _)) => yes(format!(
                "notification {title:?} quotes line {seq} of {name:?}'s logs (it has written on since)"
            )),
            None if lines.is_empty() => no(format!(
                "notification {title:?} says {:?}, but {name:?} has written nothing to its logs",
                n.message
            )),
            None => no(format!(
                "notification {title:?} says {:?}, which is no line of {name:?}'s logs (the last is {last:?})",
                n.message
            )),
        },
    )
}

/// The agent's last log lines, oldest first, as `(seq, line)`.
async fn log_lines(client: &Client, name: &str) -> Result<Vec<(u64, String)>, String> {
    let failed = |e: &dyn std::fmt::Display| format!("GET /api/agents/{name}/logs: {e}");
    let mut stream = client
        .get_agent_logs()
        .name(name)
        .tail(LOG_LINES_SCANNED)
        .timestamps(false)
        .send()
        .await
        .map_err(|e| failed(&describe(&e)))?
        .into_inner_stream();
    let mut text = Vec::new();
    while let Some(chunk) = stream.try_next().await.map_err(|e| failed(&e))? {
        text.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).map_err(|e| failed(&format!("a line is not JSON ({e}): {l}")))?;
            let seq = v["seq"]
                .as_u64()
                .ok_or_else(|| failed(&format!("a line has no seq: {l}")))?;
            let line = v["line"].as_str().unwrap_or_default().to_string();
            Ok((seq, line))
        })
        .collect()
}

/// The deployed agent was seen paused while the task ran, and runs again as the same run (the
/// same start: resumed, not restarted or started anew).
async fn paused_and_resumed(run: &Run, client: &Client, watched: &Watched) -> Result<Finding, String> {
    let name = run.deployed_agent();
    let now = client
        .get_agent_runtime()
        .name(name.as_str())
        .send()
        .await
        .map_err(|e| format!("GET /api/agents/{name}/runtime: {}", describe(&e)))?
        .into_inner()
        .state;
    if !watched.saw_paused {
        return Ok(no(format!(
            "agent {name:?} was never seen paused while the task ran (it is {} now)",
            now.state
        )));
    }
    if now.state != types::InstanceState::Running {
        return Ok(no(format!(
            "agent {name:?} was paused, but it is {} now, not running: it was not resumed",
            now.state
        )));
    }
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or_else(|| "-".to_string(), |t| t.to_rfc3339());
    match &watched.before {
        Some(before) if before.started_at != now.started_at => Ok(no(format!(
            "agent {name:?} was paused and runs again, but it was started anew (at {}, not {}), not resumed",
            at(now.started_at),
            at(before.started_at)
        ))),
        _ => Ok(yes(format!(
            "agent {name:?} was seen paused during the task and runs again, resumed (the run started at {})",
            at(now.started_at)
        ))),
    }
}
