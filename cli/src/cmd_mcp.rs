//! `taosctl mcp`: what an MCP client needs to connect to this taosd's `/mcp` (the URL, the
//! header, a configuration snippet per client). The token itself is never printed: the
//! snippets name `${TAOS_TOKEN}`, which the clients fill in from their environment.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::context::{Context, RunCmd};
use crate::failure::Result;

/// The protocol version taosd's `/mcp` speaks.
const PROTOCOL: &str = "2025-11-25";
const HEADER: &str = "Bearer ${TAOS_TOKEN}";

#[derive(Args, Debug)]
pub struct Mcp {
    /// Print only this client's snippet [default: every client's]
    #[arg(long, value_enum, value_name = "NAME")]
    client: Option<Client>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Client {
    /// Claude Code (`claude mcp add`)
    ClaudeCode,
    /// Cursor, Claude Code's `.mcp.json` and other clients reading `mcpServers`
    Cursor,
    /// VS Code's `.vscode/mcp.json`
    Vscode,
    /// A client that only starts stdio servers, through `mcp-remote`
    Stdio,
}

impl RunCmd for Mcp {
    async fn run(&self, ctx: &Context) -> Result<()> {
        // The server says where its endpoint is (and that it answers at all).
        let index = ctx.send(ctx.anonymous()?.get_api_index().send()).await?;
        let url = format!("{}{}", ctx.url().trim_end_matches('/'), index.mcp_url);
        let servers =
            json!({ "taos": { "type": "http", "url": url, "headers": { "Authorization": HEADER } } });
        let answer = json!({
            "url": url,
            "transport": "streamable-http",
            "protocol_version": PROTOCOL,
            "headers": { "Authorization": HEADER },
            "mcpServers": servers,
        });
        ctx.out.show(&answer, |out| {
            if self.client.is_none() {
                out.line(format!("MCP endpoint: {url} (streamable HTTP, protocol {PROTOCOL})"));
                out.line("Header: Authorization: Bearer <token> (your TAOS_TOKEN; the same token as for the HTTP API)");
                out.line("");
            }
            for client in [Client::ClaudeCode, Client::Cursor, Client::Vscode, Client::Stdio] {
                if self.client.is_some_and(|c| c != client) {
                    continue;
                }
                let (title, snippet) = snippet(client, &url, &servers);
                if self.client.is_none() {
                    out.line(format!("{title}:"));
                }
                out.line(snippet);
                if self.client.is_none() {
                    out.line("");
                }
            }
            if self.client.is_none() {
                out.line("More: /docs/agents/mcp (tools, errors, resources).");
            }
        });
        Ok(())
    }
}

fn snippet(client: Client, url: &str, servers: &Value) -> (&'static str, String) {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match client {
        Client::ClaudeCode => (
            "Claude Code",
            format!(
                "claude mcp add --transport http taos {url} --header \"Authorization: Bearer $TAOS_TOKEN\""
            ),
        ),
        Client::Cursor => (
            "Cursor (.cursor/mcp.json), Claude Code (.mcp.json) and other mcpServers files",
            pretty(&json!({ "mcpServers": servers })),
        ),
        Client::Vscode => (
            "VS Code (.vscode/mcp.json)",
            pretty(&json!({
                "inputs": [{ "type": "promptString", "id": "taos-token", "description": "taOS token", "password": true }],
                "servers": { "taos": { "type": "http", "url": url, "headers": { "Authorization": "Bearer ${input:taos-token}" } } },
            })),
        ),
        Client::Stdio => (
            "A client that only starts stdio servers",
            format!("npx mcp-remote {url} --header \"Authorization: Bearer ${{TAOS_TOKEN}}\""),
        ),
    }
}
