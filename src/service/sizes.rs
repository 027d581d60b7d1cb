//! Folder sizes, kept right in the transaction of the change that alters them.

use std::collections::HashMap;

use entity::item;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::access::path_ids;
use super::revisions;
use crate::error::AppResult;

/// The stored ancestors of a row, by id (writes locked them first: `locks::places`).
pub(super) async fn ancestors<C: ConnectionTrait>(
    db: &C,
    row: &item::Model,
) -> AppResult<HashMap<Uuid, item::Model>> {
    let ids: Vec<Uuid> = path_ids(&row.path).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(item::Entity::find()
        .filter(item::Column::CompanyId.eq(row.company_id))
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The folders whose size includes `row`: its ancestors, nearest first, up to and including
/// the first trashed one (a trashed folder's size no longer counts in its parent). None when
/// the row itself is trashed.
pub(super) fn counting_folders(
    row: &item::Model,
    ancestors: &HashMap<Uuid, item::Model>,
) -> Vec<Uuid> {
    if row.is_in_trash {
        return Vec::new();
    }
    let mut folders = Vec::new();
    for id in path_ids(&row.path).rev() {
        folders.push(id);
        if ancestors.get(&id).is_some_and(|a| a.is_in_trash) {
            break;
        }
    }
    folders
}

/// Adds `delta` bytes to each folder, in one statement, marking them changed (the write
/// that calls this has claimed what it changes: `revisions`).
pub(super) async fn add_to_folders<C: ConnectionTrait>(
    db: &C,
    folders: Vec<Uuid>,
    delta: i64,
) -> AppResult<()> {
    if folders.is_empty() || delta == 0 {
        return Ok(());
    }
    item::Entity::update_many()
        .col_expr(item::Column::Size, Expr::col(item::Column::Size).add(delta))
        .col_expr(item::Column::Revision, Expr::value(revisions::PENDING))
        .filter(item::Column::Id.is_in(folders))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds `delta` bytes to the folders whose size counts `row` (see `counting_folders`).
pub(super) async fn add_to_counting_folders<C: ConnectionTrait>(
    db: &C,
    row: &item::Model,
    delta: i64,
) -> AppResult<()> {
    let ancestors = ancestors(db, row).await?;
    add_to_folders(db, counting_folders(row, &ancestors), delta).await
}
