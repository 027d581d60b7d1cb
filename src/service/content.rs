//! File content: bytes streamed in (hashed, size-limited, stored once per company and
//! SHA-256), the reference counts of who uses them, and finding them again to download.
//!
//! Bytes always land in the store before the row that points at them commits: a crash leaves
//! at worst bytes without a row, which `sweep` removes.

use std::collections::HashMap;

use bytes::Bytes;
use entity::{blob, file, version};
use futures::Stream;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{Service, access};
use crate::auth::Viewer;
use crate::domain::{CompanyId, ItemId, VersionId, now_millis};
use crate::error::{AppError, AppResult};

/// Where uploads are written before a row claims them.
const STAGING: &str = "staging";
/// Where claimed content lives.
const BLOBS: &str = "blobs";
/// Staged or unclaimed bytes younger than this are left alone by the sweeper (an upload may
/// still be on its way to its row).
pub const SWEEP_GRACE_SECS: i64 = 3600;

/// Bytes written under a staging key, not yet claimed by a row.
#[derive(Debug)]
pub struct Staged {
    pub(super) key: String,
    pub size: i64,
    pub sha256: String,
}

/// Whether staged bytes already count against the quota (a chunked upload declared them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Counted {
    NotYet,
    Declared,
}

/// After a claim: staged bytes to drop once the transaction commits (the content was already
/// stored), if any.
#[must_use]
pub struct Claim {
    leftover: Option<String>,
}

/// A file's bytes, ready to stream.
#[derive(Clone, Debug)]
pub struct Content {
    /// The name to download it under (the item's current name).
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    key: String,
}

/// The media type to record: the client's when it looks like one, else guessed from the name.
pub fn media_type(claimed: Option<&str>, name: &str) -> String {
    let plausible = claimed.filter(|m| {
        let mut parts = m.splitn(2, '/');
        let (top, sub) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        !top.is_empty()
            && !sub.is_empty()
            && m.len() <= 127
            && m.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
            && *m != "application/octet-stream"
    });
    match plausible {
        Some(m) => m.to_ascii_lowercase(),
        None => mime_guess::from_path(name)
            .first_or_octet_stream()
            .essence_str()
            .to_owned(),
    }
}

impl Service {
    /// Streams an upload into the store under a staging key (at most `max_upload_bytes`).
    pub async fn stage<S, E>(&self, body: S) -> AppResult<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<AppError>,
    {
        self.stage_within(body, self.max_upload_bytes).await
    }

    /// Streams an upload for `company` into the store, stopping (413) as soon as it would
    /// pass the upload limit or what is left of the company's quota: the bytes are checked
    /// before they land, not after.
    pub async fn stage_for<S, E>(&self, company: CompanyId, body: S) -> AppResult<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<AppError>,
    {
        let Some(room) = self.quota_room(self.db(), company).await? else {
            return self.stage(body).await;
        };
        if room >= self.max_upload_bytes {
            return self.stage(body).await;
        }
        self.stage_within(body, room)
            .await
            .map_err(|err| match err {
                AppError::PayloadTooLarge(_) => AppError::PayloadTooLarge(format!(
                    "the company's quota is full: {room} bytes are left"
                )),
                other => other,
            })
    }

    /// `stage`, with at most `limit` bytes.
    pub(super) async fn stage_within<S, E>(&self, body: S, limit: u64) -> AppResult<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<AppError>,
    {
        let key = format!("{STAGING}/{}", Uuid::new_v4());
        let written = self.blobs.write(&key, body, limit).await?;
        Ok(Staged {
            key,
            size: written.size,
            sha256: written.sha256,
        })
    }

