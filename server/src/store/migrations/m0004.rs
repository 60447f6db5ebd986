//! Agents' runtime specs and states, one row per agent that was given a runtime spec: how it
//! runs (`runtime`, `spec` as JSON), what its owner last asked for (`desired`), what it was
//! last seen doing (`status` as JSON), and which taosd runs it (`node`: a process agent lives
//! on one box, so replicas sharing one database reconcile only their own agents).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_agent_runtimes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("agent_runtimes")
                .col(ColumnDef::new("agent_id").uuid().not_null().primary_key())
                .col(ColumnDef::new("user_id").uuid().not_null())
                .col(ColumnDef::new("node").text().not_null())
                .col(ColumnDef::new("runtime").text().not_null())
                .col(ColumnDef::new("spec").text().not_null())
                .col(ColumnDef::new("desired").text().not_null())
                .col(ColumnDef::new("status").text().null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_agent_runtimes_agent_id")
                        .from("agent_runtimes", "agent_id")
                        .to("agents", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("agent_runtimes_node")
                .table("agent_runtimes")
                .col("node")
                .take(),
        )
        .await
    }
}
