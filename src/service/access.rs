//! The one scoping function: what a viewer may do with a set of stored items. Every read path
//! (items, children, trash, shared-with-me, nodes, downloads) starts from `scope`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entity::{grant, item};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{convert, public_links};
use crate::auth::Viewer;
use crate::domain::{AccessOrigin, AccessSource, CompanyId, EntityKind, Item, ItemId, Level};
use crate::error::AppResult;

/// The grants key of a company's Shared Drive root.
pub(super) const ROOT_KEY: Uuid = Uuid::nil();

/// Matches the access entries that apply to the viewer: their `user` entry, the `company`
/// entry when they are a member, `channel` entries of channels they are in.
pub(super) fn viewer_grants(viewer: &Viewer, company: CompanyId) -> Condition {
    let mut applies = Condition::any();
    if viewer.user_entries_apply() {
        applies = applies.add(
            Condition::all()
                .add(grant::Column::Kind.eq("user"))
                .add(grant::Column::Subject.eq(viewer.user_id.as_str())),
        );
    }
    if viewer.role(company).is_member() {
        applies = applies.add(
            Condition::all()
                .add(grant::Column::Kind.eq("company"))
                .add(grant::Column::Subject.eq(company.to_string())),
        );
    }
    let channels: Vec<&str> = viewer.channels(company).collect();
    if !channels.is_empty() {
        applies = applies.add(
            Condition::all()
                .add(grant::Column::Kind.eq("channel"))
                .add(grant::Column::Subject.is_in(channels)),
        );
    }
    Condition::all()
        .add(grant::Column::CompanyId.eq(company.0))
        .add(applies)
}

/// Whether the viewer sees everything in a drive whatever its access lists say: admins in the
/// Shared Drive, owners in their own drive.
pub(super) fn sees_whole_drive(viewer: &Viewer, company: CompanyId, drive: &str) -> bool {
    if drive == "root" {
        viewer.role(company).is_admin()
    } else {
        owns_drive(viewer, company, drive)
    }
}

/// Whether `drive` is the viewer's own personal drive: members have one, guests, link
/// visitors and tab holders have none.
pub(super) fn owns_drive(viewer: &Viewer, company: CompanyId, drive: &str) -> bool {
    drive.strip_prefix("user_") == Some(viewer.user_id.as_str()) && viewer.is_member_of(company)
}

/// Restricts a children query to the rows a viewer who can read the parent may see: those
/// inheriting something, or shared with the viewer directly. `None` when nothing is hidden.
pub(super) fn visible_children(
    viewer: &Viewer,
    company: CompanyId,
    drive: &str,
) -> Option<Condition> {
    if sees_whole_drive(viewer, company, drive) {
        return None;
    }
    let granted = Query::select()
        .column(grant::Column::ItemId)
        .from(grant::Entity)
        .cond_where(viewer_grants(viewer, company))
        .and_where(Expr::col(grant::Column::Level).ne("none"))
        .to_owned();
    Some(
        Condition::any()
            .add(item::Column::FolderLevel.ne("none"))
            .add(item::Column::Id.in_subquery(granted)),
    )
}

/// The highest level each entry gives the viewer, by item (the Shared Drive root under
/// `ROOT_KEY`), and whether the root has a `company` entry at all.
struct DirectGrants {
    levels: HashMap<Uuid, Granted>,
    root_has_company_entry: bool,
}

/// A level and where it comes from.
pub(super) type Granted = (Level, AccessOrigin);

fn nothing() -> Granted {
    (Level::None, AccessOrigin::default())
}

pub(super) fn granted(level: Level, source: AccessSource, on: Option<Uuid>) -> Granted {
    (
        level,
        AccessOrigin {
            source,
            on: on.map(ItemId),
        },
    )
}

/// The better of two grants; on a tie the first (the closer one) wins.
fn best(first: Granted, second: Granted) -> Granted {
    if second.0 > first.0 { second } else { first }
}

async fn direct_grants<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: Vec<Uuid>,
) -> AppResult<DirectGrants> {
    let rows = grant::Entity::find()
        .filter(viewer_grants(viewer, company))
        .filter(grant::Column::ItemId.is_in(ids))
        .all(db)
        .await?;
    let mut levels: HashMap<Uuid, Granted> = HashMap::new();
    let mut root_has_company_entry = false;
    for row in rows {
        if row.item_id == ROOT_KEY && row.kind == "company" {
            root_has_company_entry = true;
        }
        let Some(kind) = EntityKind::parse(&row.kind) else {
            continue;
        };
        let on = (row.item_id != ROOT_KEY).then_some(row.item_id);
        let source = if on.is_some() {
            AccessSource::Entry {
                kind,
                subject: row.subject,
            }
        } else {
            AccessSource::SharedDrive
        };
        let entry = granted(convert::parse_level(&row.level), source, on);
        let slot = levels.entry(row.item_id).or_insert_with(nothing);
        *slot = best(slot.clone(), entry);
    }
    Ok(DirectGrants {
        levels,
        root_has_company_entry,
    })
}

