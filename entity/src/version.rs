//! A file version row: which content an item had, from whom, and when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub company_id: Uuid,
    pub provider: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: Option<String>,
    /// The stored file this version points at (the files service's id).
    pub external_id: Option<String>,
    pub creator: String,
    pub application_id: String,
    pub date_added: i64,
    /// The most frequent words of the text extracted from the content (the reference's
    /// `content_keywords`); empty until extraction is done.
    pub content_keywords: String,
    /// Where extracting the content's text stands: `pending`, `running`, `done`, `skipped`
    /// (not a format text is read from, or too large) or `failed`.
    pub search_status: String,
    /// How often extraction was started (a version that keeps stopping it is `failed`).
    pub search_attempts: i32,
    /// When extraction was last started, in milliseconds (a claim older than its lease is
    /// taken again, after a crash).
    pub search_claimed_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
