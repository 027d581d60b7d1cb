//! The one scoping rule: what a viewer may do with a set of stored items. Every read path
//! (items, children, trash, shared-with-me, nodes, downloads, zips) goes through it: `scope`
//! for rows as they come, `readable_rows` for ids, `scope_children` for a folder's children
//! (which inherit from the parent already scoped); all three compute a row's level with
//! `Grants::row_level`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entity::{grant, item};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryResult, QuerySelect,
};
use uuid::Uuid;

use super::revisions::entry_key;
use super::rows::{self, Row};
use super::{access_list, convert, public_links};
use crate::auth::Viewer;
use crate::domain::{
    AccessEntity, AccessOrigin, AccessSource, CompanyId, EntityKind, Item, ItemId, ItemRef, Level,
};
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

/// The entries `viewer_grants` matches, as the change log names them (`revisions::entry_key`).
pub(super) fn held_entries(viewer: &Viewer, company: CompanyId) -> HashSet<String> {
    let mut held = HashSet::new();
    if viewer.user_entries_apply() {
        held.insert(entry_key("user", viewer.user_id.as_str()));
    }
    if viewer.role(company).is_member() {
        held.insert(entry_key("company", &company.to_string()));
    }
    held.extend(viewer.channels(company).map(|c| entry_key("channel", c)));
    held
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
///
/// The entries are probed row by row (`EXISTS`, by the entries' key), only for the rows that
/// inherit nothing. Matching the rows against all the viewer's entries (`IN`) read every entry
/// they hold in the company as soon as one row inherited nothing, and a creator holds one per
/// item: 210–310 ms a page for a million of them, against 0.6 ms (BENCHMARKS.md, issue 14).
/// PostgreSQL may still turn an `EXISTS` into that list, hashed, when its estimates favour it,
/// and a generic plan (`postgres_plans`) estimates for an average viewer, not one who holds a
/// million entries: an `OFFSET` is the planner's fence against it (SQLite wants a `LIMIT` with
/// it; one row is all an `EXISTS` reads).
pub(super) fn visible_children(
    viewer: &Viewer,
    company: CompanyId,
    drive: &str,
) -> Option<Condition> {
    if sees_whole_drive(viewer, company, drive) {
        return None;
    }
    let granted = Query::select()
        .expr(Expr::cust("1"))
        .from(grant::Entity)
        .cond_where(viewer_grants(viewer, company))
        .and_where(
            Expr::col((grant::Entity, grant::Column::ItemId))
                .equals((item::Entity, item::Column::Id)),
        )
        .and_where(Expr::col(grant::Column::Level).ne("none"))
        .limit(1)
        .offset(0)
        .to_owned();
    Some(
        Condition::any()
            .add(item::Column::FolderLevel.ne("none"))
            .add(Expr::exists(granted)),
    )
}

/// What the entries on a set of items say: the highest level each gives the viewer, by item
/// (the Shared Drive root under `ROOT_KEY`), and every item's stored entries.
struct Grants {
    levels: HashMap<Uuid, Granted>,
    stored: HashMap<Uuid, Vec<grant::Model>>,
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

/// A stored entry, and whether it applies to the viewer.
struct GrantRow {
    grant: grant::Model,
    applies: bool,
}

impl FromQueryResult for GrantRow {
    /// By position (`rows::Columns`): the entry's columns in `grant::Column` order, as
    /// `grant::Entity::find()` selects them, then `applies`.
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        let mut at = rows::Columns::new(res);
        let row = Self {
            grant: grant::Model {
                company_id: at.take()?,
                item_id: at.take()?,
                kind: at.take()?,
                subject: at.take()?,
                level: at.take()?,
                grantor: at.take()?,
            },
            applies: at.take()?,
        };
        at.all_read(<grant::Column as sea_orm::Iterable>::iter().count() + 1);
        Ok(row)
    }
}

/// Every entry on `ids` in one statement, each marked with whether it applies to the viewer.
async fn grants_on<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: Vec<Uuid>,
) -> AppResult<Grants> {
    let rows = grant::Entity::find()
        .expr_as(
            Expr::case(viewer_grants(viewer, company), true).finally(false),
            "applies",
        )
        .filter(grant::Column::CompanyId.eq(company.0))
        .filter(on_items(db.get_database_backend(), ids))
        .order_by_asc(grant::Column::Kind)
        .order_by_asc(grant::Column::Subject)
        .into_model::<GrantRow>()
        .all(db)
        .await?;
    Ok(Grants::from_rows(
        rows.into_iter().map(|row| (row.grant, row.applies)),
    ))
}

