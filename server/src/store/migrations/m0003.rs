//! The knowledge store by section: each document's text cut at its headings (level 2 and
//! deeper), one row per section with the heading and its anchor on the served page, and a
//! full-text index over the sections. A search ranks whole documents as before, then takes
//! each hit's snippet from its best section: a snippet cut from a section costs a small part
//! of one cut from a whole page, and the section is known without parsing the page.
//!
//! Existing documents get one section holding their whole text, so search keeps working;
//! the next ingest (at startup) writes their real sections, as the documents' fingerprint now
//! covers the sections and so no longer matches (`knowledge_sources::fingerprint`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_knowledge_sections"
    }
}

const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE knowledge_section_fts USING fts5(heading, content, \
     content='knowledge_sections', content_rowid='seq', tokenize='porter unicode61')",
    "CREATE TRIGGER knowledge_sections_fts_insert AFTER INSERT ON knowledge_sections BEGIN \
     INSERT INTO knowledge_section_fts(rowid, heading, content) VALUES (new.seq, new.heading, new.content); END",
    "CREATE TRIGGER knowledge_sections_fts_delete AFTER DELETE ON knowledge_sections BEGIN \
     INSERT INTO knowledge_section_fts(knowledge_section_fts, rowid, heading, content) \
     VALUES ('delete', old.seq, old.heading, old.content); END",
    "CREATE TRIGGER knowledge_sections_fts_update AFTER UPDATE OF heading, content ON knowledge_sections BEGIN \
     INSERT INTO knowledge_section_fts(knowledge_section_fts, rowid, heading, content) \
     VALUES ('delete', old.seq, old.heading, old.content); \
     INSERT INTO knowledge_section_fts(rowid, heading, content) VALUES (new.seq, new.heading, new.content); END",
];

/// Heading A, text B, as the documents' own vector weighs title and content. No GIN
/// index: a search only looks at the sections of the documents it already found.
const POSTGRES_FTS: &[&str] = &[
    "ALTER TABLE knowledge_sections ADD COLUMN search tsvector GENERATED ALWAYS AS \
     (setweight(to_tsvector('english'::regconfig, coalesce(heading, '')), 'A') || \
      setweight(to_tsvector('english'::regconfig, content), 'B')) STORED",
];

const BACKFILL: &str = "INSERT INTO knowledge_sections (item_id, position, heading, anchor, content) \
     SELECT id, 0, NULL, NULL, content FROM knowledge_items";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = m.get_database_backend() == DbBackend::Sqlite;
        let mut table = Table::create().table("knowledge_sections").take();
        if sqlite {
            // The full-text index's rowids (see m0002 on why an INTEGER PRIMARY KEY).
            table.col(ColumnDef::new("seq").integer().not_null().primary_key());
        }
        table
            .col(ColumnDef::new("item_id").uuid().not_null())
            .col(ColumnDef::new("position").integer().not_null())
            .col(ColumnDef::new("heading").text().null())
            .col(ColumnDef::new("anchor").text().null())
            .col(ColumnDef::new("content").text().not_null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_knowledge_sections_item_id")
                    .from("knowledge_sections", "item_id")
                    .to("knowledge_items", "id")
                    .on_delete(ForeignKeyAction::Cascade),
            );
        if !sqlite {
            table.primary_key(Index::create().col("item_id").col("position"));
        }
        m.create_table(table).await?;
        if sqlite {
            m.create_index(
                Index::create()
                    .name("knowledge_sections_item_position")
                    .table("knowledge_sections")
                    .col("item_id")
                    .col("position")
                    .unique()
                    .take(),
            )
            .await?;
        }
        let conn = m.get_connection();
        for sql in if sqlite { SQLITE_FTS } else { POSTGRES_FTS } {
            conn.execute_unprepared(sql).await?;
        }
        conn.execute_unprepared(BACKFILL).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;

    use crate::store::knowledge::tests::{DEADLINE, words};
    use crate::store::migrations::Migrator;
    use crate::store::{KnowledgeDoc, KnowledgeFilter, KnowledgeSection, Store};

    /// A database from before sections: its documents are found at once after the upgrade
    /// (one whole-text section each), and the next ingest gives them their sections.
    #[tokio::test]
    async fn a_database_from_before_sections_upgrades() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/taos.db?mode=rwc", dir.path().display());
        let old = Database::connect(url.as_str()).await.unwrap();
        Migrator::up(&old, Some(2)).await.unwrap();
        let text = "# Birds\n\nIntro.\n\n## Herons\n\nA heron waits.\n";
        let at = "2026-01-01T00:00:00+00:00";
        old.execute_unprepared(&format!(
            "INSERT INTO knowledge_items (id, source_id, source_url, category, title, summary, \
             content, content_hash, doc_url, created_at, updated_at) VALUES \
             (X'0192f1c8111172228333444455556666', 's', 'birds.md', 'agent-docs', 'Birds', \
             'Intro.', '{text}', '{}', NULL, '{at}', '{at}')",
            crate::digest::sha256_hex(text)
        ))
        .await
        .unwrap();
        old.close().await.unwrap();

        let store = Store::connect(&url).await.unwrap();
        let any = KnowledgeFilter::default();
        let before = store
            .search_knowledge(&words(&["heron"]), &any, 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].section, None, "one section, the whole text");
        assert!(before[0].snippet.contains("[heron]"), "{}", before[0].snippet);

        let doc = KnowledgeDoc {
            source_url: "birds.md".into(),
            title: "Birds".into(),
            summary: "Intro.".into(),
            content: text.into(),
            doc_url: None,
            sections: vec![
                KnowledgeSection {
                    heading: None,
                    anchor: None,
                    content: "# Birds\n\nIntro.\n\n".into(),
                },
                KnowledgeSection {
                    heading: Some("Herons".into()),
                    anchor: Some("herons".into()),
                    content: "## Herons\n\nA heron waits.\n".into(),
                },
            ],
        };
        let r = store
            .sync_knowledge_source("s", "agent-docs", std::slice::from_ref(&doc), |_| false)
            .await
            .unwrap();
        assert_eq!(r.updated, 1, "same text, but now with sections: rewritten");
        let after = store
            .search_knowledge(&words(&["heron"]), &any, 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(after[0].id, before[0].id);
        assert_eq!(after[0].section.as_deref(), Some("Herons"));
        assert_eq!(after[0].anchor.as_deref(), Some("herons"));
        let again = store
            .sync_knowledge_source("s", "agent-docs", &[doc], |_| false)
            .await
            .unwrap();
        assert_eq!(again.unchanged, 1, "and then left alone");
    }
}
