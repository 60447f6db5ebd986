//! C-tier: every runnable example of the agent docs replayed against a real `taosd` — the
//! `http` blocks through an HTTP client, the `bash` blocks with the real `taosctl` — each page
//! on fresh servers, both backends. Also the block parser's rules, the page conventions, and
//! proof that the runner fails (naming `file:line`) when a page is wrong.

use taos_conformance::recipes::{
    self, Block, Page, Request, exit_code_for, extract_blocks, lookup, parse_request, substitute,
};
use taos_conformance::{Server, e2e, serde_json, taosctl};

use serde_json::json;

// ---------------------------------------------------------------------------------------------
// The pages
// ---------------------------------------------------------------------------------------------

/// Every page the replay covers, as the cases below name them.
const PAGES: [&str; 5] = [
    "getting-started.md",
    "recipes/issuing-tokens.md",
    "recipes/managing-agents.md",
    "recipes/notifying-the-user.md",
    "recipes/searching-the-docs.md",
];

#[test]
fn every_recipe_is_replayed() {
    assert_eq!(
        recipes::replayed_pages(),
        PAGES,
        "a page was added or removed under docs/agents/recipes/: give it cases below and in PAGES"
    );
}

async fn http(s: &Server, rel: &str) {
    let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
    match recipes::replay_http(s, &page).await {
        Ok(n) => eprintln!("{rel}: {n} http blocks replayed"),
        Err(f) => panic!("{f}"),
    }
}

async fn bash(s: &Server, rel: &str) {
    let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
    match recipes::replay_bash(s, &page, &taosctl::path()).await {
        Ok(n) => eprintln!("{rel}: {n} bash blocks replayed"),
        Err(f) => panic!("{f}"),
    }
}

e2e!(getting_started_http);
async fn getting_started_http(s: &Server) {
    http(s, "getting-started.md").await;
}

e2e!(getting_started_bash);
async fn getting_started_bash(s: &Server) {
    bash(s, "getting-started.md").await;
}

e2e!(issuing_tokens_http);
async fn issuing_tokens_http(s: &Server) {
    http(s, "recipes/issuing-tokens.md").await;
}

e2e!(issuing_tokens_bash);
async fn issuing_tokens_bash(s: &Server) {
    bash(s, "recipes/issuing-tokens.md").await;
}

e2e!(managing_agents_http);
async fn managing_agents_http(s: &Server) {
    http(s, "recipes/managing-agents.md").await;
}

e2e!(managing_agents_bash);
async fn managing_agents_bash(s: &Server) {
    bash(s, "recipes/managing-agents.md").await;
}

e2e!(notifying_the_user_http);
async fn notifying_the_user_http(s: &Server) {
    http(s, "recipes/notifying-the-user.md").await;
}

e2e!(notifying_the_user_bash);
async fn notifying_the_user_bash(s: &Server) {
    bash(s, "recipes/notifying-the-user.md").await;
}

/// The notes app's guide. The page's last step says taosd was started with a
/// `TAOS_GUIDES_DIR` holding `notes/README.md`, so the replay starts it that way.
const NOTES_GUIDE: &str = "# Notes\n\nThe notes app keeps the user's notes. Agents add a note with `POST /apps/notes/api/notes` and find one by its words.\n";

/// Restarts `s` with a guides directory holding the notes app; keep the dir while `s` runs.
async fn with_notes_app(s: &Server) -> tempfile::TempDir {
    let guides = tempfile::tempdir().expect("tempdir");
    let app = guides.path().join("notes");
    std::fs::create_dir(&app).expect("mkdir notes");
    std::fs::write(app.join("README.md"), NOTES_GUIDE).expect("write the guide");
    s.set_env("TAOS_GUIDES_DIR", &guides.path().display().to_string());
    s.restart().await;
    guides
}

e2e!(searching_the_docs_http);
async fn searching_the_docs_http(s: &Server) {
    let _guides = with_notes_app(s).await;
    http(s, "recipes/searching-the-docs.md").await;
}

e2e!(searching_the_docs_bash);
async fn searching_the_docs_bash(s: &Server) {
    let _guides = with_notes_app(s).await;
    bash(s, "recipes/searching-the-docs.md").await;
}