/// From how many items PostgreSQL reads their entries with one array parameter.
const ARRAY_FROM: usize = 17;

/// Entries on `ids`: an `IN` list, or on PostgreSQL one array parameter for a long list.
///
/// Each length of `IN` list is a statement of its own, whose plan PostgreSQL keeps; a page's
/// 100 items were planned again on every call (~0.2 ms). One array statement for every length
/// gets custom plans, which cost the short lists (a file's few folders) their kept plan
/// (~0.1 ms each time; BENCHMARKS.md, issue 14). So only long lists share the array's.
fn on_items(backend: DatabaseBackend, ids: Vec<Uuid>) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres if ids.len() >= ARRAY_FROM => {
            Expr::cust_with_values(r#""grants"."item_id" = ANY($1)"#, [ids])
        }
        _ => grant::Column::ItemId.is_in(ids),
    }
}

impl Grants {
    /// The entries read, each with whether it applies to the viewer.
    fn from_rows(rows: impl IntoIterator<Item = (grant::Model, bool)>) -> Self {
        let mut grants = Grants {
            levels: HashMap::new(),
            stored: HashMap::new(),
        };
        for (row, applies) in rows {
            if let (true, Some(kind)) = (applies, EntityKind::parse(&row.kind)) {
                let on = (row.item_id != ROOT_KEY).then_some(row.item_id);
                let source = if on.is_some() {
                    AccessSource::Entry {
                        kind,
                        subject: row.subject.clone(),
                    }
                } else {
                    AccessSource::SharedDrive
                };
                let entry = granted(convert::parse_level(&row.level), source, on);
                let slot = grants.levels.entry(row.item_id).or_insert_with(nothing);
                *slot = best(slot.clone(), entry);
            }
            grants.stored.entry(row.item_id).or_default().push(row);
        }
        grants
    }

    fn root_level(&self, viewer: &Viewer, company: CompanyId) -> Granted {
        let role = viewer.role(company);
        if role.is_admin() {
            return granted(Level::Manage, AccessSource::CompanyRole, None);
        }
        let listed = self.levels.get(&ROOT_KEY).cloned().unwrap_or_else(nothing);
        // Without a `company` entry the Shared Drive is readable by members, as in the reference.
        let root_has_company_entry = self
            .stored
            .get(&ROOT_KEY)
            .is_some_and(|entries| entries.iter().any(|entry| entry.kind == "company"));
        let default = if role.is_member() && !root_has_company_entry {
            granted(Level::Read, AccessSource::SharedDrive, None)
        } else {
            nothing()
        };
        best(listed, default)
    }

    /// The access list of the item stored under `key`.
    fn list(&self, company: CompanyId, key: Uuid) -> Arc<[AccessEntity]> {
        let stored = self.stored.get(&key).map_or(&[][..], Vec::as_slice);
        Arc::from(access_list::shown_list(company, key, stored))
    }

    /// The viewer's level on a row below a folder where they have `parent`: the best of what
    /// its entries give them directly, what their link gives, and what it inherits.
    fn row_level(&self, viewer: &Viewer, row: &item::Model, parent: Granted) -> Granted {
        let inherited = (
            parent.0.min(convert::parse_level(&row.folder_level)),
            parent.1,
        );
        let direct = self.levels.get(&row.id).cloned().unwrap_or_else(nothing);
        best(best(direct, public_level(viewer, row)), inherited)
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

/// The viewer's level on the Shared Drive root (no statement for admins).
pub(super) async fn root_level<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
) -> AppResult<Granted> {
    if viewer.role(company).is_admin() {
        return Ok(granted(Level::Manage, AccessSource::CompanyRole, None));
    }
    Ok(root_with_list(db, viewer, company).await?.0)
}

/// The viewer's level on the Shared Drive root and its access list, in one statement.
pub(super) async fn root_with_list<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
) -> AppResult<(Granted, Arc<[AccessEntity]>)> {
    let grants = grants_on(db, viewer, company, vec![ROOT_KEY]).await?;
    Ok((
        grants.root_level(viewer, company),
        grants.list(company, ROOT_KEY),
    ))
}

