//! An item's access list as clients see and send it.

use async_graphql::Enum;

use super::Level;

/// Who an access entry is for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "AccessEntityType", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum EntityKind {
    /// One user, by id.
    User,
    /// Every non-guest member of the company (id = the company id).
    Company,
    /// Members of a chat channel, through a tab token (id = the channel id).
    Channel,
    /// What the item inherits from its parent (id = `parent`); `none` breaks inheritance.
    Folder,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Company => "company",
            Self::Channel => "channel",
            Self::Folder => "folder",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "company" => Some(Self::Company),
            "channel" => Some(Self::Channel),
            "folder" => Some(Self::Folder),
            _ => None,
        }
    }
}

/// Where a viewer's level on an item comes from.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum AccessSource {
    /// Nothing gives the viewer access.
    #[default]
    None,
    /// Owners and admins of the company manage the Shared Drive and all it holds.
    CompanyRole,
    /// The owner of a personal drive manages all it holds.
    DriveOwner,
    /// The Shared Drive's own access list (members read it unless it says otherwise).
    SharedDrive,
    /// An entry of an item's access list.
    Entry { kind: EntityKind, subject: String },
    /// The item's public link.
    PublicLink,
}

/// A level and where it comes from: the item whose list or link grants it (`None` for roles,
/// ownership and the Shared Drive's list).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AccessOrigin {
    pub source: AccessSource,
    pub on: Option<super::ItemId>,
}

/// One entry of an access list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEntity {
    pub kind: EntityKind,
    pub id: String,
    pub level: Level,
    pub grantor: Option<String>,
}

/// An item's public link. The token is blank for viewers who may not manage the item; the
/// password is never shown, only whether there is one.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PublicLink {
    pub token: String,
    pub level: Level,
    pub expiration: i64,
    pub has_password: bool,
}

/// An item's whole access list.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AccessInfo {
    pub entities: Vec<AccessEntity>,
    pub public: PublicLink,
}

impl AccessInfo {
    /// An item's list as `viewer` may see it: link visitors see no entries; who granted an
    /// entry is for the item's managers.
    pub fn shown_to(item: &super::Item, stored: Vec<AccessEntity>, viewer: &super::Viewer) -> Self {
        let mut info = Self::of(item, stored);
        if viewer.is_visitor() {
            info.entities.clear();
        }
        if item.level < Level::Manage {
            info.entities
                .iter_mut()
                .for_each(|entity| entity.grantor = None);
        }
        info
    }

    /// An item's whole list: its `folder` entry (stored items only), then its stored entries.
    pub fn of(item: &super::Item, stored: Vec<AccessEntity>) -> Self {
        let mut entities = Vec::with_capacity(stored.len() + 1);
        if item.stored_id().is_some() {
            entities.push(AccessEntity {
                kind: EntityKind::Folder,
                id: "parent".to_owned(),
                level: item.folder_level,
                grantor: None,
            });
        }
        entities.extend(stored);
        Self {
            entities,
            public: item.public.clone(),
        }
    }
}
