//! Per-request dataloaders for what items do not carry: items by id (`node`/`nodes`) and other
//! users' levels. An item's latest version, creator and access list are read with it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::auth::Caller;
use crate::domain::{CompanyId, Item, ItemId, ItemRef, Level, User, UserId};
use crate::error::AppError;
use crate::service::Service;

/// Items by id, scoped to the viewer (for `node`/`nodes`).
pub struct ItemLoader {
    service: Service,
    viewer: Caller,
}

/// Other users' levels on items, by (company, user, item) (reached only through items the
/// viewer manages).
pub struct LevelLoader(Service);

/// Users Quire has seen, by id (who shared an item with the viewer).
pub struct UserLoader(Service);

/// How long a loader gathers keys before it reads them. A list's items register theirs in one
/// pass, but the read is dispatched on another worker once the window closes: with the crate's
/// 1 ms a pass stalled by a loaded machine split one batch in two (seen in CI).
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// The loaders of one request.
pub struct Loaders {
    pub items: DataLoader<ItemLoader, HashMapCache>,
    pub levels: DataLoader<LevelLoader, HashMapCache>,
    pub users: DataLoader<UserLoader, HashMapCache>,
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
            )
            .delay(BATCH_WINDOW),
            levels: DataLoader::with_cache(LevelLoader(service.clone()), spawn, cache())
                .delay(BATCH_WINDOW),
            users: DataLoader::with_cache(UserLoader(service.clone()), spawn, cache())
                .delay(BATCH_WINDOW),
        }
    }
}

impl Loaders {
    /// Loaders that remember nothing: for a subscription, whose events each read anew.
    pub fn uncached(service: &Service, viewer: Caller) -> Self {
        let loaders = Self::new(service, viewer);
        loaders.items.enable_all_cache(false);
        loaders.levels.enable_all_cache(false);
        loaders.users.enable_all_cache(false);
        loaders
    }
}

impl Loader<String> for UserLoader {
    type Value = User;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, User>, Self::Error> {
        let users = self.0.users(keys).await.map_err(Arc::new)?;
        Ok(users
            .into_iter()
            .map(|user| (user.id.clone(), user))
            .collect())
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
