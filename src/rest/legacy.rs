//! The reference's JSON (DriveFile, FileVersion, DriveItemDetails, …) as Rust types, built
//! from the fixed operations' typed results (`answers.rs`) and serialised once. `openapi.rs`
//! documents these same types, so the document describes what is sent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::answers::{self, DriveItem, DriveVersion, EntityKind, Level, Scope};
use crate::domain::CompanyId;
use crate::service::chunks::PendingUpload;
use crate::service::files::UploadedFile;

/// An item id as REST sends it: a special folder's GraphQL global id (`root/<company>`) loses
/// its company (`root`); a UUID stays.
fn rest_id(id: &str) -> String {
    id.split_once('/')
        .map_or(id, |(special, _)| special)
        .to_owned()
}

/// One entry of an access list.
#[derive(Serialize, ToSchema)]
pub struct AccessEntity {
    /// A user id, company id, channel id, or `parent` for the folder entry.
    id: String,
    #[serde(rename = "type")]
    kind: EntityKind,
    level: Level,
    grantor: Option<String>,
}

/// The public link of an item (the password is never returned).
#[derive(Serialize, ToSchema)]
pub struct PublicAccess {
    level: Level,
    /// Always empty.
    password: &'static str,
    /// Milliseconds since the epoch; 0 for never.
    expiration: i64,
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessInformation {
    entities: Vec<AccessEntity>,
    public: PublicAccess,
}

#[derive(Serialize, ToSchema)]
pub struct FileMetadata {
    source: String,
    external_id: Option<String>,
    name: String,
    mime: String,
    size: i64,
    /// Always empty.
    thumbnails: Vec<Value>,
}

/// A version of a file (`FileVersion`).
#[derive(Serialize, ToSchema)]
pub struct FileVersion {
    id: String,
    drive_item_id: String,
    provider: String,
    file_id: Option<String>,
    file_metadata: FileMetadata,
    /// Milliseconds since the epoch.
    date_added: i64,
    creator_id: String,
    application_id: String,
    /// Always null.
    realname: Option<String>,
    file_size: i64,
    filename: String,
    /// Always empty.
    data: BTreeMap<String, Value>,
}

impl From<DriveVersion> for FileVersion {
    fn from(v: DriveVersion) -> Self {
        FileVersion {
            file_metadata: FileMetadata {
                source: v.provider.clone(),
                external_id: v.external_id.clone(),
                name: v.file_name.clone(),
                mime: v.mime,
                size: v.size,
                thumbnails: Vec::new(),
            },
            id: v.id,
            drive_item_id: v.item_id,
            provider: v.provider,
            file_id: v.external_id,
            date_added: v.date_added,
            creator_id: v.creator_id,
            application_id: v.application_id,
            realname: None,
            file_size: v.size,
            filename: v.file_name,
            data: BTreeMap::new(),
        }
    }
}

/// A stored item (`DriveFile`).
#[derive(Serialize, ToSchema)]
pub struct DriveFile {
    company_id: String,
    id: String,
    /// `root`, `user_<id>`, … for the special folders, a UUID for a stored folder.
    parent_id: Option<String>,
    is_in_trash: bool,
    in_trash: bool,
    is_directory: bool,
    name: String,
    extension: String,
    description: String,
    tags: Vec<String>,
    /// Milliseconds since the epoch.
    added: i64,
    /// Milliseconds since the epoch.
    last_modified: i64,
    access_info: AccessInformation,
    /// Always null.
    editing_session_key: Option<String>,
    /// What was extracted from the latest version's content for search; empty until then.
    content_keywords: String,
    creator: Option<String>,
    size: i64,
    last_version_cache: Option<FileVersion>,
    scope: Scope,
}

impl From<DriveItem> for DriveFile {
    fn from(v: DriveItem) -> Self {
        let public = v.access_info.public;
        DriveFile {
            company_id: v.company_id,
            id: v.id,
            parent_id: v.parent_id.as_deref().map(rest_id),
            is_in_trash: v.is_in_trash,
            in_trash: v.is_in_trash,
            is_directory: v.is_directory,
            name: v.name,
            extension: v.extension,
            description: v.description,
            tags: v.tags,
            added: v.added,
            last_modified: v.last_modified,
            access_info: AccessInformation {
                entities: v
                    .access_info
                    .entities
                    .into_iter()
                    .map(|e| AccessEntity {
                        id: e.id,
                        kind: e.kind,
                        level: e.level,
                        grantor: e.grantor,
                    })
                    .collect(),
                public: PublicAccess {
                    level: public.level,
                    password: "",
                    expiration: public.expiration,
                    token: public.token,
                },
            },
            editing_session_key: None,
            content_keywords: v
                .latest_version
                .as_ref()
                .map(|version| version.content_keywords.clone())
                .unwrap_or_default(),
            creator: v.creator.map(|user| user.id),
            size: v.size,
            last_version_cache: v.latest_version.map(FileVersion::from),
            scope: v.scope,
        }
    }
}

/// A special folder (`root`, `user_<id>`, `trash`, …) as an item: `{id, parent_id: null,
/// name, size}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecialFolder {
    id: String,
    /// Always null.
    parent_id: Option<String>,
    name: String,
    size: i64,
}

