//! Hand-written support for the generated server code: reading parameters and JSON bodies and
//! describing exactly what was wrong with them. The generated handlers call these; the server
//! turns a [`Rejection`] into its canonical error body.

use axum::body::Body;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Request bodies larger than this are refused (413).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An idempotent operation's work, handed to `Api::idempotent`: given the caller, run the
/// operation and render its answer (success or error).
pub type Work<C> =
    Box<dyn FnOnce(C) -> std::pin::Pin<Box<dyn Future<Output = axum::response::Response> + Send>> + Send>;

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// Why a request does not match the contract. `hint` is the contract's `x-taos-error` for the
/// offending field or parameter: the error slug the server should answer with instead of the
/// generic one.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The body is not `application/json`.
    UnsupportedMediaType { content_type: Option<String> },
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The body could not be read at all.
    BodyUnreadable,
    /// The operation needs a body and none was sent.
    MissingBody,
    /// The body is not JSON.
    MalformedJson { message: String },
    /// The JSON does not match the schema at `path` (`.` for the document itself).
    InvalidBody {
        path: String,
        message: String,
        hint: Option<&'static str>,
    },
    /// A path, query or header parameter is missing, unknown or invalid.
    InvalidParameter {
        name: String,
        location: Location,
        message: String,
        hint: Option<&'static str>,
    },
}

/// The raw path and query parameters of a request.
pub struct RawParams {
    path: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

impl RawParams {
    /// Reads path and query parameters; query parameters the operation does not take, or that
    /// are given twice, are refused so a typo does not pass silently.
    pub async fn extract(parts: &mut Parts, known_query: &[&str]) -> Result<Self, Rejection> {
        let path = match RawPathParams::from_request_parts(parts, &()).await {
            Ok(raw) => raw.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            Err(e) => {
                return Err(Rejection::InvalidParameter {
                    name: "path".into(),
                    location: Location::Path,
                    message: e.body_text(),
                    hint: None,
                });
            }
        };
        let query: Vec<(String, String)> = match serde_urlencoded::from_str(parts.uri.query().unwrap_or("")) {
            Ok(q) => q,
            Err(e) => {
                return Err(Rejection::InvalidParameter {
                    name: "query".into(),
                    location: Location::Query,
                    message: format!("the query string cannot be decoded: {e}"),
                    hint: None,
                });
            }
        };
        for (i, (name, _)) in query.iter().enumerate() {
            if !known_query.contains(&name.as_str()) {
                let takes = if known_query.is_empty() {
                    "no query parameters".to_string()
                } else {
                    known_query.join(", ")
                };
                return Err(Rejection::InvalidParameter {
                    name: name.clone(),
                    location: Location::Query,
                    message: format!("unknown query parameter `{name}`; this operation takes {takes}"),
                    hint: None,
                });
            }
            if query[..i].iter().any(|(n, _)| n == name) {
                return Err(Rejection::InvalidParameter {
                    name: name.clone(),
                    location: Location::Query,
                    message: format!("query parameter `{name}` is given more than once"),
                    hint: None,
                });
            }
        }
        Ok(RawParams { path, query })
    }

