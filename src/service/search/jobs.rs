//! The extraction queue, durable in the database: every version starts `pending`; a worker
//! claims one (a lease: a claim older than `LEASE_MS` is taken again, after a crash), reads
//! its content within the size bound, extracts its text on a blocking thread within the time
//! bound, and writes the text to the item's document if the version is still the latest. A
//! version that cannot be read is `failed`, one that keeps stopping workers too: nothing is
//! retried forever.

use std::time::Duration;

use entity::{item, version};
use futures::TryStreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};

use super::extract::{self, Extracted};
use super::{DONE, FAILED, PENDING, RUNNING, SKIPPED, index, words};
use crate::domain::{CompanyId, now_millis};
use crate::error::AppResult;
use crate::service::Service;

/// How long a claim holds: a version claimed longer ago is claimed again.
const LEASE_MS: i64 = 10 * 60 * 1000;

/// How often a version's extraction may start before it is `failed`.
const MAX_ATTEMPTS: i32 = 3;

/// How many keywords a version keeps (the reference keeps 250).
const KEYWORDS: usize = 250;

/// How long an idle worker waits before looking again, if nothing woke it.
const IDLE: Duration = Duration::from_secs(5);

/// Items indexed at a time when indexing what was stored before search.
const BACKFILL: u64 = 1000;

/// Claims the next version to extract: one statement, safe between replicas (PostgreSQL
/// skips rows another worker holds; SQLite has one writer).
fn claim(backend: DatabaseBackend, now: i64) -> Statement {
    let stale = now - LEASE_MS;
    let lock = match backend {
        DatabaseBackend::Sqlite => "",
        _ => "FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE versions SET search_status = '{RUNNING}', \
         search_attempts = search_attempts + 1, search_claimed_at = $1 \
         WHERE id = (SELECT id FROM versions \
           WHERE search_status IN ('{PENDING}', '{RUNNING}') \
           AND (search_status = '{PENDING}' OR search_claimed_at < $2) \
           ORDER BY search_claimed_at LIMIT 1 {lock}) \
         RETURNING *"
    );
    Statement::from_sql_and_values(backend, sql, [now.into(), stale.into()])
}

