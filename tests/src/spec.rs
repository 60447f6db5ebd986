//! The contract itself, read from `openapi/taos.yaml`, for checks that hold the running server to
//! what it states.

use std::path::PathBuf;

use serde_json::Value;

/// `openapi/taos.yaml` in this workspace.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/taos.yaml")
}

/// The contract's bytes.
pub fn text() -> String {
    std::fs::read_to_string(path()).expect("read openapi/taos.yaml")
}

/// The contract as JSON.
pub fn json() -> Value {
    yaml_serde::from_str(&text()).expect("openapi/taos.yaml is valid YAML")
}

/// One operation as the contract states it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecOperation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub scope: Option<String>,
    pub public: bool,
    pub idempotent: bool,
    /// The success status the contract states (its one `2XX` response).
    pub success: u16,
    /// Its query parameters, by name.
    pub query: Vec<String>,
    /// The example of its JSON request body, if it takes one.
    pub body_example: Option<Value>,
}

/// `v`, or what its `$ref` points at.
pub fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("local $ref");
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"))
        }
        None => v,
    }
}

/// Every operation of `doc`, in document order.
pub fn operations(doc: &Value) -> Vec<SpecOperation> {
    let mut out = Vec::new();
    let global_security = doc
        .get("security")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ![
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                continue;
            }
            let security = op
                .get("security")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(global_security);
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let idempotent = params.iter().any(|p| {
                let p = resolve(doc, p);
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"))
            });
            let query = params
                .iter()
                .map(|p| resolve(doc, p))
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            let success = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .find_map(|code| code.parse().ok().filter(|c: &u16| (200..300).contains(c)))
                .expect("a success response");
            let body_example = op
                .get("requestBody")
                .map(|b| resolve(doc, b)["content"]["application/json"]["example"].clone());
            out.push(SpecOperation {
                id: op["operationId"].as_str().expect("operationId").to_string(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                tag: op["tags"][0].as_str().expect("a tag").to_string(),
                summary: op["summary"].as_str().unwrap_or_default().to_string(),
                scope: op.get("x-taos-scope").and_then(Value::as_str).map(str::to_string),
                public: security == 0,
                idempotent,
                success,
                query,
                body_example,
            });
        }
    }
    out
}

/// `path` with every `{param}` replaced by a value its schema accepts.
pub fn fill_path(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = &rest[start + 1..end];
        out.push_str(match name {
            "name" => "dummy-agent",
            _ => "0192f1c5-1111-7222-8333-444455556666",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}