/// The ancestor ids in a `path` column, top-down.
pub(super) fn path_ids(path: &str) -> impl DoubleEndedIterator<Item = Uuid> + '_ {
    path.split('/')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Uuid::parse_str(s).ok())
}

/// Evaluates the viewer's level on each row (in order), with its trash state, readable path
/// and access list. Costs two statements whatever the number of rows: their ancestors, and
/// the entries on all of them.
pub(super) async fn scope<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    rows: Vec<Row>,
) -> AppResult<Vec<Item>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut missing: HashSet<Uuid> = rows
        .iter()
        .flat_map(|row| path_ids(&row.item.path))
        .collect();
    for row in &rows {
        missing.remove(&row.item.id);
    }
    let ancestors = match missing.is_empty() {
        true => Vec::new(),
        false => {
            rows::find()
                .filter(item::Column::CompanyId.eq(company.0))
                .filter(item::Column::Id.is_in(missing))
                .into_model::<Row>()
                .all(db)
                .await?
        }
    };
    let known = rows
        .iter()
        .chain(&ancestors)
        .map(|row| (row.item.id, row))
        .collect();
    let rows: Vec<&Row> = rows.iter().collect();
    scope_known(db, viewer, company, &rows, &known).await
}

/// `scope` once the rows' ancestors are at hand: one statement, the entries on all of them.
async fn scope_known<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    rows: &[&Row],
    known: &HashMap<Uuid, &Row>,
) -> AppResult<Vec<Item>> {
    let mut ids: Vec<Uuid> = known.keys().copied().collect();
    ids.push(ROOT_KEY);
    let grants = grants_on(db, viewer, company, ids).await?;
    Ok(scope_with(viewer, company, rows, known, &grants))
}

/// `scope_known` with the entries on `known` and the Shared Drive already read.
fn scope_with(
    viewer: &Viewer,
    company: CompanyId,
    rows: &[&Row],
    known: &HashMap<Uuid, &Row>,
    grants: &Grants,
) -> Vec<Item> {
    let root = grants.root_level(viewer, company);

    // Levels top-down: a row's parent is always shallower than the row.
    let mut by_depth: Vec<&item::Model> = known.values().map(|row| &row.item).collect();
    by_depth.sort_by_key(|row| row.path.len());
    let mut levels: HashMap<Uuid, Granted> = HashMap::with_capacity(by_depth.len());
    for row in by_depth {
        let level = if sees_whole_drive(viewer, company, &row.drive) {
            drive_level(viewer, company, &row.drive, &root)
        } else {
            let parent = match path_ids(&row.path).next_back() {
                Some(parent) => levels.get(&parent).cloned().unwrap_or_else(nothing),
                None => drive_level(viewer, company, &row.drive, &root),
            };
            grants.row_level(viewer, row, parent)
        };
        levels.insert(row.id, level);
    }

    let mut paths: HashMap<(String, String), Arc<[Item]>> = HashMap::new();
    let mut scoped = Vec::with_capacity(rows.len());
    for &joined in rows {
        let row = &joined.item;
        let in_trash = row.is_in_trash
            || path_ids(&row.path).any(|id| known.get(&id).is_some_and(|a| a.item.is_in_trash));
        let ancestors = paths
            .entry((row.drive.clone(), row.path.clone()))
            .or_insert_with(|| readable_path(viewer, company, row, known, &levels, &root, grants))
            .clone();
        let level = levels.get(&row.id).cloned().unwrap_or_else(nothing);
        let list = grants.list(company, row.id);
        scoped.push(convert::item(joined, level, in_trash, ancestors, list));
    }
    scoped
}

