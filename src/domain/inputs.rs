//! What callers ask the service to change, already parsed into typed values.

use super::{AccessEntity, ItemRef, Level};

/// A new file or folder.
#[derive(Clone, Debug)]
pub struct CreateItem {
    pub parent: ItemRef,
    pub name: String,
    pub is_directory: bool,
    pub description: String,
    pub tags: Vec<String>,
    /// The first version of a file.
    pub version: Option<NewVersion>,
}

/// A change to an item; every field that is present applies, even when empty or false.
#[derive(Clone, Debug, Default)]
pub struct UpdateItem {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Move into this folder or drive.
    pub parent: Option<ItemRef>,
    /// A whole new access list, replacing the old one.
    pub access: Option<Vec<AccessEntity>>,
    /// A change to the public link.
    pub public: Option<PublicLinkChange>,
    /// Into the trash (`true`) or out of it (`false`).
    pub in_trash: Option<bool>,
    /// Change only if the item is still at this revision (`If-Match`, `ifRevision`).
    pub if_revision: Option<super::Revision>,
}

/// A change to an item's public link; what is absent stays as it is.
#[derive(Clone, Debug, Default)]
pub struct PublicLinkChange {
    /// What visitors may do; `None` switches the link off.
    pub level: Option<Level>,
    /// A new password; `""` removes it.
    pub password: Option<String>,
    /// Milliseconds since the epoch; 0 = never.
    pub expiration: Option<i64>,
    /// The token a REST caller sent: a different one rotates the link.
    pub token: Option<String>,
    /// Mint a new token, revoking everything issued from the old one.
    pub rotate: bool,
}

/// The metadata of a new version. Its bytes were stored before, as the upload `external_id`
/// names; its size and hash always come from them, never from the client.
#[derive(Clone, Debug, Default)]
pub struct NewVersion {
    pub provider: String,
    pub file_name: String,
    pub mime: String,
    pub external_id: Option<String>,
    pub application_id: String,
}

/// A tab to attach (or re-attach) to an item.
#[derive(Clone, Debug)]
pub struct SetTab {
    pub tab_id: String,
    pub channel_id: String,
    pub item_id: super::ItemId,
    pub level: Level,
}
