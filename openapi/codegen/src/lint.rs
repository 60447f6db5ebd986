//! The rules the contract obeys beyond being valid OpenAPI: progenitor's limits
//! (reference/toolchain.md §1.6) and what an agent needs from every operation.

use std::collections::{BTreeSet, HashSet};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::spec::{self, Spec};

pub fn run(spec: &Spec) -> Result<()> {
    let mut problems = check(&spec.json);
    // Every `x-mcp` operation must map onto a tool (flat unique arguments, a JSON object,
    // empty or NDJSON answer, no accounts operation).
    match crate::server::ops(spec) {
        Ok(all) => {
            if let Err(e) = crate::server::mcp::tools(spec, &all) {
                problems.push(format!("x-mcp: {e:#}"));
            }
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    if problems.is_empty() {
        eprintln!(
            "openapi/taos.yaml lints clean ({} operations)",
            spec::operations(&spec.json).len()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("lint: {p}");
    }
    bail!("{} lint problem(s) in openapi/taos.yaml", problems.len())
}

fn check(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut p = |s: String| problems.push(s);

    if !doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.0.")) {
        p("`openapi` must be 3.0.x (progenitor rejects 3.1)".into());
    }
    let tags: HashSet<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for t in doc["tags"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or("?");
        for key in ["description", "x-displayName", "x-taos-doc"] {
            if !t[key].is_string() {
                p(format!("tag {name}: missing `{key}`"));
            }
        }
    }

    let mut ids = HashSet::new();
    for (path, method, op) in spec::operations(doc) {
        let at = format!("{} {path}", method.to_uppercase());
        let id = op["operationId"].as_str();
        match id {
            None => p(format!("{at}: no operationId")),
            Some(id) if !ids.insert(id) => p(format!("{at}: operationId {id} is not unique")),
            _ => {}
        }
        for key in ["summary", "description"] {
            if op[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                p(format!("{at}: no `{key}`"));
            }
        }
        match op["tags"].as_array() {
            Some(t) if !t.is_empty() => {
                for tag in t.iter().filter_map(Value::as_str) {
                    if !tags.contains(tag) {
                        p(format!("{at}: tag {tag} is not declared in `tags`"));
                    }
                }
            }
            _ => p(format!("{at}: no tags")),
        }
        match op.get("x-taos-scope") {
            None => p(format!(
                "{at}: no `x-taos-scope` (a slug, or null for any caller)"
            )),
            Some(Value::Null) => {}
            Some(Value::String(s)) if is_slug(s) => {}
            Some(other) => p(format!(
                "{at}: `x-taos-scope` {other} is not an action slug like `agents.read`"
            )),
        }

        // Parameters: no cookies, path parameters match the template.
        let mut path_params = BTreeSet::new();
        for param in op["parameters"].as_array().into_iter().flatten() {
            let param = spec::deref(doc, param);
            match param["in"].as_str() {
                Some("cookie") => p(format!(
                    "{at}: cookie parameters are not supported (use the cookie security scheme)"
                )),
                Some("path") => {
                    path_params.insert(param["name"].as_str().unwrap_or_default().to_string());
                }
                _ => {}
            }
            if !param["description"].is_string() {
                p(format!("{at}: parameter {} has no description", param["name"]));
            }
        }
        let template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(String::from)
            .collect();
        if template != path_params {
            p(format!(
                "{at}: path parameters {path_params:?} do not match the template {template:?}"
            ));
        }

        // Request body: a named schema with an example.
        if let Some(rb) = op.get("requestBody") {
            let media = &spec::deref(doc, rb)["content"]["application/json"];
            if spec::schema_ref_name(&media["schema"]).is_none() {
                p(format!(
                    "{at}: the request body must be application/json with a $ref to components/schemas"
                ));
            }
            if media.get("example").is_none() && media.get("examples").is_none() {
                p(format!("{at}: the request body has no example"));
            }
        }

        // Responses: one success schema, only `Error` on errors, no `default`.
        let responses = op["responses"].as_object();
        let mut success_schemas = BTreeSet::new();
        let mut has = (false, false);
        for (code, resp) in responses.into_iter().flatten() {
            if code == "default" {
                p(format!(
                    "{at}: no `default` response (it counts as success and error for progenitor)"
                ));
                continue;
            }
            let resp_ref = resp.get("$ref").and_then(Value::as_str);
            let resp = spec::deref(doc, resp);
            let schema = &resp["content"]["application/json"]["schema"];
            if code.starts_with('2') {
                if let Some(content) = resp.get("content").and_then(Value::as_object) {
                    let (media_type, media) = match content.iter().next() {
                        Some((t, m)) if content.len() == 1 => (t.as_str(), m),
                        _ => {
                            p(format!(
                                "{at} {code}: a success response has exactly one media type"
                            ));
                            continue;
                        }
                    };
                    // Streams are raw bodies to progenitor; their schemas still say what a line
                    // (NDJSON: an array of it) or an event holds, for readers and schemathesis.
                    let named = match media_type {
                        "application/json" | "text/event-stream" => {
                            spec::schema_ref_name(schema).or_else(|| spec::schema_ref_name(&media["schema"]))
                        }
                        "application/x-ndjson" if media["schema"]["type"] == "array" => {
                            spec::schema_ref_name(&media["schema"]["items"])
                        }
                        _ => None,
                    };
                    match named {
                        Some(name) => {
                            success_schemas.insert(name.to_string());
                        }
                        None => p(format!(
                            "{at} {code}: success bodies must be application/json with a $ref to components/schemas (or application/x-ndjson: an array of a $ref; text/event-stream: a $ref)"
                        )),
                    }
                    if media.get("example").is_none() && media.get("examples").is_none() {
                        p(format!("{at} {code}: the success response has no example"));
                    }
                } else {
                    success_schemas.insert(String::new());
                }
            } else if code.starts_with('4') || code.starts_with('5') {
                if code.eq_ignore_ascii_case("4XX") {
                    has.0 = true;
                }
                if code.eq_ignore_ascii_case("5XX") {
                    has.1 = true;
                }
                let is_error = resp_ref == Some("#/components/responses/Error")
                    || spec::schema_ref_name(schema) == Some("Error");
                if !is_error {
                    p(format!(
                        "{at} {code}: error responses must use the `Error` schema as application/json"
                    ));
                }
            }
        }
        if success_schemas.len() != 1 {
            p(format!(
                "{at}: needs exactly one success schema, has {success_schemas:?}"
            ));
        }
        if !(has.0 && has.1) {
            p(format!(
                "{at}: must declare both 4XX and 5XX with the `Error` schema"
            ));
        }
    }
    problems
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(is_slug("agents.token.issue"));
        assert!(!is_slug("Agents"));
        assert!(!is_slug("agents..x"));
        assert!(!is_slug("agents.*"));
    }

    #[test]
    fn catches_default_and_missing_scope() {
        let doc: Value = serde_json::json!({
            "openapi": "3.0.3",
            "tags": [{"name": "t", "description": "d", "x-displayName": "T", "x-taos-doc": "/docs"}],
            "paths": {"/x": {"get": {
                "operationId": "x", "summary": "s", "description": "d", "tags": ["t"],
                "responses": {"200": {"description": "ok"}, "default": {"description": "e"}}
            }}}
        });
        let problems = check(&doc);
        assert!(problems.iter().any(|p| p.contains("default")), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("x-taos-scope")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("4XX")), "{problems:?}");
    }
}
