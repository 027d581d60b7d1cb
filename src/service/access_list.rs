//! Access lists: reading them (for display) and replacing them (managers only).

use std::collections::HashMap;

use entity::{grant, item};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::access::ROOT_KEY;
use super::access::require;
use super::{Service, convert, items, locks, users};
use crate::auth::Viewer;
use crate::domain::ids::opaque_id;
use crate::domain::{AccessEntity, AccessInfo, CompanyId, EntityKind, Item, ItemRef, Level};
use crate::error::{AppError, AppResult};

fn grants_key(id: &ItemRef) -> Option<Uuid> {
    match id {
        ItemRef::Root => Some(ROOT_KEY),
        ItemRef::Item(id) => Some(id.0),
        _ => None,
    }
}

impl Service {
    /// The stored access entries of items the viewer already read, by item. The Shared Drive
    /// root shows its effective `company` entry; the `folder` entry lives on the item itself.
    pub async fn access_entries(
        &self,
        keys: &[(CompanyId, ItemRef)],
    ) -> AppResult<HashMap<(CompanyId, ItemRef), Vec<AccessEntity>>> {
        entries(self.db(), keys).await
    }
}

/// A validated replacement access list: the `folder` entry's level and the stored entries.
pub(super) struct NewAccess {
    folder_level: Level,
    entries: HashMap<(EntityKind, String), Level>,
}

/// Checks a replacement list: ids of the right shape, a `company` entry naming this company,
/// no `folder` entry for the Shared Drive. A missing `folder` entry means nothing is inherited.
pub(super) fn validate(
    company: CompanyId,
    id: &ItemRef,
    entities: Vec<AccessEntity>,
) -> AppResult<NewAccess> {
    let is_root = grants_key(id) == Some(ROOT_KEY);
    let mut new = NewAccess {
        folder_level: Level::None,
        entries: HashMap::new(),
    };
    for entity in entities {
        let subject = match entity.kind {
            EntityKind::Folder if is_root => {
                return Err(AppError::bad_input(
                    "the Shared Drive has no parent to inherit from",
                ));
            }
            EntityKind::Folder => {
                new.folder_level = entity.level;
                continue;
            }
            EntityKind::User => opaque_id("user id", &entity.id)?,
            EntityKind::Channel => opaque_id("channel id", &entity.id)?,
            EntityKind::Company if entity.id == company.to_string() => entity.id,
            EntityKind::Company => {
                return Err(AppError::bad_input(format!(
                    "a company entry must name this company ({company}), got {:?}",
                    entity.id
                )));
            }
        };
        new.entries.insert((entity.kind, subject), entity.level);
    }
    Ok(new)
}

/// Replaces the access list of an item (or of the Shared Drive), keeping the grantor of
/// entries that stay.
pub(super) async fn replace<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    id: &ItemRef,
    new: NewAccess,
) -> AppResult<()> {
    let Some(key) = grants_key(id) else {
        return Err(AppError::bad_input(format!(
            "{id} has no access list of its own"
        )));
    };
    let previous: HashMap<(String, String), Option<String>> = grant::Entity::find()
        .filter(grant::Column::CompanyId.eq(company.0))
        .filter(grant::Column::ItemId.eq(key))
        .all(db)
        .await?
        .into_iter()
        .map(|g| ((g.kind, g.subject), g.grantor))
        .collect();
    grant::Entity::delete_many()
        .filter(grant::Column::CompanyId.eq(company.0))
        .filter(grant::Column::ItemId.eq(key))
        .exec(db)
        .await?;
    let rows: Vec<grant::ActiveModel> = new
        .entries
        .into_iter()
        .map(|((kind, subject), level)| {
            let grantor = previous
                .get(&(kind.as_str().to_owned(), subject.clone()))
                .cloned()
                .unwrap_or_else(|| Some(viewer.user_id.to_string()));
            grant::ActiveModel {
                company_id: Set(company.0),
                item_id: Set(key),
                kind: Set(kind.as_str().to_owned()),
                subject: Set(subject),
                level: Set(level.as_str().to_owned()),
                grantor: Set(grantor),
            }
        })
        .collect();
    if !rows.is_empty() {
        grant::Entity::insert_many(rows).exec(db).await?;
    }
    if key != ROOT_KEY {
        item::Entity::update_many()
            .col_expr(
                item::Column::FolderLevel,
                Expr::value(new.folder_level.as_str()),
            )
            .filter(item::Column::Id.eq(key))
            .exec(db)
            .await?;
    }
    Ok(())
}

