//! Configuration: built-in defaults < `bhd.toml` < `BHD_*` environment < command-line flags
//! (the binary merges the flags last). Secrets are wrapped so that they never print.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret string: `Debug` and `Display` never show it.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything `bhd serve` can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Where the generated secret key (and the default SQLite file) live.
    pub data_dir: PathBuf,
    /// Token-signing key. Generated and kept in `data_dir` when absent; every node of a
    /// multi-node deployment must be given the same one.
    pub secret_key: Option<Secret>,
    /// Key for credentials at rest (integrations; later issues).
    pub encryption_key: Option<Secret>,
    /// The URL people reach the server at (links, cookies' `Secure` flag).
    pub public_url: Option<String>,
    /// Optional Redis for shared limits and pub/sub across nodes.
    pub redis_url: Option<Secret>,
    /// SMTP for email notifications.
    pub smtp_url: Option<Secret>,
    /// Sender address for email notifications.
    pub smtp_from: Option<String>,
    /// Requests per minute per user or API key (and per address before sign-in); 0 disables.
    pub rate_limit: u32,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: u64,
    /// Refresh-token lifetime in days (each rotation starts it again).
    pub refresh_token_ttl_days: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Log format: `json` (default) or `pretty`.
    pub log_format: String,
    /// Seconds between heartbeats on an idle real-time stream (SSE comment, WebSocket ping).
    pub stream_heartbeat_secs: u64,
    /// Events a stream client may fall behind before it is told to resync.
    pub stream_buffer: usize,
    /// Lifetime of a stream ticket in seconds.
    pub stream_ticket_ttl_secs: u64,
    /// Whether this node runs background jobs (score recalculations, alert evaluations and
    /// deliveries, schedules). A node with `false` only serves requests; at least one node
    /// must run jobs.
    pub run_jobs: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://./bhd-data/bhd.db".into(),
            data_dir: PathBuf::from("./bhd-data"),
            secret_key: None,
            encryption_key: None,
            public_url: None,
            redis_url: None,
            smtp_url: None,
            smtp_from: None,
            rate_limit: 100,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            max_body_bytes: 4 * 1024 * 1024,
            log_format: "json".into(),
            stream_heartbeat_secs: 15,
            stream_buffer: 256,
            stream_ticket_ttl_secs: 30,
            run_jobs: true,
        }
    }
}

impl Config {
    /// Loads defaults, then the TOML file (`bhd.toml` unless another is named; a named file
    /// must exist), then `BHD_*` variables, then `overrides` (the command-line flags).
    pub fn load<T: Serialize>(file: Option<&Path>, overrides: T) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "configuration file {} does not exist",
                    path.display()
                );
                fig = fig.merge(Toml::file_exact(path));
            }
            None => fig = fig.merge(Toml::file("bhd.toml")),
        }
        fig.merge(Env::prefixed("BHD_"))
            .merge(Serialized::globals(overrides))
            .extract()
            .context("invalid configuration")
    }

    /// The signing key: configured, or read from (or generated into) `data_dir/secret.key`.
    pub fn resolve_secret_key(&self) -> anyhow::Result<Secret> {
        if let Some(k) = &self.secret_key {
            anyhow::ensure!(
                k.expose().len() >= 32,
                "BHD_SECRET_KEY must be at least 32 characters"
            );
            return Ok(k.clone());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let key = existing.trim().to_owned();
            anyhow::ensure!(
                key.len() >= 32,
                "{} is too short; delete it to generate a new key",
                path.display()
            );
            return Ok(Secret(key));
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        let key = hex::encode(rand::random::<[u8; 32]>());
        write_private(&path, &key).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        Ok(Secret(key))
    }

    /// Whether cookies must carry `Secure` (the server is reached over HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
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
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = Config {
            secret_key: Some(Secret::new("x".repeat(40))),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("xxxx"));
    }

    #[test]
    fn secret_key_is_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("bhd-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let a = c.resolve_secret_key().unwrap();
        let b = c.resolve_secret_key().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.expose().len(), 64);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
