//! Chunked (Resumable.js) uploads: declared, received chunk by chunk in any order or in
//! parallel, assembled and verified (size, SHA-256) when the last one is in. The file keeps
//! the id the upload was given.

use bytes::Bytes;
use entity::{file, upload, upload_chunk};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::content::{Counted, media_type};
use super::files::UploadedFile;
use super::{Service, locks};
use crate::auth::Viewer;
use crate::domain::{CompanyId, names, now_millis};
use crate::error::{AppError, AppResult};

/// Where received chunks wait for the rest.
const CHUNKS: &str = "chunks";
/// How often an upload being assembled says it is still alive.
const ASSEMBLY_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(60);

/// An upload being assembled: it says it is alive while the assembly runs, so no sweeper takes
/// it; should the assembly stop before it is done (an error, a dropped request), the upload
/// goes back to receiving, for its next chunk to try again.
struct Assembling {
    db: sea_orm::DatabaseConnection,
    id: Uuid,
    heartbeat: tokio::task::JoinHandle<()>,
    settled: bool,
}

impl Assembling {
    fn start(db: sea_orm::DatabaseConnection, id: Uuid) -> Self {
        let heartbeat = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(ASSEMBLY_HEARTBEAT);
                loop {
                    every.tick().await;
                    if let Err(err) = touch(&db, id).await {
                        tracing::warn!(error = ?err, "could not mark an upload as assembling");
                    }
                }
            })
        };
        Self {
            db,
            id,
            heartbeat,
            settled: false,
        }
    }

    /// The upload became a file (its row is gone).
    fn settle(mut self) {
        self.settled = true;
    }
}

impl Drop for Assembling {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.settled {
            return;
        }
        let (db, id) = (self.db.clone(), self.id);
        tokio::spawn(async move {
            let reset = upload::Entity::update_many()
                .col_expr(upload::Column::State, Expr::value("receiving"))
                .col_expr(upload::Column::UpdatedAt, Expr::value(now_millis()))
                .filter(upload::Column::Id.eq(id))
                .filter(upload::Column::State.eq("assembling"))
                .exec(&db)
                .await;
            if let Err(err) = reset {
                tracing::warn!(error = ?err, "could not put an upload back to receiving");
            }
        });
    }
}

