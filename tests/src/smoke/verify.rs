//! Checking each task's side effect through the API, with the runner's own token. A finding
//! says what was seen, in words a person reading the report can act on.

use std::time::Duration;

use taos_client::{Client, Error, types};

use super::tasks::{AGENT_HOST, NOTIFICATION_BODY, Run, SEARCH_SCOPE, Task};

/// How long one verification may take (a few API calls).
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(15);
/// How many notifications are looked through for the one a task should have sent.
const NOTIFICATIONS_SCANNED: usize = 1000;

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

/// Whether `task`'s side effect is there.
pub async fn verify(task: Task, run: &Run, client: &Client) -> Finding {
    let check = async {
        match task {
            Task::CreateAgent => created(run, client).await,
            Task::SendNotification => sent(run, client).await,
            Task::IssueAndUseToken => issued_and_used(run, client).await,
            Task::SearchDocs => answered(run, client).await,
            Task::RevokeToken => revoked(run, client).await,
            Task::ArchiveAgent => archived(run, client).await,
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
