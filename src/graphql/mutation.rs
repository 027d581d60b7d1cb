//! The mutation root: one input and one payload per change.

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, SimpleObject, Upload};

use super::context::ContextExt;
use super::scalars::Timestamp;
use super::types::{AccessEntityInput, ItemObject, TabObject, VersionObject};
use super::upload;
use crate::auth::{PublicClaims, TokenKind};
use crate::domain::inputs::{CreateItem, NewVersion, PublicLinkChange, SetTab, UpdateItem};
use crate::domain::{CompanyId, EntityKind, ItemId, ItemRef, Level, Revision};
use crate::service::files::UploadFor;

#[derive(Default)]
pub struct MutationRoot;

/// The metadata of a file version. Its bytes come as `file` (multipart) or an upload's
/// `externalId`; its size and SHA-256 are always those of the stored bytes.
#[derive(InputObject, Default)]
pub struct VersionInput {
    /// The name the content was uploaded under; defaults to empty.
    pub file_name: Option<String>,
    /// The content's media type.
    pub mime: Option<String>,
    /// Where the content is kept; default `internal`.
    pub provider: Option<String>,
    /// The application adding the version, if any.
    pub application_id: Option<String>,
    /// The stored file the version points at (the files service's id).
    pub external_id: Option<String>,
}

impl From<VersionInput> for NewVersion {
    fn from(input: VersionInput) -> Self {
        Self {
            provider: input.provider.unwrap_or_default(),
            file_name: input.file_name.unwrap_or_default(),
            mime: input.mime.unwrap_or_default(),
            external_id: input.external_id,
            application_id: input.application_id.unwrap_or_default(),
        }
    }
}

/// A new file or folder.
#[derive(InputObject)]
pub struct CreateItemInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The folder or drive to create it in: a folder id, `root` or `user_<your id>`.
    pub parent_id: ID,
    /// The name; a taken name becomes `name-2`, `name-3`…
    pub name: String,
    /// Whether to create a folder (default: a file).
    #[graphql(default)]
    pub is_directory: bool,
    /// A free-text description.
    pub description: Option<String>,
    /// Free-form tags.
    pub tags: Option<Vec<String>>,
    /// A file's first version.
    pub version: Option<VersionInput>,
    /// The file's content (GraphQL multipart request); it becomes the first version.
    pub file: Option<Upload>,
}

/// The created item.
#[derive(SimpleObject)]
pub struct CreateItemPayload {
    /// The new item, under the name it really got.
    pub item: ItemObject,
}

/// A change to an item: every field given applies, even when empty; all or nothing.
#[derive(InputObject)]
pub struct UpdateItemInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The item to change.
    pub id: ID,
    /// A new name (a taken name becomes `name-2`…).
    pub name: Option<String>,
    /// A new description; `""` clears it.
    pub description: Option<String>,
    /// New tags, replacing the old ones.
    pub tags: Option<Vec<String>>,
    /// Move into this folder or drive (needs `MANAGE` on the item, `WRITE` on the target).
    pub parent_id: Option<ID>,
    /// A whole new access list, replacing the old one (needs `MANAGE`). Without a `FOLDER`
    /// entry nothing is inherited. For the Shared Drive (`id: "root"`) this is the only field.
    pub access: Option<Vec<AccessEntityInput>>,
    /// A change to the public link (needs `MANAGE`).
    pub public_link: Option<PublicLinkInput>,
    /// Into the trash (`true`) or out of it (`false`), with the rest of the change (needs
    /// `MANAGE`). Restoring comes first, so the rest applies where the item lands.
    pub in_trash: Option<bool>,
    /// Change only if the item is still at this revision (`Item.revision` or `Item.etag`);
    /// otherwise nothing changes and the error is `PRECONDITION_FAILED`.
    pub if_revision: Option<String>,
}

/// A change to an item's public link; what is absent stays as it is.
#[derive(InputObject)]
pub struct PublicLinkInput {
    /// What visitors holding the link may do: `READ` or `WRITE`; `NONE` switches it off.
    pub level: Option<Level>,
    /// A new password visitors must give; `""` removes it. Stored as an Argon2 hash.
    pub password: Option<String>,
    /// When the link stops working; 0 = never.
    pub expiration: Option<Timestamp>,
    /// Mint a new token, revoking every link and visitor token made from the old one.
    #[graphql(default)]
    pub rotate: bool,
    /// The legacy API's way to rotate: a token different from the current one rotates the
    /// link (the server mints the new token). Prefer `rotate`.
    pub token: Option<String>,
}

