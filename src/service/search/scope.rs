//! The scoping rule of `access` as one SQL condition on `items`, for queries whose page must
//! be full (search): a row is kept when the viewer could open it. It states the rule the way
//! `access::scope_with` computes it, top-down, as "some grant above reaches the row":
//!
//! - a drive the viewer sees whole (admins the Shared Drive, owners their own drive), or
//! - the Shared Drive readable to the viewer, with no `folder: none` cut on the way down, or
//! - an entry that applies to the viewer on the row or a folder above it, at or below the
//!   deepest cut on the way down, or
//! - the viewer's live public link on the row or a folder above it, at or below that cut;
//!
//! and neither the row nor a folder above it is in the trash. The folders above a row are
//! read from its `path` (PostgreSQL splits it into an array, SQLite through `json_each`), and
//! probed in two indexes that hold only the trashed and the cutting items, so each row costs
//! as many probes of those small indexes as it is deep. A viewer who reads no drive
//! whole (a guest, a tab holder, a link visitor) is first narrowed to the subtrees of their
//! entries and link, by `path` ranges, so their search never walks the company row by row.

use entity::{grant, item};
use sea_orm::sea_query::{Alias, Condition, Expr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, JoinType, QueryFilter, QuerySelect,
};

use super::super::{access, convert, public_links, subtree};
use crate::auth::Viewer;
use crate::domain::{CompanyId, Level};
use crate::error::AppResult;

/// The stored levels that give read (what `convert::parse_level` reads as `read` or more):
/// anything else, `none` or unknown, gives nothing, as in memory.
const READABLE: &str = "'read', 'write', 'manage'";

/// The ids of the row and of the folders above it, as a subquery on the outer `items` row.
fn row_and_above(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Sqlite => {
            "(SELECT unhex(replace(value, '-', '')) FROM json_each('[\"' || \
             replace(trim(items.path, '/'), '/', '\",\"') || '\"]') UNION ALL SELECT items.id)"
        }
        _ => {
            "(SELECT unnest(string_to_array(trim(both '/' from items.path), '/')::uuid[]) \
             UNION ALL SELECT items.id)"
        }
    }
}

/// The folders above a row are probed in the index that holds only the folders in question
/// (the migration `scope_indexes`): PostgreSQL's planner finds it; SQLite's, without
/// statistics, takes the primary key's and reads each folder's row, so it is told.
fn indexed_by(backend: DatabaseBackend, index: &str) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!(" INDEXED BY {index}"),
        _ => String::new(),
    }
}

/// The placeholder of a custom expression's one value (sea-query reads `?` for SQLite,
/// `$1` for PostgreSQL).
pub(super) fn one_value(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Sqlite => "?",
        _ => "$1",
    }
}

/// The most subtrees a viewer who reads nothing whole is narrowed to (`narrowed_to`); one who
/// holds more entries is not narrowed (the condition alone decides, row by row).
const MAX_NARROWING: u64 = 200;

