//! Schema migrations, applied at startup. Never edit a released migration; add a new one.

use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001::Migration),
            Box::new(m0002::Migration),
            Box::new(m0003::Migration),
            Box::new(m0004::Migration),
            Box::new(m0005::Migration),
        ]
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

/// The knowledge store: one row per document, and a full-text index over title and content
/// that the database keeps in step with the rows by itself (triggers on SQLite, a generated
/// column on PostgreSQL), so no code path can forget to update it.
mod m0002 {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::sea_orm::DbBackend;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0002_knowledge"
        }
    }

    fn text(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().not_null().take()
    }

    fn time(name: &'static str) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
    }

    /// FTS5 over title and content, reading the text from `knowledge_items` itself (external
    /// content). Its rowids are `seq`, an INTEGER PRIMARY KEY: the implicit rowid of a table
    /// without one may be renumbered by VACUUM, which would point the index at other rows.
    const SQLITE_FTS: &[&str] = &[
        "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, content, \
         content='knowledge_items', content_rowid='seq', tokenize='porter unicode61')",
        "CREATE TRIGGER knowledge_items_fts_insert AFTER INSERT ON knowledge_items BEGIN \
         INSERT INTO knowledge_fts(rowid, title, content) VALUES (new.seq, new.title, new.content); END",
        "CREATE TRIGGER knowledge_items_fts_delete AFTER DELETE ON knowledge_items BEGIN \
         INSERT INTO knowledge_fts(knowledge_fts, rowid, title, content) \
         VALUES ('delete', old.seq, old.title, old.content); END",
        "CREATE TRIGGER knowledge_items_fts_update AFTER UPDATE OF title, content ON knowledge_items BEGIN \
         INSERT INTO knowledge_fts(knowledge_fts, rowid, title, content) \
         VALUES ('delete', old.seq, old.title, old.content); \
         INSERT INTO knowledge_fts(rowid, title, content) VALUES (new.seq, new.title, new.content); END",
    ];

    /// A weighted `tsvector` the database computes on every write (title A, content B), and
    /// the GIN index searches use.
    const POSTGRES_FTS: &[&str] = &[
        "ALTER TABLE knowledge_items ADD COLUMN search tsvector GENERATED ALWAYS AS \
         (setweight(to_tsvector('english'::regconfig, title), 'A') || \
          setweight(to_tsvector('english'::regconfig, content), 'B')) STORED",
        "CREATE INDEX knowledge_items_search ON knowledge_items USING GIN (search)",
    ];

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            let sqlite = m.get_database_backend() == DbBackend::Sqlite;
            let mut table = Table::create().table("knowledge_items").take();
            if sqlite {
                table
                    .col(ColumnDef::new("seq").integer().not_null().primary_key())
                    .col(ColumnDef::new("id").uuid().not_null().unique_key());
            } else {
                table.col(ColumnDef::new("id").uuid().not_null().primary_key());
            }
            table
                .col(text("source_id"))
                .col(text("source_url"))
                .col(text("category"))
                .col(text("title"))
                .col(text("summary"))
                .col(text("content"))
                .col(text("content_hash"))
                .col(ColumnDef::new("doc_url").text().null())
                .col(time("created_at"))
                .col(time("updated_at"));
            m.create_table(table).await?;
            // One row per document of a source: what makes re-ingesting an upsert.
            m.create_index(
                Index::create()
                    .name("knowledge_items_source_document")
                    .table("knowledge_items")
                    .col("source_id")
                    .col("source_url")
                    .unique()
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("knowledge_items_category")
                    .table("knowledge_items")
                    .col("category")
                    .col("id")
                    .take(),
            )
            .await?;
            let conn = m.get_connection();
            for sql in if sqlite { SQLITE_FTS } else { POSTGRES_FTS } {
                conn.execute_unprepared(sql).await?;
            }
            Ok(())
        }
    }
}

/// The knowledge store by section (its own file: this one would outgrow 400 lines).
mod m0003;
mod m0004;
mod m0005;
