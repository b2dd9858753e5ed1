//! Credentials at rest: notification channels' secrets (Slack webhook URLs, webhook signing
//! secrets) are stored encrypted with AES-256-GCM, so that a copy of the database alone does not
//! hand them out.
//!
//! The key is the SHA-256 of `BHD_ENCRYPTION_KEY`, or, when that is not configured, of a key
//! generated once into `data_dir/encryption.key` (the same pattern as the signing key). Losing
//! that key makes every stored secret unreadable, and every node of a multi-node deployment must
//! be given the same one.
//!
//! Each blob is bound to its row by the associated data ([`row_aad`]: organization id and channel
//! id), so a blob copied into another organization's row fails to decrypt instead of leaking.
//! Nothing here may log, print or return a secret other than to the caller that asked to decrypt
//! it; show people [`hint`] instead.

use crate::config::Config;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

/// Blob format version, so that a later key rotation or algorithm change can tell blobs apart.
const VERSION: u8 = 1;
/// AES-GCM's standard 96-bit nonce.
const NONCE_LEN: usize = 12;
/// GCM authentication tag length.
const TAG_LEN: usize = 16;
/// Shortest configured key accepted, as for the signing key: anything shorter is guessable.
const MIN_KEY_CHARS: usize = 32;
/// Name of the generated key file inside `data_dir`.
const KEY_FILE: &str = "encryption.key";

/// Encrypts and decrypts secrets at rest; its `Debug` never shows the key.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    /// The cipher for this server: from `encryption_key`, or the key kept in `data_dir`
    /// (generated on first use).
    pub fn from_config(cfg: &Config) -> anyhow::Result<Self> {
        if let Some(k) = &cfg.encryption_key {
            anyhow::ensure!(
                k.expose().chars().count() >= MIN_KEY_CHARS,
                "BHD_ENCRYPTION_KEY must be at least {MIN_KEY_CHARS} characters"
            );
            return Ok(Self::from_key_material(k.expose()));
        }
        let material = resolve_key_file(&cfg.data_dir)?;
        Ok(Self::from_key_material(&material))
    }

    /// A cipher whose key is the SHA-256 of `material` (hashing turns any long passphrase into
    /// exactly the 256 bits AES-256 needs).
    pub fn from_key_material(material: &str) -> Self {
        let key = Sha256::digest(material.as_bytes());
        Self {
            aead: Aes256Gcm::new(&key),
        }
    }

    /// Encrypts `plaintext` bound to `aad`: `[version 1][12-byte random nonce][ciphertext+tag]`.
    ///
    /// Fails only for inputs beyond AES-GCM's limit (about 64 GiB), never for real secrets;
    /// it returns a `Result` rather than panicking on that.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> anyhow::Result<Vec<u8>> {
        // A random nonce is safe for the few secrets a server stores: collisions become likely
        // only after about 2^32 encryptions under one key.
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .aead
            .encrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("encrypting a secret failed"))?;
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        blob.push(VERSION);
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Decrypts a blob made by [`Cipher::encrypt`] with the same key and `aad`; any tampering,
    /// another key or another row's `aad` is an error.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> anyhow::Result<Vec<u8>> {
        let (&version, rest) = blob.split_first().context("encrypted secret is empty")?;
        anyhow::ensure!(
            version == VERSION,
            "encrypted secret has unknown format version {version}"
        );
        anyhow::ensure!(
            rest.len() >= NONCE_LEN + TAG_LEN,
            "encrypted secret is truncated"
        );
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().context("encrypted secret is truncated")?;
        self.aead
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
            .map_err(|_| {
                // Deliberately vague: the caller cannot tell a wrong key from a moved or
                // altered blob, and neither should an attacker.
                anyhow::anyhow!(
                    "cannot decrypt a stored secret (wrong encryption key, or the data was altered)"
                )
            })
    }
}

/// The associated data that binds a channel's secret to its row.
pub fn row_aad(organization_id: uuid::Uuid, channel_id: uuid::Uuid) -> [u8; 32] {
    let mut aad = [0u8; 32];
    aad[..16].copy_from_slice(organization_id.as_bytes());
    aad[16..].copy_from_slice(channel_id.as_bytes());
    aad
}

