//! Passwords (argon2id), one-time tokens and CSRF tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::model::Password;
use crate::error::AppError;

/// A fresh random token: 32 bytes, URL-safe base64. Used for mail links and CSRF.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What we store for a one-time token: its SHA-256, so a database leak yields no usable link.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let pw = password.expose().to_string();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| internal("salt", e))?;
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| internal("hash", e))
    })
    .await
    .map_err(|e| internal("join", e))?
}

/// Verifies against a stored hash. With no stored hash it still does the work, so response time
/// does not tell whether an account exists.
pub async fn verify_password(candidate: &str, stored: Option<String>) -> Result<bool, AppError> {
    let candidate = candidate.to_string();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let parsed = PasswordHash::new(&stored).map_err(|e| internal("stored hash", e))?;
        let ok = Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && stored != DUMMY_HASH)
    })
    .await
    .map_err(|e| internal("join", e))?
}

/// A well-formed argon2id hash that matches no password, for the constant-time path above.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Vh3kl0xD5l3y0G1r9w8m0Zr1L0fPjv8tJH8Qm1Kx9s";

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(what, error = %e, "password hashing failed");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let pw = Password::parse("correct horse battery").unwrap();
        let hash = hash_password(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify_password("wrong horse battery", Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_missing_account_never_verifies() {
        assert!(!verify_password("anything at all", None).await.unwrap());
    }

    #[test]
    fn tokens_are_unique_and_hashes_are_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash("x"), token_hash("x"));
        assert_eq!(token_hash("x").len(), 64);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
