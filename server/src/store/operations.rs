//! Operations: work taosd does in the background for a caller (a deploy), kept so it can be
//! followed across restarts and replicas. The store keeps steps, error and result as the
//! domain's JSON, without reading them.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::agents::insert_under_free_slug;
use super::entities::operations;
use super::{AgentView, Error, NewAgent, Result, Store, now, write_txn};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    pub agent_slug: String,
    pub kind: String,
    pub node: String,
    pub status: String,
    pub steps: String,
    pub error: Option<String>,
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<operations::Model> for OperationRow {
    fn from(m: operations::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            agent_id: m.agent_id,
            agent_slug: m.agent_slug,
            kind: m.kind,
            node: m.node,
            status: m.status,
            steps: m.steps,
            error: m.error,
            result: m.result,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// An operation to start with the agent it acts on.
#[derive(Debug, Clone)]
pub struct NewOperation {
    pub kind: String,
    pub node: String,
    pub status: String,
    pub steps: String,
    /// When it was made, as its first steps (done in the same transaction) say.
    pub at: DateTime<Utc>,
}

/// What an operation is now (`save_operation`).
#[derive(Debug, Clone)]
pub struct OperationProgress {
    pub status: String,
    pub steps: String,
    pub error: Option<String>,
    pub result: Option<String>,
}

async fn insert_operation<C: ConnectionTrait>(
    conn: &C,
    agent: &super::Agent,
    new: &NewOperation,
) -> Result<OperationRow> {
    let at = new.at.trunc_subsecs(6);
    let id = Uuid::now_v7();
    let row = operations::ActiveModel {
        id: Set(id),
        user_id: Set(agent.user_id),
        agent_id: Set(agent.id),
        agent_slug: Set(agent.slug.clone()),
        kind: Set(new.kind.clone()),
        node: Set(new.node.clone()),
        status: Set(new.status.clone()),
        steps: Set(new.steps.clone()),
        error: Set(None),
        result: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    operations::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(operations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .into())
}

impl Store {
    /// Registers an agent (with its runtime row) and the operation that deploys it, together:
    /// no agent without its operation, whatever crashes. As `create_agent` for the slug.
    pub async fn deploy_agent(
        &self,
        new: NewAgent,
        candidates: impl Iterator<Item = String>,
        op: NewOperation,
    ) -> Result<(AgentView, OperationRow)> {
        let candidates: Vec<String> = candidates.collect();
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            let view = insert_under_free_slug(&txn, &new, &candidates, postgres).await?;
            let row = insert_operation(&txn, &view.agent, &op).await?;
            Ok((view, row))
        })
    }

    /// An operation of the user; `NotFound` when there is none.
    pub async fn get_operation(&self, user_id: Uuid, id: Uuid) -> Result<OperationRow> {
        operations::Entity::find_by_id(id)
            .filter(operations::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
            .map(Into::into)
            .ok_or(Error::NotFound)
    }

    /// The agent's latest operation of `kind`, if it had one.
    pub async fn latest_operation(&self, agent_id: Uuid, kind: &str) -> Result<Option<OperationRow>> {
        Ok(operations::Entity::find()
            .filter(operations::Column::AgentId.eq(agent_id))
            .filter(operations::Column::Kind.eq(kind))
            .order_by_desc(operations::Column::CreatedAt)
            .order_by_desc(operations::Column::Id)
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Records an operation's progress.
    pub async fn save_operation(&self, id: Uuid, progress: OperationProgress) -> Result<()> {
        write_txn!(self, |txn| {
            let p = &progress;
            let done = operations::Entity::update_many()
                .col_expr(operations::Column::Status, Expr::value(p.status.clone()))
                .col_expr(operations::Column::Steps, Expr::value(p.steps.clone()))
                .col_expr(operations::Column::Error, Expr::value(p.error.clone()))
                .col_expr(operations::Column::Result, Expr::value(p.result.clone()))
                .col_expr(operations::Column::UpdatedAt, Expr::value(now()))
                .filter(operations::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            Ok(())
        })
    }

    /// The operations of `node` still in `status` (those a restarted taosd never finished).
    pub async fn operations_in(&self, node: &str, status: &str) -> Result<Vec<OperationRow>> {
        Ok(operations::Entity::find()
            .filter(operations::Column::Node.eq(node))
            .filter(operations::Column::Status.eq(status))
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
