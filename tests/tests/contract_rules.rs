//! What the contract states, enforced for every operation by the generated router and handlers
//! (no hand-written copy per operation): these cases read the contract the server serves at
//! `/openapi.json` and check a live taosd against each of its statements, so an operation
//! added to the contract is covered without a line here.
//!
//! - every path answers a method it does not have with 405 and exactly its methods in `Allow`;
//! - every `minimum`, `maximum`, `minItems` and `maxItems` of a request body is enforced, with
//!   the contract's `x-taos-error` slug where it names one;
//! - every operation that takes an `Idempotency-Key` answers a retry with its first answer.

use taos_conformance::reqwest::Method;
use taos_conformance::serde_json::{Value, json};
use taos_conformance::{Server, e2e};

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];

async fn contract(s: &Server) -> Value {
    s.get("/openapi.json").send().await.expect_json(200)
}

/// `v`, or what its `$ref` points at; a described reference (`allOf` of one `$ref`, the
/// OpenAPI 3.0 way to give a `$ref` a description) is read as that reference.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    if let Some([only]) = v.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return resolve(doc, only);
    }
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

/// `path` with its `{params}` filled: `{name}` with `agent` (an agent the case created), ids with
/// a UUID nothing has.
fn fill(path: &str, agent: &str) -> String {
    path.replace("{name}", agent)
        .replace("{id}", "0192f1c5-1111-7222-8333-444455556666")
        .replace("{action}", "stop")
}

/// (method, path, operation) of every operation, in document order.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.to_uppercase().as_str()) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

e2e!(every_path_answers_a_wrong_method_with_exactly_its_methods);
/// For every path of the contract and every method it lacks: 405 `method_not_allowed`, and
/// `Allow` lists the path's methods (HEAD with GET) and nothing else, in document order.
async fn every_path_answers_a_wrong_method_with_exactly_its_methods(s: &Server) {
    let admin = s.setup_admin().await;
    let doc = contract(s).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut allow = Vec::new();
        for method in item.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            if METHODS.contains(&m.as_str()) {
                allow.push(m.clone());
                if m == "GET" {
                    allow.push("HEAD".into());
                }
            }
        }
        let want = allow.join(", ");
        for method in METHODS.iter().filter(|m| !allow.iter().any(|a| a == *m)) {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let url = fill(path, "research-bot");
            for authed in [false, true] {
                let mut req = s.request(method.clone(), &url);
                if authed {
                    req = req.bearer(&admin.token);
                }
                let err = req.send().await.expect_error(405, "method_not_allowed");
                assert_eq!(err.header("allow"), Some(want.as_str()), "{method} {url}");
                assert!(err.detail().contains(&want), "{method} {url}: {}", err.detail());
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} wrong methods tried");
}

/// One bound of a request body: where, what the contract says, which slug it answers with.
struct Bound {
    path: Vec<String>,
    schema: Value,
    slug: String,
}

/// Every bounded value of a request schema, with the `x-taos-error` of the longest enclosing
/// path that names one (else the generic `validation_error`).
fn bounds(doc: &Value, schema: &Value, path: &mut Vec<String>, slug: &str, out: &mut Vec<Bound>) {
    let slug = schema
        .get("x-taos-error")
        .and_then(Value::as_str)
        .unwrap_or(slug)
        .to_string();
    let schema = resolve(doc, schema);
    let slug = schema
        .get("x-taos-error")
        .and_then(Value::as_str)
        .unwrap_or(&slug)
        .to_string();
    if ["minimum", "maximum", "minItems", "maxItems"]
        .iter()
        .any(|k| schema.get(k).is_some())
    {
        out.push(Bound {
            path: path.clone(),
            schema: schema.clone(),
            slug: slug.clone(),
        });
    }
    for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
        path.push(name.clone());
        bounds(doc, prop, path, &slug, out);
        path.pop();
    }
}

/// `body` with the value at `path` replaced (objects created on the way).
fn set(body: &mut Value, path: &[String], value: Value) {
    let mut at = body;
    for key in &path[..path.len() - 1] {
        if !at[key.as_str()].is_object() {
            at[key.as_str()] = json!({});
        }
        at = &mut at[key.as_str()];
    }
    at[path[path.len() - 1].as_str()] = value;
}

/// The values just outside a bound (an item of the array taken from `example`, else `"a"`).
fn outside(schema: &Value, example: Option<&Value>) -> Vec<(Value, String)> {
    let mut out = Vec::new();
    if let Some(max) = schema["maximum"].as_i64() {
        out.push((json!(max + 1), format!("above the maximum {max}")));
    }
    if let Some(min) = schema["minimum"].as_i64() {
        out.push((json!(min - 1), format!("below the minimum {min}")));
    }
    let item = example
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(json!("a"));
    if let Some(max) = schema["maxItems"].as_u64() {
        out.push((
            json!(vec![item.clone(); max as usize + 1]),
            format!("more than {max} items"),
        ));
    }
    if let Some(min) = schema["minItems"].as_u64().filter(|m| *m > 0) {
        out.push((
            json!(vec![item; min as usize - 1]),
            format!("fewer than {min} items"),
        ));
    }
    out
}

