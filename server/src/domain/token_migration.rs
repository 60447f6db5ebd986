//! The start-up token migration (reference §10, for every runtime): each agent of this taosd
//! with a runtime spec and no active token gets one, handed to it as `TAOS_TOKEN` the way a
//! re-issue is (live, by a restart or recreation, or at its next start). When the hand-over
//! fails the token is revoked again, so the next start tries anew. Runs after the agents are
//! reconciled (the process agents started again by then already got fresh tokens).

use crate::domain::fleet::Fleet;
use crate::store::Store;

/// What one migration did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub issued: u32,
    pub failed: u32,
    pub had_token: u32,
}

pub async fn migrate_agent_tokens(store: &Store, fleet: &Fleet) -> Summary {
    let mut summary = Summary::default();
    let agents = match store.list_agent_runtimes(&fleet.node).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the agents for the token migration");
            return summary;
        }
    };
    for a in agents {
        let Ok(view) = store.get_agent(a.row.user_id, &a.slug).await else {
            continue;
        };
        if view.token.is_some() {
            summary.had_token += 1;
            continue;
        }
        let agent = view.agent;
        let handed = match fleet.issue_token(store, &agent).await {
            Ok(token) => fleet.token_changed(store, &agent, Some(token)).await,
            Err(e) => Err(e),
        };
        match handed {
            Ok(_) => summary.issued += 1,
            Err(e) => {
                summary.failed += 1;
                tracing::warn!(agent = %agent.slug, error = %e, "could not hand an agent its token; revoked again, retried at the next start");
                fleet.remember_token(agent.id, None);
                if let Err(e) = store.revoke_agent_token(agent.id, agent.user_id).await {
                    tracing::warn!(agent = %agent.slug, error = %e, "could not revoke an agent's token that was not handed over");
                }
            }
        }
    }
    tracing::info!(
        issued = summary.issued,
        failed = summary.failed,
        had_token = summary.had_token,
        "agent token migration"
    );
    summary
}
