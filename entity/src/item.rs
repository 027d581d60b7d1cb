//! A drive item row: a file or a folder, with its place, metadata and public link.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    /// The parent folder's id, or the drive's key (`root`, `user_<uid>`) at the top of a drive.
    pub parent_id: String,
    /// The drive the item lives in: `root` (the Shared Drive) or `user_<uid>`.
    pub drive: String,
    /// The ids of the item's folder ancestors, top-down: `/a/b/` (`/` at the top of a drive).
    pub path: String,
    pub name: String,
    /// The name folded for natural ordering (lowercase, digit runs zero-padded).
    pub sort_name: String,
    pub extension: String,
    pub description: String,
    pub tags: Json,
    pub is_directory: bool,
    /// Set on the item that was trashed only; its descendants are in the trash through it.
    pub is_in_trash: bool,
    pub creator: String,
    pub added: i64,
    pub last_modified: i64,
    pub size: i64,
    /// The `folder` access entry: the cap on what is inherited from the parent.
    pub folder_level: String,
    pub public_token: Option<String>,
    pub public_level: String,
    pub public_password_hash: Option<String>,
    /// Milliseconds since the epoch; 0 = never expires.
    pub public_expiration: i64,
    /// Bumped by every change to the link: visitor tokens name the generation they came from.
    pub public_generation: i64,
    pub last_version_id: Option<Uuid>,
    /// The company revision of the item's last change; 0 while a write transaction that
    /// changed it has not committed.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
