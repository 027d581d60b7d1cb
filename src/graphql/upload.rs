//! Files uploaded through GraphQL (the multipart request spec): stored like any upload, then
//! referenced by the version being created.

use async_graphql::{Context, ErrorExtensions, Upload};
use tokio_util::io::ReaderStream;

use super::context::ContextExt;
use crate::domain::CompanyId;
use crate::error::AppError;
use crate::service::files::UploadedFile;

/// Streams an `Upload` into the blob store as an upload of the viewer's.
pub async fn store(
    ctx: &Context<'_>,
    company: CompanyId,
    upload: Upload,
) -> async_graphql::Result<UploadedFile> {
    let viewer = ctx.viewer()?;
    let service = ctx.service()?;
    let value = upload
        .value(ctx)
        .map_err(|err| AppError::bad_input(format!("unreadable upload: {err}")).extend())?;
    let name = value.filename.clone();
    let mime = value.content_type.clone();
    let body = ReaderStream::new(tokio::fs::File::from_std(value.content));
    let staged = service
        .stage(futures::TryStreamExt::map_err(body, |err| {
            AppError::bad_input(format!("upload interrupted: {err}"))
        }))
        .await
        .map_err(|e| e.extend())?;
    service
        .upload_file(viewer, company, &name, mime.as_deref(), staged)
        .await
        .map_err(|e| e.extend())
}
