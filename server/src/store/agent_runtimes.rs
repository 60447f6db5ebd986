//! Agents' runtime specs and last-seen states (the `runtimes` and `lifecycle` operations). The
//! store keeps the spec and status as the domain's JSON, without reading them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::entities::{agent_runtimes, agents};
use super::users::live_user;
use super::{Error, NewRuntime, Result, Store, now, write_txn};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRuntimeRow {
    pub agent_id: Uuid,
    pub user_id: Uuid,
    pub node: String,
    pub runtime: String,
    pub spec: String,
    pub desired: String,
    pub status: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<agent_runtimes::Model> for AgentRuntimeRow {
    fn from(m: agent_runtimes::Model) -> Self {
        Self {
            agent_id: m.agent_id,
            user_id: m.user_id,
            node: m.node,
            runtime: m.runtime,
            spec: m.spec,
            desired: m.desired,
            status: m.status,
            updated_at: m.updated_at,
        }
    }
}

/// A live agent with a runtime row, for reconciling at start-up.
#[derive(Debug, Clone)]
pub struct RuntimeAgent {
    pub slug: String,
    pub row: AgentRuntimeRow,
}

/// Gives the agent its runtime row, or a new spec (and runtime and node) keeping its desired
/// state and status.
pub(super) async fn insert_agent_runtime<C: ConnectionTrait>(
    conn: &C,
    agent_id: Uuid,
    user_id: Uuid,
    new: &NewRuntime,
) -> Result<()> {
    agent_runtimes::Entity::insert(agent_runtimes::ActiveModel {
        agent_id: Set(agent_id),
        user_id: Set(user_id),
        node: Set(new.node.clone()),
        runtime: Set(new.runtime.clone()),
        spec: Set(new.spec.clone()),
        desired: Set("stopped".to_owned()),
        status: Set(None),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(agent_runtimes::Column::AgentId)
            .update_columns([
                agent_runtimes::Column::Node,
                agent_runtimes::Column::Runtime,
                agent_runtimes::Column::Spec,
                agent_runtimes::Column::UpdatedAt,
            ])
            // The last status seen belongs to the runtime it was seen on: on another one the
            // agent has not run yet.
            .value(
                agent_runtimes::Column::Status,
                Expr::cust(
                    "CASE WHEN agent_runtimes.runtime = excluded.runtime THEN agent_runtimes.status ELSE NULL END",
                ),
            )
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The agent's runtime row, if it was ever given a spec.
    pub async fn get_agent_runtime(&self, agent_id: Uuid) -> Result<Option<AgentRuntimeRow>> {
        Ok(agent_runtimes::Entity::find_by_id(agent_id)
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Sets the agent's spec (and runtime and node), keeping its desired state and status.
    /// `NotFound` when the agent is not a live agent of `user_id`; `UserGone` when the user
    /// was removed.
    pub async fn set_agent_runtime(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
        node: &str,
        runtime: &str,
        spec: &str,
    ) -> Result<AgentRuntimeRow> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            let mut q = agents::Entity::find_by_id(agent_id)
                .filter(agents::Column::UserId.eq(user_id))
                .filter(agents::Column::ArchivedAt.is_null());
            if postgres {
                q = q.lock_exclusive();
            }
            if q.one(&txn).await?.is_none() {
                return Err(Error::NotFound);
            }
            let runtime = NewRuntime {
                node: node.to_owned(),
                runtime: runtime.to_owned(),
                spec: spec.to_owned(),
            };
            insert_agent_runtime(&txn, agent_id, user_id, &runtime).await?;
            agent_runtimes::Entity::find_by_id(agent_id)
                .one(&txn)
                .await?
                .map(Into::into)
                .ok_or(Error::NotFound)
        })
    }

    /// Records what the owner asked for (`running`, `paused`, `stopped`); `NotFound` when the
    /// agent has no runtime row.
    pub async fn set_agent_desired(&self, agent_id: Uuid, desired: &str) -> Result<()> {
        write_txn!(self, |txn| {
            let done = agent_runtimes::Entity::update_many()
                .col_expr(agent_runtimes::Column::Desired, Expr::value(desired))
                .col_expr(agent_runtimes::Column::UpdatedAt, Expr::value(now()))
                .filter(agent_runtimes::Column::AgentId.eq(agent_id))
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            Ok(())
        })
    }

    /// Records the status last seen, and the agent's `status` in the registry with it. An
    /// agent whose row is gone (deleted meanwhile) is not an error: there is nothing to keep.
    pub async fn save_agent_status(&self, agent_id: Uuid, status: &str, state: &str) -> Result<()> {
        write_txn!(self, |txn| {
            let at = now();
            agent_runtimes::Entity::update_many()
                .col_expr(agent_runtimes::Column::Status, Expr::value(status))
                .col_expr(agent_runtimes::Column::UpdatedAt, Expr::value(at))
                .filter(agent_runtimes::Column::AgentId.eq(agent_id))
                .exec(&txn)
                .await?;
            agents::Entity::update_many()
                .col_expr(agents::Column::Status, Expr::value(state))
                .filter(agents::Column::Id.eq(agent_id))
                .exec(&txn)
                .await?;
            Ok(())
        })
    }

    /// A live agent by id (for work that starts from a runtime's event, not a request).
    pub async fn find_live_agent(&self, agent_id: Uuid) -> Result<super::Agent> {
        agents::Entity::find_by_id(agent_id)
            .filter(agents::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
            .map_err(Error::from)
    }

    /// Every live agent of `node` with a runtime row, oldest first.
    pub async fn list_agent_runtimes(&self, node: &str) -> Result<Vec<RuntimeAgent>> {
        let rows: Vec<agent_runtimes::Model> = agent_runtimes::Entity::find()
            .filter(agent_runtimes::Column::Node.eq(node))
            .all(&self.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.agent_id).collect();
        let slugs: std::collections::HashMap<Uuid, String> = agents::Entity::find()
            .filter(agents::Column::Id.is_in(ids))
            .filter(agents::Column::ArchivedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.slug))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(RuntimeAgent {
                    slug: slugs.get(&r.agent_id)?.clone(),
                    row: r.into(),
                })
            })
            .collect())
    }
}
