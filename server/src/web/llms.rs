//! `/llms.txt` (the llms.txt convention: an H1, a one-line summary, how to start, then link
//! lists) and `/llms-full.txt` (every page's markdown in reading order).

use std::fmt::Write;

use crate::agent_docs::Page;
use crate::web::markdown;

const HEAD: &str = "# taOS agent API

> The agent-facing control plane of taOS: an HTTP API to manage AI agents and their scoped \
tokens, notify the user, and search these docs.

How to start:

- Authenticate every call with `Authorization: Bearer <token>`: an agent gets its token from \
its operator; a person gets one with `POST /auth/token`.
- `GET /api` (no token needed) lists the API's areas with their path prefixes, required scopes \
and doc pages; `/openapi.json` is the whole contract.
- Every error body is `{error, detail, fix, doc_url}`: branch on `error`, do what `fix` says, \
and read the page at `doc_url` when that is not enough.
- Each page below is markdown; drop `.md` from its URL for the HTML version.
- Speak MCP? `POST /mcp` (streamable HTTP, protocol 2025-11-25, the same bearer token) offers \
the operations as tools and these pages as resources; see [MCP](/docs/agents/mcp.md).
";

const TAIL: &str = "
## API

- [OpenAPI document (JSON)](/openapi.json): every operation, parameter, schema, scope and error
- [OpenAPI document (YAML)](/openapi.yaml): the same contract as YAML, as written
- [API index](/api): `GET /api`, the areas of the API with their prefixes, scopes and doc pages
- MCP endpoint: `POST /mcp` (a bearer token on every request), the operations as MCP tools and the docs as resources

## Optional

- [All agent docs in one file](/llms-full.txt): every page above, in reading order
";

/// `/llms.txt` for the pages in reading order.
pub fn index(pages: &[Page]) -> String {
    let mut out = String::from(HEAD);
    out.push_str("\n## Docs\n\n");
    for p in pages {
        let title = p.title().replace(['[', ']'], "");
        let _ = write!(out, "- [{title}]({})", p.markdown_url());
        if let Some(description) = markdown::first_sentence(p.text) {
            let _ = write!(out, ": {description}");
        }
        out.push('\n');
    }
    out.push_str(TAIL);
    out
}

/// `/llms-full.txt`: each page preceded by a comment line naming its URL.
pub fn full(pages: &[Page]) -> String {
    let mut out = String::new();
    for (i, p) in pages.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "<!-- {} -->", p.markdown_url());
        out.push_str(p.text);
        if !p.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: &[Page] = &[
        Page {
            path: "README.md",
            text: "# Docs\n\nThese pages teach. More.\n",
        },
        Page {
            path: "concepts/x.md",
            text: "# The [x] page\n\n```\nno\n```\n\nIt covers `x`.",
        },
    ];

    #[test]
    fn index_lists_pages_with_descriptions() {
        let txt = index(PAGES);
        assert!(txt.starts_with("# taOS agent API\n\n> "));
        assert!(txt.contains("\n## Docs\n\n- [Docs](/docs/agents/README.md): These pages teach.\n- [The x page](/docs/agents/concepts/x.md): It covers `x`.\n"), "{txt}");
        assert!(txt.contains("\n## Optional\n\n- [All agent docs in one file](/llms-full.txt)"));
    }

    #[test]
    fn full_names_each_page() {
        let txt = full(PAGES);
        assert!(txt.starts_with("<!-- /docs/agents/README.md -->\n# Docs\n"));
        assert!(txt.contains("\n<!-- /docs/agents/concepts/x.md -->\n# The [x] page\n"));
        assert!(txt.ends_with("It covers `x`.\n"));
    }
}
