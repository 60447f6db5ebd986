//! Every error the server can answer with.

use super::Kind;

macro_rules! catalog {
    ($($name:ident = ($slug:literal, $status:literal, $fix:literal, $doc:literal);)*) => {
        $(pub static $name: Kind = Kind { slug: $slug, status: $status, fix: $fix, doc_url: $doc };)*
        /// Every entry, for the docs check and the catalog test.
        pub static ALL: &[&Kind] = &[$(&$name),*];
    };
}

catalog! {
    // --- authentication and permissions ---
    AUTH_REQUIRED = ("auth_required", 401,
        "Send `Authorization: Bearer <token>`. Agents get a token from their operator (`POST /api/agents/{name}/token/issue`, or `taosctl agents token issue NAME`); people get one with `POST /auth/setup` on first run or `POST /auth/token` with their password.",
        "/docs/agents/getting-started#authentication");
    INVALID_TOKEN = ("invalid_token", 401,
        "The token is unknown, revoked or mistyped. Ask your operator to issue a new one (`POST /api/agents/{name}/token/issue`), or get a new personal token with `POST /auth/token`.",
        "/docs/agents/concepts/permissions#token-lifecycle");
    TOKEN_EXPIRED = ("token_expired", 401,
        "The token has expired. Ask your operator to issue a new one (`POST /api/agents/{name}/token/issue`), or get a new personal token with `POST /auth/token`.",
        "/docs/agents/concepts/permissions#token-lifecycle");
    SESSION_EXPIRED = ("session_expired", 401,
        "Your session has ended. Sign in again with `POST /auth/login`.",
        "/docs/agents/getting-started#authentication");
    INVALID_CREDENTIALS = ("invalid_credentials", 401,
        "Check the username and password. If no user exists yet, create the first one with `POST /auth/setup`.",
        "/docs/agents/getting-started#get-a-token");
    SCOPE_DENIED = ("scope_denied", 403,
        "Your token's scope does not cover this operation. Ask your operator to issue a token whose scope includes `required_scope` (`POST /api/agents/{name}/token/issue` with `scope`).",
        "/docs/agents/concepts/permissions#scopes");
    SCOPE_EXCEEDS_CALLER = ("scope_exceeds_caller", 403,
        "You can only grant scopes your own token holds. Ask for a narrower scope, or have someone with a wider scope make the change.",
        "/docs/agents/concepts/permissions#the-user-ceiling");
    ADMIN_REQUIRED = ("admin_required", 403,
        "Only admins manage people. Ask an admin to do it.",
        "/docs/agents/concepts/permissions#admin-operations");
    PERSON_REQUIRED = ("person_required", 403,
        "This operation is for people, not agents: sign in (`POST /auth/login`) or use a personal user token (`POST /auth/token`).",
        "/docs/agents/concepts/permissions#admin-operations");
    TOO_MANY_ATTEMPTS = ("too_many_attempts", 429,
        "Too many failed sign-ins for this username or from this address. Wait the seconds in `Retry-After` before trying again; each further failure doubles the wait.",
        "/docs/agents/getting-started#sign-in-limits");
    CROSS_ORIGIN_REQUEST = ("cross_origin_request", 403,
        "A request signed in with the session cookie must come from taOS's own pages (the same origin). Programs should send `Authorization: Bearer <token>` instead of the cookie.",
        "/docs/agents/getting-started#cookies-and-other-sites");
    ALREADY_CONFIGURED = ("already_configured", 409,
        "The first user already exists. Sign in with `POST /auth/login`, or get a token with `POST /auth/token`.",
        "/docs/agents/getting-started#get-a-token");

    // --- people and personal tokens ---
    USERNAME_TAKEN = ("username_taken", 409,
        "Pick another username; `GET /api/users` lists the taken ones.",
        "/docs/agents/concepts/permissions#admin-operations");
    USER_NOT_FOUND = ("user_not_found", 404,
        "List users with `GET /api/users` to see valid ids.",
        "/docs/agents/concepts/permissions#admin-operations");
    CANNOT_DELETE_SELF = ("cannot_delete_self", 409,
        "An admin cannot remove their own account. Ask another admin to do it.",
        "/docs/agents/concepts/permissions#admin-operations");
    USER_TOKEN_NOT_FOUND = ("user_token_not_found", 404,
        "List your tokens with `GET /api/auth/tokens` to see valid ids.",
        "/docs/agents/concepts/permissions#token-lifecycle");

    // --- agents ---
    AGENT_NOT_FOUND = ("agent_not_found", 404,
        "List agents with `GET /api/agents` (or `taosctl agents list`) to see valid names.",
        "/docs/agents/recipes/managing-agents#list-agents");
    INVALID_AGENT_NAME = ("invalid_agent_name", 400,
        "Use a name of at most 64 characters with at least one letter or digit, e.g. `Research Bot`.",
        "/docs/agents/recipes/managing-agents#create-an-agent");
    SLUG_COLLISION_UNRESOLVABLE = ("slug_collision_unresolvable", 409,
        "Too many agents share this name. Pick a different name, or delete some of them.",
        "/docs/agents/recipes/managing-agents#create-an-agent");
    AGENT_NOT_CONFIGURED = ("agent_not_configured", 409,
        "Give the agent a runtime spec first: `PUT /api/agents/{name}/runtime` with a `command` (process) or an `image` (docker, incus), or `taosctl agents runtime set NAME -- COMMAND…`.",
        "/docs/agents/recipes/running-agents#give-an-agent-a-runtime-spec");
    INVALID_TRANSITION = ("invalid_transition", 409,
        "The agent is not in a state this verb applies to: `state` says where it is and `allowed` which verbs would act (resume a paused agent before starting it; only a running agent can be paused).",
        "/docs/agents/concepts/runtimes#states-and-verbs");
    INVALID_RUNTIME_SPEC = ("invalid_runtime_spec", 422,
        "Fix the field named in `field`: `process` needs `command` (an argv: a program and its arguments), `docker` and `incus` need an `image` that is present on that runtime; env names are letters, digits and `_`; `TAOS_URL` and `TAOS_TOKEN` are taosd's to set.",
        "/docs/agents/recipes/running-agents#give-an-agent-a-runtime-spec");
    RUNTIME_UNAVAILABLE = ("runtime_unavailable", 503,
        "This runtime cannot run agents here now: `runtime_fix` says how to install or start it; `GET /api/runtimes` lists the runtimes that work. Or use another runtime in the agent's spec.",
        "/docs/agents/concepts/runtimes#when-a-runtime-is-unavailable");
    RUNTIME_FAILED = ("runtime_failed", 502,
        "The runtime tried and failed (the detail says why). Check the agent's state (`GET /api/agents/{name}/runtime`) and logs, and try again.",
        "/docs/agents/concepts/runtimes#when-a-runtime-is-unavailable");
    WAIT_TIMEOUT = ("wait_timeout", 408,
        "The agent did not reach the state in time; `state` says where it is. Wait again, or read its logs (`GET /api/agents/{name}/logs`) to see why.",
        "/docs/agents/recipes/running-agents#wait-for-a-state");
    INVALID_BULK_REQUEST = ("invalid_bulk_request", 422,
        "Send either `names` (1 to 200 agent slugs) or `all: true`, not both and not neither.",
        "/docs/agents/recipes/running-agents#many-agents-at-once");
    OPERATION_IN_PROGRESS = ("operation_in_progress", 409,
        "A deploy of this agent is still running; changes wait until it is done. Follow it with `GET /api/operations/{operation_id}?wait_s=30` until `done`, then try again.",
        "/docs/agents/recipes/deploying-an-agent#one-operation-at-a-time");
    OPERATION_NOT_FOUND = ("operation_not_found", 404,
        "Use the `id` of the operation `POST /api/agents/deploy` answered (or `GET /api/agents/{name}/deploy-status` for an agent's latest deploy); operations of other users are not visible.",
        "/docs/agents/recipes/deploying-an-agent#follow-the-operation");
    DEPLOY_NOT_FOUND = ("deploy_not_found", 404,
        "This agent was not deployed (it was created with `POST /api/agents`), so it has no deploy status. Read its state with `GET /api/agents/{name}/runtime`, or deploy an agent with `POST /api/agents/deploy`.",
        "/docs/agents/recipes/deploying-an-agent#deploy-status");
    AGENT_EXITED = ("agent_exited", 502,
        "The agent started but ended at once. Read its last lines (`GET /api/agents/{name}/logs?tail=50`), fix its spec (`PUT /api/agents/{name}/runtime`) and start it again (`POST /api/agents/{name}/start`).",
        "/docs/agents/recipes/deploying-an-agent#when-a-deploy-fails");
    SERVER_RESTARTED = ("server_restarted", 503,
        "taosd stopped while the operation ran, so it did not finish. Look at the agent (`GET /api/agents/{name}/runtime`): start it, or delete it and deploy again.",
        "/docs/agents/recipes/deploying-an-agent#when-a-deploy-fails");
    ARCHIVED_AGENT_NOT_FOUND = ("archived_agent_not_found", 404,
        "List archived agents with `GET /api/agents/archived` to see valid ids.",
        "/docs/agents/recipes/managing-agents#restore-an-archived-agent");
    AGENT_EXISTS = ("agent_exists", 409,
        "A live agent already has this name. Delete or rename it, or change `agent.name` in the document.",
        "/docs/agents/recipes/managing-agents#export-and-import");
    INVALID_EXPORT_DATA = ("invalid_export_data", 400,
        "Send the document `GET /api/agents/{name}/export` returns: `{\"version\": 1, \"agent\": {\"name\": ..., \"display_name\": ...}}`.",
        "/docs/agents/recipes/managing-agents#export-and-import");

    // --- notifications ---
    NOTIFICATION_NOT_FOUND = ("notification_not_found", 404,
        "List notifications with `GET /api/notifications` to see valid ids.",
        "/docs/agents/recipes/notifying-the-user#read-notifications");
    INVALID_PRIORITY = ("invalid_priority", 400,
        "Use `low`, `normal` or `high`, or omit `priority` for `normal`.",
        "/docs/agents/recipes/notifying-the-user#send-a-notification");

    // --- knowledge ---
    KNOWLEDGE_ITEM_NOT_FOUND = ("knowledge_item_not_found", 404,
        "List items with `GET /api/knowledge` (or `taosctl knowledge list`), or search with `GET /api/knowledge/search?q=…`, to find a valid id.",
        "/docs/agents/recipes/searching-the-docs#read-one-item");
    INVALID_SEARCH_QUERY = ("invalid_search_query", 400,
        "Pass `q` with 1 to 500 characters of plain words, at most 16 different ones, e.g. `GET /api/knowledge/search?q=issue+token`.",
        "/docs/agents/recipes/searching-the-docs#search-the-docs");
    SEARCH_BUSY = ("search_busy", 503,
        "Retry after the seconds in `Retry-After`. Only a few searches run at once, each for at most a second; fewer and rarer words search faster.",
        "/docs/agents/recipes/searching-the-docs#search-limits");
    // --- idempotency ---
    IDEMPOTENCY_KEY_REUSED = ("idempotency_key_reused", 422,
        "This Idempotency-Key was used with a different request. Use a new key (a fresh UUID) for a new request.",
        "/docs/agents/concepts/idempotency#reusing-a-key");
    IDEMPOTENCY_KEY_IN_USE = ("idempotency_key_in_use", 409,
        "A request with this Idempotency-Key is still running. Wait a moment and retry with the same key to get its answer.",
        "/docs/agents/concepts/idempotency#concurrent-requests");
    INVALID_IDEMPOTENCY_KEY = ("invalid_idempotency_key", 400,
        "Send an Idempotency-Key of 1 to 255 visible ASCII characters; a UUID is best.",
        "/docs/agents/concepts/idempotency#key-format");

    // --- request shape ---
    VALIDATION_ERROR = ("validation_error", 422,
        "Fix the field named in `detail` to match the request schema in `/openapi.json`.",
        "/docs/agents/getting-started#request-shape");
    INVALID_PARAMETER = ("invalid_parameter", 422,
        "Fix the parameter named in `parameter` to match the operation's parameters in `/openapi.json`.",
        "/docs/agents/getting-started#request-shape");
    MALFORMED_JSON = ("malformed_json", 400,
        "Send a valid JSON document as the body (check quotes, commas and brackets).",
        "/docs/agents/getting-started#request-shape");
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", 415,
        "Send the body as JSON with `Content-Type: application/json`.",
        "/docs/agents/getting-started#request-shape");
    PAYLOAD_TOO_LARGE = ("payload_too_large", 413,
        "Keep request bodies under 1 MiB.",
        "/docs/agents/getting-started#request-shape");
    ROUTE_NOT_FOUND = ("route_not_found", 404,
        "Check the path: `GET /api` lists the API's areas and `/openapi.json` every operation.",
        "/docs/agents/getting-started#discover-the-api");
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405,
        "Use one of the methods in the `Allow` header; `/openapi.json` lists every operation.",
        "/docs/agents/getting-started#discover-the-api");
    DOC_PAGE_NOT_FOUND = ("doc_page_not_found", 404,
        "Check the page path: `/llms.txt` and `/docs/agents/` list every page of the agent docs.",
        "/docs/agents/README#pages");
    MALFORMED_REQUEST = ("malformed_request", 400,
        "Send a valid HTTP/1.1 request: a request line `METHOD /path HTTP/1.1`, then `Name: value` headers, each line ending in CRLF.",
        "/docs/agents/concepts/errors#connections-and-hosts");
    URI_TOO_LONG = ("uri_too_long", 414,
        "Keep the path and query under 8 KiB; send large inputs in a JSON body instead.",
        "/docs/agents/concepts/errors#connections-and-hosts");
    HEADERS_TOO_LARGE = ("headers_too_large", 431,
        "Keep the request line and headers under 64 KiB in all, and send at most 100 headers.",
        "/docs/agents/concepts/errors#connections-and-hosts");
    REQUEST_TIMEOUT = ("request_timeout", 408,
        "Send the whole body promptly after the headers: taosd waits `TAOS_BODY_TIMEOUT` (30 s by default) for it. Retry on a fresh connection.",
        "/docs/agents/concepts/errors#connections-and-hosts");
    MCP_NOT_ACCEPTABLE = ("mcp_not_acceptable", 406,
        "Send `Accept: application/json, text/event-stream` with every POST to /mcp, as MCP's streamable HTTP transport requires; an MCP client library does this for you.",
        "/docs/agents/mcp#transport-errors");
    MCP_BAD_REQUEST = ("mcp_bad_request", 400,
        "Send one JSON-RPC 2.0 message per POST to /mcp (MCP streamable HTTP, protocol 2025-11-25), with `MCP-Protocol-Version` after `initialize`; an MCP client library does this for you.",
        "/docs/agents/mcp#transport-errors");
    HOST_NOT_ALLOWED = ("host_not_allowed", 421,
        "Call taosd by `localhost` or an IP address (e.g. `http://127.0.0.1:6969`). To reach it by another name (a proxy, a DNS name), its operator adds the name to `TAOS_ALLOWED_HOSTS` (comma-separated; `*` allows any).",
        "/docs/agents/concepts/errors#connections-and-hosts");

    // --- the server itself ---
    INTERNAL_ERROR = ("internal_error", 500,
        "Retry in a moment. If it keeps failing, report it to the operator with the `x-request-id` of the response.",
        "/docs/agents/concepts/errors#server-errors");
    SERVICE_UNAVAILABLE = ("service_unavailable", 503,
        "The server cannot reach its database right now. Retry in a few seconds.",
        "/docs/agents/concepts/errors#server-errors");
    TOO_MANY_CONNECTIONS = ("too_many_connections", 503,
        "The server has as many connections open as it serves at once. Retry after `Retry-After` seconds, and close connections you keep open but do not use.",
        "/docs/agents/concepts/errors#connections-and-hosts");
    PASSWORD_CHECKS_BUSY = ("password_checks_busy", 503,
        "The server is checking too many passwords at once. Retry after the seconds in `Retry-After`.",
        "/docs/agents/concepts/errors#server-errors");
}
