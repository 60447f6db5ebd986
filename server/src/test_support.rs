//! What the unit tests of several modules share.

use axum::http::{HeaderMap, HeaderValue};

/// A header map of `pairs`, in order (a name given twice has two values).
pub fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_static(v));
    }
    h
}
