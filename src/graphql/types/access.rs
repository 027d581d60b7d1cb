//! `AccessInfo`: an item's access list and public link, as shown and as changed.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};

use crate::domain::{AccessEntity, AccessInfo, AccessSource, EntityKind, Item, ItemRef, Level};
use crate::graphql::inline::Inline;
use crate::graphql::scalars::Timestamp;

pub struct AccessInfoObject(pub AccessInfo);

pub struct AccessEntityObject<'a>(&'a AccessEntity);

/// One entry of an access list.
#[Object(name = "AccessEntity", serial)]
impl AccessEntityObject<'_> {
    /// Who the entry is for.
    #[graphql(name = "type")]
    async fn kind(&self) -> EntityKind {
        self.0.kind
    }

    /// The user, company or channel id; `parent` for the `FOLDER` entry.
    async fn id(&self) -> &str {
        &self.0.id
    }

    /// The level the entry gives.
    async fn level(&self) -> Level {
        self.0.level
    }

    /// Who added the entry, when known.
    async fn grantor(&self) -> Option<&str> {
        self.0.grantor.as_deref()
    }
}

/// An item's public link. Only managers see its token; nobody sees its password.
#[derive(SimpleObject)]
#[graphql(name = "PublicLink", serial)]
pub struct PublicLinkObject {
    /// The link's token; empty for viewers who may not manage the item, or when there is none.
    pub token: String,
    /// What visitors holding the link may do; `NONE` when the link is off.
    pub level: Level,
    /// When the link stops working; 0 = never.
    pub expiration: Timestamp,
    /// Whether visitors must also give a password.
    pub has_password: bool,
}

/// Who may do what with an item.
#[Object(name = "AccessInfo", serial)]
impl AccessInfoObject {
    /// The entries, the `FOLDER` (inheritance) entry first.
    async fn entities(&self) -> Vec<Inline<AccessEntityObject<'_>>> {
        let entity = |entity| Inline(AccessEntityObject(entity));
        self.0.entities.iter().map(entity).collect()
    }

    /// The public link.
    async fn public(&self) -> Inline<PublicLinkObject> {
        let link = &self.0.public;
        Inline(PublicLinkObject {
            token: link.token.clone(),
            level: link.level,
            expiration: Timestamp(link.expiration),
            has_password: link.has_password,
        })
    }
}

/// One entry of a new access list.
#[derive(InputObject)]
pub struct AccessEntityInput {
    /// Who the entry is for.
    #[graphql(name = "type")]
    pub kind: EntityKind,
    /// The user, company (this company) or channel id; anything (conventionally `parent`) for
    /// the `FOLDER` entry.
    pub id: String,
    /// The level to give.
    pub level: Level,
}

impl From<AccessEntityInput> for AccessEntity {
    fn from(input: AccessEntityInput) -> Self {
        Self {
            kind: input.kind,
            id: input.id,
            level: input.level,
            grantor: None,
        }
    }
}

/// What kind of grant gives a viewer their level.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "AccessSource", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum AccessSourceKind {
    /// Nothing: the viewer has no access.
    None,
    /// Being an owner or admin of the company (the Shared Drive and all it holds).
    CompanyRole,
    /// Owning the personal drive the item is in.
    DriveOwner,
    /// The Shared Drive's own access list (members read it unless it says otherwise).
    SharedDrive,
    /// An entry of an access list (see `entityType`, `entityId`, `grantedOnId`).
    Entry,
    /// A public link (see `grantedOnId`).
    PublicLink,
}

/// Why the viewer has the level they have on an item: for support desks and curious users.
#[derive(SimpleObject)]
#[graphql(name = "AccessExplanation")]
pub struct AccessExplanation {
    /// The viewer's level.
    pub level: Level,
    /// What kind of grant gives it.
    pub source: AccessSourceKind,
    /// The item whose access list or link grants it; null for roles, drive ownership and the
    /// Shared Drive's list.
    pub granted_on_id: Option<ID>,
    /// Whether the level comes from a folder above the item (capped by the `FOLDER` entries
    /// on the way down).
    pub inherited: bool,
    /// For `ENTRY`: who the entry is for.
    pub entity_type: Option<EntityKind>,
    /// For `ENTRY`: the user, company or channel id.
    pub entity_id: Option<String>,
    /// The explanation in one sentence.
    pub summary: String,
}

impl AccessExplanation {
    pub fn of(item: &Item) -> Self {
        let origin = &item.origin;
        let granted_on = origin.on.map(|id| id.to_string());
        // Roles and ownership apply everywhere; anything else not granted on the item itself
        // came down from above it.
        let inherited = match (&origin.source, &item.id) {
            (AccessSource::CompanyRole | AccessSource::DriveOwner | AccessSource::None, _) => false,
            (_, ItemRef::Item(id)) => granted_on.as_deref() != Some(id.to_string().as_str()),
            _ => false,
        };
        let level = item.level.as_str();
        let place = match (&granted_on, inherited) {
            (Some(on), true) => format!(" on the folder {on} above it"),
            (Some(_), false) => " on the item itself".to_owned(),
            (None, _) => String::new(),
        };
        let (source, entity, summary) = match &origin.source {
            AccessSource::None => (AccessSourceKind::None, None, "no access".to_owned()),
            AccessSource::CompanyRole => (
                AccessSourceKind::CompanyRole,
                None,
                format!("{level}, as an owner or admin of the company"),
            ),
            AccessSource::DriveOwner => (
                AccessSourceKind::DriveOwner,
                None,
                format!("{level}, as the owner of this drive"),
            ),
            AccessSource::SharedDrive => (
                AccessSourceKind::SharedDrive,
                None,
                format!("{level}, through the Shared Drive's access list"),
            ),
            AccessSource::Entry { kind, subject } => (
                AccessSourceKind::Entry,
                Some((*kind, subject.clone())),
                format!(
                    "{level}, through the {} entry {subject}{place}",
                    kind.as_str()
                ),
            ),
            AccessSource::PublicLink => (
                AccessSourceKind::PublicLink,
                None,
                format!("{level}, through the public link{place}"),
            ),
        };
        Self {
            level: item.level,
            source,
            granted_on_id: granted_on.map(ID),
            inherited,
            entity_type: entity.as_ref().map(|(kind, _)| *kind),
            entity_id: entity.map(|(_, subject)| subject),
            summary,
        }
    }
}
