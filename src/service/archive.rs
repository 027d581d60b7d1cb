//! Zips of folders and item lists: every entry access-checked, trash skipped, empty folders
//! kept, names made unique, streamed as it is built (ZIP64 when needed; only text-like
//! content is compressed). Errors about what was asked come before the first byte; a
//! storage failure mid-way aborts the stream so a cut zip is never mistaken for a whole one.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};

use bytes::Bytes;
use entity::{blob, item, version};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::io::ReaderStream;
use uuid::Uuid;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::rows::{self, Row};
use super::{Service, access, subtree};
use crate::auth::Viewer;
use crate::domain::{CompanyId, ItemId, Level, names};
use crate::error::{AppError, AppResult};

/// The block size of the copy into the zip and of its output.
const COPY_BLOCK: usize = 1 << 20;

/// How long a zip waits for its client to read on before it is cut, and the window in which
/// a client the zip spent half its time waiting for must take `ZIP_MIN_BYTES_PER_WINDOW` (a
/// reader that takes a byte now and then would hold its turn for ever; a zip slow to read
/// its own files is not the client's fault).
const ZIP_STALL: std::time::Duration = std::time::Duration::from_secs(60);
const ZIP_MIN_BYTES_PER_WINDOW: u64 = 1 << 20;

/// How long a zip waits for its turn before it is told to come back (429).
const ZIP_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The zip's side of the pipe to its response, on the zip's blocking thread: a write that
/// waits more than `ZIP_STALL` for the client fails, and so does one after a window in
/// which the client kept it waiting and took less than `ZIP_MIN_BYTES_PER_WINDOW`.
struct Stalling {
    inner: tokio::io::DuplexStream,
    runtime: tokio::runtime::Handle,
    window: std::time::Instant,
    taken_in_window: u64,
    waited_in_window: std::time::Duration,
}

impl Stalling {
    /// Runs one write of the pipe, failing if the client has not made room within `ZIP_STALL`.
    fn timed<T>(
        runtime: &tokio::runtime::Handle,
        io: impl std::future::Future<Output = std::io::Result<T>>,
    ) -> std::io::Result<T> {
        runtime.block_on(async {
            tokio::time::timeout(ZIP_STALL, io).await.map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client stopped reading the zip",
                )
            })?
        })
    }
}

impl Write for Stalling {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use tokio::io::AsyncWriteExt;
        if self.window.elapsed() >= ZIP_STALL {
            if self.waited_in_window >= ZIP_STALL / 2
                && self.taken_in_window < ZIP_MIN_BYTES_PER_WINDOW
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client reads the zip too slowly",
                ));
            }
            self.window = std::time::Instant::now();
            self.taken_in_window = 0;
            self.waited_in_window = std::time::Duration::ZERO;
        }
        let started = std::time::Instant::now();
        let written = Self::timed(&self.runtime, self.inner.write(buf))?;
        self.waited_in_window += started.elapsed();
        self.taken_in_window += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        Self::timed(&self.runtime, self.inner.flush())
    }
}

/// One entry of a zip.
#[derive(Clone, Debug)]
pub struct ZipEntry {
    /// `Folder/sub/file.txt`; folders end with `/`.
    pub path: String,
    /// The blob store key and size of a file's content; `None` for folders.
    content: Option<(String, i64, String)>,
}

/// Media types worth compressing (text and the like); everything else — images, video,
/// archives, office files, unknown binaries — is stored as is: it rarely shrinks, and
/// compressing it would make zips many times slower than copying.
fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
        || matches!(
            mime,
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-yaml"
                | "application/yaml"
                | "application/sql"
                | "application/rtf"
                | "application/x-tar"
                | "application/msword"
                | "application/vnd.ms-excel"
                | "application/vnd.ms-powerpoint"
        )
}

/// A name as a zip entry may carry it: `\` and `:` are path separators to some extractors
/// (`..\..\evil.bat` would climb out of the target), so they become `_`.
fn entry_name(name: &str) -> String {
    name.replace(['\\', ':'], "_")
}

/// The entry names given so far, and for each wanted name the next candidate to try.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
    next: HashMap<String, u32>,
}