/// Evaluates the viewer's level on rows that are the children of `parent` (an item the
/// viewer may read): what they inherit comes from the parent, so one statement, the entries
/// on the rows, whatever their number and depth.
pub(super) async fn scope_children<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    parent: &Item,
    rows: Vec<Row>,
) -> AppResult<Vec<Item>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let company = parent.company_id;
    let ids = rows.iter().map(|row| row.item.id).collect();
    let grants = grants_on(db, viewer, company, ids).await?;
    // Seen from below, the parent is one more folder of the path, as `readable_path` makes them.
    let mut above = parent.ancestors.to_vec();
    above.push(Item {
        size: if parent.stored_id().is_some() {
            parent.size
        } else {
            0
        },
        ..parent.clone()
    });
    let above: Arc<[Item]> = Arc::from(above);
    let inherited = (parent.level, parent.origin.clone());
    Ok(rows
        .iter()
        .map(|joined| {
            let row = &joined.item;
            let level = if sees_whole_drive(viewer, company, &row.drive) {
                inherited.clone()
            } else {
                grants.row_level(viewer, row, inherited.clone())
            };
            let in_trash = row.is_in_trash || parent.in_trash;
            let list = grants.list(company, row.id);
            convert::item(joined, level, in_trash, above.clone(), list)
        })
        .collect())
}

/// The ancestors of `row` the viewer may read, top-down, cut at the first one they may not.
fn readable_path(
    viewer: &Viewer,
    company: CompanyId,
    row: &item::Model,
    known: &HashMap<Uuid, &Row>,
    levels: &HashMap<Uuid, Granted>,
    root: &Granted,
    grants: &Grants,
) -> Arc<[Item]> {
    let mut path = Vec::new();
    let ids: Vec<Uuid> = path_ids(&row.path).collect();
    for (depth, id) in ids.iter().enumerate().rev() {
        let Some(ancestor) = known.get(id) else { break };
        let level = levels.get(id).cloned().unwrap_or_else(nothing);
        if level.0 < Level::Read {
            return nested(path.into_iter().rev());
        }
        let in_trash = ancestor.item.is_in_trash
            || ids[..depth]
                .iter()
                .any(|above| known.get(above).is_some_and(|a| a.item.is_in_trash));
        let list = grants.list(company, *id);
        path.push(convert::item(
            ancestor,
            level,
            in_trash,
            Arc::from(Vec::new()),
            list,
        ));
    }
    let top = drive_level(viewer, company, &row.drive, root);
    if top.0 >= Level::Read {
        let drive = convert::drive_ref(&row.drive);
        let access = match drive {
            ItemRef::Root => grants.list(company, ROOT_KEY),
            _ => Arc::from(Vec::new()),
        };
        path.push(convert::special_folder(company, drive, top, 0, access));
    }
    nested(path.into_iter().rev())
}

/// A top-down path whose every entry holds the entries above it as its own path (so that
/// `path { path }` and `path { children { path } }` read whole paths).
fn nested(path: impl Iterator<Item = Item>) -> Arc<[Item]> {
    let mut above: Vec<Item> = Vec::new();
    for mut entry in path {
        entry.ancestors = Arc::from(above.clone());
        above.push(entry);
    }
    Arc::from(above)
}

/// The stored items among `ids` the viewer may read, with their rows, in the order of `ids`;
/// the others are left out. Two statements whatever their number and depth.
pub(super) async fn readable_rows<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: &[Uuid],
) -> AppResult<Vec<(Item, item::Model)>> {
    let fetched = rows::with_ancestors(db, company, ids).await?;
    readable_among(db, viewer, company, ids, fetched).await
}

/// `readable_rows` from rows already fetched with their ancestors.
async fn readable_among<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    ids: &[Uuid],
    fetched: Vec<Row>,
) -> AppResult<Vec<(Item, item::Model)>> {
    let known = by_id(&fetched);
    let asked = asked_among(ids, &known);
    let items = scope_known(db, viewer, company, &asked, &known).await?;
    Ok(readable_of(items, asked))
}

fn by_id(rows: &[Row]) -> HashMap<Uuid, &Row> {
    rows.iter().map(|row| (row.item.id, row)).collect()
}

/// The rows of `ids` among `known`, once each, in the order of `ids`.
fn asked_among<'a>(ids: &[Uuid], known: &HashMap<Uuid, &'a Row>) -> Vec<&'a Row> {
    let mut asked = Vec::with_capacity(ids.len());
    let mut seen = HashSet::new();
    for id in ids {
        if let (Some(&row), true) = (known.get(id), seen.insert(*id)) {
            asked.push(row);
        }
    }
    asked
}