/// The condition that keeps the rows of `company` the viewer could open, or `None` when they
/// could open none. One statement for a viewer who is neither an admin nor a visitor (their
/// level on the Shared Drive), one for a visitor (its link's item), one more for a viewer who
/// reads no drive whole (the items their entries are on).
pub(super) async fn readable<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
) -> AppResult<Option<Condition>> {
    let backend = db.get_database_backend();
    let above = row_and_above(backend);
    let value = one_value(backend);
    let cut = format!(
        "(SELECT max(length(cut.path)) FROM items AS cut{} \
         WHERE cut.id IN {above} AND cut.folder_level NOT IN ({READABLE}))",
        indexed_by(backend, "items_cutting"),
    );
    let mut reaches = Condition::any();
    let mut any = false;

    let whole: Vec<String> = ["root".to_owned(), convert::user_drive(&viewer.user_id)]
        .into_iter()
        .filter(|drive| access::sees_whole_drive(viewer, company, drive))
        .collect();
    let admin = whole.iter().any(|drive| drive == "root");
    let mut reads_a_drive = !whole.is_empty();
    if !whole.is_empty() {
        reaches = reaches.add(item::Column::Drive.is_in(whole));
        any = true;
    }
    if !admin && !viewer.is_visitor() {
        let (root, _) = access::root_level(db, viewer, company).await?;
        if root >= Level::Read {
            reaches = reaches.add(
                Condition::all()
                    .add(item::Column::Drive.eq("root"))
                    .add(Expr::cust(format!("{cut} IS NULL"))),
            );
            any = true;
            reads_a_drive = true;
        }
    }
    let holds_entries = !access::held_entries(viewer, company).is_empty();
    if holds_entries {
        reaches = reaches.add(Expr::exists(
            granted(viewer, company)
                .expr(Expr::val(1))
                .join_as(
                    JoinType::InnerJoin,
                    item::Entity,
                    Alias::new("source"),
                    Expr::cust("source.id = grants.item_id"),
                )
                .and_where(Expr::cust(format!("grants.item_id IN {above}")))
                .and_where(Expr::cust(format!(
                    "length(source.path) >= COALESCE({cut}, 0)"
                )))
                .to_owned(),
        ));
        any = true;
    }
    let link = live_link(db, viewer, company).await?;
    if let Some(link) = &link {
        reaches = reaches.add(
            Condition::all()
                .add(Expr::cust_with_values(
                    format!("{value} IN {above}"),
                    [link.id],
                ))
                .add(Expr::cust_with_values(
                    format!("COALESCE({cut}, 0) <= {value}"),
                    [link.path.len() as i64],
                )),
        );
        any = true;
    }
    if !any {
        return Ok(None);
    }
    // A count, not `NOT EXISTS`: PostgreSQL turns the latter into an anti-join over every
    // trashed item of the database, once per row.
    let outside_the_trash: SimpleExpr = Expr::cust(format!(
        "(SELECT count(*) FROM items AS above{} \
         WHERE above.id IN {above} AND above.is_in_trash) = 0",
        indexed_by(backend, "items_in_trash"),
    ));
    let mut kept = Condition::all()
        .add(item::Column::IsInTrash.eq(false))
        .add(outside_the_trash)
        .add(reaches);
    // A viewer who reads no drive whole reads only under their entries and their link: the
    // rows are narrowed to those subtrees first, by `path` ranges an index reads, so a
    // visitor's or a guest's search never walks the whole company row by row.
    if !reads_a_drive {
        let mut subtrees: Vec<item::Model> = link.into_iter().collect();
        if holds_entries {
            let tops = item::Entity::find()
                .filter(item::Column::CompanyId.eq(company.0))
                .filter(
                    item::Column::Id.in_subquery(
                        granted(viewer, company)
                            .column(grant::Column::ItemId)
                            .to_owned(),
                    ),
                )
                .limit(MAX_NARROWING + 1)
                .all(db)
                .await?;
            if tops.len() as u64 > MAX_NARROWING {
                return Ok(Some(kept));
            }
            subtrees.extend(tops);
        }
        if subtrees.is_empty() {
            return Ok(None);
        }
        kept = kept.add(
            subtrees
                .iter()
                .fold(Condition::any(), |any, top| any.add(subtree::whole(top))),
        );
    }
    Ok(Some(kept))
}

/// The entries that apply to the viewer and give at least read.
fn granted(viewer: &Viewer, company: CompanyId) -> SelectStatement {
    Query::select()
        .from(grant::Entity)
        .cond_where(access::viewer_grants(viewer, company))
        .and_where(Expr::cust(format!("grants.level IN ({READABLE})")))
        .to_owned()
}

/// The item of the viewer's public link in `company`, while the link is live.
async fn live_link<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
) -> AppResult<Option<item::Model>> {
    let Some(grant) = viewer.public.as_ref().filter(|g| g.company == company) else {
        return Ok(None);
    };
    let row = item::Entity::find_by_id(grant.item.0).one(db).await?;
    Ok(row.filter(|row| row.company_id == company.0 && public_links::is_live(row, grant)))
}
