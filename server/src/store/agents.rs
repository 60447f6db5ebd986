//! Live agents (addressed by slug) and their views; archived ones are `archived_agents`.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

use super::agent_runtimes::insert_agent_runtime;
use super::agent_tokens::revoke_active_agent_token;
use super::entities::{agents, api_tokens, users};
use super::records::scope_to_db;
use super::tokens::IN_CHUNK;
use super::users::{live_user, live_user_for_update};
use super::{Agent, AgentChanges, AgentView, Error, NewAgent, Result, Store, Token, now, write_txn};

/// Candidates checked per query while looking for a free slug.
const SLUG_BATCH: usize = 100;

/// The owner's username, read at the start of a transaction that will pick a slug. The row
/// lock taken on PostgreSQL (see `live_user_for_update`) also makes two transactions choosing
/// slugs for the same user take turns, instead of both picking the same free slug and one
/// failing on the index. `NotFound` when the owner was removed meanwhile.
pub(super) async fn owner_for_slug_choice<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    postgres: bool,
) -> Result<String> {
    Ok(live_user_for_update(conn, user_id, postgres).await?.username)
}

/// The first candidate not used by a live agent of the user, or None if all are. The first
/// candidate is looked up alone (a new name is usually free, and one bound slug is a cheaper
/// query than a hundred), the rest a batch at a time.
pub(super) async fn first_free_slug<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    candidates: &[String],
) -> std::result::Result<Option<String>, DbErr> {
    let (first, rest) = candidates.split_at(candidates.len().min(1));
    let batches = std::iter::once(first).chain(rest.chunks(SLUG_BATCH));
    for batch in batches.filter(|b| !b.is_empty()) {
        let taken: HashSet<String> = agents::Entity::find()
            .select_only()
            .column(agents::Column::Slug)
            .filter(agents::Column::UserId.eq(user_id))
            .filter(agents::Column::ArchivedAt.is_null())
            .filter(agents::Column::Slug.is_in(batch.iter().cloned()))
            .into_tuple::<String>()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        if let Some(free) = batch.iter().find(|c| !taken.contains(*c)) {
            return Ok(Some(free.clone()));
        }
    }
    Ok(None)
}

/// Inserts the agent, and its runtime row when it is made with a spec.
pub(super) async fn insert_agent<C: ConnectionTrait>(conn: &C, new: &NewAgent, slug: &str) -> Result<Agent> {
    let at = now();
    let row = agents::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        slug: Set(slug.to_owned()),
        display_name: Set(new.display_name.clone()),
        host: Set(new.host.clone()),
        qmd_index: Set(new.qmd_index.clone()),
        color: Set(new.color.clone()),
        emoji: Set(new.emoji.clone()),
        can_read_user_memory: Set(new.can_read_user_memory),
        scope: Set(scope_to_db(&new.scope)?),
        status: Set(new.status.to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        model: Set(new.persona.model.clone()),
        soul_md: Set(new.persona.soul_md.clone()),
        agent_md: Set(new.persona.agent_md.clone()),
        memory_plugin: Set(new.persona.memory_plugin.clone()),
    }
    .insert(conn)
    .await?;
    let agent: Agent = row.try_into()?;
    if let Some(runtime) = &new.runtime {
        insert_agent_runtime(conn, agent.id, agent.user_id, runtime).await?;
    }
    Ok(agent)
}

/// Inserts the agent under the first candidate slug no live agent of the user has (with the
/// owner's row locked on PostgreSQL, see `owner_for_slug_choice`). `Exhausted` when every
/// candidate is taken, `NotFound` when the owner is not a live user.
pub(super) async fn insert_under_free_slug<C: ConnectionTrait>(
    conn: &C,
    new: &NewAgent,
    candidates: &[String],
    postgres: bool,
) -> Result<AgentView> {
    let owner = owner_for_slug_choice(conn, new.user_id, postgres).await?;
    let Some(slug) = first_free_slug(conn, new.user_id, candidates).await? else {
        return Err(Error::Exhausted);
    };
    let agent = insert_agent(conn, new, &slug).await?;
    Ok(AgentView {
        agent,
        owner_username: owner,
        token: None,
    })
}