/// The item a `GET item/:id` is about: a stored item, or a special folder.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Subject {
    Special(SpecialFolder),
    Stored(Box<DriveFile>),
}

impl From<DriveItem> for Subject {
    fn from(v: DriveItem) -> Self {
        if v.is_special() {
            Subject::Special(SpecialFolder {
                id: rest_id(&v.id),
                parent_id: None,
                name: v.name,
                size: v.size,
            })
        } else {
            Subject::Stored(Box::new(v.into()))
        }
    }
}

/// A special folder in a path: `{id, name}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriveName {
    id: String,
    name: String,
}

/// An entry of a path: a special folder by name, stored folders in full.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum PathEntry {
    Drive(DriveName),
    Folder(Box<DriveFile>),
}

impl From<DriveItem> for PathEntry {
    fn from(v: DriveItem) -> Self {
        if v.is_special() {
            PathEntry::Drive(DriveName {
                id: rest_id(&v.id),
                name: v.name,
            })
        } else {
            PathEntry::Folder(Box::new(v.into()))
        }
    }
}

/// An item with what surrounds it (`DriveItemDetails`).
#[derive(Serialize, ToSchema)]
pub struct ItemDetails {
    /// The folders above the item, from its drive down, then the item.
    path: Vec<PathEntry>,
    item: Subject,
    /// Newest first; empty for folders.
    versions: Vec<FileVersion>,
    /// Newest first, folders first; empty for files.
    children: Vec<DriveFile>,
    /// The caller's level on the item.
    access: Level,
}

impl From<answers::Details> for ItemDetails {
    fn from(v: answers::Details) -> Self {
        ItemDetails {
            path: v.path.into_iter().map(PathEntry::from).collect(),
            item: v.item.into(),
            versions: v
                .versions
                .edges
                .into_iter()
                .map(|edge| edge.node.into())
                .collect(),
            children: v
                .children
                .edges
                .into_iter()
                .map(|edge| edge.node.into())
                .collect(),
            access: v.viewer_level,
        }
    }
}

/// The page to ask for next.
#[derive(Serialize, ToSchema)]
pub struct NextPage {
    pub page: u64,
    pub limit: u64,
}

/// A page of a folder's children. For `shared_with_me`, as the reference: no `item`, no
/// `versions`, an empty `path`.
#[derive(Serialize, ToSchema)]
pub struct BrowsePage {
    path: Vec<PathEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    versions: Option<Vec<FileVersion>>,
    children: Vec<DriveFile>,
    access: Level,
    /// Null on the last page.
    #[serde(rename = "nextPage")]
    next_page: Option<NextPage>,
}

impl BrowsePage {
    /// The page of `details`, followed by `next_page`; `shared_with_me` shows only children.
    pub fn new(details: ItemDetails, next_page: Option<NextPage>, shared_with_me: bool) -> Self {
        let ItemDetails {
            path,
            item,
            versions,
            children,
            access,
        } = details;
        if shared_with_me {
            BrowsePage {
                path: Vec::new(),
                item: None,
                versions: None,
                children,
                access,
                next_page,
            }
        } else {
            BrowsePage {
                path,
                item: Some(item),
                versions: Some(versions),
                children,
                access,
                next_page,
            }
        }
    }
}

/// A user as the reference's DTOs name them.
#[derive(Serialize, ToSchema)]
pub struct DtoUser {
    id: String,
    first_name: Option<String>,
    /// Always empty.
    last_name: &'static str,
    email: Option<String>,
}

impl From<answers::User> for DtoUser {
    fn from(v: answers::User) -> Self {
        DtoUser {
            id: v.id,
            first_name: v.name,
            last_name: "",
            email: v.email,
        }
    }
}

/// A search result in the reference's `shared_with_me` DTO view.
#[derive(Serialize, ToSchema)]
pub struct SharedWithMeEntity {
    id: String,
    name: String,
    parent_id: Option<String>,
    is_directory: bool,
    extension: String,
    added: i64,
    last_modified: i64,
    size: i64,
    last_version_cache: Option<FileVersion>,
    created_by: Option<DtoUser>,
    shared_by: Option<DtoUser>,
}

impl From<DriveItem> for SharedWithMeEntity {
    fn from(mut v: DriveItem) -> Self {
        let created_by = v.creator.take().map(DtoUser::from);
        let shared_by = v.shared_by.take().map(DtoUser::from);
        let file = DriveFile::from(v);
        SharedWithMeEntity {
            id: file.id,
            name: file.name,
            parent_id: file.parent_id,
            is_directory: file.is_directory,
            extension: file.extension,
            added: file.added,
            last_modified: file.last_modified,
            size: file.size,
            last_version_cache: file.last_version_cache,
            created_by,
            shared_by,
        }
    }
}

