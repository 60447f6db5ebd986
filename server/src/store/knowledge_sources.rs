//! Where the knowledge store's documents come from: each source (the agent docs, an app's
//! guides) synced as a whole, listed and removed. Reading and searching them: `knowledge`.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{knowledge_items, knowledge_sections};
use super::{Result, Store, now, write_txn};
use crate::digest::sha256_hex;

/// Key of the PostgreSQL advisory lock that makes replicas ingesting at the same moment take
/// turns, source by source.
const INGEST_LOCK: i64 = 0x7a05_0002;
/// A document as a source offers it, to be stored under `(source_id, source_url)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeDoc {
    pub source_url: String,
    pub title: String,
    pub summary: String,
    pub content: String,
    pub doc_url: Option<String>,
    /// `content` cut into sections, in order; none means the whole text is one section.
    pub sections: Vec<KnowledgeSection>,
}
/// One section of a document: where a search hit's snippet is cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeSection {
    /// None before the first heading.
    pub heading: Option<String>,
    /// The heading's id on the served page.
    pub anchor: Option<String>,
    pub content: String,
}
/// What syncing one source changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
}
/// The hash of what a document stores: its text and its sections (with a version tag), so
/// that a new way of cutting sections rewrites them all, and so do the rows of a database
/// from before sections (whose hash was the text's alone).
fn fingerprint(doc: &KnowledgeDoc) -> String {
    // Lengths before texts: no heading or text can pass for a boundary.
    let mut canon = format!("sections-v1\n{}\n{}", doc.content.len(), doc.content);
    for s in &doc.sections {
        for part in [&s.heading, &s.anchor] {
            match part {
                Some(p) => canon.push_str(&format!("\n{}:{p}", p.len())),
                None => canon.push_str("\n-"),
            }
        }
        canon.push_str(&format!("\n{}:{}", s.content.len(), s.content));
    }
    sha256_hex(&canon)
}
/// Whether the stored row already says what `doc` says (nothing to write).
fn same(row: &knowledge_items::Model, category: &str, doc: &KnowledgeDoc, content_hash: &str) -> bool {
    row.content_hash == content_hash
        && row.title == doc.title
        && row.summary == doc.summary
        && row.category == category
        && row.doc_url == doc.doc_url
}
/// Writes the sections of a document just stored under `item_id`.
async fn insert_sections(txn: &impl ConnectionTrait, item_id: Uuid, doc: &KnowledgeDoc) -> Result<()> {
    let whole = [KnowledgeSection {
        heading: None,
        anchor: None,
        content: doc.content.clone(),
    }];
    let sections = if doc.sections.is_empty() {
        &whole[..]
    } else {
        &doc.sections[..]
    };
    let rows = sections
        .iter()
        .enumerate()
        .map(|(position, s)| knowledge_sections::ActiveModel {
            item_id: Set(item_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            heading: Set(s.heading.clone()),
            anchor: Set(s.anchor.clone()),
            content: Set(s.content.clone()),
        });
    knowledge_sections::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
impl Store {
    /// Makes the source's stored documents equal `docs`: new ones are added, changed ones
    /// updated in place (keeping their id), unchanged ones left alone (keeping their
    /// `updated_at`), and the rest deleted, except those whose `source_url` `keep` accepts
    /// (documents that exist but could not be read this time). Other sources are not touched.
    pub async fn sync_knowledge_source(
        &self,
        source_id: &str,
        category: &str,
        docs: &[KnowledgeDoc],
        keep: impl Fn(&str) -> bool,
    ) -> Result<SyncReport> {
        let postgres = !self.is_sqlite();
        write_txn!(self, |txn| {
            if postgres {
                txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({INGEST_LOCK})"))
                    .await?;
            }
            let mut stored: HashMap<String, knowledge_items::Model> = knowledge_items::Entity::find()
                .filter(knowledge_items::Column::SourceId.eq(source_id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| (m.source_url.clone(), m))
                .collect();
            let mut report = SyncReport::default();
            let at = now();
            for doc in docs {
                let content_hash = fingerprint(doc);
                match stored.remove(&doc.source_url) {
                    Some(row) if same(&row, category, doc, &content_hash) => report.unchanged += 1,
                    Some(row) => {
                        let mut active: knowledge_items::ActiveModel = row.into();
                        active.category = Set(category.to_owned());
                        active.title = Set(doc.title.clone());
                        active.summary = Set(doc.summary.clone());
                        active.content = Set(doc.content.clone());
                        active.content_hash = Set(content_hash);
                        active.doc_url = Set(doc.doc_url.clone());
                        active.updated_at = Set(at);
                        let row = active.update(&txn).await?;
                        knowledge_sections::Entity::delete_many()
                            .filter(knowledge_sections::Column::ItemId.eq(row.id))
                            .exec(&txn)
                            .await?;
                        insert_sections(&txn, row.id, doc).await?;
                        report.updated += 1;
                    }
                    None => {
                        let id = Uuid::now_v7();
                        let row = knowledge_items::ActiveModel {
                            id: Set(id),
                            source_id: Set(source_id.to_owned()),
                            source_url: Set(doc.source_url.clone()),
                            category: Set(category.to_owned()),
                            title: Set(doc.title.clone()),
                            summary: Set(doc.summary.clone()),
                            content: Set(doc.content.clone()),
                            content_hash: Set(content_hash),
                            doc_url: Set(doc.doc_url.clone()),
                            created_at: Set(at),
                            updated_at: Set(at),
                        };
                        // The lock (PostgreSQL) or the write transaction (SQLite) already keeps
                        // a concurrent ingest out; should one slip in anyway, its row stands.
                        let inserted = knowledge_items::Entity::insert(row)
                            .on_conflict(
                                OnConflict::columns([
                                    knowledge_items::Column::SourceId,
                                    knowledge_items::Column::SourceUrl,
                                ])
                                .do_nothing()
                                .to_owned(),
                            )
                            .exec_without_returning(&txn)
                            .await?;
                        if inserted > 0 {
                            insert_sections(&txn, id, doc).await?;
                        }
                        report.added += inserted;
                    }
                }
            }
            let gone: Vec<Uuid> = stored
                .values()
                .filter(|row| !keep(&row.source_url))
                .map(|row| row.id)
                .collect();
            if !gone.is_empty() {
                report.removed = knowledge_items::Entity::delete_many()
                    .filter(knowledge_items::Column::Id.is_in(gone))
                    .exec(&txn)
                    .await?
                    .rows_affected;
            }
            if !postgres && report.added + report.updated + report.removed > 0 {
                // Each write left a segment of its own in the full-text indexes; merged into
                // one, a search reads one b-tree per word rather than one per past write.
                for table in ["knowledge_fts", "knowledge_section_fts"] {
                    txn.execute_unprepared(&format!("INSERT INTO {table}({table}) VALUES ('optimize')"))
                        .await?;
                }
            }
            Ok(report)
        })
    }

    /// Deletes every document of a source; returns how many there were.
    pub async fn delete_knowledge_source(&self, source_id: &str) -> Result<u64> {
        Ok(knowledge_items::Entity::delete_many()
            .filter(knowledge_items::Column::SourceId.eq(source_id))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// The sources that have documents and whose id starts with `prefix`, sorted.
    pub async fn knowledge_sources(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(knowledge_items::Entity::find()
            .select_only()
            .column(knowledge_items::Column::SourceId)
            .distinct()
            .filter(knowledge_items::Column::SourceId.starts_with(prefix))
            .order_by_asc(knowledge_items::Column::SourceId)
            .into_tuple::<String>()
            .all(&self.db)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KnowledgeFilter;
    use crate::store::knowledge::tests::{DEADLINE, doc, words};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/taos.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn sync_keeps_ids_and_only_touches_its_source() {
        let (_dir, store) = store().await;
        let a = doc("a.md", "Alpha", "alpha tokens here");
        let b = doc("b.md", "Beta", "beta text");
        let r = store
            .sync_knowledge_source("s1", "agent-docs", &[a.clone(), b.clone()], |_| false)
            .await
            .unwrap();
        assert_eq!((r.added, r.updated, r.unchanged, r.removed), (2, 0, 0, 0));
        store
            .sync_knowledge_source("s2", "agent-docs", std::slice::from_ref(&a), |_| false)
            .await
            .unwrap();
        let f = KnowledgeFilter {
            source_id: Some("s1".into()),
            ..Default::default()
        };
        let before = store.list_knowledge_items(&f, None, 10).await.unwrap();

        let r = store
            .sync_knowledge_source("s1", "agent-docs", &[a.clone(), b.clone()], |_| false)
            .await
            .unwrap();
        assert_eq!((r.added, r.updated, r.unchanged, r.removed), (0, 0, 2, 0));
        assert_eq!(store.list_knowledge_items(&f, None, 10).await.unwrap(), before);

        let b2 = doc("b.md", "Beta", "beta text, now about widgets");
        let r = store
            .sync_knowledge_source("s1", "agent-docs", &[b2], |_| false)
            .await
            .unwrap();
        assert_eq!((r.added, r.updated, r.unchanged, r.removed), (0, 1, 0, 1));
        let after = store.list_knowledge_items(&f, None, 10).await.unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].id, before[1].id, "an updated document keeps its id");
        let hits = store
            .search_knowledge(&words(&["widgets"]), &KnowledgeFilter::default(), 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(hits.len(), 1, "the index follows updates");
        let hits = store
            .search_knowledge(&words(&["alpha"]), &KnowledgeFilter::default(), 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(hits.len(), 1, "s1's alpha is gone from the index, s2's stays");
        assert_eq!(hits[0].source_id, "s2");

        // A document that could not be read this time is kept, not deleted.
        let r = store
            .sync_knowledge_source("s1", "agent-docs", &[], |url| url == "b.md")
            .await
            .unwrap();
        assert_eq!(r.removed, 0);
        assert_eq!(store.delete_knowledge_source("s1").await.unwrap(), 1);
        // The sections went with their documents, out of the section index too.
        let sections = store
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT count(*) AS n FROM knowledge_sections",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sections.try_get::<i64>("", "n").unwrap(), 1, "s2's one document");
        store
            .db
            .execute_unprepared(
                "INSERT INTO knowledge_section_fts(knowledge_section_fts) VALUES ('integrity-check')",
            )
            .await
            .expect("the section index matches the sections");
        assert_eq!(
            store.knowledge_sources("s").await.unwrap(),
            vec!["s2".to_string()]
        );
    }
}
