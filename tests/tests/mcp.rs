//! `/mcp`: the contract's `x-mcp` operations as MCP tools and the agent docs as resources,
//! driven by a real MCP client (rmcp's, over streamable HTTP) against a real taosd.

use std::collections::BTreeSet;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
    ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value, json};
use taos_conformance::*;

type Mcp = RunningService<RoleClient, ClientConfig>;

/// An MCP client session on `s`'s `/mcp` with `token`, speaking protocol 2025-11-25.
async fn connect(s: &Server, token: &str) -> Mcp {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(s.at("/mcp")).auth_header(token),
    );
    let mut info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("taos-conformance", "0.1.0"),
    );
    info.protocol_version = ProtocolVersion::V_2025_11_25;
    info.serve(transport).await.expect("the MCP handshake succeeds")
}

async fn call(mcp: &Mcp, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object")
    };
    mcp.call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool} is answered (a protocol error: {e})"))
}

/// A successful call's structured content.
#[track_caller]
fn ok(r: &CallToolResult) -> &Value {
    assert_eq!(r.is_error, Some(false), "the call succeeds: {r:?}");
    r.structured_content.as_ref().expect("structured content")
}

/// A failed call's canonical error, checked for its shape and `slug`.
#[track_caller]
fn failed<'a>(r: &'a CallToolResult, slug: &str) -> &'a Value {
    assert_eq!(r.is_error, Some(true), "the call fails: {r:?}");
    let e = r
        .structured_content
        .as_ref()
        .expect("the error as structured content");
    assert_eq!(e["error"], slug, "{e}");
    for key in ["detail", "fix", "doc_url"] {
        assert!(
            e[key].as_str().is_some_and(|v| !v.is_empty()),
            "the error has `{key}`: {e}"
        );
    }
    let text = r.content[0].as_text().expect("a text block").text.clone();
    let parsed: Value = serde_json::from_str(&text).expect("the text is the error as JSON");
    assert_eq!(&parsed, e, "the text says what the structured content says");
    e
}

fn meta(r: &CallToolResult) -> Map<String, Value> {
    r.meta.clone().map(|m| m.0).unwrap_or_default()
}

fn snake(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

e2e!(the_tools_are_the_x_mcp_operations);
/// `initialize` agrees on 2025-11-25; `tools/list` is exactly the operations the served
/// contract marks `x-mcp`, each with a description naming its scope, an object input schema
/// and every annotation set as the operation's method and `x-mcp` say.
async fn the_tools_are_the_x_mcp_operations(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let info = mcp.peer_info().expect("the server's initialize result");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("taosd"));
    assert!(info.capabilities.tools.is_some() && info.capabilities.resources.is_some());
    assert!(info.instructions.as_deref().unwrap_or_default().contains("fix"));

    let contract = s.get("/openapi.json").send().await.expect_json(200);
    let mut marked = BTreeSet::new();
    for op in spec::operations(&contract) {
        let raw = &contract["paths"][&op.path][op.method.to_ascii_lowercase()];
        if raw.get("x-mcp").is_some() {
            marked.insert(snake(&op.id));
        }
    }
    let tools = mcp.list_all_tools().await.expect("tools/list");
    let listed: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(listed, marked, "one tool per x-mcp operation, no more");
    for banned in [
        "login",
        "setup_account",
        "create_user_token",
        "create_user",
        "delete_user",
    ] {
        assert!(!listed.contains(banned), "{banned} is not a tool");
    }

    for t in &tools {
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{}", t.name);
        let a = t.annotations.as_ref().expect("annotations");
        for (hint, v) in [
            ("readOnlyHint", a.read_only_hint),
            ("destructiveHint", a.destructive_hint),
            ("idempotentHint", a.idempotent_hint),
            ("openWorldHint", a.open_world_hint),
        ] {
            assert!(v.is_some(), "{}: {hint} is set", t.name);
        }
        assert_eq!(a.open_world_hint, Some(false));
        if let Some(out) = &t.output_schema {
            assert_eq!(out.get("type"), Some(&json!("object")), "{}", t.name);
        }
    }
    let hints = |name: &str| {
        let a = tools
            .iter()
            .find(|t| t.name == name)
            .expect(name)
            .annotations
            .clone()
            .unwrap();
        (
            a.read_only_hint.unwrap(),
            a.destructive_hint.unwrap(),
            a.idempotent_hint.unwrap(),
        )
    };
    assert_eq!(hints("get_agent"), (true, false, true));
    assert_eq!(hints("delete_agent"), (false, true, true));
    assert_eq!(hints("stop_agent"), (false, true, true));
    assert_eq!(hints("revoke_agent_token"), (false, true, true));
    assert_eq!(
        hints("create_agent"),
        (false, false, true),
        "idempotent through its key"
    );
    assert_eq!(hints("notify_user"), (false, false, false));
    let get_agent = tools.iter().find(|t| t.name == "get_agent").unwrap();
    assert!(
        get_agent
            .description
            .as_deref()
            .unwrap()
            .contains("`agents.read`")
    );
    let create = tools.iter().find(|t| t.name == "create_agent").unwrap();
    assert!(create.input_schema["properties"].get("idempotency_key").is_some());
    assert_eq!(create.input_schema["required"], json!(["name"]));
    mcp.cancel().await.ok();
}

