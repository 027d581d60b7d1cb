//! The item routes: read, browse, create, update, delete, restore, versions.

use axum::Json;
use axum::body::Bytes;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::answers::{self, Done};
use super::error::RestError;
use super::exec::run;
use super::legacy::{
    BrowsePage, DriveFile, FileVersion, ItemDetails, NextPage, Subject, UserAccess,
};
use super::{input, preconditions};
use crate::auth::Identity;
use crate::body;
use crate::domain::{CompanyId, ItemRef};
use crate::service::files::{UploadFor, UploadedFile};
use crate::state::AppState;

type Answer = Result<Response, RestError>;

fn target(company_id: &str, id: &str) -> Value {
    json!({ "companyId": company_id, "id": id })
}

/// `GET item` (the Shared Drive) and `GET item/:id`.
pub async fn get_root(
    state: State<AppState>,
    Path(company_id): Path<String>,
    headers: HeaderMap,
    caller: Identity,
) -> Answer {
    get(
        state,
        Path((company_id, "root".to_owned())),
        headers,
        caller,
    )
    .await
}

pub async fn get(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    caller: Identity,
) -> Answer {
    let item = target(&company_id, &id);
    // A client whose copy is current pays for the item's access, not for its listing.
    if preconditions::is_conditional(&headers) {
        let data: answers::ItemState =
            run(&state, &caller, &state.rest.item_state, item.clone()).await?;
        if let Some(etag) = data.item.etag.as_deref()
            && preconditions::client_has(&headers, etag)
        {
            return Ok(preconditions::not_modified(etag));
        }
    }
    let data: answers::ItemDetails = run(&state, &caller, &state.rest.get_item, item).await?;
    let etag = data.item.etag.clone();
    let answer = Json(ItemDetails::from(data.item)).into_response();
    Ok(preconditions::tagged(answer, etag.as_deref()))
}