/// A page of search results (`drive_files_dto`).
#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    /// `drive_files_dto`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `DriveFile`s in the default view; in the `shared_with_me` view `{id, name, parent_id,
    /// is_directory, extension, added, last_modified, size, last_version_cache, created_by,
    /// shared_by}` with the users as `{id, first_name, last_name, email}`; only `fields` when
    /// given.
    entities: Vec<BTreeMap<String, Value>>,
    #[serde(rename = "nextPage")]
    next_page: SearchNextPage,
}

/// Where the next page starts: `page_token` is null on the last page.
#[derive(Serialize, ToSchema)]
pub struct SearchNextPage {
    page_token: Option<String>,
    #[serde(rename = "limitStr")]
    limit_str: String,
    /// Always false.
    reversed: bool,
}

impl SearchPage {
    /// A page of `entities` of at most `limit`, the next starting at `page_token` if any.
    pub fn new(
        entities: Vec<BTreeMap<String, Value>>,
        page_token: Option<String>,
        limit: u64,
    ) -> Self {
        SearchPage {
            kind: "drive_files_dto",
            entities,
            next_page: SearchNextPage {
                page_token,
                limit_str: limit.to_string(),
                reversed: false,
            },
        }
    }
}

/// `{access}`: a user's level on an item.
#[derive(Serialize, ToSchema)]
pub struct UserAccess {
    pub access: Level,
}

/// `{token}`: a download token for `?token=`.
#[derive(Serialize, ToSchema)]
pub struct DownloadToken {
    pub token: String,
}

/// A tab: a folder attached to a chat channel.
#[derive(Serialize, ToSchema)]
pub struct Tab {
    company_id: String,
    tab_id: String,
    channel_id: String,
    item_id: String,
    level: Level,
}

impl From<answers::Tab> for Tab {
    fn from(v: answers::Tab) -> Self {
        Tab {
            company_id: v.company_id,
            tab_id: v.tab_id,
            channel_id: v.channel_id,
            item_id: v.item_id,
            level: v.level,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccessToken {
    /// Seconds since the epoch.
    time: u64,
    /// Seconds since the epoch.
    expiration: i64,
    refresh_expiration: i64,
    /// The visitor's bearer token.
    value: String,
    /// Always empty.
    refresh: &'static str,
    /// `Bearer`.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A public link opened: the visitor's token.
#[derive(Serialize, ToSchema)]
pub struct AnonymousToken {
    access_token: AccessToken,
}

impl AnonymousToken {
    /// The visitor's bearer token `value`, issued at `now` and valid until `expiration`
    /// (seconds since the epoch); there is no refresh token.
    pub fn new(value: String, now: u64, expiration: i64) -> Self {
        AnonymousToken {
            access_token: AccessToken {
                time: now,
                expiration,
                refresh_expiration: expiration,
                value,
                refresh: "",
                kind: "Bearer",
            },
        }
    }
}

/// What the files service says of an upload.
#[derive(Serialize, ToSchema)]
pub struct UploadMetadata {
    name: String,
    mime: String,
    /// `done` once every byte is stored, `waiting` while chunks are missing.
    thumbnails_status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct UploadData {
    size: i64,
    chunks: i64,
}

#[derive(Serialize, ToSchema)]
pub struct FileResourceBody {
    company_id: String,
    id: String,
    /// Empty for link visitors.
    user_id: String,
    /// Always null.
    application_id: Option<String>,
    updated_at: i64,
    created_at: i64,
    metadata: UploadMetadata,
    /// Always empty.
    thumbnails: Vec<Value>,
    upload_data: UploadData,
}

/// An uploaded file: its id is the `external_id` a version points at.
#[derive(Serialize, ToSchema)]
pub struct FileResource {
    resource: FileResourceBody,
}

impl FileResource {
    /// A file whose every byte is stored, as `user_id` may see it (empty for link visitors).
    pub fn stored(file: &UploadedFile, user_id: String) -> Self {
        let metadata = UploadMetadata {
            name: file.name.clone(),
            mime: file.mime.clone(),
            thumbnails_status: "done",
        };
        let data = UploadData {
            size: file.size,
            chunks: 1,
        };
        Self::of(
            file.company_id,
            file.id,
            user_id,
            file.created_at,
            metadata,
            data,
        )
    }

    /// An upload whose chunks are still coming.
    pub fn pending(upload: &PendingUpload) -> Self {
        let metadata = UploadMetadata {
            name: upload.name.clone(),
            mime: upload.mime.clone(),
            thumbnails_status: "waiting",
        };
        let data = UploadData {
            size: upload.total_size,
            chunks: upload.total_chunks.into(),
        };
        let owner = upload.owner.clone();
        Self::of(
            upload.company_id,
            upload.id,
            owner,
            upload.created_at,
            metadata,
            data,
        )
    }

    fn of(
        company: CompanyId,
        id: Uuid,
        user_id: String,
        created_at: i64,
        metadata: UploadMetadata,
        upload_data: UploadData,
    ) -> Self {
        FileResource {
            resource: FileResourceBody {
                company_id: company.to_string(),
                id: id.to_string(),
                user_id,
                application_id: None,
                updated_at: created_at,
                created_at,
                metadata,
                thumbnails: Vec::new(),
                upload_data,
            },
        }
    }
}