    pub fn path(&self, name: &str) -> Option<&str> {
        self.path.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A header's value, which must be visible ASCII.
pub fn header<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a str>, Rejection> {
    match parts.headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| Rejection::InvalidParameter {
            name: name.to_string(),
            location: Location::Header,
            message: format!("header `{name}` must be visible ASCII"),
            hint: None,
        }),
    }
}

fn invalid(name: &str, location: Location, message: String, hint: Option<&'static str>) -> Rejection {
    Rejection::InvalidParameter {
        name: name.to_string(),
        location,
        message,
        hint,
    }
}

/// A parameter the operation requires.
pub fn required<T>(
    name: &str,
    location: Location,
    value: Option<T>,
    hint: Option<&'static str>,
) -> Result<T, Rejection> {
    value.ok_or_else(|| {
        invalid(
            name,
            location,
            format!("{} parameter `{name}` is required", location.as_str()),
            hint,
        )
    })
}

/// What the contract says a string parameter must look like.
pub struct StringRules {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// The pattern as written in the contract, and compiled.
    pub pattern: Option<(&'static str, &'static regress::Regex)>,
    pub hint: Option<&'static str>,
}

pub fn string(
    name: &str,
    location: Location,
    raw: Option<&str>,
    rules: &StringRules,
) -> Result<Option<String>, Rejection> {
    let Some(raw) = raw else { return Ok(None) };
    let len = raw.chars().count();
    if let Some(min) = rules.min_length.filter(|min| len < *min) {
        return Err(invalid(
            name,
            location,
            format!("`{name}` must be at least {min} characters"),
            rules.hint,
        ));
    }
    if let Some(max) = rules.max_length.filter(|max| len > *max) {
        return Err(invalid(
            name,
            location,
            format!("`{name}` must be at most {max} characters"),
            rules.hint,
        ));
    }
    if let Some((text, re)) = rules.pattern
        && re.find(raw).is_none()
    {
        return Err(invalid(
            name,
            location,
            format!("`{name}` must match the pattern {text}"),
            rules.hint,
        ));
    }
    Ok(Some(raw.to_string()))
}

pub fn uuid(
    name: &str,
    location: Location,
    raw: Option<&str>,
    hint: Option<&'static str>,
) -> Result<Option<uuid::Uuid>, Rejection> {
    raw.map(|raw| {
        uuid::Uuid::parse_str(raw).map_err(|_| {
            invalid(
                name,
                location,
                format!("`{name}` must be a UUID, got `{raw}`"),
                hint,
            )
        })
    })
    .transpose()
}

pub fn integer(
    name: &str,
    location: Location,
    raw: Option<&str>,
    min: Option<i64>,
    max: Option<i64>,
    hint: Option<&'static str>,
) -> Result<Option<i64>, Rejection> {
    let Some(raw) = raw else { return Ok(None) };
    let range = match (min, max) {
        (Some(a), Some(b)) => format!(" from {a} to {b}"),
        (Some(a), None) => format!(" of at least {a}"),
        (None, Some(b)) => format!(" of at most {b}"),
        (None, None) => String::new(),
    };
    let n: i64 = raw.parse().map_err(|_| {
        invalid(
            name,
            location,
            format!("`{name}` must be an integer{range}, got `{raw}`"),
            hint,
        )
    })?;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(invalid(
            name,
            location,
            format!("`{name}` must be an integer{range}, got {n}"),
            hint,
        ));
    }
    Ok(Some(n))
}

pub fn boolean(
    name: &str,
    location: Location,
    raw: Option<&str>,
    hint: Option<&'static str>,
) -> Result<Option<bool>, Rejection> {
    match raw {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(invalid(
            name,
            location,
            format!("`{name}` must be `true` or `false`, got `{other}`"),
            hint,
        )),
    }
}

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

async fn read(parts: &Parts, body: Body) -> Result<bytes::Bytes, Rejection> {
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(Rejection::PayloadTooLarge);
    }
    // A body that fails to read within the limit is, in practice, one that exceeded it.
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Rejection::PayloadTooLarge)
}

