//! Changing items: create, update (rename, move, describe, tag), trash, delete for good, restore.

use entity::{grant, item};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use super::access::{self, path_ids, require};
use super::naming::{NameWrite, write_with_free_name};
use super::revisions::Logged;
use super::{
    Service, access_list, items, locks, public_links, revisions, sizes, subtree, users, versions,
};
use crate::auth::Viewer;
use crate::domain::inputs::{CreateItem, UpdateItem};
use crate::domain::{
    ChangeKind, CompanyId, Item, ItemId, ItemRef, Level, Revision, names, now_millis,
};
use crate::error::{AppError, AppResult};

/// The most tags an item carries, and the longest tag and description.
const MAX_TAGS: usize = 64;
const MAX_TAG_BYTES: usize = 128;
const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;

/// Where an item can be put: a drive top or a folder the viewer may write to.
pub(super) struct Place {
    parent_id: String,
    drive: String,
    path: String,
    /// Who owns what lands here: the drive's owner, or the folder's creator in the Shared Drive.
    owner: Option<String>,
}

/// Where the viewer may put an item: `target` must be a drive top or a folder they may write
/// to, outside the trash. (Writes lock the target's place first.)
pub(super) async fn writable_place<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    target: &ItemRef,
) -> AppResult<Place> {
    match target {
        ItemRef::Root | ItemRef::UserDrive(_) => {
            let top = items::get(db, viewer, company, target).await?;
            require(&top, Level::Write, "adding items here")?;
            let owner = match target {
                ItemRef::UserDrive(uid) => Some(uid.to_string()),
                _ => None,
            };
            Ok(Place {
                parent_id: target.to_string(),
                drive: target.to_string(),
                path: "/".to_owned(),
                owner,
            })
        }
        ItemRef::Item(id) => {
            let (folder, row) = access::readable_item(db, viewer, company, id.0).await?;
            require(&folder, Level::Write, "adding items to this folder")?;
            if !row.is_directory {
                return Err(AppError::bad_input(format!("{id} is a file, not a folder")));
            }
            if folder.in_trash {
                return Err(AppError::bad_input(format!("folder {id} is in the trash")));
            }
            let owner = row
                .drive
                .strip_prefix("user_")
                .map_or_else(|| row.creator.clone(), str::to_owned);
            Ok(Place {
                parent_id: id.to_string(),
                path: subtree::descendant_prefix(&row),
                owner: Some(owner),
                drive: row.drive,
            })
        }
        other => Err(AppError::bad_input(format!(
            "items cannot be put in {other}; use a folder, root or user_<id>"
        ))),
    }
}

impl Place {
    /// Where an item put here is, as the change log records it.
    fn landing(&self) -> revisions::Place {
        revisions::Place {
            parent: self.parent_id.clone(),
            path: self.path.clone(),
            inherits: true,
        }
    }
}

fn stored(id: &ItemRef) -> AppResult<ItemId> {
    match id {
        ItemRef::Item(id) => Ok(*id),
        other => Err(AppError::bad_input(format!(
            "{other} is a special folder and cannot be changed this way"
        ))),
    }
}

fn validate_tags(tags: &[String]) -> AppResult<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(AppError::bad_input(format!("at most {MAX_TAGS} tags")));
    }
    tags.iter()
        .map(|tag| {
            let tag = tag.trim();
            if tag.is_empty() || tag.len() > MAX_TAG_BYTES {
                Err(AppError::bad_input(format!(
                    "tags must be 1-{MAX_TAG_BYTES} bytes, got {tag:?}"
                )))
            } else {
                Ok(tag.to_owned())
            }
        })
        .collect()
}

fn validate_description(description: &str) -> AppResult<String> {
    if description.len() > MAX_DESCRIPTION_BYTES {
        return Err(AppError::bad_input(format!(
            "description must be at most {MAX_DESCRIPTION_BYTES} bytes"
        )));
    }
    Ok(description.to_owned())
}

/// A stored item the viewer may change, read in the write transaction that changes it.
struct Opened {
    txn: super::WriteTxn,
    id: ItemId,
    item: Item,
    row: item::Model,
}

