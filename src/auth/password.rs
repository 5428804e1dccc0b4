//! Password hashing with Argon2id. Hashing is CPU-heavy, so callers run it off the executor.

use anyhow::Context;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks a password against a stored hash. A malformed hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Verifies against a fixed hash: used when the email is unknown, so both paths cost the same
/// and response time does not reveal which accounts exist.
pub fn verify_dummy(password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let h = DUMMY.get_or_init(|| hash("custodian-dummy-password").unwrap_or_default());
    verify(password, h);
    false
}

/// The hash of a long random password nobody knows: for accounts made by single sign-on or
/// provisioning, which sign in through their identity provider (or a reset), never with it.
pub fn unusable_hash() -> anyhow::Result<String> {
    use rand::distributions::{Alphanumeric, DistString};
    hash(&Alphanumeric.sample_string(&mut rand::thread_rng(), 48))
}

/// Hashes on the blocking pool.
pub async fn hash_async(password: String) -> Result<String, crate::error::AppError> {
    actix_web::web::block(move || hash(&password))
        .await
        .context("password hashing task")?
        .map_err(crate::error::AppError::Internal)
}