impl Service {
    /// Starts the extraction workers (`QUIRE_SEARCH_WORKERS`); they first index the items
    /// stored before search existed. `quire serve` starts them; tests call
    /// `extract_pending` instead, to know when extraction is done.
    pub fn start_search_workers(&self) {
        for worker in 0..self.extraction.workers {
            let service = self.clone();
            tokio::spawn(async move {
                if worker == 0 {
                    match service.index_unindexed().await {
                        Ok(0) => {}
                        Ok(indexed) => {
                            tracing::info!(indexed, "indexed items stored before search")
                        }
                        Err(err) => tracing::warn!(error = ?err, "indexing stored items failed"),
                    }
                }
                loop {
                    match service.extract_next().await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(err) => tracing::warn!(error = ?err, "content extraction failed"),
                    }
                    let _ = tokio::time::timeout(IDLE, service.extraction.wake.notified()).await;
                }
            });
        }
    }

    /// Extracts content until none waits; how many versions were handled.
    pub async fn extract_pending(&self) -> AppResult<usize> {
        let mut handled = 0;
        while self.extract_next().await? {
            handled += 1;
        }
        Ok(handled)
    }

    /// Indexes the items stored before search (those without a document), walking every item
    /// once in id order, from where an earlier walk stopped; how many. Once the walk is done it
    /// is never made again: every later write indexes what it changes.
    pub async fn index_unindexed(&self) -> AppResult<usize> {
        let Some(mut after) = index::backfill_position(self.db()).await? else {
            return Ok(0);
        };
        let mut indexed = 0;
        loop {
            let txn = self.write().await?;
            let (read, missing) = index::unindexed(&*txn, after, BACKFILL).await?;
            let done = read.len() < BACKFILL as usize;
            if let Some(last) = read.last() {
                after = *last;
            }
            index::reindex(&*txn, &missing).await?;
            index::backfill_reached(&*txn, after, done).await?;
            txn.commit().await?;
            indexed += missing.len();
            if done {
                return Ok(indexed);
            }
        }
    }

    /// Claims and extracts one version; whether there was one.
    async fn extract_next(&self) -> AppResult<bool> {
        let claimed = {
            let txn = self.write().await?;
            let backend = txn.get_database_backend();
            let claimed = version::Model::find_by_statement(claim(backend, now_millis()))
                .one(&*txn)
                .await?;
            txn.commit().await?;
            claimed
        };
        let Some(claimed) = claimed else {
            return Ok(false);
        };
        let outcome = if claimed.search_attempts > MAX_ATTEMPTS {
            // It was claimed that often and never finished: it stops workers.
            Outcome::failed()
        } else {
            self.extract_version(&claimed).await
        };
        self.finish(&claimed, outcome).await?;
        Ok(true)
    }

    /// What extraction makes of one version's content.
    async fn extract_version(&self, version: &version::Model) -> Outcome {
        let (Some(sha256), true) = (
            version.sha256.as_deref(),
            extract::is_readable(&version.mime, &version.file_name),
        ) else {
            return Outcome::skipped();
        };
        if version.size as u64 > self.extraction.max_content_bytes {
            return Outcome::skipped();
        }
        let company = CompanyId(version.company_id);
        let read = async {
            let content = self
                .content_by_hash(
                    company,
                    sha256,
                    version.file_name.clone(),
                    version.mime.clone(),
                )
                .await?;
            let mut stream = self.read_content(&content, None).await?;
            let mut bytes = Vec::with_capacity(content.size.max(0) as usize);
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|err| crate::error::AppError::Internal(err.into()))?
            {
                if bytes.len() + chunk.len() > self.extraction.max_content_bytes as usize {
                    return Ok(None);
                }
                bytes.extend_from_slice(&chunk);
            }
            AppResult::Ok(Some(bytes))
        };
        // Reading is under the same time bound as parsing: a stalled store stalls no worker.
        let read = tokio::time::timeout(self.extraction.timeout, read);
        let bytes = match read.await {
            Ok(Ok(Some(bytes))) => bytes,
            Ok(Ok(None)) => return Outcome::skipped(),
            Err(_) => {
                tracing::info!(version = %version.id, "reading content to extract took too long");
                return Outcome::failed();
            }
            Ok(Err(err)) => {
                tracing::warn!(version = %version.id, error = ?err, "reading content to extract failed");
                return Outcome::failed();
            }
        };
        let (mime, name, max_text) = (
            version.mime.clone(),
            version.file_name.clone(),
            self.extraction.max_text_bytes,
        );
        // The parser stops at the deadline itself, so a thread given up on does not run on.
        let deadline = std::time::Instant::now() + self.extraction.timeout;
        let work = tokio::task::spawn_blocking(move || {
            extract::extract(&bytes, &mime, &name, max_text, deadline)
        });
        match tokio::time::timeout(self.extraction.timeout, work).await {
            Ok(Ok(Ok(Extracted::Text(text)))) => Outcome {
                status: DONE,
                keywords: words::keywords(&text, KEYWORDS),
                body: Some(text),
            },
            Ok(Ok(Ok(Extracted::Unsupported))) => Outcome::skipped(),
            Ok(Ok(Err(err))) => {
                tracing::info!(version = %version.id, error = %err, "content could not be read for text");
                Outcome::failed()
            }
            // A panic in a parser, or too long: the thread is left to finish on its own.
            Ok(Err(_)) | Err(_) => {
                tracing::info!(version = %version.id, "extracting text failed or took too long");
                Outcome::failed()
            }
        }
    }

    /// Records what became of a claimed version, and gives its text to its item's document
    /// if it is still the item's latest version.
    async fn finish(&self, version: &version::Model, outcome: Outcome) -> AppResult<()> {
        let txn = self.write().await?;
        let ours = version::Entity::update_many()
            .col_expr(version::Column::SearchStatus, Expr::value(outcome.status))
            .col_expr(
                version::Column::ContentKeywords,
                Expr::value(outcome.keywords.clone()),
            )
            .filter(version::Column::Id.eq(version.id))
            .filter(version::Column::SearchStatus.eq(RUNNING))
            .filter(version::Column::SearchClaimedAt.eq(version.search_claimed_at))
            .exec(&*txn)
            .await?;
        if ours.rows_affected == 1 {
            let latest = item::Entity::find_by_id(version.item_id)
                .filter(item::Column::LastVersionId.eq(version.id))
                .one(&*txn)
                .await?;
            if latest.is_some() {
                index::set_body(
                    &*txn,
                    version.item_id,
                    outcome.body.as_deref().unwrap_or(""),
                )
                .await?;
            }
        }
        txn.commit().await
    }
}

/// What became of one version's extraction.
struct Outcome {
    status: &'static str,
    keywords: String,
    body: Option<String>,
}

impl Outcome {
    fn skipped() -> Self {
        Self {
            status: SKIPPED,
            keywords: String::new(),
            body: None,
        }
    }

    fn failed() -> Self {
        Self {
            status: FAILED,
            ..Self::skipped()
        }
    }
}
