//! The page conventions: answers, bodies, bindings.

use taos_conformance::recipes::Page;
use taos_conformance::serde_json;

use serde_json::json;

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
