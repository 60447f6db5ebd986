//! `taosctl agents containers`: the processes and containers the runtimes run for your agents,
//! with their state, pid, address, memory and CPU time.

use clap::Args;
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::Result;

#[derive(Args, Debug)]
pub struct Containers {}

impl RunCmd for Containers {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let list = ctx.send(client.list_agent_containers().send()).await?;
        ctx.out.show(&list, |out| {
            if list.items.is_empty() {
                out.note("No agent runs on any runtime here. Start one with `taosctl agents start NAME`.");
                return;
            }
            let rows: Vec<Vec<String>> = list.items.iter().map(row).collect();
            out.table(
                &[
                    "RUNTIME", "AGENT", "NAME", "STATE", "PID", "IP", "MEMORY", "CPU", "ORPHAN",
                ],
                &rows,
            );
            if list.items.iter().any(|c| c.orphan) {
                out.note("An orphan's agent was deleted; it should not be running.");
            }
        });
        Ok(())
    }
}

fn row(c: &types::Container) -> Vec<String> {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        c.runtime.to_string(),
        dash(c.agent.clone()),
        c.name.clone(),
        c.state.to_string(),
        dash(c.pid.map(|p| p.to_string())),
        dash(c.ip.clone()),
        dash(c.memory_bytes.map(mib)),
        dash(c.cpu_time_ms.map(|ms| format!("{:.1}s", ms as f64 / 1000.0))),
        if c.orphan { "yes" } else { "no" }.into(),
    ]
}

/// Bytes as MiB with one decimal, as people read memory.
fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
