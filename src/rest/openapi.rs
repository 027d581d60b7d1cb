//! The shim's OpenAPI 3.1 contract: every route with its parameters, bodies and answers in the
//! reference's shapes. Served at `…/documents/v1/openapi.json`, committed as `openapi.json`.
//!
//! The answers about items, versions, tabs and tokens are the types the handlers serialise
//! (`legacy.rs`); the request bodies and the upload answers here are declared for the document
//! only. `tests/api/openapi.rs` checks that every documented operation reaches its handler,
//! and CI fuzzes the live server against this document.
#![allow(dead_code)]

use std::collections::BTreeMap;

use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::legacy::{
    AccessInformation, AnonymousToken, BrowsePage, DownloadToken, DriveFile, FileResource,
    FileVersion, ItemDetails, SearchPage, Subject, Tab, UserAccess,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quire — Twake Drive documents API (compatibility shim)",
        description = "The REST routes of Twake Drive's documents and files services, answered by \
            Quire. Authenticate with `Authorization: Bearer <access token>`; public-link visitors \
            may instead send `?public_token=` (with `+password`), tab members `?twake_tab_token=`, \
            and downloads accept a `?token=` download token alone. Errors answer \
            `{statusCode, error, message, code}`. The GraphQL API at `/graphql` is the primary \
            surface; see the README for every deliberate difference from the reference.",
        license(name = "AGPL-3.0-only"),
    ),
    paths(
        get_root, create_item, get_item, update_item, delete_item, restore_item, create_version,
        user_access, browse, search, download_token, download_item, download_zip, get_tab, set_tab,
        anonymous_token, upload_file, upload_chunk, file_metadata, download_file,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document, as committed in `openapi.json`.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

/// `GET …/documents/v1/openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises"))
}

// ---- shapes ----

/// Every error.
#[derive(Serialize, ToSchema)]
#[allow(non_snake_case)]
struct ErrorBody {
    statusCode: u16,
    error: String,
    message: String,
    /// The stable code (`BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, …).
    code: String,
}

/// What any route may answer besides its success.
#[derive(IntoResponses)]
enum Refusals {
    /// Malformed input; nothing changed.
    #[response(status = 400)]
    BadInput(ErrorBody),
    /// No or bad credentials.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// Not allowed at the caller's level; nothing changed.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such item, or not visible to the caller.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A concurrent change won; retry.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// Over a size limit (a body, an upload, the company's quota) or the time budget;
    /// nothing kept.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The blob store has no space left; nothing kept, reads go on.
    #[response(status = 507)]
    InsufficientStorage(ErrorBody),
    /// A fault of the server's (logged); nothing kept.
    #[response(status = 500)]
    Internal(ErrorBody),
}

/// What a route that takes turns (searches, zips) may answer.
#[derive(IntoResponses)]
enum Busy {
    /// As many as may run at once are running: retry after `Retry-After` seconds.
    #[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    TooManyRequests(ErrorBody),
}

/// What a conditional write may answer.
#[derive(IntoResponses)]
enum Stale {
    /// `If-Match` named a revision that is no longer current: read the item again; nothing
    /// changed.
    #[response(status = 412)]
    PreconditionFailed(ErrorBody),
}

// ---- request bodies ----