e2e!(every_token_lists_every_tool);
/// `tools/list` is the same for every token, as docs/agents/mcp.md says: a narrow agent token
/// sees the tools it may not call too, so a model can call one and read, in the denial, which
/// scope to ask its operator for (clients such as the MCP inspector refuse to call a tool the
/// list does not have, so a filtered list would hide that answer).
async fn every_token_lists_every_tool(s: &Server) {
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Reader").await;
    let issued = s
        .post("/api/agents/reader/token/issue")
        .bearer(&admin.token)
        .json(&json!({"scope": ["agents.read", "ui.*"]}))
        .send()
        .await
        .expect_json(200);
    let token = issued["token"].as_str().expect("the token");
    let names = |tools: Vec<rmcp::model::Tool>| -> BTreeSet<String> {
        tools.iter().map(|t| t.name.to_string()).collect()
    };
    let as_agent = connect(s, token).await;
    let mcp = connect(s, &admin.token).await;
    let seen_by_agent = names(as_agent.list_all_tools().await.expect("tools/list"));
    let seen_by_admin = names(mcp.list_all_tools().await.expect("tools/list"));
    assert_eq!(seen_by_agent, seen_by_admin, "one list for every token");
    assert!(seen_by_agent.contains("create_agent"));
    let denied = call(&as_agent, "create_agent", json!({"name": "Rogue"})).await;
    let e = failed(&denied, "scope_denied");
    assert_eq!(e["required_scope"], "agents.create");
    assert!(!e["fix"].as_str().unwrap_or_default().is_empty(), "{e}");
    as_agent.cancel().await.ok();
    mcp.cancel().await.ok();
}

e2e!(an_agent_made_over_mcp_notifies_over_mcp);
/// The first hour over MCP: create an agent, issue its token, connect a second session with
/// that token and notify; the person sees the notification over HTTP. The agent's token may
/// not create agents: a tool error with `fix` and the scope it lacks.
async fn an_agent_made_over_mcp_notifies_over_mcp(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let agent = call(&mcp, "create_agent", json!({"name": "Scout", "emoji": "🛰"})).await;
    let agent = ok(&agent);
    assert_eq!(agent["name"], "scout");
    assert_eq!(agent["display_name"], "Scout");
    let over_http = s
        .client(&admin.token)
        .get_agent()
        .name("scout")
        .send()
        .await
        .value();
    assert_eq!(over_http.id.to_string(), agent["id"].as_str().unwrap());

    let issued = call(&mcp, "issue_agent_token", json!({"name": "scout"})).await;
    let token = ok(&issued)["token"].as_str().expect("the token").to_string();
    assert!(token.starts_with("taos_agent_"));

    let as_agent = connect(s, &token).await;
    let who = call(&as_agent, "whoami", json!({})).await;
    assert_eq!(ok(&who)["agent_name"], "scout", "{:?}", who);
    let sent = call(
        &as_agent,
        "notify_user",
        json!({"title": "Scout is up", "priority": "high"}),
    )
    .await;
    let sent = ok(&sent);
    assert_eq!(sent["delivered"], true);
    let inbox = s.client(&admin.token).list_notifications().send().await.value();
    let n = inbox
        .items
        .iter()
        .find(|n| n.id.to_string() == sent["notification_id"].as_str().unwrap());
    assert_eq!(n.expect("the notification is in the inbox").source, "agent:scout");

    let denied = call(&as_agent, "create_agent", json!({"name": "Rogue"})).await;
    let e = failed(&denied, "scope_denied");
    assert_eq!(e["required_scope"], "agents.create");
    assert_eq!(meta(&denied)["http_status"], 403);
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);
    as_agent.cancel().await.ok();
    mcp.cancel().await.ok();
}

