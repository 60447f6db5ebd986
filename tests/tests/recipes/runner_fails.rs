//! The runner can fail, and says where (`file:line`): wrong statuses, slugs, keys, exit codes.

use taos_conformance::recipes::{self, Page};
use taos_conformance::{Server, e2e, taosctl};

/// The 1-indexed line of the fence that opens the block whose first line is `first`.
fn fence_of(text: &str, first: &str) -> usize {
    // `first` is at 0-indexed `at`, so the fence is at 0-indexed `at - 1`: 1-indexed `at`.
    text.lines()
        .position(|l| l == first)
        .expect("the line is in the text")
}

/// Writes `text` as a recipe in a temp dir; returns the dir (keep it) and the page.
fn temp_page(text: &str) -> (tempfile::TempDir, Page) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.md");
    std::fs::write(&path, text).expect("write recipe");
    let page = Page::load(&path, &path.display().to_string()).unwrap_or_else(|f| panic!("{f}"));
    (dir, page)
}

const WRONG_STATUS: &str = "# Broken\n\nList agents.\n\n```http\nGET /api/agents\nAuthorization: Bearer $TAOS_TOKEN\n```\n\n```bash\ntaosctl agents list --json\n```\n\nAnswer `201 Created`:\n\n```json\n{\"items\": [], \"next_cursor\": null}\n```\n";

const MISSING_KEY: &str = "# Broken\n\nWho am I?\n\n```http\nGET /api/auth/whoami\nAuthorization: Bearer $TAOS_TOKEN\n```\n\n```bash\ntaosctl auth whoami --json\n```\n\nAnswer `200 OK`:\n\n```json\n{\"username\": \"ada\", \"favourite_colour\": \"green\"}\n```\n";

const WRONG_SLUG: &str = "# Broken\n\nStep one works.\n\n```http\nGET /api/health\n```\n\n```bash\ncurl -sf \"$TAOS_URL/api/health\"\n```\n\nAnswer `200 OK`:\n\n```json\n{\"status\": \"ok\"}\n```\n\nStep two names the wrong error.\n\n```http\nGET /api/agents/nobody\nAuthorization: Bearer $TAOS_TOKEN\n```\n\n```bash\ntaosctl agents get nobody\n```\n\nAnswer `404 Not Found`:\n\n```json\n{\"error\": \"user_not_found\", \"detail\": \"\", \"fix\": \"\", \"doc_url\": \"\"}\n```\n";

e2e!(http_replay_fails_on_a_wrong_status);
/// A page stating 201 where the server answers 200 fails at the block's line.
async fn http_replay_fails_on_a_wrong_status(s: &Server) {
    let (_dir, page) = temp_page(WRONG_STATUS);
    let f = recipes::replay_http(s, &page)
        .await
        .expect_err("a wrong status must fail");
    let msg = f.to_string();
    let line = fence_of(WRONG_STATUS, "GET /api/agents");
    assert!(
        msg.starts_with(&format!("{}:{line}: ", page.shown)),
        "names file:line: {msg}"
    );
    assert!(msg.contains("status 200, the page says 201 (line 14)"), "{msg}");
    assert!(
        msg.contains("--- sent ---\nGET /api/agents"),
        "shows the request: {msg}"
    );
    assert!(
        msg.contains("--- actual ---\nHTTP 200"),
        "shows the answer: {msg}"
    );
    assert!(!msg.contains("$TAOS_TOKEN"), "the token was put in: {msg}");
}

e2e!(bash_replay_fails_on_a_wrong_slug);
/// Through `taosctl`, an error slug the command does not report fails at the block's line.
async fn bash_replay_fails_on_a_wrong_slug(s: &Server) {
    let (_dir, page) = temp_page(WRONG_SLUG);
    let f = recipes::replay_bash(s, &page, &taosctl::path())
        .await
        .expect_err("a wrong slug must fail");
    let msg = f.to_string();
    let line = fence_of(WRONG_SLUG, "taosctl agents get nobody");
    assert!(
        msg.starts_with(&format!("{}:{line}: ", page.shown)),
        "names file:line: {msg}"
    );
    assert!(
        msg.contains("the error slug `user_not_found` is not on stderr"),
        "{msg}"
    );
    assert!(msg.contains("agent_not_found"), "shows the real stderr: {msg}");
    assert!(msg.contains("--- sent ---\ntaosctl agents get nobody"), "{msg}");
}

e2e!(http_replay_fails_on_a_wrong_slug);
/// An error answer whose slug differs from the page's fails, at the second block.
async fn http_replay_fails_on_a_wrong_slug(s: &Server) {
    let (_dir, page) = temp_page(WRONG_SLUG);
    let f = recipes::replay_http(s, &page)
        .await
        .expect_err("a wrong slug must fail");
    let msg = f.to_string();
    let line = fence_of(WRONG_SLUG, "GET /api/agents/nobody");
    assert!(
        msg.starts_with(&format!("{}:{line}: ", page.shown)),
        "names file:line: {msg}"
    );
    assert!(
        msg.contains("`error` is \"agent_not_found\", the page says \"user_not_found\""),
        "{msg}"
    );
}

