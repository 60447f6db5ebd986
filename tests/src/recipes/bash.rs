//! Replaying a page's `bash` blocks with the real `taosctl`: each block runs in
//! `bash -euo pipefail` with `TAOS_URL`, `TAOS_TOKEN` and the replay variables in its
//! environment, a `PATH` that finds this build's `taosctl` first, an empty `HOME` (no saved
//! credentials leak in) and stdin closed. The exit code, stdout and stderr are compared with the
//! answer the page states, the way `taosctl` reports it: 0 for a 2xx, 4 for a 401, 1 for any
//! other 4xx with the error's slug on stderr (or in the JSON on stdout); a `--json` command's
//! stdout must be JSON with the stated body's keys.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::answer::{Vars, compare, lookup};
use super::steps::Expectation;
use super::{Failure, Page, show_body};

/// How long one block may run.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What a block did.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `script` with exactly the environment `env` (plus `PATH`, `HOME`, locale) in `dir`.
pub async fn run(
    script: &str,
    env: &Vars,
    taosctl_dir: &Path,
    home: &Path,
    dir: &Path,
) -> Result<Ran, String> {
    let path = format!(
        "{}:{}",
        taosctl_dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
    );
    let child = tokio::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-euo", "pipefail", "-c", script])
        .env_clear()
        .envs(env)
        .env("PATH", path)
        .env("HOME", home)
        .env("LC_ALL", "C.UTF-8")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    let out = tokio::time::timeout(BLOCK_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("the block did not finish within {BLOCK_TIMEOUT:?}"))?
        .map_err(|e| format!("bash failed: {e}"))?;
    Ok(Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The exit code `taosctl` gives for an answer with `status`.
pub fn exit_code_for(status: u16) -> i32 {
    match status {
        200..=299 => 0,
        401 => 4,
        _ => 1,
    }
}

/// Problems with what a block did, against the stated answer. `wants_json`: the block asks
/// `taosctl` for JSON (`--json`), so a stated body must be checked against its stdout.
pub fn judge(expect: &Expectation, ran: &Ran, stdout_json: Option<&Value>, wants_json: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let want = exit_code_for(expect.status);
    if ran.code != want {
        problems.push(format!(
            "exit code {}, want {want} for the stated `{}` (line {})",
            ran.code, expect.status, expect.line
        ));
    }
    let body = expect.body.as_ref().map(|(v, _)| v);
    if expect.status < 300 {
        match (body, stdout_json) {
            (Some(body), Some(json)) => problems.extend(compare(body, json)),
            // Without --json taosctl prints for people: the body is the http block's to check.
            (Some(_), None) if wants_json => {
                problems.push("the command asks for --json but stdout is not JSON".into());
            }
            _ => {}
        }
    } else if let Some(slug) = body.and_then(|b| b.get("error")).and_then(Value::as_str) {
        let in_json = stdout_json.and_then(|j| j.get("error")).and_then(Value::as_str) == Some(slug);
        if !in_json && !ran.stderr.contains(slug) {
            problems.push(format!("the error slug `{slug}` is not on stderr"));
        }
    }
    problems
}

/// Runs every `bash` block of `page` in order against the server at `base`, with `token` as
/// `$TAOS_TOKEN`. Returns how many were replayed; none is a failure.
pub async fn replay(base: &str, token: &str, page: &Page, taosctl: &Path) -> Result<usize, Box<Failure>> {
    let fail = |line: usize, e: String| Failure::at(page, line, e);
    let taosctl_dir = taosctl
        .parent()
        .ok_or_else(|| fail(1, format!("{} has no parent directory", taosctl.display())))?;
    let home = tempfile::tempdir().map_err(|e| fail(1, format!("cannot make a HOME: {e}")))?;
    let work = tempfile::tempdir().map_err(|e| fail(1, format!("cannot make a work dir: {e}")))?;
    let mut vars = Vars::from([
        ("TAOS_URL".to_string(), base.to_string()),
        ("TAOS_TOKEN".to_string(), token.to_string()),
    ]);
    // Bindings this pass could not make (the CLI printed no JSON with that field): a later
    // block that uses one stops on bash's "unbound variable", and its failure says why.
    let mut unbound: Vec<String> = Vec::new();
    let mut replayed = 0;
    for step in page.steps.iter().filter(|s| s.block.lang == "bash") {
        let line = step.block.line;
        let script = &step.block.code;
        let ran = run(script, &vars, taosctl_dir, home.path(), work.path())
            .await
            .map_err(|e| fail(line, e).sent(script))?;
        let json: Option<Value> = serde_json::from_str(ran.stdout.trim()).ok();
        let wants_json = script.split_whitespace().any(|w| w == "--json");
        let mut problems = judge(&step.expect, &ran, json.as_ref(), wants_json);
        if problems.is_empty() {
            for b in &step.expect.binds {
                let found = json
                    .as_ref()
                    .ok_or_else(|| "stdout is not JSON (add --json to the taosctl line?)".to_string())
                    .and_then(|j| lookup(j, &b.path));
                match found {
                    Ok(v) => {
                        vars.insert(b.name.clone(), v);
                    }
                    Err(e) => {
                        vars.remove(&b.name);
                        unbound.push(format!("${} (line {}): {e}", b.name, b.line));
                    }
                }
            }
        }
        if !problems.is_empty() {
            problems.extend(unbound.iter().map(|u| format!("not bound in this pass: {u}")));
            return Err(Box::new(
                fail(line, "the command did not do what the page states".into())
                    .problems(problems)
                    .sent(script)
                    .expected(&step.expect)
                    .actual(format!(
                        "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        ran.code,
                        show_body(&ran.stdout),
                        show_body(&ran.stderr)
                    )),
            ));
        }
        replayed += 1;
    }
    if replayed == 0 {
        return Err(Box::new(fail(1, "the page has no bash block to replay".into())));
    }
    Ok(replayed)
}
