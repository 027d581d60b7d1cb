//! Search: one interface over the engine the database has (SQLite FTS5, PostgreSQL full-text
//! search). The index holds words only (`index`); who may see a hit and whether it is in the
//! trash are decided in the query itself from the live rows (`scope`), so a page is full
//! whatever the viewer may read and never shows what they could not open. Content is read for
//! text off the request path (`jobs`, `extract`).

mod extract;
mod index;
mod jobs;
mod query;
mod scope;
pub(crate) mod words;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

pub(crate) use index::reindex;

use super::Service;
use super::budget::Budgeted;
use crate::auth::Viewer;
use crate::config::Limits;
use crate::domain::search::{Hit, SearchRequest};
use crate::domain::{CompanyId, Page};
use crate::error::{AppError, AppResult};

/// A version whose content waits for extraction.
pub(super) const PENDING: &str = "pending";
/// A version whose content is being read by a worker.
const RUNNING: &str = "running";
/// A version whose text is extracted.
pub(super) const DONE: &str = "done";
/// A version whose content is not read for text (not a text format, too large, no content).
const SKIPPED: &str = "skipped";
/// A version whose content could not be read (broken, too slow, or it kept stopping workers).
const FAILED: &str = "failed";

/// How content extraction is bounded, and how its workers are woken.
#[derive(Clone)]
pub(crate) struct Extraction {
    wake: Arc<Notify>,
    /// Larger content is `skipped`, never read.
    max_content_bytes: u64,
    /// Extracted text is cut at this many bytes.
    max_text_bytes: usize,
    /// A content whose extraction takes longer is `failed`.
    timeout: Duration,
    workers: usize,
}

impl Extraction {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            max_content_bytes: limits.search_max_content_bytes,
            max_text_bytes: limits.search_max_text_bytes,
            timeout: Duration::from_millis(limits.search_extract_timeout_ms),
            workers: limits.search_workers,
        }
    }

    /// Tells a waiting worker that content may be waiting.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// How searches are bounded: a time budget each, and turns.
#[derive(Clone)]
pub(crate) struct Searching {
    /// Longest a search's statements may run.
    timeout: Duration,
    turns: Arc<Semaphore>,
    concurrency: usize,
}

impl Searching {
    pub(crate) fn new(limits: &Limits) -> Self {
        let concurrency = limits.search_concurrency.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            timeout: Duration::from_millis(limits.search_timeout_ms),
            turns: Arc::new(Semaphore::new(concurrency)),
            concurrency,
        }
    }
}

impl Service {
    /// A page of what the viewer may open in `company` that matches `request`. At most
    /// `QUIRE_SEARCH_CONCURRENCY` searches run at once (the others wait their turn as long as
    /// one search may run, then 429), and the database stops one past `QUIRE_SEARCH_TIMEOUT_MS`
    /// (413): what a search costs depends on its words. A search runs to its end or its budget
    /// in a task of its own, holding its turn, even when its request is given up.
    pub async fn search(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        request: SearchRequest,
    ) -> AppResult<Page<Hit>> {
        let Searching {
            timeout,
            turns,
            concurrency,
        } = &self.searching;
        let turn = tokio::time::timeout(*timeout, turns.clone().acquire_owned())
            .await
            .map_err(|_| AppError::TooManyRequests {
                message: format!("{concurrency} searches are running; retry in 1 s"),
                retry_after: 1,
            })?
            .map_err(AppError::internal)?;
        let (service, viewer, timeout) = (self.clone(), viewer.clone(), *timeout);
        let search = tokio::spawn(async move {
            let _turn = turn;
            let search = Budgeted::begin(service.db(), timeout).await?;
            let page = query::search(search.txn(), &viewer, company, request).await;
            let ended = search.end().await;
            let page = page.map_err(|err| {
                if err.ran_out_of_time() {
                    AppError::PayloadTooLarge(format!(
                        "the search ran past its {} ms; narrow it with more words or filters",
                        timeout.as_millis()
                    ))
                } else {
                    err
                }
            })?;
            ended?;
            Ok(page)
        });
        search.await.map_err(AppError::internal)?
    }
}
