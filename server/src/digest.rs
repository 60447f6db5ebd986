//! SHA-256 as lowercase hex: what the database stores instead of a token or session secret,
//! and the fingerprint of documents, requests and pages. Neutral ground: the store, the
//! domain and the web pages all use it, and it depends on none of them.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[(b >> 4) as usize]));
        out.push(char::from(HEX[(b & 0xf) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sha256_hex;

    #[test]
    fn stable_lowercase_hex() {
        let h = sha256_hex("taos_agent_abc");
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(h, sha256_hex("taos_agent_abc"));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
