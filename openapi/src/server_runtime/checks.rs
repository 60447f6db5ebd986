//! What serde's derived types are laxer about than the contract, found in the JSON value before
//! it is deserialized: objects, nulls, NUL characters, bounds; and how a failing path is shown.

/// The contract's `minimum`/`maximum` of a number and `minItems`/`maxItems` of an array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
}

impl Limits {
    /// Why `value` breaks these bounds, if it does. A value of another type is left to the
    /// schema check that follows.
    fn violation(&self, value: &serde_json::Value) -> Option<String> {
        if let Some(n) = value.as_f64() {
            let out_of_range = self.minimum.is_some_and(|m| n < m) || self.maximum.is_some_and(|m| n > m);
            return out_of_range.then(|| {
                let range = match (self.minimum, self.maximum) {
                    (Some(a), Some(b)) if a == b => format!("{a}"),
                    (Some(a), Some(b)) => format!("from {a} to {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    (None, None) => String::new(),
                };
                format!("must be {range}, got {value}")
            });
        }
        let n = value.as_array()?.len();
        if let Some(max) = self.max_items.filter(|max| n > *max) {
            return Some(format!("must have at most {max} {}, got {n}", items(max)));
        }
        if let Some(min) = self.min_items.filter(|min| n < *min) {
            return Some(format!("must have at least {min} {}, got {n}", items(min)));
        }
        None
    }
}

fn same_path(a: &[&str], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The path of the first value that should be an object and is something else (`null` is left
/// to the nullable check).
pub(super) fn find_non_object(
    value: &serde_json::Value,
    objects: &[&[&str]],
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let must_be_object = objects.iter().any(|p| same_path(p, path));
    if must_be_object && !value.is_object() && !value.is_null() {
        return Some(path.clone());
    }
    match value {
        serde_json::Value::Array(items) => items.iter().find_map(|v| {
            path.push("[]".into());
            let found = find_non_object(v, objects, path);
            path.pop();
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            path.push(k.clone());
            let found = find_non_object(v, objects, path);
            path.pop();
            found
        }),
        _ => None,
    }
}

/// The path of the first object property that is `null` where the contract does not allow it.
pub(super) fn find_null(
    value: &serde_json::Value,
    nullable: &[&[&str]],
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    match value {
        serde_json::Value::Array(items) => items.iter().find_map(|v| {
            path.push("[]".into());
            let found = find_null(v, nullable, path);
            path.pop();
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            path.push(k.clone());
            let found = if v.is_null() {
                let allowed = nullable.iter().any(|p| same_path(p, path));
                (!allowed).then(|| path.clone())
            } else {
                find_null(v, nullable, path)
            };
            path.pop();
            found
        }),
        _ => None,
    }
}

fn items(n: usize) -> &'static str {
    if n == 1 { "item" } else { "items" }
}

/// The first value that breaks a bound, in the order of `limits`, with its path as segments.
pub(super) fn find_limit_violation(
    value: &serde_json::Value,
    limits: &[(&[&str], Limits)],
) -> Option<(Vec<String>, String)> {
    limits.iter().find_map(|(path, limits)| {
        let mut found = None;
        visit(value, path, &mut Vec::new(), &mut |v, at| {
            if found.is_none() {
                found = limits.violation(v).map(|m| (at.to_vec(), m));
            }
        });
        found
    })
}

/// Calls `f` on every value at `path` (`[]` = each item of an array), with its concrete path.
fn visit(
    value: &serde_json::Value,
    path: &[&str],
    at: &mut Vec<String>,
    f: &mut dyn FnMut(&serde_json::Value, &[String]),
) {
    let Some((first, rest)) = path.split_first() else {
        f(value, at);
        return;
    };
    match (*first, value) {
        ("[]", serde_json::Value::Array(items)) => {
            for item in items {
                at.push("[]".into());
                visit(item, rest, at, f);
                at.pop();
            }
        }
        (key, serde_json::Value::Object(map)) => {
            if let Some(v) = map.get(key) {
                at.push(key.to_string());
                visit(v, rest, at, f);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The path (as segments) of the first string or key holding U+0000.
pub(super) fn find_nul(value: &serde_json::Value, path: &mut Vec<String>) -> Option<Vec<String>> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path.clone()),
        serde_json::Value::Array(items) => items.iter().find_map(|v| {
            path.push("[]".into());
            let found = find_nul(v, path);
            path.pop();
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            path.push(k.clone());
            let found = if k.contains('\0') {
                Some(path.clone())
            } else {
                find_nul(v, path)
            };
            path.pop();
            found
        }),
        _ => None,
    }
}

pub(super) fn display_path(segments: &[String]) -> String {
    if segments.is_empty() {
        return ".".into();
    }
    let mut out = String::new();
    for s in segments {
        if s == "[]" {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    out
}

/// serde_json appends " at line 1 column 42" to data errors; the field path says more.
pub(super) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The hint of the longest declared path that the failing path starts with.
pub(super) fn hint_for(hints: &[(&[&str], &'static str)], segments: &[String]) -> Option<&'static str> {
    hints
        .iter()
        .filter(|(path, _)| path.len() <= segments.len() && path.iter().zip(segments).all(|(a, b)| a == b))
        .max_by_key(|(path, _)| path.len())
        .map(|(_, slug)| *slug)
}
