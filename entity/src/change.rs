//! One logged change to an item: what happened, where the item was before and after, and
//! who lost an entry on it; under the revision of the transaction that made it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i64,
    /// The change's place among those of its transaction.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ordinal: i32,
    pub kind: String,
    /// The item, or the nil UUID's Shared Drive key for a change to the Shared Drive's list.
    pub item_id: Uuid,
    pub parent_before: Option<String>,
    pub path_before: Option<String>,
    pub parent_after: Option<String>,
    pub path_after: Option<String>,
    /// The access entries (`kind:subject`) the change removed: their holders are told it left.
    pub revoked: Json,
    pub actor: String,
    pub at: i64,
    /// Whether, before the change, who could read `parent_before` could read the item.
    pub seen_from_parent: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
