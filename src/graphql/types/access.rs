//! `AccessInfo`: an item's access list and public link, as shown and as changed.

use async_graphql::{InputObject, Object, SimpleObject};

use crate::domain::{AccessEntity, AccessInfo, EntityKind, Level};
use crate::graphql::scalars::Timestamp;

pub struct AccessInfoObject(pub AccessInfo);

/// One entry of an access list.
#[derive(SimpleObject)]
#[graphql(name = "AccessEntity")]
pub struct AccessEntityObject {
    /// Who the entry is for.
    #[graphql(name = "type")]
    pub kind: EntityKind,
    /// The user, company or channel id; `parent` for the `FOLDER` entry.
    pub id: String,
    /// The level the entry gives.
    pub level: Level,
    /// Who added the entry, when known.
    pub grantor: Option<String>,
}

/// An item's public link. Only managers see its token; nobody sees its password.
#[derive(SimpleObject)]
#[graphql(name = "PublicLink")]
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
#[Object(name = "AccessInfo")]
impl AccessInfoObject {
    /// The entries, the `FOLDER` (inheritance) entry first.
    async fn entities(&self) -> Vec<AccessEntityObject> {
        self.0
            .entities
            .iter()
            .map(|e| AccessEntityObject {
                kind: e.kind,
                id: e.id.clone(),
                level: e.level,
                grantor: e.grantor.clone(),
            })
            .collect()
    }

    /// The public link.
    async fn public(&self) -> PublicLinkObject {
        let link = &self.0.public;
        PublicLinkObject {
            token: link.token.clone(),
            level: link.level,
            expiration: Timestamp(link.expiration),
            has_password: link.has_password,
        }
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