impl DirectGrants {
    fn root_level(&self, viewer: &Viewer, company: CompanyId) -> Granted {
        let role = viewer.role(company);
        if role.is_admin() {
            return granted(Level::Manage, AccessSource::CompanyRole, None);
        }
        let listed = self.levels.get(&ROOT_KEY).cloned().unwrap_or_else(nothing);
        // Without a `company` entry the Shared Drive is readable by members, as in the reference.
        let default = if role.is_member() && !self.root_has_company_entry {
            granted(Level::Read, AccessSource::SharedDrive, None)
        } else {
            nothing()
        };
        best(listed, default)
    }
}

/// The viewer's level on the top of a drive.
fn drive_level(viewer: &Viewer, company: CompanyId, drive: &str, root: &Granted) -> Granted {
    if drive == "root" {
        root.clone()
    } else if owns_drive(viewer, company, drive) {
        granted(Level::Manage, AccessSource::DriveOwner, None)
    } else {
        nothing()
    }
}

/// What the public link the viewer holds gives on `row`: the link's level on the link's own
/// item while it is on, unexpired and unrotated (re-checked on every use); nothing elsewhere.
fn public_level(viewer: &Viewer, row: &item::Model) -> Granted {
    match &viewer.public {
        Some(grant)
            if grant.item.0 == row.id
                && grant.company.0 == row.company_id
                && public_links::is_live(row, grant) =>
        {
            let level = convert::parse_level(&row.public_level).min(Level::Write);
            granted(level, AccessSource::PublicLink, Some(row.id))
        }
        _ => nothing(),
    }
}

/// The viewer's level on the Shared Drive root.
pub(super) async fn root_level<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
) -> AppResult<Granted> {
    if viewer.role(company).is_admin() {
        return Ok(granted(Level::Manage, AccessSource::CompanyRole, None));
    }
    let grants = direct_grants(db, viewer, company, vec![ROOT_KEY]).await?;
    Ok(grants.root_level(viewer, company))
}

/// The ancestor ids in a `path` column, top-down.
pub(super) fn path_ids(path: &str) -> impl DoubleEndedIterator<Item = Uuid> + '_ {
    path.split('/')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Uuid::parse_str(s).ok())
}

/// Evaluates the viewer's level on each row (in order), with its trash state and readable path.
/// Costs two statements whatever the number of rows: their ancestors, and the grants that
/// apply to the viewer on all of them.
pub(super) async fn scope<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    rows: Vec<item::Model>,
) -> AppResult<Vec<Item>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut known: HashMap<Uuid, item::Model> = HashMap::new();
    let mut missing: HashSet<Uuid> = HashSet::new();
    for row in &rows {
        missing.extend(path_ids(&row.path));
    }
    for row in &rows {
        missing.remove(&row.id);
        known.insert(row.id, row.clone());
    }
    if !missing.is_empty() {
        let ancestors = item::Entity::find()
            .filter(item::Column::CompanyId.eq(company.0))
            .filter(item::Column::Id.is_in(missing))
            .all(db)
            .await?;
        known.extend(ancestors.into_iter().map(|row| (row.id, row)));
    }
    let mut ids: Vec<Uuid> = known.keys().copied().collect();
    ids.push(ROOT_KEY);
    let grants = direct_grants(db, viewer, company, ids).await?;
    let root = grants.root_level(viewer, company);

    // Levels top-down: a row's parent is always shallower than the row.
    let mut by_depth: Vec<&item::Model> = known.values().collect();
    by_depth.sort_by_key(|row| row.path.len());
    let mut levels: HashMap<Uuid, Granted> = HashMap::with_capacity(by_depth.len());
    for row in by_depth {
        let level = if sees_whole_drive(viewer, company, &row.drive) {
            drive_level(viewer, company, &row.drive, &root)
        } else {
            let (parent, origin) = match path_ids(&row.path).next_back() {
                Some(parent) => levels.get(&parent).cloned().unwrap_or_else(nothing),
                None => drive_level(viewer, company, &row.drive, &root),
            };
            let inherited = (parent.min(convert::parse_level(&row.folder_level)), origin);
            let direct = grants.levels.get(&row.id).cloned().unwrap_or_else(nothing);
            best(best(direct, public_level(viewer, row)), inherited)
        };
        levels.insert(row.id, level);
    }

    let mut paths: HashMap<(String, String), Arc<[Item]>> = HashMap::new();
    let mut scoped = Vec::with_capacity(rows.len());
    for row in &rows {
        let in_trash = row.is_in_trash
            || path_ids(&row.path).any(|id| known.get(&id).is_some_and(|a| a.is_in_trash));
        let ancestors = paths
            .entry((row.drive.clone(), row.path.clone()))
            .or_insert_with(|| readable_path(viewer, company, row, &known, &levels, &root))
            .clone();
        let level = levels.get(&row.id).cloned().unwrap_or_else(nothing);
        scoped.push(convert::item(row, level, in_trash, ancestors));
    }
    Ok(scoped)
}