#[derive(Serialize, ToSchema)]
struct NewItem {
    /// A folder id, `root` (the Shared Drive) or `user_<id>` (a personal drive).
    parent_id: Option<String>,
    name: Option<String>,
    is_directory: Option<bool>,
    description: Option<String>,
    tags: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
struct NewFileMetadata {
    name: Option<String>,
    mime: Option<String>,
    /// Ignored: a size always comes from the stored bytes.
    size: Option<i64>,
    /// The id of an upload (`POST files`) whose bytes this version holds.
    external_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct NewVersion {
    provider: Option<String>,
    application_id: Option<String>,
    file_metadata: Option<NewFileMetadata>,
}

/// `{item, version}`; or `multipart/form-data` with `item` and `version` as JSON fields and
/// the bytes as `file`.
#[derive(Serialize, ToSchema)]
struct CreateItemBody {
    item: NewItem,
    version: Option<NewVersion>,
}

/// `{item}` or the item's fields at the top level; `version` for `POST item/:id/version`.
#[derive(Serialize, ToSchema)]
struct UpdateItemBody {
    parent_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
    is_in_trash: Option<bool>,
    access_info: Option<AccessInformation>,
}

#[derive(Serialize, ToSchema)]
struct CreateVersionBody {
    version: Option<NewVersion>,
    provider: Option<String>,
    application_id: Option<String>,
    file_metadata: Option<NewFileMetadata>,
}

#[derive(Serialize, ToSchema)]
struct Sort {
    /// `name`, `date` (default) or `size`.
    by: Option<String>,
    /// `asc` or `desc` (default).
    order: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Paginate {
    /// The offset to start at (a previous answer's `nextPage.page`).
    page: Option<u64>,
    /// 1 to 1000; default 100.
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
struct BrowseBody {
    sort: Option<Sort>,
    paginate: Option<Paginate>,
}

/// `POST search`: words, filters, one sort field, a DTO view and a page. Dates are
/// milliseconds (numbers or strings of digits), their bounds included.
#[derive(Serialize, ToSchema)]
struct SearchBody {
    /// The words to find, each a word prefix (case and accents ignored); all must match.
    #[schema(max_length = 1000)]
    search: Option<String>,
    /// Ignored: the URL names the company.
    company_id: Option<String>,
    /// A creator's user id, or several.
    creator: Option<StringOrStrings>,
    added_gt: Option<Millis>,
    added_lt: Option<Millis>,
    last_modified_gt: Option<Millis>,
    last_modified_lt: Option<Millis>,
    /// A media type, or several.
    mime_type: Option<StringOrStrings>,
    /// One of `name_keyword`, `name`, `added`, `last_modified`, `size` → `asc` or `desc`;
    /// default: best match first.
    sort: Option<BTreeMap<String, String>>,
    /// `shared_with_me` for that DTO view; the default view otherwise.
    view: Option<String>,
    /// The fields each entity keeps (all when absent).
    fields: Option<Vec<String>>,
    pagination: Option<SearchPagination>,
}

/// A string, or a list of strings.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum StringOrStrings {
    One(String),
    Many(Vec<String>),
}

/// Milliseconds since the epoch, as a number or a string of digits.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum Millis {
    Number(i64),
    Text(String),
}

/// Where a search page starts: `page_token` from the previous page's `nextPage`.
#[derive(Serialize, ToSchema)]
struct SearchPagination {
    page_token: Option<String>,
    /// Results per page, 1 to 1000 (default 100).
    #[serde(rename = "limitStr")]
    limit_str: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SetTabBody {
    channel_id: String,
    item_id: String,
    /// `read` (default) or `write`.
    level: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct AnonymousTokenBody {
    company_id: Option<String>,
    document_id: String,
    /// The link's token.
    token: String,
    token_password: Option<String>,
}

// ---- routes ----

/// `GET item`: the Shared Drive with its children.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item",
    tag = "items", params(("company_id" = uuid::Uuid, Path)),
    responses((status = 200, body = ItemDetails), Refusals))]
fn get_root() {}

/// `POST item`: creates a folder or a file (its first version's metadata, or its bytes as a
/// multipart `file`). A taken name becomes `name-2`, `name-3`…
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/item",
    tag = "items", params(("company_id" = uuid::Uuid, Path)), request_body = CreateItemBody,
    responses((status = 200, body = DriveFile), Refusals))]
fn create_item() {}

/// `GET item/:id`: an item with its path, versions and children.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("If-None-Match" = Option<String>, Header, description = "ETags the client holds: 304 when one is current (special folders have none).")),
    responses((status = 200, body = ItemDetails, headers(("ETag" = String, description = "The item's revision and what else this answer shows the viewer (stored items only)"))), (status = 304, description = "The client's copy is current; no body"), Refusals))]
fn get_item() {}

/// `POST item/:id`: renames, moves, describes, tags, re-shares or sets the public link.
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("If-Match" = Option<String>, Header, description = "The item's ETag (or its revision) as last read: the write happens only if it is still current, else 412 and nothing changes. `*` is no condition.")),
    request_body = UpdateItemBody,
    responses((status = 200, body = Subject), Stale, Refusals))]
fn update_item() {}

/// `DELETE item/:id`: to the trash; from the trash, for good.
#[utoipa::path(delete, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("If-Match" = Option<String>, Header, description = "The item's ETag (or its revision) as last read: the write happens only if it is still current, else 412 and nothing changes. `*` is no condition.")),
    responses((status = 200, description = "Done; no body"), Stale, Refusals))]
fn delete_item() {}

/// `POST item/:id/restore`: out of the trash, under a free name.
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}/restore",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("If-Match" = Option<String>, Header, description = "The item's ETag (or its revision) as last read: the write happens only if it is still current, else 412 and nothing changes. `*` is no condition.")),
    responses((status = 200, description = "Done; no body"), Stale, Refusals))]
fn restore_item() {}

/// `POST item/:id/version`: a new version (metadata, or bytes as a multipart `file`).
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}/version",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("If-Match" = Option<String>, Header, description = "The item's ETag (or its revision) as last read: the write happens only if it is still current, else 412 and nothing changes. `*` is no condition.")),
    request_body = CreateVersionBody,
    responses((status = 200, body = FileVersion), Stale, Refusals))]
fn create_version() {}

