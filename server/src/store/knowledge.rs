//! The knowledge store's `knowledge` operations: documents (agent docs, apps' guides) listed,
//! read, and searched through the database's own full-text engine (FTS5 on SQLite, `tsvector`
//! on PostgreSQL; see `migrations::m0002` and `m0003`). Where they come from:
//! `knowledge_sources`.

mod cache;
mod deadline;
mod fts5_bm25;
pub(super) mod fts5_snippet;
mod inline;
mod search_sql;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};

use search_sql::{SearchSql, search_sql};
use uuid::Uuid;

use super::entities::knowledge_items;
use super::{Error, Result, Store};

/// One whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeItem {
    pub id: Uuid,
    pub source_id: String,
    pub source_url: String,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub content: String,
    pub doc_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A document without its content, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct KnowledgeSummary {
    pub id: Uuid,
    pub source_id: String,
    pub source_url: String,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub doc_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A search hit: where it is, the text around the matched words, and how well it matched.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct KnowledgeHit {
    pub id: Uuid,
    pub source_id: String,
    pub source_url: String,
    pub category: String,
    pub title: String,
    /// The document's, without the section's anchor.
    pub doc_url: Option<String>,
    /// The heading of the section the snippet comes from; None before the first heading.
    pub section: Option<String>,
    /// That heading's id on the served page.
    pub anchor: Option<String>,
    /// Matched words are wrapped in `[` `]`.
    pub snippet: String,
    /// Higher is better; comparable only within one search.
    pub score: f64,
}
/// Narrows a list or a search; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeFilter {
    pub category: Option<String>,
    pub source_id: Option<String>,
}
impl From<knowledge_items::Model> for KnowledgeItem {
    fn from(m: knowledge_items::Model) -> Self {
        KnowledgeItem {
            id: m.id,
            source_id: m.source_id,
            source_url: m.source_url,
            category: m.category,
            title: m.title,
            summary: m.summary,
            content: m.content,
            doc_url: m.doc_url,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The FTS5 query for `words`: every word a quoted string, so nothing the caller typed is
/// read as query syntax (`OR`, `NEAR(`, `-`, `*`, `col:`), and juxtaposed, which FTS5 reads
/// as AND. Each string still goes through the column's tokenizer, so stemming applies.
pub(crate) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}
impl Store {
    /// Documents oldest first (id ascending), after the cursor.
    pub async fn list_knowledge_items(
        &self,
        filter: &KnowledgeFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<KnowledgeSummary>> {
        use knowledge_items::Column as C;
        let mut q = knowledge_items::Entity::find().select_only().columns([
            C::Id,
            C::SourceId,
            C::SourceUrl,
            C::Category,
            C::Title,
            C::Summary,
            C::DocUrl,
            C::UpdatedAt,
        ]);
        if let Some(category) = &filter.category {
            q = q.filter(C::Category.eq(category.as_str()));
        }
        if let Some(source_id) = &filter.source_id {
            q = q.filter(C::SourceId.eq(source_id.as_str()));
        }
        if let Some(after) = after {
            q = q.filter(C::Id.gt(after));
        }
        Ok(q.order_by_asc(C::Id)
            .limit(limit)
            .into_model::<KnowledgeSummary>()
            .all(&self.db)
            .await?)
    }

    /// One document; `NotFound` when there is none with this id.
    pub async fn get_knowledge_item(&self, id: Uuid) -> Result<KnowledgeItem> {
        knowledge_items::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(KnowledgeItem::from)
            .ok_or(Error::NotFound)
    }

    /// Every document of a category, content included, by (source_id, source_url).
    pub async fn knowledge_in_category(&self, category: &str) -> Result<Vec<KnowledgeItem>> {
        Ok(knowledge_items::Entity::find()
            .filter(knowledge_items::Column::Category.eq(category))
            .order_by_asc(knowledge_items::Column::SourceId)
            .order_by_asc(knowledge_items::Column::SourceUrl)
            .all(&self.db)
            .await?
            .into_iter()
            .map(KnowledgeItem::from)
            .collect())
    }

    /// The documents containing every one of `words` (in any form the stemmer relates), best
    /// first, each with its best section and a snippet from it; the filter applies before
    /// ranking and `limit`. `words` must not be empty. `None` when the database worked on it
    /// longer than `deadline` and was stopped (a progress handler on SQLite,
    /// `statement_timeout` on PostgreSQL), so a costly search cannot hold its connection for
    /// long.
    pub async fn search_knowledge(
        &self,
        words: &[String],
        filter: &KnowledgeFilter,
        limit: u64,
        deadline: Duration,
    ) -> Result<Option<Vec<KnowledgeHit>>> {
        let backend = self.db.get_database_backend();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match (backend, &self.reads) {
            (DbBackend::Sqlite, Some(reads)) => {
                // The read connections have the cheaper snippet and bm25 functions.
                let SearchSql { sql, texts } =
                    search_sql(backend, words, filter, fts5_snippet::NAME, fts5_bm25::NAME);
                let search = inline::Search {
                    words,
                    filter,
                    sql,
                    texts,
                };
                inline::search(reads.clone(), search, limit, deadline).await
            }
            (DbBackend::Sqlite, None) => {
                let SearchSql { sql, texts } = search_sql(backend, words, filter, "snippet", "bm25");
                self.search_sqlite(sql, texts, limit, deadline).await
            }
            _ => {
                let SearchSql { sql, texts } = search_sql(backend, words, filter, "", "");
                self.search_postgres(sql, texts, limit, deadline).await
            }
        }
    }
}
#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::{KnowledgeDoc, KnowledgeSection};

    pub(in crate::store) const DEADLINE: Duration = Duration::from_secs(5);

    pub(in crate::store) fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    pub(in crate::store) fn doc(path: &str, title: &str, content: &str) -> KnowledgeDoc {
        KnowledgeDoc {
            source_url: path.into(),
            title: title.into(),
            summary: content.chars().take(200).collect(),
            content: content.into(),
            doc_url: None,
            sections: Vec::new(),
        }
    }

    #[test]
    fn every_word_is_a_quoted_string() {
        assert_eq!(fts5_query(&words(&["issue", "token"])), r#""issue" "token""#);
        assert_eq!(fts5_query(&words(&["OR"])), r#""OR""#);
        assert_eq!(fts5_query(&words(&["a\"b"])), r#""a""b""#);
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/taos.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn hostile_words_are_plain_text_to_fts5() {
        let (_dir, store) = store().await;
        store
            .sync_knowledge_source(
                "s",
                "agent-docs",
                &[doc("x.md", "Near or not", "NEAR OR AND NOT title content")],
                |_| false,
            )
            .await
            .unwrap();
        let any = KnowledgeFilter::default();
        for w in [
            "NEAR",
            "OR",
            "AND",
            "NOT",
            "title",
            "\"",
            "*",
            "é\u{301}",
            "\u{345}",
            "x\"y",
        ] {
            store
                .search_knowledge(&words(&[w]), &any, 10, DEADLINE)
                .await
                .unwrap_or_else(|e| panic!("{w:?}: {e}"));
        }
        let hits = store
            .search_knowledge(&words(&["or", "not"]), &any, 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].snippet.contains("[OR]"), "{}", hits[0].snippet);
    }

    /// The search straight on the file (rusqlite) and the one through the pool (sqlx, for
    /// in-memory databases) answer the same hits, sections and snippets.
    #[tokio::test]
    async fn both_sqlite_paths_answer_alike() {
        let (_dir, store) = store().await;
        let mut docs = Vec::new();
        for n in 0..4 {
            let mut d = doc(
                &format!("d{n}.md"),
                &format!("Doc {n}"),
                "# T\n\nIntro token.\n\n## Revoke\n\nRevoke the token.\n",
            );
            d.sections = vec![
                KnowledgeSection {
                    heading: None,
                    anchor: None,
                    content: "# T\n\nIntro token.\n\n".into(),
                },
                KnowledgeSection {
                    heading: Some("Revoke".into()),
                    anchor: Some("revoke".into()),
                    content: "## Revoke\n\nRevoke the token.\n".into(),
                },
            ];
            docs.push(d);
        }
        store
            .sync_knowledge_source("s", "agent-docs", &docs, |_| false)
            .await
            .unwrap();
        let pooled = Store {
            db: store.db.clone(),
            reads: None,
            notify: Default::default(),
            checkpoints: None,
        };
        let any = KnowledgeFilter::default();
        for ws in [&["revoke", "token"][..], &["intro"], &["doc"], &["zebra"]] {
            let inline = store
                .search_knowledge(&words(ws), &any, 3, DEADLINE)
                .await
                .unwrap();
            let through_sqlx = pooled
                .search_knowledge(&words(ws), &any, 3, DEADLINE)
                .await
                .unwrap();
            assert_eq!(inline, through_sqlx, "{ws:?}");
        }
        let hits = store
            .search_knowledge(&words(&["revoke", "token"]), &any, 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(hits.len(), 4);
        assert!(
            hits.iter().all(|h| h.section.as_deref() == Some("Revoke")),
            "{hits:?}"
        );
        assert!(hits[0].snippet.contains("[Revoke] the [token]"), "{hits:?}");
        // A title-only match has no section holding the word: the summary stands in.
        let title = pooled
            .search_knowledge(&words(&["doc"]), &any, 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time");
        assert_eq!(title.len(), 4);
        assert_eq!(title[0].section, None);
        assert_eq!(title[0].snippet, docs[0].summary);
    }
}
