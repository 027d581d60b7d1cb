//! What may be downloaded: the access checks behind download tokens, downloads and zips.

use entity::version;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Service, access};
use crate::auth::Viewer;
use crate::domain::{CompanyId, Item, ItemId, VersionId};
use crate::error::{AppError, AppResult};

/// The most items one download token or zip names.
pub const MAX_ITEMS: usize = 1000;

impl Service {
    /// Checks that the viewer may read every item (and that `version`, when given, is a version
    /// of the single item named); not found otherwise. Returns the items.
    pub async fn downloadable(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        items: &[ItemId],
        version: Option<VersionId>,
    ) -> AppResult<Vec<Item>> {
        if items.is_empty() || items.len() > MAX_ITEMS {
            return Err(AppError::bad_input(format!("name 1 to {MAX_ITEMS} items")));
        }
        let ids: Vec<_> = items.iter().map(|id| id.0).collect();
        let found: Vec<Item> = access::readable_items(self.db(), viewer, company, &ids)
            .await?
            .into_iter()
            .map(|(item, _)| item)
            .collect();
        if let Some(version) = version {
            let [item] = items else {
                return Err(AppError::bad_input(
                    "a version_id goes with exactly one item",
                ));
            };
            version::Entity::find_by_id(version.0)
                .filter(version::Column::ItemId.eq(item.0))
                .one(self.db())
                .await?
                .ok_or_else(|| AppError::not_found(format!("version {version} of item {item}")))?;
        }
        Ok(found)
    }
}
