//! Comparing a real answer with the one a page states, reading replay variables out of it, and
//! putting variables into a request.

use std::collections::BTreeMap;

use serde_json::Value;

/// Replay variables: `TAOS_URL`, `TAOS_TOKEN` and every `<!-- replay: NAME = field -->` bound
/// so far.
pub type Vars = BTreeMap<String, String>;

/// The four members every error body has.
pub const ERROR_KEYS: [&str; 4] = ["error", "detail", "fix", "doc_url"];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `expected` must be in `actual`, with a value of the same JSON type (null fits
/// anything: examples show null where a real answer may have a value, and back). When
/// `expected` shows an example item in `items`, the first real item must have its keys too;
/// an `error` slug must be the same.
pub fn compare(expected: &Value, actual: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(want) = expected.as_object() else {
        if kind(expected) != kind(actual) {
            problems.push(format!(
                "the answer is a JSON {}, not a {}",
                kind(actual),
                kind(expected)
            ));
        }
        return problems;
    };
    let Some(got) = actual.as_object() else {
        problems.push(format!("the answer is a JSON {}, not an object", kind(actual)));
        return problems;
    };
    keys_of(want, got, "", &mut problems);
    if let (Some(Value::String(slug)), Some(real)) = (want.get("error"), got.get("error"))
        && real.as_str() != Some(slug.as_str())
    {
        problems.push(format!("`error` is {real}, the page says \"{slug}\""));
    }
    if let (Some(Value::Array(example)), Some(Value::Array(real))) = (want.get("items"), got.get("items"))
        && let Some(Value::Object(item)) = example.first()
    {
        match real.first() {
            Some(Value::Object(first)) => keys_of(item, first, "items[0].", &mut problems),
            Some(other) => problems.push(format!("items[0] is a JSON {}, not an object", kind(other))),
            None => problems.push("`items` is empty, the page shows an item".into()),
        }
    }
    problems
}

fn keys_of(
    want: &serde_json::Map<String, Value>,
    got: &serde_json::Map<String, Value>,
    prefix: &str,
    problems: &mut Vec<String>,
) {
    for (key, example) in want {
        match got.get(key) {
            None => problems.push(format!("no key `{prefix}{key}`")),
            Some(real) if !example.is_null() && !real.is_null() && kind(real) != kind(example) => {
                problems.push(format!(
                    "`{prefix}{key}` is a {}, the page shows a {}",
                    kind(real),
                    kind(example)
                ));
            }
            Some(_) => {}
        }
    }
}

/// Problems with an error answer's body: it must be a JSON object with the four canonical
/// members, non-empty strings.
pub fn canonical_error(actual: Option<&Value>) -> Vec<String> {
    let Some(body) = actual.and_then(Value::as_object) else {
        return vec!["an error answer must be the JSON object {error, detail, fix, doc_url}".into()];
    };
    ERROR_KEYS
        .iter()
        .filter(|k| {
            body.get(**k)
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
        })
        .map(|k| format!("the error body lacks a non-empty `{k}`"))
        .collect()
}

/// The value at a dotted path (`items.0.id`) as text, for a replay variable.
pub fn lookup(value: &Value, path: &str) -> Result<String, String> {
    let mut at = value;
    for segment in path.split('.') {
        let next = match at {
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(map) => map.get(segment),
            _ => None,
        };
        at = next.ok_or_else(|| format!("the answer has no `{path}` (stuck at `{segment}`)"))?;
    }
    match at {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("`{path}` is a JSON {}, not a value to bind", kind(other))),
    }
}

/// `text` with every `$NAME` / `${NAME}` (NAME in capitals, digits and `_`) replaced by its
/// variable. An unknown NAME is an error: a page that uses a value no earlier step gave.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (braced, name_from) = match after.strip_prefix('{') {
            Some(inner) => (true, inner),
            None => (false, after),
        };
        let len = name_from
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(name_from.len());
        let name = &name_from[..len];
        let closed = !braced || name_from[len..].starts_with('}');
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_uppercase()) || !closed {
            out.push('$');
            rest = after;
            continue;
        }
        let value = vars
            .get(name)
            .ok_or_else(|| format!("${name} is not bound: no earlier step of the page binds it (`<!-- replay: {name} = field -->`)"))?;
        out.push_str(value);
        rest = &name_from[len + usize::from(braced)..];
    }
    out.push_str(rest);
    Ok(out)
}
