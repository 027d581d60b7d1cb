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

use sea_orm::TransactionTrait;
use tokio::sync::Notify;

pub(crate) use index::reindex;

use super::Service;
use crate::auth::Viewer;
use crate::config::Limits;
use crate::domain::search::{Hit, SearchRequest};
use crate::domain::{CompanyId, Page};
use crate::error::AppResult;

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

impl Service {
    /// A page of what the viewer may open in `company` that matches `request`.
    pub async fn search(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        request: SearchRequest,
    ) -> AppResult<Page<Hit>> {
        // What a search costs depends on its words: the database stops it past its budget.
        let txn = self.db().begin().await?;
        let budget = super::budget::start(&txn, self.search_timeout).await?;
        let page = query::search(&txn, viewer, company, request).await?;
        drop(budget);
        txn.commit().await?;
        Ok(page)
    }
}