/// Every page parses under the conventions and has something to replay of both kinds, so no
/// page passes by having nothing to check.
#[test]
fn every_page_has_http_and_bash_steps() {
    for rel in PAGES {
        let page = Page::docs(rel).unwrap_or_else(|f| panic!("{f}"));
        for lang in ["http", "bash"] {
            assert!(
                page.steps.iter().any(|s| s.block.lang == lang),
                "{rel}: no {lang} block to replay"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The runner can fail, and says where
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The block parser: the reference runner's rules
// ---------------------------------------------------------------------------------------------

fn block(lang: &str, code: &str, line: usize) -> Block {
    Block {
        lang: lang.into(),
        code: code.into(),
        line,
    }
}

#[test]
fn keeps_bash_and_http() {
    let text = "# T\n\n```bash\ntaosctl agents list\n```\n\n```http\nGET /api/agents\n```\n";
    assert_eq!(
        extract_blocks(text),
        [
            block("bash", "taosctl agents list", 3),
            block("http", "GET /api/agents", 7)
        ]
    );
}

#[test]
fn drops_skip_json_and_other_languages() {
    let text = "```bash-skip\nx\n```\n```http-skip\ny\n```\n```json\n{}\n```\n```python\nprint(1)\n```\n```text\nz\n```\n";
    assert_eq!(extract_blocks(text), []);
}

#[test]
fn empty_file_has_no_blocks() {
    assert_eq!(extract_blocks(""), []);
    assert_eq!(extract_blocks("\n\n"), []);
}

#[test]
fn line_numbers_are_one_indexed() {
    let text = "one\ntwo\nthree\nfour\n```bash\necho hi\n```\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo hi", 5)]);
    assert_eq!(extract_blocks("```http\nGET /\n```")[0].line, 1);
}

#[test]
fn two_consecutive_blocks() {
    let text = "```http\nGET /a\n```\n```http\nGET /b\n```\n";
    assert_eq!(
        extract_blocks(text),
        [block("http", "GET /a", 1), block("http", "GET /b", 4)]
    );
}

#[test]
fn unterminated_block_runs_to_eof() {
    let text = "intro\n```bash\necho one\n\necho two\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo one\n\necho two", 2)]);
}

#[test]
fn four_backticks_do_not_close() {
    let text = "```bash\necho a\n````\necho b\n```\nafter\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo a\n````\necho b", 1)]);
}

#[test]
fn bare_fence_opens_nothing() {
    // A bare ``` is not an opener, so the next ```bash is one; inside it, only ``` closes.
    let text = "```\nnot code\n```bash\necho x\n```\n";
    assert_eq!(extract_blocks(text), [block("bash", "echo x", 3)]);
    // A tag with a space in it is no tag either.
    assert_eq!(extract_blocks("```bash extra\necho y\n```\n"), []);
}

#[test]
fn crlf_reads_like_lf() {
    let text = "# T\r\n\r\n```bash  \r\necho hi\r\necho there\r\n```  \r\n```http\r\nGET /\r\n```\r\n";
    assert_eq!(
        extract_blocks(text),
        [block("bash", "echo hi\necho there", 3), block("http", "GET /", 7)]
    );
}

#[test]
fn closer_may_have_trailing_spaces_but_no_indent() {
    assert_eq!(extract_blocks("```bash\na\n```   \nb\n"), [block("bash", "a", 1)]);
    assert_eq!(
        extract_blocks("```bash\na\n  ```\nb\n"),
        [block("bash", "a\n  ```\nb", 1)]
    );
}

#[test]
fn blocks_inside_a_block_are_code() {
    // The inner ```http is text of the outer block, and the first ``` closes the outer one.
    let text = "```bash\ncat <<EOF\n```http\nGET /\n```\nEOF\n```\n";
    assert_eq!(
        extract_blocks(text),
        [block("bash", "cat <<EOF\n```http\nGET /", 1)]
    );
}

// ---------------------------------------------------------------------------------------------
// The page conventions: answers, bodies, bindings
// ---------------------------------------------------------------------------------------------

fn parse_err(text: &str) -> String {
    match Page::parse(text, "p.md") {
        Ok(p) => panic!("expected a convention error, got {p:?}"),
        Err(f) => f.to_string(),
    }
}

