//! The knowledge operations: HTTP ↔ `domain::knowledge`. The scope check (`knowledge.read`)
//! is done by `authorize`; knowledge is shared, so there is no owner to filter by.

use taos_api::server::{self as wire, KnowledgeApi};
use taos_api::types;

use super::{Api, Res, limit};
use crate::auth::Ctx;
use crate::domain::knowledge::{self, KnowledgeFilter, KnowledgeHit, KnowledgeItem, KnowledgeSummary};

fn summary(k: &KnowledgeSummary) -> types::KnowledgeItemSummary {
    types::KnowledgeItemSummary {
        id: k.id,
        title: k.title.clone(),
        summary: k.summary.clone(),
        category: k.category.clone(),
        source_id: k.source_id.clone(),
        source_url: k.source_url.clone(),
        doc_url: k.doc_url.clone(),
        updated_at: k.updated_at,
    }
}

fn item(k: KnowledgeItem) -> types::KnowledgeItem {
    types::KnowledgeItem {
        id: k.id,
        title: k.title,
        summary: k.summary,
        content: k.content,
        category: k.category,
        source_id: k.source_id,
        source_url: k.source_url,
        doc_url: k.doc_url,
        created_at: k.created_at,
        updated_at: k.updated_at,
    }
}

fn hit(h: KnowledgeHit) -> types::KnowledgeHit {
    types::KnowledgeHit {
        section: h.section,
        id: h.id,
        title: h.title,
        category: h.category,
        source_id: h.source_id,
        source_url: h.source_url,
        doc_url: h.doc_url,
        snippet: h.snippet,
        score: h.score,
    }
}

impl KnowledgeApi for Api {
    async fn list_knowledge_items(
        &self,
        _ctx: Ctx,
        q: wire::ListKnowledgeItemsQuery,
    ) -> Res<wire::ListKnowledgeItemsResponse> {
        let filter = KnowledgeFilter {
            category: q.category,
            source_id: q.source_id,
        };
        let page =
            knowledge::list_knowledge_items(&self.state.store, &filter, q.cursor, limit(q.limit)).await?;
        Ok(wire::ListKnowledgeItemsResponse::Ok(types::KnowledgeItemList {
            items: page.items.iter().map(summary).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    async fn search_knowledge(
        &self,
        _ctx: Ctx,
        q: wire::SearchKnowledgeQuery,
    ) -> Res<wire::SearchKnowledgeResponse> {
        let filter = KnowledgeFilter {
            category: q.category,
            source_id: q.source_id,
        };
        // The router has held `limit` to 1..=50 already.
        let hits = knowledge::search_knowledge(&self.state.store, &q.q, &filter, limit(q.limit)).await?;
        Ok(wire::SearchKnowledgeResponse::Ok(types::KnowledgeSearchResults {
            query: q.q,
            items: hits.into_iter().map(hit).collect(),
        }))
    }

    async fn get_knowledge_item(
        &self,
        _ctx: Ctx,
        p: wire::GetKnowledgeItemPath,
    ) -> Res<wire::GetKnowledgeItemResponse> {
        let k = knowledge::get_knowledge_item(&self.state.store, p.id).await?;
        Ok(wire::GetKnowledgeItemResponse::Ok(item(k)))
    }
}
