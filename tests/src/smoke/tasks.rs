//! The canonical A-tier tasks: their names, order, dependencies and plain-English prompts.
//!
//! A prompt says what to achieve, never how (no endpoint, no command): finding the way is what
//! the agent under test is being measured on. Every literal the agent must reproduce is in
//! double quotes so that a reader, human or scripted, can tell where it ends.

use std::fmt;

/// One smoke run: the server and the random id that keeps this run's names apart from others'.
#[derive(Debug, Clone)]
pub struct Run {
    pub url: String,
    /// Six lowercase hex characters.
    pub id: String,
}

impl Run {
    pub fn new(url: &str) -> Run {
        let id = uuid::Uuid::new_v4().simple().to_string()[..6].to_string();
        Run {
            url: url.trim_end_matches('/').to_string(),
            id,
        }
    }

    /// The agent this run creates, gives a token, and archives: `smoke-<id>`.
    pub fn agent(&self) -> String {
        format!("smoke-{}", self.id)
    }

    pub fn notification_title(&self) -> String {
        format!("A-tier smoke {}", self.id)
    }

    pub fn hello_title(&self) -> String {
        format!("hello from {}", self.agent())
    }

    pub fn answer_title(&self) -> String {
        format!("answer {}", self.id)
    }

    /// The agent this run deploys, reads the logs of, and pauses: `deployed-<id>`.
    pub fn deployed_agent(&self) -> String {
        format!("deployed-{}", self.id)
    }

    /// What the deployed agent's own program notifies, with the token taOS injected.
    pub fn up_title(&self) -> String {
        format!("{} is up", self.deployed_agent())
    }

    pub fn logs_title(&self) -> String {
        format!("last line of {}", self.deployed_agent())
    }
}

/// The host the created agent must have (TEST-NET-1, never a real machine).
pub const AGENT_HOST: &str = "192.0.2.250";
/// The body of the `send-notification` notification.
pub const NOTIFICATION_BODY: &str = "reachable";
/// What the `search-docs` task must find: the scope of `GET /api/knowledge/search`.
pub const SEARCH_SCOPE: &str = "knowledge.read";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    CreateAgent,
    SendNotification,
    IssueAndUseToken,
    SearchDocs,
    RevokeToken,
    ArchiveAgent,
    DeployAgent,
    ReadLogs,
    PauseResume,
}

