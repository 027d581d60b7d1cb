//! The change feed: a company's log read from a cursor in bounded windows, each change shown
//! as the viewer may see it now, and the log pruned past its retention.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entity::{change, company_revision, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::access::{self, ROOT_KEY, Snapshot, SnapshotView};
use super::{Service, convert, items};
use crate::auth::Viewer;
use crate::domain::{
    Change, ChangeCursor, ChangeKind, ChangePage, CompanyId, Item, ItemRef, User, now_millis,
};
use crate::error::{AppError, AppResult};

/// The most log entries one page reads, shown or not: a page costs the same whatever the
/// viewer may see of the company.
pub const MAX_WINDOW: u64 = 1_000;

/// The folder or drive a logged item was in before the change (after it, for a creation).
fn logged_parent(row: &change::Model) -> Option<&str> {
    row.parent_before.as_deref().or(row.parent_after.as_deref())
}

/// Where a viewer who cannot read a changed item must read to be told of the change: the
/// item's folder, or the Shared Drive for a change to the Shared Drive's own list.
fn place_watched(row: &change::Model) -> Option<&str> {
    match row.item_id {
        ROOT_KEY => Some("root"),
        _ => logged_parent(row),
    }
}

/// A company's head revision (every change up to it committed) and how far its log was
/// pruned (0 for nothing).
pub(super) async fn counter<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
) -> AppResult<(i64, i64)> {
    let counter = company_revision::Entity::find_by_id(company.0)
        .one(db)
        .await?;
    Ok(counter.map_or((1, 0), |c| (c.revision, c.pruned_through)))
}

/// Refuses a cursor past the head: it comes from another company's feed, or was made up,
/// and following it would skip what comes until the log reaches it.
pub(super) fn not_past(cursor: ChangeCursor, head: i64) -> AppResult<()> {
    if cursor.revision > head {
        return Err(AppError::bad_input(
            "this cursor is past the head of this company's feed: it comes from elsewhere",
        ));
    }
    Ok(())
}

/// Up to `limit` log entries of `company` after `cursor`, in log order.
pub(super) async fn read_after<C: ConnectionTrait>(
    db: &C,
    company: Uuid,
    cursor: ChangeCursor,
    limit: u64,
) -> AppResult<Vec<change::Model>> {
    Ok(change::Entity::find()
        .filter(change::Column::CompanyId.eq(company))
        .filter(
            Condition::any()
                .add(change::Column::Revision.gt(cursor.revision))
                .add(
                    Condition::all()
                        .add(change::Column::Revision.eq(cursor.revision))
                        .add(change::Column::Ordinal.gt(cursor.ordinal)),
                ),
        )
        .order_by_asc(change::Column::Revision)
        .order_by_asc(change::Column::Ordinal)
        .limit(limit)
        .all(db)
        .await?)
}

/// Where a log entry is in its company's log.
pub(super) fn cursor_of(row: &change::Model) -> ChangeCursor {
    ChangeCursor {
        revision: row.revision,
        ordinal: row.ordinal,
    }
}

/// Whether a cursor points into what was pruned (through revision `pruned`, 0 for nothing):
/// before the end of the last pruned revision.
fn expired(cursor: ChangeCursor, pruned: i64) -> bool {
    pruned > 0 && cursor < ChangeCursor::after_revision(pruned)
}

/// What part of a company's log a reader follows.
#[derive(Clone, Debug)]
pub(super) enum Scope {
    /// All of it.
    Company,
    /// What happens to a folder and everything under it (what moves in or out included).
    Subtree(Uuid),
}

impl Scope {
    pub(super) fn holds(&self, row: &change::Model) -> bool {
        match self {
            Self::Company => true,
            Self::Subtree(folder) => {
                let segment = format!("/{folder}/");
                row.item_id == *folder
                    || [&row.path_before, &row.path_after]
                        .into_iter()
                        .flatten()
                        .any(|path| path.contains(&segment))
            }
        }
    }
}

impl Service {
    fn cursor_expired(&self) -> AppError {
        AppError::CursorExpired(format!(
            "the change feed keeps {} days of changes; this cursor is older: read the drive again and follow from a new cursor",
            self.changes_retention_days
        ))
    }

    /// Up to `first` changes after `after` (from the oldest kept when `None`) that the viewer
    /// may see, in commit order. A change to an item they may read comes with the item as it
    /// is now; one to an item that left their sight (trashed out of it, deleted, moved out,
    /// unshared) comes once, as a removal with its id only: when they could read where it
    /// was, or lost an entry on it. Reads at most `MAX_WINDOW` entries: a page may hold fewer
    /// than `first` changes while more follow. A cursor older than the retention is 410.
    pub async fn changes(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        after: Option<ChangeCursor>,
        first: u64,
    ) -> AppResult<ChangePage> {
        self.changes_in(viewer, company, &Scope::Company, after, first)
            .await
    }