#[test]
fn an_answer_covers_the_http_and_bash_block_before_it() {
    let text = "```http\nGET /api\n```\n\n```bash\ncurl -s \"$TAOS_URL/api\"\n```\n\nAnswer `200 OK`:\n\n```json\n{\"routes\": []}\n```\n<!-- replay: X = routes.0.prefix -->\n";
    let page = Page::parse(text, "p.md").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(page.steps.len(), 2);
    for (step, lang, line) in [(&page.steps[0], "http", 1), (&page.steps[1], "bash", 5)] {
        assert_eq!((step.block.lang.as_str(), step.block.line), (lang, line));
        assert_eq!(step.expect.status, 200);
        assert_eq!(step.expect.line, 9);
        assert_eq!(step.expect.body, Some((json!({"routes": []}), 11)));
        assert_eq!(step.expect.binds.len(), 1);
        assert_eq!(
            (
                step.expect.binds[0].name.as_str(),
                step.expect.binds[0].path.as_str()
            ),
            ("X", "routes.0.prefix")
        );
    }
}

#[test]
fn an_answer_without_a_body_is_a_status_only() {
    let text = "```http\nDELETE /x\n```\n\nAnswer `204 No Content` (no body).\n\n```http\nGET /y\n```\n\nAnswer `200 OK`:\n\n```json\n{}\n```\n";
    let page = Page::parse(text, "p.md").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(page.steps[0].expect.status, 204);
    assert_eq!(page.steps[0].expect.body, None);
    assert_eq!(page.steps[1].expect.body, Some((json!({}), 13)));
}

#[test]
fn a_json_block_without_a_status_fails() {
    let msg = parse_err("```http\nGET /api\n```\n\n```json\n{}\n```\n");
    assert!(
        msg.starts_with("p.md:5: this json block states no status"),
        "{msg}"
    );
}

#[test]
fn a_block_without_an_answer_fails() {
    let msg = parse_err("```http\nGET /api\n```\n\nSome prose.\n");
    assert!(
        msg.starts_with("p.md:1: this http block states no answer"),
        "{msg}"
    );
    let msg = parse_err("```http\nGET /a\n```\n\n```http\nGET /b\n```\n\nAnswer `200 OK`.\n");
    assert!(
        msg.starts_with("p.md:1: this http block states no answer"),
        "{msg}"
    );
}

#[test]
fn an_answer_or_binding_after_nothing_fails() {
    let msg = parse_err("# T\n\nAnswer `200 OK`.\n");
    assert!(
        msg.starts_with("p.md:3: this `Answer` line follows no http or bash block"),
        "{msg}"
    );
    let msg = parse_err("# T\n\n<!-- replay: A = id -->\n");
    assert!(
        msg.starts_with("p.md:3: this replay binding follows no stated answer"),
        "{msg}"
    );
    let msg = parse_err("```http\nGET /\n```\nAnswer `200 OK`.\n<!-- replay: lower = id -->\n");
    assert!(msg.starts_with("p.md:5: malformed replay comment"), "{msg}");
    let msg = parse_err("```http\nGET /\n```\nAnswer `OK`.\n");
    assert!(
        msg.starts_with("p.md:4: `Answer` line without an HTTP status"),
        "{msg}"
    );
}

#[test]
fn an_error_answer_must_name_its_slug() {
    let msg = parse_err("```http\nGET /api/agents/x\n```\n\nAnswer `404 Not Found`.\n");
    assert!(
        msg.starts_with("p.md:5: an error answer (404) must show its json body"),
        "{msg}"
    );
    let msg =
        parse_err("```http\nGET /x\n```\n\nAnswer `404 Not Found`:\n\n```json\n{\"detail\": \"d\"}\n```\n");
    assert!(msg.starts_with("p.md:5: an error answer (404)"), "{msg}");
}

#[test]
fn skipped_blocks_keep_their_answers_to_themselves() {
    let text = "```http-skip\nPOST /auth/setup\n```\n\nAnswer `201 Created`:\n\n```json\n{\"a\": 1}\n```\n<!-- replay: A = a -->\n\n```http\nGET /api\n```\n\n```bash-skip\nsomething\n```\n\nAnswer `200 OK`:\n\n```json\n{\"b\": 1}\n```\n\n```json\n{\"illustration\": true}\n```\n";
    let page = Page::parse(text, "p.md").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(page.steps.len(), 1);
    assert_eq!(page.steps[0].block.line, 12);
    assert_eq!(page.steps[0].expect.status, 200);
    assert_eq!(page.steps[0].expect.body, Some((json!({"b": 1}), 22)));
}

