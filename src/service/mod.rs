//! THE service layer: every rule, access check and transaction; the only code that touches the
//! database. GraphQL and REST are thin faces over it.

mod access;
mod access_list;
pub mod archive;
mod attempts;
mod budget;
mod changes;
pub mod chunks;
pub mod content;
mod convert;
pub mod downloads;
mod feed;
pub mod files;
mod following;
mod items;
mod keyset;
mod live;
mod locks;
mod naming;
mod postgres_plans;
mod public_links;
mod revisions;
mod rows;
pub mod search;
mod sizes;
mod sqlite_memory;
mod sqlite_plans;
mod subtree;
mod tabs;
#[cfg(test)]
mod test_postgres;
mod users;
mod versions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::Limits;
use crate::domain::CompanyId;
use crate::error::AppResult;
use crate::storage::BlobStore;
use migration::MigratorTrait;

/// The service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Service {
    db: DatabaseConnection,
    /// The keyed reads' connections (`postgres_plans`).
    keyed: DatabaseConnection,
    blobs: BlobStore,
    /// The largest upload accepted, in bytes.
    max_upload_bytes: u64,
    /// The most entries one zip may hold.
    zip_max_entries: usize,
    /// Turns for building zips (`QUIRE_ZIP_CONCURRENCY` at once).
    zips: Arc<tokio::sync::Semaphore>,
    zip_concurrency: usize,
    /// Places for password attempts waiting for their bucket's turn.
    attempt_waiters: Arc<tokio::sync::Semaphore>,
    /// The most folders above any item.
    max_folder_depth: usize,
    /// How long an upload no version uses is kept, in seconds.
    unused_upload_ttl_secs: u64,
    /// The most bytes one company may store (distinct content), when set.
    company_quota_bytes: Option<u64>,
    /// How long the change feed keeps a change, in days.
    changes_retention_days: u64,
    /// What one search may cost, and how many run at once.
    searching: search::Searching,
    /// SQLite has one writer: write transactions queue here instead of failing with SQLITE_BUSY.
    write_lock: Option<Arc<Mutex<()>>>,
    /// The tails that hand committed changes to subscriptions.
    live: live::Live,
    /// How content is read for search, and who reads it.
    extraction: search::Extraction,
}

/// How many password attempts wait for their bucket's turn at once; more are told to retry.
const ATTEMPT_WAITERS: usize = 64;

/// How often a write transaction runs at most when the database keeps giving up on it.
const WRITE_ATTEMPTS: u32 = 8;

/// A write transaction, holding the writer lock where the database needs one.
pub(crate) struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    /// The company whose items this transaction changes (`revisions` marks them), stamped
    /// with its next revision at commit.
    changes: std::sync::OnceLock<CompanyId>,
    /// What it did, logged at commit under that revision.
    log: std::sync::Mutex<Vec<revisions::Logged>>,
    /// Who is woken when it commits a change.
    live: live::Live,
    /// Who reads new content for search.
    extraction: search::Extraction,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Notes that this transaction changes items of `company` (one company per transaction).
    fn changes_company(&self, company: CompanyId) {
        let noted = *self.changes.get_or_init(|| company);
        debug_assert_eq!(noted, company, "a write transaction changes one company");
    }

    /// Stamps what the transaction changed with its company's next revision, and commits.
    pub async fn commit(self) -> AppResult<()> {
        if let Some(company) = self.changes.get() {
            let logged = std::mem::take(
                &mut *self
                    .log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            // The index changes with the items, in the same transaction.
            let words_changed: Vec<uuid::Uuid> = logged
                .iter()
                .filter_map(revisions::Logged::changes_words)
                .collect();
            search::reindex(&self.txn, &words_changed).await?;
            let new_content = logged.iter().any(revisions::Logged::adds_content);
            revisions::stamp(&self.txn, *company, logged).await?;
            self.txn.commit().await?;
            if new_content {
                self.extraction.wake();
            }
            self.live.wake(company.0);
            self.live.notify_replicas(company.0).await;
            return Ok(());
        }
        self.txn.commit().await?;
        Ok(())
    }
}

/// Rows grouped by the company each belongs to (access is evaluated per company).
fn by_company<T>(
    rows: impl IntoIterator<Item = T>,
    company_of: impl Fn(&T) -> uuid::Uuid,
) -> HashMap<CompanyId, Vec<T>> {
    let mut grouped: HashMap<CompanyId, Vec<T>> = HashMap::new();
    for row in rows {
        grouped
            .entry(CompanyId(company_of(&row)))
            .or_default()
            .push(row);
    }
    grouped
}

/// Connection options for a URL: SQLite with WAL and a busy timeout, or PostgreSQL.
pub fn connect_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    // A connection is not pinged before each use (a round trip, and for SQLite a hand-off to
    // its thread, on every read); one that broke fails its statement and leaves the pool.
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false);
    if url.starts_with("sqlite:") {
        sqlite_memory::use_mimalloc();
        // Each SQLite connection is a thread of sqlx's: more than the cores only adds hand-offs
        // (8 → 4 made folder reads ~25% faster under 16 connections; BENCHMARKS.md).
        options
            .max_connections(4)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            })
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlite_plans::keep_plans(conn).await?;
                        budget::give_clock(conn).await
                    })
                })
            });
    } else {
        // Opened at start and kept: a steady load opens no PostgreSQL backend (each costs a
        // fork and a few milliseconds); they are recycled only after an hour.
        // No JIT: its compilation of a statement the planner thinks costly (a search's access
        // condition) took 650 ms where running it took 20 (BENCHMARKS.md, search).
        options
            .max_connections(16)
            .min_connections(16)
            .idle_timeout(Duration::from_secs(3600))
            .max_lifetime(Duration::from_secs(3600))
            .map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]));
    }
    options
}