    /// `changes`, of what happens in `scope` only.
    pub(super) async fn changes_in(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        scope: &Scope,
        after: Option<ChangeCursor>,
        first: u64,
    ) -> AppResult<ChangePage> {
        viewer.may_be_in(company)?;
        if !(1..=MAX_WINDOW).contains(&first) {
            return Err(AppError::bad_input(format!(
                "first must be 1 to {MAX_WINDOW}"
            )));
        }
        // The head first: what a later read of the log shows includes every change up to it.
        let (head, pruned) = counter(self.db(), company).await?;
        let start = after.unwrap_or_default();
        if after.is_some() && expired(start, pruned) {
            return Err(self.cursor_expired());
        }
        not_past(start, head)?;
        let rows = read_after(self.db(), company.0, start, first).await?;
        // A prune that committed between the head and the scan may have taken rows the scan
        // should have shown: such a cursor is expired, as the next read would say.
        if after.is_some() {
            let (_, now_pruned) = counter(self.db(), company).await?;
            if now_pruned != pruned && expired(start, now_pruned) {
                return Err(self.cursor_expired());
            }
        }
        let has_more = rows.len() as u64 == first;
        let end = match rows.last() {
            Some(last) if has_more => cursor_of(last),
            // The whole log was read: past everything up to the head.
            Some(last) => ChangeCursor::after_revision(last.revision.max(head)),
            None => ChangeCursor::after_revision(head.max(start.revision)),
        };
        let rows: Vec<change::Model> = rows.into_iter().filter(|row| scope.holds(row)).collect();
        let changes = as_seen(&self.sight(company, &rows).await?, viewer, company, &rows);
        Ok(ChangePage {
            changes,
            end,
            has_more,
        })
    }

    /// What showing `rows` to any viewer needs, read once: three statements whatever their
    /// number (`feed::a_page_costs_the_same_whatever_it_holds`), four with a change to the
    /// Shared Drive's list.
    pub(super) async fn sight(
        &self,
        company: CompanyId,
        rows: &[change::Model],
    ) -> AppResult<Sight> {
        let db = self.db();
        let ids: Vec<Uuid> = rows
            .iter()
            .filter(|row| row.item_id != ROOT_KEY)
            .flat_map(|row| {
                let place = place_watched(row).and_then(|p| Uuid::parse_str(p).ok());
                [Some(row.item_id), place]
            })
            .flatten()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let snapshot = Snapshot::load(db, company, &ids).await?;
        let actors: HashSet<&str> = rows.iter().map(|row| row.actor.as_str()).collect();
        let actors = if actors.is_empty() {
            HashMap::new()
        } else {
            user::Entity::find()
                .filter(user::Column::Id.is_in(actors))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.id.clone(), Arc::new(convert::user(row))))
                .collect()
        };
        let shared_drive_size = match rows.iter().any(|row| row.item_id == ROOT_KEY) {
            true => Some(items::drive_size(db, company, "root").await?),
            false => None,
        };
        Ok(Sight {
            snapshot,
            actors,
            shared_drive_size,
        })
    }
}

/// What a window of the log needs to be shown to any viewer, read once (`Service::sight`):
/// each viewer's view of it is evaluated in memory (`as_seen`).
pub(super) struct Sight {
    snapshot: Snapshot,
    actors: HashMap<String, Arc<User>>,
    /// The Shared Drive's size, when a change to its list is among the rows.
    shared_drive_size: Option<i64>,
}

impl Sight {
    /// A drive's top as the viewer may read it (`items::special_level`).
    fn top(
        &self,
        view: &SnapshotView,
        viewer: &Viewer,
        company: CompanyId,
        top: &ItemRef,
    ) -> Option<Item> {
        let (root, list) = view.root();
        let granted = items::special_level(viewer, company, top, Some(root))?;
        let (size, list) = match top {
            ItemRef::Root => (self.shared_drive_size.unwrap_or(0), list),
            _ => (0, Arc::from(Vec::new())),
        };
        Some(convert::special_folder(
            company,
            top.clone(),
            granted,
            size,
            list,
        ))
    }
}

