//! Per-request dataloaders: they batch what a response needs for many items into one call each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::auth::Viewer;
use crate::domain::{AccessEntity, CompanyId, Item, ItemId, ItemRef, User, Version, VersionId};
use crate::error::AppError;
use crate::service::Service;

/// Items by id, scoped to the viewer (for `node`/`nodes`).
pub struct ItemLoader {
    service: Service,
    viewer: Result<Viewer, String>,
}

/// Versions by id (reached only through items the viewer already read).
pub struct VersionLoader(Service);

/// Users by id (creators).
pub struct UserLoader(Service);

/// Stored access entries by item (reached only through items the viewer already read).
pub struct AccessLoader(Service);

/// The loaders of one request.
pub struct Loaders {
    pub items: DataLoader<ItemLoader>,
    pub versions: DataLoader<VersionLoader>,
    pub users: DataLoader<UserLoader>,
    pub access: DataLoader<AccessLoader>,
}

impl Loaders {
    pub fn new(service: &Service, viewer: Result<Viewer, String>) -> Self {
        let spawn = |f| tokio::spawn(f);
        Self {
            items: DataLoader::new(
                ItemLoader {
                    service: service.clone(),
                    viewer,
                },
                spawn,
            ),
            versions: DataLoader::new(VersionLoader(service.clone()), spawn),
            users: DataLoader::new(UserLoader(service.clone()), spawn),
            access: DataLoader::new(AccessLoader(service.clone()), spawn),
        }
    }
}

impl Loader<ItemId> for ItemLoader {
    type Value = Item;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Item>, Self::Error> {
        let viewer = self
            .viewer
            .as_ref()
            .map_err(|message| Arc::new(AppError::unauthenticated(message.clone())))?;
        self.service.items_by_ids(viewer, keys).await.map_err(Arc::new)
    }
}

impl Loader<VersionId> for VersionLoader {
    type Value = Version;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[VersionId]) -> Result<HashMap<VersionId, Version>, Self::Error> {
        self.0.versions_by_ids(keys).await.map_err(Arc::new)
    }
}

impl Loader<String> for UserLoader {
    type Value = User;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, User>, Self::Error> {
        self.0.users_by_ids(keys).await.map_err(Arc::new)
    }
}

impl Loader<(CompanyId, ItemRef)> for AccessLoader {
    type Value = Vec<AccessEntity>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[(CompanyId, ItemRef)],
    ) -> Result<HashMap<(CompanyId, ItemRef), Vec<AccessEntity>>, Self::Error> {
        self.0.access_entries(keys).await.map_err(Arc::new)
    }
}

/// Turns a loader's shared error into a GraphQL error with its code.
pub fn loader_error(err: Arc<AppError>) -> async_graphql::Error {
    async_graphql::ErrorExtensions::extend(err.as_ref())
}