impl From<PublicLinkInput> for PublicLinkChange {
    fn from(input: PublicLinkInput) -> Self {
        Self {
            level: input.level,
            password: input.password,
            expiration: input.expiration.map(|t| t.0),
            token: input.token,
            rotate: input.rotate,
        }
    }
}

/// The changed item.
#[derive(SimpleObject)]
pub struct UpdateItemPayload {
    /// The item after the change.
    pub item: ItemObject,
}

/// An item to act on.
#[derive(InputObject)]
pub struct ItemInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The item.
    pub id: ID,
    /// Change only if the item is still at this revision (`Item.revision` or `Item.etag`);
    /// otherwise nothing changes and the error is `PRECONDITION_FAILED`.
    pub if_revision: Option<String>,
}

/// The item after it moved to the trash.
#[derive(SimpleObject)]
pub struct TrashItemPayload {
    /// The trashed item.
    pub item: ItemObject,
}

/// What was deleted for good.
#[derive(SimpleObject)]
pub struct DeleteItemPayload {
    /// The id of the deleted item (everything under it went with it).
    pub deleted_id: ID,
}

/// The item back from the trash.
#[derive(SimpleObject)]
pub struct RestoreItemPayload {
    /// The restored item, where it now is.
    pub item: ItemObject,
}

/// A new version of a file.
#[derive(InputObject)]
pub struct CreateVersionInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The file.
    pub item_id: ID,
    /// The version's metadata.
    #[graphql(default)]
    pub version: VersionInput,
    /// The version's content (GraphQL multipart request).
    pub file: Option<Upload>,
    /// Change only if the item is still at this revision (`Item.revision` or `Item.etag`);
    /// otherwise nothing changes and the error is `PRECONDITION_FAILED`.
    pub if_revision: Option<String>,
}

/// The new version and the file it now heads.
#[derive(SimpleObject)]
pub struct CreateVersionPayload {
    /// The version added.
    pub version: VersionObject,
    /// The file, with its size and last modification updated.
    pub item: ItemObject,
}

/// A tab to attach to an item.
#[derive(InputObject)]
pub struct SetTabInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The tab's id.
    pub tab_id: String,
    /// The channel the tab is in; its members get `level` on the item.
    pub channel_id: String,
    /// The item the tab shows (needs `MANAGE` on it).
    pub item_id: ID,
    /// `READ` or `WRITE`.
    pub level: Level,
}

/// The attached tab.
#[derive(SimpleObject)]
pub struct SetTabPayload {
    /// The tab as stored.
    pub tab: TabObject,
}

/// One entry to add to (or change in) an access list.
#[derive(InputObject)]
pub struct ShareItemInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The item, or `root` for the Shared Drive.
    pub id: ID,
    /// Who gets which level (a `FOLDER` entry sets what is inherited).
    pub entity: AccessEntityInput,
    /// Change only if the item is still at this revision (`Item.revision` or `Item.etag`);
    /// otherwise nothing changes and the error is `PRECONDITION_FAILED`.
    pub if_revision: Option<String>,
}

/// The item with its new access list.
#[derive(SimpleObject)]
pub struct ShareItemPayload {
    /// The item after the change.
    pub item: ItemObject,
}

/// One entry to remove from an access list.
#[derive(InputObject)]
pub struct UnshareItemInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The item, or `root` for the Shared Drive.
    pub id: ID,
    /// Whose entry to remove (`FOLDER`: stop inheriting from the parent).
    #[graphql(name = "type")]
    pub kind: EntityKind,
    /// The user, company or channel id (ignored for `FOLDER`).
    pub entity_id: String,
    /// Change only if the item is still at this revision (`Item.revision` or `Item.etag`);
    /// otherwise nothing changes and the error is `PRECONDITION_FAILED`.
    pub if_revision: Option<String>,
}

/// The item with its new access list.
#[derive(SimpleObject)]
pub struct UnshareItemPayload {
    /// The item after the change.
    pub item: ItemObject,
}

