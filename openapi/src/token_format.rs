//! The format of taOS bearer tokens, shared by the server (which issues them) and clients
//! (which check a pasted token before using it).
//!
//! A token is `prefix + 37 random base62 + 6 base62 CRC32 of everything before it`
//! (GitHub's and npm's format). The prefix tells a reader (and secret scanners) what leaked;
//! the checksum catches typos and truncation without asking the server.

pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const RANDOM_LEN: usize = 37;
pub const CHECKSUM_LEN: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Agent,
    User,
}

impl TokenKind {
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Agent => "taos_agent_",
            TokenKind::User => "taos_user_",
        }
    }

    /// Total length of a token of this kind.
    pub const fn token_len(self) -> usize {
        self.prefix().len() + RANDOM_LEN + CHECKSUM_LEN
    }

    /// The name stored in the database and shown in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenKind::Agent => "agent",
            TokenKind::User => "user",
        }
    }

    pub fn from_db(s: &str) -> Option<TokenKind> {
        match s {
            "agent" => Some(TokenKind::Agent),
            "user" => Some(TokenKind::User),
            _ => None,
        }
    }
}

/// The base62 CRC32 of `body`, six characters.
pub fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    // 62^6 > 2^32, so six digits always hold a CRC32.
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// The kind of a well-formed token, or None for anything that cannot be one of ours.
pub fn parse(s: &str) -> Option<TokenKind> {
    let kind = [TokenKind::Agent, TokenKind::User]
        .into_iter()
        .find(|k| s.starts_with(k.prefix()))?;
    if s.len() != kind.token_len() {
        return None;
    }
    if !s[kind.prefix().len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let (body, sum) = s.split_at(s.len() - CHECKSUM_LEN);
    (checksum(body) == sum).then_some(kind)
}
