//! Requests that do not match the contract, as catalog errors. The contract's `x-taos-error`
//! hint, when present, names a more specific slug than the generic one.

use taos_api::server::Rejection;

use crate::errors::{self, Error, Kind};

fn hinted(hint: Option<&str>, fallback: &'static Kind) -> &'static Kind {
    hint.and_then(|slug| errors::ALL.iter().copied().find(|k| k.slug == slug))
        .unwrap_or(fallback)
}

pub fn to_error(r: Rejection) -> Error {
    match r {
        Rejection::UnsupportedMediaType { content_type } => Error::new(
            &errors::UNSUPPORTED_MEDIA_TYPE,
            match content_type {
                Some(ct) => format!("The body was sent as `{ct}`; this operation takes `application/json`."),
                None => "The body has no Content-Type; this operation takes `application/json`.".into(),
            },
        ),
        Rejection::PayloadTooLarge => Error::new(
            &errors::PAYLOAD_TOO_LARGE,
            "The request body is larger than 1 MiB.",
        ),
        Rejection::BodyUnreadable => {
            Error::new(&errors::MALFORMED_JSON, "The request body could not be read.")
        }
        Rejection::MissingBody => Error::new(&errors::VALIDATION_ERROR, "This operation needs a JSON body."),
        Rejection::MalformedJson { message } => Error::new(
            &errors::MALFORMED_JSON,
            format!("The body is not valid JSON: {message}."),
        ),
        Rejection::InvalidBody { path, message, hint } => {
            let detail = if path == "." || path.is_empty() {
                format!("The body does not match the schema: {message}.")
            } else {
                format!("Field `{path}`: {message}.")
            };
            Error::new(hinted(hint, &errors::VALIDATION_ERROR), detail).with("field", path)
        }
        Rejection::InvalidParameter {
            name,
            location,
            message,
            hint,
        } => {
            let kind = hinted(hint, &errors::INVALID_PARAMETER);
            let mut e = Error::new(kind, format!("{}.", capitalize(&message)));
            if e.is(&errors::INVALID_PARAMETER) {
                e = e.with("parameter", name).with("location", location.as_str());
            }
            e
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
