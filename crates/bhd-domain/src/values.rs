//! Validated values taken from users: parsed once at the edge, trusted everywhere after.

use serde::Serialize;
use std::fmt;

/// Why a value was refused; the message is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ValueError> {
    Err(ValueError(msg.into()))
}

/// An email address, trimmed and lower-cased so that lookups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces, at most
    /// 254 characters (RFC 5321's path limit). Deliverability is not our concern here.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return err("is required");
        }
        if s.len() > 254 {
            return err("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("must be a valid email address");
        };
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c == '@' || c.is_control());
        if !domain_ok || !local_ok {
            return err("must be a valid email address");
        }
        Ok(Self(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed, checked for length. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Shortest password we accept (NIST SP 800-63B asks for at least 8; we ask 10).
    pub const MIN_CHARS: usize = 10;
    /// Longest: Argon2 hashes anything, but a cap keeps a huge body from costing CPU.
    pub const MAX_CHARS: usize = 256;

    /// Checks the length in characters, not bytes.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if n > Self::MAX_CHARS {
            return err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a display name.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        parse_label(raw, 100).map(Self)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shared rule for human labels (names of people, organizations, keys).
pub(crate) fn parse_label(raw: &str, max: usize) -> Result<String, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return err("is required");
    }
    if s.chars().count() > max {
        return err(format!("must be at most {max} characters"));
    }
    if s.chars().any(char::is_control) {
        return err("must not contain control characters");
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@@example.com",
            "ann@.com",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_and_names() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough!").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("long enough!").unwrap()),
            "Password(***)"
        );
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert!(PersonName::parse("   ").is_err());
        assert_eq!(PersonName::parse(" Ann ").unwrap().as_str(), "Ann");
        assert!(PersonName::parse("a\u{0}b").is_err());
    }

    proptest! {
        #[test]
        fn email_parse_never_panics_and_is_normalised(s in ".{0,300}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(e.as_str(), e.as_str().trim().to_lowercase());
                prop_assert!(e.as_str().len() <= 254);
            }
        }
    }
}
