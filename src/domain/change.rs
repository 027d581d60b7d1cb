//! Changes as the feed hands them out: what happened to which item, where, when and by whom.

use std::sync::Arc;

use async_graphql::Enum;

use super::{CompanyId, Item, ItemRef, User};

/// What a change did to its item.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ChangeKind", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    /// The item was created.
    Created,
    /// Its name, description or tags changed.
    Updated,
    /// It moved to another folder or drive (what it holds moved with it).
    Moved,
    /// It went to the trash (what it holds went with it).
    Trashed,
    /// It came back from the trash.
    Restored,
    /// It was deleted for good, with everything under it.
    Deleted,
    /// A file got a new version.
    VersionAdded,
    /// Its access list changed.
    AccessChanged,
    /// Its public link changed.
    PublicLinkChanged,
    /// A chat-channel tab was attached to it.
    TabAttached,
}

impl ChangeKind {
    /// Whether the change may have changed the item's words: its name (a move or a restore
    /// renames on a collision), description, tags or content. An update is logged by what
    /// matters most to followers (an access or link change over a rename), so every kind a
    /// stored item's update may be logged as counts.
    pub fn may_change_words(self) -> bool {
        !matches!(self, Self::Deleted | Self::TabAttached)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Moved => "moved",
            Self::Trashed => "trashed",
            Self::Restored => "restored",
            Self::Deleted => "deleted",
            Self::VersionAdded => "version_added",
            Self::AccessChanged => "access_changed",
            Self::PublicLinkChanged => "public_link_changed",
            Self::TabAttached => "tab_attached",
        }
    }

    /// Whether the change can take its item out of the sight of who reads its folder: by
    /// moving, trashing or deleting it, or by changing its access list.
    pub fn may_hide_from_folder(self) -> bool {
        matches!(
            self,
            Self::Moved | Self::Trashed | Self::Deleted | Self::AccessChanged
        )
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Updated,
            Self::Moved,
            Self::Trashed,
            Self::Restored,
            Self::Deleted,
            Self::VersionAdded,
            Self::AccessChanged,
            Self::PublicLinkChanged,
            Self::TabAttached,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == raw)
    }
}

/// A place in a company's change log: after the change `ordinal` of revision `revision`.
/// `ordinal: i32::MAX` stands after every change of that revision.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ChangeCursor {
    pub revision: i64,
    pub ordinal: i32,
}

impl ChangeCursor {
    /// After every change of `revision`.
    pub fn after_revision(revision: i64) -> Self {
        Self {
            revision,
            ordinal: i32::MAX,
        }
    }
}

/// One change as one viewer may see it.
#[derive(Clone, Debug)]
pub struct Change {
    pub cursor: ChangeCursor,
    pub kind: ChangeKind,
    pub company_id: CompanyId,
    /// The item changed (the Shared Drive for a change to its access list).
    pub item_id: ItemRef,
    /// The item as the viewer sees it now; `None` when it left their sight (or is gone).
    pub item: Option<Item>,
    /// Where the item is after the change; where it was, for one that left the viewer's sight.
    pub parent_id: Option<ItemRef>,
    pub at: i64,
    /// Who made it; `None` for a removal and for a link visitor, who see no one's identity.
    pub actor: Option<Arc<User>>,
}

/// A window of the change log as one viewer may see it.
#[derive(Clone, Debug)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// Where to continue from: past every change this window looked at, shown or not.
    pub end: ChangeCursor,
    /// Whether the log holds more after `end` (committed when it was read).
    pub has_more: bool,
}