e2e!(another_users_agent_is_not_found_over_mcp);
/// Per-user isolation holds over MCP as over HTTP: another person's agent is not found, not
/// listed, not deletable.
async fn another_users_agent_is_not_found_over_mcp(s: &Server) {
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Private").await;
    let bob = s.add_user(&admin, "bob").await;
    let mcp = connect(s, &bob.token).await;
    failed(
        &call(&mcp, "get_agent", json!({"name": "private"})).await,
        "agent_not_found",
    );
    failed(
        &call(&mcp, "delete_agent", json!({"name": "private"})).await,
        "agent_not_found",
    );
    let listed = call(&mcp, "list_agents", json!({})).await;
    assert_eq!(ok(&listed)["items"], json!([]));
    s.client(&admin.token)
        .get_agent()
        .name("private")
        .send()
        .await
        .value();
    mcp.cancel().await.ok();
}

e2e!(malformed_arguments_are_clean_tool_errors);
/// Wrong arguments come back as tool errors a model can act on, naming the argument; an
/// unknown tool is a protocol error. Nothing is created by a refused call.
async fn malformed_arguments_are_clean_tool_errors(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let e = failed(
        &call(&mcp, "get_agent", json!({"name": 5})).await,
        "invalid_parameter",
    )
    .clone();
    assert_eq!(e["parameter"], "name");
    assert_eq!(e["location"], "argument");
    assert!(e["detail"].as_str().unwrap().contains("must be a string"), "{e}");
    let e = failed(&call(&mcp, "get_agent", json!({})).await, "invalid_parameter").clone();
    assert!(
        e["detail"].as_str().unwrap().contains("`name` is required"),
        "{e}"
    );
    let e = failed(
        &call(&mcp, "get_agent", json!({"name": "x", "nmae": 1})).await,
        "invalid_parameter",
    )
    .clone();
    assert_eq!(e["parameter"], "nmae");
    failed(
        &call(&mcp, "get_agent", json!({"name": "Not A Slug"})).await,
        "invalid_parameter",
    );
    failed(
        &call(&mcp, "list_agents", json!({"limit": "lots"})).await,
        "invalid_parameter",
    );
    failed(
        &call(&mcp, "list_agents", json!({"limit": 0})).await,
        "invalid_parameter",
    );
    // Body properties are checked by the operation's own body rules.
    failed(&call(&mcp, "create_agent", json!({})).await, "validation_error");
    failed(
        &call(&mcp, "create_agent", json!({"name": "!!!"})).await,
        "invalid_agent_name",
    );
    failed(
        &call(&mcp, "create_agent", json!({"name": "x", "colour": "red"})).await,
        "validation_error",
    );
    failed(
        &call(&mcp, "create_agent", json!({"name": ["x"]})).await,
        "invalid_agent_name",
    );
    failed(
        &call(&mcp, "create_agent", json!({"name": "x", "idempotency_key": 7})).await,
        "invalid_parameter",
    );
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 0);

    let unknown = mcp
        .call_tool(CallToolRequestParams::new("drop_tables"))
        .await
        .expect_err("an unknown tool is a protocol error");
    assert!(unknown.to_string().contains("drop_tables"), "{unknown}");
    // Params that are not a call's are JSON-RPC's "invalid params", saying what is wrong (not
    // "method not found", which would send a client looking for a method it has right).
    for (params, says) in [
        (
            json!({"name": "get_agent", "arguments": ["scout"]}),
            "expected a map",
        ),
        (
            json!({"name": "get_agent", "arguments": "scout"}),
            "expected a map",
        ),
        (json!({"arguments": {}}), "missing field `name`"),
        (json!(null), "tools/call"),
    ] {
        let answer = s
            .post("/mcp")
            .bearer(&admin.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}))
            .send()
            .await
            .expect_json(200);
        assert_eq!(answer["id"], 7, "{answer}");
        assert_eq!(answer["error"]["code"], -32602, "{params}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(says) && message.contains("arguments"),
            "{params}: {message}"
        );
    }
    // The session is still usable after both kinds of error.
    ok(&call(&mcp, "list_agents", json!({"limit": 5, "cursor": null})).await);
    mcp.cancel().await.ok();
}