/// `POST browse/:id`: a page of children, with `nextPage` to send back as `paginate`.
pub async fn browse(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Answer {
    let page = input::browse(&input::object(&body)?)?;
    let mut variables = target(&company_id, &id);
    variables["first"] = json!(page.limit);
    variables["sort"] = page.sort;
    // `paginate.page` is an offset; connection cursors are keys, or offsets made for this.
    if page.offset > 0 {
        variables["after"] = json!(crate::graphql::offset_cursor(page.offset));
    }
    let data: answers::ItemDetails = run(&state, &caller, &state.rest.browse, variables).await?;
    let children = &data.item.children;
    let has_next = children.page_info.as_ref().is_some_and(|p| p.has_next_page);
    let next = has_next.then(|| NextPage {
        page: page.offset + children.edges.len() as u64,
        limit: page.limit,
    });
    let details = ItemDetails::from(data.item);
    Ok(Json(BrowsePage::new(details, next, id == "shared_with_me")).into_response())
}

/// The JSON fields of a create or version request, from a JSON body or from multipart form
/// fields; a multipart `file` part, the last part (DESIGN: the JSON fields come before it), is
/// stored as an upload of the caller's first. The route's layer checked the credentials
/// before any of this.
async fn fields_and_file(
    state: &AppState,
    caller: &Identity,
    company_id: &str,
    request: Request,
    version_of: Option<&str>,
) -> Result<(Map<String, Value>, Option<UploadedFile>), RestError> {
    let limits = &state.limits;
    let (parts, body) = request.into_parts();
    if !body::is_multipart(&parts.headers) {
        let bytes = body::read_whole(&parts.headers, body, limits.max_json_bytes).await?;
        return Ok((input::object(&bytes)?, None));
    }
    let mut form = body::Form::open(&parts.headers, body, limits)?;
    let mut fields = Map::new();
    while let Some(part) = form.next().await? {
        let name = part.name().to_owned();
        match name.as_str() {
            "item" | "version" if fields.contains_key(&name) => {
                return Err(RestError::bad_input(format!(
                    "a request carries one {name} field"
                )));
            }
            "item" | "version" => {
                let value = input::object(&part.bytes().await?).map_err(|_| {
                    RestError::bad_input(format!("the {name} field must be a JSON object"))
                })?;
                fields.insert(name, Value::Object(value));
            }
            "file" => {
                let viewer = caller.viewer.as_ref().map_err(Arc::clone)?;
                let folder = fields
                    .get("item")
                    .and_then(|item| item.get("is_directory"))
                    .is_some_and(|flag| flag == &json!(true) || flag == &json!("true"));
                if folder && version_of.is_none() {
                    return Err(RestError::bad_input(
                        "a folder has no content: send no file part",
                    ));
                }
                let company = CompanyId::parse(company_id)?;
                let file_name = part
                    .file_name()
                    .map(str::to_owned)
                    .ok_or_else(|| RestError::bad_input("the file part needs a filename"))?;
                let mime = part.content_type();
                // Where the bytes go is checked before a byte of them is stored.
                let target = match version_of {
                    Some(id) => ItemRef::parse(id)?,
                    None => ItemRef::parse(
                        fields
                            .get("item")
                            .and_then(|item| item.get("parent_id"))
                            .and_then(Value::as_str)
                            .unwrap_or("root"),
                    )?,
                };
                let purpose = match version_of {
                    Some(_) => UploadFor::NewVersionOf(&target),
                    None => UploadFor::NewItemIn(&target),
                };
                state.service.may_upload(viewer, company, purpose).await?;
                let staged = state.service.stage_for(company, part.stream()).await?;
                let file = state
                    .service
                    .upload_file(viewer, company, &file_name, mime.as_deref(), staged)
                    .await?;
                let end = match form.next().await {
                    Ok(None) => Ok((fields, Some(file.clone()))),
                    Ok(Some(_)) => Err(RestError::bad_input(
                        "the file part is the last part of a request",
                    )),
                    Err(err) => Err(err.into()),
                };
                return forget_if_refused(state, Some(&file), end).await;
            }
            _ => part.skip().await?,
        }
    }
    Ok((fields, None))
}

/// A refused create or version keeps nothing: the upload made for it goes.
async fn forget_if_refused<T>(
    state: &AppState,
    file: Option<&UploadedFile>,
    outcome: Result<T, RestError>,
) -> Result<T, RestError> {
    if let (Err(_), Some(file)) = (&outcome, file) {
        state
            .service
            .forget_upload_of(&file.owner, file.company_id, file.id)
            .await;
    }
    outcome
}

/// Points a version's metadata at an uploaded file.
fn with_upload(version: &mut Map<String, Value>, file: &UploadedFile) {
    let metadata = version
        .entry("file_metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(metadata) = metadata {
        metadata.insert("external_id".into(), json!(file.id.to_string()));
        metadata.entry("name").or_insert_with(|| json!(file.name));
        metadata.entry("mime").or_insert_with(|| json!(file.mime));
    }
}

/// `POST item`: JSON `{item, version}`, or multipart with the same fields and a `file` part.
pub async fn create(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    request: Request,
) -> Answer {
    let (mut body, file) = fields_and_file(&state, &caller, &company_id, request, None).await?;
    if let Some(file) = &file {
        let version = body
            .entry("version")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(version) = version {
            with_upload(version, file);
        }
    }
    let created = async {
        let input = input::create_item(&company_id, &body, file.as_ref().map(|f| f.name.as_str()))?;
        run::<answers::CreateItem>(
            &state,
            &caller,
            &state.rest.create_item,
            json!({ "input": input }),
        )
        .await
    }
    .await;
    let data = forget_if_refused(&state, file.as_ref(), created).await?;
    Ok(Json(DriveFile::from(data.create_item.item)).into_response())
}

/// `POST item/:id`: one update, trash or restore included, all or nothing.
pub async fn update(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    caller: Identity,
    body: Bytes,
) -> Answer {
    let mut input = input::update_item(&company_id, &id, &input::object(&body)?)?;
    input["ifRevision"] = preconditions::if_match(&headers)?;
    let variables = json!({ "input": input });
    let data: answers::UpdateItem =
        run(&state, &caller, &state.rest.update_item, variables).await?;
    // The Shared Drive's access list is updated through `root`: the answer is the special folder.
    Ok(Json(Subject::from(data.update_item.item)).into_response())
}

/// `DELETE item/:id`: to the trash, or for good when already there. 200, empty.
pub async fn delete(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    caller: Identity,
) -> Answer {
    let mut item = target(&company_id, &id);
    let current: answers::ItemState =
        run(&state, &caller, &state.rest.item_state, item.clone()).await?;
    let operation = if current.item.in_trash {
        &state.rest.delete_item
    } else {
        &state.rest.trash_item
    };
    item["ifRevision"] = preconditions::if_match(&headers)?;
    run::<Done>(&state, &caller, operation, json!({ "target": item })).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST item/:id/restore`. 200, empty.
pub async fn restore(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    caller: Identity,
) -> Answer {
    let mut item = target(&company_id, &id);
    item["ifRevision"] = preconditions::if_match(&headers)?;
    run::<Done>(
        &state,
        &caller,
        &state.rest.restore_item,
        json!({ "target": item }),
    )
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST item/:id/version`: JSON (`file_metadata.external_id` names an upload) or multipart
/// with a `file` part. Answers the created version.
pub async fn create_version(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    request: Request,
) -> Answer {
    let if_revision = preconditions::if_match(request.headers())?;
    let (mut body, file) =
        fields_and_file(&state, &caller, &company_id, request, Some(&id)).await?;
    // Multipart sends the version as a `version` field; JSON sends it as the body.
    if let Some(Value::Object(version)) = body.remove("version") {
        body = version;
    }
    if let Some(file) = &file {
        with_upload(&mut body, file);
    }
    let created = async {
        let version = input::version(&body, "")?;
        let variables = json!({ "input": {
            "companyId": company_id,
            "itemId": id,
            "version": version,
            "ifRevision": if_revision,
        } });
        run::<answers::CreateVersion>(&state, &caller, &state.rest.create_version, variables).await
    }
    .await;
    let data = forget_if_refused(&state, file.as_ref(), created).await?;
    Ok(Json(FileVersion::from(data.create_version.version)).into_response())
}
/// `GET item/:id/user/:user_id/access`: `{access}` of another user, for callers who can read it.
pub async fn user_access(
    State(state): State<AppState>,
    Path((company_id, id, user_id)): Path<(String, String, String)>,
    caller: Identity,
) -> Answer {
    let mut variables = target(&company_id, &id);
    variables["userId"] = json!(user_id);
    let data: answers::UserAccess =
        run(&state, &caller, &state.rest.user_access, variables).await?;
    let access = data.item.level_of_user;
    Ok(Json(UserAccess { access }).into_response())
}
