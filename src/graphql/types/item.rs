//! `Item`: a file, a folder or a special folder, as the viewer sees it.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object};

use super::{AccessExplanation, AccessInfoObject, UserObject, VersionObject};
use crate::domain::{
    AccessInfo, EntityKind, Item, Level, Scope, SortBy, SortOrder, Sorting, Version,
};
use crate::graphql::connection::{
    Built, ItemConnection, VersionConnection, Window, paginate, wants_total,
};
use crate::graphql::context::ContextExt;
use crate::graphql::inline::Inline;
use crate::graphql::listing::children_detail;
use crate::graphql::loaders::{Loaders, loader_error};
use crate::graphql::scalars::{ByteCount, Timestamp};

#[derive(Clone)]
pub struct ItemObject(pub Item);

/// What a `path` costs: its selection times the deepest nesting by default (the drive, the
/// folders, the item).
const PATH_COST: usize = crate::config::Limits::DEFAULT.max_folder_depth + 2;

impl From<Item> for ItemObject {
    fn from(item: Item) -> Self {
        Self(item)
    }
}

/// The order of a folder's children; folders always come first.
#[derive(InputObject, Default)]
pub struct ChildrenSort {
    /// What to order by (default `NAME`, in natural order).
    #[graphql(default)]
    pub by: SortBy,
    /// Ascending (default) or descending.
    #[graphql(default)]
    pub order: SortOrder,
}

// Fields that wait on the database box what they wait for: async-graphql moves every field's
// future into a box the size of the type's largest one, so an unboxed `children` made each
// `name` carry room for its pagination (BENCHMARKS.md, 12:05 run). Fields are resolved one
// after another (`serial`): most are ready at once, and concurrent resolution costs a task per
// field; siblings in a list still run together, so loaders still batch across them.
/// A drive item: a file, a folder, or one of the special folders (`root`, `user_<id>`,
/// `trash`, `trash_<id>`, `shared_with_me`).
#[Object(name = "Item", serial)]
impl ItemObject {
    /// The item's global id, unique across companies: a stored item's UUID (the same string as
    /// in REST), or `<special>/<companyId>` for a special folder (`root/0b6f…`; REST says
    /// `root`). Every id input takes both forms.
    pub async fn id(&self) -> ID {
        ID(self.0.id.global(self.0.company_id))
    }

    /// The revision of the item's last change (its name, description, tags, place, trash
    /// state, access list, public link, content, and for a folder its children): send it back
    /// as `ifRevision` to change the item only if nobody changed it since. Opaque; null for
    /// the special folders.
    async fn revision(&self) -> Option<String> {
        self.0.revision.map(|revision| revision.to_string())
    }

    /// The item's HTTP entity tag as the REST `GET item/:id` answer carries it (quoted): it
    /// changes whenever what that answer shows this viewer changes. Null for the special
    /// folders.
    async fn etag(&self) -> Option<String> {
        self.0.etag()
    }

    /// The company the item belongs to.
    async fn company_id(&self) -> ID {
        ID(self.0.company_id.to_string())
    }