e2e!(a_keyed_create_over_mcp_is_safe_to_retry);
/// `create_agent` takes an `Idempotency-Key` as `idempotency_key`: a retry with the same key
/// replays the first answer; left out, the tool makes a key and says which, and that key
/// replays too.
async fn a_keyed_create_over_mcp_is_safe_to_retry(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let args = json!({"name": "Once", "idempotency_key": "mcp-test-1"});
    let first = call(&mcp, "create_agent", args.clone()).await;
    let again = call(&mcp, "create_agent", args).await;
    assert_eq!(ok(&first)["id"], ok(&again)["id"]);
    assert_eq!(meta(&first)["idempotency_key"], "mcp-test-1");
    assert_eq!(meta(&first)["http_status"], 201);
    assert!(meta(&first).get("idempotent_replayed").is_none());
    assert_eq!(meta(&again)["idempotent_replayed"], true);

    let fresh = call(&mcp, "create_agent", json!({"name": "Twice"})).await;
    let key = meta(&fresh)["idempotency_key"]
        .as_str()
        .expect("the key the tool made")
        .to_string();
    let retry = call(
        &mcp,
        "create_agent",
        json!({"name": "Twice", "idempotency_key": key}),
    )
    .await;
    assert_eq!(ok(&fresh)["id"], ok(&retry)["id"]);
    assert_eq!(meta(&retry)["idempotent_replayed"], true);
    let other = call(&mcp, "create_agent", json!({"name": "Twice"})).await;
    assert_eq!(
        ok(&other)["name"],
        "twice-2",
        "no key: a second call is a second agent"
    );
    let reused = call(
        &mcp,
        "create_agent",
        json!({"name": "Else", "idempotency_key": "mcp-test-1"}),
    )
    .await;
    failed(&reused, "idempotency_key_reused");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 3);
    mcp.cancel().await.ok();
}

