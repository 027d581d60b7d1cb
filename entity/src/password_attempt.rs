//! Wrong public-link passwords of one bucket (a link and a client address).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_attempts")]
pub struct Model {
    /// `<link token hash>/<client address>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: String,
    /// Wrong passwords in a row.
    pub failures: i64,
    /// Milliseconds since the epoch before which no attempt may run (one in flight holds it).
    pub next_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
