//! Request bodies read within bounds, for both faces: JSON whole up to a cap; multipart forms
//! with a bounded number of parts, text fields read whole up to a small cap, file parts
//! streamed. Nothing here reads a byte more than its limit allows.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use http_body_util::BodyExt;

use crate::config::Limits;
use crate::error::{AppError, AppResult};

/// Whether the request carries a `multipart/form-data` body.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn too_large(what: &str, limit: u64) -> AppError {
    AppError::PayloadTooLarge(format!("{what} is larger than the {limit} bytes allowed"))
}

/// The whole body, refused (413) past `limit` bytes, a declared length included.
pub async fn read_whole(headers: &HeaderMap, body: Body, limit: u64) -> AppResult<Bytes> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large("the body", limit));
    }
    let limited = http_body_util::Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            Err(too_large("the body", limit))
        }
        Err(err) => Err(AppError::bad_input(format!("unreadable body: {err}"))),
    }
}

/// How much of a refused upload is read before answering, and for how long at most, so that
/// clients that send the whole body before reading the answer (Node's fetch,
/// apollo-upload-client) see the refusal instead of a reset connection. The answer then
/// closes the connection: what remains is never read.
const DRAINED: u64 = 1 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and forgets what `DRAINED` allows of a refused body.
pub async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while read < DRAINED {
            match stream.next().await {
                Some(Ok(chunk)) => read += chunk.len() as u64,
                _ => break,
            }
        }
    })
    .await;
}

/// Marks a refusal of a body that was not read to its end: the connection closes after it.
pub fn closing(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

/// A multipart body, read part by part within the limits.
pub struct Form {
    parts: multer::Multipart<'static>,
    backlog: Arc<Backlog>,
    seen: usize,
    max_parts: usize,
    field_limit: u64,
}

/// One part of a form.
pub struct Part {
    field: multer::Field<'static>,
    backlog: Arc<Backlog>,
    field_limit: u64,
}

/// What the parser holds: bytes read from the body and not yet handed out as a part's
/// content, besides the chunk it read last. A preamble or part headers that never end would
/// otherwise be kept, and searched again for a boundary, for every chunk that arrives.
struct Backlog {
    read: AtomicU64,
    handed_out: AtomicU64,
    limit: u64,
    overflowed: std::sync::atomic::AtomicBool,
}

impl Backlog {
    /// Whether the parser, asking for another chunk, holds more than `limit` besides `last`.
    fn exceeded(&self, last: u64) -> bool {
        let read = self.read.load(Ordering::Relaxed).saturating_sub(last);
        let exceeded = read.saturating_sub(self.handed_out.load(Ordering::Relaxed)) > self.limit;
        if exceeded {
            self.overflowed.store(true, Ordering::Relaxed);
        }
        exceeded
    }

    /// The error to answer for a parser failure: a 413 when it failed on the backlog.
    fn error(&self, err: multer::Error) -> AppError {
        match self.overflowed.load(Ordering::Relaxed) {
            true => too_large("a multipart preamble or part header", self.limit),
            false => form_error(err),
        }
    }
}

fn form_error(err: multer::Error) -> AppError {
    match err {
        multer::Error::FieldSizeExceeded { limit, field_name } => too_large(
            &format!("the part {}", field_name.unwrap_or_default()),
            limit,
        ),
        multer::Error::StreamSizeExceeded { limit } => too_large("the body", limit),
        other => AppError::bad_input(format!("bad multipart body: {other}")),
    }
}

impl Form {
    /// Opens the multipart body of a request: at most `max_form_parts` parts, files of at most
    /// `max_upload_bytes`, the whole body within what those allow.
    pub fn open(headers: &HeaderMap, body: Body, limits: &Limits) -> AppResult<Self> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(form_error)?;
        let texts =
            limits.max_json_bytes + limits.max_form_field_bytes * limits.max_form_parts as u64;
        let size = multer::SizeLimit::new()
            .per_field(limits.max_upload_bytes.max(limits.max_json_bytes))
            .whole_stream(limits.max_upload_bytes.saturating_add(texts));
        let backlog = Arc::new(Backlog {
            read: AtomicU64::new(0),
            handed_out: AtomicU64::new(0),
            limit: limits.max_form_field_bytes + BACKLOG_SLACK,
            overflowed: false.into(),
        });
        let stream = OneChunkAhead {
            inner: body.into_data_stream(),
            backlog: backlog.clone(),
            handed_out: false,
            last: 0,
        };
        Ok(Self {
            parts: multer::Multipart::with_constraints(
                stream,
                boundary,
                multer::Constraints::new().size_limit(size),
            ),
            backlog,
            seen: 0,
            max_parts: limits.max_form_parts,
            field_limit: limits.max_form_field_bytes,
        })
    }

    /// Reads and forgets what `DRAINED` allows of the rest of a refused form.
    pub async fn drain(mut self) {
        let start = self.backlog.read.load(Ordering::Relaxed);
        let _ = tokio::time::timeout(DRAIN_TIME, async {
            while let Ok(Some(mut field)) = self.parts.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {
                    if self.backlog.read.load(Ordering::Relaxed) - start >= DRAINED {
                        return;
                    }
                }
            }
        })
        .await;
    }

    /// The next part, or `None` at the end; past `max_form_parts` parts, 400.
    pub async fn next(&mut self) -> AppResult<Option<Part>> {
        let backlog = &self.backlog;
        let Some(field) = self
            .parts
            .next_field()
            .await
            .map_err(|err| backlog.error(err))?
        else {
            return Ok(None);
        };
        self.seen += 1;
        if self.seen > self.max_parts {
            return Err(AppError::bad_input(format!(
                "a multipart body may have at most {} parts",
                self.max_parts
            )));
        }
        Ok(Some(Part {
            field,
            backlog: self.backlog.clone(),
            field_limit: self.field_limit,
        }))
    }
}