    /// Every byte the company stores or has declared: its content in use (uploads no version
    /// took yet included) and the declared sizes of its chunked uploads not yet assembled.
    async fn used_bytes<C: ConnectionTrait>(db: &C, company: CompanyId) -> AppResult<i64> {
        let stored: i64 = blob::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"))
            .filter(blob::Column::CompanyId.eq(company.0))
            .filter(blob::Column::Refs.gt(0))
            .into_tuple::<i64>()
            .one(db)
            .await?
            .unwrap_or_default();
        let pending: i64 = entity::upload::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(total_size), 0) AS BIGINT)"))
            .filter(entity::upload::Column::CompanyId.eq(company.0))
            .filter(entity::upload::Column::State.is_in(["receiving", "assembling"]))
            .into_tuple::<i64>()
            .one(db)
            .await?
            .unwrap_or_default();
        Ok(stored.saturating_add(pending))
    }

    /// What is left of the company's quota, when it has one.
    async fn quota_room<C: ConnectionTrait>(
        &self,
        db: &C,
        company: CompanyId,
    ) -> AppResult<Option<u64>> {
        let Some(quota) = self.company_quota_bytes else {
            return Ok(None);
        };
        let used = Ord::max(Self::used_bytes(db, company).await?, 0) as u64;
        Ok(Some(quota.saturating_sub(used)))
    }

    /// Refuses (413) `more` new bytes for a company that would exceed its quota. Called where
    /// a size is declared, before any byte is accepted, and again before a new blob commits;
    /// writers of one company's quota take turns, so two cannot both take the last room.
    pub(super) async fn check_quota(
        &self,
        txn: &DatabaseTransaction,
        company: CompanyId,
        more: i64,
    ) -> AppResult<()> {
        if self.company_quota_bytes.is_none() {
            return Ok(());
        }
        super::locks::take_turn(txn, &[b"quota", company.0.as_bytes()]).await?;
        let Some(room) = self.quota_room(txn, company).await? else {
            return Ok(());
        };
        if Ord::max(more, 0) as u64 > room {
            return Err(AppError::PayloadTooLarge(format!(
                "the company's quota is full: {room} bytes are left, {more} asked"
            )));
        }
        Ok(())
    }

    /// Refuses (413) a size a client declared before sending anything: over the upload limit
    /// or what is left of the quota (a first look; the bytes are checked again as they land).
    pub async fn check_declared_size(&self, company: CompanyId, size: u64) -> AppResult<()> {
        if size > self.max_upload_bytes {
            return Err(AppError::PayloadTooLarge(format!(
                "the upload is larger than the {} bytes allowed",
                self.max_upload_bytes
            )));
        }
        match self.quota_room(self.db(), company).await? {
            Some(room) if size > room => Err(AppError::PayloadTooLarge(format!(
                "the company's quota is full: {room} bytes are left, {size} asked"
            ))),
            _ => Ok(()),
        }
    }

    /// Drops staged bytes nobody claimed (a refused request).
    pub async fn discard(&self, staged: Staged) {
        if let Err(err) = self.blobs.delete(&staged.key).await {
            tracing::warn!(error = ?err, key = %staged.key, "could not drop staged bytes; the sweeper will");
        }
    }

    /// After the claiming transaction committed (or failed): drops what is no longer needed.
    pub(super) async fn settle(&self, claim: Claim) {
        if let Some(key) = claim.leftover {
            let _ = self.blobs.delete(&key).await;
        }
    }

    /// Takes one reference on the company's blob for the staged content. Existing content just
    /// gains a reference; new content is moved into place before the row commits. Two writers
    /// of the same new content at once: one stores it, the other takes a reference on it.
    pub(super) async fn claim(
        &self,
        txn: &DatabaseTransaction,
        company: CompanyId,
        staged: &Staged,
        counted: Counted,
    ) -> AppResult<Claim> {
        let leftover = || Claim {
            leftover: Some(staged.key.clone()),
        };
        if take_reference(txn, company, &staged.sha256).await? {
            return Ok(leftover());
        }
        if counted == Counted::NotYet {
            self.check_quota(txn, company, staged.size).await?;
        }
        let key = blob_key(company, &staged.sha256);
        if !insert_blob(txn, company, &staged.sha256, staged.size, &key).await? {
            return referenced(txn, company, &staged.sha256)
                .await
                .map(|()| leftover());
        }
        self.blobs.rename(&staged.key, &key).await?;
        Ok(Claim { leftover: None })
    }

    /// One reference on the company's empty content (stored once, the first time a file is
    /// made without bytes): what an empty file's version points at. Its SHA-256.
    pub(super) async fn empty_content(
        &self,
        txn: &DatabaseTransaction,
        company: CompanyId,
    ) -> AppResult<&'static str> {
        if take_reference(txn, company, EMPTY_SHA256).await? {
            return Ok(EMPTY_SHA256);
        }
        let key = blob_key(company, EMPTY_SHA256);
        self.blobs.put(&key, Bytes::new()).await?;
        if !insert_blob(txn, company, EMPTY_SHA256, 0, &key).await? {
            let _ = self.blobs.delete(&key).await;
            referenced(txn, company, EMPTY_SHA256).await?;
        }
        Ok(EMPTY_SHA256)
    }

    /// Deletes blobs nobody uses any more, rows then bytes: only the bytes of the rows this
    /// very statement deleted (a concurrent upload may have taken a reference meanwhile, and
    /// keeps its row and its bytes).
    pub async fn sweep_unreferenced(&self) -> AppResult<usize> {
        let txn = self.write().await?;
        let deleted = blob::Entity::delete_many()
            .filter(blob::Column::Refs.lte(0))
            .exec_with_returning(&*txn)
            .await?;
        txn.commit().await?;
        for blob in &deleted {
            self.blobs.delete(&blob.key).await?;
        }
        Ok(deleted.len())
    }

    /// Forgets uploads no version took within `QUIRE_UNUSED_UPLOAD_TTL_SECS`: their rows go
    /// and their references are released (the bytes follow when nothing else uses them).
    async fn forget_unused_uploads(&self) -> AppResult<usize> {
        let ttl = i64::try_from(self.unused_upload_ttl_secs).unwrap_or(i64::MAX / 1000);
        let stale = now_millis().saturating_sub(ttl.saturating_mul(1000));
        let txn = self.write().await?;
        let forgotten = file::Entity::delete_many()
            .filter(file::Column::HoldsRef.eq(true))
            .filter(file::Column::CreatedAt.lte(stale))
            .exec_with_returning(&*txn)
            .await?;
        for (company, files) in super::by_company(forgotten.iter(), |f| f.company_id) {
            release(
                &*txn,
                company,
                files.iter().map(|f| f.sha256.clone()).collect(),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(forgotten.len())
    }

    /// Forgets one unused upload of the viewer's (a request that stored it was refused): its
    /// row goes and its reference is released; the bytes go when nothing else uses them.
    pub(crate) async fn forget_upload_of(&self, owner: &str, company: CompanyId, id: Uuid) {
        let outcome = async {
            let txn = self.write().await?;
            let forgotten = file::Entity::delete_many()
                .filter(file::Column::Id.eq(id))
                .filter(file::Column::CompanyId.eq(company.0))
                .filter(file::Column::Owner.eq(owner))
                .filter(file::Column::HoldsRef.eq(true))
                .exec_with_returning(&*txn)
                .await?;
            release(
                &*txn,
                company,
                forgotten.into_iter().map(|f| f.sha256).collect(),
            )
            .await?;
            txn.commit().await?;
            self.sweep_unreferenced().await
        }
        .await;
        if let Err(err) = outcome {
            tracing::warn!(error = ?err, "could not forget a refused upload yet; the sweeper will");
        }
    }

    /// Deletes stored bytes no row points at (a crash between writing bytes and committing
    /// their row), once older than `grace_secs`; then blobs nobody uses.
    pub async fn sweep(&self, grace_secs: i64) -> AppResult<usize> {
        let mut removed = self.forget_unused_uploads().await?;
        removed += self.sweep_unreferenced().await?;
        self.forget_old_attempts().await?;
        for listed in self.blobs.list(STAGING).await? {
            if listed.age_secs >= grace_secs {
                self.blobs.delete(&listed.key).await?;
                removed += 1;
            }
        }
        // Chunked uploads without a chunk (or an assembler's word) for the grace period.
        let stale = now_millis() - grace_secs * 1000;
        let abandoned = entity::upload::Entity::find()
            .filter(entity::upload::Column::UpdatedAt.lte(stale))
            .all(self.db())
            .await?;
        for upload in abandoned {
            let chunks = entity::upload_chunk::Entity::find()
                .filter(entity::upload_chunk::Column::UploadId.eq(upload.id))
                .all(self.db())
                .await?;
            removed += chunks.len();
            self.forget_upload(&upload, &chunks).await?;
        }
        // Chunk bytes whose upload is gone (a crash while forgetting it).
        for listed in self.blobs.list("chunks").await? {
            let upload = listed
                .key
                .split('/')
                .nth(1)
                .and_then(|id| Uuid::parse_str(id).ok());
            let known = match upload {
                Some(id) => entity::upload::Entity::find_by_id(id)
                    .one(self.db())
                    .await?
                    .is_some(),
                None => false,
            };
            if !known && listed.age_secs >= grace_secs {
                self.blobs.delete(&listed.key).await?;
                removed += 1;
            }
        }
        let stored = self.blobs.list(BLOBS).await?;
        let old: Vec<String> = stored
            .into_iter()
            .filter(|l| l.age_secs >= grace_secs)
            .map(|l| l.key)
            .collect();
        for keys in old.chunks(500) {
            let known: Vec<String> = blob::Entity::find()
                .filter(blob::Column::Key.is_in(keys.iter().cloned()))
                .all(self.db())
                .await?
                .into_iter()
                .map(|b| b.key)
                .collect();
            for key in keys.iter().filter(|k| !known.contains(k)) {
                self.blobs.delete(key).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The bytes of a file (its latest version, or `version`), for a viewer who may read it.
    pub async fn file_content(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        item: ItemId,
        version: Option<VersionId>,
    ) -> AppResult<Content> {
        let (found, row) = access::readable_item(self.db(), viewer, company, item.0).await?;
        if row.is_directory {
            return Err(AppError::bad_input(format!(
                "{item} is a folder: download it as a zip"
            )));
        }
        let version_id = version
            .map(|v| v.0)
            .or(row.last_version_id)
            .ok_or_else(|| AppError::not_found(format!("content of {item}")))?;
        let version = version::Entity::find_by_id(version_id)
            .filter(version::Column::ItemId.eq(item.0))
            .one(self.db())
            .await?
            .ok_or_else(|| AppError::not_found(format!("version {version_id} of item {item}")))?;
        let sha = version.sha256.clone().ok_or_else(|| {
            AppError::not_found(format!("stored content of version {version_id}"))
        })?;
        self.content_by_hash(company, &sha, found.name, version.mime)
            .await
    }

    /// The stored content of a company with this hash.
    pub(super) async fn content_by_hash(
        &self,
        company: CompanyId,
        sha256: &str,
        name: String,
        mime: String,
    ) -> AppResult<Content> {
        let blob = blob::Entity::find()
            .filter(blob::Column::CompanyId.eq(company.0))
            .filter(blob::Column::Sha256.eq(sha256))
            .one(self.db())
            .await?
            .ok_or_else(|| AppError::not_found("stored content"))?;
        Ok(Content {
            name,
            mime,
            size: blob.size,
            sha256: blob.sha256,
            key: blob.key,
        })
    }

    /// Streams content, or a byte range of it.
    pub async fn read_content(
        &self,
        content: &Content,
        range: Option<std::ops::Range<u64>>,
    ) -> AppResult<futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>>> {
        self.blobs.read(&content.key, range).await
    }
}

/// The SHA-256 of no bytes at all.
pub(super) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Where new content of a company goes in the store.
fn blob_key(company: CompanyId, sha256: &str) -> String {
    format!("{BLOBS}/{company}/{sha256}-{}", Uuid::new_v4())
}

/// Records new content with one reference, inside a savepoint; false when a concurrent writer
/// recorded the same content first (its transaction committed in between).
async fn insert_blob(
    txn: &DatabaseTransaction,
    company: CompanyId,
    sha256: &str,
    size: i64,
    key: &str,
) -> AppResult<bool> {
    let savepoint = txn.begin().await?;
    let inserted = blob::ActiveModel {
        id: Set(Uuid::new_v4()),
        company_id: Set(company.0),
        sha256: Set(sha256.to_owned()),
        size: Set(size),
        refs: Set(1),
        key: Set(key.to_owned()),
        created_at: Set(now_millis()),
    }
    .insert(&savepoint)
    .await;
    match inserted {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

/// A reference on content another writer just recorded.
async fn referenced(txn: &DatabaseTransaction, company: CompanyId, sha256: &str) -> AppResult<()> {
    if take_reference(txn, company, sha256).await? {
        Ok(())
    } else {
        Err(AppError::Internal(anyhow::anyhow!(
            "content {sha256} was recorded and gone again within one transaction"
        )))
    }
}

/// Adds one reference to the company's blob for `sha256`; false when there is none.
pub(super) async fn take_reference<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    sha256: &str,
) -> AppResult<bool> {
    let updated = blob::Entity::update_many()
        .col_expr(blob::Column::Refs, Expr::col(blob::Column::Refs).add(1))
        .filter(blob::Column::CompanyId.eq(company.0))
        .filter(blob::Column::Sha256.eq(sha256))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Drops one reference per entry (a content may appear several times).
pub(super) async fn release<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    shas: Vec<String>,
) -> AppResult<()> {
    let mut counts: HashMap<String, i64> = HashMap::new();
    for sha in shas {
        *counts.entry(sha).or_default() += 1;
    }
    for (sha, count) in counts {
        blob::Entity::update_many()
            .col_expr(blob::Column::Refs, Expr::col(blob::Column::Refs).sub(count))
            .filter(blob::Column::CompanyId.eq(company.0))
            .filter(blob::Column::Sha256.eq(sha))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Resolves `external_id` (an uploaded file) for a new version: the uploader, or anyone who
/// can read an item already using it, may use it. The upload's own reference moves to the
/// version the first time; later versions add one.
pub(super) async fn use_uploaded_file<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    external_id: &str,
) -> AppResult<file::Model> {
    let not_found = || AppError::not_found(format!("file {external_id}"));
    let id = Uuid::parse_str(external_id).map_err(|_| not_found())?;
    // Locked: a sweeper forgetting the upload waits (or went first, and it is gone).
    let Some(file) = file::Entity::find_by_id(id)
        .filter(file::Column::CompanyId.eq(company.0))
        .lock_exclusive()
        .one(db)
        .await?
    else {
        let incomplete = Service::incomplete_upload(db, company, id).await?;
        return Err(incomplete.unwrap_or_else(not_found));
    };
    if file.owner != viewer.user_id.as_str()
        && !used_by_readable_item(db, viewer, company, external_id).await?
    {
        return Err(not_found());
    }
    if file.holds_ref {
        file::Entity::update_many()
            .col_expr(file::Column::HoldsRef, Expr::value(false))
            .filter(file::Column::Id.eq(file.id))
            .exec(db)
            .await?;
    } else if !take_reference(db, company, &file.sha256).await? {
        return Err(not_found());
    }
    Ok(file)
}

/// Whether some item the viewer may read has a version made from the uploaded file.
pub(super) async fn used_by_readable_item<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    external_id: &str,
) -> AppResult<bool> {
    let items: Vec<Uuid> = version::Entity::find()
        .filter(version::Column::CompanyId.eq(company.0))
        .filter(version::Column::ExternalId.eq(external_id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.item_id)
        .collect();
    Ok(!access::readable_rows(db, viewer, company, &items)
        .await?
        .is_empty())
}