/// The scoped items the viewer may read, with their rows.
fn readable_of(items: Vec<Item>, asked: Vec<&Row>) -> Vec<(Item, item::Model)> {
    items
        .into_iter()
        .zip(asked)
        .filter(|(item, _)| item.level >= Level::Read)
        .map(|(item, row)| (item, row.item.clone()))
        .collect()
}

/// Rows with their ancestors and every entry on them and on the Shared Drive, read once:
/// any number of viewers' readings of them are then evaluated in memory, as `readable_rows`
/// would evaluate them (the entries that apply to a viewer are those `held_entries` names).
pub(super) struct Snapshot {
    rows: Vec<Row>,
    entries: Vec<grant::Model>,
}

impl Snapshot {
    /// Two statements whatever the number of ids.
    pub(super) async fn load<C: ConnectionTrait>(
        db: &C,
        company: CompanyId,
        ids: &[Uuid],
    ) -> AppResult<Self> {
        let rows = rows::with_ancestors(db, company, ids).await?;
        let keys = rows
            .iter()
            .map(|row| row.item.id)
            .chain([ROOT_KEY])
            .collect::<Vec<_>>();
        let entries = grant::Entity::find()
            .filter(grant::Column::CompanyId.eq(company.0))
            .filter(grant::Column::ItemId.is_in(keys))
            .order_by_asc(grant::Column::Kind)
            .order_by_asc(grant::Column::Subject)
            .all(db)
            .await?;
        Ok(Self { rows, entries })
    }

    /// The snapshot as one viewer sees it: the entries that apply to them marked once.
    pub(super) fn seen_by<'a>(
        &'a self,
        viewer: &'a Viewer,
        company: CompanyId,
    ) -> SnapshotView<'a> {
        let held = held_entries(viewer, company);
        let grants = Grants::from_rows(self.entries.iter().map(|entry| {
            let applies = held.contains(&entry_key(&entry.kind, &entry.subject));
            (entry.clone(), applies)
        }));
        SnapshotView {
            viewer,
            company,
            known: by_id(&self.rows),
            grants,
        }
    }
}

/// A snapshot as one viewer sees it (`Snapshot::seen_by`).
pub(super) struct SnapshotView<'a> {
    viewer: &'a Viewer,
    company: CompanyId,
    known: HashMap<Uuid, &'a Row>,
    grants: Grants,
}

impl SnapshotView<'_> {
    /// The items among `ids` the viewer may read, with their rows, in the order of `ids`.
    pub(super) fn readable(&self, ids: &[Uuid]) -> Vec<(Item, item::Model)> {
        let asked = asked_among(ids, &self.known);
        let items = scope_with(self.viewer, self.company, &asked, &self.known, &self.grants);
        readable_of(items, asked)
    }

    /// The viewer's level on the Shared Drive, and its access list.
    pub(super) fn root(&self) -> (Granted, Arc<[AccessEntity]>) {
        (
            self.grants.root_level(self.viewer, self.company),
            self.grants.list(self.company, ROOT_KEY),
        )
    }
}

/// For a link visitor in its link's company: fails (401) unless every id is the link's item
/// or under it. `rows` holds the asked items that exist, with their ancestors.
fn visitor_covers(viewer: &Viewer, ids: &[Uuid], rows: &[Row]) -> AppResult<()> {
    let Some(grant) = &viewer.public else {
        return Ok(());
    };
    let paths: HashMap<Uuid, &str> = rows
        .iter()
        .map(|row| (row.item.id, row.item.path.as_str()))
        .collect();
    let covered = ids.iter().all(|id| {
        *id == grant.item.0
            || paths
                .get(id)
                .is_some_and(|path| path_ids(path).any(|above| above == grant.item.0))
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
    if viewer
        .public
        .as_ref()
        .is_some_and(|grant| grant.company != company)
    {
        // Another company's items: not even a statement.
        return Err(Viewer::outside_its_link());
    }
    let fetched = rows::with_ancestors(db, company, ids).await?;
    visitor_covers(viewer, ids, &fetched)?;
    let found = readable_among(db, viewer, company, ids, fetched).await?;
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
