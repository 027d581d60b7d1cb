//! A file uploaded through the files service, before (and after) items use it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    /// The uploader: the only one who may use it before an item does.
    pub owner: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    /// Whether this upload still holds a reference on its blob (until a version takes it).
    pub holds_ref: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
