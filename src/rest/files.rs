//! The files service the reference web app uploads through before creating items:
//! `POST files` (multipart `file` part, or the raw body with `?filename=&type=`), `GET
//! files/:id`, `GET files/:id/download`. Only the uploader, or readers of an item using a file,
//! may touch it.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures::TryStreamExt;
use serde_json::{Value, json};

use super::content::respond;
use super::error::RestError;
use crate::auth::{Identity, Viewer};
use crate::domain::CompanyId;
use crate::error::{AppError, ErrorCode};
use crate::service::files::UploadedFile;
use crate::state::AppState;

/// Where the files routes live.
pub const FILES: &str = "/internal/services/files/v1/companies/{company_id}";

fn viewer(caller: Identity) -> Result<Viewer, RestError> {
    caller
        .viewer
        .map_err(|message| AppError::unauthenticated(message).into())
}

/// The reference's `resource` shape of an upload.
fn resource(file: &UploadedFile) -> Value {
    json!({ "resource": {
        "company_id": file.company_id.to_string(),
        "id": file.id.to_string(),
        "user_id": file.owner,
        "application_id": Value::Null,
        "updated_at": file.created_at,
        "created_at": file.created_at,
        "metadata": { "name": file.name, "mime": file.mime, "thumbnails_status": "done" },
        "thumbnails": [],
        "upload_data": { "size": file.size, "chunks": 1 },
    }})
}

fn query_value(query: &str, names: &[&str]) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| names.contains(&key.as_ref()))
        .map(|(_, value)| value.into_owned())
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

/// Stores the upload of a request (its `file` part, or its whole body) as the viewer's file.
pub async fn store_upload(
    state: &AppState,
    viewer: &Viewer,
    company: CompanyId,
    request: Request,
) -> Result<UploadedFile, RestError> {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let chunks = query_value(&query, &["resumableTotalChunks", "total_chunks"])
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1);
    if chunks > 1 {
        return Err(RestError::new(
            ErrorCode::BadUserInput,
            "chunked (resumable) uploads are not supported yet: send the whole file in one request",
        )
        .not_implemented());
    }
    let name_in_query = query_value(&query, &["resumableFilename", "filename"]);
    let type_in_query = query_value(&query, &["resumableType", "type"]);
    if !is_multipart(request.headers()) {
        let name = name_in_query
            .ok_or_else(|| RestError::bad_input("filename is required for a raw upload"))?;
        let body = request
            .into_body()
            .into_data_stream()
            .map_err(|err| AppError::bad_input(format!("upload interrupted: {err}")));
        let staged = state.service.stage(body).await?;
        return Ok(state
            .service
            .upload_file(viewer, company, &name, type_in_query.as_deref(), staged)
            .await?);
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|err| RestError::bad_input(format!("bad multipart body: {err}")))?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|err| RestError::bad_input(format!("bad multipart body: {err}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = name_in_query
            .clone()
            .or_else(|| field.file_name().map(str::to_owned))
            .ok_or_else(|| RestError::bad_input("the file part needs a filename"))?;
        let mime = type_in_query
            .clone()
            .or_else(|| field.content_type().map(str::to_owned));
        let body = field.map_err(|err| AppError::bad_input(format!("upload interrupted: {err}")));
        let staged = state.service.stage(body).await?;
        return Ok(state
            .service
            .upload_file(viewer, company, &name, mime.as_deref(), staged)
            .await?);
    }
    Err(RestError::bad_input("the multipart body has no file part"))
}

/// `POST files`.
pub async fn upload(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    request: Request,
) -> Result<Json<Value>, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let viewer = viewer(caller)?;
    let file = store_upload(&state, &viewer, company, request).await?;
    Ok(Json(resource(&file)))
}

/// `GET files/:id`.
pub async fn metadata(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
) -> Result<Json<Value>, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let file = state
        .service
        .get_file(&viewer(caller)?, company, &id)
        .await?;
    Ok(Json(resource(&file)))
}

/// `GET files/:id/download`.
pub async fn download(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    caller: Identity,
) -> Result<Response, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let content = state
        .service
        .uploaded_content(&viewer(caller)?, company, &id)
        .await?;
    respond(&state.service, &content, &headers).await
}