/// A visitor's claim to a document through a public link.
#[derive(InputObject)]
pub struct OpenPublicLinkInput {
    /// The company (a UUID).
    pub company_id: ID,
    /// The document to open: the link's item or anything under it.
    pub document_id: ID,
    /// The link's token.
    pub token: String,
    /// The link's password, when it has one.
    pub password: Option<String>,
}

/// A bearer token for an anonymous visitor of a public link.
#[derive(SimpleObject)]
pub struct OpenPublicLinkPayload {
    /// Send it as `Authorization: Bearer <token>`; it stops working when the link is switched
    /// off, rotated or expires.
    pub access_token: String,
    /// When the token expires.
    pub expiration: Timestamp,
}

/// How long a visitor's token lives at most.
const VISITOR_TOKEN_SECS: u64 = 3600;

fn target(company_id: &ID, id: &ID) -> async_graphql::Result<(CompanyId, ItemRef)> {
    let company = CompanyId::parse(company_id).map_err(|e| e.extend())?;
    let id = ItemRef::parse_in(id, company).map_err(|e| e.extend())?;
    Ok((company, id))
}

/// The revision an `ifRevision` argument names, when given.
fn expected(raw: Option<&str>) -> async_graphql::Result<Option<Revision>> {
    raw.map(Revision::parse).transpose().map_err(|e| e.extend())
}

