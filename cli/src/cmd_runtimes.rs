//! `taosctl runtimes`: the runtimes this taosd knows (process, docker, incus), whether each can
//! run agents here now (and if not, why and how to fix it), and what each can do.

use clap::Args;
use taos_client::types;

use crate::context::{Context, RunCmd};
use crate::failure::Result;

#[derive(Args, Debug)]
pub struct Runtimes {}

impl RunCmd for Runtimes {
    async fn run(&self, ctx: &Context) -> Result<()> {
        let client = ctx.client()?;
        let list = ctx.send(client.list_runtimes().send()).await?;
        ctx.out.show(&list, |out| {
            let rows: Vec<Vec<String>> = list.items.iter().map(row).collect();
            out.table(
                &[
                    "KIND",
                    "AVAILABLE",
                    "DEFAULT",
                    "VERSION",
                    "PAUSE",
                    "LIMITS",
                    "REASON / FIX",
                ],
                &rows,
            );
        });
        Ok(())
    }
}

fn row(r: &types::RuntimeInfo) -> Vec<String> {
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let l = &r.capabilities.limits;
    let limits: Vec<&str> = [(l.memory, "memory"), (l.cpus, "cpus"), (l.pids, "pids")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let note = match (&r.reason, &r.fix) {
        (Some(reason), Some(fix)) => format!("{reason} (fix: {fix})"),
        (Some(reason), None) => reason.clone(),
        (None, Some(fix)) => format!("fix: {fix}"),
        (None, None) => String::new(),
    };
    vec![
        r.kind.to_string(),
        yes(r.available),
        yes(r.default),
        r.version.clone().unwrap_or_else(|| "-".into()),
        r.capabilities.pause.to_string(),
        if limits.is_empty() {
            "-".into()
        } else {
            limits.join(",")
        },
        note,
    ]
}
