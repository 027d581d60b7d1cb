//! Reading items: one item (special folders included), children and the special listings.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{grant, item};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use super::access::{self, Granted, scope};
use super::rows::{self, Row};
use super::{Service, by_company, convert, keyset};
use crate::auth::{Role, Viewer};
use crate::domain::{
    AccessSource, CompanyId, Detail, Item, ItemId, ItemRef, Level, Page, PageRequest, Position,
    SortBy, SortOrder, Sorting, UserId,
};
use crate::error::{AppError, AppResult};

impl Service {
    /// One item, or a special folder, as the viewer sees it; not found unless they may read it.
    pub async fn get_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
    ) -> AppResult<Item> {
        get(self.keyed(), viewer, company, id).await
    }

    /// The items among `ids` the viewer may read, in any company (for `node`/`nodes`).
    pub async fn items_by_ids(
        &self,
        viewer: &Viewer,
        ids: &[ItemId],
    ) -> AppResult<HashMap<ItemId, Item>> {
        let rows = rows::find()
            .filter(item::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .into_model::<Row>()
            .all(self.keyed())
            .await?;
        let mut found = HashMap::new();
        for (company, rows) in by_company(rows, |row| row.item.company_id) {
            for item in scope(self.keyed(), viewer, company, rows).await? {
                if let (Some(id), true) = (item.stored_id(), item.level >= Level::Read) {
                    found.insert(id, item);
                }
            }
        }
        Ok(found)
    }

    /// The levels another user has on items of one company, for loaders behind items the
    /// viewer was already allowed to read (and manage). Company roles live in the identity
    /// provider's tokens, so the user is taken to be a plain member of the company. Stored
    /// items cost two statements together; special folders one each at most.
    pub async fn levels_of_user(
        &self,
        company: CompanyId,
        user: &UserId,
        ids: &[ItemRef],
    ) -> AppResult<HashMap<ItemRef, Level>> {
        let member = Viewer::new(user.clone(), HashMap::from([(company, Role::Member)]));
        let stored: Vec<uuid::Uuid> = ids
            .iter()
            .filter_map(|id| match id {
                ItemRef::Item(id) => Some(id.0),
                _ => None,
            })
            .collect();
        let mut levels: HashMap<ItemRef, Level> =
            access::readable_rows(self.keyed(), &member, company, &stored)
                .await?
                .into_iter()
                .map(|(item, _)| (item.id, item.level))
                .collect();
        for id in ids {
            if !levels.contains_key(id) && !matches!(id, ItemRef::Item(_)) {
                let level = match get(self.keyed(), &member, company, id).await {
                    Ok(item) => item.level,
                    Err(AppError::NotFound(_)) => Level::None,
                    Err(err) => return Err(err),
                };
                levels.insert(id.clone(), level);
            }
        }
        Ok(levels)
    }

    /// A page of what a folder, drive, trash or `shared_with_me` lists, folders first.
    pub async fn list_children(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        sorting: Sorting,
        page: PageRequest,
    ) -> AppResult<Page<Item>> {
        let parent = get(self.keyed(), viewer, company, id).await?;
        self.children_of(viewer, &parent, sorting, page, Detail::FULL)
            .await
    }

    /// `list_children` for an item the service already handed this viewer, a folder's
    /// children read to `detail` (the special listings read every column).
    pub async fn children_of(
        &self,
        viewer: &Viewer,
        parent: &Item,
        sorting: Sorting,
        page: PageRequest,
        detail: Detail,
    ) -> AppResult<Page<Item>> {
        if parent.level < Level::Read {
            return Err(AppError::not_found(format!("item {}", parent.id)));
        }
        let db = self.db();
        let company = parent.company_id;
        let in_company =
            |columns: Select<item::Entity>| columns.filter(item::Column::CompanyId.eq(company.0));
        match &parent.id {
            id @ (ItemRef::Root | ItemRef::UserDrive(_) | ItemRef::Item(_)) => {
                if !parent.is_directory {
                    return Ok(Page::empty());
                }
                // A link visitor's level on a row depends on the row's public link.
                let detail = match viewer.is_visitor() {
                    true => detail.with(Detail::PUBLIC_LINK),
                    false => detail,
                };
                let mut select = in_company(rows::find_with(detail))
                    .filter(item::Column::ParentId.eq(id.to_string()))
                    .filter(item::Column::IsInTrash.eq(false));
                if let Some(visible) = access::visible_children(viewer, company, &parent.drive) {
                    select = select.filter(visible);
                }
                let keyed = self.keyed();
                let scope = |rows| access::scope_children(keyed, viewer, parent, rows);
                exact_page(keyed, select, detail, sorting, page, scope).await
            }
            ItemRef::Trash => {
                let select = in_company(rows::find())
                    .filter(item::Column::IsInTrash.eq(true))
                    .filter(item::Column::Drive.eq("root"));
                if viewer.role(company).is_admin() {
                    exact_page(db, select, Detail::FULL, sorting, page, |rows| {
                        scope(db, viewer, company, rows)
                    })
                    .await
                } else {
                    scanned_page(db, viewer, company, select, sorting, page, |_| true).await
                }
            }
            ItemRef::UserTrash(owner) => {
                let select = in_company(rows::find())
                    .filter(item::Column::IsInTrash.eq(true))
                    .filter(item::Column::Drive.eq(convert::user_drive(owner)));
                exact_page(db, select, Detail::FULL, sorting, page, |rows| {
                    scope(db, viewer, company, rows)
                })
                .await
            }
            ItemRef::SharedWithMe => {
                let shared = Query::select()
                    .column(grant::Column::ItemId)
                    .from(grant::Entity)
                    .and_where(Expr::col(grant::Column::CompanyId).eq(company.0))
                    .and_where(Expr::col(grant::Column::Kind).eq("user"))
                    .and_where(Expr::col(grant::Column::Subject).eq(viewer.user_id.as_str()))
                    .and_where(Expr::col(grant::Column::Level).ne("none"))
                    .to_owned();
                let select = in_company(rows::find())
                    .filter(item::Column::Id.in_subquery(shared))
                    .filter(item::Column::Drive.ne(convert::user_drive(&viewer.user_id)));
                scanned_page(db, viewer, company, select, sorting, page, |item| {
                    !item.in_trash
                })
                .await
            }
        }
    }
}