impl Task {
    /// Every task, in the order a run goes through them.
    pub const ALL: [Task; 9] = [
        Task::CreateAgent,
        Task::SendNotification,
        Task::IssueAndUseToken,
        Task::SearchDocs,
        Task::RevokeToken,
        Task::ArchiveAgent,
        Task::DeployAgent,
        Task::ReadLogs,
        Task::PauseResume,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Task::CreateAgent => "create-agent",
            Task::SendNotification => "send-notification",
            Task::IssueAndUseToken => "issue-and-use-token",
            Task::SearchDocs => "search-docs",
            Task::RevokeToken => "revoke-token",
            Task::ArchiveAgent => "archive-agent",
            Task::DeployAgent => "deploy-agent",
            Task::ReadLogs => "read-logs",
            Task::PauseResume => "pause-resume",
        }
    }

    pub fn from_name(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The task whose side effect this one needs. Revoking is measured against the token the
    /// previous task issued: without it, "no token" would be true without the agent doing
    /// anything. Reading the logs of and pausing an agent need the agent the deploy runs.
    pub const fn depends_on(self) -> Option<Task> {
        match self {
            Task::IssueAndUseToken | Task::ArchiveAgent => Some(Task::CreateAgent),
            Task::RevokeToken => Some(Task::IssueAndUseToken),
            Task::ReadLogs | Task::PauseResume => Some(Task::DeployAgent),
            Task::CreateAgent | Task::SendNotification | Task::SearchDocs | Task::DeployAgent => None,
        }
    }

    /// What the agent is asked to do, without the context preamble.
    pub fn instruction(self, run: &Run) -> String {
        let agent = run.agent();
        match self {
            Task::CreateAgent => {
                format!("Create a taOS agent named \"{agent}\" that runs on host \"{AGENT_HOST}\".")
            }
            Task::SendNotification => format!(
                "Send the user a notification titled \"{}\" with the body \"{NOTIFICATION_BODY}\".",
                run.notification_title()
            ),
            Task::IssueAndUseToken => format!(
                "Issue an API token for the taOS agent \"{agent}\". Then, authenticated with that \
                 new token rather than your own, send the user a notification titled \"{}\".",
                run.hello_title()
            ),
            Task::SearchDocs => format!(
                "Find out from the taOS documentation which scope a token needs to use the \
                 knowledge search operation. Then send the user a notification titled \"{}\" \
                 whose body is exactly that scope and nothing else.",
                run.answer_title()
            ),
            Task::RevokeToken => format!("Revoke the API token of the taOS agent \"{agent}\"."),
            Task::ArchiveAgent => format!("Delete the taOS agent \"{agent}\"."),
            Task::DeployAgent => format!(
                "Deploy a taOS agent named \"{}\": a program that taOS runs for you and keeps \
                 running. Once it runs, the program itself must send the user a notification \
                 titled \"{}\", authenticated with the API token taOS hands the agent (not with \
                 your own token), and then keep running.",
                run.deployed_agent(),
                run.up_title()
            ),
            Task::ReadLogs => format!(
                "Read the logs of the taOS agent \"{}\". Then send the user a notification \
                 titled \"{}\" whose body is exactly the last line the agent wrote there.",
                run.deployed_agent(),
                run.logs_title()
            ),
            Task::PauseResume => format!(
                "Pause the taOS agent \"{}\", then resume it so that it carries on running.",
                run.deployed_agent()
            ),
        }
    }

    /// The whole prompt: where the server is, where the token is, then the instruction.
    pub fn prompt(self, run: &Run) -> String {
        format!(
            "You are an agent working with a taOS server at {url} (documentation for agents: \
             {url}/llms.txt). Your API token is in the environment variable TAOS_TOKEN.\n\n\
             Task: {}\n",
            self.instruction(run),
            url = run.url,
        )
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The tasks to run for `names` (all when empty), with what they depend on added, in the
/// canonical order. Unknown names are an error naming them.
pub fn select(names: &[String]) -> Result<Vec<Task>, String> {
    if names.is_empty() {
        return Ok(Task::ALL.to_vec());
    }
    let mut wanted = Vec::new();
    for name in names {
        let task = Task::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Task::ALL.iter().map(|t| t.name()).collect();
            format!("unknown task {name:?}; the tasks are: {}", known.join(", "))
        })?;
        let mut next = Some(task);
        while let Some(t) = next {
            if !wanted.contains(&t) {
                wanted.push(t);
            }
            next = t.depends_on();
        }
    }
    Ok(Task::ALL.into_iter().filter(|t| wanted.contains(t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selecting_a_task_brings_what_it_depends_on_in_order() {
        let got = select(&["revoke-token".into(), "send-notification".into()]).unwrap();
        assert_eq!(
            got,
            [
                Task::CreateAgent,
                Task::SendNotification,
                Task::IssueAndUseToken,
                Task::RevokeToken
            ]
        );
        let got = select(&["pause-resume".into()]).unwrap();
        assert_eq!(got, [Task::DeployAgent, Task::PauseResume]);
        assert_eq!(select(&[]).unwrap(), Task::ALL);
        assert!(select(&["nope".into()]).unwrap_err().contains("create-agent"));
    }

    #[test]
    fn names_are_unique_per_run() {
        let (a, b) = (Run::new("http://x/"), Run::new("http://x"));
        assert_ne!(a.agent(), b.agent());
        assert_ne!(a.deployed_agent(), a.agent());
        assert_eq!(a.url, "http://x");
        assert!(
            a.id.len() == 6
                && a.id
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(
            Task::CreateAgent
                .prompt(&a)
                .contains(&format!("\"{}\"", a.agent()))
        );
    }
}
