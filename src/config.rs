//! The one typed configuration, from flags and `QUIRE_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::state::Limits;

/// A secret read from the environment; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Every setting, each a flag and an environment variable (see the README's table).
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Listen address.
    #[arg(
        long,
        env = "QUIRE_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Where the embedded defaults live (database, blobs, generated secret).
    #[arg(long, env = "QUIRE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data>/quire.db?mode=rwc`.
    #[arg(long, env = "QUIRE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// `file://…` or `s3://bucket/prefix`; default `file://<data>/blobs`.
    #[arg(long, env = "QUIRE_STORAGE_URL", global = true)]
    pub storage_url: Option<String>,
    /// HS256 key for access tokens and the tokens Quire issues; default: generated once into
    /// `<data>/jwt-secret`.
    #[arg(long, env = "QUIRE_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<Secret>,
    /// Larger uploads get 413 and nothing is stored.
    #[arg(long, env = "QUIRE_MAX_UPLOAD_BYTES", default_value_t = Limits::default().max_upload_bytes, global = true)]
    pub max_upload_bytes: u64,
    /// Tracing filter.
    #[arg(long, env = "QUIRE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// `text` or `json` (JSON lines).
    #[arg(long, env = "QUIRE_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// Deepest GraphQL query accepted.
    #[arg(
        long,
        env = "QUIRE_GRAPHQL_MAX_DEPTH",
        default_value_t = Limits::default().graphql_max_depth,
        global = true
    )]
    pub graphql_max_depth: usize,
    /// Most complex GraphQL query accepted (each field costs 1, lists cost their page size).
    #[arg(
        long,
        env = "QUIRE_GRAPHQL_MAX_COMPLEXITY",
        default_value_t = Limits::default().graphql_max_complexity,
        global = true
    )]
    pub graphql_max_complexity: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(
        long,
        env = "QUIRE_SHUTDOWN_GRACE_SECS",
        default_value_t = 30,
        global = true
    )]
    pub shutdown_grace_secs: u64,
}

impl Config {
    /// The database URL, defaulting to SQLite under the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("quire.db").display()
            )
        })
    }

    /// The blob store URL, defaulting to `file://<data>/blobs`.
    pub fn storage_url(&self) -> String {
        self.storage_url.clone().unwrap_or_else(|| {
            let dir = self.data_dir.join("blobs");
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            format!("file://{}", dir.display())
        })
    }

    /// The signing secret: configured, or read from (and generated once into) `<data>/jwt-secret`.
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(
                secret.0.len() >= 16,
                "QUIRE_JWT_SECRET must be at least 16 bytes"
            );
            return Ok(secret.0.clone().into_bytes());
        }
        load_or_generate_secret(&self.data_dir.join("jwt-secret"))
    }

    /// Makes sure the data directory exists (the embedded defaults live there).
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))
    }
}

fn load_or_generate_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let trimmed = existing.trim();
        anyhow::ensure!(trimmed.len() >= 16, "{} is too short", path.display());
        return Ok(trimmed.as_bytes().to_vec());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, secret.as_bytes())?;
    Ok(secret.into_bytes())
}
