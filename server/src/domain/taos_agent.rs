//! The `taos-agent` operation: the helper agent's system prompt, built from the knowledge
//! store's agent docs.

use std::collections::HashMap;

use crate::agent_docs;
use crate::domain::knowledge::{AGENT_DOCS, CORE_SOURCE, KnowledgeItem};
use crate::errors::Result;
use crate::store::Store;

const BUILTIN_MANUAL: &str = include_str!("builtin_manual.md");

/// The helper agent's system prompt and the items it was built from.
pub struct SystemPrompt {
    pub prompt: String,
    /// True when the store had no agent docs and the built-in manual was used.
    pub fallback: bool,
    pub sources: Vec<KnowledgeItem>,
}

/// Every `agent-docs` item, taos-core first in the docs' reading order, then the others by
/// (source_id, source_url), each as `## <title>` and its content, separated by `---`.
pub async fn get_system_prompt(store: &Store) -> Result<SystemPrompt> {
    let mut items = store.knowledge_in_category(AGENT_DOCS).await?;
    if items.is_empty() {
        return Ok(SystemPrompt {
            prompt: BUILTIN_MANUAL.to_owned(),
            fallback: true,
            sources: Vec::new(),
        });
    }
    let reading_order: HashMap<&str, usize> = agent_docs::pages()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path, i))
        .collect();
    items.sort_by_cached_key(|item| {
        let core = item.source_id == CORE_SOURCE;
        let rank = if core {
            reading_order
                .get(item.source_url.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        } else {
            0
        };
        (!core, rank, item.source_id.clone(), item.source_url.clone())
    });
    let prompt = items
        .iter()
        .map(|item| {
            let title = if item.title.trim().is_empty() {
                &item.source_url
            } else {
                &item.title
            };
            format!("## {title}\n\n{}", item.content)
        })
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    Ok(SystemPrompt {
        prompt,
        fallback: false,
        sources: items,
    })
}
