//! The server URL is checked before anything is sent: `http://` or `https://`, a host, and
//! no path (taosctl adds `/api/…` itself, so `…/api` would be doubled), no query and no
//! user name or password. A URL that breaks a rule is a usage error (exit 2) that says how to
//! write it, instead of a "cannot reach taosd" later.

use crate::failure::{Failure, Result};

/// Checks `url` (trailing `/` already trimmed), which came from `from` (`--url`, `TAOS_URL`
/// or the saved server).
pub fn check(url: &str, from: &str) -> Result<()> {
    let refuse = |why: String, fix: String| {
        Err(Failure::usage(format!("invalid server URL {url:?} (from {from}): {why}")).with_fix(fix))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return refuse(
            "it has no scheme".into(),
            format!("add http:// (or https://): --url http://{url}"),
        );
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return refuse(
            format!("taosctl speaks http and https, not {scheme:?}"),
            format!("use --url http://{rest}"),
        );
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.is_empty() {
        return refuse(
            "it has no host".into(),
            "give the server's address, e.g. --url http://127.0.0.1:6969".into(),
        );
    }
    if authority.contains('@') {
        return refuse(
            "it holds a user name or password".into(),
            "leave them out: taosctl signs in with a token (`taosctl auth login`)".into(),
        );
    }
    if !tail.is_empty() {
        return refuse(
            format!("it has a path ({tail:?}); taosctl adds /api/… itself"),
            format!("give the server's address alone: --url {scheme}://{authority}"),
        );
    }
    Ok(())
}
