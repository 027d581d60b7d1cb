//! A chunked upload in progress: what was declared, and where it stands.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    /// Also the id of the file it becomes.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub owner: String,
    pub name: String,
    pub mime: String,
    pub total_size: i64,
    pub total_chunks: i32,
    /// `receiving`, then `assembling` (one request won the right to assemble it).
    pub state: String,
    pub created_at: i64,
    /// When a chunk last arrived (or an assembler last said it is still at work).
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