e2e!(replays_fail_on_a_missing_key);
/// A key the real answer lacks fails both passes, naming it.
async fn replays_fail_on_a_missing_key(s: &Server) {
    let (_dir, page) = temp_page(MISSING_KEY);
    let f = recipes::replay_http(s, &page)
        .await
        .expect_err("a missing key must fail");
    let msg = f.to_string();
    let line = fence_of(MISSING_KEY, "GET /api/auth/whoami");
    assert!(msg.starts_with(&format!("{}:{line}: ", page.shown)), "{msg}");
    assert!(msg.contains("no key `favourite_colour`"), "{msg}");

    let fresh = Server::start_sqlite().await;
    let f = recipes::replay_bash(&fresh, &page, &taosctl::path())
        .await
        .expect_err("a missing key must fail");
    let msg = f.to_string();
    let line = fence_of(MISSING_KEY, "taosctl auth whoami --json");
    assert!(msg.starts_with(&format!("{}:{line}: ", page.shown)), "{msg}");
    assert!(msg.contains("no key `favourite_colour`"), "{msg}");
    fresh.stop().await;
}

e2e!(json_output_that_is_not_json_fails);
/// A `--json` command whose stdout is not JSON cannot be held to the stated body: a failure,
/// not a pass with nothing checked.
async fn json_output_that_is_not_json_fails(s: &Server) {
    let text = "# Broken\n\n```bash\ntaosctl auth whoami --json > /dev/null\n```\n\nAnswer `200 OK`:\n\n```json\n{\"username\": \"ada\"}\n```\n";
    let (_dir, page) = temp_page(text);
    let f = recipes::replay_bash(s, &page, &taosctl::path())
        .await
        .expect_err("no JSON to check must fail");
    let msg = f.to_string();
    assert!(msg.starts_with(&format!("{}:3: ", page.shown)), "{msg}");
    assert!(
        msg.contains("the command asks for --json but stdout is not JSON"),
        "{msg}"
    );
}

e2e!(a_wrong_exit_code_fails);
/// `taosctl` exits 4 on a 401; a page that states 200 for a dead token fails on the exit code.
async fn a_wrong_exit_code_fails(s: &Server) {
    let text =
        "# Broken\n\n```bash\nTAOS_TOKEN=taos_user_nonsense taosctl auth whoami\n```\n\nAnswer `200 OK`.\n";
    let (_dir, page) = temp_page(text);
    let f = recipes::replay_bash(s, &page, &taosctl::path())
        .await
        .expect_err("a failing command must fail");
    let msg = f.to_string();
    assert!(msg.starts_with(&format!("{}:3: ", page.shown)), "{msg}");
    assert!(msg.contains("exit code 4, want 0"), "{msg}");
}

e2e!(a_page_with_nothing_to_replay_fails);
/// A recipe whose blocks are all skipped, or that has none, replays nothing: that is a failure.
async fn a_page_with_nothing_to_replay_fails(s: &Server) {
    let (_dir, page) = temp_page("# Nothing\n\n```http-skip\nGET /api\n```\n\nAnswer `200 OK`.\n");
    let f = recipes::replay_http(s, &page)
        .await
        .expect_err("nothing to replay must fail");
    assert!(f.to_string().contains("no http block to replay"), "{f}");
    let f = recipes::replay_bash(
        s,
        &Page::parse("# Empty\n", "empty.md").unwrap(),
        &taosctl::path(),
    )
    .await
    .expect_err("nothing to replay must fail");
    assert!(
        f.to_string()
            .starts_with("empty.md:1: the page has no bash block to replay"),
        "{f}"
    );
}

e2e!(bindings_carry_values_between_steps);
/// `<!-- replay: NAME = field -->` binds a value for later blocks, dotted paths included; an
/// unbound variable fails the block that uses it.
async fn bindings_carry_values_between_steps(s: &Server) {
    let text = "# Binding\n\n```http\nPOST /api/ui/notify\nAuthorization: Bearer $TAOS_TOKEN\nContent-Type: application/json\n\n{\"title\": \"hello\"}\n```\n\nAnswer `200 OK`:\n\n```json\n{\"delivered\": true, \"notification_id\": \"x\"}\n```\n<!-- replay: ID = notification_id -->\n\n```http\nGET /api/notifications\nAuthorization: Bearer $TAOS_TOKEN\n```\n\nAnswer `200 OK`:\n\n```json\n{\"items\": [{\"id\": \"x\", \"title\": \"hello\"}], \"next_cursor\": null}\n```\n<!-- replay: FIRST = items.0.id -->\n\n```http\nPOST /api/notifications/${FIRST}/read\nAuthorization: Bearer $TAOS_TOKEN\n```\n\nAnswer `200 OK`:\n\n```json\n{\"updated\": 1}\n```\n\n```http\nPOST /api/notifications/$ID/read\nAuthorization: Bearer $TAOS_TOKEN\n```\n\nAnswer `200 OK`:\n\n```json\n{\"updated\": 0}\n```\n\n```http\nPOST /api/notifications/$NOPE/read\nAuthorization: Bearer $TAOS_TOKEN\n```\n\nAnswer `200 OK`.\n";
    let (_dir, page) = temp_page(text);
    let f = recipes::replay_http(s, &page)
        .await
        .expect_err("$NOPE is unbound");
    let msg = f.to_string();
    let line = fence_of(text, "POST /api/notifications/$NOPE/read");
    assert!(
        msg.starts_with(&format!("{}:{line}: $NOPE is not bound", page.shown)),
        "{msg}"
    );
}
