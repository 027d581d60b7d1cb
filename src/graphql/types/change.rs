//! `Change`: one entry of the change feed, and the pages of it.

use async_graphql::{ID, Object, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{ItemObject, UserObject};
use crate::domain::{Change, ChangeCursor, ChangeKind, ChangePage};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::PageInfo;
use crate::graphql::scalars::Timestamp;

/// What a change-feed cursor starts with, so that no listing's cursor passes for one.
const PREFIX: &str = "changes:";

/// A change-feed cursor as clients hold it: opaque.
pub fn encode_cursor(cursor: ChangeCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{}.{}", cursor.revision, cursor.ordinal))
}

/// A cursor a client sent back.
pub fn decode_cursor(raw: &str) -> AppResult<ChangeCursor> {
    let bad = || AppError::bad_input(format!("{raw:?} is not a change-feed cursor"));
    let text = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let text = std::str::from_utf8(&text).map_err(|_| bad())?;
    let (revision, ordinal) = text
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('.'))
        .ok_or_else(bad)?;
    Ok(ChangeCursor {
        revision: revision.parse().map_err(|_| bad())?,
        ordinal: ordinal.parse().map_err(|_| bad())?,
    })
}

pub struct ChangeObject(pub Change);

/// One change to an item, as the viewer may see it.
#[Object(name = "Change")]
impl ChangeObject {
    /// Where the feed continues after this change: pass it as `after`.
    async fn cursor(&self) -> String {
        encode_cursor(self.0.cursor)
    }

    /// What the change did.
    async fn kind(&self) -> ChangeKind {
        self.0.kind
    }

    /// The global id of the item changed (the Shared Drive's for a change to its access
    /// list).
    async fn item_id(&self) -> ID {
        ID(self.0.item_id.global(self.0.company_id))
    }

    /// The item as it is now; null when the viewer can no longer read it (it was deleted,
    /// trashed or moved out of their sight, or unshared): drop it from a mirror.
    async fn item(&self) -> Option<ItemObject> {
        self.0.item.clone().map(ItemObject)
    }

    /// The global id of the folder or drive the item is in now, or was in when it left the
    /// viewer's sight.
    async fn parent_id(&self) -> Option<ID> {
        self.0
            .parent_id
            .as_ref()
            .map(|parent| ID(parent.global(self.0.company_id)))
    }

    /// When the change was committed.
    async fn at(&self) -> Timestamp {
        Timestamp(self.0.at)
    }

    /// Who made it; null for a change to an item that left the viewer's sight, and for a
    /// link visitor, who sees no one's identity.
    async fn actor(&self) -> Option<UserObject> {
        self.0.actor.clone().map(UserObject)
    }
}

/// A page of the change feed, in commit order.
#[derive(SimpleObject)]
pub struct ChangeConnection {
    /// The changes, each with the cursor to continue from it.
    pub edges: Vec<ChangeEdge>,
    /// The changes alone.
    pub nodes: Vec<ChangeObject>,
    /// `hasNextPage`: whether more of the log follows (read again from `endCursor`);
    /// `endCursor`: past everything this page read, shown or not, never null. A page may
    /// hold fewer changes than asked, even none, while more follow.
    pub page_info: PageInfo,
}

/// One change and its cursor.
#[derive(SimpleObject)]
pub struct ChangeEdge {
    /// Where the feed continues after this change.
    pub cursor: String,
    /// The change.
    pub node: ChangeObject,
}

impl From<ChangePage> for ChangeConnection {
    fn from(page: ChangePage) -> Self {
        let start_cursor = page.changes.first().map(|c| encode_cursor(c.cursor));
        let edges: Vec<ChangeEdge> = page
            .changes
            .iter()
            .map(|change| ChangeEdge {
                cursor: encode_cursor(change.cursor),
                node: ChangeObject(change.clone()),
            })
            .collect();
        Self {
            nodes: page.changes.into_iter().map(ChangeObject).collect(),
            edges,
            page_info: PageInfo {
                has_next_page: page.has_more,
                has_previous_page: false,
                start_cursor,
                end_cursor: Some(encode_cursor(page.end)),
            },
        }
    }
}