/// Changing the drive.
#[Object]
impl MutationRoot {
    /// Creates a file (metadata and first version) or a folder.
    async fn create_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateItemInput,
    ) -> async_graphql::Result<CreateItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, parent) = target(&input.company_id, &input.parent_id)?;
        let mut version = input.version.map(NewVersion::from);
        let stored = match input.file {
            Some(file) => {
                Some(upload::store(ctx, company, file, UploadFor::NewItemIn(&parent)).await?)
            }
            None => None,
        };
        if let Some(stored) = &stored {
            version.get_or_insert_with(NewVersion::default).external_id =
                Some(stored.id.to_string());
        }
        let created = ctx
            .service()?
            .create_item(
                viewer,
                company,
                CreateItem {
                    parent,
                    name: input.name,
                    is_directory: input.is_directory,
                    description: input.description.unwrap_or_default(),
                    tags: input.tags.unwrap_or_default(),
                    version,
                },
            )
            .await
            .map_err(|e| e.extend());
        let item = upload::forget_if_refused(ctx, stored.as_ref(), created).await?;
        Ok(CreateItemPayload {
            item: ItemObject(item),
        })
    }

    /// Renames, describes, tags, moves, re-shares, trashes or restores an item, in one
    /// transaction: all or nothing.
    async fn update_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpdateItemInput,
    ) -> async_graphql::Result<UpdateItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let parent = input
            .parent_id
            .map(|p| ItemRef::parse_in(&p, company))
            .transpose()
            .map_err(|e| e.extend())?;
        let change = UpdateItem {
            name: input.name,
            description: input.description,
            tags: input.tags,
            parent,
            access: input
                .access
                .map(|entities| entities.into_iter().map(Into::into).collect()),
            public: input.public_link.map(Into::into),
            in_trash: input.in_trash,
            if_revision: expected(input.if_revision.as_deref())?,
        };
        let item = ctx
            .service()?
            .update_item(viewer, company, &id, change)
            .await
            .map_err(|e| e.extend())?;
        Ok(UpdateItemPayload {
            item: ItemObject(item),
        })
    }

    /// Moves an item (and what it holds) to the trash.
    async fn trash_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ItemInput,
    ) -> async_graphql::Result<TrashItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let item = ctx
            .service()?
            .trash_item(
                viewer,
                company,
                &id,
                expected(input.if_revision.as_deref())?,
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(TrashItemPayload {
            item: ItemObject(item),
        })
    }

    /// Deletes an item in the trash for good, with everything under it.
    async fn delete_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ItemInput,
    ) -> async_graphql::Result<DeleteItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let deleted = ctx
            .service()?
            .delete_item(
                viewer,
                company,
                &id,
                expected(input.if_revision.as_deref())?,
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(DeleteItemPayload {
            deleted_id: ID(deleted.to_string()),
        })
    }

    /// Takes an item out of the trash (to the top of its drive when its folder is trashed).
    async fn restore_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ItemInput,
    ) -> async_graphql::Result<RestoreItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let item = ctx
            .service()?
            .restore_item(
                viewer,
                company,
                &id,
                expected(input.if_revision.as_deref())?,
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(RestoreItemPayload {
            item: ItemObject(item),
        })
    }

    /// Adds a version to a file.
    async fn create_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateVersionInput,
    ) -> async_graphql::Result<CreateVersionPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.item_id)?;
        let if_revision = expected(input.if_revision.as_deref())?;
        let mut version = NewVersion::from(input.version);
        let stored = match input.file {
            Some(file) => {
                Some(upload::store(ctx, company, file, UploadFor::NewVersionOf(&id)).await?)
            }
            None => None,
        };
        if let Some(stored) = &stored {
            version.external_id = Some(stored.id.to_string());
        }
        let created = ctx
            .service()?
            .create_version(viewer, company, &id, version, if_revision)
            .await
            .map_err(|e| e.extend());
        let (version, item) = upload::forget_if_refused(ctx, stored.as_ref(), created).await?;
        Ok(CreateVersionPayload {
            version: version.into(),
            item: ItemObject(item),
        })
    }

    /// Attaches a chat-channel tab to an item.
    async fn set_tab(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: SetTabInput,
    ) -> async_graphql::Result<SetTabPayload> {
        let viewer = ctx.viewer()?;
        let company = CompanyId::parse(&input.company_id).map_err(|e| e.extend())?;
        let item_id = ItemId::parse(&input.item_id).map_err(|e| e.extend())?;
        let tab = ctx
            .service()?
            .set_tab(
                viewer,
                company,
                SetTab {
                    tab_id: input.tab_id,
                    channel_id: input.channel_id,
                    item_id,
                    level: input.level,
                },
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(SetTabPayload {
            tab: TabObject(tab),
        })
    }

    /// Opens a public link as an anonymous visitor: no credentials needed, the token (and
    /// password) are.
    async fn open_public_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link and the document to open.")] input: OpenPublicLinkInput,
    ) -> async_graphql::Result<OpenPublicLinkPayload> {
        let request = ctx.request()?;
        let company = CompanyId::parse(&input.company_id).map_err(|e| e.extend())?;
        let document = ItemId::parse(&input.document_id).map_err(|e| e.extend())?;
        let (grant, link_expiration) = request
            .service
            .visit_public_link(
                company,
                document,
                &input.token,
                input.password.as_deref(),
                request.client,
            )
            .await
            .map_err(|e| e.extend())?;
        let mut exp = crate::auth::unix_now() + VISITOR_TOKEN_SECS;
        if link_expiration > 0 {
            exp = exp.min((link_expiration / 1000) as u64);
        }
        let claims = PublicClaims {
            sub: crate::domain::UserId::anonymous().to_string(),
            exp,
            typ: TokenKind::Public,
            company_id: grant.company.to_string(),
            document_id: grant.item.to_string(),
            link: grant.token,
            generation: grant.generation.unwrap_or_default(),
        };
        let access_token = request.keys.sign(&claims).map_err(|e| e.extend())?;
        Ok(OpenPublicLinkPayload {
            access_token,
            expiration: Timestamp((exp * 1000) as i64),
        })
    }

    /// Gives a user, the company or a channel a level on an item, keeping the rest of its
    /// access list (needs `MANAGE`).
    async fn share_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item and the entry.")] input: ShareItemInput,
    ) -> async_graphql::Result<ShareItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let item = ctx
            .service()?
            .share_item(
                viewer,
                company,
                &id,
                input.entity.into(),
                expected(input.if_revision.as_deref())?,
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(ShareItemPayload {
            item: ItemObject(item),
        })
    }

    /// Removes one entry from an item's access list (needs `MANAGE`).
    async fn unshare_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item and the entry.")] input: UnshareItemInput,
    ) -> async_graphql::Result<UnshareItemPayload> {
        let viewer = ctx.viewer()?;
        let (company, id) = target(&input.company_id, &input.id)?;
        let item = ctx
            .service()?
            .unshare_item(
                viewer,
                company,
                &id,
                (input.kind, &input.entity_id),
                expected(input.if_revision.as_deref())?,
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(UnshareItemPayload {
            item: ItemObject(item),
        })
    }
}