pub(super) async fn get<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    id: &ItemRef,
) -> AppResult<Item> {
    if let ItemRef::Item(item_id) = id {
        return access::readable_item(db, viewer, company, item_id.0)
            .await
            .map(|(item, _)| item);
    }
    // A link visitor's whole world is its link's subtree.
    if viewer.is_visitor() {
        return Err(Viewer::outside_its_link());
    }
    let (root, list) = match id {
        ItemRef::Root => {
            let (granted, list) = access::root_with_list(db, viewer, company).await?;
            (Some(granted), list)
        }
        ItemRef::Trash => (
            Some(access::root_level(db, viewer, company).await?),
            Arc::from(Vec::new()),
        ),
        _ => (None, Arc::from(Vec::new())),
    };
    let granted = special_level(viewer, company, id, root)
        .ok_or_else(|| AppError::not_found(format!("item {id}")))?;
    let size = match id {
        ItemRef::Root => drive_size(db, company, "root").await?,
        ItemRef::UserDrive(owner) => drive_size(db, company, &convert::user_drive(owner)).await?,
        _ => 0,
    };
    Ok(convert::special_folder(
        company,
        id.clone(),
        granted,
        size,
        list,
    ))
}

/// The viewer's level on a special folder, `None` where they may not read it. `root` is
/// their level on the Shared Drive, which the Shared Drive and the trash need.
pub(super) fn special_level(
    viewer: &Viewer,
    company: CompanyId,
    id: &ItemRef,
    root: Option<Granted>,
) -> Option<Granted> {
    if viewer.is_visitor() {
        return None;
    }
    let owns = |owner: &UserId| owner == &viewer.user_id && viewer.is_member_of(company);
    let owner_of = || access::granted(Level::Manage, AccessSource::DriveOwner, None);
    match id {
        ItemRef::Item(_) => None,
        ItemRef::Root | ItemRef::Trash => root.filter(|granted| granted.0 >= Level::Read),
        ItemRef::UserDrive(owner) | ItemRef::UserTrash(owner) => owns(owner).then(owner_of),
        // What others shared with a person: a tab token alone names no one.
        ItemRef::SharedWithMe => viewer
            .user_entries_apply()
            .then(|| access::granted(Level::Read, AccessSource::None, None)),
    }
}