/// Puts a row in the trash (what is under it follows): its size leaves the folders counting it.
async fn trash_row(txn: &super::WriteTxn, item: &Item, row: item::Model) -> AppResult<()> {
    if item.in_trash {
        return Ok(());
    }
    sizes::add_to_counting_folders(&**txn, &row, -row.size).await?;
    let mut model = row.into_active_model();
    model.is_in_trash = Set(true);
    model.update(&**txn).await?;
    Ok(())
}

/// Takes a row out of the trash: back into its folder, or to the top of its drive when that
/// folder is itself in the trash. Returns the row as it now is.
async fn restore_row(
    txn: &super::WriteTxn,
    item: &Item,
    row: item::Model,
) -> AppResult<item::Model> {
    if !item.in_trash {
        return Ok(row);
    }
    let ancestors = sizes::ancestors(&**txn, &row).await?;
    let folder_trashed = ancestors.values().any(|a| a.is_in_trash);
    let mut model = row.clone().into_active_model();
    model.is_in_trash = Set(false);
    if folder_trashed {
        // Its folder is gone: the item goes to the top of its drive.
        sizes::add_to_folders(&**txn, sizes::counting_folders(&row, &ancestors), -row.size).await?;
        model.parent_id = Set(row.drive.clone());
        model.path = Set("/".to_owned());
        write_with_free_name(txn, &row.name, NameWrite::Update(model)).await?;
        subtree::move_descendants(&**txn, &row, "/", &row.drive).await?;
    } else {
        model.update(&**txn).await?;
        sizes::add_to_folders(&**txn, path_ids(&row.path).collect(), row.size).await?;
    }
    item::Entity::find_by_id(row.id)
        .one(&**txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("item {}", row.id)))
}

/// How many folders stand above what lives under `path`.
fn depth_of(path: &str) -> usize {
    path_ids(path).count()
}

/// How many levels of folders a row holds below itself (0 for a file or an empty folder).
async fn height_below<C: ConnectionTrait>(db: &C, row: &item::Model) -> AppResult<usize> {
    if !row.is_directory {
        return Ok(0);
    }
    let longest: Option<i64> = item::Entity::find()
        .select_only()
        .expr(sea_orm::sea_query::Expr::cust(
            "CAST(MAX(LENGTH(path)) AS BIGINT)",
        ))
        .filter(subtree::under(row.company_id, row.id, &row.path))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    // Each ancestor takes a UUID and a slash in a path ("/a/b/").
    Ok(longest.map_or(0, |len| {
        (((len.max(1) - 1) / 37) as usize).saturating_sub(depth_of(&row.path))
    }))
}

impl Service {
    /// Refuses (400) to put something `height` levels deep under `path` past the deepest
    /// nesting allowed.
    fn check_depth(&self, path: &str, height: usize) -> AppResult<()> {
        if depth_of(path) + height > self.max_folder_depth {
            return Err(AppError::bad_input(format!(
                "folders nest at most {} deep (QUIRE_MAX_FOLDER_DEPTH)",
                self.max_folder_depth
            )));
        }
        Ok(())
    }

    /// Opens a write transaction on a stored item the viewer must have `needed` on to
    /// `action`, its place locked with that of `target` (a move's destination), and with
    /// `subtree` all it holds; the item is claimed for the change if it is still at the
    /// `expected` revision.
    #[allow(clippy::too_many_arguments)]
    async fn open(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        (needed, action): (Level, &str),
        target: Option<&ItemRef>,
        subtree: bool,
        expected: Option<Revision>,
    ) -> AppResult<Opened> {
        let id = stored(id)?;
        let txn = self.write().await?;
        let mut places = vec![id.0];
        places.extend(target.and_then(ItemRef::stored_id).map(|t| t.0));
        locks::places(&txn, company.0, &places, subtree).await?;
        let (item, row) = access::readable_item(&*txn, viewer, company, id.0).await?;
        require(&item, needed, action)?;
        revisions::claim(&txn, company, id, expected).await?;
        Ok(Opened { txn, id, item, row })
    }