/// Attaches owners' names and active tokens to agent rows: two queries for any number of rows.
async fn views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<(agents::Model, Option<users::Model>)>,
) -> Result<Vec<AgentView>> {
    let ids: Vec<Uuid> = rows.iter().map(|(a, _)| a.id).collect();
    let mut tokens: HashMap<Uuid, Token> = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        for t in api_tokens::Entity::find()
            .filter(api_tokens::Column::AgentId.is_in(chunk.iter().copied()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .all(conn)
            .await?
        {
            let t = Token::try_from(t)?;
            if let Some(agent_id) = t.agent_id {
                tokens.insert(agent_id, t);
            }
        }
    }
    rows.into_iter()
        .map(|(a, owner)| {
            let owner = owner.ok_or(Error::NotFound)?;
            let token = tokens.remove(&a.id);
            Ok(AgentView {
                agent: a.try_into()?,
                owner_username: owner.username,
                token,
            })
        })
        .collect()
}

pub(super) async fn view_by_id<C: ConnectionTrait>(conn: &C, agent_id: Uuid) -> Result<AgentView> {
    let row = agents::Entity::find_by_id(agent_id)
        .find_also_related(users::Entity)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    views(conn, vec![row]).await?.pop().ok_or(Error::NotFound)
}

impl Store {
    /// Creates an agent under the first candidate slug that no live agent of the user has.
    /// `Exhausted` when every candidate is taken, `NotFound` when the owner is not a live user.
    pub async fn create_agent(
        &self,
        new: NewAgent,
        candidates: impl Iterator<Item = String>,
    ) -> Result<AgentView> {
        let candidates: Vec<String> = candidates.collect();
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| insert_under_free_slug(
            &txn,
            &new,
            &candidates,
            postgres
        )
        .await)
    }

    /// Creates an agent under exactly `slug`; `Conflict` if a live agent of the user has it,
    /// `NotFound` when the owner is not a live user.
    pub async fn import_agent(&self, new: NewAgent, slug: String) -> Result<AgentView> {
        let candidates = [slug];
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            let owner = owner_for_slug_choice(&txn, new.user_id, postgres).await?;
            if first_free_slug(&txn, new.user_id, &candidates).await?.is_none() {
                return Err(Error::Conflict);
            }
            let agent = insert_agent(&txn, &new, &candidates[0]).await?;
            Ok(AgentView {
                agent,
                owner_username: owner,
                token: None,
            })
        })
    }

    /// A live agent of the user by slug; `NotFound` when there is none.
    pub async fn get_agent(&self, user_id: Uuid, slug: &str) -> Result<AgentView> {
        match &self.reads {
            Some(reads) => reads.get_agent(user_id, slug)?.ok_or(Error::NotFound),
            None => self.get_agent_orm(user_id, slug).await,
        }
    }

    /// `get_agent` through sea-orm: the PostgreSQL path, and the reference the inline SQLite
    /// read is tested against.
    pub(super) async fn get_agent_orm(&self, user_id: Uuid, slug: &str) -> Result<AgentView> {
        let Some(row) = agents::Entity::find()
            .filter(agents::Column::UserId.eq(user_id))
            .filter(agents::Column::Slug.eq(slug))
            .filter(agents::Column::ArchivedAt.is_null())
            .find_also_related(users::Entity)
            .one(&self.db)
            .await?
        else {
            return Err(Error::NotFound);
        };
        views(&self.db, vec![row]).await?.pop().ok_or(Error::NotFound)
    }

    /// The user's live agents, id ascending, after the cursor.
    pub async fn list_agents(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AgentView>> {
        match &self.reads {
            Some(reads) => Ok(reads.list_agents(user_id, after, limit)?),
            None => self.list_agents_orm(user_id, after, limit).await,
        }
    }

    /// `list_agents` through sea-orm (two queries: the agents with their owners, then their
    /// active tokens): the PostgreSQL path, and the reference the inline SQLite read is tested
    /// against.
    pub(super) async fn list_agents_orm(
        &self,
        user_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AgentView>> {
        let mut q = agents::Entity::find()
            .filter(agents::Column::UserId.eq(user_id))
            .filter(agents::Column::ArchivedAt.is_null());
        if let Some(after) = after {
            q = q.filter(agents::Column::Id.gt(after));
        }
        let rows = q
            .order_by_asc(agents::Column::Id)
            .limit(limit)
            .find_also_related(users::Entity)
            .all(&self.db)
            .await?;
        views(&self.db, rows).await
    }

    /// Applies the given changes to a live agent of `user_id` and bumps `updated_at`.
    /// `NotFound` when there is no such live agent (archived meanwhile, for instance),
    /// `UserGone` when the user was removed.
    pub async fn update_agent(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
        changes: AgentChanges,
    ) -> Result<AgentView> {
        let scope = changes.scope.as_deref().map(scope_to_db).transpose()?;
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            live_user(&txn, user_id, postgres).await?;
            let mut q = agents::Entity::update_many().col_expr(agents::Column::UpdatedAt, Expr::value(now()));
            let c = &changes;
            if let Some(v) = &c.display_name {
                q = q.col_expr(agents::Column::DisplayName, Expr::value(v.clone()));
            }
            if let Some(v) = &c.host {
                q = q.col_expr(agents::Column::Host, Expr::value(v.clone()));
            }
            if let Some(v) = &c.qmd_index {
                q = q.col_expr(agents::Column::QmdIndex, Expr::value(v.clone()));
            }
            if let Some(v) = &c.color {
                q = q.col_expr(agents::Column::Color, Expr::value(v.clone()));
            }
            if let Some(v) = &c.emoji {
                q = q.col_expr(agents::Column::Emoji, Expr::value(v.clone()));
            }
            if let Some(v) = c.can_read_user_memory {
                q = q.col_expr(agents::Column::CanReadUserMemory, Expr::value(v));
            }
            if let Some(v) = &scope {
                q = q.col_expr(agents::Column::Scope, Expr::value(v.clone()));
            }
            if let Some(v) = &c.status {
                q = q.col_expr(agents::Column::Status, Expr::value(v.clone()));
            }
            let p = &c.persona;
            for (column, v) in [
                (agents::Column::Model, &p.model),
                (agents::Column::SoulMd, &p.soul_md),
                (agents::Column::AgentMd, &p.agent_md),
                (agents::Column::MemoryPlugin, &p.memory_plugin),
            ] {
                if let Some(v) = v {
                    q = q.col_expr(column, Expr::value(v.clone()));
                }
            }
            let done = q
                .filter(agents::Column::Id.eq(agent_id))
                .filter(agents::Column::UserId.eq(user_id))
                .filter(agents::Column::ArchivedAt.is_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            view_by_id(&txn, agent_id).await
        })
    }

    /// Archives a live agent and revokes its token, together (`deleteAgent`).
    /// `NotFound` when there is no such live agent (archived meanwhile, for instance).
    pub async fn delete_agent(&self, agent_id: Uuid) -> Result<Agent> {
        write_txn!(self, |txn| {
            let at = now();
            let done = agents::Entity::update_many()
                .col_expr(agents::Column::ArchivedAt, Expr::value(at))
                .col_expr(agents::Column::UpdatedAt, Expr::value(at))
                .filter(agents::Column::Id.eq(agent_id))
                .filter(agents::Column::ArchivedAt.is_null())
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Error::NotFound);
            }
            revoke_active_agent_token(&txn, agent_id, at).await?;
            Ok(agents::Entity::find_by_id(agent_id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound)?
                .try_into()?)
        })
    }
}
