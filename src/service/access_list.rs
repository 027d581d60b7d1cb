//! Access lists: reading them (for display) and replacing them (managers only).

use std::collections::HashMap;

use entity::{grant, item};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::access::{ROOT_KEY, require};
use super::{Service, convert, items, users};
use crate::auth::Viewer;
use crate::domain::ids::opaque_id;
use crate::domain::inputs::AccessUpdate;
use crate::domain::{AccessEntity, CompanyId, EntityKind, Item, ItemRef, Level};
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
                .all(self.db())
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

    /// Replaces an item's (or the Shared Drive's) access list; `manage` needed. A missing
    /// `folder` entry means nothing is inherited.
    pub async fn set_access(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        update: AccessUpdate,
    ) -> AppResult<Item> {
        let key = grants_key(id)
            .ok_or_else(|| AppError::bad_input(format!("{id} has no access list of its own")))?;
        let mut folder_level = Level::None;
        let mut entries: HashMap<(EntityKind, String), Level> = HashMap::new();
        for entity in update.entities {
            let subject = match entity.kind {
                EntityKind::Folder => {
                    if key == ROOT_KEY {
                        return Err(AppError::bad_input(
                            "the Shared Drive has no parent to inherit from",
                        ));
                    }
                    folder_level = entity.level;
                    continue;
                }
                EntityKind::User => opaque_id("user id", &entity.id)?,
                EntityKind::Channel => opaque_id("channel id", &entity.id)?,
                EntityKind::Company => {
                    if entity.id != company.to_string() {
                        return Err(AppError::bad_input(format!(
                            "a company entry must name this company ({company}), got {:?}",
                            entity.id
                        )));
                    }
                    entity.id
                }
            };
            entries.insert((entity.kind, subject), entity.level);
        }

        let txn = self.write().await?;
        let current = items::get(&*txn, viewer, company, id).await?;
        require(&current, Level::Manage, "changing who has access")?;
        let previous: HashMap<(String, String), Option<String>> = grant::Entity::find()
            .filter(grant::Column::CompanyId.eq(company.0))
            .filter(grant::Column::ItemId.eq(key))
            .all(&*txn)
            .await?
            .into_iter()
            .map(|g| ((g.kind, g.subject), g.grantor))
            .collect();
        grant::Entity::delete_many()
            .filter(grant::Column::CompanyId.eq(company.0))
            .filter(grant::Column::ItemId.eq(key))
            .exec(&*txn)
            .await?;
        let rows: Vec<grant::ActiveModel> = entries
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
            grant::Entity::insert_many(rows).exec(&*txn).await?;
        }
        if key != ROOT_KEY {
            item::Entity::update_many()
                .col_expr(
                    item::Column::FolderLevel,
                    Expr::value(folder_level.as_str()),
                )
                .filter(item::Column::Id.eq(key))
                .exec(&*txn)
                .await?;
        }
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        self.get_item(viewer, company, id).await
    }
}