/// What the contract says about a request body beyond its Rust type.
pub struct BodyRules {
    /// `x-taos-error`: (field path, error slug) for failures at or below that field.
    pub hints: &'static [(&'static [&'static str], &'static str)],
    /// The properties that may be `null`.
    pub nullable: &'static [&'static [&'static str]],
    /// The paths that must hold a JSON object (`[]` = the body itself).
    pub objects: &'static [&'static [&'static str]],
    /// Bounds on numbers and item counts, by path (`[]` steps into array items).
    pub limits: &'static [(&'static [&'static str], Limits)],
}

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

/// A required JSON body.
pub async fn json_body<T: DeserializeOwned>(
    parts: &Parts,
    body: Body,
    rules: &BodyRules,
) -> Result<T, Rejection> {
    optional_json_body(parts, body, rules)
        .await?
        .ok_or(Rejection::MissingBody)
}

/// An optional JSON body: an empty body is `None`.
pub async fn optional_json_body<T: DeserializeOwned>(
    parts: &Parts,
    body: Body,
    rules: &BodyRules,
) -> Result<Option<T>, Rejection> {
    let bytes = read(parts, body).await?;
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_string());
    if bytes.is_empty() && content_type.as_deref().is_none_or(is_json) {
        return Ok(None);
    }
    if !content_type.as_deref().is_some_and(is_json) {
        return Err(Rejection::UnsupportedMediaType { content_type });
    }
    parse_json(&bytes, rules).map(Some)
}

/// Parses a JSON document, naming the field that does not match the schema. Syntax is checked
/// over the whole document first, so a typo anywhere is reported as such and not as whatever
/// schema error comes before it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], rules: &BodyRules) -> Result<T, Rejection> {
    let hints = rules.hints;
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| Rejection::MalformedJson {
        message: e.to_string(),
    })?;
    if let Some(segments) = find_non_object(&value, rules.objects, &mut Vec::new()) {
        return Err(Rejection::InvalidBody {
            path: display_path(&segments),
            message: "must be a JSON object".into(),
            hint: hint_for(hints, &segments),
        });
    }
    if let Some(segments) = find_null(&value, rules.nullable, &mut Vec::new()) {
        return Err(Rejection::InvalidBody {
            path: display_path(&segments),
            message: "must not be null; leave the field out to mean \"not given\"".into(),
            hint: hint_for(hints, &segments),
        });
    }
    // Text with NUL characters cannot be stored everywhere (PostgreSQL refuses it) and is never
    // meaningful here: refuse it up front, naming the field.
    if let Some(segments) = find_nul(&value, &mut Vec::new()) {
        return Err(Rejection::InvalidBody {
            path: display_path(&segments),
            message: "text must not contain the NUL character (U+0000)".into(),
            hint: hint_for(hints, &segments),
        });
    }
    if let Some((segments, message)) = find_limit_violation(&value, rules.limits) {
        return Err(Rejection::InvalidBody {
            path: display_path(&segments),
            message,
            hint: hint_for(hints, &segments),
        });
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let segments: Vec<String> = e
            .path()
            .iter()
            .map(|s| match s {
                serde_path_to_error::Segment::Seq { .. } => "[]".to_string(),
                serde_path_to_error::Segment::Map { key } => key.clone(),
                serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                serde_path_to_error::Segment::Unknown => "?".to_string(),
            })
            .collect();
        let path = e.path().to_string();
        Rejection::InvalidBody {
            path,
            message: strip_position(&e.into_inner().to_string()),
            hint: hint_for(hints, &segments),
        }
    })
}

