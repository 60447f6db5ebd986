//! Agents' persona (`model`, `soul_md`, `agent_md`, `memory_plugin`: stored and exported for the
//! agent, never read by taosd), and operations: work taosd does in the background for a caller
//! (a deploy), kept so it can be followed across restarts and replicas. `steps`, `error` and
//! `result` are the domain's JSON; `node` is the taosd that runs it (one that restarts fails
//! its own unfinished operations).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_persona_operations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in ["model", "soul_md", "agent_md", "memory_plugin"] {
            m.alter_table(
                Table::alter()
                    .table("agents")
                    .add_column(ColumnDef::new(column).text().null())
                    .take(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("operations")
                .col(ColumnDef::new("id").uuid().not_null().primary_key())
                .col(ColumnDef::new("user_id").uuid().not_null())
                .col(ColumnDef::new("agent_id").uuid().not_null())
                .col(ColumnDef::new("agent_slug").text().not_null())
                .col(ColumnDef::new("kind").text().not_null())
                .col(ColumnDef::new("node").text().not_null())
                .col(ColumnDef::new("status").text().not_null())
                .col(ColumnDef::new("steps").text().not_null())
                .col(ColumnDef::new("error").text().null())
                .col(ColumnDef::new("result").text().null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("operations_agent")
                .table("operations")
                .col("agent_id")
                .col("created_at")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("operations_node_status")
                .table("operations")
                .col("node")
                .col("status")
                .take(),
        )
        .await
    }
}
