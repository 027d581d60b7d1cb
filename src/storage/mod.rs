//! The blob store: bytes by key over `object_store` — the local filesystem (`file://`, the
//! default) or S3 (`s3://bucket/prefix`). Writes stream and hash; reads stream, with ranges.

mod digest;

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::{ReaderStream, StreamReader, SyncIoBridge};

use crate::error::{AppError, AppResult};
use digest::Digesting;

/// How much a local read hands over at a time.
const READ_BLOCK: usize = 256 << 10;

/// What a streamed write stored.
#[derive(Clone, Debug)]
pub struct Written {
    pub size: i64,
    pub sha256: String,
}

/// A stored object's key and when it was last written, for sweeping.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    pub age_secs: i64,
}

/// Bytes by key; cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.store)
    }
}

/// A blob store failure: 507 when the store ran out of space, a fault otherwise.
fn storage_error(err: object_store::Error) -> AppError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        {
            return AppError::InsufficientStorage(
                "the blob store has no space left; nothing was kept".to_owned(),
            );
        }
        cause = error.source();
    }
    AppError::Internal(anyhow::Error::new(err).context("blob store"))
}

impl BlobStore {
    /// Opens the store a `QUIRE_STORAGE_URL` names.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)?;
            // Bytes and their directory entries reach the disk before a row points at them.
            let store = LocalFileSystem::new_with_prefix(dir)?.with_fsync(true);
            return Ok(Self {
                store: Arc::new(store),
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(
                !bucket.is_empty(),
                "the storage URL {url:?} names no bucket"
            );
            // AWS_ENDPOINT (or AWS_ENDPOINT_URL), AWS_REGION, AWS_ACCESS_KEY_ID, … as usual.
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
                builder = builder.with_endpoint(endpoint);
            }
            let endpoint_is_http = std::env::var("AWS_ENDPOINT")
                .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
                .is_ok_and(|e| e.starts_with("http://"));
            let s3 = builder.with_allow_http(endpoint_is_http).build()?;
            let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.trim_matches('/')))
            };
            return Ok(Self { store });
        }
        anyhow::bail!(
            "unsupported storage URL {url:?}: use file:///a/directory or s3://bucket/prefix"
        )
    }

    /// Streams `body` to `key`, hashing as it goes; more than `max` bytes aborts the write and
    /// answers 413. A failed write leaves nothing under `key`.
    pub async fn write<S, E>(&self, key: &str, body: S, max: u64) -> AppResult<Written>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<AppError>,
    {
        let upload = self
            .store
            .put_multipart(&Path::from(key))
            .await
            .map_err(storage_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut digest = Digesting::start();
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        let outcome: AppResult<String> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(Into::into)?;
                size += chunk.len() as u64;
                if size > max {
                    return Err(AppError::PayloadTooLarge(format!(
                        "the upload is larger than the {max} bytes allowed"
                    )));
                }
                digest.update(&chunk).await?;
                writer.wait_for_capacity(4).await.map_err(storage_error)?;
                writer.put(chunk);
            }
            digest.finish().await
        }
        .await;
        match outcome {
            Ok(sha256) => {
                writer.finish().await.map_err(storage_error)?;
                Ok(Written {
                    size: size as i64,
                    sha256,
                })
            }
            Err(err) => {
                let _ = writer.abort().await;
                Err(err)
            }
        }
    }

    /// Streams `key`, or the byte `range` of it. Local files are read in large blocks (the
    /// store's own stream reads 8 KiB at a time, several times slower than the disk).
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> AppResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self
            .store
            .get_opts(&Path::from(key), options)
            .await
            .map_err(storage_error)?;
        let range = result.range.clone();
        match result.payload {
            GetResultPayload::File(file, _) => {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .map_err(|err| AppError::Internal(err.into()))?;
                let reader = file.take(range.end - range.start);
                Ok(ReaderStream::with_capacity(reader, READ_BLOCK).boxed())
            }
            GetResultPayload::Stream(stream) => Ok(stream.map_err(std::io::Error::other).boxed()),
        }
    }

    /// `key` as a blocking reader, for code on a blocking thread (the zip writer): local files
    /// are read directly, remote objects through the runtime.
    pub fn read_blocking(
        &self,
        key: &str,
        runtime: &tokio::runtime::Handle,
    ) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        let result = runtime
            .block_on(self.store.get_opts(&Path::from(key), GetOptions::default()))
            .map_err(std::io::Error::other)?;
        match result.payload {
            GetResultPayload::File(file, _) => Ok(Box::new(file)),
            GetResultPayload::Stream(stream) => {
                let reader = StreamReader::new(stream.map_err(std::io::Error::other));
                Ok(Box::new(SyncIoBridge::new_with_handle(
                    reader,
                    runtime.clone(),
                )))
            }
        }
    }

    /// Stores small `bytes` under `key` in one request.
    pub async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        self.store
            .put(&Path::from(key), bytes.into())
            .await
            .map(drop)
            .map_err(storage_error)
    }

    /// Moves `from` to `to` (atomically on the local filesystem).
    pub async fn rename(&self, from: &str, to: &str) -> AppResult<()> {
        self.store
            .rename(&Path::from(from), &Path::from(to))
            .await
            .map_err(storage_error)
    }

    /// Deletes `key`; a key already gone is fine.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(storage_error(err)),
        }
    }

    /// Every key under `prefix`, with its age.
    pub async fn list(&self, prefix: &str) -> AppResult<Vec<Listed>> {
        let now = std::time::SystemTime::now();
        self.store
            .list(Some(&Path::from(prefix)))
            .map_ok(|meta| Listed {
                key: meta.location.to_string(),
                age_secs: now
                    .duration_since(meta.last_modified.into())
                    .map_or(0, |d| d.as_secs() as i64),
            })
            .try_collect()
            .await
            .map_err(storage_error)
    }

    /// Whether the store answers (for readiness).
    pub async fn ping(&self) -> AppResult<()> {
        self.store
            .list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(storage_error)
    }
}