e2e!(the_docs_are_resources);
/// Every agent doc page is a `taos://docs/agents/…` markdown resource with the text taosd
/// serves over HTTP; an unknown URI is a protocol error.
async fn the_docs_are_resources(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let resources = mcp.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert!(uris.contains(&"taos://docs/agents/README.md"), "{uris:?}");
    assert!(uris.contains(&"taos://docs/agents/mcp.md"), "{uris:?}");
    assert!(
        resources
            .iter()
            .all(|r| r.mime_type.as_deref() == Some("text/markdown"))
    );
    let read = mcp
        .read_resource(ReadResourceRequestParams::new("taos://docs/agents/mcp.md"))
        .await
        .expect("resources/read");
    let ResourceContents::TextResourceContents { text, mime_type, .. } = &read.contents[0] else {
        panic!("a text resource");
    };
    assert_eq!(mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(
        text,
        &s.get("/docs/agents/mcp.md")
            .send()
            .await
            .expect_status(200)
            .text()
    );
    let missing = mcp
        .read_resource(ReadResourceRequestParams::new("taos://docs/agents/nope.md"))
        .await
        .expect_err("an unknown resource");
    assert!(missing.to_string().contains("resources/list"), "{missing}");
    mcp.cancel().await.ok();
}

e2e!(mcp_takes_only_a_valid_bearer_token);
/// `/mcp` answers HTTP 401 with the RFC 6750 challenge without a token, with an unknown one
/// and with only the session cookie; a token revoked mid-session stops working at once.
/// The transport's own refusals carry the canonical error body.
async fn mcp_takes_only_a_valid_bearer_token(s: &Server) {
    let admin = s.setup_admin().await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"}}});
    let post = || {
        s.post("/mcp")
            .header("accept", "application/json, text/event-stream")
            .json(&init)
    };
    let e = post().send().await.expect_error(401, "auth_required");
    assert!(e.www_authenticate().starts_with("Bearer realm=\"taos\""));
    let bogus = "taos_user_0000000000000000000000000000000000000000000";
    let e = post()
        .bearer(bogus)
        .send()
        .await
        .expect_error(401, "invalid_token");
    assert!(e.www_authenticate().contains("error=\"invalid_token\""));
    let session = s.login("admin", &admin.password).await;
    post()
        .session(&session)
        .send()
        .await
        .expect_error(401, "auth_required");

    let answer = post().bearer(&admin.token).send().await.expect_json(200);
    assert_eq!(answer["result"]["protocolVersion"], "2025-11-25");
    let e = s
        .post("/mcp")
        .bearer(&admin.token)
        .header("accept", "text/html")
        .json(&init)
        .send()
        .await
        .expect_error(406, "mcp_not_acceptable");
    assert!(e.fix().contains("text/event-stream"));
    let e = s
        .get("/mcp")
        .bearer(&admin.token)
        .send()
        .await
        .expect_error(405, "method_not_allowed");
    assert_eq!(e.header("allow"), Some("POST"));
    post()
        .bearer(&admin.token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect_error(403, "cross_origin_request");

    // A token revoked while its session is open: the next call is refused with 401.
    let user_token = s.user_token("admin", &admin.password, None).await;
    let mcp = connect(s, &user_token).await;
    let who = call(&mcp, "whoami", json!({})).await;
    let token_id: uuid::Uuid = ok(&who)["token_id"]
        .as_str()
        .expect("the token's id")
        .parse()
        .unwrap();
    s.client(&admin.token)
        .revoke_user_token()
        .id(token_id)
        .send()
        .await
        .must();
    let refused = mcp
        .call_tool(CallToolRequestParams::new("list_agents"))
        .await
        .expect_err("a revoked token is refused");
    assert!(refused.to_string().contains("Auth required"), "{refused}");
}

e2e!(discovery_names_the_mcp_endpoint);
/// `GET /api` and `/llms.txt` say where `/mcp` is.
async fn discovery_names_the_mcp_endpoint(s: &Server) {
    let index = s.get("/api").send().await.expect_json(200);
    assert_eq!(index["mcp_url"], "/mcp");
    let llms = s.get("/llms.txt").send().await.expect_status(200).text();
    assert!(llms.contains("/mcp"), "{llms}");
}

/// Every tool's schemas agree with the contract's own examples: the arguments made of an
/// operation's request example (body fields, parameter examples) validate against its input
/// schema, its success example and the error example against its output schema, and a wrong
/// argument does not (so the schemas are not vacuous).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_schemas_take_the_contracts_own_examples() {
    let s = Server::start_sqlite().await;
    s.run_case(tool_schemas_case(&s)).await;
    s.stop().await;
}

async fn tool_schemas_case(s: &Server) {
    let admin = s.setup_admin().await;
    let mcp = connect(s, &admin.token).await;
    let contract = s.get("/openapi.json").send().await.expect_json(200);
    let error_example = json!({
        "error": "agent_not_found", "detail": "No agent named 'x' exists.",
        "fix": "List agents.", "doc_url": "/docs/agents/recipes/managing-agents#list-agents"});
    let tools = mcp.list_all_tools().await.expect("tools/list");
    let (mut bodies, mut with_body) = (0, 0);
    for op in spec::operations(&contract) {
        let raw = &contract["paths"][&op.path][op.method.to_ascii_lowercase()];
        if raw.get("x-mcp").is_none() {
            continue;
        }
        let name = snake(&op.id);
        let tool = tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} is listed"));
        let input = Value::Object((*tool.input_schema).clone());
        let input = jsonschema::options()
            .should_validate_formats(true)
            .build(&input)
            .unwrap_or_else(|e| panic!("{name}: the input schema compiles: {e}"));

        with_body += usize::from(raw.get("requestBody").is_some());
        let mut args = match &op.body_example {
            Some(Value::Object(o)) => {
                bodies += 1;
                o.clone()
            }
            _ => Map::new(),
        };
        for p in raw["parameters"].as_array().into_iter().flatten() {
            let p = spec::resolve(&contract, p);
            let schema = spec::resolve(&contract, &p["schema"]);
            let example = p
                .get("example")
                .or_else(|| schema.get("example"))
                .or_else(|| schema["enum"].get(0))
                .cloned();
            let pname = p["name"].as_str().unwrap();
            match (p["in"].as_str().unwrap(), example) {
                ("header", _) => {
                    args.insert("idempotency_key".into(), json!("example-key-1"));
                }
                ("path", Some(e)) => {
                    args.insert(pname.into(), e);
                }
                ("path", None) if schema["format"] == "uuid" => {
                    args.insert(pname.into(), json!("0192f1c7-aaaa-7bbb-8ccc-dddddddddddd"));
                }
                ("path", None) => {
                    args.insert(pname.into(), json!("research-bot"));
                }
                ("query", Some(e)) => {
                    args.insert(pname.into(), e);
                }
                _ => {}
            }
        }
        let args = Value::Object(args);
        let problems: Vec<String> = input.iter_errors(&args).map(|e| e.to_string()).collect();
        assert!(
            problems.is_empty(),
            "{name}: the contract's example {args} fails its input schema: {problems:?}"
        );
        if tool.input_schema["properties"].get("name").is_some() {
            let mut wrong = args.clone();
            wrong["name"] = json!(5);
            assert!(
                !input.is_valid(&wrong),
                "{name}: a number as `name` is refused by the schema"
            );
        }

        if let Some(out) = &tool.output_schema {
            let out = jsonschema::options()
                .should_validate_formats(true)
                .build(&Value::Object((**out).clone()))
                .unwrap_or_else(|e| panic!("{name}: the output schema compiles: {e}"));
            let success =
                raw["responses"][op.success.to_string()]["content"]["application/json"]["example"].clone();
            if !success.is_null() {
                let problems: Vec<String> = out.iter_errors(&success).map(|e| e.to_string()).collect();
                assert!(
                    problems.is_empty(),
                    "{name}: the contract's answer example fails its output schema: {problems:?}"
                );
            }
            assert!(
                out.is_valid(&error_example),
                "{name}: the error body fits the output schema"
            );
            assert!(
                !out.is_valid(&json!({"unexpected": true})),
                "{name}: the output schema is not vacuous"
            );
        }
    }
    assert!(with_body > 0);
    assert_eq!(
        bodies, with_body,
        "every tool with a body has a request example in the contract"
    );
    mcp.cancel().await.ok();
}

