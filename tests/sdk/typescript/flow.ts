// A flow against a live taosd through a TypeScript SDK generated at default settings:
// `openapi-typescript <taosd>/openapi.json -o schema.d.ts` for the types, `openapi-fetch` for the
// calls. The `sdk` step of tests/run-all.sh copies this file, tsconfig.json and package.json
// next to the freshly generated schema.d.ts, type-checks them with `tsc --strict` (a contract
// that a default-settings SDK gets wrong fails here) and runs the result with node:
//
//   node out/flow.js http://127.0.0.1:PORT
//
// It prints one line per step and exits non-zero on the first unexpected answer.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type ApiError = Schemas["Error"];

// Every request body with nothing but the fields the contract requires is a valid value of its
// generated type. openapi-typescript at its default settings makes a property that has a
// `default` required, so a `default:` in a request body schema fails `tsc` here (the contract
// states such defaults in the description instead).
export const minimalBodies = {
  setupAccount: { username: "ada", password: "correct-horse-battery" } satisfies Schemas["SetupRequest"],
  login: { username: "ada", password: "correct-horse-battery" } satisfies Schemas["LoginRequest"],
  createUserToken: { username: "ada", password: "correct-horse-battery", label: "ci" } satisfies Schemas["UserTokenCreate"],
  createUser: { username: "grace", password: "correct-horse-battery" } satisfies Schemas["UserCreate"],
  createAgent: { name: "x" } satisfies Schemas["AgentCreate"],
  importAgent: { version: 1, agent: { name: "x", display_name: "x" } } satisfies Schemas["AgentExport"],
  updateAgent: {} satisfies Schemas["AgentUpdate"],
  setAgentPermissions: { can_read_user_memory: true } satisfies Schemas["AgentPermissions"],
  issueAgentToken: {} satisfies Schemas["TokenIssueRequest"],
  notifyUser: { title: "x" } satisfies Schemas["NotifyRequest"],
};

class FlowError extends Error {}

function fail(step: string, what: string): never {
  throw new FlowError(`${step}: ${what}`);
}

function ok(step: string, what: string): void {
  console.log(`ok   ${step}: ${what}`);
}

// The error body of an unexpected answer, for the failure message.
function describe(status: number, error: ApiError | undefined): string {
  return error ? `HTTP ${status} ${error.error}: ${error.detail}` : `HTTP ${status}`;
}

async function main(baseUrl: string): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl });

  // 1. The first user and its personal token.
  let step = "setupAccount (POST /auth/setup)";
  const setup = await anonymous.POST("/auth/setup", {
    body: { username: "ada", password: "correct-horse-battery" },
  });
  if (setup.error || !setup.data || setup.response.status !== 201) {
    fail(step, describe(setup.response.status, setup.error));
  }
  const userToken: string = setup.data.token;
  if (!userToken.startsWith("taos_user_") || setup.data.user.username !== "ada" || !setup.data.user.admin) {
    fail(step, `unexpected answer ${JSON.stringify({ ...setup.data, token: "…" })}`);
  }
  ok(step, `user ${setup.data.user.username} (admin), a taos_user_ token`);
  const user = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${userToken}` } });

  // 2. An agent, with nothing but its name (every other field keeps its default).
  step = "createAgent (POST /api/agents)";
  const created = await user.POST("/api/agents", { body: { name: "TS Flow Bot" } });
  if (created.error || !created.data || created.response.status !== 201) {
    fail(step, describe(created.response.status, created.error));
  }
  const agent = created.data;
  if (agent.name !== "ts-flow-bot" || agent.display_name !== "TS Flow Bot" || agent.can_read_user_memory !== false || agent.has_token !== false) {
    fail(step, `unexpected agent ${JSON.stringify(agent)}`);
  }
  ok(step, `agent ${agent.name} (display name "${agent.display_name}", can_read_user_memory false, no token)`);

  // 3. Its token, with no request body (the body is optional).
  step = "issueAgentToken (POST /api/agents/{name}/token/issue)";
  const issued = await user.POST("/api/agents/{name}/token/issue", {
    params: { path: { name: agent.name } },
  });
  if (issued.error || !issued.data || issued.response.status !== 200) {
    fail(step, describe(issued.response.status, issued.error));
  }
  const agentToken: string = issued.data.token;
  if (!agentToken.startsWith("taos_agent_") || issued.data.agent !== agent.name) {
    fail(step, `unexpected answer ${JSON.stringify({ ...issued.data, token: "…" })}`);
  }
  ok(step, `a taos_agent_ token for ${issued.data.agent}, scope ${JSON.stringify(issued.data.scope)}`);
  const bot = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${agentToken}` } });

  // 4. The agent notifies the user, with only a title.
  step = "notifyUser (POST /api/ui/notify, agent token)";
  const notified = await bot.POST("/api/ui/notify", { body: { title: "Hello from the TypeScript SDK" } });
  if (notified.error || !notified.data || notified.response.status !== 200) {
    fail(step, describe(notified.response.status, notified.error));
  }
  const notificationId: string = notified.data.notification_id;
  if (notified.data.delivered !== true) {
    fail(step, `unexpected answer ${JSON.stringify(notified.data)}`);
  }
  ok(step, `notification ${notificationId} delivered`);

  // 5. The user's inbox holds it, from the agent, unread.
  step = "listNotifications (GET /api/notifications)";
  const listed = await user.GET("/api/notifications", { params: { query: { unread_only: true, limit: 10 } } });
  if (listed.error || !listed.data || listed.response.status !== 200) {
    fail(step, describe(listed.response.status, listed.error));
  }
  const found = listed.data.items.find((n) => n.id === notificationId);
  if (!found || found.title !== "Hello from the TypeScript SDK" || found.source !== `agent:${agent.name}` || found.read || found.message !== "" || found.level !== "normal") {
    fail(step, `notification ${notificationId} not listed as expected: ${JSON.stringify(listed.data)}`);
  }
  ok(step, `${listed.data.items.length} unread, ${notificationId} from ${found.source}`);

  // 6. A typed 404: the canonical error body, read through the SDK's error type.
  step = "getAgent unknown (GET /api/agents/{name}) → 404";
  const missing = await user.GET("/api/agents/{name}", { params: { path: { name: "no-such-agent" } } });
  if (missing.data !== undefined || missing.response.status !== 404 || !missing.error) {
    fail(step, `expected 404 agent_not_found, got HTTP ${missing.response.status}`);
  }
  const notFound: ApiError = missing.error;
  if (notFound.error !== "agent_not_found" || !notFound.fix || !notFound.doc_url.startsWith("/docs/agents/")) {
    fail(step, `unexpected error body ${JSON.stringify(notFound)}`);
  }
  ok(step, `404 ${notFound.error}, fix: ${notFound.fix}`);
}

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error("usage: node out/flow.js http://127.0.0.1:PORT");
  process.exit(2);
}
try {
  await main(baseUrl);
  console.log("typescript sdk flow: every step passed");
} catch (e) {
  console.error(`FAIL ${e instanceof FlowError ? e.message : String(e)}`);
  process.exitCode = 1;
}