/// The ancestors of `row` the viewer may read, top-down, cut at the first one they may not.
fn readable_path(
    viewer: &Viewer,
    company: CompanyId,
    row: &item::Model,
    known: &HashMap<Uuid, item::Model>,
    levels: &HashMap<Uuid, Granted>,
    root: &Granted,
) -> Arc<[Item]> {
    let mut path = Vec::new();
    let ids: Vec<Uuid> = path_ids(&row.path).collect();
    for (depth, id) in ids.iter().enumerate().rev() {
        let Some(ancestor) = known.get(id) else { break };
        let level = levels.get(id).cloned().unwrap_or_else(nothing);
        if level.0 < Level::Read {
            return Arc::from(path.into_iter().rev().collect::<Vec<_>>());
        }
        let in_trash = ancestor.is_in_trash
            || ids[..depth]
                .iter()
                .any(|above| known.get(above).is_some_and(|a| a.is_in_trash));
        path.push(convert::item(
            ancestor,
            level,
            in_trash,
            Arc::from(Vec::new()),
        ));
    }
    let top = drive_level(viewer, company, &row.drive, root);
    if top.0 >= Level::Read {
        path.push(convert::special_folder(
            company,
            convert::drive_ref(&row.drive),
            top,
            0,
        ));
    }
    Arc::from(path.into_iter().rev().collect::<Vec<_>>())
}

/// The stored items among `ids` the viewer may read, with their rows, in the order of `ids`;
/// the others are left out. Three statements whatever their number.
pub(super) async fn readable_rows<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: &[Uuid],
) -> AppResult<Vec<(Item, item::Model)>> {
    let mut rows = item::Entity::find()
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    let items = scope(db, viewer, company, rows.clone()).await?;
    Ok(items
        .into_iter()
        .zip(rows)
        .filter(|(item, _)| item.level >= Level::Read)
        .collect())
}

/// For a link visitor: fails (401) unless every id is the link's item or under it.
async fn visitor_covers<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: &[Uuid],
) -> AppResult<()> {
    let Some(grant) = &viewer.public else {
        return Ok(());
    };
    if grant.company != company {
        return Err(Viewer::outside_its_link());
    }
    let places: HashMap<Uuid, String> = item::Entity::find()
        .select_only()
        .columns([item::Column::Id, item::Column::Path])
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let covered = ids.iter().all(|id| {
        *id == grant.item.0
            || places
                .get(id)
                .is_some_and(|path| path_ids(path).any(|a| a == grant.item.0))
    });
    if covered {
        Ok(())
    } else {
        Err(Viewer::outside_its_link())
    }
}

/// `readable_rows` where every id must be readable: not found names the first that is not
/// (a link visitor asking outside its link: 401).
pub(super) async fn readable_items<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: &[Uuid],
) -> AppResult<Vec<(Item, item::Model)>> {
    visitor_covers(db, viewer, company, ids).await?;
    let found = readable_rows(db, viewer, company, ids).await?;
    if let Some(missing) = ids
        .iter()
        .find(|id| !found.iter().any(|(_, row)| row.id == **id))
    {
        return Err(crate::error::AppError::not_found(format!("item {missing}")));
    }
    Ok(found)
}

/// Looks up one stored item for the viewer: not found unless they may read it.
pub(super) async fn readable_item<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    id: Uuid,
) -> AppResult<(Item, item::Model)> {
    readable_items(db, viewer, company, &[id])
        .await?
        .pop()
        .ok_or_else(|| crate::error::AppError::not_found(format!("item {id}")))
}

/// Fails with 403 unless the viewer has `needed` (they can already see the item).
pub(super) fn require(item: &Item, needed: Level, action: &str) -> AppResult<()> {
    if item.level >= needed {
        Ok(())
    } else {
        Err(crate::error::AppError::forbidden(format!(
            "{action} needs {} access to {}; you have {}",
            needed.as_str(),
            item.id,
            item.level.as_str()
        )))
    }
}