/// Marks an upload as alive now.
async fn touch<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    upload::Entity::update_many()
        .col_expr(upload::Column::UpdatedAt, Expr::value(now_millis()))
        .filter(upload::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The most chunks one upload may have.
const MAX_CHUNKS: i32 = 100_000;

/// A chunked upload as its client sees it.
#[derive(Clone, Debug)]
pub struct PendingUpload {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub owner: String,
    pub name: String,
    pub mime: String,
    pub total_size: i64,
    pub total_chunks: i32,
    pub created_at: i64,
}

/// Where an upload stands after a chunk.
#[derive(Clone, Debug)]
pub enum UploadState {
    /// Chunks are missing.
    Receiving(PendingUpload),
    /// Every chunk is in: the file exists.
    Complete(UploadedFile),
}

impl From<upload::Model> for PendingUpload {
    fn from(row: upload::Model) -> Self {
        Self {
            id: row.id,
            company_id: CompanyId(row.company_id),
            owner: row.owner,
            name: row.name,
            mime: row.mime,
            total_size: row.total_size,
            total_chunks: row.total_chunks,
            created_at: row.created_at,
        }
    }
}

impl Service {
    /// Declares a chunked upload of `total_size` bytes in `total_chunks` chunks.
    pub async fn start_upload(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        name: &str,
        mime: Option<&str>,
        total_size: i64,
        total_chunks: i32,
    ) -> AppResult<PendingUpload> {
        let name = names::validate(name)?;
        if !(1..=MAX_CHUNKS).contains(&total_chunks) {
            return Err(AppError::bad_input(format!(
                "total_chunks must be 1 to {MAX_CHUNKS}"
            )));
        }
        if total_size < 0 {
            return Err(AppError::bad_input("total_size must not be negative"));
        }
        self.check_declared_size(company, total_size as u64).await?;
        let txn = self.write().await?;
        self.check_quota(&txn, company, total_size).await?;
        let row = upload::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company.0),
            owner: Set(viewer.user_id.to_string()),
            mime: Set(media_type(mime, &name)),
            name: Set(name),
            total_size: Set(total_size),
            total_chunks: Set(total_chunks),
            state: Set("receiving".to_owned()),
            created_at: Set(now_millis()),
            updated_at: Set(now_millis()),
        }
        .insert(&*txn)
        .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// Receives chunk `number` (1-based) of an upload of the viewer's; a chunk sent again
    /// replaces the first. The request that brings the last missing chunk assembles the file.
    pub async fn put_chunk<S, E>(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        upload_id: &str,
        number: i32,
        body: S,
    ) -> AppResult<UploadState>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<AppError>,
    {
        let not_found = || AppError::not_found(format!("upload {upload_id}"));
        let id = Uuid::parse_str(upload_id).map_err(|_| not_found())?;
        let Some(pending) = upload::Entity::find_by_id(id)
            .filter(upload::Column::CompanyId.eq(company.0))
            .filter(upload::Column::Owner.eq(viewer.user_id.as_str()))
            .one(self.db())
            .await?
        else {
            // Already assembled: a retried chunk answers with the file.
            return Ok(UploadState::Complete(
                self.get_file(viewer, company, upload_id).await?,
            ));
        };
        if !(1..=pending.total_chunks).contains(&number) {
            return Err(AppError::bad_input(format!(
                "resumableChunkNumber must be 1 to {}",
                pending.total_chunks
            )));
        }
        // A chunk fills what the upload declared, no more (what was declared is what the
        // quota counted): checked as it arrives, and again once it takes its upload's turn,
        // when the chunks that came in meanwhile count too.
        let declared = (pending.total_size.max(0) as u64).min(self.max_upload_bytes);
        let room = declared.saturating_sub(other_chunks(self.db(), id, number).await?);
        let staged = self.stage_within(body, room).await?;
        let txn = self.write().await?;
        locks::take_turn(&txn, &[b"upload", id.as_bytes()]).await?;
        if upload::Entity::find_by_id(id).one(&*txn).await?.is_none() {
            // Assembled meanwhile by the request that brought the last chunk.
            drop(txn);
            self.discard(staged).await;
            return Ok(UploadState::Complete(
                self.get_file(viewer, company, upload_id).await?,
            ));
        }
        let others = other_chunks(&*txn, id, number).await?;
        if others.saturating_add(staged.size as u64) > declared {
            drop(txn);
            self.discard(staged).await;
            return Err(AppError::PayloadTooLarge(format!(
                "the chunks of upload {id} would hold more than the {declared} bytes it declared"
            )));
        }
        let key = format!("{CHUNKS}/{id}/{number}");
        self.blobs.rename(&staged.key, &key).await?;
        upload_chunk::Entity::insert(upload_chunk::ActiveModel {
            upload_id: Set(id),
            number: Set(number),
            size: Set(staged.size),
            key: Set(key),
        })
        .on_conflict(
            OnConflict::columns([upload_chunk::Column::UploadId, upload_chunk::Column::Number])
                .update_columns([upload_chunk::Column::Size, upload_chunk::Column::Key])
                .to_owned(),
        )
        .exec(&*txn)
        .await?;
        touch(&*txn, id).await?;
        txn.commit().await?;
        self.assemble_when_complete(viewer, company, pending).await
    }

    /// Assembles the upload if every chunk is in and no other request is doing it.
    async fn assemble_when_complete(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        pending: upload::Model,
    ) -> AppResult<UploadState> {
        let txn = self.write().await?;
        let received = upload_chunk::Entity::find()
            .filter(upload_chunk::Column::UploadId.eq(pending.id))
            .all(&*txn)
            .await?;
        let bytes: i64 = received.iter().map(|c| c.size).sum();
        // Complete when every chunk is in and they add up to the declared size; a chunk being
        // sent again may still be on its way.
        let complete =
            received.len() == pending.total_chunks as usize && bytes == pending.total_size;
        let won = complete
            && upload::Entity::update_many()
                .col_expr(upload::Column::State, Expr::value("assembling"))
                .filter(upload::Column::Id.eq(pending.id))
                .filter(upload::Column::State.eq("receiving"))
                .exec(&*txn)
                .await?
                .rows_affected
                == 1;
        txn.commit().await?;
        if !won {
            return Ok(UploadState::Receiving(pending.into()));
        }
        let chunks = upload_chunk::Entity::find()
            .filter(upload_chunk::Column::UploadId.eq(pending.id))
            .order_by_asc(upload_chunk::Column::Number)
            .all(self.db())
            .await?;
        let blobs = self.blobs.clone();
        let keys: Vec<String> = chunks.iter().map(|c| c.key.clone()).collect();
        let joined: BoxStream<'static, Result<Bytes, AppError>> = futures::stream::iter(keys)
            .then(move |key| {
                let blobs = blobs.clone();
                async move { blobs.read(&key, None).await }
            })
            .map_ok(|stream| stream.map_err(|err| AppError::Internal(err.into())))
            .try_flatten()
            .boxed();
        let assembling = Assembling::start(self.db().clone(), pending.id);
        let staged = self.stage(joined).await?;
        if staged.size != pending.total_size {
            // A chunk was replaced while we read: the next one completes it (dropping
            // `assembling` puts the upload back to receiving).
            self.discard(staged).await;
            return Ok(UploadState::Receiving(pending.into()));
        }
        let recorded = self
            .record_assembled(viewer, company, &pending, &staged)
            .await;
        let Ok(file) = recorded else {
            self.discard(staged).await;
            return recorded.map(UploadState::Complete);
        };
        // The file and the end of the upload committed together: nothing is left to undo.
        assembling.settle();
        self.delete_chunk_bytes(&chunks).await;
        Ok(UploadState::Complete(file))
    }

    /// Stores the assembled bytes as the file the upload promised.
    async fn record_assembled(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        pending: &upload::Model,
        staged: &super::content::Staged,
    ) -> AppResult<UploadedFile> {
        let txn = self.write().await?;
        locks::take_turn(&txn, &[b"upload", pending.id.as_bytes()]).await?;
        let claim = self.claim(&txn, company, staged, Counted::Declared).await?;
        let row = file::ActiveModel {
            id: Set(pending.id),
            company_id: Set(company.0),
            owner: Set(viewer.user_id.to_string()),
            name: Set(pending.name.clone()),
            mime: Set(pending.mime.clone()),
            size: Set(staged.size),
            sha256: Set(staged.sha256.clone()),
            holds_ref: Set(true),
            created_at: Set(pending.created_at),
        }
        .insert(&*txn)
        .await?;
        forget_upload_rows(&*txn, pending.id).await?;
        txn.commit().await?;
        self.settle(claim).await;
        Ok(row.into())
    }

    /// Drops an upload's rows and chunk bytes.
    pub(super) async fn forget_upload(
        &self,
        pending: &upload::Model,
        chunks: &[upload_chunk::Model],
    ) -> AppResult<()> {
        let txn = self.write().await?;
        forget_upload_rows(&*txn, pending.id).await?;
        txn.commit().await?;
        self.delete_chunk_bytes(chunks).await;
        Ok(())
    }

    /// Deletes the bytes of chunks whose rows are gone (what fails is the sweeper's).
    async fn delete_chunk_bytes(&self, chunks: &[upload_chunk::Model]) {
        for chunk in chunks {
            if let Err(err) = self.blobs.delete(&chunk.key).await {
                tracing::warn!(error = ?err, key = %chunk.key, "could not delete a chunk; the sweeper will");
            }
        }
    }

    /// Why an upload cannot be used yet, when `id` names one still receiving chunks.
    pub(super) async fn incomplete_upload<C: sea_orm::ConnectionTrait>(
        db: &C,
        company: CompanyId,
        id: Uuid,
    ) -> AppResult<Option<AppError>> {
        let Some(pending) = upload::Entity::find_by_id(id)
            .filter(upload::Column::CompanyId.eq(company.0))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let chunks = upload_chunk::Entity::find()
            .filter(upload_chunk::Column::UploadId.eq(id))
            .all(db)
            .await?;
        let bytes: i64 = chunks.iter().map(|c| c.size).sum();
        Ok(Some(AppError::bad_input(format!(
            "upload {id} is not complete: {} of {} chunks, {bytes} of {} bytes",
            chunks.len(),
            pending.total_chunks,
            pending.total_size
        ))))
    }

    /// A pending upload of the viewer's, for `GET files/:id` before it is complete.
    pub async fn pending_upload(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &str,
    ) -> AppResult<Option<PendingUpload>> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        Ok(upload::Entity::find_by_id(id)
            .filter(upload::Column::CompanyId.eq(company.0))
            .filter(upload::Column::Owner.eq(viewer.user_id.as_str()))
            .one(self.db())
            .await?
            .map(Into::into))
    }
}

/// The bytes an upload's chunks other than `number` hold.
async fn other_chunks<C: ConnectionTrait>(db: &C, upload: Uuid, number: i32) -> AppResult<u64> {
    let sizes: Vec<i64> = upload_chunk::Entity::find()
        .select_only()
        .column(upload_chunk::Column::Size)
        .filter(upload_chunk::Column::UploadId.eq(upload))
        .filter(upload_chunk::Column::Number.ne(number))
        .into_tuple()
        .all(db)
        .await?;
    Ok(sizes.into_iter().map(|size| size.max(0) as u64).sum())
}

/// Deletes an upload's row and its chunks' rows.
async fn forget_upload_rows<C: ConnectionTrait>(db: &C, upload: Uuid) -> AppResult<()> {
    upload_chunk::Entity::delete_many()
        .filter(upload_chunk::Column::UploadId.eq(upload))
        .exec(db)
        .await?;
    upload::Entity::delete_by_id(upload).exec(db).await?;
    Ok(())
}
