//! The subscription root: a drive's changes live, replayed from a cursor first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, ErrorExtensions, ID, Subscription};
use futures::{Stream, StreamExt};

use super::context::ContextExt;
use super::types::{ChangeObject, decode_cursor};
use crate::domain::{CompanyId, ItemRef};
use crate::error::AppError;

#[derive(Default)]
pub struct SubscriptionRoot;

/// The subscriptions one WebSocket connection holds, up to its cap.
pub struct ConnectionSubscriptions {
    open: Arc<AtomicUsize>,
    cap: usize,
}

/// One subscription's place among its connection's, given back when its stream ends.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ConnectionSubscriptions {
    pub fn new(cap: usize) -> Self {
        Self {
            open: Arc::new(AtomicUsize::new(0)),
            cap,
        }
    }

    fn hold(&self) -> Result<Held, AppError> {
        let held = Held(self.open.clone());
        if self.open.fetch_add(1, Ordering::SeqCst) >= self.cap {
            return Err(AppError::TooManyRequests {
                message: format!(
                    "a connection holds at most {} subscriptions; end one first",
                    self.cap
                ),
                retry_after: 0,
            });
        }
        Ok(held)
    }
}

/// Following the drive.
#[Subscription]
impl SubscriptionRoot {
    /// The company's changes (of one folder's subtree when `folderId` is given, what moves in
    /// or out included), the same `Change`s as `changes` shows the viewer: those after
    /// `after` first, then each as it commits (from now when `after` is omitted). A client
    /// that reconnects with the cursor of the last change it received misses none and sees
    /// none twice. Access is evaluated per change as for the feed. A subscription that falls
    /// behind the changes by more than `QUIRE_SUBSCRIPTION_BUFFER` batches ends with
    /// `TOO_MANY_REQUESTS`: resubscribe from the last cursor.
    async fn drive_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(desc = "A folder's global id: follow its subtree only.")] folder_id: Option<ID>,
        #[graphql(desc = "A cursor from the feed or from this subscription: continue after it.")]
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ChangeObject>> + use<>>
    {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        let folder = folder_id
            .map(|id| ItemRef::parse_in(&id, company))
            .transpose()
            .map_err(|e| e.extend())?;
        let after = after
            .as_deref()
            .map(decode_cursor)
            .transpose()
            .map_err(|e| e.extend())?;
        let held = ctx
            .data::<ConnectionSubscriptions>()
            .map_err(|_| {
                AppError::bad_input("subscriptions are served over GET /graphql/ws").extend()
            })?
            .hold()
            .map_err(|e| e.extend())?;
        let changes = ctx
            .service()?
            .follow_changes(viewer, company, folder.as_ref(), after)
            .await
            .map_err(|e| e.extend())?;
        Ok(changes.map(move |change| {
            let _held = &held;
            change.map(ChangeObject).map_err(|e| e.extend())
        }))
    }
}
