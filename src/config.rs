//! The one typed configuration, from flags and `QUIRE_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

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
    /// Tracing filter.
    #[arg(long, env = "QUIRE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// `text` or `json` (JSON lines).
    #[arg(long, env = "QUIRE_LOG_FORMAT", default_value = "text", global = true, value_parser = ["text", "json"])]
    pub log_format: String,
    /// Proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names the
    /// client, for rate limits; none by default.
    #[arg(long, env = "QUIRE_TRUSTED_PROXIES", default_value = "", global = true)]
    pub trusted_proxies: String,
    /// A manifest of trusted documents (`{"<sha256>": "<document>"}`): only they run.
    #[arg(long, env = "QUIRE_TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<PathBuf>,
    /// What one request may cost.
    #[command(flatten)]
    pub limits: Limits,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(
        long,
        env = "QUIRE_SHUTDOWN_GRACE_SECS",
        default_value_t = 30,
        global = true
    )]
    pub shutdown_grace_secs: u64,
}

/// What one request may cost, and how long what it leaves unused is kept; each a flag and an
/// environment variable, defaults in `DEFAULT`.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Larger uploads get 413 and nothing is stored.
    #[arg(long, env = "QUIRE_MAX_UPLOAD_BYTES", default_value_t = Limits::DEFAULT.max_upload_bytes, global = true)]
    pub max_upload_bytes: u64,
    /// Largest JSON body (REST and GraphQL; multipart `operations` too).
    #[arg(long, env = "QUIRE_MAX_JSON_BYTES", default_value_t = Limits::DEFAULT.max_json_bytes, global = true)]
    pub max_json_bytes: u64,
    /// Largest multipart text field (`item`, `version`, `map`).
    #[arg(long, env = "QUIRE_MAX_FORM_FIELD_BYTES", default_value_t = Limits::DEFAULT.max_form_field_bytes, global = true)]
    pub max_form_field_bytes: u64,
    /// Most parts in one multipart body.
    #[arg(long, env = "QUIRE_MAX_FORM_PARTS", default_value_t = Limits::DEFAULT.max_form_parts, global = true)]
    pub max_form_parts: usize,
    /// Deepest GraphQL query accepted.
    #[arg(long, env = "QUIRE_GRAPHQL_MAX_DEPTH", default_value_t = Limits::DEFAULT.graphql_max_depth, global = true)]
    pub graphql_max_depth: usize,
    /// Most complex GraphQL query accepted (each field costs 1, lists cost their page size).
    #[arg(long, env = "QUIRE_GRAPHQL_MAX_COMPLEXITY", default_value_t = Limits::DEFAULT.graphql_max_complexity, global = true)]
    pub graphql_max_complexity: usize,
    /// Most fields a GraphQL document may select once its fragments are expanded.
    #[arg(long, env = "QUIRE_GRAPHQL_MAX_SELECTIONS", default_value_t = Limits::DEFAULT.graphql_max_selections, global = true)]
    pub graphql_max_selections: usize,
    /// Deepest nesting of brackets in a GraphQL document, and of values in its variables.
    #[arg(long, env = "QUIRE_GRAPHQL_MAX_NESTING", default_value_t = Limits::DEFAULT.graphql_max_nesting, global = true)]
    pub graphql_max_nesting: usize,
    /// Longest a GraphQL execution may run, in milliseconds.
    #[arg(long, env = "QUIRE_GRAPHQL_TIMEOUT_MS", default_value_t = Limits::DEFAULT.graphql_timeout_ms, global = true)]
    pub graphql_timeout_ms: u64,
    /// The most bytes of content one company may store; none when unset.
    #[arg(long, env = "QUIRE_COMPANY_QUOTA_BYTES", global = true)]
    pub company_quota_bytes: Option<u64>,
    /// Seconds an upload no version uses is kept before the sweeper removes it.
    #[arg(long, env = "QUIRE_UNUSED_UPLOAD_TTL_SECS", default_value_t = Limits::DEFAULT.unused_upload_ttl_secs, global = true)]
    pub unused_upload_ttl_secs: u64,
    /// Most automatic persisted queries kept in memory.
    #[arg(long, env = "QUIRE_PERSISTED_QUERIES", default_value_t = Limits::DEFAULT.persisted_queries, global = true)]
    pub persisted_queries: usize,
    /// Most folders above any item (a deeper create or move is 400).
    #[arg(long, env = "QUIRE_MAX_FOLDER_DEPTH", default_value_t = Limits::DEFAULT.max_folder_depth, global = true)]
    pub max_folder_depth: usize,
    /// Most zips built at once; more wait their turn.
    #[arg(long, env = "QUIRE_ZIP_CONCURRENCY", default_value_t = Limits::DEFAULT.zip_concurrency, global = true)]
    pub zip_concurrency: usize,
    /// Most entries one zip may hold.
    #[arg(long, env = "QUIRE_ZIP_MAX_ENTRIES", default_value_t = Limits::DEFAULT.zip_max_entries, global = true)]
    pub zip_max_entries: usize,
    /// Days the change feed keeps a change; an older cursor answers `CURSOR_EXPIRED`.
    #[arg(long, env = "QUIRE_CHANGES_RETENTION_DAYS", default_value_t = Limits::DEFAULT.changes_retention_days, global = true)]
    pub changes_retention_days: u64,
    /// Batches of changes a subscription may fall behind before it is ended (it resumes from
    /// its last cursor).
    #[arg(long, env = "QUIRE_SUBSCRIPTION_BUFFER", default_value_t = Limits::DEFAULT.subscription_buffer, global = true)]
    pub subscription_buffer: usize,
    /// Most WebSocket connections open at once (initialised or not); one more upgrade is 429.
    #[arg(long, env = "QUIRE_MAX_SOCKETS", default_value_t = Limits::DEFAULT.max_sockets, global = true)]
    pub max_sockets: usize,
    /// Most subscriptions one WebSocket connection may hold at once.
    #[arg(long, env = "QUIRE_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = Limits::DEFAULT.max_subscriptions_per_connection, global = true)]
    pub max_subscriptions_per_connection: usize,
    /// Largest content read for search: larger files are searched by name only.
    #[arg(long, env = "QUIRE_SEARCH_MAX_CONTENT_BYTES", default_value_t = Limits::DEFAULT.search_max_content_bytes, global = true)]
    pub search_max_content_bytes: u64,
    /// Most bytes of text kept from one file's content for search.
    #[arg(long, env = "QUIRE_SEARCH_MAX_TEXT_BYTES", default_value_t = Limits::DEFAULT.search_max_text_bytes, global = true)]
    pub search_max_text_bytes: usize,
    /// Longest the text of one file may take to extract, in milliseconds (then it is `failed`).
    #[arg(long, env = "QUIRE_SEARCH_EXTRACT_TIMEOUT_MS", default_value_t = Limits::DEFAULT.search_extract_timeout_ms, global = true)]
    pub search_extract_timeout_ms: u64,
    /// Longest a search's statements may run, in milliseconds (then it is 413).
    #[arg(long, env = "QUIRE_SEARCH_TIMEOUT_MS", default_value_t = Limits::DEFAULT.search_timeout_ms, value_parser = clap::value_parser!(u64).range(1..=i32::MAX as u64), global = true)]
    pub search_timeout_ms: u64,
    /// Most searches run at once; more wait their turn (as long as one may run, then 429).
    #[arg(long, env = "QUIRE_SEARCH_CONCURRENCY", default_value_t = Limits::DEFAULT.search_concurrency, global = true)]
    pub search_concurrency: usize,
    /// Workers extracting text from content, each one file at a time.
    #[arg(long, env = "QUIRE_SEARCH_WORKERS", default_value_t = Limits::DEFAULT.search_workers, global = true)]
    pub search_workers: usize,
}

