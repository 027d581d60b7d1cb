//! Following a drive live: the feed replayed from a cursor, then each batch its company's tail
//! reads, shown as the viewer may see it when it comes: one stream with no gap and no repeat.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

use super::feed::{self, MAX_WINDOW, Scope, cursor_of};
use super::live::Batch;
use super::{Service, access};
use crate::auth::Viewer;
use crate::domain::{Change, ChangeCursor, CompanyId, ItemRef};
use crate::error::{AppError, AppResult};

impl Service {
    /// The changes of `company` (of `folder`'s subtree when given) after `after`, then live
    /// as they commit; from now when `after` is `None`. Access is evaluated per batch, as for
    /// the feed. A follower that falls more than the buffer behind gets `TOO_MANY_REQUESTS`
    /// and the stream ends: it resumes from the last cursor it received.
    pub async fn follow_changes(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        folder: Option<&ItemRef>,
        after: Option<ChangeCursor>,
    ) -> AppResult<impl Stream<Item = AppResult<Change>> + Send + use<>> {
        viewer.may_be_in(company)?;
        let scope = match folder {
            None => Scope::Company,
            Some(ItemRef::Item(id)) => {
                access::readable_item(self.db(), viewer, company, id.0).await?;
                Scope::Subtree(id.0)
            }
            Some(special) => {
                return Err(AppError::bad_input(format!(
                    "{special} is a special folder: omit folderId to follow the whole drive"
                )));
            }
        };
        // Following first: what commits after this comes live, what committed before is the
        // feed's, so nothing falls between the two.
        let live = self.live.follow(company.0, self).await?;
        let (head, _) = feed::counter(self.db(), company).await?;
        let start = after.unwrap_or(ChangeCursor::after_revision(head));
        feed::not_past(start, head)?;
        // The follower runs on its own: its reads end whether or not its client reads what
        // it sends; the stream hands on what it sent.
        let (changes, received) = mpsc::channel(SENT_AHEAD);
        let follower = Follower {
            service: self.clone(),
            viewer: viewer.clone(),
            company,
            scope,
            cursor: start,
            changes,
        };
        tokio::spawn(follower.run(after.is_some(), live));
        Ok(futures::stream::unfold(
            received,
            |mut received| async move {
                let change = received.recv().await?;
                Some((change.map(|change| *change), received))
            },
        ))
    }
}

/// Changes a follower may have sent ahead of its client.
const SENT_AHEAD: usize = 16;

struct Follower {
    service: Service,
    viewer: Viewer,
    company: CompanyId,
    scope: Scope,
    /// Past everything looked at so far.
    cursor: ChangeCursor,
    /// Boxed: a channel's slots are allocated 32 at a time, and a change is large.
    changes: mpsc::Sender<AppResult<Box<Change>>>,
}

impl Follower {
    /// Replays the feed after the cursor (when `replay`), then shows each batch; ends when
    /// its stream is dropped, or with an error the stream gets last.
    async fn run(mut self, replay: bool, live: broadcast::Receiver<Arc<Batch>>) {
        let ended = match self.replay(replay).await {
            Ok(()) => self.follow(live).await,
            Err(err) => Err(err),
        };
        if let Err(err) = ended {
            let _ = self.changes.send(Err(err)).await;
        }
    }

    async fn replay(&mut self, replay: bool) -> AppResult<()> {
        if !replay {
            return Ok(());
        }
        loop {
            let page = self
                .service
                .changes_in(
                    &self.viewer,
                    self.company,
                    &self.scope,
                    Some(self.cursor),
                    MAX_WINDOW,
                )
                .await?;
            self.cursor = page.end;
            self.send(page.changes).await?;
            if !page.has_more {
                return Ok(());
            }
        }
    }

    async fn follow(&mut self, mut live: broadcast::Receiver<Arc<Batch>>) -> AppResult<()> {
        loop {
            let batch = tokio::select! {
                () = self.changes.closed() => return Ok(()),
                batch = live.recv() => batch,
            };
            let batch = match batch {
                Ok(batch) => batch,
                Err(RecvError::Lagged(_)) => {
                    return Err(AppError::TooManyRequests {
                        message: "this subscription fell behind the changes; subscribe again with `after` set to the cursor of the last change it received".into(),
                        retry_after: 0,
                    });
                }
                Err(RecvError::Closed) => return Ok(()),
            };
            let new: Vec<_> = batch
                .rows
                .iter()
                .filter(|row| cursor_of(row) > self.cursor && self.scope.holds(row))
                .cloned()
                .collect();
            if let Some(last) = batch.rows.last() {
                self.cursor = self.cursor.max(cursor_of(last));
            }
            self.send(feed::as_seen(
                &batch.sight,
                &self.viewer,
                self.company,
                &new,
            ))
            .await?;
        }
    }

    /// Sends changes on; a dropped stream ends the follower (an error no one receives).
    async fn send(&self, changes: Vec<Change>) -> AppResult<()> {
        for change in changes {
            if self.changes.send(Ok(Box::new(change))).await.is_err() {
                return Err(AppError::internal(StreamDropped));
            }
        }
        Ok(())
    }
}

/// The follower's stream was dropped: nothing is left to send to.
#[derive(Debug, thiserror::Error)]
#[error("the subscription ended")]
struct StreamDropped;