e2e!(hostile_requests_to_mcp_get_canonical_errors);
/// What a broken or hostile client sends gets a documented answer with the canonical body and
/// leaves the server serving: malformed JSON, a batch, another media type, a body over 1 MiB,
/// an unknown protocol version; and parallel keyed creates over MCP and HTTP with one key make
/// one agent.
async fn hostile_requests_to_mcp_get_canonical_errors(s: &Server) {
    let admin = s.setup_admin().await;
    let raw = |body: &'static str, content_type: &'static str| {
        s.post("/mcp")
            .bearer(&admin.token)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", content_type)
            .body(body)
    };
    raw("{not json", "application/json")
        .send()
        .await
        .expect_error(400, "malformed_json");
    let e = raw(
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#,
        "application/json",
    )
    .send()
    .await
    .expect_error(400, "malformed_json");
    assert!(e.detail().contains("no batches"), "{}", e.detail());
    raw("{}", "text/plain")
        .send()
        .await
        .expect_error(415, "unsupported_media_type");
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"x":"{}"}}}}"#,
        "a".repeat(1 << 21)
    );
    s.post("/mcp")
        .bearer(&admin.token)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect_error(413, "payload_too_large");
    s.post("/mcp")
        .bearer(&admin.token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "1999-01-01")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect_error(400, "mcp_bad_request");

    // 16 sessions race one key, half over MCP and half over HTTP: one agent, every answer it.
    let mut calls = Vec::new();
    for i in 0..16 {
        let token = admin.token.clone();
        let url = s.at("/api/agents");
        let http = s.http().clone();
        let mcp = connect(s, &token).await;
        calls.push(tokio::spawn(async move {
            let args = json!({"name": "Racer", "idempotency_key": "race-1"});
            if i % 2 == 0 {
                let r = call(&mcp, "create_agent", args).await;
                let out = r.structured_content.clone().unwrap_or_default();
                mcp.cancel().await.ok();
                out
            } else {
                http.post(url)
                    .bearer_auth(&token)
                    .header("idempotency-key", "race-1")
                    .json(&json!({"name": "Racer"}))
                    .send()
                    .await
                    .expect("sent")
                    .json::<Value>()
                    .await
                    .expect("JSON")
            }
        }));
    }
    let mut ids = BTreeSet::new();
    for c in calls {
        let answer = c.await.expect("joined");
        match answer["error"].as_str() {
            // A retry that arrives while the first is running is told to wait.
            Some("idempotency_key_in_use") => {}
            Some(other) => panic!("unexpected error {other}: {answer}"),
            None => {
                ids.insert(answer["id"].as_str().expect("an agent").to_string());
            }
        }
    }
    assert_eq!(ids.len(), 1, "one agent for one key: {ids:?}");
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);
}

