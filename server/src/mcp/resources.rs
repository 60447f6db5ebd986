//! The agent docs as MCP resources: `taos://docs/agents/<page>.md`, markdown, the same pages
//! taosd serves under `/docs/agents/` (compiled in, so they match this taosd's API).

use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents};
use serde_json::json;

use crate::agent_docs;

const SCHEME_ROOT: &str = "taos://docs/agents/";
const MARKDOWN: &str = "text/markdown";

pub fn list() -> Vec<Resource> {
    agent_docs::pages()
        .iter()
        .map(|p| {
            Resource::new(format!("{SCHEME_ROOT}{}", p.path), p.path)
                .with_title(p.title())
                .with_description(format!("Agent doc, also served at {}", p.url()))
                .with_mime_type(MARKDOWN)
                .with_size(p.text.len() as u64)
        })
        .collect()
}

pub fn read(uri: &str) -> Result<ReadResourceResult, McpError> {
    let page = uri
        .strip_prefix(SCHEME_ROOT)
        .and_then(|path| agent_docs::pages().into_iter().find(|p| p.path == path));
    match page {
        Some(p) => Ok(ReadResourceResult::new(vec![
            ResourceContents::text(p.text, uri).with_mime_type(MARKDOWN),
        ])),
        None => Err(McpError::resource_not_found(
            format!(
                "There is no resource `{uri}`; `resources/list` lists the docs (taos://docs/agents/README.md is the index)."
            ),
            Some(json!({ "uri": uri })),
        )),
    }
}