/// A display form of a secret that lets people recognise it without revealing it: for a URL,
/// its scheme and host and the last 4 characters (`https://hooks.slack.com/…Xy9Z`); otherwise
/// `…` and the last 4 characters; just `…` when the hidden part would be shorter than 12
/// characters, since then 4 characters are too large a share of it.
pub fn hint(secret: &str) -> String {
    if let Ok(url) = reqwest::Url::parse(secret)
        && let Some(host) = url.host_str()
        && matches!(url.scheme(), "http" | "https")
    {
        let origin = match url.port() {
            Some(p) => format!("{}://{host}:{p}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        // Everything after the origin (credentials, path, query) is what must stay hidden.
        let hidden = secret
            .find(&origin)
            .map(|i| &secret[i + origin.len()..])
            .unwrap_or(secret);
        return format!("{origin}/{}", tail_hint(hidden));
    }
    tail_hint(secret)
}

/// `…` and the last 4 characters, or just `…` for short values.
fn tail_hint(s: &str) -> String {
    let n = s.chars().count();
    if n < 12 {
        return "…".into();
    }
    let last: String = s.chars().skip(n - 4).collect();
    format!("…{last}")
}

/// Reads the key kept in `data_dir`, or generates it there (mode 0600) the first time.
fn resolve_key_file(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(KEY_FILE);
    if let Some(key) = read_key_file(&path)? {
        return Ok(key);
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    match write_private(&path, &key) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new encryption key; back it up: stored secrets cannot be read without it");
            Ok(key)
        }
        // Another process (or node sharing the directory) generated it first: use theirs, or
        // the secrets each of us encrypts would be unreadable to the other.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(&path)?
            .with_context(|| format!("{} vanished while being created", path.display())),
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// The key in `path`, None when the file does not exist.
fn read_key_file(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(existing) => {
            let key = existing.trim().to_owned();
            anyhow::ensure!(
                key.chars().count() >= MIN_KEY_CHARS,
                "{} is too short; it must hold at least {MIN_KEY_CHARS} characters (deleting it makes every stored secret unreadable)",
                path.display()
            );
            Ok(Some(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use uuid::Uuid;

    fn cipher() -> Cipher {
        Cipher::from_key_material("a test key that is long enough to be accepted")
    }

    #[test]
    fn round_trip() {
        let c = cipher();
        let aad = row_aad(Uuid::new_v4(), Uuid::new_v4());
        let blob = c
            .encrypt(b"https://hooks.slack.com/services/T0/B0/secret", &aad)
            .unwrap();
        assert_eq!(blob[0], 1);
        assert_eq!(blob.len(), 1 + 12 + 45 + 16);
        assert_eq!(
            c.decrypt(&blob, &aad).unwrap(),
            b"https://hooks.slack.com/services/T0/B0/secret"
        );
    }

    #[test]
    fn another_rows_aad_fails() {
        let c = cipher();
        let org = Uuid::new_v4();
        let blob = c.encrypt(b"s3cret", &row_aad(org, Uuid::new_v4())).unwrap();
        assert!(c.decrypt(&blob, &row_aad(org, Uuid::new_v4())).is_err());
        assert!(c.decrypt(&blob, b"").is_err());
    }

    #[test]
    fn any_tampered_byte_fails() {
        let c = cipher();
        let blob = c.encrypt(b"s3cret", b"aad").unwrap();
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert!(c.decrypt(&t, b"aad").is_err(), "byte {i} altered unnoticed");
        }
        assert!(c.decrypt(&blob[..blob.len() - 1], b"aad").is_err());
        assert!(c.decrypt(&[], b"aad").is_err());
        assert!(c.decrypt(&[1, 2, 3], b"aad").is_err());
    }

    #[test]
    fn another_key_fails() {
        let blob = cipher().encrypt(b"s3cret", b"aad").unwrap();
        let other = Cipher::from_key_material("another key, also long enough to be accepted");
        assert!(other.decrypt(&blob, b"aad").is_err());
    }

    #[test]
    fn two_encryptions_differ() {
        let c = cipher();
        let a = c.encrypt(b"same", b"aad").unwrap();
        let b = c.encrypt(b"same", b"aad").unwrap();
        assert_ne!(a, b);
        assert_ne!(a[1..13], b[1..13], "nonces must differ");
    }

    #[test]
    fn configured_key_must_be_long_enough() {
        let short = Config {
            encryption_key: Some(Secret::new("too short")),
            ..Config::default()
        };
        assert!(Cipher::from_config(&short).is_err());
        let long = Config {
            encryption_key: Some(Secret::new("k".repeat(32))),
            ..Config::default()
        };
        let blob = Cipher::from_config(&long)
            .unwrap()
            .encrypt(b"x", b"a")
            .unwrap();
        let again = Cipher::from_config(&long).unwrap();
        assert_eq!(again.decrypt(&blob, b"a").unwrap(), b"x");
        assert_eq!(format!("{again:?}"), "Cipher(***)");
    }

    #[test]
    fn key_file_is_generated_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config {
            data_dir: dir.path().join("nested"),
            ..Config::default()
        };
        let blob = Cipher::from_config(&cfg)
            .unwrap()
            .encrypt(b"x", b"a")
            .unwrap();
        let path = cfg.data_dir.join("encryption.key");
        let stored = std::fs::read_to_string(&path).unwrap();
        assert_eq!(stored.len(), 64);
        assert!(stored.chars().all(|c| c.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second start reads the same key back.
        let again = Cipher::from_config(&cfg).unwrap();
        assert_eq!(again.decrypt(&blob, b"a").unwrap(), b"x");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), stored);
    }

    #[test]
    fn a_short_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("encryption.key"), "short\n").unwrap();
        let cfg = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        assert!(Cipher::from_config(&cfg).is_err());
    }

    #[test]
    fn hints() {
        assert_eq!(
            hint("https://hooks.slack.com/services/T000/B000/abcdefXy9Z"),
            "https://hooks.slack.com/…Xy9Z"
        );
        assert_eq!(
            hint("http://127.0.0.1:9000/hooks/abcdefghijkl"),
            "http://127.0.0.1:9000/…ijkl"
        );
        // A short path would be mostly revealed by 4 characters: show none.
        assert_eq!(hint("https://example.com/abc"), "https://example.com/…");
        assert_eq!(hint("0123456789abcdefWXYZ"), "…WXYZ");
        assert_eq!(hint("short"), "…");
        assert_eq!(hint(""), "…");
        assert_eq!(hint("ünïcödé-sécrèt-välüé"), "…älüé");
    }

    #[test]
    fn hint_never_contains_the_middle_of_the_secret() {
        let secrets = [
            "https://hooks.slack.com/services/T0AAAA1/B0BBBB2/MIDDLEpartSECRETxyz",
            "https://user:MIDDLEpassword@hooks.example.com/path/MIDDLEtokenABCD",
            "whsec_MIDDLEabcdefghijklmnopqrstuvwxyz0123",
            "MIDDLEpartOfASecretToken",
        ];
        for s in secrets {
            let h = hint(s);
            assert!(!h.contains("MIDDLE"), "{h} reveals part of {s}");
            assert!(!h.contains("password"), "{h} reveals credentials");
            assert!(h.chars().count() < s.chars().count());
        }
    }
}
