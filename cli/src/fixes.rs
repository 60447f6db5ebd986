//! The fix taosctl prints for each API error slug, in taosctl's own terms (`taosctl agents
//! list`, `unset TAOS_TOKEN`), in place of the server's HTTP-worded `fix`; the server's
//! `doc_url` is kept. Every slug of the server's error catalog has an entry here (the
//! conformance suite `cli_first_hour` checks it against `taos_server::errors::ALL`): a slug a
//! taosctl user cannot meet says why instead.
//!
//! This file depends on nothing else in the crate, so that check can include it as it is.

/// What taosctl says about one error slug.
#[derive(Debug, Clone, Copy)]
pub enum Fix {
    /// The next step, in taosctl's terms.
    Cli(&'static str),
    /// A token taosd refused: what to do depends on where the token came from, since
    /// `TAOS_TOKEN` wins over the credentials file (logging in again cannot help then).
    Token { env: &'static str, file: &'static str },
    /// taosctl never sends what this error answers; why. The server's own fix is shown if it
    /// ever appears. (The reason is read by the conformance check, not by taosctl.)
    #[allow(dead_code)]
    Unreachable(&'static str),
}

const NEW_TOKEN_ENV: &str = "TAOS_TOKEN holds a token taosd does not accept, and it wins over \
    the credentials file: put a valid token in it (an agent's: `taosctl agents token issue NAME`), \
    or `unset TAOS_TOKEN` to use the token `taosctl auth login` saved";
const NEW_TOKEN_FILE: &str = "sign in again with `taosctl auth login` (or `taosctl auth setup` on \
    a server with no user yet); an agent asks its operator for a new token \
    (`taosctl agents token issue NAME`)";
const PERSON_ENV: &str = "this needs a person's token, and TAOS_TOKEN (which wins over the \
    credentials file) holds another: `unset TAOS_TOKEN` to use the token `taosctl auth login` \
    saved, or set it to a personal token (`taosctl auth tokens create`)";
const PERSON_FILE: &str = "this needs a person's token: sign in with `taosctl auth login`";
const SCOPE_ENV: &str = "the token in TAOS_TOKEN may not do this: ask your operator to issue one \
    whose scope covers it (`taosctl agents token issue NAME --scope …`), or `unset TAOS_TOKEN` to \
    use your own saved login";
const SCOPE_FILE: &str = "your token may not do this: sign in with a wider one \
    (`taosctl auth tokens create --scope …`, then `taosctl auth login --with-token`), or ask \
    someone whose token covers it";

/// Every slug of the server's error catalog and its fix in taosctl's terms.
pub static FIXES: &[(&str, Fix)] = &[
    // --- authentication and permissions ---
    (
        "auth_required",
        Fix::Token {
            env: NEW_TOKEN_ENV,
            file: NEW_TOKEN_FILE,
        },
    ),
    (
        "invalid_token",
        Fix::Token {
            env: NEW_TOKEN_ENV,
            file: NEW_TOKEN_FILE,
        },
    ),
    (
        "token_expired",
        Fix::Token {
            env: NEW_TOKEN_ENV,
            file: NEW_TOKEN_FILE,
        },
    ),
    (
        "session_expired",
        Fix::Unreachable("taosctl signs in with bearer tokens, never a session cookie"),
    ),
    (
        "invalid_credentials",
        Fix::Cli(
            "check the username and password and run `taosctl auth login --username NAME` again; on a server with no user yet, create the first one with `taosctl auth setup`",
        ),
    ),
    (
        "scope_denied",
        Fix::Token {
            env: SCOPE_ENV,
            file: SCOPE_FILE,
        },
    ),
    (
        "scope_exceeds_caller",
        Fix::Cli(
            "you can only grant scopes your own token holds: pass a narrower `--scope`, or have someone with a wider scope do it",
        ),
    ),
    (
        "admin_required",
        Fix::Cli("only admins manage people: ask an admin to run it (`taosctl users …`)"),
    ),
    (
        "person_required",
        Fix::Token {
            env: PERSON_ENV,
            file: PERSON_FILE,
        },
    ),
    (
        "too_many_attempts",
        Fix::Cli(
            "too many failed sign-ins: wait the seconds the message says, then run `taosctl auth login` again with the right password",
        ),
    ),
    (
        "cross_origin_request",
        Fix::Unreachable("taosctl sends a bearer token, never the browser's session cookie"),
    ),
    (
        "already_configured",
        Fix::Cli("the first user already exists: sign in with `taosctl auth login --username NAME`"),
    ),
    // --- people and personal tokens ---
    (
        "username_taken",
        Fix::Cli("pick another username; `taosctl users list` shows the taken ones"),
    ),
    (
        "user_not_found",
        Fix::Cli("`taosctl users list` shows the valid ids"),
    ),
    (
        "cannot_delete_self",
        Fix::Cli(
            "an admin cannot remove their own account: ask another admin to run `taosctl users delete ID`",
        ),
    ),
    (
        "user_token_not_found",
        Fix::Cli("`taosctl auth tokens list` shows your tokens' ids"),
    ),
    // --- agents ---
    (
        "agent_not_found",
        Fix::Cli(
            "`taosctl agents list` shows the valid names (`taosctl agents archived list` the archived ones)",
        ),
    ),
    (
        "invalid_agent_name",
        Fix::Cli(
            "use a name of at most 64 characters with at least one letter or digit, e.g. `taosctl agents create 'Research Bot'`",
        ),
    ),
    (
        "slug_collision_unresolvable",
        Fix::Cli(
            "too many agents share this name: pick another, or remove some (`taosctl agents delete NAME`)",
        ),
    ),
    (
        "agent_not_configured",
        Fix::Cli(
            "give the agent a runtime spec first: `taosctl agents runtime set NAME -- COMMAND…` (or `--image IMAGE` on docker and incus)",
        ),
    ),
    (
        "invalid_transition",
        Fix::Cli(
            "the agent is not in a state this verb applies to (the message says where it is): `taosctl agents runtime show NAME` shows its state; resume a paused agent before starting it",
        ),
    ),
    (
        "invalid_runtime_spec",
        Fix::Cli(
            "fix the field the message names and run `taosctl agents runtime set NAME …` again: process needs a command after `--`, docker and incus an `--image` present on that runtime; env names are letters, digits and `_`",
        ),
    ),
    (
        "runtime_unavailable",
        Fix::Cli(
            "this runtime cannot run agents here now: `taosctl runtimes` shows which runtimes work and how to fix the others; or use another `--runtime`",
        ),
    ),
    (
        "runtime_failed",
        Fix::Cli(
            "the runtime tried and failed: see `taosctl agents runtime show NAME` and `taosctl agents logs NAME`, then try again",
        ),
    ),
    (
        "wait_timeout",
        Fix::Cli(
            "the agent did not get there in time: wait again with a longer `--timeout`, or read `taosctl agents logs NAME` to see why",
        ),
    ),
    (
        "invalid_bulk_request",
        Fix::Cli("name 1 to 200 agents, or pass `--all`, not both: `taosctl agents bulk start NAME…`"),
    ),
    (
        "operation_in_progress",
        Fix::Cli(
            "a deploy of this agent is still running: follow it with `taosctl agents deploy-status NAME --wait`, then try again",
        ),
    ),
    (
        "operation_not_found",
        Fix::Cli(
            "use the operation id `taosctl agents deploy` printed (or `taosctl agents deploy-status NAME`); other users' operations are not visible",
        ),
    ),
    (
        "deploy_not_found",
        Fix::Cli(
            "this agent was created, not deployed, so it has no deploy status: `taosctl agents runtime show NAME` shows its state",
        ),
    ),
    (
        "agent_exited",
        Fix::Cli(
            "the agent started but ended at once: read `taosctl agents logs NAME --tail 50`, fix its spec (`taosctl agents runtime set NAME …`) and `taosctl agents start NAME` again",
        ),
    ),
    (
        "server_restarted",
        Fix::Cli(
            "taosd stopped while the operation ran: look at the agent (`taosctl agents runtime show NAME`), then `taosctl agents start NAME`, or delete it and deploy again",
        ),
    ),
    (
        "archived_agent_not_found",
        Fix::Cli("`taosctl agents archived list` shows the valid ids"),
    ),
    (
        "agent_exists",
        Fix::Cli(
            "a live agent already has this name: delete it (`taosctl agents delete NAME`), or change `agent.name` in the document",
        ),
    ),
    (
        "invalid_export_data",
        Fix::Cli(
            "import the document `taosctl agents export NAME` prints: `{\"version\": 1, \"agent\": {\"name\": …}}`",
        ),
    ),
    // --- notifications ---
    (
        "notification_not_found",
        Fix::Cli("`taosctl notifications list` shows the valid ids"),
    ),
    (
        "invalid_priority",
        Fix::Cli("use `--priority low`, `normal` or `high`, or leave it out for `normal`"),
    ),
    // --- knowledge ---
    (
        "knowledge_item_not_found",
        Fix::Cli(
            "`taosctl knowledge list` shows the items (`taosctl knowledge search WORDS` finds them); `knowledge get` takes an id or a docs path such as `concepts/runtimes.md`",
        ),
    ),
    (
        "invalid_search_query",
        Fix::Cli(
            "search for 1 to 500 characters of plain words, at most 16 different ones, e.g. `taosctl knowledge search issue token`",
        ),
    ),
    (
        "search_busy",
        Fix::Cli(
            "taosd is running as many searches as it allows: try again in a moment, with fewer or rarer words",
        ),
    ),
    // --- idempotency ---
    (
        "idempotency_key_reused",
        Fix::Cli(
            "this --idempotency-key was used for a different request: leave the flag out (taosctl makes a fresh key) or pass a new UUID",
        ),
    ),
    (
        "idempotency_key_in_use",
        Fix::Cli("the same request is still running on taosd: run the command again in a moment"),
    ),
    (
        "invalid_idempotency_key",
        Fix::Cli(
            "pass an --idempotency-key of 1 to 255 visible ASCII characters (a UUID is best), or leave the flag out",
        ),
    ),
    // --- request shape ---
    (
        "validation_error",
        Fix::Cli(
            "fix the value the message names; `taosctl COMMAND --help` shows what each flag and argument takes",
        ),
    ),
    (
        "invalid_parameter",
        Fix::Cli(
            "fix the value the message names; `taosctl COMMAND --help` shows what each flag and argument takes",
        ),
    ),
    (
        "malformed_json",
        Fix::Unreachable("taosctl builds every JSON body itself"),
    ),
    (
        "unsupported_media_type",
        Fix::Unreachable("taosctl sends every body as application/json"),
    ),
    (
        "mcp_not_acceptable",
        Fix::Unreachable("taosctl does not call /mcp (`taosctl mcp` only prints a client's configuration)"),
    ),
    (
        "mcp_bad_request",
        Fix::Unreachable("taosctl does not call /mcp (`taosctl mcp` only prints a client's configuration)"),
    ),
    (
        "payload_too_large",
        Fix::Cli("keep what you send (a persona file, an imported document) under 1 MiB"),
    ),
    (
        "route_not_found",
        Fix::Cli(
            "point --url / TAOS_URL at the server itself, without a path: e.g. `--url http://localhost:6969` (not …/api)",
        ),
    ),
    (
        "method_not_allowed",
        Fix::Unreachable("taosctl uses each operation's method from the contract"),
    ),
    (
        "doc_page_not_found",
        Fix::Cli("`taosctl knowledge list` shows the docs pages"),
    ),
    (
        "malformed_request",
        Fix::Unreachable("taosctl's HTTP client writes well-formed requests"),
    ),
    (
        "uri_too_long",
        Fix::Cli("the name or text given is too long for a URL (8 KiB): shorten it"),
    ),
    (
        "headers_too_large",
        Fix::Unreachable("taosctl sends a few small headers"),
    ),
    (
        "request_timeout",
        Fix::Cli("the connection stalled while sending: run the command again"),
    ),
    (
        "host_not_allowed",
        Fix::Cli(
            "use `--url http://127.0.0.1:6969` (an IP address or localhost), or have taosd's operator add this host name to TAOS_ALLOWED_HOSTS",
        ),
    ),
    // --- the server itself ---
    (
        "internal_error",
        Fix::Cli(
            "run the command again in a moment; if it keeps failing, report it to taosd's operator (run it with --debug to see the request)",
        ),
    ),
    (
        "service_unavailable",
        Fix::Cli("taosd cannot reach its database right now: run the command again in a few seconds"),
    ),
    (
        "too_many_connections",
        Fix::Cli("taosd is serving as many connections as it can: run the command again in a moment"),
    ),
    (
        "password_checks_busy",
        Fix::Cli("taosd is checking too many passwords at once: run the command again in a moment"),
    ),
];

/// The entry for `slug`, if it has one.
pub fn fix(slug: &str) -> Option<Fix> {
    FIXES.iter().find(|(s, _)| *s == slug).map(|(_, f)| *f)
}

/// The fix to print for `slug`, with the token from `TAOS_TOKEN` (`token_from_env`) or not;
/// `None` keeps the server's own fix.
pub fn cli_fix(slug: &str, token_from_env: bool) -> Option<&'static str> {
    match fix(slug)? {
        Fix::Cli(text) => Some(text),
        Fix::Token { env, file } => Some(if token_from_env { env } else { file }),
        Fix::Unreachable(_) => None,
    }
}