impl Limits {
    /// The defaults of every limit.
    pub const DEFAULT: Self = Self {
        max_upload_bytes: 5 << 30,
        max_json_bytes: 2 << 20,
        max_form_field_bytes: 64 << 10,
        max_form_parts: 16,
        graphql_max_depth: 24,
        graphql_max_complexity: 100_000,
        graphql_max_selections: 5_000,
        graphql_max_nesting: 64,
        graphql_timeout_ms: 30_000,
        company_quota_bytes: None,
        unused_upload_ttl_secs: 24 * 3600,
        persisted_queries: 1_000,
        max_folder_depth: 32,
        zip_max_entries: 10_000,
        zip_concurrency: 8,
        changes_retention_days: 30,
        subscription_buffer: 256,
        max_subscriptions_per_connection: 32,
        search_max_content_bytes: 20 << 20,
        search_max_text_bytes: 1 << 20,
        search_extract_timeout_ms: 30_000,
        search_timeout_ms: 5_000,
        search_concurrency: 2,
        search_workers: 1,
        max_sockets: 10_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
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

    /// Checks what can be checked before anything is touched: a configured secret's length,
    /// the database and storage URLs' schemes.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(
                secret.0.len() >= 16,
                "QUIRE_JWT_SECRET must be at least 16 bytes"
            );
        }
        let database = self.database_url();
        anyhow::ensure!(
            database.starts_with("sqlite:") || database.starts_with("postgres"),
            "QUIRE_DATABASE_URL must be sqlite://… or postgres://…, got {database:?}"
        );
        crate::auth::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|err| anyhow::anyhow!("QUIRE_TRUSTED_PROXIES: {err}"))?;
        let storage = self.storage_url();
        anyhow::ensure!(
            storage.starts_with("file://") || storage.starts_with("s3://"),
            "QUIRE_STORAGE_URL must be file://… or s3://…, got {storage:?}"
        );
        Ok(())
    }

    /// The signing secret: configured, or read from (and generated once into) `<data>/jwt-secret`.
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        self.validate()?;
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.0.clone().into_bytes());
        }
        load_or_generate_secret(&self.data_dir.join("jwt-secret"))
    }

    /// Makes sure the data directory exists (the embedded defaults live there), created for
    /// the server's user alone (0700), and that an SQLite database file is too (0600; SQLite
    /// gives its `-wal` and `-shm` files the database's mode).
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        let url = self.database_url();
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = Path::new(path.split('?').next().unwrap_or(path));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(err) => {
                    return Err(err).with_context(|| format!("creating {}", path.display()));
                }
            }
        }
        Ok(())
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
