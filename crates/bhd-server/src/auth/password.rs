//! Argon2id password hashing, off the async runtime (a hash costs tens of milliseconds).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use bhd_domain::Password;
use std::sync::LazyLock;

/// A hash of a random password, verified against when the email is unknown so that unknown
/// and known emails take the same time to refuse.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking(&hex::encode(rand::random::<[u8; 16]>())).unwrap_or_default());

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    // Argon2::default() is Argon2id, v19, m = 19 MiB, t = 2, p = 1 (OWASP's recommendation).
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Hashes a password.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(password.expose())).await?
}

/// Checks a password against a stored hash (or against a dummy when `stored` is None, to
/// spend the same time); true only for a real match.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed =
            PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && ok)
    })
    .await?
}

/// Computes the dummy hash ahead of the first failed sign-in.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}
