//! Command-line values as the contract's types, for the generated request builders
//! (`types::builder::AgentCreate::default().name(…)`): a field renamed or retyped in the contract
//! breaks the build, and a value the contract refuses is a usage error (exit 2) before any
//! request is sent.
//!
//! The SDK's types check the contract's rules as they are built, so such a value cannot be sent
//! for the server to judge. Their messages are the schema's (`doesn't match pattern
//! "^[^\u0000]*$"`); [`refused`] words them as the server's 422 does — the error slug the
//! contract names for the field, the field (as its flag), what is wrong in words — with the fix
//! from taosctl's table.

use std::fmt::Display;
use std::str::FromStr;

use taos_client::types;

use crate::failure::{Failure, Result};
use crate::fixes;

/// An optional flag's text as the contract's type for that field.
pub fn opt<T>(flag: &str, value: &Option<String>) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .as_deref()
        .map(|v| v.parse().map_err(|e: T::Err| refused(flag, &e.to_string())))
        .transpose()
}

/// Repeated `--scope` patterns; none given is no `scope` at all (the server's default).
pub fn scope(patterns: &[String]) -> Result<Option<types::Scope>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let items = patterns
        .iter()
        .map(|p| {
            p.parse::<types::ScopeItem>().map_err(|e| {
                let f = refused("--scope", &e.to_string());
                Failure {
                    message: format!("{} (in {p:?})", f.message),
                    ..f
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(types::Scope::from(items)))
}

/// Days until expiry (clap has checked the range already).
pub fn days(days: Option<u64>) -> Option<types::ExpiresInDays> {
    days.and_then(std::num::NonZeroU64::new).map(Into::into)
}

/// A filled-in builder as the request body it builds, or the usage error naming the field the
/// contract refuses.
pub fn body<T, B>(builder: B) -> Result<T>
where
    B: TryInto<T>,
    B::Error: Display,
{
    builder.try_into().map_err(|e| {
        let e = e.to_string();
        // The builders say `error converting supplied value for FIELD: WHY`.
        match e
            .strip_prefix("error converting supplied value for ")
            .and_then(|rest| rest.split_once(": "))
        {
            Some((field, why)) => refused(&format!("--{}", field.replace('_', "-")), why),
            None => Failure::usage(format!("invalid request: {e}")),
        }
    })
}

/// A value the contract refuses for `flag` (`--title`, or `NAME` for an argument), with the
/// schema's message `why`, worded as the server's answer would be: `invalid_agent_name: NAME
/// needs at least one letter or digit.` and the fix for that slug (exit 2).
pub fn refused(flag: &str, why: &str) -> Failure {
    let slug = match flag {
        "--name" | "NAME" => "invalid_agent_name",
        "--priority" => "invalid_priority",
        "WORDS" | "--q" => "invalid_search_query",
        _ => "validation_error",
    };
    let failure = Failure::usage(format!("{slug}: {flag} {}.", in_words(why)));
    Failure {
        slug: Some(slug.to_string()),
        ..match fixes::cli_fix(slug, false) {
            Some(fix) => failure.with_fix(fix),
            None => failure,
        }
    }
}

/// A schema check's message (`shorter than 1 characters`, `doesn't match pattern "…"`) in words.
fn in_words(why: &str) -> String {
    if let Some(n) = why
        .strip_prefix("shorter than ")
        .and_then(|r| r.strip_suffix(" characters"))
    {
        return if n == "1" {
            "must not be empty".into()
        } else {
            format!("must be at least {n} characters long")
        };
    }
    if let Some(n) = why
        .strip_prefix("longer than ")
        .and_then(|r| r.strip_suffix(" characters"))
    {
        return format!("must be at most {n} characters long");
    }
    if let Some(pattern) = why.strip_prefix("doesn't match pattern ") {
        let pattern = pattern.trim_matches('"');
        return match pattern {
            r"^[^\u0000]*$" => "must not contain a NUL character".into(),
            r"^[^\u0000]*\S[^\u0000]*$" | r"^[^\u0000]*[^\s\u0000][^\u0000]*$" => {
                "must have a character that is not a space".into()
            }
            p => format!("is not in the form it takes (the contract's pattern {p})"),
        };
    }
    format!("is refused: {why}")
}
