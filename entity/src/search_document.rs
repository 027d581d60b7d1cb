//! An item's words as search matches them: folded names, descriptions and tags (`meta`) and
//! the text extracted from its content (`body`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub doc_id: i64,
    #[sea_orm(unique)]
    pub item_id: Uuid,
    pub company_id: Uuid,
    pub meta: String,
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
