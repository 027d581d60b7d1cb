//! Following a drive live: the feed replayed from a cursor, then each batch its company's tail
//! reads, shown as the viewer may see it when it comes: one stream with no gap and no repeat.

use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::feed::{self, MAX_WINDOW, Scope, cursor_of};
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
        let mut live = self.live.follow(company.0).await?;
        let start = match after {
            Some(after) => after,
            None => ChangeCursor::after_revision(feed::counter(self.db(), company).await?.0),
        };
        let (service, viewer) = (self.clone(), viewer.clone());
        Ok(async_stream::stream! {
            let mut cursor = start;
            if after.is_some() {
                loop {
                    match service.changes_in(&viewer, company, &scope, Some(cursor), MAX_WINDOW).await {
                        Ok(page) => {
                            cursor = page.end;
                            for change in page.changes {
                                yield Ok(change);
                            }
                            if !page.has_more {
                                break;
                            }
                        }
                        Err(err) => {
                            yield Err(err);
                            return;
                        }
                    }
                }
            }
            loop {
                let batch = match live.recv().await {
                    Ok(batch) => batch,
                    Err(RecvError::Lagged(_)) => {
                        yield Err(AppError::TooManyRequests {
                            message: "this subscription fell behind the changes; subscribe again with `after` set to the cursor of the last change it received".into(),
                            retry_after: 0,
                        });
                        return;
                    }
                    Err(RecvError::Closed) => return,
                };
                let new: Vec<_> = batch
                    .rows
                    .iter()
                    .filter(|row| cursor_of(row) > cursor && scope.holds(row))
                    .cloned()
                    .collect();
                if let Some(last) = batch.rows.last() {
                    cursor = cursor.max(cursor_of(last));
                }
                if new.is_empty() {
                    continue;
                }
                // Read once for every follower of the batch; each sees its own part of it.
                match batch.sight.get_or_try_init(|| service.sight(company, &batch.rows)).await {
                    Ok(sight) => {
                        for change in feed::as_seen(sight, &viewer, company, &new) {
                            yield Ok(change);
                        }
                    }
                    Err(err) => {
                        yield Err(err);
                        return;
                    }
                }
            }
        })
    }
}
