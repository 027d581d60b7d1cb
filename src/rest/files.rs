//! The files service the reference web app uploads through before creating items:
//! `POST files` (multipart `file` part, or the raw body with `?filename=&type=`), `GET
//! files/:id`, `GET files/:id/download`. Only the uploader, or readers of an item using a file,
//! may touch it.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures::TryStreamExt;

use super::content::respond;
use super::error::RestError;
use super::legacy::FileResource;
use crate::auth::{Identity, Viewer};
use crate::body;
use crate::domain::CompanyId;
use crate::error::AppError;
use crate::service::chunks::{PendingUpload, UploadState};
use crate::service::files::{UploadFor, UploadedFile};
use crate::state::AppState;

/// Where the files routes live.
pub const FILES: &str = "/internal/services/files/v1/companies/{company_id}";

fn viewer(caller: Identity) -> Result<Viewer, RestError> {
    caller.viewer.map_err(RestError::from)
}

/// The reference's `resource` shape of an upload; link visitors see no uploader.
fn resource(file: &UploadedFile, viewer: &Viewer) -> FileResource {
    let user_id = if viewer.is_visitor() {
        String::new()
    } else {
        file.owner.clone()
    };
    FileResource::stored(file, user_id)
}

fn query_value(query: &str, names: &[&str]) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| names.contains(&key.as_ref()))
        .map(|(_, value)| value.into_owned())
}

/// What the bytes of an upload request become.
enum Destination {
    /// A whole file.
    File,
    /// Chunk `number` of a pending upload.
    Chunk { upload: String, number: i32 },
}

/// Where an upload stands, as the files routes answer it.
enum Stored {
    File(UploadedFile),
    Pending(PendingUpload),
}

impl Stored {
    fn resource(&self, viewer: &Viewer) -> FileResource {
        match self {
            Stored::File(file) => resource(file, viewer),
            Stored::Pending(upload) => FileResource::pending(upload),
        }
    }
}

/// Streams the request's bytes (its multipart `file` part, or its whole body) to `destination`.
async fn receive(
    state: &AppState,
    viewer: &Viewer,
    company: CompanyId,
    request: Request,
    destination: Destination,
    name: Option<String>,
    mime: Option<String>,
) -> Result<Stored, RestError> {
    let service = &state.service;
    if !body::is_multipart(request.headers()) {
        // A raw body declares its size: refuse it before reading a byte.
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(size) = declared {
            service.check_declared_size(company, size).await?;
        }
        let body = request
            .into_body()
            .into_data_stream()
            .map_err(|err| AppError::bad_input(format!("upload interrupted: {err}")));
        return deliver(service, viewer, company, body, destination, name, mime).await;
    }
    let (parts, body) = request.into_parts();
    let mut form = body::Form::open(&parts.headers, body, &state.limits)?;
    while let Some(part) = form.next().await? {
        if part.name() != "file" {
            part.skip().await?;
            continue;
        }
        let name = name.clone().or_else(|| part.file_name().map(str::to_owned));
        let mime = mime.clone().or_else(|| part.content_type());
        return deliver(
            service,
            viewer,
            company,
            part.stream(),
            destination,
            name,
            mime,
        )
        .await;
    }
    Err(RestError::bad_input("the multipart body has no file part"))
}

async fn deliver<S>(
    service: &crate::service::Service,
    viewer: &Viewer,
    company: CompanyId,
    body: S,
    destination: Destination,
    name: Option<String>,
    mime: Option<String>,
) -> Result<Stored, RestError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, AppError>> + Send,
{
    match destination {
        Destination::File => {
            let name = name.ok_or_else(|| RestError::bad_input("filename is required"))?;
            let staged = service.stage_for(company, body).await?;
            Ok(Stored::File(
                service
                    .upload_file(viewer, company, &name, mime.as_deref(), staged)
                    .await?,
            ))
        }
        Destination::Chunk { upload, number } => match service
            .put_chunk(viewer, company, &upload, number, body)
            .await?
        {
            UploadState::Complete(file) => Ok(Stored::File(file)),
            UploadState::Receiving(pending) => Ok(Stored::Pending(pending)),
        },
    }
}

