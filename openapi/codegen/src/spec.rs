//! Loading the contract, once as the typed `openapiv3` model (for progenitor) and once as a
//! plain JSON value (for our own generator and lints, which need the `x-` extensions).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

pub struct Spec {
    pub typed: openapiv3::OpenAPI,
    pub json: Value,
}

pub fn load(root: &Path) -> Result<Spec> {
    let path = root.join("openapi/taos.yaml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value = yaml_serde::from_str(&text).context("openapi/taos.yaml is not valid YAML")?;
    let typed: openapiv3::OpenAPI =
        serde_json::from_value(json.clone()).context("openapi/taos.yaml is not an OpenAPI 3.0 document")?;
    Ok(Spec { typed, json })
}

/// Resolves a local `$ref` (`#/components/...`) once; other values come back unchanged.
pub fn deref<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(root, |node, seg| &node[seg]))
            .unwrap_or(v),
        None => v,
    }
}

/// The `#/components/schemas/NAME` a `$ref` points at.
pub fn schema_ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// Every operation in document order: (path, method, operation object).
pub fn operations(json: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = json["paths"].as_object() {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for (method, op) in item {
                    if METHODS.contains(&method.as_str()) {
                        out.push((path.as_str(), method.as_str(), op));
                    }
                }
            }
        }
    }
    out
}

pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
