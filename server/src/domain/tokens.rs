//! Opaque, prefixed, checksummed bearer tokens.
//!
//! A token is `prefix + 37 random base62 + 6 base62 CRC32 of everything before it`. The prefix
//! tells a reader (and secret scanners) what leaked; the checksum lets us reject typos and
//! garbage without touching the database. Only the SHA-256 of a token is ever stored
//! ([`crate::digest::sha256_hex`]).

use rand::Rng;
use rand::distr::Alphanumeric;
use taos_api::token_format::RANDOM_LEN;
pub use taos_api::token_format::{TokenKind, checksum, parse};

pub use crate::store::Token;

const SESSION_SECRET_LEN: usize = 43;

/// `n` characters from [0-9A-Za-z], uniformly, from the thread-local CSPRNG (ChaCha seeded
/// and periodically reseeded from the OS).
fn random_base62(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub fn generate(kind: TokenKind) -> String {
    let mut token = String::with_capacity(kind.token_len());
    token.push_str(kind.prefix());
    token.push_str(&random_base62(RANDOM_LEN));
    let sum = checksum(&token);
    token.push_str(&sum);
    token
}

/// The secret of a session cookie (~256 bits).
pub fn generate_session_secret() -> String {
    random_base62(SESSION_SECRET_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let a = generate(TokenKind::Agent);
        let u = generate(TokenKind::User);
        assert_eq!(a.len(), 54);
        assert_eq!(u.len(), 53);
        assert!(a.starts_with("taos_agent_"));
        assert!(u.starts_with("taos_user_"));
        assert_eq!(generate_session_secret().len(), 43);
        assert!(
            generate_session_secret()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
    }

    #[test]
    fn parse_round_trip() {
        for _ in 0..200 {
            assert_eq!(parse(&generate(TokenKind::Agent)), Some(TokenKind::Agent));
            assert_eq!(parse(&generate(TokenKind::User)), Some(TokenKind::User));
        }
        assert_ne!(generate(TokenKind::Agent), generate(TokenKind::Agent));
    }

    #[test]
    fn flipped_char_fails_checksum() {
        let t = generate(TokenKind::Agent);
        let mut bytes = t.clone().into_bytes();
        let i = 20;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert_eq!(parse(&flipped), None);
        // And a flipped checksum digit.
        let mut bytes = t.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(parse(&String::from_utf8(bytes).unwrap()), None);
    }

    #[test]
    fn wrong_prefix_length_or_alphabet_fails() {
        let t = generate(TokenKind::Agent);
        assert_eq!(parse(&t.replacen("taos_agent_", "taos_agenx_", 1)), None);
        assert_eq!(parse(&t.replacen("taos_agent_", "taos_user_", 1)), None);
        assert_eq!(parse(&t[..t.len() - 1]), None);
        assert_eq!(parse(&format!("{t}0")), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("taos_agent_"), None);
        // A non-base62 char with a "valid" checksum over it is still rejected.
        let body = format!("taos_agent_{}", "-".repeat(37));
        assert_eq!(parse(&format!("{body}{}", checksum(&body))), None);
        // Multi-byte input of the right byte length must not panic.
        let odd = format!("taos_agent_{}", "é".repeat(21));
        assert_eq!(odd.len(), 53);
        assert_eq!(parse(&format!("{odd}a")), None);
    }

    #[test]
    fn checksum_is_padded_base62() {
        // CRC32 of "" is 0.
        assert_eq!(checksum(""), "000000");
        assert_eq!(checksum("taos_agent_x").len(), 6);
    }
}
