//! Path, query and header parameters, checked against the contract.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use super::{Location, Rejection};

/// The raw path and query parameters of a request.
#[derive(Debug, Default)]
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

    /// Parameters given as name/value pairs (an MCP tool call's arguments); unlike
    /// [`RawParams::extract`] nothing is refused here, the caller knows the names.
    pub fn from_pairs(path: Vec<(String, String)>, query: Vec<(String, String)>) -> Self {
        RawParams { path, query }
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

/// A header's value, which must be visible ASCII (space to `~`). `HeaderValue::to_str` also
/// lets a TAB through, which no parameter of the contract means to take.
pub fn header<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a str>, Rejection> {
    let Some(value) = parts.headers.get(name) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(text) if text.bytes().all(|b| (b' '..=b'~').contains(&b)) => Ok(Some(text)),
        _ => Err(Rejection::InvalidParameter {
            name: name.to_string(),
            location: Location::Header,
            message: format!("header `{name}` must be visible ASCII (no TAB or other control character)"),
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
    /// The contract's `enum`: the only values taken.
    pub one_of: Option<&'static [&'static str]>,
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
    if let Some(values) = rules.one_of
        && !values.contains(&raw)
    {
        return Err(invalid(
            name,
            location,
            format!("`{name}` must be one of {}", values.join(", ")),
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

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, Request};

    use super::header;

    fn parts(value: &'static [u8]) -> axum::http::request::Parts {
        let mut req = Request::new(());
        let value = HeaderValue::from_bytes(value).expect("a header value http accepts");
        req.headers_mut().insert("idempotency-key", value);
        req.into_parts().0
    }

    #[test]
    fn header_values_are_visible_ascii() {
        let ok = parts(b"0b6f3c2e-8d4a a~!");
        assert_eq!(
            header(&ok, "Idempotency-Key").ok().flatten(),
            Some("0b6f3c2e-8d4a a~!")
        );
        assert!(header(&ok, "X-Other").is_ok_and(|v| v.is_none()));
        for bad in [&b"a\tb"[..], b"caf\xc3\xa9", b"\tlead"] {
            assert!(header(&parts(bad), "Idempotency-Key").is_err(), "{bad:?}");
        }
    }
}
