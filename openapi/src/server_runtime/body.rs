//! JSON request bodies: read within the size limit, parsed, checked against the contract's rules,
//! deserialized into the generated type with the failing field named.

use axum::body::Body;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::checks::{
    Limits, display_path, find_limit_violation, find_non_object, find_nul, find_null, hint_for,
    strip_position,
};
use super::{MAX_BODY_BYTES, Rejection};

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
