//! Running the agent command for one task: `sh -c CMD` in a process group of its own, the prompt
//! on stdin and in the environment, output captured (the tail only), a hard time limit.

use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// How much of each output stream is kept: only the tail ever reaches the report.
const CAPTURE_BYTES: usize = 16 * 1024;
/// How long the output readers may take after the agent is gone (a grandchild that escaped
/// the process group could hold a pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What the agent is given besides the prompt.
pub struct Invocation<'a> {
    pub cmd: &'a str,
    pub prompt: &'a str,
    pub env: Vec<(&'static str, String)>,
    pub timeout: Duration,
}

#[derive(Debug)]
pub enum Ended {
    Exited(ExitStatus),
    TimedOut,
    NotStarted(String),
}

#[derive(Debug)]
pub struct AgentRun {
    pub ended: Ended,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl AgentRun {
    pub fn exit_code(&self) -> Option<i32> {
        match &self.ended {
            Ended::Exited(status) => status.code(),
            Ended::TimedOut | Ended::NotStarted(_) => None,
        }
    }

    pub fn exited_ok(&self) -> bool {
        matches!(&self.ended, Ended::Exited(s) if s.success())
    }
}

/// Runs the agent to completion or to its time limit. Whatever it left running in its process
/// group is killed either way, so nothing of it acts while the result is being verified.
pub async fn run(inv: Invocation<'_>) -> AgentRun {
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(inv.cmd)
        .envs(inv.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return AgentRun {
                ended: Ended::NotStarted(format!("could not start `sh -c …`: {e}")),
                stdout: String::new(),
                stderr: String::new(),
                duration: started.elapsed(),
            };
        }
    };
    let pgid = child.id();

    if let Some(mut stdin) = child.stdin.take() {
        let prompt = inv.prompt.to_string();
        // An agent that never reads stdin closes it on exit: the write error is expected then.
        tokio::spawn(async move {
            let _ = stdin.write_all(prompt.as_bytes()).await;
            let _ = stdin.shutdown().await;
        });
    }
    let stdout = child.stdout.take().map(|r| tokio::spawn(read_tail(r)));
    let stderr = child.stderr.take().map(|r| tokio::spawn(read_tail(r)));

    let ended = match tokio::time::timeout(inv.timeout, child.wait()).await {
        Ok(Ok(status)) => Ended::Exited(status),
        Ok(Err(e)) => Ended::NotStarted(format!("lost track of the agent process: {e}")),
        Err(_) => Ended::TimedOut,
    };
    kill_group(pgid);
    if matches!(ended, Ended::TimedOut) {
        let _ = child.wait().await;
    }
    let duration = started.elapsed();

    AgentRun {
        ended,
        stdout: drain(stdout).await,
        stderr: drain(stderr).await,
        duration,
    }
}

fn kill_group(pgid: Option<u32>) {
    let Some(pgid) = pgid.and_then(|p| libc::pid_t::try_from(p).ok()) else {
        return;
    };
    // SAFETY: kill(2) on the process group we created for this agent (its leader's pid). An
    // already-empty group answers ESRCH, which is fine.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

async fn drain(reader: Option<tokio::task::JoinHandle<Vec<u8>>>) -> String {
    let Some(reader) = reader else {
        return String::new();
    };
    match tokio::time::timeout(DRAIN_GRACE, reader).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    }
}

/// Reads `r` to its end, keeping the last [`CAPTURE_BYTES`].
async fn read_tail(mut r: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > CAPTURE_BYTES {
                    kept.drain(..kept.len() - CAPTURE_BYTES);
                }
            }
        }
    }
    kept
}

/// The last `max_chars` characters of `text` with the secrets replaced and whitespace runs
/// collapsed to one space, prefixed with `…` when something was cut.
pub fn tail(text: &str, token: &str, max_chars: usize) -> String {
    let clean = redact(text, token);
    let collapsed = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = collapsed.chars().count();
    if count <= max_chars {
        collapsed
    } else {
        let cut: String = collapsed.chars().skip(count - max_chars).collect();
        format!("…{cut}")
    }
}

/// `text` with the runner's token and anything shaped like a taOS token replaced: an agent may
/// print the token it was given or one it issued, and the report must not carry either.
pub fn redact(text: &str, token: &str) -> String {
    let mut out = if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "[token]")
    };
    for prefix in ["taos_user_", "taos_agent_"] {
        let mut from = 0;
        while let Some(at) = out[from..].find(prefix).map(|i| from + i) {
            let start = at + prefix.len();
            let end = out[start..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(out.len(), |i| start + i);
            out.replace_range(start..end, "[redacted]");
            from = start + "[redacted]".len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_survive_redaction() {
        let t = "taos_user_7Hq2Lm9Xz4Wv1Ns8Kp3Rt6Yb0Cd5Fg2Jh4Mn73GpVpC";
        let other = "taos_agent_AAAAbbbb0000";
        let got = redact(&format!("mine {t}; new: {other}\nsecret-xyz"), "secret-xyz");
        assert_eq!(
            got,
            "mine taos_user_[redacted]; new: taos_agent_[redacted]\n[token]"
        );
        assert_eq!(redact("taos_agent_", ""), "taos_agent_[redacted]");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("a  b\n\nc", "", 10), "a b c");
        assert_eq!(tail("0123456789", "", 4), "…6789");
        assert_eq!(tail("ééééé", "", 2), "…éé");
    }

    #[tokio::test]
    async fn a_timed_out_agent_and_its_children_are_killed() {
        let started = Instant::now();
        let got = run(Invocation {
            cmd: "sleep 30 & sleep 30",
            prompt: "p",
            env: vec![],
            timeout: Duration::from_millis(300),
        })
        .await;
        assert!(matches!(got.ended, Ended::TimedOut), "{got:?}");
        // The background `sleep` held stdout open; killing the group is what lets us return.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn the_prompt_arrives_on_stdin_and_in_the_environment() {
        let got = run(Invocation {
            cmd: "cat; printf '|%s' \"$TAOS_SMOKE_PROMPT\"; echo oops >&2; exit 3",
            prompt: "do it",
            env: vec![("TAOS_SMOKE_PROMPT", "do it".into())],
            timeout: Duration::from_secs(20),
        })
        .await;
        assert_eq!(got.exit_code(), Some(3));
        assert_eq!(got.stdout, "do it|do it");
        assert_eq!(got.stderr, "oops\n");
    }
}
