//! Revisions and the change log: a write marks what it changes as pending (revision 0) and
//! logs what it did; its commit stamps those rows with the company's next revision and writes
//! the log entries under it. The counter row is taken last, just before the commit, and held
//! until it: a company's changes commit in the order of their revisions, whatever the number
//! of concurrent writers, so a reader that follows the log never skips one.

use entity::{change, company_revision, item};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{WriteTxn, convert};
use crate::auth::Viewer;
use crate::domain::{ChangeKind, CompanyId, ItemId, ItemRef, Level, Revision, now_millis};
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

/// Where an item is: its parent (a folder id or a drive key), its folders above, and whether
/// who reads the parent reads the item (its `folder` entry above `none`).
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub parent: String,
    pub path: String,
    pub inherits: bool,
}

impl From<&item::Model> for Place {
    fn from(row: &item::Model) -> Self {
        Self {
            parent: row.parent_id.clone(),
            path: row.path.clone(),
            inherits: convert::parse_level(&row.folder_level) > Level::None,
        }
    }
}

/// A change to log, written at commit under its transaction's revision.
#[derive(Clone, Debug)]
pub(super) struct Logged {
    kind: ChangeKind,
    item: Uuid,
    before: Option<Place>,
    after: Option<Place>,
    revoked: Vec<String>,
    actor: String,
}

impl Logged {
    /// `kind` done to `item` by `viewer`.
    pub fn new(kind: ChangeKind, item: Uuid, viewer: &Viewer) -> Self {
        Self {
            kind,
            item,
            before: None,
            after: None,
            revoked: Vec::new(),
            actor: viewer.user_id.to_string(),
        }
    }

    /// Where the item was before the change.
    pub fn from(mut self, place: impl Into<Option<Place>>) -> Self {
        self.before = place.into();
        self
    }

    /// Where the item is after the change.
    pub fn to(mut self, place: impl Into<Option<Place>>) -> Self {
        self.after = place.into();
        self
    }

    /// A change that leaves the item where it is (`row`'s place).
    pub fn in_place(self, row: &item::Model) -> Self {
        let place = Place::from(row);
        self.from(place.clone()).to(place)
    }

    /// The item whose words (name, description, tags, content) the change may have changed.
    pub fn changes_words(&self) -> Option<Uuid> {
        self.kind.may_change_words().then_some(self.item)
    }

    /// Whether the change gave the item new content (to read for search).
    pub fn adds_content(&self) -> bool {
        matches!(self.kind, ChangeKind::VersionAdded | ChangeKind::Created)
    }

    /// The entries (`entry_key`) the change took off the item.
    pub fn revoking(mut self, entries: Vec<String>) -> Self {
        self.revoked = entries;
        self
    }
}

/// How the log names an access entry a change took off an item: `kind:subject`.
pub(super) fn entry_key(kind: &str, subject: &str) -> String {
    format!("{kind}:{subject}")
}

/// Logs a change in the transaction that makes it.
pub(super) fn log(txn: &WriteTxn, company: CompanyId, logged: Logged) {
    txn.changes_company(company);
    txn.log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(logged);
}

/// Gives what this transaction marked the company's next revision and writes its log
/// entries under it: three statements, run by `WriteTxn::commit` just before it commits.
pub(super) async fn stamp<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    logged: Vec<Logged>,
) -> AppResult<Revision> {
    // Rows stored before revisions carry 1: a company's first counted change is 2.
    let counter = company_revision::Entity::insert(company_revision::ActiveModel {
        company_id: sea_orm::Set(company.0),
        revision: sea_orm::Set(2),
        pruned_through: sea_orm::Set(0),
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
    if !logged.is_empty() {
        let at = now_millis();
        let rows = logged.into_iter().zip(0..).map(|(logged, ordinal)| {
            let seen_from_parent = logged.before.as_ref().is_some_and(|place| place.inherits);
            let (parent_before, path_before) = split(logged.before);
            let (parent_after, path_after) = split(logged.after);
            change::ActiveModel {
                company_id: sea_orm::Set(company.0),
                revision: sea_orm::Set(revision.0),
                ordinal: sea_orm::Set(ordinal),
                kind: sea_orm::Set(logged.kind.as_str().to_owned()),
                item_id: sea_orm::Set(logged.item),
                parent_before: sea_orm::Set(parent_before),
                path_before: sea_orm::Set(path_before),
                parent_after: sea_orm::Set(parent_after),
                path_after: sea_orm::Set(path_after),
                revoked: sea_orm::Set(serde_json::json!(logged.revoked)),
                actor: sea_orm::Set(logged.actor),
                at: sea_orm::Set(at),
                seen_from_parent: sea_orm::Set(seen_from_parent),
            }
        });
        change::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(revision)
}

fn split(place: Option<Place>) -> (Option<String>, Option<String>) {
    match place {
        Some(Place { parent, path, .. }) => (Some(parent), Some(path)),
        None => (None, None),
    }
}
