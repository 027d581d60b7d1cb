//! Files uploaded through GraphQL (the multipart request spec): stored like any upload, then
//! referenced by the version being created.

use async_graphql::{Context, ErrorExtensions, Upload};
use tokio_util::io::ReaderStream;

use super::context::ContextExt;
use crate::domain::CompanyId;
use crate::error::AppError;
use crate::service::files::{UploadFor, UploadedFile};

/// Streams an `Upload` into the blob store as an upload of the viewer's, once they may put it
/// where it is for.
pub async fn store(
    ctx: &Context<'_>,
    company: CompanyId,
    upload: Upload,
    purpose: UploadFor<'_>,
) -> async_graphql::Result<UploadedFile> {
    let viewer = ctx.viewer()?;
    let service = ctx.service()?;
    service
        .may_upload(viewer, company, purpose)
        .await
        .map_err(|e| e.extend())?;
    let value = upload
        .value(ctx)
        .map_err(|err| AppError::bad_input(format!("unreadable upload: {err}")).extend())?;
    let name = value.filename.clone();
    let mime = value.content_type.clone();
    let body = ReaderStream::new(tokio::fs::File::from_std(value.content));
    let staged = service
        .stage_for(
            company,
            futures::TryStreamExt::map_err(body, |err| {
                AppError::bad_input(format!("upload interrupted: {err}"))
            }),
        )
        .await
        .map_err(|e| e.extend())?;
    service
        .upload_file(viewer, company, &name, mime.as_deref(), staged)
        .await
        .map_err(|e| e.extend())
}

/// A refused create or version keeps nothing: the upload made for it goes.
pub async fn forget_if_refused<T>(
    ctx: &Context<'_>,
    file: Option<&UploadedFile>,
    outcome: async_graphql::Result<T>,
) -> async_graphql::Result<T> {
    if let (Err(_), Some(file), Ok(service)) = (&outcome, file, ctx.service()) {
        service
            .forget_upload_of(&file.owner, file.company_id, file.id)
            .await;
    }
    outcome
}
