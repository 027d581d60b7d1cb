//! Revisions: a write marks what it changes as pending (revision 0), and its commit stamps
//! those rows with the company's next revision. The counter row is taken last, just before
//! the commit, and held until it: a company's changes commit in the order of their revisions,
//! whatever the number of concurrent writers.

use entity::{company_revision, item};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::WriteTxn;
use crate::domain::{CompanyId, ItemId, ItemRef, Revision};
use crate::error::{AppError, AppResult};

/// What a row a write changed carries until its transaction commits.
pub(super) const PENDING: i64 = 0;

/// Marks an item the viewer may change as changed by this write, if it is still at the
/// revision the client expected: the check is this `UPDATE`'s condition, so of two writers
/// expecting the same revision exactly one gets past it (412 for the other).
pub(super) async fn claim(
    txn: &WriteTxn,
    company: CompanyId,
    id: ItemId,
    expected: Option<Revision>,
) -> AppResult<()> {
    txn.changes_company(company);
    let mut update = item::Entity::update_many()
        .col_expr(item::Column::Revision, Expr::value(PENDING))
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::Id.eq(id.0));
    if let Some(expected) = expected {
        update = update.filter(item::Column::Revision.eq(expected.0));
    }
    if update.exec(&**txn).await?.rows_affected == 0 {
        return Err(AppError::PreconditionFailed(format!(
            "item {id} changed since revision {}; read it again",
            expected.map_or_else(String::new, |r| r.to_string())
        )));
    }
    Ok(())
}

/// The refusal of an expected revision for a special folder, which has none.
pub(super) fn no_revision(id: &ItemRef) -> AppError {
    AppError::bad_input(format!(
        "{id} is a special folder: it has no revision to expect"
    ))
}

/// Marks the folders whose listing a change shows in (a changed item's parents before and
/// after): their revision changes with their children. Drive tops have no row.
pub(super) async fn mark_parents<'a>(
    txn: &WriteTxn,
    company: CompanyId,
    parents: impl IntoIterator<Item = &'a str>,
) -> AppResult<()> {
    txn.changes_company(company);
    let folders: Vec<Uuid> = parents
        .into_iter()
        .filter_map(|parent| Uuid::parse_str(parent).ok())
        .collect();
    if folders.is_empty() {
        return Ok(());
    }
    item::Entity::update_many()
        .col_expr(item::Column::Revision, Expr::value(PENDING))
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::Id.is_in(folders))
        .exec(&**txn)
        .await?;
    Ok(())
}

/// Gives what this transaction marked the company's next revision: two statements, run by
/// `WriteTxn::commit` just before it commits.
pub(super) async fn stamp<C: ConnectionTrait>(db: &C, company: CompanyId) -> AppResult<Revision> {
    // Rows stored before revisions carry 1: a company's first counted change is 2.
    let counter = company_revision::Entity::insert(company_revision::ActiveModel {
        company_id: sea_orm::Set(company.0),
        revision: sea_orm::Set(2),
    })
    .on_conflict(
        OnConflict::column(company_revision::Column::CompanyId)
            .value(
                company_revision::Column::Revision,
                Expr::col((company_revision::Entity, company_revision::Column::Revision)).add(1),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    let revision = Revision(counter.revision);
    // `revision = 0` written out, not bound: SQLite uses the partial index only then.
    item::Entity::update_many()
        .col_expr(item::Column::Revision, Expr::value(revision.0))
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(Expr::cust("revision = 0"))
        .exec(db)
        .await?;
    Ok(revision)
}