/// The size of a drive: its top-level items outside the trash.
pub(super) async fn drive_size<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    drive: &str,
) -> AppResult<i64> {
    let size = item::Entity::find()
        .select_only()
        .expr(Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"))
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::ParentId.eq(drive))
        .filter(item::Column::IsInTrash.eq(false))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(size.unwrap_or_default())
}

/// The order of item listings: folders first, then the sort, then the id.
fn order(sorting: Sorting) -> keyset::Order<item::Column> {
    keyset::Order {
        directory: Some(item::Column::IsDirectory),
        value: match sorting.by {
            SortBy::Name => item::Column::SortName,
            SortBy::Date => item::Column::LastModified,
            SortBy::Size => item::Column::Size,
        }
        .into_expr(),
        id: item::Column::Id,
        descending: sorting.order == SortOrder::Desc,
    }
}

/// A page where the query already returns exactly what the viewer may see: paginated in SQL,
/// its rows (of `rows::find_with(detail)`) scoped by `scope`.
async fn exact_page<C: ConnectionTrait, Scoped: Future<Output = AppResult<Vec<Item>>>>(
    db: &C,
    select: Select<item::Entity>,
    detail: Detail,
    sorting: Sorting,
    page: PageRequest,
    scope: impl FnOnce(Vec<Row>) -> Scoped,
) -> AppResult<Page<Item>> {
    let (rows, total) =
        keyset::read_with(db, select, &order(sorting), &page, Row::read(detail)).await?;
    Ok(Page::read(scope(rows).await?, &page, total))
}

/// How many candidates a scanned listing reads at a time.
const SCAN_BATCH: u64 = 256;

/// A page of a listing whose visibility depends on each row's ancestors (trash and
/// shared-with-me for viewers who do not see the whole drive): candidates are read from where
/// the page starts, in the listing's SQL order, a window at a time, scoped by the one scoping
/// function and kept until the page is full. Memory stays within a window whatever the
/// listing's size; a counted page reads the listing once more to count what is visible.
async fn scanned_page<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    select: Select<item::Entity>,
    sorting: Sorting,
    page: PageRequest,
    keep: impl Fn(&Item) -> bool,
) -> AppResult<Page<Item>> {
    let order = order(sorting);
    let skip = match page.position {
        Position::Offset(offset) => offset,
        _ => 0,
    };
    let wanted = (skip + page.rows_to_read()) as usize;
    let positioned = order.positioned(select.clone(), &page);
    let visible = |rows| async { visible_in(db, viewer, company, rows, &keep).await };
    let mut kept: Vec<Item> = Vec::with_capacity(wanted.min(1024));
    let window_of = |select: &Select<item::Entity>, window| {
        select
            .clone()
            .offset(window)
            .limit(SCAN_BATCH)
            .into_model::<Row>()
            .all(db)
    };
    let mut window = 0;
    loop {
        let rows = window_of(&positioned, window).await?;
        let read = rows.len() as u64;
        kept.extend(visible(rows).await?);
        if read < SCAN_BATCH || kept.len() >= wanted {
            break;
        }
        window += SCAN_BATCH;
    }
    let total = match page.count {
        false => None,
        true => {
            let all = order.apply(select, false);
            let (mut counted, mut window) = (0u64, 0);
            loop {
                let rows = window_of(&all, window).await?;
                let read = rows.len() as u64;
                counted += visible(rows).await?.len() as u64;
                if read < SCAN_BATCH {
                    break Some(counted);
                }
                window += SCAN_BATCH;
            }
        }
    };
    let rows = kept.into_iter().skip(skip as usize).collect();
    Ok(Page::read(rows, &page, total))
}

/// The rows of a window the viewer may read and `keep` keeps, scoped.
async fn visible_in<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    rows: Vec<Row>,
    keep: &impl Fn(&Item) -> bool,
) -> AppResult<Vec<Item>> {
    Ok(scope(db, viewer, company, rows)
        .await?
        .into_iter()
        .filter(|item| item.level >= Level::Read && keep(item))
        .collect())
}