impl Part {
    /// The part's name (`item`, `file`, `operations`, …).
    pub fn name(&self) -> &str {
        self.field.name().unwrap_or_default()
    }

    pub fn file_name(&self) -> Option<&str> {
        self.field.file_name()
    }

    pub fn content_type(&self) -> Option<String> {
        self.field.content_type().map(ToString::to_string)
    }

    /// The part's bytes, whole, up to the form-field cap (413 past it).
    pub async fn bytes(self) -> AppResult<Bytes> {
        let limit = self.field_limit;
        self.bytes_within(limit).await
    }

    /// The part's bytes, whole, up to `limit` (413 past it).
    pub async fn bytes_within(self, limit: u64) -> AppResult<Bytes> {
        let name = self.name().to_owned();
        let mut out = BytesMut::new();
        let mut stream = self.stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(too_large(&format!("the part {name}"), limit));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Reads the part to its end and forgets it (within the form-field cap).
    pub async fn skip(self) -> AppResult<()> {
        self.bytes().await.map(drop)
    }

    /// The part's bytes as they arrive (a file: bounded by the upload limit).
    pub fn stream(self) -> impl Stream<Item = AppResult<Bytes>> + Send + 'static {
        let backlog = self.backlog;
        self.field.map(move |chunk| match chunk {
            Ok(chunk) => {
                let len = chunk.len() as u64;
                backlog.handed_out.fetch_add(len, Ordering::Relaxed);
                Ok(chunk)
            }
            Err(err) => Err(backlog.error(err)),
        })
    }
}

/// What the parser may hold beyond a text field's cap: room for a chunk as a connection
/// delivers it, and for part headers.
const BACKLOG_SLACK: u64 = 1 << 20;

/// A body that hands out one chunk per wake-up, and fails once the parser holds more than
/// its backlog allows. multer reads whatever is ready into its own buffer; over a fast
/// connection that is the whole body, read before the part it is parsing was checked and
/// held in memory. Paced, it stays one chunk ahead of what was consumed.
struct OneChunkAhead<S> {
    inner: S,
    backlog: Arc<Backlog>,
    handed_out: bool,
    /// The size of the chunk handed out last.
    last: u64,
}

impl<S: Stream<Item = Result<Bytes, axum::Error>> + Unpin> Stream for OneChunkAhead<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        if std::mem::take(&mut self.handed_out) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.backlog.exceeded(self.last) {
            return Poll::Ready(Some(Err(axum::Error::new("the multipart backlog is full"))));
        }
        let next = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            self.last = chunk.len() as u64;
            self.backlog.read.fetch_add(self.last, Ordering::Relaxed);
        }
        self.handed_out = matches!(next, Poll::Ready(Some(_)));
        next
    }
}
