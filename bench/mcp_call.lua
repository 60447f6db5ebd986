-- wrk script for `POST /mcp` (bench/run.sh): one MCP `tools/call` of `get_agent` a request, the
-- same read as `GET /api/agents/bench-agent`. The bearer token is given on wrk's command line
-- (-H 'Authorization: Bearer …'); the server is stateless, so no session id is needed.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_agent","arguments":{"name":"bench-agent"}}}'
