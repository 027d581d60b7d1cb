//! The query root: items by company and id, nodes, tabs, and the viewer.

use std::collections::HashMap;

use async_graphql::{Context, ErrorExtensions, ID, Object};

use super::connection::{Built, Window, paginate, wants_total};
use super::context::ContextExt;
use super::inline::Inline;
use super::loaders::{Loaders, loader_error};
use super::types::search::{self, SearchConnection, SearchFilterInput, SearchHit, SearchSort};
use super::types::{ChangeConnection, ItemObject, Node, TabObject, UserObject, decode_cursor};
use crate::domain::search::{Hit, SearchRequest};
use crate::domain::{CompanyId, ItemId, ItemRef, VersionId};
use crate::error::AppError;

#[derive(Default)]
pub struct QueryRoot;

/// What a root field that reads the database itself (no loader) adds to a query's
/// complexity: a statement costs as much as a hundred plain fields.
pub(super) const READ_COST: usize = 100;

/// What one id of `nodes` costs besides its selection: a stored item or version is batched
/// (1); a special folder is read on its own (a statement).
fn node_cost(id: &ID) -> usize {
    if id.contains('/') { READ_COST } else { 1 }
}

/// Reading the drive.
#[Object]
impl QueryRoot {
    /// One item by company and id: a UUID, or `root` (the Shared Drive), `user_<id>` (a
    /// personal drive), `trash`, `trash_<id>`, `shared_with_me` — or the global id of one of
    /// them (`root/<companyId>`). `NOT_FOUND` unless the viewer may read it.
    #[graphql(complexity = "crate::graphql::cost(1, READ_COST + child_complexity)")]
    async fn item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(desc = "The item's id or a special folder's id (REST or global form).")] id: ID,
    ) -> async_graphql::Result<Inline<ItemObject>> {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        let id = ItemRef::parse_in(&id, company).map_err(|e| e.extend())?;
        ctx.service()?
            .get_item(viewer, company, &id)
            .await
            .map(|item| Inline(ItemObject(item)))
            .map_err(|e| e.extend())
    }

    /// The company's changes after `after` (from the oldest kept when omitted), in commit
    /// order, as the viewer may see them: gapless, each exactly once, whatever the number of
    /// concurrent writers. Follow it by passing `pageInfo.endCursor` back as `after`. Changes
    /// are kept `QUIRE_CHANGES_RETENTION_DAYS`; an older cursor is `CURSOR_EXPIRED` (read the
    /// drive again, then follow from the new `endCursor`).
    #[graphql(
        complexity = "crate::graphql::cost(first.unwrap_or(100).max(1) as usize, child_complexity) + READ_COST"
    )]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(desc = "A cursor from this feed: continue after it.")] after: Option<String>,
        #[graphql(desc = "How many log entries to read at most (1 to 1000, default 100).")]
        first: Option<u64>,
    ) -> async_graphql::Result<ChangeConnection> {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        let after = after
            .as_deref()
            .map(decode_cursor)
            .transpose()
            .map_err(|e| e.extend())?;
        ctx.service()?
            .changes(viewer, company, after, first.unwrap_or(100))
            .await
            .map(ChangeConnection::from)
            .map_err(|e| e.extend())
    }

    /// What the viewer may open in the company that matches `query` and `filter`: each word
    /// of `query` is matched as a word prefix (case and accents ignored) in names,
    /// descriptions, tags and the text of the files' content; every word must match. Trashed
    /// items, and items under a trashed folder, never appear. Without `query`, what the
    /// filter keeps. Each edge says where the words matched.
    #[graphql(
        complexity = "crate::graphql::cost(first.or(last).unwrap_or(100).max(1) as usize, child_complexity) + READ_COST"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(
            desc = "The words to find (each a word prefix); none: every item the filter keeps."
        )]
        query: Option<String>,
        #[graphql(desc = "What to keep besides the words.")] filter: Option<SearchFilterInput>,
        #[graphql(desc = "The order; default: best match first.")] sort: Option<SearchSort>,
        #[graphql(desc = "Rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "At most this many rows from the start (≤ 1000).")] first: Option<i32>,
        #[graphql(desc = "At most this many rows from the end (≤ 1000).")] last: Option<i32>,
    ) -> async_graphql::Result<SearchConnection> {
        let viewer = ctx.viewer()?;
        let service = ctx.service()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        let (request, order) =
            search::request(company, query, filter, sort).map_err(|e| e.extend())?;
        let window = Window {
            after,
            before,
            first,
            last,
            count: wants_total(ctx),
        };
        let hits: Built<SearchHit> = paginate(
            window,
            &order,
            |page| service.search(viewer, company, SearchRequest { page, ..request }),
            |hit: &Hit| hit.key.clone(),
        )
        .await?;
        Ok(hits.into())
    }

    /// Any item or version by its global id (a UUID, or a special folder's
    /// `<special>/<companyId>`); null when there is none the viewer may read.
    #[graphql(complexity = "crate::graphql::cost(1, READ_COST + child_complexity)")]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An item's or a version's global id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        Ok(self.nodes(ctx, vec![id]).await?.pop().flatten())
    }

    /// Items and versions by their global ids, in order; null for each there is none the
    /// viewer may read. At most 1000 ids; each costs what its selection costs, repeats
    /// included (and read once).
    #[graphql(
        complexity = "crate::graphql::cost(1, ids.iter().fold(READ_COST, |sum, id| crate::graphql::cost(1, sum + crate::graphql::cost(1, node_cost(id) + child_complexity))))"
    )]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items' or versions' global ids.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        let viewer = ctx.viewer()?;
        if ids.len() > 1000 {
            return Err(AppError::bad_input("at most 1000 ids at once").extend());
        }
        let asked = ids
            .iter()
            .map(|id| {
                ItemRef::parse_global(id).map_err(|_| {
                    AppError::bad_input(format!(
                        "{} is not a node id (a UUID, or a special folder's <special>/<companyId>)",
                        id.as_str()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.extend())?;
        let mut stored: Vec<ItemId> = asked.iter().filter_map(|(_, id)| id.stored_id()).collect();
        stored.sort();
        stored.dedup();
        let loaders = ctx.data::<Loaders>()?;
        let items = loaders
            .items
            .load_many(stored.iter().copied())
            .await
            .map_err(loader_error)?;
        let others: Vec<VersionId> = stored
            .iter()
            .filter(|id| !items.contains_key(id))
            .map(|id| VersionId(id.0))
            .collect();
        let service = ctx.service()?;
        let versions = service
            .readable_versions(viewer, &others)
            .await
            .map_err(|e| e.extend())?;
        // Special folders, each read once however often it is asked for.
        let mut folders: HashMap<(CompanyId, ItemRef), Option<crate::domain::Item>> =
            HashMap::new();
        for (company, id) in &asked {
            let (Some(company), None) = (company, id.stored_id()) else {
                continue;
            };
            if folders.contains_key(&(*company, id.clone())) {
                continue;
            }
            let folder = match service.get_item(viewer, *company, id).await {
                Ok(folder) => Some(folder),
                Err(AppError::NotFound(_) | AppError::Unauthenticated(_)) => None,
                Err(err) => return Err(err.extend()),
            };
            folders.insert((*company, id.clone()), folder);
        }
        let nodes = asked
            .into_iter()
            .map(|(company, id)| match (company, id.stored_id()) {
                (_, Some(id)) => match items.get(&id) {
                    Some(item) => Some(Node::Item(ItemObject(item.clone()))),
                    None => versions
                        .get(&VersionId(id.0))
                        .map(|v| Node::Version(v.clone().into())),
                },
                (Some(company), None) => folders
                    .get(&(company, id))
                    .cloned()
                    .flatten()
                    .map(|folder| Node::Item(ItemObject(folder))),
                (None, None) => None,
            })
            .collect();
        Ok(nodes)
    }

    /// A chat-channel tab; null when there is none. `NOT_FOUND` when the viewer may not read
    /// its item.
    #[graphql(complexity = "crate::graphql::cost(1, READ_COST + child_complexity)")]
    async fn tab(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(desc = "The tab's id.")] tab_id: String,
    ) -> async_graphql::Result<Option<TabObject>> {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        ctx.service()?
            .get_tab(viewer, company, &tab_id)
            .await
            .map(|tab| tab.map(TabObject))
            .map_err(|e| e.extend())
    }

    /// Every code an error's `extensions.code` may carry, for clients that map them (each
    /// code's description says when it is used and its REST status).
    async fn error_codes(&self) -> Vec<crate::error::ErrorCode> {
        crate::error::ErrorCode::ALL.to_vec()
    }

    /// The caller, as their token names them.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserObject> {
        let viewer = ctx.viewer()?;
        Ok(UserObject(std::sync::Arc::new(crate::domain::User {
            id: viewer.user_id.to_string(),
            name: viewer.name.clone(),
            email: viewer.email.clone(),
        })))
    }

    /// A download token for `?token=` on the download routes: lets a browser fetch these
    /// items (and this version of a single item) without headers, for an hour. Access is
    /// checked again when it is used.
    #[graphql(complexity = "READ_COST")]
    async fn download_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company (a UUID).")] company_id: ID,
        #[graphql(desc = "The items to download.")] items: Vec<ID>,
        #[graphql(desc = "A version of the single item named.")] version_id: Option<ID>,
    ) -> async_graphql::Result<String> {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&company_id).map_err(|e| e.extend())?;
        let ids = items
            .iter()
            .map(|id| ItemId::parse(id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.extend())?;
        let version = version_id
            .map(|v| VersionId::parse(&v))
            .transpose()
            .map_err(|e| e.extend())?;
        ctx.service()?
            .downloadable(viewer, company, &ids, version)
            .await
            .map_err(|e| e.extend())?;
        ctx.request()?
            .keys
            .mint_download(viewer, company, &ids, version)
            .map_err(|e| e.extend())
    }
}
