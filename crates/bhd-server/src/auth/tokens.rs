//! Access tokens (JWT, HS256, short-lived), refresh tokens and API keys (opaque, random,
//! stored only as SHA-256 hashes).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bhd_domain::{OrgId, Role, UserId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// The user.
    pub sub: Uuid,
    /// The organization the token acts in.
    pub org: Uuid,
    /// The user's role there when the token was issued.
    pub role: Role,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// Always "access", so that no other JWT we might sign is accepted here.
    pub typ: String,
}

/// Signs and verifies access tokens with the server's secret key.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl TokenKeys {
    /// Keys derived from the secret; tokens live `ttl_secs`.
    pub fn new(secret: &str, ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock in `verify`, not the system clock.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| (*s).to_owned()).collect();
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(900),
        }
    }

    /// Lifetime of an access token in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Issues an access token.
    pub fn issue(
        &self,
        user: UserId,
        org: OrgId,
        role: Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: user.as_uuid(),
            org: org.as_uuid(),
            role,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
            typ: "access".into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, type and expiry; `None` for any failure (callers answer one 401).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AccessClaims> {
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).ok()?;
        let c = data.claims;
        (c.typ == "access" && c.exp > now.timestamp()).then_some(c)
    }
}

/// What a stream ticket says: the organization whose events it opens, for how long, and a
/// random id that is recorded when the ticket is spent (tickets are single-use).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StreamClaims {
    /// The caller the ticket was issued to (a user or an API key).
    pub sub: Uuid,
    /// The organization.
    pub org: Uuid,
    /// The ticket's id.
    pub jti: Uuid,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// Always "stream": an access token is never a ticket, nor the reverse.
    pub typ: String,
}

impl TokenKeys {
    /// Issues a stream ticket valid for `ttl_secs`.
    pub fn issue_ticket(
        &self,
        caller: Uuid,
        org: OrgId,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> anyhow::Result<(String, StreamClaims)> {
        let claims = StreamClaims {
            sub: caller,
            org: org.as_uuid(),
            jti: Uuid::new_v4(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_secs,
            typ: "stream".into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Verifies a stream ticket's signature, type and expiry (not whether it was spent).
    pub fn verify_ticket(&self, token: &str, now: DateTime<Utc>) -> Option<StreamClaims> {
        let data =
            jsonwebtoken::decode::<StreamClaims>(token, &self.decoding, &self.validation).ok()?;
        let c = data.claims;
        (c.typ == "stream" && c.exp > now.timestamp()).then_some(c)
    }
}

/// A new random opaque secret with the given prefix, and its hash for storage.
pub fn new_opaque(prefix: &str) -> (String, String) {
    let secret = format!(
        "{prefix}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let hash = hash_opaque(&secret);
    (secret, hash)
}

/// The stored form of an opaque secret.
pub fn hash_opaque(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Prefix of API keys (API.md: keys start with `bhd_`).
pub const API_KEY_PREFIX: &str = "bhd_";
/// Prefix of refresh tokens (distinct, so one is never mistaken for the other).
pub const REFRESH_PREFIX: &str = "bhdr_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_expire_and_resist_tampering() {
        let keys = TokenKeys::new(&"k".repeat(40), 900);
        let now = Utc::now();
        let (u, o) = (UserId::generate(), OrgId::generate());
        let t = keys.issue(u, o, Role::Admin, now).unwrap();
        let c = keys.verify(&t, now).unwrap();
        assert_eq!(
            (c.sub, c.org, c.role),
            (u.as_uuid(), o.as_uuid(), Role::Admin)
        );
        assert!(
            keys.verify(&t, now + chrono::Duration::seconds(901))
                .is_none()
        );
        let other = TokenKeys::new(&"j".repeat(40), 900);
        assert!(other.verify(&t, now).is_none());
        let mut tampered = t.clone();
        tampered.pop();
        assert!(keys.verify(&tampered, now).is_none());
    }

    #[test]
    fn tickets_are_not_access_tokens_and_expire() {
        let keys = TokenKeys::new(&"k".repeat(40), 900);
        let now = Utc::now();
        let (u, o) = (UserId::generate(), OrgId::generate());
        let (ticket, claims) = keys.issue_ticket(u.as_uuid(), o, now, 30).unwrap();
        assert_eq!(keys.verify_ticket(&ticket, now), Some(claims));
        assert!(
            keys.verify(&ticket, now).is_none(),
            "a ticket is no access token"
        );
        let access = keys.issue(u, o, Role::Owner, now).unwrap();
        assert!(
            keys.verify_ticket(&access, now).is_none(),
            "an access token is no ticket"
        );
        assert!(
            keys.verify_ticket(&ticket, now + chrono::Duration::seconds(31))
                .is_none()
        );
    }

    #[test]
    fn opaque_secrets() {
        let (k, h) = new_opaque(API_KEY_PREFIX);
        assert!(k.starts_with("bhd_") && k.len() > 40);
        assert_eq!(hash_opaque(&k), h);
        assert_ne!(new_opaque(API_KEY_PREFIX).0, k);
    }
}