e2e!(every_bound_of_a_request_body_is_enforced);
/// For every operation with a JSON body and every bounded value in it: the operation's own
/// example with that value just outside the bound is refused with the contract's slug and the
/// field named, before anything is done.
async fn every_bound_of_a_request_body_is_enforced(s: &Server) {
    let admin = s.setup_admin().await;
    taos_conformance::create_agent(&s.client(&admin.token), "Research Bot").await;
    let doc = contract(s).await;
    let mut checked = Vec::new();
    for (method, path, op) in operations(&doc) {
        let Some(rb) = op.get("requestBody") else { continue };
        let media = &resolve(&doc, rb)["content"]["application/json"];
        let example = media["example"].clone();
        let mut found = Vec::new();
        bounds(
            &doc,
            &media["schema"],
            &mut Vec::new(),
            "validation_error",
            &mut found,
        );
        for bound in found {
            let current = bound.path.iter().try_fold(&example, |v, k| v.get(k.as_str()));
            for (value, what) in outside(&bound.schema, current) {
                let mut body = example.clone();
                set(&mut body, &bound.path, value);
                let url = fill(&path, "research-bot");
                let resp = s
                    .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                    .bearer(&admin.token)
                    .json(&body)
                    .send()
                    .await;
                let field = bound.path.join(".");
                // The catalog's status of each slug a contract hint names.
                let status = match bound.slug.as_str() {
                    "validation_error" | "invalid_runtime_spec" | "invalid_bulk_request" => 422,
                    _ => 400,
                };
                let err = resp.expect_error(status, &bound.slug);
                assert!(
                    err.detail().contains(&format!("`{field}`")),
                    "{method} {path} with `{field}` {what}: the detail names no field: {}",
                    err.detail()
                );
                checked.push(format!("{} {field} {what}", op["operationId"]));
            }
        }
    }
    // The contract bounds at least the scope lists, token lifetimes and the export version.
    for needle in [
        "createAgent\" scope more than 64",
        "issueAgentToken\" expires_in_days above the maximum 3650",
        "importAgent\" version above the maximum 1",
    ] {
        assert!(
            checked.iter().any(|c| c.contains(needle)),
            "{needle} was not checked; checked: {checked:#?}"
        );
    }
    // Nothing of it was created: the one agent is still the only one.
    let agents = s
        .client(&admin.token)
        .list_agents()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agents.items.len(), 1, "{:?}", agents.items);
}

/// The first string of `value` that is no date, enum or colour, with a letter added: a
/// different request that is still valid (were it not, the case would fail on the answer).
fn altered(doc: &Value, schema: &Value, value: &Value) -> Option<Value> {
    let schema = resolve(doc, schema);
    match value {
        Value::String(s)
            if schema["type"] == "string"
                && ["format", "enum"].iter().all(|k| schema.get(k).is_none())
                && !s.starts_with('#') =>
        {
            Some(json!(format!("{s}x")))
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let changed = altered(doc, &schema["properties"][k.as_str()], v)?;
            let mut out = value.clone();
            out[k.as_str()] = changed;
            Some(out)
        }),
        _ => None,
    }
}

e2e!(every_idempotent_operation_replays_its_first_answer);
/// Every operation that takes an `Idempotency-Key`, sent its example twice with one key, answers
/// the second time with the first status and body and `Idempotent-Replayed: true`; the same key
/// with another body is 422 `idempotency_key_reused`. Each operation is sent by a user of its
/// own, so what one example creates cannot collide with the next.
async fn every_idempotent_operation_replays_its_first_answer(s: &Server) {
    let root = s.setup_admin().await;
    let doc = contract(s).await;
    let mut checked = Vec::new();
    for (method, path, op) in operations(&doc) {
        let takes_key = op["parameters"].as_array().into_iter().flatten().any(|p| {
            let p = resolve(&doc, p);
            p["in"] == "header" && p["name"] == "Idempotency-Key"
        });
        if !takes_key {
            continue;
        }
        let id = op["operationId"].as_str().unwrap().to_string();
        let admin = s.add_user(&root, &format!("user-{}", checked.len())).await;
        taos_conformance::create_agent(&s.client(&admin.token), "Keeper").await;
        let media = &resolve(&doc, &op["requestBody"])["content"]["application/json"];
        let body = media["example"].clone();
        let url = fill(&path, "keeper");
        let key = format!("contract-rules-{id}");
        let send = |body: Value| {
            s.request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .bearer(&admin.token)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
        };
        let first = send(body.clone()).await;
        let status = first.status();
        assert!(status.is_success(), "{id}: its example answered {status}");
        assert!(
            first.headers().get("idempotent-replayed").is_none(),
            "{id}: fresh answer marked replayed"
        );
        let first_body: Value = first.json();

        let again = send(body.clone()).await;
        assert_eq!(again.status(), status, "{id}: the retry's status");
        assert_eq!(
            again
                .headers()
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true"),
            "{id}: the retry is not marked replayed"
        );
        let again_body: Value = again.json();
        assert_eq!(again_body, first_body, "{id}: the retry's body");

        let other = altered(&doc, &media["schema"], &body)
            .unwrap_or_else(|| panic!("{id}: no free-text field in the example to alter"));
        send(other).await.expect_error(422, "idempotency_key_reused");
        checked.push(id);
    }
    assert!(
        checked.contains(&"createAgent".to_string()) && checked.contains(&"importAgent".to_string()),
        "{checked:?}"
    );
}