fn same_path(a: &[&str], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The path of the first value that should be an object and is something else (`null` is left
/// to the nullable check).
fn find_non_object(
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
fn find_null(value: &serde_json::Value, nullable: &[&[&str]], path: &mut Vec<String>) -> Option<Vec<String>> {
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
fn find_limit_violation(
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
fn find_nul(value: &serde_json::Value, path: &mut Vec<String>) -> Option<Vec<String>> {
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

fn display_path(segments: &[String]) -> String {
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
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The hint of the longest declared path that the failing path starts with.
fn hint_for(hints: &[(&[&str], &'static str)], segments: &[String]) -> Option<&'static str> {
    hints
        .iter()
        .filter(|(path, _)| path.len() <= segments.len() && path.iter().zip(segments).all(|(a, b)| a == b))
        .max_by_key(|(path, _)| path.len())
        .map(|(_, slug)| *slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_pick_the_longest_prefix() {
        let hints: &[(&[&str], &str)] = &[(&[], "root"), (&["agent"], "agent"), (&["agent", "name"], "name")];
        let seg = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(hint_for(hints, &seg(&["agent", "name"])), Some("name"));
        assert_eq!(hint_for(hints, &seg(&["agent", "host"])), Some("agent"));
        assert_eq!(hint_for(hints, &seg(&["version"])), Some("root"));
        assert_eq!(hint_for(&[], &seg(&["x"])), None);
    }

    const NONE: BodyRules = BodyRules {
        hints: &[],
        nullable: &[],
        objects: &[],
        limits: &[],
    };

    #[test]
    fn nulls_only_where_the_contract_allows() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            a: Option<u8>,
            b: Option<u8>,
        }
        let rules = BodyRules {
            hints: &[],
            nullable: &[&["b"]],
            objects: &[&[]],
            limits: &[],
        };
        assert!(parse_json::<T>(b"{\"b\":null}", &rules).is_ok());
        match parse_json::<T>(b"{\"a\":null}", &rules) {
            Err(Rejection::InvalidBody { path, .. }) => assert_eq!(path, "a"),
            other => panic!("{other:?}"),
        }
        // serde would read a struct from an array; the contract says object.
        match parse_json::<T>(b"[null, null]", &rules) {
            Err(Rejection::InvalidBody { path, message, .. }) => {
                assert_eq!(path, ".");
                assert!(message.contains("object"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_are_classified() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: u8,
        }
        assert!(matches!(
            parse_json::<T>(b"{", &NONE),
            Err(Rejection::MalformedJson { .. })
        ));
        assert!(matches!(
            parse_json::<T>(b"{\"a\":1} x", &NONE),
            Err(Rejection::MalformedJson { .. })
        ));
        match parse_json::<T>(b"{\"a\":\"x\"}", &NONE) {
            Err(Rejection::InvalidBody { path, .. }) => assert_eq!(path, "a"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_json::<T>(b"{\"a\":1,\"b\":2}", &NONE),
            Err(Rejection::InvalidBody { .. })
        ));
    }

    #[test]
    fn bounds_beyond_the_rust_type() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            days: Option<u64>,
            scope: Option<Vec<String>>,
            nested: Option<Vec<Vec<u8>>>,
        }
        let rules = BodyRules {
            hints: &[(&["days"], "bad_days")],
            nullable: &[],
            objects: &[&[]],
            limits: &[
                (
                    &["days"],
                    Limits {
                        minimum: Some(1.0),
                        maximum: Some(3650.0),
                        min_items: None,
                        max_items: None,
                    },
                ),
                (
                    &["scope"],
                    Limits {
                        minimum: None,
                        maximum: None,
                        min_items: None,
                        max_items: Some(2),
                    },
                ),
                (
                    &["nested", "[]"],
                    Limits {
                        minimum: None,
                        maximum: None,
                        min_items: Some(1),
                        max_items: None,
                    },
                ),
            ],
        };
        assert!(parse_json::<T>(br#"{"days": 3650, "scope": ["a", "b"], "nested": [[1]]}"#, &rules).is_ok());
        match parse_json::<T>(br#"{"days": 3651}"#, &rules) {
            Err(Rejection::InvalidBody { path, message, hint }) => {
                assert_eq!((path.as_str(), hint), ("days", Some("bad_days")));
                assert_eq!(message, "must be from 1 to 3650, got 3651");
            }
            other => panic!("{other:?}"),
        }
        match parse_json::<T>(br#"{"scope": ["a", "b", "c"]}"#, &rules) {
            Err(Rejection::InvalidBody { path, message, .. }) => {
                assert_eq!(path, "scope");
                assert_eq!(message, "must have at most 2 items, got 3");
            }
            other => panic!("{other:?}"),
        }
        match parse_json::<T>(br#"{"nested": [[1], []]}"#, &rules) {
            Err(Rejection::InvalidBody { path, message, .. }) => {
                assert_eq!(path, "nested[]");
                assert_eq!(message, "must have at least 1 item, got 0");
            }
            other => panic!("{other:?}"),
        }
        // A value of the wrong type is the schema's to report.
        assert!(matches!(
            parse_json::<T>(br#"{"days": "many"}"#, &rules),
            Err(Rejection::InvalidBody { .. })
        ));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
    }
}
