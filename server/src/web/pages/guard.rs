//! What keeps another site from acting through a signed-in browser: the CSRF token every form
//! carries, the `Origin` / `Sec-Fetch-Site` check on every POST, and the cookies involved.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::auth::{self, SESSION_COOKIE};
use crate::digest::sha256_hex;

/// The sign-in form's own CSRF cookie (there is no session yet to bind a token to).
const LOGIN_CSRF_COOKIE: &str = "taos_login_csrf";

/// The first-run setup form's, likewise.
const SETUP_CSRF_COOKIE: &str = "taos_setup_csrf";

/// The form token for a cookie secret. A page shows it; only someone who can read the page
/// (the same origin) learns it, and SHA-256 does not give the secret back.
pub fn csrf_token(secret: &str) -> String {
    sha256_hex(&format!("taos-pages-csrf-v1\n{secret}"))
}

/// Whether `presented` is the form token for `secret`, compared in constant time.
pub fn csrf_ok(secret: &str, presented: &str) -> bool {
    csrf_token(secret).as_bytes().ct_eq(presented.as_bytes()).into()
}

/// The origin check every POST passes, shared with the JSON API's cookie requests.
pub use crate::auth::same_origin;

pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    auth::cookie(headers, SESSION_COOKIE)
}

/// The sign-in form's CSRF secret, from its own cookie.
pub fn login_csrf_secret(headers: &HeaderMap) -> Option<String> {
    auth::cookie(headers, LOGIN_CSRF_COOKIE)
}

/// `Set-Cookie` for the sign-in form's CSRF secret: only sent back to `/login`, never by
/// another site.
pub fn login_csrf_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_CSRF_COOKIE}={value}; Max-Age={max_age}; Path=/login; HttpOnly; SameSite=Strict{secure}")
}

/// The setup form's CSRF secret, from its own cookie.
pub fn setup_csrf_secret(headers: &HeaderMap) -> Option<String> {
    auth::cookie(headers, SETUP_CSRF_COOKIE)
}

/// `Set-Cookie` for the setup form's CSRF secret: only sent back to `/setup`.
pub fn setup_csrf_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SETUP_CSRF_COOKIE}={value}; Max-Age={max_age}; Path=/setup; HttpOnly; SameSite=Strict{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::headers;

    #[test]
    fn csrf_token_binds_to_the_secret() {
        let t = csrf_token("abc");
        assert!(csrf_ok("abc", &t));
        assert!(!csrf_ok("abd", &t));
        assert!(!csrf_ok("abc", ""));
        assert!(!csrf_ok("abc", &t[..63]));
        assert_ne!(t, sha256_hex("abc"), "the token is not the stored session hash");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[
            ("cookie", "a=1; taos_session=s3cret"),
            ("cookie", "x_taos_session=no"),
        ]);
        assert_eq!(session_secret(&h).as_deref(), Some("s3cret"));
        assert_eq!(auth::cookie(&h, "b"), None);
        assert_eq!(session_secret(&headers(&[("cookie", "taos_session=")])), None);
    }
}
