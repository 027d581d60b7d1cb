//! Request bodies read within bounds, for both faces: JSON whole up to a cap; multipart forms
//! with a bounded number of parts, text fields read whole up to a small cap, file parts
//! streamed. Nothing here reads a byte more than its limit allows.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, TryStreamExt};
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

/// Reads and forgets up to `limit` bytes of a refused body, for at most `time`, so that a
/// client still sending sees the answer instead of a reset connection; the answer then
/// closes the connection (what remains is never read).
pub async fn drain(body: Body, limit: u64, time: std::time::Duration) {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    let _ = tokio::time::timeout(time, async {
        while read < limit {
            match stream.next().await {
                Some(Ok(chunk)) => read += chunk.len() as u64,
                _ => break,
            }
        }
    })
    .await;
}

/// A multipart body, read part by part within the limits.
pub struct Form {
    parts: multer::Multipart<'static>,
    seen: usize,
    max_parts: usize,
    field_limit: u64,
}

/// One part of a form.
pub struct Part {
    field: multer::Field<'static>,
    field_limit: u64,
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
        let stream = OneChunkAhead::new(body.into_data_stream());
        Ok(Self {
            parts: multer::Multipart::with_constraints(
                stream,
                boundary,
                multer::Constraints::new().size_limit(size),
            ),
            seen: 0,
            max_parts: limits.max_form_parts,
            field_limit: limits.max_form_field_bytes,
        })
    }

    /// The next part, or `None` at the end; past `max_form_parts` parts, 400.
    pub async fn next(&mut self) -> AppResult<Option<Part>> {
        let Some(field) = self.parts.next_field().await.map_err(form_error)? else {
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
        self.field.map_err(form_error)
    }
}

/// A body that hands out one chunk per wake-up. multer reads whatever is ready into its own
/// buffer; over a fast connection that is the whole body, read before the part it is parsing
/// was checked and held in memory. Paced, it stays one chunk ahead of what was consumed.
struct OneChunkAhead<S> {
    inner: S,
    handed_out: bool,
}

impl<S> OneChunkAhead<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            handed_out: false,
        }
    }
}

impl<S: Stream + Unpin> Stream for OneChunkAhead<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        if std::mem::take(&mut self.handed_out) {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let next = self.inner.poll_next_unpin(cx);
        self.handed_out = matches!(next, std::task::Poll::Ready(Some(_)));
        next
    }
}
