//! Archived agents (addressed by id): their list, restore under a free slug, and purge.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::agents::{first_free_slug, owner_for_slug_choice, view_by_id};
use super::entities::{agents, api_tokens};
use super::{Agent, AgentView, Error, Result, Store, now, write_txn};

async fn find_archived_model<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> std::result::Result<Option<agents::Model>, DbErr> {
    agents::Entity::find_by_id(id)
        .filter(agents::Column::UserId.eq(user_id))
        .filter(agents::Column::ArchivedAt.is_not_null())
        .one(conn)
        .await
}

impl Store {
    /// The user's archived agents, newest first (id descending), before the cursor.
    pub async fn list_archived_agents(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Agent>> {
        let mut q = agents::Entity::find()
            .filter(agents::Column::UserId.eq(user_id))
            .filter(agents::Column::ArchivedAt.is_not_null());
        if let Some(after) = after {
            q = q.filter(agents::Column::Id.lt(after));
        }
        Ok(q.order_by_desc(agents::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Agent::try_from)
            .collect::<std::result::Result<Vec<_>, DbErr>>()?)
    }

    /// An archived agent of the user; `NotFound` when there is none.
    pub async fn find_archived_agent(&self, user_id: Uuid, id: Uuid) -> Result<Agent> {
        Ok(find_archived_model(&self.db, user_id, id)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()?)
    }

    /// Brings an archived agent back under the first free candidate slug (callers pass
    /// candidates starting with its old slug). `NotFound` when it is not an archived agent of
    /// a live user (restored or purged concurrently, for instance); `Exhausted` when every
    /// candidate is taken.
    pub async fn restore_archived_agent(
        &self,
        user_id: Uuid,
        id: Uuid,
        candidates: impl Iterator<Item = String>,
    ) -> Result<AgentView> {
        let candidates: Vec<String> = candidates.collect();
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            owner_for_slug_choice(&txn, user_id, postgres).await?;
            if find_archived_model(&txn, user_id, id).await?.is_none() {
                return Err(Error::NotFound);
            }
            let Some(slug) = first_free_slug(&txn, user_id, &candidates).await? else {
                return Err(Error::Exhausted);
            };
            let done = agents::Entity::update_many()
                .col_expr(
                    agents::Column::ArchivedAt,
                    Expr::value(None::<chrono::DateTime<chrono::Utc>>),
                )
                .col_expr(agents::Column::UpdatedAt, Expr::value(now()))
                .col_expr(agents::Column::Slug, Expr::value(slug))
                .filter(agents::Column::Id.eq(id))
                .filter(agents::Column::ArchivedAt.is_not_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(super::retry());
            }
            view_by_id(&txn, id).await
        })
    }

    /// Deletes an archived agent and its token rows for good; `NotFound` if it is not (or no
    /// longer) an archived agent of the user. A restore that got there first leaves nothing
    /// deleted: the agent's row is no longer archived, and the whole transaction rolls back.
    pub async fn purge_archived_agent(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        write_txn!(self, |txn| {
            if find_archived_model(&txn, user_id, id).await?.is_none() {
                return Err(Error::NotFound);
            }
            api_tokens::Entity::delete_many()
                .filter(api_tokens::Column::AgentId.eq(id))
                .exec(&txn)
                .await?;
            let done = agents::Entity::delete_many()
                .filter(agents::Column::Id.eq(id))
                .filter(agents::Column::ArchivedAt.is_not_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            Ok(())
        })
    }
}