/// Makes `path` unique among the names given, the way names collide (`a.txt` → `a-2.txt`);
/// each wanted name resumes where it stopped, so many alike cost no more than a few.
fn unique(given: &mut Names, parent: &str, name: &str, is_dir: bool) -> String {
    let name = &entry_name(name);
    let wanted = format!("{parent}{name}{}", if is_dir { "/" } else { "" });
    let n = given.next.entry(wanted).or_insert(1);
    let used = &mut given.used;
    loop {
        let candidate = format!(
            "{parent}{}{}",
            names::candidate(name, *n),
            if is_dir { "/" } else { "" }
        );
        *n += 1;
        if used.insert(candidate.clone()) {
            return candidate;
        }
    }
}

impl Service {
    /// The entries of a zip of `roots`, checked before anything is sent.
    pub async fn zip_entries(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        roots: &[ItemId],
    ) -> AppResult<Vec<ZipEntry>> {
        let db = self.db();
        let mut rows: Vec<item::Model> = Vec::new();
        // Each file's content (its latest version's sha256 and mime), read with its row.
        let mut contents: HashMap<Uuid, (String, String)> = HashMap::new();
        let mut root_ids = Vec::with_capacity(roots.len());
        let ids: Vec<Uuid> = roots.iter().map(|root| root.0).collect();
        let too_many = || {
            AppError::bad_input(format!(
                "a zip holds at most {} entries (QUIRE_ZIP_MAX_ENTRIES); download fewer items at once",
                self.zip_max_entries
            ))
        };
        for (found, row) in access::readable_items(db, viewer, company, &ids).await? {
            if found.in_trash {
                return Err(AppError::not_found(format!(
                    "item {} (it is in the trash)",
                    row.id
                )));
            }
            root_ids.push(row.id);
            if let Some(version) = &found.latest_version
                && let Some(sha) = &version.sha256
            {
                contents.insert(row.id, (sha.clone(), version.mime.clone()));
            }
            if row.is_directory {
                // Never more rows in memory than the zip may hold (and one to tell).
                let room = self.zip_max_entries.saturating_sub(rows.len()) as u64;
                let below = rows::find()
                    .filter(subtree::whole(&row))
                    .filter(item::Column::Id.ne(row.id))
                    .limit(room + 1)
                    .into_model::<Row>()
                    .all(db)
                    .await?;
                for below in below {
                    if let Some(version::Model {
                        sha256: Some(sha),
                        mime,
                        ..
                    }) = below.latest
                    {
                        contents.insert(below.item.id, (sha, mime));
                    }
                    rows.push(below.item);
                }
            }
            rows.push(row);
            if rows.len() > self.zip_max_entries {
                return Err(too_many());
            }
        }
        // Every entry is scoped: two statements whatever their number.
        let bare = rows.iter().cloned().map(Row::bare).collect();
        let scoped = access::scope(db, viewer, company, bare).await?;
        let readable: HashMap<Uuid, &item::Model> = rows
            .iter()
            .zip(&scoped)
            .filter(|(row, item)| item.level >= Level::Read && !row.is_in_trash)
            .map(|(row, _)| (row.id, row))
            .collect();
        // The readable files' blobs, in one statement.
        let shas: Vec<String> = readable
            .keys()
            .filter_map(|id| contents.get(id).map(|(sha, _)| sha.clone()))
            .collect();
        let blobs: HashMap<String, blob::Model> = blob::Entity::find()
            .filter(blob::Column::CompanyId.eq(company.0))
            .filter(blob::Column::Sha256.is_in(shas))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.sha256.clone(), b))
            .collect();

        // Walk each root top-down; what sits under an unreadable or trashed folder is left out.
        let mut children: HashMap<String, Vec<&item::Model>> = HashMap::new();
        for row in readable.values() {
            children.entry(row.parent_id.clone()).or_default().push(row);
        }
        for siblings in children.values_mut() {
            siblings.sort_by(|a, b| {
                (!a.is_directory, &a.sort_name, a.id).cmp(&(!b.is_directory, &b.sort_name, b.id))
            });
        }
        let mut used = Names::default();
        let mut entries = Vec::new();
        let mut stack: Vec<(&item::Model, String)> = Vec::new();
        for id in root_ids.iter().rev() {
            if let Some(row) = readable.get(id) {
                stack.push((row, String::new()));
            }
        }
        while let Some((row, parent)) = stack.pop() {
            let path = unique(&mut used, &parent, &row.name, row.is_directory);
            let content = if row.is_directory {
                None
            } else {
                contents.get(&row.id).and_then(|(sha, mime)| {
                    blobs
                        .get(sha)
                        .map(|b| (b.key.clone(), b.size, mime.clone()))
                })
            };
            if row.is_directory {
                for child in children
                    .get(&row.id.to_string())
                    .into_iter()
                    .flatten()
                    .rev()
                {
                    stack.push((child, path.clone()));
                }
            }
            entries.push(ZipEntry { path, content });
        }
        Ok(entries)
    }

    /// Streams the zip of `entries`, built on a blocking thread as the client reads it. At most
    /// `QUIRE_ZIP_CONCURRENCY` zips are built at once (the others wait their turn, up to
    /// `ZIP_QUEUE_WAIT`, then 429), and one whose client stops reading for `ZIP_STALL`, or
    /// reads less than `ZIP_MIN_BYTES_PER_WINDOW` in one, is cut, so the blocking threads
    /// downloads and uploads need are never all taken by zips.
    pub async fn zip_stream(
        &self,
        entries: Vec<ZipEntry>,
    ) -> AppResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let busy = || AppError::TooManyRequests {
            message: format!(
                "{} zips are being built; retry in {} s",
                self.zip_concurrency,
                ZIP_QUEUE_WAIT.as_secs()
            ),
            retry_after: ZIP_QUEUE_WAIT.as_secs(),
        };
        let permit = tokio::time::timeout(ZIP_QUEUE_WAIT, self.zips.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(AppError::internal)?;
        let (reader, writer) = tokio::io::duplex(COPY_BLOCK);
        let blobs = self.blobs.clone();
        let runtime = tokio::runtime::Handle::current();
        let task = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let _permit = permit;
            let writer = Stalling {
                inner: writer,
                runtime: runtime.clone(),
                window: std::time::Instant::now(),
                taken_in_window: 0,
                waited_in_window: std::time::Duration::ZERO,
            };
            // Large blocks across the thread boundary: each crossing costs a wake-up.
            let out = std::io::BufWriter::with_capacity(COPY_BLOCK, writer);
            let mut zip = zip::ZipWriter::new_stream(out);
            let mut block = vec![0u8; COPY_BLOCK];
            for entry in entries {
                match entry.content {
                    None => {
                        zip.add_directory(
                            entry.path.trim_end_matches('/'),
                            SimpleFileOptions::default(),
                        )
                        .map_err(std::io::Error::other)?;
                    }
                    Some((key, size, mime)) => {
                        let options = if compressible(&mime) {
                            SimpleFileOptions::default()
                                .compression_method(CompressionMethod::Deflated)
                                .compression_level(Some(1))
                        } else {
                            SimpleFileOptions::default()
                                .compression_method(CompressionMethod::Stored)
                        };
                        let options = options.large_file(size >= u32::MAX as i64);
                        zip.start_file(entry.path.as_str(), options)
                            .map_err(std::io::Error::other)?;
                        let mut source = blobs.read_blocking(&key, &runtime)?;
                        loop {
                            let read = source.read(&mut block)?;
                            if read == 0 {
                                break;
                            }
                            zip.write_all(&block[..read])?;
                        }
                    }
                }
            }
            let mut inner = zip.finish().map_err(std::io::Error::other)?;
            inner.flush()?;
            Ok(())
        });
        let outcome = futures::stream::once(async move {
            match task.await {
                Ok(Ok(())) => None,
                Ok(Err(err)) => Some(Err(err)),
                Err(join) => Some(Err(std::io::Error::other(join.to_string()))),
            }
        })
        .filter_map(|outcome| async move { outcome });
        Ok(ReaderStream::with_capacity(reader, COPY_BLOCK)
            .chain(outcome)
            .map_err(|err| {
                tracing::warn!(error = %err, "zip stream aborted");
                err
            })
            .boxed())
    }
}
