//! A run of an agent: spawning it, feeding its output to the log, noticing its exit,
//! cleaning up what it left, recording how it ended, and the restart policy.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::group::Group;
use super::instance::{Instance, Run};
use super::{Inner, spawn};
use crate::runtime::error::{Error, Result};
use crate::runtime::events::LifecycleKind;
use crate::runtime::logs::{Stream, feed};
use crate::runtime::restart::Next;
use crate::runtime::state::Exit;

/// How long the log readers get to drain the pipes after the agent's processes are gone.
const READERS_WAIT: Duration = Duration::from_secs(1);

/// Starts a run of the instance's current spec; the status must be `starting`. Called
/// with the instance's `op` held.
pub(super) async fn launch(inner: &Arc<Inner>, inst: &Arc<Instance>) -> Result<()> {
    let spec = inst.lock().spec.clone();
    let (home, cwd) = spawn::agent_home(&inner.config.base_dir, &spec)?;
    let log = inner
        .logs
        .agent(spec.agent_id)
        .map_err(|e| Error::failed(format!("cannot open the agent's log: {e}")))?;
    log.add_secrets(spec.env.secret_values());
    let cgroup = match &inner.cgroups {
        Some(cgroups) => {
            let mut resources = spec.resources;
            resources.pids = resources.pids.or(inner.config.default_pids);
            let cg = cgroups
                .create(spec.agent_id, &resources)
                .map_err(|e| Error::failed(format!("cannot set up the agent's cgroup: {e}")))?;
            Some(Arc::new(cg))
        }
        None => None,
    };
    let procs = cgroup.as_ref().map(|c| c.procs_files()).unwrap_or_default();
    let spawned = spawn::command(&spec, &home, &cwd, procs).spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            if let Some(cg) = &cgroup {
                cg.remove();
            }
            return Err(spawn::spawn_error(&spec, &e));
        }
    };
    let Some(pid) = child.id() else {
        return Err(Error::failed("the agent's process vanished as it started"));
    };
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(feed(out, Stream::Stdout, log.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(feed(err, Stream::Stderr, log)));
    }
    let (over_tx, over) = watch::channel(false);
    let group = Group { pgid: pid, cgroup };
    {
        let mut s = inst.lock();
        s.status.running(Some(pid), Utc::now());
        s.run = Some(Run {
            group: group.clone(),
            started: Instant::now(),
            paused: None,
            stop: None,
            over,
        });
        inner.emit(inst.agent_id, LifecycleKind::Started, &s.status);
    }
    tokio::spawn(supervise(
        inner.clone(),
        inst.clone(),
        child,
        group,
        readers,
        over_tx,
    ));
    Ok(())
}

fn exit_of(status: std::io::Result<std::process::ExitStatus>) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => Exit::code(code),
            (None, Some(sig)) => Exit::signal(sig),
            (None, None) => Exit::code(-1),
        },
        // Waiting failed (it cannot, for our own child): count it as a crash.
        Err(_) => Exit::code(-1),
    }
}

async fn supervise(
    inner: Arc<Inner>,
    inst: Arc<Instance>,
    mut child: Child,
    group: Group,
    readers: Vec<JoinHandle<u64>>,
    over: watch::Sender<bool>,
) {
    let exit = exit_of(child.wait().await);
    let stop = inst.lock().run.as_ref().and_then(|r| r.stop);
    let deadline = stop.map_or_else(|| Instant::now() + inner.config.orphan_grace, |(_, d)| d);
    group.drain(deadline, stop.is_some()).await;
    for reader in readers {
        let _ = tokio::time::timeout(READERS_WAIT, reader).await;
    }
    if let Some(cg) = group.cgroup.clone() {
        // rmdir may have to wait a moment for the kernel to release the emptied cgroup.
        let _ = tokio::task::spawn_blocking(move || cg.remove()).await;
    }
    finish(&inner, &inst, exit);
    let _ = over.send(true);
}

/// Records the end of the run, and applies the restart policy to an unexpected one.
fn finish(inner: &Arc<Inner>, inst: &Arc<Instance>, exit: Exit) {
    let mut s = inst.lock();
    let Some(run) = s.run.take() else { return };
    let cause = run.stop.map(|(cause, _)| cause);
    s.status.exited(exit, cause.is_some(), Utc::now());
    if s.removed {
        return;
    }
    if let Some(cause) = cause {
        inner.emit(inst.agent_id, LifecycleKind::Stopped { cause }, &s.status);
        return;
    }
    inner.emit(inst.agent_id, LifecycleKind::Exited, &s.status);
    apply_policy(inner, inst, &mut s, exit, run.ran_for());
}

fn apply_policy(
    inner: &Arc<Inner>,
    inst: &Arc<Instance>,
    s: &mut super::instance::Shared,
    exit: Exit,
    ran_for: Duration,
) {
    if inner.stopping() {
        return;
    }
    let policy = s.spec.restart;
    match inner
        .config
        .backoff
        .after_exit(policy, exit, ran_for, &mut s.streak)
    {
        Next::Stay => {}
        Next::RestartAfter(delay) => {
            let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            s.status.restart_scheduled(at);
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            inner.emit(
                inst.agent_id,
                LifecycleKind::RestartScheduled { delay_ms },
                &s.status,
            );
            tokio::spawn(restart_later(inner.clone(), inst.clone(), delay, s.epoch));
        }
        Next::GiveUp { failures } => {
            s.status.gave_up(failures);
            inner.emit(inst.agent_id, LifecycleKind::GaveUp, &s.status);
        }
    }
}

/// The restart policy's start, unless a verb acted on the instance meanwhile.
async fn restart_later(inner: Arc<Inner>, inst: Arc<Instance>, delay: Duration, epoch: u64) {
    tokio::time::sleep(delay).await;
    let _op = inst.op.lock().await;
    {
        let mut s = inst.lock();
        let due = s.epoch == epoch && !s.removed && s.run.is_none() && s.status.next_restart_at.is_some();
        if !due || inner.stopping() {
            return;
        }
        s.status.starting_by_policy();
    }
    if let Err(e) = launch(&inner, &inst).await {
        // It cannot start (its program is gone, …): counted as a failed run.
        let mut s = inst.lock();
        s.status.start_failed(e.to_string(), Utc::now());
        inner.emit(inst.agent_id, LifecycleKind::Exited, &s.status);
        apply_policy(&inner, &inst, &mut s, Exit::code(127), Duration::ZERO);
    }
}
