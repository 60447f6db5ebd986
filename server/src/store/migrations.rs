//! Schema migrations, applied at startup. Never edit a released migration; add a new one.

use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001::Migration)]
    }
}

mod m0001 {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::sea_query::ExprTrait;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0001_initial"
        }
    }

    fn id() -> ColumnDef {
        ColumnDef::new("id").uuid().not_null().primary_key().take()
    }

    fn uuid(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).uuid().not_null().take()
    }

    fn text(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().not_null().take()
    }

    fn text_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().null().take()
    }

    fn time(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
    }

    fn time_null(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().null().take()
    }

    fn fk(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
        ForeignKey::create()
            .name(format!("fk_{from}_{col}"))
            .from(from, col)
            .to(to, "id")
            .take()
    }

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            m.create_table(
                Table::create()
                    .table("users")
                    .col(id())
                    .col(text("username"))
                    .col(text("password_hash"))
                    .col(text_null("full_name"))
                    .col(text_null("email"))
                    .col(ColumnDef::new("admin").boolean().not_null().default(false))
                    .col(time("created_at"))
                    .col(time_null("deleted_at"))
                    .take(),
            )
            .await?;
            // A deleted user's name may be taken again; a live one's may not.
            m.create_index(
                Index::create()
                    .name("users_username_live")
                    .table("users")
                    .col("username")
                    .unique()
                    .and_where(Expr::col("deleted_at").is_null())
                    .take(),
            )
            .await?;

            // Its primary key makes "create the first user" a race any number of replicas
            // can lose safely: exactly one insert of 'first-user' can ever succeed.
            m.create_table(
                Table::create()
                    .table("setup_marker")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(time("created_at"))
                    .take(),
            )
            .await?;

            m.create_table(
                Table::create()
                    .table("sessions")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(text("token_hash"))
                    .col(time("created_at"))
                    .col(time("expires_at"))
                    .foreign_key(&mut fk("sessions", "user_id", "users"))
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("sessions_token_hash")
                    .table("sessions")
                    .col("token_hash")
                    .unique()
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("sessions_user_id")
                    .table("sessions")
                    .col("user_id")
                    .take(),
            )
            .await?;

            m.create_table(
                Table::create()
                    .table("agents")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(text("slug"))
                    .col(text("display_name"))
                    .col(text_null("host"))
                    .col(text_null("qmd_index"))
                    .col(text("color"))
                    .col(text_null("emoji"))
                    .col(
                        ColumnDef::new("can_read_user_memory")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(text("scope"))
                    .col(ColumnDef::new("status").text().not_null().default("created"))
                    .col(time("created_at"))
                    .col(time("updated_at"))
                    .col(time_null("archived_at"))
                    .foreign_key(&mut fk("agents", "user_id", "users"))
                    .take(),
            )
            .await?;
            // Slugs name live agents in URLs; archived agents keep theirs without blocking reuse.
            m.create_index(
                Index::create()
                    .name("agents_user_slug_live")
                    .table("agents")
                    .col("user_id")
                    .col("slug")
                    .unique()
                    .and_where(Expr::col("archived_at").is_null())
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("agents_user_id")
                    .table("agents")
                    .col("user_id")
                    .col("id")
                    .take(),
            )
            .await?;

            m.create_table(
                Table::create()
                    .table("api_tokens")
                    .col(id())
                    .col(text("kind"))
                    .col(uuid("user_id"))
                    .col(ColumnDef::new("agent_id").uuid().null())
                    .col(text_null("label"))
                    .col(text("token_hash"))
                    .col(text("scope"))
                    .col(time("created_at"))
                    .col(time_null("expires_at"))
                    .col(time_null("revoked_at"))
                    .col(time_null("last_used_at"))
                    .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                    .foreign_key(&mut fk("api_tokens", "agent_id", "agents"))
                    .check(Expr::col("kind").is_in(["agent", "user"]))
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("api_tokens_token_hash")
                    .table("api_tokens")
                    .col("token_hash")
                    .unique()
                    .take(),
            )
            .await?;
            // One active token per agent, enforced by the database itself so that no
            // interleaving of concurrent re-issues can leave two. User tokens have a NULL
            // agent_id, and NULLs never collide in a unique index.
            m.create_index(
                Index::create()
                    .name("api_tokens_agent_active")
                    .table("api_tokens")
                    .col("agent_id")
                    .unique()
                    .and_where(Expr::col("revoked_at").is_null())
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("api_tokens_user_id")
                    .table("api_tokens")
                    .col("user_id")
                    .take(),
            )
            .await?;

            m.create_table(
                Table::create()
                    .table("notifications")
                    .col(id())
                    .col(uuid("user_id"))
                    .col(text("title"))
                    .col(text("message"))
                    .col(text("level"))
                    .col(text("source"))
                    .col(text_null("app_origin"))
                    .col(text_null("action_url"))
                    .col(ColumnDef::new("read").boolean().not_null().default(false))
                    .col(time("created_at"))
                    .foreign_key(&mut fk("notifications", "user_id", "users"))
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("notifications_user_id")
                    .table("notifications")
                    .col("user_id")
                    .col("id")
                    .take(),
            )
            .await?;

            m.create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(id())
                    .col(text("principal"))
                    .col(text("operation"))
                    .col(text("key"))
                    .col(text("fingerprint"))
                    .col(ColumnDef::new("status").integer().null())
                    .col(text_null("body"))
                    .col(time("created_at"))
                    .col(time("expires_at"))
                    .take(),
            )
            .await?;
            // The reservation itself: whoever inserts this triple first runs the request.
            m.create_index(
                Index::create()
                    .name("idempotency_keys_scope")
                    .table("idempotency_keys")
                    .col("principal")
                    .col("operation")
                    .col("key")
                    .unique()
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("idempotency_keys_expires_at")
                    .table("idempotency_keys")
                    .col("expires_at")
                    .take(),
            )
            .await?;
            Ok(())
        }
    }
}
