//! Password hashing: argon2id with the argon2 crate's default parameters, PHC strings.
//!
//! Deliberately slow (tens of milliseconds) and big (19 MiB of working memory per hash), so
//! checks that anyone can start (sign-in, `POST /auth/token`) go through [`check`]: a few at a
//! time, on the blocking pool, with a bounded queue (see [`bounded`]).

mod bounded;

pub use bounded::check;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// A valid hash made with the default parameters, of a password nobody knows. Verifying
/// against it costs what a real verification costs.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$UeKLI+nTcomXGAykgueWcA$TyvWaAk834+DNJhh2zymqyorzS9y57HOajJK0ECJ5sw";

/// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
pub fn hash(password: &str) -> String {
    bounded::keep_big_blocks_mapped();
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    // Neither can fail: 16 bytes is a valid salt, and argon2's only other limit is a password
    // of 4 GiB, far beyond any request body we accept.
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts this password")
        .to_string()
}

/// Whether `password` matches `phc`; false for a wrong password and for a malformed hash.
pub fn verify(password: &str, phc: &str) -> bool {
    bounded::keep_big_blocks_mapped();
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of a real verification, so an unknown username answers as slowly as a
/// wrong password and response times do not reveal which usernames exist.
pub fn verify_dummy(password: &str) {
    let _ = std::hint::black_box(verify(password, DUMMY_HASH));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsE", &h));
        assert_ne!(h, hash("correct horse"), "salts must differ");
    }

    #[test]
    fn malformed_hash_is_false_not_panic() {
        assert!(!verify("x", ""));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("x", "$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verify("x", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA"));
    }

    #[test]
    fn dummy_hash_is_valid_and_default_cost() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let fresh = hash("x");
        let fresh = PasswordHash::new(&fresh).unwrap();
        assert_eq!(parsed.algorithm, fresh.algorithm);
        assert_eq!(parsed.params, fresh.params);
        assert_eq!(parsed.version, fresh.version);
        verify_dummy("anything");
    }
}
