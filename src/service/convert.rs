//! Turns rows into the domain types the faces see.

use std::sync::Arc;

use entity::{item, tab, user, version};

use super::rows::Row;
use crate::domain::{
    AccessEntity, AccessOrigin, CompanyId, Item, ItemId, ItemRef, Level, PublicLink, Revision,
    Scope, Tab, User, UserId, Version, VersionId,
};

/// The drive key (`root`, `user_<uid>`) as an `ItemRef`; malformed keys fall back to `root`.
pub(super) fn drive_ref(drive: &str) -> ItemRef {
    ItemRef::parse(drive).unwrap_or(ItemRef::Root)
}

pub(super) fn scope_of(drive: &str) -> Scope {
    if drive.starts_with("user_") {
        Scope::Personal
    } else {
        Scope::Shared
    }
}

/// A special folder as an item, with its access list (the Shared Drive's; empty for the others).
pub(super) fn special_folder(
    company: CompanyId,
    id: ItemRef,
    (level, origin): (Level, AccessOrigin),
    size: i64,
    access: Arc<[AccessEntity]>,
) -> Item {
    let (name, scope) = match &id {
        ItemRef::Root => ("Shared Drive", Scope::Shared),
        ItemRef::UserDrive(_) => ("My Drive", Scope::Personal),
        ItemRef::Trash => ("Trash", Scope::Shared),
        ItemRef::UserTrash(_) => ("Trash", Scope::Personal),
        ItemRef::SharedWithMe => ("Shared with me", Scope::Personal),
        ItemRef::Item(_) => ("", Scope::Shared),
    };
    Item {
        drive: id.to_string(),
        id,
        company_id: company,
        parent_id: None,
        name: name.to_owned(),
        extension: String::new(),
        description: String::new(),
        tags: Vec::new(),
        is_directory: true,
        is_in_trash: false,
        in_trash: false,
        scope,
        creator: None,
        added: 0,
        last_modified: 0,
        size,
        folder_level: Level::None,
        public: PublicLink::default(),
        latest_version: None,
        access,
        level,
        origin,
        ancestors: Arc::from(Vec::new()),
        revision: None,
    }
}

pub(super) fn parse_level(raw: &str) -> Level {
    raw.parse().unwrap_or(Level::None)
}

pub(super) fn parent_ref(row: &item::Model) -> ItemRef {
    ItemRef::parse(&row.parent_id).unwrap_or_else(|_| drive_ref(&row.drive))
}

/// A stored item as one viewer sees it, with its stored access entries.
pub(super) fn item(
    joined: &Row,
    (level, origin): (Level, AccessOrigin),
    in_trash: bool,
    ancestors: Arc<[Item]>,
    access: Arc<[AccessEntity]>,
) -> Item {
    let row = &joined.item;
    let public_level = parse_level(&row.public_level);
    Item {
        id: ItemRef::Item(ItemId(row.id)),
        company_id: CompanyId(row.company_id),
        parent_id: Some(parent_ref(row)),
        name: row.name.clone(),
        extension: row.extension.clone(),
        description: row.description.clone(),
        tags: serde_json::from_value(row.tags.clone()).unwrap_or_default(),
        is_directory: row.is_directory,
        is_in_trash: row.is_in_trash,
        in_trash,
        scope: scope_of(&row.drive),
        drive: row.drive.clone(),
        // Creators Quire never saw a token of are known by their id alone.
        creator: Some(Arc::new(joined.creator.clone().map_or_else(
            || User {
                id: row.creator.clone(),
                name: None,
                email: None,
            },
            user,
        ))),
        added: row.added,
        last_modified: row.last_modified,
        size: row.size,
        folder_level: parse_level(&row.folder_level),
        public: PublicLink {
            token: if level == Level::Manage {
                row.public_token.clone().unwrap_or_default()
            } else {
                String::new()
            },
            level: public_level,
            expiration: row.public_expiration,
            has_password: row.public_password_hash.is_some(),
        },
        latest_version: joined.latest.clone().map(|row| Arc::new(version(row))),
        access,
        level,
        origin,
        ancestors,
        revision: Some(Revision(row.revision)),
    }
}

pub(super) fn version(row: version::Model) -> Version {
    Version {
        id: VersionId(row.id),
        item_id: ItemId(row.item_id),
        company_id: CompanyId(row.company_id),
        provider: row.provider,
        file_name: row.file_name,
        mime: row.mime,
        size: row.size,
        sha256: row.sha256,
        external_id: row.external_id,
        creator: row.creator,
        application_id: row.application_id,
        date_added: row.date_added,
        search_status: crate::domain::search::SearchStatus::parse(&row.search_status),
        content_keywords: row.content_keywords,
    }
}

pub(super) fn tab(row: tab::Model) -> Tab {
    Tab {
        company_id: CompanyId(row.company_id),
        tab_id: row.tab_id,
        channel_id: row.channel_id,
        item_id: ItemId(row.item_id),
        level: parse_level(&row.level),
    }
}

pub(super) fn user(row: user::Model) -> User {
    User {
        id: row.id,
        name: row.name,
        email: row.email,
    }
}

/// The drive key of a user's personal drive.
pub(super) fn user_drive(user: &UserId) -> String {
    format!("user_{user}")
}
