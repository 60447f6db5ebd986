//! The token format as DESIGN §3 states it: `prefix + 37 random base62 + 6 base62 CRC32 of
//! everything before it` — so the suites can tell a well-formed unknown token from a mistyped
//! one, and find a token's row by its SHA-256.

use sha2::{Digest, Sha256};

pub const AGENT_PREFIX: &str = "taos_agent_";
pub const USER_PREFIX: &str = "taos_user_";
const RANDOM_LEN: usize = 37;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Six base62 digits (most significant first) of the CRC32 of `body`.
pub fn checksum(body: &str) -> String {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// Whether `token` is well formed: a known prefix, 37 base62 characters, a matching checksum.
pub fn is_well_formed(token: &str) -> bool {
    let Some(rest) = token
        .strip_prefix(AGENT_PREFIX)
        .or_else(|| token.strip_prefix(USER_PREFIX))
    else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, sum) = token.split_at(token.len() - CHECKSUM_LEN);
    checksum(body) == sum
}

/// A well-formed token (valid checksum) that no server ever issued.
pub fn forge(prefix: &str) -> String {
    let random = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let body = format!("{prefix}{}", &random[..RANDOM_LEN]);
    let sum = checksum(&body);
    format!("{body}{sum}")
}

/// `token` with its last character changed, so its checksum no longer matches.
pub fn with_bad_checksum(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let last = chars.last_mut().expect("non-empty token");
    *last = if *last == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

/// Lowercase hex SHA-256: how the database names a token.
pub fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
