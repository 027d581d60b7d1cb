//! Whole subtrees through the materialised `path`: moving and deleting them in one statement each.

use entity::{grant, item, search_document, tab, version};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::content;

use crate::error::AppResult;

/// The `path` prefix every descendant of `row` has.
pub(super) fn descendant_prefix(row: &item::Model) -> String {
    format!("{}{}/", row.path, row.id)
}

/// The row and everything under it: a byte range on `path` (`/` + 1 = `0`), index-friendly.
pub(super) fn whole(row: &item::Model) -> Condition {
    Condition::any()
        .add(item::Column::Id.eq(row.id))
        .add(descendants(row))
}

fn descendants(row: &item::Model) -> Condition {
    under(row.company_id, row.id, &row.path)
}

/// Everything under the item `id` of `company` whose own path is `path`.
pub(super) fn under(company: uuid::Uuid, id: uuid::Uuid, path: &str) -> Condition {
    Condition::all()
        .add(item::Column::CompanyId.eq(company))
        .add(item::Column::Path.gte(format!("{path}{id}/")))
        .add(item::Column::Path.lt(format!("{path}{id}0")))
}

/// Re-roots the descendants of `row` after it moved to `new_path` in `new_drive`.
pub(super) async fn move_descendants<C: ConnectionTrait>(
    db: &C,
    row: &item::Model,
    new_path: &str,
    new_drive: &str,
) -> AppResult<()> {
    let old_prefix = descendant_prefix(row);
    let new_prefix = format!("{new_path}{}/", row.id);
    // The old prefix ends with the moved item's own id, so it occurs once in each path.
    let rerooted = Func::cust("REPLACE")
        .arg(Expr::col(item::Column::Path))
        .arg(old_prefix)
        .arg(new_prefix);
    item::Entity::update_many()
        .col_expr(item::Column::Path, rerooted.into())
        .col_expr(item::Column::Drive, Expr::value(new_drive))
        .filter(descendants(row))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the row, everything under it, and their versions (releasing their content),
/// grants and tabs.
pub(super) async fn delete<C: ConnectionTrait>(db: &C, row: &item::Model) -> AppResult<()> {
    let ids = || {
        Query::select()
            .column(item::Column::Id)
            .from(item::Entity)
            .cond_where(whole(row))
            .to_owned()
    };
    let contents: Vec<Option<String>> = version::Entity::find()
        .select_only()
        .column(version::Column::Sha256)
        .filter(version::Column::ItemId.in_subquery(ids()))
        .into_tuple()
        .all(db)
        .await?;
    let company = crate::domain::CompanyId(row.company_id);
    content::release(db, company, contents.into_iter().flatten().collect()).await?;
    version::Entity::delete_many()
        .filter(version::Column::ItemId.in_subquery(ids()))
        .exec(db)
        .await?;
    grant::Entity::delete_many()
        .filter(grant::Column::CompanyId.eq(row.company_id))
        .filter(grant::Column::ItemId.in_subquery(ids()))
        .exec(db)
        .await?;
    search_document::Entity::delete_many()
        .filter(search_document::Column::ItemId.in_subquery(ids()))
        .exec(db)
        .await?;
    tab::Entity::delete_many()
        .filter(tab::Column::CompanyId.eq(row.company_id))
        .filter(tab::Column::ItemId.in_subquery(ids()))
        .exec(db)
        .await?;
    item::Entity::delete_many()
        .filter(whole(row))
        .exec(db)
        .await?;
    Ok(())
}