e2e!(a_killed_taosd_never_doubles_a_keyed_create_over_mcp);
/// Keyed `create_agent` calls over MCP in parallel, taosd killed with SIGKILL under that load
/// and restarted, then every key sent retried in a fresh session past the takeover window:
/// a key answered before the kill replays its agent, the others run once; one key, one agent.
async fn a_killed_taosd_never_doubles_a_keyed_create_over_mcp(s: &Server) {
    const WORKERS: usize = 8;
    const ACKS_BEFORE_KILL: usize = 30;
    s.set_env("TAOS_IDEMPOTENCY_TAKEOVER", "1s");
    s.restart().await;
    let admin = s.setup_admin().await;
    // (key, name) sent, and key → agent id answered before the kill.
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let answered = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let mcp = connect(s, &admin.token).await;
        let (sent, answered) = (sent.clone(), answered.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let (key, name) = (
                    format!("crash-{w}-{i}-{}", uuid::Uuid::new_v4()),
                    format!("mcp-crash-{w}-{i}"),
                );
                sent.lock().unwrap().push((key.clone(), name.clone()));
                let args = json!({"name": name, "idempotency_key": key});
                let Value::Object(args) = args else { unreachable!() };
                let Ok(r) = mcp
                    .call_tool(CallToolRequestParams::new("create_agent").with_arguments(args))
                    .await
                else {
                    return;
                };
                let Some(id) = r.structured_content.as_ref().and_then(|c| c["id"].as_str()) else {
                    return;
                };
                answered.lock().unwrap().insert(key, id.to_string());
            }
        }));
    }
    let started = std::time::Instant::now();
    while answered.lock().unwrap().len() < ACKS_BEFORE_KILL {
        assert!(
            started.elapsed().as_secs() < 60,
            "the load never got {ACKS_BEFORE_KILL} answers"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    s.crash_and_restart().await;
    for w in workers {
        w.await.expect("worker");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let sent = sent.lock().unwrap().clone();
    let answered = answered.lock().unwrap().clone();
    let mcp = connect(s, &admin.token).await;
    let mut ids = BTreeSet::new();
    for (key, name) in &sent {
        let r = call(
            &mcp,
            "create_agent",
            json!({"name": name, "idempotency_key": key}),
        )
        .await;
        let id = ok(&r)["id"].as_str().expect("an agent").to_string();
        if let Some(first) = answered.get(key) {
            assert_eq!(
                &id, first,
                "the retry of {key}, answered before the kill, names another agent"
            );
            assert_eq!(meta(&r)["idempotent_replayed"], true, "{key} replays");
        }
        ids.insert(id);
    }
    assert_eq!(ids.len(), sent.len(), "one agent per key");
    let listed = s
        .get("/api/agents?limit=200")
        .bearer(&admin.token)
        .send()
        .await
        .expect_json(200);
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        sent.len(),
        "{} keys were sent, {} answered before the kill: no key made a second agent",
        sent.len(),
        answered.len()
    );
    mcp.cancel().await.ok();
}

e2e!(a_plain_tool_call_is_answered_as_rmcp_answers_it);
/// taosd answers a plain `tools/call` itself (not through rmcp's per-request service, which
/// costs more than the call): the same calls sent once plainly and once in a form only rmcp
/// takes (an `Accept` with weights) get the same status, media type and JSON-RPC answer,
/// successes, tool errors and an unknown tool alike; and the plain ones really took the direct
/// path (its debug log line), the others did not.
async fn a_plain_tool_call_is_answered_as_rmcp_answers_it(s: &Server) {
    s.set_env("TAOS_LOG", "info,taos_server::mcp=debug");
    s.restart().await;
    let admin = s.setup_admin().await;
    create_agent(&s.client(&admin.token), "Scout").await;
    let agent = s
        .post("/api/agents/scout/token/issue")
        .bearer(&admin.token)
        .json(&json!({"scope": ["agents.read"]}))
        .send()
        .await
        .expect_json(200)["token"]
        .as_str()
        .expect("the agent's token")
        .to_string();

    let calls: Vec<(&String, Value)> = vec![
        (&admin.token, json!({"name": "whoami", "arguments": {}})),
        (
            &admin.token,
            json!({"name": "get_agent", "arguments": {"name": "scout"}}),
        ),
        (
            &admin.token,
            json!({"name": "get_agent", "arguments": {"name": "nobody"}}),
        ),
        (
            &admin.token,
            json!({"name": "get_agent", "arguments": {"name": 5}}),
        ),
        (&admin.token, json!({"name": "get_agent"})),
        (
            &admin.token,
            json!({"name": "list_agents", "arguments": {"limit": 5, "cursor": null}}),
        ),
        (
            &admin.token,
            json!({"name": "delete_agent", "arguments": {"name": "nobody"}}),
        ),
        (&agent, json!({"name": "whoami", "arguments": {}})),
        // Keyed, so the two answers name the same key (a key the tool makes is new each time).
        (
            &agent,
            json!({"name": "create_agent", "arguments": {"name": "Rogue", "idempotency_key": "rogue-1"}}),
        ),
        (&admin.token, json!({"name": "drop_tables", "arguments": {}})),
    ];
    let send = |token: &str, accept: &'static str, id: Value, params: &Value| {
        s.post("/mcp")
            .bearer(token)
            .header("accept", accept)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}))
            .send()
    };
    let directly = || s.stderr().matches("tools/call answered directly").count();
    for (i, (token, params)) in calls.iter().enumerate() {
        let id = if i % 2 == 0 {
            json!(i)
        } else {
            json!(format!("call-{i}"))
        };
        let before = directly();
        let direct = send(token, "application/json, text/event-stream", id.clone(), params).await;
        let took_direct = directly() - before;
        let by_rmcp = send(token, "application/json;q=1, text/event-stream", id, params).await;
        assert_eq!(
            directly() - before,
            took_direct,
            "the weighted Accept goes to rmcp: {params}"
        );
        let known = params["name"] != "drop_tables";
        assert_eq!(
            took_direct,
            usize::from(known),
            "a call of a known tool is direct: {params}"
        );
        assert_eq!(direct.status(), by_rmcp.status(), "{params}");
        assert_eq!(
            direct.header("content-type"),
            by_rmcp.header("content-type"),
            "{params}"
        );
        let (a, b): (Value, Value) = (direct.json(), by_rmcp.json());
        assert_eq!(a, b, "the same answer both ways: {params}");
        if known {
            assert!(
                a["result"]["content"][0]["text"].is_string(),
                "a tool result: {a}"
            );
        } else {
            assert!(
                a["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("drop_tables"),
                "{a}"
            );
        }
    }
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 1);
}
