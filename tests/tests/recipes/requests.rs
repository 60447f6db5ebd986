//! Requests, variables, answers: how a block becomes a request and an answer is compared.

use taos_conformance::recipes::{self, Request, exit_code_for, lookup, parse_request, substitute};
use taos_conformance::serde_json;

use serde_json::json;

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