/// The Resumable.js parameters of an upload request (or their short aliases).
struct ChunkQuery {
    total_chunks: Option<i32>,
    total_size: Option<i64>,
    chunk_number: Option<i32>,
    name: Option<String>,
    mime: Option<String>,
}

impl ChunkQuery {
    fn read(query: &str) -> Result<Self, RestError> {
        fn number<T: std::str::FromStr>(
            query: &str,
            names: &[&str],
        ) -> Result<Option<T>, RestError> {
            query_value(query, names)
                .map(|raw| {
                    raw.parse().map_err(|_| {
                        RestError::bad_input(format!("{} must be a number, got {raw:?}", names[0]))
                    })
                })
                .transpose()
        }
        Ok(Self {
            total_chunks: number(query, &["resumableTotalChunks", "total_chunks"])?,
            total_size: number(query, &["resumableTotalSize", "total_size"])?,
            chunk_number: number(query, &["resumableChunkNumber", "chunk_number"])?,
            name: query_value(query, &["resumableFilename", "filename"]),
            mime: query_value(query, &["resumableType", "type"]),
        })
    }
}

/// Stores a request's upload as the viewer's: a whole file, or (with more than one chunk
/// declared) a chunked upload, receiving its first chunk when the request carries one.
async fn store_upload(
    state: &AppState,
    viewer: &Viewer,
    company: CompanyId,
    request: Request,
) -> Result<Stored, RestError> {
    let query = ChunkQuery::read(request.uri().query().unwrap_or_default())?;
    let chunked = query.total_chunks.is_some_and(|n| n > 1);
    if !chunked {
        return receive(
            state,
            viewer,
            company,
            request,
            Destination::File,
            query.name,
            query.mime,
        )
        .await;
    }
    let name = query
        .name
        .clone()
        .ok_or_else(|| RestError::bad_input("resumableFilename is required"))?;
    let total_size = query
        .total_size
        .ok_or_else(|| RestError::bad_input("resumableTotalSize is required"))?;
    let pending = state
        .service
        .start_upload(
            viewer,
            company,
            &name,
            query.mime.as_deref(),
            total_size,
            query.total_chunks.unwrap_or(1),
        )
        .await?;
    let carries_chunk = query.chunk_number.is_some()
        && request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|length| length != "0");
    if !carries_chunk {
        return Ok(Stored::Pending(pending));
    }
    let destination = Destination::Chunk {
        upload: pending.id.to_string(),
        number: query.chunk_number.unwrap_or(1),
    };
    receive(state, viewer, company, request, destination, None, None).await
}

/// `POST files`.
pub async fn upload(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    request: Request,
) -> Result<Json<FileResource>, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let viewer = viewer(caller)?;
    state
        .service
        .may_upload(&viewer, company, UploadFor::Later)
        .await?;
    let stored = store_upload(&state, &viewer, company, request).await?;
    Ok(Json(stored.resource(&viewer)))
}

/// `POST files/:id?resumableChunkNumber=N`: one chunk of a chunked upload.
pub async fn chunk(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    request: Request,
) -> Result<Json<FileResource>, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let viewer = viewer(caller)?;
    let query = ChunkQuery::read(request.uri().query().unwrap_or_default())?;
    let number = query
        .chunk_number
        .ok_or_else(|| RestError::bad_input("resumableChunkNumber is required"))?;
    let destination = Destination::Chunk { upload: id, number };
    let stored = receive(&state, &viewer, company, request, destination, None, None).await?;
    Ok(Json(stored.resource(&viewer)))
}

/// `GET files/:id`.
pub async fn metadata(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
) -> Result<Json<FileResource>, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let viewer = viewer(caller)?;
    let file = state.service.get_file(&viewer, company, &id).await?;
    Ok(Json(resource(&file, &viewer)))
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
