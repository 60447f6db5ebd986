//! The knowledge store's `knowledge` operations: documents (agent docs, apps' guides) listed,
//! read, and searched through the database's own full-text engine (FTS5 on SQLite, `tsvector`
//! on PostgreSQL; see `migrations::m0002`). Where they come from: `knowledge_sources`.

mod deadline;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};
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
    pub doc_url: Option<String>,
    /// Matched words are wrapped in `[` `]`.
    pub snippet: String,
    /// The whole document, to place the snippet in its section.
    pub content: String,
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
    /// first; the filter applies before ranking and `limit`. `words` must not be empty.
    /// `None` when the database worked on it longer than `deadline` and was stopped (an
    /// interrupt on SQLite, `statement_timeout` on PostgreSQL), so a costly search cannot hold
    /// its connection for long. Run it to its end: the SQLite deadline is taken off the
    /// connection afterwards.
    pub async fn search_knowledge(
        &self,
        words: &[String],
        filter: &KnowledgeFilter,
        limit: u64,
        deadline: Duration,
    ) -> Result<Option<Vec<KnowledgeHit>>> {
        let backend = self.db.get_database_backend();
        let mut texts = vec![match backend {
            DbBackend::Sqlite => fts5_query(words),
            _ => words.join(" "),
        }];
        let mut conditions = String::new();
        for (column, value) in [("category", &filter.category), ("source_id", &filter.source_id)] {
            if let Some(v) = value {
                texts.push(v.clone());
                conditions.push_str(&format!(" AND k.{column} = ${}", texts.len()));
            }
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let limit_param = texts.len() + 1;
        let sql = match backend {
            // bm25 is lower-is-better, and weighs a title match ten times a content match.
            DbBackend::Sqlite => format!(
                "SELECT k.id, k.source_id, k.source_url, k.category, k.title, k.doc_url, \
                 snippet(knowledge_fts, 1, '[', ']', '…', 16) AS snippet, k.content, \
                 -bm25(knowledge_fts, 10.0, 1.0) AS score \
                 FROM knowledge_fts JOIN knowledge_items k ON k.seq = knowledge_fts.rowid \
                 WHERE knowledge_fts MATCH $1{conditions} \
                 ORDER BY bm25(knowledge_fts, 10.0, 1.0), k.id LIMIT ${limit_param}"
            ),
            // ts_rank_cd's default weights rank A (title) at 1.0 and B (content) at 0.4. The
            // headline, which re-parses the content, is made for the page of hits only.
            _ => format!(
                "SELECT id, source_id, source_url, category, title, doc_url, \
                 ts_headline('english', content, q, \
                   'StartSel=[, StopSel=], MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet, \
                 content, score \
                 FROM (SELECT k.id, k.source_id, k.source_url, k.category, k.title, k.doc_url, \
                         k.content, q, ts_rank_cd(k.search, q)::float8 AS score \
                       FROM knowledge_items k, plainto_tsquery('english', $1) AS q \
                       WHERE k.search @@ q{conditions} \
                       ORDER BY score DESC, k.id LIMIT ${limit_param}) AS hits \
                 ORDER BY score DESC, id"
            ),
        };
        match backend {
            DbBackend::Sqlite => self.search_sqlite(sql, texts, limit, deadline).await,
            _ => self.search_postgres(sql, texts, limit, deadline).await,
        }
    }
}
#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::KnowledgeDoc;

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
}