    /// The global id of the folder or drive the item is in; null for special folders, and for
    /// a link visitor on the link's own item (what holds it is outside the visitor's world).
    async fn parent_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        let viewer = ctx.viewer()?;
        let link_top = viewer
            .public
            .as_ref()
            .is_some_and(|grant| self.0.stored_id() == Some(grant.item));
        if link_top {
            return Ok(None);
        }
        Ok(self
            .0
            .parent_id
            .as_ref()
            .map(|p| ID(p.global(self.0.company_id))))
    }

    /// The item's name, unique among its siblings of the same kind.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The file extension taken from the name (`pdf`), empty for folders.
    async fn extension(&self) -> &str {
        &self.0.extension
    }

    /// A free-text description.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Free-form tags.
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }

    /// Whether the item is a folder.
    async fn is_directory(&self) -> bool {
        self.0.is_directory
    }

    /// Whether the item itself was put in the trash.
    async fn is_in_trash(&self) -> bool {
        self.0.is_in_trash
    }

    /// Whether the item is in the trash, itself or through a trashed folder above it.
    async fn in_trash(&self) -> bool {
        self.0.in_trash
    }

    /// Whether the item lives in a personal drive or the Shared Drive.
    async fn scope(&self) -> Scope {
        self.0.scope
    }

    /// Who created the item; null for special folders, and for link visitors (who see no
    /// one's identity).
    async fn creator(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Inline<UserObject>>> {
        if ctx.viewer()?.is_visitor() {
            return Ok(None);
        }
        Ok(self.0.creator.clone().map(|user| Inline(UserObject(user))))
    }

    /// Who shared the item with the viewer: who granted the viewer's own entry on it, else
    /// the company's entry (for members), when that entry gives at least `READ`; null when
    /// no such entry names who granted it, for link visitors and for tab holders. (The one
    /// place a grantor is shown to someone who does not manage the item: to whom it was
    /// granted, as the reference's `shared_by`.)
    async fn shared_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserObject>> {
        let viewer = ctx.viewer()?;
        if viewer.is_visitor() || !viewer.user_entries_apply() || self.0.level < Level::Read {
            return Ok(None);
        }
        let company = self.0.company_id.to_string();
        let entry = |kind: EntityKind, id: &str| {
            self.0
                .access
                .iter()
                .find(|entry| entry.kind == kind && entry.id == id && entry.level >= Level::Read)
                .and_then(|entry| entry.grantor.clone())
        };
        let grantor = entry(EntityKind::User, viewer.user_id.as_str()).or_else(|| {
            viewer
                .role(self.0.company_id)
                .is_member()
                .then(|| entry(EntityKind::Company, &company))
                .flatten()
        });
        let Some(grantor) = grantor else {
            return Ok(None);
        };
        let known = Box::pin(ctx.data::<Loaders>()?.users.load_one(grantor.clone())).await;
        let user = known.map_err(loader_error)?.unwrap_or(crate::domain::User {
            id: grantor,
            name: None,
            email: None,
        });
        Ok(Some(UserObject(Arc::new(user))))
    }

    /// When the item was created.
    async fn added(&self) -> Timestamp {
        Timestamp(self.0.added)
    }

    /// When the item's name, place, metadata or content last changed.
    async fn last_modified(&self) -> Timestamp {
        Timestamp(self.0.last_modified)
    }

    /// A file's size, or the total size of what a folder holds outside the trash.
    async fn size(&self) -> ByteCount {
        ByteCount(self.0.size)
    }

    /// What the viewer may do with the item.
    async fn viewer_level(&self) -> Level {
        self.0.level
    }

    /// Why the viewer has `viewerLevel`: which role, ownership, entry (on which folder) or
    /// link gives it.
    async fn explain_access(&self) -> AccessExplanation {
        AccessExplanation::of(&self.0)
    }

    /// The level another user has on the item, taking them to be a member of the company
    /// (roles live in the identity provider's tokens). For managers of the item only
    /// (`FORBIDDEN` otherwise).
    async fn level_of_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] user_id: ID,
    ) -> async_graphql::Result<Level> {
        ctx.viewer()?;
        let user = crate::domain::UserId::parse(&user_id).map_err(|e| e.extend())?;
        if self.0.level < Level::Manage {
            return Err(crate::error::AppError::forbidden(format!(
                "only managers of {} may ask what others may do with it",
                self.0.id
            ))
            .extend());
        }
        let loaders = ctx.data::<Loaders>()?;
        let level = Box::pin(
            loaders
                .levels
                .load_one((self.0.company_id, user, self.0.id.clone())),
        )
        .await
        .map_err(loader_error)?;
        Ok(level.unwrap_or(Level::None))
    }

    /// The folders above the item that the viewer may read (from the drive down), then the
    /// item itself. Costs its selection once per level folders may nest.
    #[graphql(complexity = "crate::graphql::cost(PATH_COST, child_complexity)")]
    async fn path(&self) -> Vec<Inline<ItemObject>> {
        self.0
            .path()
            .into_iter()
            .map(|item| Inline(ItemObject(item)))
            .collect()
    }

    /// What the folder holds (outside the trash), folders first; for `trash`, `trash_<id>`
    /// and `shared_with_me`, what they list. Empty for files.
    #[graphql(
        complexity = "crate::graphql::cost(first.or(last).unwrap_or(100).max(1) as usize, child_complexity)"
    )]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "At most this many rows from the start (≤ 1000).")] first: Option<i32>,
        #[graphql(desc = "At most this many rows from the end (≤ 1000).")] last: Option<i32>,
        #[graphql(desc = "The order; default: by name, ascending.")] sort: Option<ChildrenSort>,
    ) -> async_graphql::Result<ItemConnection> {
        let viewer = ctx.viewer()?;
        let service = ctx.service()?;
        let sort = sort.unwrap_or_default();
        let sorting = Sorting {
            by: sort.by,
            order: sort.order,
        };
        let window = Window {
            after,
            before,
            first,
            last,
            count: wants_total(ctx),
        };
        let order = format!("{:?}:{:?}", sorting.by, sorting.order);
        let detail = children_detail(ctx);
        let children: Built<ItemObject> = Box::pin(paginate(
            window,
            &order,
            |page| service.children_of(viewer, &self.0, sorting, page, detail),
            |item: &Item| item.key(sorting),
        ))
        .await?;
        Ok(children.into())
    }

    /// A file's versions, newest first; empty for folders.
    #[graphql(
        complexity = "crate::graphql::cost(first.or(last).unwrap_or(100).max(1) as usize, child_complexity)"
    )]
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "At most this many rows from the start (≤ 1000).")] first: Option<i32>,
        #[graphql(desc = "At most this many rows from the end (≤ 1000).")] last: Option<i32>,
    ) -> async_graphql::Result<VersionConnection> {
        ctx.viewer()?;
        let service = ctx.service()?;
        let window = Window {
            after,
            before,
            first,
            last,
            count: wants_total(ctx),
        };
        let versions: Built<VersionObject> = Box::pin(paginate(
            window,
            "NEWEST",
            |page| service.versions_of(&self.0, page),
            Version::key,
        ))
        .await?;
        Ok(versions.into())
    }

    /// A link that downloads the file (a folder: a zip of it) for an hour, with no headers
    /// needed: for browsers. Null for special folders.
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(id) = self.0.stored_id() else {
            return Ok(None);
        };
        let token = ctx
            .request()?
            .keys
            .mint_download(ctx.viewer()?, self.0.company_id, &[id], None)
            .map_err(|e| e.extend())?;
        Ok(Some(format!(
            "/internal/services/documents/v1/companies/{}/item/{id}/download?token={token}",
            self.0.company_id
        )))
    }

    /// Where reading the latest version's content for search stands; null for folders.
    async fn search_status(&self) -> Option<crate::domain::search::SearchStatus> {
        self.0.latest_version.as_ref().map(|v| v.search_status)
    }

    /// The file's current version; null for folders.
    async fn latest_version(&self) -> Option<Inline<VersionObject>> {
        self.0
            .latest_version
            .clone()
            .map(|v| Inline(VersionObject(v)))
    }

    /// Who may do what with the item: link visitors see no entries, and who granted an entry
    /// is for the item's managers.
    async fn access_info(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Inline<AccessInfoObject>> {
        if self.0.level < Level::Read {
            return Err(crate::error::AppError::not_found(format!("item {}", self.0.id)).extend());
        }
        Ok(Inline(AccessInfoObject(AccessInfo::shown_to(
            &self.0,
            self.0.access.to_vec(),
            ctx.viewer()?,
        ))))
    }
}
