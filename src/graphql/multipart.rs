//! The GraphQL multipart request (uploads), read within bounds: `operations` up to the JSON
//! cap, `map` up to the form-field cap, at most `QUIRE_MAX_FORM_PARTS` parts, each file
//! streamed to a temporary file up to `QUIRE_MAX_UPLOAD_BYTES` — once the viewer was found
//! to be allowed to put it where it goes (the `file` of a `createItem` or `createVersion`
//! input). Called only once the credentials were checked.

use std::collections::HashMap;

use async_graphql::UploadValue;
use axum::body::Body;
use axum::http::HeaderMap;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::body::Form;
use crate::config::Limits;
use crate::domain::{CompanyId, ItemRef, Viewer};
use crate::error::{AppError, AppResult};
use crate::service::Service;
use crate::service::files::UploadFor;
use async_graphql::Value;

/// Reads a multipart body into the request it carries, its files attached to their variables.
/// A refused one is drained within bounds first, so that the client sees the answer.
pub async fn receive(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
    checker: (&Service, &Viewer),
) -> AppResult<async_graphql::Request> {
    let mut form = Form::open(headers, body, limits)?;
    let read = read(&mut form, limits, checker).await;
    if read.is_err() {
        form.drain().await;
    }
    read
}

async fn read(
    form: &mut Form,
    limits: &Limits,
    (service, viewer): (&Service, &Viewer),
) -> AppResult<async_graphql::Request> {
    let mut request: Option<async_graphql::Request> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    while let Some(part) = form.next().await? {
        match part.name() {
            "operations" => {
                let bytes = part.bytes_within(limits.max_json_bytes).await?;
                request = Some(serde_json::from_slice(&bytes).map_err(|err| {
                    AppError::bad_input(format!(
                        "the operations part is not one GraphQL request: {err}"
                    ))
                })?);
            }
            "map" => {
                let bytes = part.bytes().await?;
                let parsed: HashMap<String, Vec<String>> =
                    serde_json::from_slice(&bytes).map_err(|err| {
                        AppError::bad_input(format!(
                            "the map part must map file parts to variable paths: {err}"
                        ))
                    })?;
                let paths: usize = parsed.values().map(Vec::len).sum();
                if paths > limits.max_form_parts {
                    return Err(AppError::bad_input(format!(
                        "the map part names {paths} variable paths; at most {} are allowed",
                        limits.max_form_parts
                    )));
                }
                map = Some(parsed);
            }
            name => {
                let (Some(request), Some(map)) = (request.as_mut(), map.as_mut()) else {
                    return Err(AppError::bad_input(
                        "the operations and map parts must come before the files",
                    ));
                };
                let Some(paths) = map.remove(name) else {
                    part.skip().await?;
                    continue;
                };
                // Where it goes is checked before a byte of it is kept.
                for path in &paths {
                    let (company, target, version) = destination(request, path)?;
                    let purpose = match version {
                        true => UploadFor::NewVersionOf(&target),
                        false => UploadFor::NewItemIn(&target),
                    };
                    service.may_upload(viewer, company, purpose).await?;
                }
                let upload = UploadValue {
                    filename: part.file_name().unwrap_or_default().to_owned(),
                    content_type: part.content_type(),
                    content: spool(part.stream()).await?,
                };
                for path in paths {
                    let copy = upload.try_clone().map_err(AppError::io)?;
                    request.set_upload(&path, copy);
                }
            }
        }
    }
    request
        .ok_or_else(|| AppError::bad_input("a multipart GraphQL request needs an operations part"))
}

/// Where the upload at a variable path goes: it fills the `file` of an input with a
/// `companyId` and a `parentId` (a new item) or an `itemId` (a new version) — or the
/// `file` variable of an operation whose variables name those.
fn destination(
    request: &async_graphql::Request,
    path: &str,
) -> AppResult<(CompanyId, ItemRef, bool)> {
    let unknown = || {
        AppError::bad_input(format!(
            "{path:?} is not where an upload goes: the file of a createItem or createVersion input"
        ))
    };
    let mut segments = path.split('.');
    if segments.next() != Some("variables") {
        return Err(unknown());
    }
    let segments: Vec<&str> = segments.collect();
    let Some((&"file", parents)) = segments.split_last() else {
        return Err(unknown());
    };
    // Each segment names a field of an object: a list, or a name that is not there, is no
    // place an upload goes.
    let mut value: Option<&Value> = None;
    for segment in parents {
        value = Some(
            match value {
                None => request.variables.get(*segment),
                Some(Value::Object(fields)) => fields.get(*segment),
                Some(_) => None,
            }
            .ok_or_else(unknown)?,
        );
    }
    let found = |key: &str| match value {
        None => request.variables.get(key),
        Some(Value::Object(input)) => input.get(key),
        Some(_) => None,
    };
    let text = |key: &str| match found(key) {
        Some(Value::String(text)) => Some(text.as_str()),
        _ => None,
    };
    let company = CompanyId::parse(text("companyId").ok_or_else(unknown)?)?;
    match (text("parentId"), text("itemId")) {
        (Some(parent), None) => Ok((company, ItemRef::parse_in(parent, company)?, false)),
        (None, Some(item)) => Ok((company, ItemRef::parse_in(item, company)?, true)),
        _ => Err(unknown()),
    }
}

/// Writes a file part to a temporary file and rewinds it.
async fn spool(
    stream: impl futures::Stream<Item = AppResult<bytes::Bytes>>,
) -> AppResult<std::fs::File> {
    let mut stream = std::pin::pin!(stream);
    let io = AppError::io;
    let file = tempfile::tempfile().map_err(io)?;
    let mut writer = tokio::fs::File::from_std(file);
    while let Some(chunk) = stream.next().await {
        writer.write_all(&chunk?).await.map_err(io)?;
    }
    writer.flush().await.map_err(io)?;
    let mut file = writer.into_std().await;
    std::io::Seek::rewind(&mut file).map_err(io)?;
    Ok(file)
}