#[test]
fn a_json_answer_must_be_json() {
    let msg = parse_err("```http\nGET /\n```\nAnswer `200 OK`:\n```json\n{\"items\": [ … ]}\n```\n");
    assert!(
        msg.starts_with("p.md:5: the answer's json block is not JSON"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// Requests, variables, answers
// ---------------------------------------------------------------------------------------------

#[test]
fn http_blocks_are_request_line_headers_and_body() {
    let req = parse_request(
        "post /api/agents HTTP/1.1\nAuthorization: Bearer t\nContent-Type: application/json\n\n{\"name\": \"x\"}\n",
    )
    .expect("parses");
    assert_eq!(
        req,
        Request {
            method: "POST".into(),
            path: "/api/agents".into(),
            headers: vec![
                ("Authorization".into(), "Bearer t".into()),
                ("Content-Type".into(), "application/json".into())
            ],
            body: Some("{\"name\": \"x\"}".into()),
        }
    );
    assert_eq!(parse_request("GET /api").expect("parses").body, None);
    assert!(parse_request("GET").is_err());
    assert!(parse_request("GET api").is_err());
    assert!(parse_request("GET /api\nnot a header\n").is_err());
}

#[test]
fn variables_are_put_in_and_unknown_ones_refused() {
    let vars = recipes::Vars::from([("TAOS_TOKEN".into(), "tok".into()), ("ID".into(), "42".into())]);
    assert_eq!(substitute("Bearer $TAOS_TOKEN", &vars).unwrap(), "Bearer tok");
    assert_eq!(substitute("/x/${ID}/y/$ID", &vars).unwrap(), "/x/42/y/42");
    assert_eq!(
        substitute("costs $5 or $lower", &vars).unwrap(),
        "costs $5 or $lower"
    );
    assert!(
        substitute("/x/$MISSING", &vars)
            .unwrap_err()
            .contains("$MISSING is not bound")
    );
}

#[test]
fn lookups_follow_dotted_paths() {
    let v = json!({"items": [{"id": "a", "n": 3}], "token": "t", "nested": {"ok": true}});
    assert_eq!(lookup(&v, "token").unwrap(), "t");
    assert_eq!(lookup(&v, "items.0.id").unwrap(), "a");
    assert_eq!(lookup(&v, "items.0.n").unwrap(), "3");
    assert_eq!(lookup(&v, "nested.ok").unwrap(), "true");
    assert!(lookup(&v, "items.1.id").is_err());
    assert!(lookup(&v, "nested").is_err());
}

#[test]
fn answers_compare_by_keys_types_items_and_slug() {
    let want = json!({"items": [{"id": "x", "read": false}], "next_cursor": null});
    assert!(
        recipes::compare(
            &want,
            &json!({"items": [{"id": "y", "read": true, "extra": 1}], "next_cursor": "c"})
        )
        .is_empty()
    );
    assert_eq!(
        recipes::compare(&want, &json!({"items": [{"id": 3}], "next_cursor": null})),
        [
            "`items[0].id` is a number, the page shows a string",
            "no key `items[0].read`"
        ]
    );
    assert_eq!(
        recipes::compare(&want, &json!({"items": [], "next_cursor": null})),
        ["`items` is empty, the page shows an item"]
    );
    assert_eq!(
        recipes::compare(&json!({"error": "a"}), &json!({"error": "b"})),
        ["`error` is \"b\", the page says \"a\""]
    );
    assert_eq!(
        recipes::compare(&json!({"a": 1}), &json!([])),
        ["the answer is a JSON array, not an object"]
    );
}

#[test]
fn exit_codes_follow_taosctl() {
    assert_eq!(
        [200, 201, 204, 400, 401, 403, 404, 409, 422].map(exit_code_for),
        [0, 0, 0, 1, 4, 1, 1, 1, 1]
    );
}
