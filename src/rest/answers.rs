//! The fixed operations' results as Rust types: each mirrors its operation's selection set
//! (`operations/*.graphql`), field for field, and is read straight from the response's values.
//! A field the shim reads but its operation does not select fails every REST test that runs
//! it, and so does one selected that no type takes (`deny_unknown_fields`; the item that
//! `Details` flattens is the exception: serde hands it only the fields it knows); a field
//! renamed here fails to compile where `legacy.rs` reads it.

use serde::Deserialize;

/// An access level as GraphQL spells it (`READ`); the legacy JSON spells it `read`.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all(deserialize = "UPPERCASE", serialize = "lowercase"))]
#[schema(rename_all = "lowercase")]
pub enum Level {
    None,
    Read,
    Write,
    Manage,
}

/// Who an access entry is for, spelled as `Level` is.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all(deserialize = "UPPERCASE", serialize = "lowercase"))]
#[schema(rename_all = "lowercase")]
pub enum EntityKind {
    User,
    Company,
    Channel,
    Folder,
}

/// Whose drive an item is in.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all(deserialize = "UPPERCASE", serialize = "lowercase"))]
#[schema(rename_all = "lowercase")]
pub enum Scope {
    Shared,
    Personal,
}

/// The `DriveVersion` fragment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriveVersion {
    pub id: String,
    pub item_id: String,
    pub provider: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub external_id: Option<String>,
    pub creator_id: String,
    pub application_id: String,
    pub date_added: i64,
    pub content_keywords: String,
}

/// A user as the operations select one: `{ id }`, and in search `{ id name email }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEntity {
    #[serde(rename = "type")]
    pub kind: EntityKind,
    pub id: String,
    pub level: Level,
    pub grantor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicLink {
    pub token: String,
    pub level: Level,
    pub expiration: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessInfo {
    pub entities: Vec<AccessEntity>,
    pub public: PublicLink,
}

/// The `DriveItem` fragment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriveItem {
    pub id: String,
    pub company_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub extension: String,
    pub description: String,
    pub tags: Vec<String>,
    pub is_directory: bool,
    pub is_in_trash: bool,
    pub scope: Scope,
    pub creator: Option<User>,
    pub added: i64,
    pub last_modified: i64,
    pub size: i64,
    pub access_info: AccessInfo,
    pub latest_version: Option<DriveVersion>,
    /// Selected by `Search` only.
    #[serde(default)]
    pub shared_by: Option<User>,
}

impl DriveItem {
    /// One of the special folders: their global ids are `<special>/<company>`, a stored
    /// item's is its UUID.
    pub fn is_special(&self) -> bool {
        self.id.contains('/')
    }
}

/// A connection's `edges { node }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edges<T> {
    pub edges: Vec<Edge<T>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge<T> {
    pub node: T,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageInfo {
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

/// A page of children: `GetItem` selects no `pageInfo`, `Browse` does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Children {
    #[serde(default)]
    pub page_info: Option<PageInfo>,
    pub edges: Vec<Edge<DriveItem>>,
}

/// `GetItem`'s and `Browse`'s item: a `DriveItem` with what surrounds it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    #[serde(flatten)]
    pub item: DriveItem,
    pub viewer_level: Level,
    /// Selected by `GetItem` only.
    #[serde(default)]
    pub etag: Option<String>,
    pub path: Vec<DriveItem>,
    pub versions: Edges<DriveVersion>,
    pub children: Children,
}

/// `GetItem`, `Browse`.
#[derive(Debug, Deserialize)]
pub struct ItemDetails {
    pub item: Details,
}

/// `ItemState`.
#[derive(Debug, Deserialize)]
pub struct ItemState {
    pub item: State,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    pub in_trash: bool,
    pub etag: Option<String>,
}

/// `{ item { ...DriveItem } }` of `CreateItem` and `UpdateItem`.
#[derive(Debug, Deserialize)]
pub struct ItemPayload {
    pub item: DriveItem,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateItem {
    pub create_item: ItemPayload,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateItem {
    pub update_item: ItemPayload,
}

#[derive(Debug, Deserialize)]
pub struct VersionPayload {
    pub version: DriveVersion,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVersion {
    pub create_version: VersionPayload,
}

/// `UserAccess`.
#[derive(Debug, Deserialize)]
pub struct UserAccess {
    pub item: LevelOfUser,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelOfUser {
    pub level_of_user: Level,
}

/// `DownloadToken`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadToken {
    pub download_token: String,
}

/// A tab, as `GetTab` and `SetTab` select it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tab {
    pub company_id: String,
    pub tab_id: String,
    pub channel_id: String,
    pub item_id: String,
    pub level: Level,
}

/// `GetTab`.
#[derive(Debug, Deserialize)]
pub struct GetTab {
    pub tab: Option<Tab>,
}

#[derive(Debug, Deserialize)]
pub struct TabPayload {
    pub tab: Tab,
}

/// `SetTab`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetTab {
    pub set_tab: TabPayload,
}

/// `OpenPublicLink`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPublicLink {
    pub open_public_link: OpenedLink,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenedLink {
    pub access_token: String,
    pub expiration: i64,
}

/// `Search`.
#[derive(Debug, Deserialize)]
pub struct Search {
    pub search: Found,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Found {
    pub page_info: PageInfo,
    pub nodes: Vec<DriveItem>,
}

/// The mutations whose answer the shim does not read (`TrashItem`, `DeleteItem`,
/// `RestoreItem`): whatever they select.
#[derive(Debug, Deserialize)]
pub struct Done {}