/// `GET item/:id/user/:user_id/access`: a plain member's level on the item.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}/user/{user_id}/access",
    tag = "items",
    params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"), ("user_id" = String, Path)),
    responses((status = 200, body = UserAccess), Refusals))]
fn user_access() {}

/// `POST browse/:id`: one page of a folder's children (`trash`, `shared_with_me` too).
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/browse/{id}",
    tag = "items", params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")),
    request_body = BrowseBody,
    responses((status = 200, body = BrowsePage), Refusals))]
fn browse() {}

/// `POST search`: what the caller may open that matches the words and filters.
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/search",
    tag = "items", params(("company_id" = uuid::Uuid, Path)),
    request_body = SearchBody,
    responses((status = 200, body = SearchPage), Busy, Refusals))]
fn search() {}

/// `GET item/download/token`: a token that downloads the items (and a version) for an hour.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item/download/token",
    tag = "downloads",
    params(("company_id" = uuid::Uuid, Path),
        ("items" = String, Query, description = "Comma-separated item ids"),
        ("version_id" = Option<String>, Query)),
    responses((status = 200, body = DownloadToken), Refusals))]
fn download_token() {}

/// `GET item/:id/download`: a file's bytes (Range, ETag), or a folder as a zip.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item/{id}/download",
    tag = "downloads",
    params(("company_id" = uuid::Uuid, Path), ("id" = String, Path, description = "A UUID, or `root`, `trash`, `trash_<user>`, `user_<user>`, `shared_with_me`", pattern = "^(root|trash|shared_with_me|(trash_|user_)[^/]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"),
        ("version_id" = Option<String>, Query), ("token" = Option<String>, Query)),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 416, description = "Unsatisfiable range"),
        Busy, Refusals))]
fn download_item() {}

/// `GET item/download/zip`: the items, and what their folders hold, as one zip.
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/item/download/zip",
    tag = "downloads",
    params(("company_id" = uuid::Uuid, Path),
        ("items" = String, Query, description = "Comma-separated item ids"),
        ("token" = Option<String>, Query)),
    responses((status = 200, description = "A zip, streamed", content_type = "application/zip"),
        Busy, Refusals))]
fn download_zip() {}

/// `GET tabs/:tab_id`: the folder a channel tab shows (null when none).
#[utoipa::path(get, path = "/internal/services/documents/v1/companies/{company_id}/tabs/{tab_id}",
    tag = "tabs", params(("company_id" = uuid::Uuid, Path), ("tab_id" = String, Path)),
    responses((status = 200, body = Option<Tab>), Refusals))]
fn get_tab() {}

/// `POST tabs/:tab_id`: attaches a folder to a channel tab.
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/tabs/{tab_id}",
    tag = "tabs", params(("company_id" = uuid::Uuid, Path), ("tab_id" = String, Path)),
    request_body = SetTabBody,
    responses((status = 200, body = Tab), Refusals))]
fn set_tab() {}

/// `POST anonymous/token`: opens a public link; no credentials needed.
#[utoipa::path(post, path = "/internal/services/documents/v1/companies/{company_id}/anonymous/token",
    tag = "public links", params(("company_id" = uuid::Uuid, Path)),
    request_body = AnonymousTokenBody, security(()),
    responses((status = 200, body = AnonymousToken), Refusals))]
fn anonymous_token() {}

/// `POST files`: uploads bytes (the raw body, or a multipart `file`); Resumable.js chunked
/// uploads declare `resumableTotalChunks` and `resumableTotalSize`.
#[utoipa::path(post, path = "/internal/services/files/v1/companies/{company_id}/files",
    tag = "files",
    params(("company_id" = uuid::Uuid, Path), ("filename" = Option<String>, Query),
        ("type" = Option<String>, Query)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = FileResource), Refusals))]
fn upload_file() {}

/// `POST files/:id`: one chunk of a chunked upload (`resumableChunkNumber`).
#[utoipa::path(post, path = "/internal/services/files/v1/companies/{company_id}/files/{id}",
    tag = "files",
    params(("company_id" = uuid::Uuid, Path), ("id" = uuid::Uuid, Path),
        ("resumableChunkNumber" = u32, Query)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = FileResource), Refusals))]
fn upload_chunk() {}

/// `GET files/:id`: an upload's metadata.
#[utoipa::path(get, path = "/internal/services/files/v1/companies/{company_id}/files/{id}",
    tag = "files", params(("company_id" = uuid::Uuid, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = FileResource), Refusals))]
fn file_metadata() {}

/// `GET files/:id/download`: an upload's bytes.
#[utoipa::path(get, path = "/internal/services/files/v1/companies/{company_id}/files/{id}/download",
    tag = "files", params(("company_id" = uuid::Uuid, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The bytes", content_type = "application/octet-stream"),
        Refusals))]
fn download_file() {}
