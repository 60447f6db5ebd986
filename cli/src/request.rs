//! Command-line values as the contract's types, for the generated request builders
//! (`types::builder::AgentCreate::default().name(…)`): a field renamed or retyped in the contract
//! breaks the build, and a value the contract refuses is a usage error (exit 2) before any
//! request is sent.

use std::fmt::Display;
use std::str::FromStr;

use taos_client::types;

use crate::failure::{Failure, Result};

/// An optional flag's text as the contract's type for that field.
pub fn opt<T>(flag: &str, value: &Option<String>) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .as_deref()
        .map(|v| {
            v.parse()
                .map_err(|e| Failure::usage(format!("invalid value for {flag}: {e}")))
        })
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
            p.parse::<types::ScopeItem>()
                .map_err(|e| Failure::usage(format!("invalid value for --scope: '{p}': {e}")))
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
    builder
        .try_into()
        .map_err(|e| Failure::usage(format!("invalid value: {e}")))
}
