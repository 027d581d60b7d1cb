//! Stored content, once per company and SHA-256, counted by the versions and files using it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub sha256: String,
    pub size: i64,
    /// Versions and unused uploads pointing at it; at 0 the bytes are deleted.
    pub refs: i64,
    /// Where the bytes are in the blob store.
    pub key: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
