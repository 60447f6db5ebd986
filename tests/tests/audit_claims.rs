//! What `docs/agents/audit-results.md` claims about the running server, checked on a live
//! taosd for every operation the contract lists (the page itself is generated from the contract
//! and pinned by `cargo codegen generate --check`): each paged operation pages, each one
//! needing a bearer refuses a call without one, each scoped one refuses a token without its
//! scope (each idempotent one replays: contract_rules.rs). A new operation is covered by adding it to the contract;
//! one the fixtures here cannot reach fails, naming it.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::spec::{self, SpecOperation};
use taos_conformance::*;

fn operations() -> Vec<SpecOperation> {
    spec::operations(&spec::json())
}

/// A raw request for `op`, its path filled in (`{name}` is the agent `dummy-agent`), and its
/// contract example as the body when it takes one.
fn request(s: &Server, op: &SpecOperation) -> Request {
    let method: Method = op.method.parse().expect("an HTTP method");
    let req = s.request(method, &spec::fill_path(&op.path));
    match &op.body_example {
        Some(example) => req.json(example),
        None => req,
    }
}

/// The ids of every item of a paged list, following `next_cursor` with `limit`.
async fn walk(s: &Server, token: &str, op: &SpecOperation, limit: usize) -> Vec<Value> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1.. {
        let mut query = vec![("limit", limit.to_string())];
        query.extend(cursor.take().map(|c| ("cursor", c)));
        let page = s
            .get(&op.path)
            .bearer(token)
            .query(&query)
            .send()
            .await
            .expect_json(op.success);
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: a page without items: {page}", op.id));
        assert!(
            items.len() <= limit,
            "{}: {} items for limit {limit}",
            op.id,
            items.len()
        );
        ids.extend(
            items
                .iter()
                .map(|i| i.get("id").cloned().unwrap_or_else(|| i.clone())),
        );
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(!items.is_empty(), "{}: an empty page with a next_cursor", op.id);
                assert!(pages < 1000, "{}: the cursor never ends", op.id);
                cursor = Some(c.to_string());
            }
            None => return ids,
        }
    }
    unreachable!()
}

/// The largest `limit` the contract lets `op` ask for.
fn limit_maximum(op: &SpecOperation) -> usize {
    let doc = spec::json();
    let params = doc["paths"][&op.path][op.method.to_ascii_lowercase()]["parameters"].clone();
    params
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| spec::resolve(&doc, p))
        .find(|p| p["in"] == "query" && p["name"] == "limit")
        .and_then(|p| p["schema"]["maximum"].as_u64())
        .unwrap_or_else(|| panic!("{}: `limit` has no maximum", op.id)) as usize
}

e2e!(every_paged_operation_pages);
/// Every operation taking `limit` and `cursor`, with at least three items to list: walked two
/// at a time it yields exactly the items one big page has, in the same order, none twice.
async fn every_paged_operation_pages(s: &Server) {
    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    // Three of everything the paged operations list (the docs are ingested on their own).
    for i in 0..3 {
        s.add_user(&admin, &format!("person{i}")).await;
        s.user_token(ADMIN, PASSWORD, None).await;
        create_agent(&client, &format!("Listed {i}")).await;
        create_agent(&client, &format!("Archived {i}")).await;
        client
            .delete_agent()
            .name(format!("archived-{i}"))
            .send()
            .await
            .value();
        s.post("/api/ui/notify")
            .bearer(&admin.token)
            .json(&json!({"title": format!("note {i}"), "body": "b"}))
            .send()
            .await
            .expect_status(200);
    }
    let paged: Vec<_> = operations()
        .into_iter()
        .filter(|op| op.query.iter().any(|q| q == "limit") && op.query.iter().any(|q| q == "cursor"))
        .collect();
    assert!(!paged.is_empty(), "the contract pages no operation");
    for op in &paged {
        assert_eq!(op.method, "GET", "{} pages but is not a GET", op.id);
        let all = walk(s, &admin.token, op, limit_maximum(op)).await;
        assert!(
            all.len() >= 3,
            "{} lists {} items: too few to page (extend this suite's fixtures)",
            op.id,
            all.len()
        );
        let distinct: BTreeSet<String> = all.iter().map(Value::to_string).collect();
        assert_eq!(distinct.len(), all.len(), "{}: an item listed twice", op.id);
        let by_two = walk(s, &admin.token, op, 2).await;
        assert_eq!(by_two, all, "{}: pages of two differ from one page", op.id);
    }
}

e2e!(every_operation_needing_a_bearer_refuses_none);
/// Every operation the contract does not mark public is 401 `auth_required` without
/// credentials (after setup); every public one answers without them.
async fn every_operation_needing_a_bearer_refuses_none(s: &Server) {
    s.setup_admin().await;
    for op in &operations() {
        let resp = request(s, op).send().await;
        if op.public {
            // It may refuse what its body says (wrong password: 401 `invalid_credentials`),
            // never the missing bearer.
            let body: Value = serde_json::from_slice(resp.bytes()).unwrap_or_default();
            let slug = &body["error"];
            assert!(resp.status().as_u16() < 500, "{}: {}", op.id, resp.text());
            assert_ne!(slug, "auth_required", "{} is public: {}", op.id, resp.text());
        } else {
            resp.expect_error(401, "auth_required");
        }
    }
}

e2e!(every_scoped_operation_refuses_a_token_without_its_scope);
/// Every operation with an `x-taos-scope`, called with the admin's personal token narrowed to
/// another scope, is 403 `scope_denied` naming the scope it needs.
async fn every_scoped_operation_refuses_a_token_without_its_scope(s: &Server) {
    s.setup_admin().await;
    let ops = operations();
    let scopes: BTreeSet<&str> = ops.iter().filter_map(|op| op.scope.as_deref()).collect();
    assert!(scopes.len() > 1, "the contract scopes fewer than two operations");
    for scope in &scopes {
        let other = *scopes.iter().find(|s| *s != scope).expect("another scope");
        let token = s.user_token(ADMIN, PASSWORD, Some(&[other])).await;
        for op in ops.iter().filter(|op| op.scope.as_deref() == Some(*scope)) {
            let err = request(s, op)
                .bearer(&token)
                .send()
                .await
                .expect_error(403, "scope_denied");
            assert_eq!(err.body["required_scope"], *scope, "{}: {}", op.id, err.body);
        }
    }
}
