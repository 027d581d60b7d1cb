//! Items, versions, tabs and users as the service hands them to the faces.

use std::sync::Arc;

use async_graphql::Enum;

use super::{AccessEntity, CompanyId, ItemRef, Level, PublicLink, VersionId};

/// Which kind of drive an item lives in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ItemScope", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    /// A user's own drive.
    Personal,
    /// The company's Shared Drive.
    Shared,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Shared => "shared",
        }
    }
}

/// A drive item (stored, or one of the special folders) seen by one viewer.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: ItemRef,
    pub company_id: CompanyId,
    /// The parent folder or drive; `None` for the special folders.
    pub parent_id: Option<ItemRef>,
    pub name: String,
    pub extension: String,
    pub description: String,
    pub tags: Vec<String>,
    pub is_directory: bool,
    /// The item itself was put in the trash.
    pub is_in_trash: bool,
    /// The item is in the trash, itself or through a trashed folder above it.
    pub in_trash: bool,
    pub scope: Scope,
    /// The drive the item lives in (`root` or `user_<uid>`); special folders name themselves.
    pub drive: String,
    /// Who created the item; `None` for special folders.
    pub creator: Option<Arc<User>>,
    pub added: i64,
    pub last_modified: i64,
    pub size: i64,
    /// The `folder` entry: the cap on what is inherited from the parent.
    pub folder_level: Level,
    /// The public link, with the token already blanked for non-managers.
    pub public: PublicLink,
    /// A file's current version, read with the item.
    pub latest_version: Option<Arc<Version>>,
    /// The item's stored access entries (the Shared Drive's effective `company` entry
    /// included), read with the item; empty for the other special folders.
    pub access: Arc<[AccessEntity]>,
    /// The viewer's effective level on the item.
    pub level: Level,
    /// Where that level comes from.
    pub origin: super::AccessOrigin,
    /// The folders above the item the viewer may read, top-down, starting at the drive when
    /// the viewer may read it; each with its own `ancestors`.
    pub ancestors: Arc<[Item]>,
    /// The revision of the item's last change; `None` for the special folders.
    pub revision: Option<super::Revision>,
}

impl Item {
    /// The item's path: its readable ancestors, then itself.
    pub fn path(&self) -> Vec<Item> {
        let mut path = self.ancestors.to_vec();
        path.push(self.clone());
        path
    }

    /// The item's place in a listing in `sorting`'s order.
    pub fn key(&self, sorting: super::Sorting) -> super::Key {
        let value = match sorting.by {
            super::SortBy::Name => super::KeyValue::Text(super::names::sort_key(&self.name)),
            super::SortBy::Date => super::KeyValue::Int(self.last_modified),
            super::SortBy::Size => super::KeyValue::Int(self.size),
        };
        super::Key {
            directory: Some(self.is_directory),
            value,
            id: self.stored_id().map_or(uuid::Uuid::nil(), |id| id.0),
        }
    }

    /// The stored id, for items that are not special folders.
    pub fn stored_id(&self) -> Option<super::ItemId> {
        match self.id {
            ItemRef::Item(id) => Some(id),
            _ => None,
        }
    }
}

/// One version of a file's content.
#[derive(Clone, Debug)]
pub struct Version {
    pub id: VersionId,
    pub item_id: super::ItemId,
    pub company_id: CompanyId,
    pub provider: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: Option<String>,
    pub external_id: Option<String>,
    pub creator: String,
    pub application_id: String,
    pub date_added: i64,
    /// The most frequent words of the text search extracted from the content.
    pub content_keywords: String,
    /// Where extracting that text stands.
    pub search_status: super::search::SearchStatus,
}

impl Version {
    /// The version's place in its file's history, newest first.
    pub fn key(&self) -> super::Key {
        super::Key {
            directory: None,
            value: super::KeyValue::Int(self.date_added),
            id: self.id.0,
        }
    }
}

/// A chat-channel tab attached to a drive item.
#[derive(Clone, Debug)]
pub struct Tab {
    pub company_id: CompanyId,
    pub tab_id: String,
    pub channel_id: String,
    pub item_id: super::ItemId,
    pub level: Level,
}

/// A user, with what Quire learnt of them from their tokens.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}