    /// Creates a folder or a file (with its first version) in a folder or drive the viewer
    /// may write to. A taken name becomes `name-2`, `name-3`…
    pub async fn create_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        input: CreateItem,
    ) -> AppResult<Item> {
        let id = self
            .retrying(|| self.insert_item(viewer, company, input.clone()))
            .await?;
        self.get_item(viewer, company, &ItemRef::Item(id)).await
    }

    async fn insert_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        input: CreateItem,
    ) -> AppResult<ItemId> {
        let name = names::validate(&input.name)?;
        let tags = validate_tags(&input.tags)?;
        let description = validate_description(&input.description)?;
        if input.is_directory && input.version.is_some() {
            return Err(AppError::bad_input("a folder has no versions"));
        }
        // A file always has content: what it was given, or none at all (an empty file).
        let version = match (input.is_directory, input.version) {
            (true, _) => None,
            (false, version) => Some(versions::validate(version.unwrap_or_default())?),
        };

        let txn = self.write().await?;
        if let Some(parent) = input.parent.stored_id() {
            locks::places(&txn, company.0, &[parent.0], false).await?;
        }
        let place = writable_place(&*txn, viewer, company, &input.parent).await?;
        self.check_depth(&place.path, 0)?;
        let id = ItemId::generate();
        let now = now_millis();
        // What a link visitor or a tab holder adds belongs to the owner of where it lands, so
        // it shows in their drive and their trash like their own.
        let creator = match (&place.owner, viewer.acts_as_self()) {
            (Some(owner), false) => owner.clone(),
            _ => viewer.user_id.to_string(),
        };
        let model = item::ActiveModel {
            id: Set(id.0),
            company_id: Set(company.0),
            parent_id: Set(place.parent_id.clone()),
            drive: Set(place.drive.clone()),
            path: Set(place.path.clone()),
            name: NotSet,
            sort_name: NotSet,
            extension: Set(String::new()),
            description: Set(description),
            tags: Set(serde_json::json!(tags)),
            is_directory: Set(input.is_directory),
            is_in_trash: Set(false),
            creator: Set(creator.clone()),
            added: Set(now),
            last_modified: Set(now),
            size: Set(0),
            folder_level: Set(Level::Manage.as_str().to_owned()),
            public_token: Set(None),
            public_level: Set(Level::None.as_str().to_owned()),
            public_password_hash: Set(None),
            public_expiration: Set(0),
            public_generation: Set(0),
            last_version_id: Set(None),
            revision: Set(revisions::PENDING),
        };
        write_with_free_name(&txn, &name, NameWrite::Insert(model)).await?;
        grant::Entity::insert(grant::ActiveModel {
            company_id: Set(company.0),
            item_id: Set(id.0),
            kind: Set("user".to_owned()),
            subject: Set(creator.clone()),
            level: Set(Level::Manage.as_str().to_owned()),
            grantor: Set(None),
        })
        .exec(&*txn)
        .await?;
        let size = match version {
            Some(version) => {
                let bytes = match version.external_id {
                    Some(_) => versions::VersionBytes::Uploaded,
                    None => versions::VersionBytes::Empty(self.empty_content(&txn, company).await?),
                };
                versions::insert(&*txn, viewer, (company, id), &creator, version, bytes, now)
                    .await?
                    .size
            }
            None => 0,
        };
        sizes::add_to_folders(&*txn, path_ids(&place.path).collect(), size).await?;
        revisions::mark_parents(&txn, company, [place.parent_id.as_str()]).await?;
        revisions::log(
            &txn,
            company,
            Logged::new(ChangeKind::Created, id.0, viewer).to(place.landing()),
        );
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Renames, moves, describes, tags, re-shares, trashes or restores an item: `write` for
    /// metadata, `manage` on the item and `write` on the target to move it, `manage` to change
    /// who has access and to trash or restore it. The Shared Drive (`root`) takes a new access
    /// list only. All in one transaction: a refused change changes nothing.
    pub async fn update_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        change: UpdateItem,
    ) -> AppResult<Item> {
        let id = self
            .retrying(|| self.change_item(viewer, company, id, change.clone()))
            .await?;
        self.get_item(viewer, company, &id).await
    }

    async fn change_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        change: UpdateItem,
    ) -> AppResult<ItemRef> {
        let access = change
            .access
            .clone()
            .map(|entities| access_list::validate(company, id, entities))
            .transpose()?;
        if let Some(public) = &change.public {
            public_links::validate(public)?;
        }
        if *id == ItemRef::Root {
            let only_access = change.name.is_none()
                && change.description.is_none()
                && change.tags.is_none()
                && change.parent.is_none()
                && change.public.is_none()
                && change.in_trash.is_none();
            let (Some(access), true) = (access, only_access) else {
                return Err(AppError::bad_input(
                    "the Shared Drive only takes a new access list",
                ));
            };
            if change.if_revision.is_some() {
                return Err(revisions::no_revision(id));
            }
            let txn = self.write().await?;
            let root = items::get(&*txn, viewer, company, id).await?;
            require(&root, Level::Manage, "changing who has access")?;
            let revoked = access_list::replace(&txn, viewer, company, id, access).await?;
            let logged = Logged::new(ChangeKind::AccessChanged, access::ROOT_KEY, viewer);
            revisions::log(&txn, company, logged.revoking(revoked));
            users::remember(&*txn, viewer).await?;
            txn.commit().await?;
            return Ok(ItemRef::Root);
        }
        let name = change.name.as_deref().map(names::validate).transpose()?;
        let tags = change.tags.as_deref().map(validate_tags).transpose()?;
        let description = change
            .description
            .as_deref()
            .map(validate_description)
            .transpose()?;

        let Opened {
            txn,
            id,
            mut item,
            mut row,
        } = self
            .open(
                viewer,
                company,
                id,
                (Level::Write, "changing this item"),
                change.parent.as_ref(),
                change.parent.is_some() || change.in_trash == Some(false),
                change.if_revision,
            )
            .await?;
        let before = revisions::Place::from(&row);
        let was_in_trash = item.in_trash;
        if access.is_some() || change.public.is_some() {
            require(&item, Level::Manage, "changing who has access")?;
        }
        if let Some(in_trash) = change.in_trash {
            let action = if in_trash { "trashing" } else { "restoring" };
            require(&item, Level::Manage, &format!("{action} this item"))?;
        }
        // Out of the trash first, so that the rest applies to the item where it lands.
        if change.in_trash == Some(false) && item.in_trash {
            row = restore_row(&txn, &item, row).await?;
            item.in_trash = false;
        }
        let target = change
            .parent
            .filter(|target| target.to_string() != row.parent_id);
        let place = match &target {
            Some(target) => {
                require(&item, Level::Manage, "moving this item")?;
                if item.in_trash {
                    return Err(AppError::bad_input("restore the item before moving it"));
                }
                let place = writable_place(&*txn, viewer, company, target).await?;
                if target == &ItemRef::Item(id) || path_ids(&place.path).any(|a| a == id.0) {
                    return Err(AppError::bad_input(
                        "a folder cannot be moved into itself or one of its descendants",
                    ));
                }
                self.check_depth(&place.path, height_below(&*txn, &row).await?)?;
                Some(place)
            }
            None => None,
        };
        // Where the item is once changed (a restore may have put it at the top of its drive).
        let after = match &place {
            Some(place) => place.landing(),
            None => revisions::Place::from(&row),
        };
        let kind = match (change.in_trash, was_in_trash) {
            (Some(true), _) => ChangeKind::Trashed,
            (Some(false), true) => ChangeKind::Restored,
            _ if place.is_some() => ChangeKind::Moved,
            _ if access.is_some() => ChangeKind::AccessChanged,
            _ if change.public.is_some() => ChangeKind::PublicLinkChanged,
            _ => ChangeKind::Updated,
        };

        let metadata = name.is_some()
            || description.is_some()
            || tags.is_some()
            || place.is_some()
            || change.public.is_some();
        if metadata {
            let mut model = row.clone().into_active_model();
            if let Some(description) = description {
                model.description = Set(description);
            }
            if let Some(tags) = tags {
                model.tags = Set(serde_json::json!(tags));
            }
            model.last_modified = Set(now_millis());
            if let Some(public) = change.public {
                public_links::apply(&row, &mut model, public)?;
            }
            if let Some(place) = &place {
                model.parent_id = Set(place.parent_id.clone());
                model.drive = Set(place.drive.clone());
                model.path = Set(place.path.clone());
            }
            match (&name, &place) {
                (None, None) => {
                    model.update(&*txn).await?;
                }
                _ => {
                    let wanted = name.unwrap_or_else(|| row.name.clone());
                    write_with_free_name(&txn, &wanted, NameWrite::Update(model)).await?;
                }
            }
            if let Some(place) = place {
                subtree::move_descendants(&*txn, &row, &place.path, &place.drive).await?;
                sizes::add_to_counting_folders(&*txn, &row, -row.size).await?;
                sizes::add_to_folders(&*txn, path_ids(&place.path).collect(), row.size).await?;
            }
        }
        let revoked = match access {
            Some(access) => {
                access_list::replace(&txn, viewer, company, &ItemRef::Item(id), access).await?
            }
            None => Vec::new(),
        };
        if change.in_trash == Some(true) {
            let row = item::Entity::find_by_id(id.0)
                .one(&*txn)
                .await?
                .ok_or_else(|| AppError::not_found(format!("item {id}")))?;
            trash_row(&txn, &item, row).await?;
        }
        revisions::mark_parents(&txn, company, [before.parent.as_str(), &after.parent]).await?;
        let logged = Logged::new(kind, id.0, viewer).from(before).to(after);
        revisions::log(&txn, company, logged.revoking(revoked));
        if metadata || change.access.is_some() {
            users::remember(&*txn, viewer).await?;
        }
        txn.commit().await?;
        Ok(ItemRef::Item(id))
    }

    /// Puts an item (and so everything under it) in the trash; `manage` needed.
    pub async fn trash_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        if_revision: Option<Revision>,
    ) -> AppResult<Item> {
        let change = UpdateItem {
            in_trash: Some(true),
            if_revision,
            ..UpdateItem::default()
        };
        self.update_item(viewer, company, id, change).await
    }

    /// Takes an item out of the trash: back into its folder, or to the top of its drive when
    /// that folder is itself in the trash. `manage` needed; an item not in the trash is left
    /// as is.
    pub async fn restore_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        if_revision: Option<Revision>,
    ) -> AppResult<Item> {
        let change = UpdateItem {
            in_trash: Some(false),
            if_revision,
            ..UpdateItem::default()
        };
        self.update_item(viewer, company, id, change).await
    }

    /// Deletes an item in the trash for good, with everything under it; `manage` needed.
    pub async fn delete_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        if_revision: Option<Revision>,
    ) -> AppResult<ItemId> {
        let id = self
            .retrying(|| self.remove_item(viewer, company, id, if_revision))
            .await?;
        // The bytes of content nobody uses any more go now (the sweeper would get them later).
        if let Err(err) = self.sweep_unreferenced().await {
            tracing::warn!(error = ?err, "could not delete unreferenced content yet");
        }
        Ok(id)
    }

    async fn remove_item(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &ItemRef,
        if_revision: Option<Revision>,
    ) -> AppResult<ItemId> {
        let Opened { txn, id, item, row } = self
            .open(
                viewer,
                company,
                id,
                (Level::Manage, "deleting this item"),
                None,
                true,
                if_revision,
            )
            .await?;
        if !item.in_trash {
            return Err(AppError::bad_input(
                "only items in the trash can be deleted for good; trash it first",
            ));
        }
        // Whoever held an entry on it is told it is gone.
        let holders: Vec<(String, String)> = grant::Entity::find()
            .select_only()
            .columns([grant::Column::Kind, grant::Column::Subject])
            .filter(grant::Column::CompanyId.eq(company.0))
            .filter(grant::Column::ItemId.eq(id.0))
            .into_tuple()
            .all(&*txn)
            .await?;
        sizes::add_to_counting_folders(&*txn, &row, -row.size).await?;
        subtree::delete(&*txn, &row).await?;
        revisions::mark_parents(&txn, company, [row.parent_id.as_str()]).await?;
        let revoked = holders
            .iter()
            .map(|(k, s)| revisions::entry_key(k, s))
            .collect();
        let logged =
            Logged::new(ChangeKind::Deleted, id.0, viewer).from(revisions::Place::from(&row));
        revisions::log(&txn, company, logged.revoking(revoked));
        txn.commit().await?;
        Ok(id)
    }
}