/// Opens the database and applies the migrations.
pub async fn open(options: ConnectOptions) -> anyhow::Result<DatabaseConnection> {
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Replicas started together take turns (one advisory lock per schema): one migrates,
        // the others find it done. The lock is its session's, held on a connection of its
        // own while the pool migrates.
        let mut turn = db.get_postgres_connection_pool().acquire().await?;
        sea_orm::sqlx::query(
            "SELECT pg_advisory_lock(hashtextextended('quire migrations in ' || current_schema(), 0))",
        )
            .execute(&mut *turn)
            .await?;
        let migrated = migration::Migrator::up(&db, None).await;
        sea_orm::sqlx::query(
            "SELECT pg_advisory_unlock(hashtextextended('quire migrations in ' || current_schema(), 0))",
        )
            .execute(&mut *turn)
            .await?;
        migrated?;
    } else {
        migration::Migrator::up(&db, None).await?;
    }
    Ok(db)
}

/// Opens the database at `url` with the default options and applies the migrations.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    open(connect_options(url)).await
}

impl Service {
    /// The service over a database and a blob store, enforcing the upload limit and the
    /// company quota of `limits`.
    pub fn new(db: DatabaseConnection, blobs: BlobStore, limits: &Limits) -> Self {
        let write_lock = (db.get_database_backend() == DatabaseBackend::Sqlite)
            .then(|| Arc::new(Mutex::new(())));
        Self {
            live: live::Live::new(db.clone(), limits.subscription_buffer),
            extraction: search::Extraction::new(limits),
            keyed: postgres_plans::keyed_reads(&db),
            db,
            blobs,
            max_upload_bytes: limits.max_upload_bytes,
            zip_max_entries: limits.zip_max_entries,
            zips: Arc::new(tokio::sync::Semaphore::new(limits.zip_concurrency.max(1))),
            zip_concurrency: limits.zip_concurrency.max(1),
            attempt_waiters: Arc::new(tokio::sync::Semaphore::new(ATTEMPT_WAITERS)),
            max_folder_depth: limits.max_folder_depth,
            unused_upload_ttl_secs: limits.unused_upload_ttl_secs,
            company_quota_bytes: limits.company_quota_bytes,
            changes_retention_days: limits.changes_retention_days,
            searching: search::Searching::new(limits),
            write_lock,
        }
    }

    /// Calls `callback` after each statement any of the service's connections runs (tests and
    /// benchmarks count them so); set before the service serves.
    pub fn set_metric_callback(
        &mut self,
        callback: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    ) {
        let callback = Arc::new(callback);
        for db in [&mut self.db, &mut self.keyed] {
            let callback = callback.clone();
            db.set_metric_callback(move |info| callback(info));
        }
        self.live = live::Live::new(self.db.clone(), self.live.buffer());
    }

    /// Whether the database and the blob store answer, for readiness checks.
    pub async fn ping(&self) -> AppResult<()> {
        self.db.ping().await?;
        self.blobs.ping().await
    }

    /// Refreshes what SQLite's query planner knows of the tables (`PRAGMA optimize`, which
    /// analyses only tables that changed enough). Without it a grown SQLite company is read
    /// through the wrong index: a 300,000-item company took 120 ms per item look-up instead
    /// of well under 1 ms. PostgreSQL's autovacuum does this itself.
    pub async fn refresh_planner_statistics(&self) -> AppResult<()> {
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA optimize=0x10002")
                .await?;
        }
        Ok(())
    }

    /// Database connections open, and idle among them (on PostgreSQL, the keyed reads' too).
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Postgres => [&self.db, &self.keyed]
                .map(|db| db.get_postgres_connection_pool())
                .iter()
                .fold((0, 0), |(open, idle), pool| {
                    (open + pool.size(), idle + pool.num_idle())
                }),
            _ => (0, 0),
        }
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The connection for reads keyed by an index's leading columns, and only by them
    /// (`postgres_plans`).
    pub(crate) fn keyed(&self) -> &DatabaseConnection {
        &self.keyed
    }

    /// Runs a write transaction until it does not lose to a concurrent one: when the database
    /// gives up on it (a deadlock, a serialization failure), it runs again, a little later,
    /// up to `WRITE_ATTEMPTS` times; the client never sees the lost attempts.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut write: F) -> AppResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = AppResult<T>>,
    {
        let mut attempt = 1;
        loop {
            match write().await {
                Err(err) if err.is_transient() && attempt < WRITE_ATTEMPTS => {
                    tracing::debug!(attempt, error = ?err, "a write lost to a concurrent one; again");
                    let pause = rand::random_range(1..=10u64 << attempt.min(5));
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub(crate) async fn write(&self) -> AppResult<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        // On SQLite, take the write lock at BEGIN: the busy timeout then applies, where a
        // deferred transaction upgrading to write would fail at once when another process
        // (a replica, a tool) writes.
        let options = sea_orm::TransactionOptions {
            sqlite_transaction_mode: guard
                .is_some()
                .then_some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.db.begin_with_options(options).await?;
        Ok(WriteTxn {
            txn,
            _guard: guard,
            changes: std::sync::OnceLock::new(),
            log: std::sync::Mutex::new(Vec::new()),
            live: self.live.clone(),
            extraction: self.extraction.clone(),
        })
    }
}
