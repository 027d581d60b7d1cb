//! Per-request dataloaders: they batch what a response needs for many items into one call each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::auth::Caller;
use crate::domain::{
    AccessEntity, CompanyId, Item, ItemId, ItemRef, Level, User, UserId, Version, VersionId,
};
use crate::error::AppError;
use crate::service::Service;

/// Items by id, scoped to the viewer (for `node`/`nodes`).
pub struct ItemLoader {
    service: Service,
    viewer: Caller,
}

/// Versions by id (reached only through items the viewer already read).
pub struct VersionLoader(Service);

/// Users by id (creators).
pub struct UserLoader(Service);

/// Stored access entries by item (reached only through items the viewer already read).
pub struct AccessLoader(Service);

/// Other users' levels on items, by (company, user, item) (reached only through items the
/// viewer manages).
pub struct LevelLoader(Service);

/// The loaders of one request.
pub struct Loaders {
    pub items: DataLoader<ItemLoader, HashMapCache>,
    pub versions: DataLoader<VersionLoader, HashMapCache>,
    pub users: DataLoader<UserLoader, HashMapCache>,
    pub access: DataLoader<AccessLoader, HashMapCache>,
    pub levels: DataLoader<LevelLoader, HashMapCache>,
}

impl Loaders {
    pub fn new(service: &Service, viewer: Caller) -> Self {
        let spawn = |f| tokio::spawn(f);
        let cache = HashMapCache::default;
        Self {
            items: DataLoader::with_cache(
                ItemLoader {
                    service: service.clone(),
                    viewer,
                },
                spawn,
                cache(),
            ),
            versions: DataLoader::with_cache(VersionLoader(service.clone()), spawn, cache()),
            users: DataLoader::with_cache(UserLoader(service.clone()), spawn, cache()),
            access: DataLoader::with_cache(AccessLoader(service.clone()), spawn, cache()),
            levels: DataLoader::with_cache(LevelLoader(service.clone()), spawn, cache()),
        }
    }
}

impl Loader<ItemId> for ItemLoader {
    type Value = Item;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Item>, Self::Error> {
        let viewer = self.viewer.as_ref().map_err(Arc::clone)?;
        self.service
            .items_by_ids(viewer, keys)
            .await
            .map_err(Arc::new)
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

impl Loader<(CompanyId, UserId, ItemRef)> for LevelLoader {
    type Value = Level;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[(CompanyId, UserId, ItemRef)],
    ) -> Result<HashMap<(CompanyId, UserId, ItemRef), Level>, Self::Error> {
        let mut asked: HashMap<(CompanyId, UserId), Vec<ItemRef>> = HashMap::new();
        for (company, user, id) in keys {
            asked
                .entry((*company, user.clone()))
                .or_default()
                .push(id.clone());
        }
        let mut found = HashMap::with_capacity(keys.len());
        for ((company, user), ids) in asked {
            let levels = self
                .0
                .levels_of_user(company, &user, &ids)
                .await
                .map_err(Arc::new)?;
            found.extend(
                levels
                    .into_iter()
                    .map(|(id, level)| ((company, user.clone(), id), level)),
            );
        }
        Ok(found)
    }
}

/// Turns a loader's shared error into a GraphQL error with its code.
pub fn loader_error(err: Arc<AppError>) -> async_graphql::Error {
    async_graphql::ErrorExtensions::extend(err.as_ref())
}

/// Loads, in one batch each, what the selection will ask of every item of a listing (latest
/// versions, creators, access lists), so that resolving each item hits the cache. Batching by
/// timing alone splits a large listing into several batches.
pub async fn prefetch(ctx: &Context<'_>, items: &[&Item]) -> async_graphql::Result<()> {
    let look_ahead = ctx.look_ahead();
    let nodes = [
        look_ahead.field("edges").field("node"),
        look_ahead.field("nodes"),
    ];
    let wants = |field: &str| nodes.iter().any(|node| node.field(field).exists());
    let loaders = ctx.data::<Loaders>()?;
    if wants("latestVersion") {
        let ids = items.iter().filter_map(|item| item.last_version_id);
        loaders
            .versions
            .load_many(ids)
            .await
            .map_err(loader_error)?;
    }
    if wants("creator") {
        let ids = items.iter().filter_map(|item| item.creator.clone());
        loaders.users.load_many(ids).await.map_err(loader_error)?;
    }
    if wants("accessInfo") {
        let keys = items.iter().map(|item| (item.company_id, item.id.clone()));
        loaders.access.load_many(keys).await.map_err(loader_error)?;
    }
    Ok(())
}