/// Log entries as the viewer may see them, from what `sight` read for them (or for more).
pub(super) fn as_seen(
    sight: &Sight,
    viewer: &Viewer,
    company: CompanyId,
    rows: &[change::Model],
) -> Vec<Change> {
    let stored: Vec<Uuid> = rows
        .iter()
        .map(|row| row.item_id)
        .filter(|id| *id != ROOT_KEY)
        .collect();
    let view = sight.snapshot.seen_by(viewer, company);
    let readable: HashMap<Uuid, Item> = view
        .readable(&stored)
        .into_iter()
        .map(|(item, row)| (row.id, item))
        .collect();
    // Where what they can no longer read was: whether they may read there.
    let places: HashSet<&str> = rows
        .iter()
        .filter(|row| row.item_id == ROOT_KEY || !readable.contains_key(&row.item_id))
        .filter_map(place_watched)
        .collect();
    let folders: Vec<Uuid> = places
        .iter()
        .filter_map(|place| Uuid::parse_str(place).ok())
        .collect();
    let mut readable_places: HashSet<String> = view
        .readable(&folders)
        .into_iter()
        .map(|(_, row)| row.id.to_string())
        .collect();
    let mut shared_drive = None;
    for place in places.iter().filter(|p| Uuid::parse_str(p).is_err()) {
        let Ok(top) = ItemRef::parse(place) else {
            continue;
        };
        if let Some(item) = sight.top(&view, viewer, company, &top) {
            readable_places.insert((*place).to_owned());
            if top == ItemRef::Root {
                shared_drive = Some(item);
            }
        }
    }
    let held = access::held_entries(viewer, company);

    let mut seen = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(kind) = ChangeKind::parse(&row.kind) else {
            continue;
        };
        let (item_id, item) = match row.item_id {
            ROOT_KEY => (ItemRef::Root, shared_drive.clone()),
            id => (
                ItemRef::Item(crate::domain::ItemId(id)),
                readable.get(&id).cloned(),
            ),
        };
        let parent_id = match &item {
            Some(item) => item.parent_id.clone(),
            None => {
                // A removal goes to who could read the item before the change: who read
                // its folder when it was seen from there, or held an entry it took off.
                let watched = place_watched(row).filter(|place| readable_places.contains(*place));
                let seen_from_folder =
                    kind.may_hide_from_folder() && row.seen_from_parent && watched.is_some();
                let revoked: Vec<String> =
                    serde_json::from_value(row.revoked.clone()).unwrap_or_default();
                let lost_an_entry = revoked.iter().any(|entry| held.contains(entry));
                if !(seen_from_folder || lost_an_entry) {
                    continue;
                }
                // Where it was, if they may still read there.
                watched
                    .and_then(|_| logged_parent(row))
                    .and_then(|parent| ItemRef::parse(parent).ok())
            }
        };
        // Who made a change is for who may read the item, never for a link visitor.
        let actor = (item.is_some() && !viewer.is_visitor()).then(|| {
            sight.actors.get(&row.actor).cloned().unwrap_or_else(|| {
                Arc::new(User {
                    id: row.actor.clone(),
                    name: None,
                    email: None,
                })
            })
        });
        seen.push(Change {
            cursor: cursor_of(row),
            kind,
            company_id: company,
            item_id,
            item,
            parent_id,
            at: row.at,
            actor,
        });
    }
    seen
}

impl Service {
    /// Drops the changes older than the retention, remembering per company how far its log
    /// was pruned (so that an older cursor answers `CURSOR_EXPIRED` rather than skip them).
    /// Returns how many were dropped.
    pub async fn prune_changes(&self) -> AppResult<u64> {
        let days = i64::try_from(self.changes_retention_days).unwrap_or(i64::MAX / 86_400_000);
        let cutoff = now_millis().saturating_sub(days.saturating_mul(86_400_000));
        let pruned: Vec<(Uuid, Option<i64>)> = change::Entity::find()
            .select_only()
            .column(change::Column::CompanyId)
            .column_as(change::Column::Revision.max(), "through")
            .filter(change::Column::At.lt(cutoff))
            .group_by(change::Column::CompanyId)
            .into_tuple()
            .all(self.db())
            .await?;
        let mut removed = 0;
        // One company at a time: no write waits on another company's prune.
        for (company, through) in pruned {
            let Some(through) = through else { continue };
            let txn = self.write().await?;
            // What is left is newer than anything pruned before: `through` only grows.
            company_revision::Entity::update_many()
                .col_expr(
                    company_revision::Column::PrunedThrough,
                    Expr::value(through),
                )
                .filter(company_revision::Column::CompanyId.eq(company))
                .filter(company_revision::Column::PrunedThrough.lt(through))
                .exec(&*txn)
                .await?;
            removed += change::Entity::delete_many()
                .filter(change::Column::CompanyId.eq(company))
                .filter(change::Column::Revision.lte(through))
                .exec(&*txn)
                .await?
                .rows_affected;
            txn.commit().await?;
        }
        Ok(removed)
    }
}
