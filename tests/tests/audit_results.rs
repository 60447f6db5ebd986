//! `docs/agents/audit-results.md` against the contract: one row per operation, in document
//! order, every cell re-derived here from `openapi/taos.yaml`, so neither a hand edit nor a
//! stale file passes (`cargo codegen generate` writes it).

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use taos_conformance::spec;

const COLUMNS: [&str; 9] = [
    "Operation",
    "Request",
    "Documented",
    "Typed response",
    "Actionable errors",
    "Bearer",
    "Scope",
    "Idempotent",
    "Paged",
];

fn page() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/agents/audit-results.md");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (run `cargo codegen generate`)", path.display()))
}

/// The cells of every table row (header and separator included), split on unescaped `|`.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .map(|line| {
            let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
            let mut cells = vec![String::new()];
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if chars.peek() == Some(&'|') => {
                        chars.next();
                        cells.last_mut().expect("a cell").push('|');
                    }
                    '|' => cells.push(String::new()),
                    c => cells.last_mut().expect("a cell").push(c),
                }
            }
            cells.into_iter().map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.strip_prefix('#').expect("local $ref"))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

/// What the row of one operation must say, cell by cell.
fn expected_row(doc: &Value, path: &str, method: &str, op: &Value) -> Vec<String> {
    let id = op["operationId"].as_str().expect("operationId");
    let has = |k: &str| op[k].as_str().is_some_and(|s| !s.trim().is_empty());
    let documented = match (has("summary"), has("description")) {
        (true, true) => "yes".to_string(),
        (false, true) => "no: no summary".to_string(),
        (true, false) => "no: no description".to_string(),
        (false, false) => "no: no summary, no description".to_string(),
    };

    let responses = op["responses"].as_object().expect("responses");
    let (status, success) = responses
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .map(|(c, r)| (c.as_str(), deref(doc, r)))
        .expect("a success response");
    let schema = &success["content"]["application/json"]["schema"];
    let typed = if success.get("content").is_none() {
        format!("{status}, no body")
    } else if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        format!("{status} `{}`", r.trim_start_matches("#/components/schemas/"))
    } else if schema.is_object() {
        format!("{status} inline")
    } else {
        format!("no: {status} without a schema")
    };

    let canonical = ["4XX", "5XX"]
        .iter()
        .all(|c| responses.get(*c).and_then(|r| r["$ref"].as_str()) == Some("#/components/responses/Error"));
    let mut slugs = BTreeSet::new();
    let params: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| deref(doc, p))
        .collect();
    for p in &params {
        slugs_in(doc, p, &mut slugs, 0);
    }
    if let Some(body) = op.get("requestBody") {
        slugs_in(doc, &deref(doc, body)["content"], &mut slugs, 0);
    }
    let errors = match (canonical, slugs.is_empty()) {
        (false, _) => "no".to_string(),
        (true, true) => "yes".to_string(),
        (true, false) => format!(
            "yes: {}",
            slugs
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };

    let security = op.get("security").unwrap_or(&doc["security"]);
    let mut schemes: Vec<String> = Vec::new();
    for req in security.as_array().into_iter().flatten() {
        for name in req.as_object().expect("security requirement").keys() {
            if !schemes.contains(name) {
                schemes.push(name.clone());
            }
        }
    }
    let bearer = if schemes.is_empty() {
        "public".to_string()
    } else {
        schemes.join(", ")
    };

    let scope = match op["x-taos-scope"].as_str() {
        Some(s) => format!("`{s}`"),
        None => "any caller".to_string(),
    };

    let named = |name: &str, loc: &str| {
        params
            .iter()
            .any(|p| p["in"] == loc && p["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    };
    let idempotent = if named("idempotency-key", "header") {
        "Idempotency-Key"
    } else if matches!(method, "get" | "put" | "delete") {
        "by method"
    } else {
        "no"
    };

    let missing: Vec<&str> = ["limit", "cursor"]
        .into_iter()
        .filter(|p| !named(p, "query"))
        .collect();
    let body_schema = deref(doc, schema);
    let list_shaped = deref(doc, body_schema)["type"] == "array"
        || deref(doc, &body_schema["properties"]["items"])["type"] == "array";
    let paged = if missing.is_empty() {
        "yes".to_string()
    } else if method == "get" && list_shaped {
        format!("**no**: no {}", missing.join(", no "))
    } else {
        "N/A".to_string()
    };

    vec![
        format!("`{id}`"),
        format!("`{} {path}`", method.to_ascii_uppercase()),
        documented,
        typed,
        errors,
        bearer,
        scope,
        idempotent.to_string(),
        paged,
    ]
}

/// Every `x-taos-error` in `v` and what it references (schemas of parameters and bodies).
fn slugs_in(doc: &Value, v: &Value, out: &mut BTreeSet<String>, depth: usize) {
    if depth > 20 {
        return;
    }
    match v {
        Value::Object(map) => {
            if let Some(s) = map.get("x-taos-error").and_then(Value::as_str) {
                out.insert(s.to_string());
            }
            if map.contains_key("$ref") {
                slugs_in(doc, deref(doc, v), out, depth + 1);
            }
            for (k, child) in map {
                // Examples and descriptions are data, not schema.
                if !matches!(k.as_str(), "example" | "examples" | "description" | "$ref") {
                    slugs_in(doc, child, out, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                slugs_in(doc, child, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[test]
fn audit_results_match_the_contract_row_by_row() {
    let text = page();
    assert!(
        text.starts_with("<!-- @generated by `cargo codegen generate` from openapi/taos.yaml"),
        "audit-results.md must say it is generated"
    );
    assert!(text.contains("\n# API audit\n"));
    assert!(
        text.contains("do not edit this page by"),
        "the do-not-edit note is missing"
    );
    for column in COLUMNS {
        assert!(
            text.contains(&format!("- **{column}**")) || column == "Operation" || column == "Request",
            "the legend does not explain {column}"
        );
    }

    let rows = table_rows(&text);
    assert!(rows.len() > 2, "no table in audit-results.md");
    assert_eq!(rows[0], COLUMNS, "header row");
    assert!(rows[1].iter().all(|c| c == "---"), "separator row: {:?}", rows[1]);
    let rows = &rows[2..];

    let doc = spec::json();
    let mut expected = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                expected.push(expected_row(&doc, path, method, op));
            }
        }
    }
    assert_eq!(expected.len(), spec::operations(&doc).len());
    for (i, want) in expected.iter().enumerate() {
        let got = rows
            .get(i)
            .unwrap_or_else(|| panic!("no row for {} (run `cargo codegen generate`)", want[0]));
        assert_eq!(got.len(), COLUMNS.len(), "row {i}: {got:?}");
        for (c, column) in COLUMNS.iter().enumerate() {
            assert_eq!(
                got[c],
                want[c],
                "audit-results.md row {} ({}), column {column}: the file says {:?}, the contract {:?} \
                 (do not edit it by hand: run `cargo codegen generate`)",
                i + 1,
                want[0],
                got[c],
                want[c]
            );
        }
    }
    assert_eq!(
        rows.len(),
        expected.len(),
        "audit-results.md has rows for operations the contract does not have"
    );
}

#[test]
fn table_cells_split_on_unescaped_bars() {
    let rows = table_rows("x\n| a | b \\| c |  d|\n");
    assert_eq!(rows, [vec!["a", "b | c", "d"]]);
}