impl Service {
    /// Gives one user, the company or a channel a level on an item (or the Shared Drive), or
    /// sets its `folder` entry; the rest of the list stays. `manage` needed.
    pub async fn share_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        entity: AccessEntity,
    ) -> AppResult<Item> {
        self.edit_access(viewer, company, id, |entities| {
            entities.retain(|e| !(e.kind == entity.kind && e.id == entity.id));
            entities.push(entity);
        })
        .await
    }

    /// Removes one entry from an item's access list (the `folder` entry: stop inheriting).
    /// `manage` needed.
    pub async fn unshare_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        kind: EntityKind,
        subject: &str,
    ) -> AppResult<Item> {
        self.edit_access(viewer, company, id, |entities| {
            entities
                .retain(|e| !(e.kind == kind && (e.id == subject || kind == EntityKind::Folder)));
        })
        .await
    }

    /// Applies `edit` to the item's whole list, read and replaced in one transaction while
    /// other editors of the same list wait their turn: two managers sharing at the same
    /// instant both land.
    async fn edit_access(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        edit: impl FnOnce(&mut Vec<AccessEntity>),
    ) -> AppResult<Item> {
        let txn = self.write().await?;
        locks::take_turn(
            &txn,
            &[b"access", company.0.as_bytes(), id.to_string().as_bytes()],
        )
        .await?;
        let item = items::get(&*txn, viewer, company, id).await?;
        require(&item, Level::Manage, "changing who has access")?;
        let stored = entries(&*txn, &[(company, id.clone())])
            .await?
            .remove(&(company, id.clone()))
            .unwrap_or_default();
        let mut entities = AccessInfo::of(&item, stored).entities;
        edit(&mut entities);
        let access = validate(company, id, entities)?;
        replace(&*txn, viewer, company, id, access).await?;
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        self.get_item(viewer, company, id).await
    }
}

/// The stored access lists of `keys` (the Shared Drive's with its default company entry).
async fn entries<C: ConnectionTrait>(
    db: &C,
    keys: &[(CompanyId, ItemRef)],
) -> AppResult<HashMap<(CompanyId, ItemRef), Vec<AccessEntity>>> {
    let mut by_company: HashMap<CompanyId, Vec<Uuid>> = HashMap::new();
    for (company, id) in keys {
        if let Some(key) = grants_key(id) {
            by_company.entry(*company).or_default().push(key);
        }
    }
    let mut rows: HashMap<(CompanyId, Uuid), Vec<grant::Model>> = HashMap::new();
    for (company, ids) in by_company {
        let found = grant::Entity::find()
            .filter(grant::Column::CompanyId.eq(company.0))
            .filter(grant::Column::ItemId.is_in(ids))
            .order_by_asc(grant::Column::Kind)
            .order_by_asc(grant::Column::Subject)
            .all(db)
            .await?;
        for row in found {
            rows.entry((company, row.item_id)).or_default().push(row);
        }
    }
    let mut lists = HashMap::new();
    for (company, id) in keys {
        let mut entities = Vec::new();
        if let Some(key) = grants_key(id) {
            let stored = rows.remove(&(*company, key)).unwrap_or_default();
            if key == ROOT_KEY && !stored.iter().any(|g| g.kind == "company") {
                entities.push(AccessEntity {
                    kind: EntityKind::Company,
                    id: company.to_string(),
                    level: Level::Read,
                    grantor: None,
                });
            }
            entities.extend(stored.into_iter().filter_map(|g| {
                Some(AccessEntity {
                    kind: EntityKind::parse(&g.kind)?,
                    id: g.subject,
                    level: convert::parse_level(&g.level),
                    grantor: g.grantor,
                })
            }));
        }
        lists.insert((*company, id.clone()), entities);
    }
    Ok(lists)
}
