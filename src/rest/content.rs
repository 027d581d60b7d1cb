//! Answers with file bytes: streamed, with `Content-Length`, `ETag`, `Range` (206) and
//! `If-None-Match` (304), and an RFC 6266 `Content-Disposition`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::RestError;
use crate::service::Service;
use crate::service::content::Content;

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266/5987).
pub fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`; `Err` when it cannot be
/// satisfied; `Ok(None)` for no (or a multi-part) range, answered in full.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(raw) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            size.saturating_sub(n)..size
        }
        (start, "") => start.parse::<u64>().map_err(|_| ())?..size,
        (start, end) => {
            let start: u64 = start.parse().map_err(|_| ())?;
            let end: u64 = end.parse().map_err(|_| ())?;
            start..end.saturating_add(1).min(size)
        }
    };
    if range.start >= range.end || range.start >= size {
        return Err(());
    }
    Ok(Some(range))
}

/// Streams `content` as the answer to a download request with `headers`.
pub async fn respond(
    service: &Service,
    content: &Content,
    headers: &HeaderMap,
) -> Result<Response, RestError> {
    let etag = format!("\"{}\"", content.sha256);
    let size = content.size.max(0) as u64;
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match requested_range(headers, size) {
            Err(()) => {
                let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return Ok(response);
            }
            Ok(range) => {
                let body = service.read_content(content, range.clone()).await?;
                let mut response = Body::from_stream(body).into_response();
                let length = range.as_ref().map_or(size, |r| r.end - r.start);
                if let Some(range) = range {
                    *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                    let value = format!("bytes {}-{}/{size}", range.start, range.end - 1);
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        response.headers_mut().insert(header::CONTENT_RANGE, value);
                    }
                }
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                let mime = HeaderValue::from_str(&content.mime)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                response.headers_mut().insert(header::CONTENT_TYPE, mime);
                if let Ok(value) = HeaderValue::from_str(&disposition(&content.name)) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_DISPOSITION, value);
                }
                response
            }
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Stored types come from clients: never let a browser sniff them into something runnable.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// Streams a zip built as it is read.
pub async fn zip_response(
    service: &Service,
    entries: Vec<crate::service::archive::ZipEntry>,
    name: &str,
) -> Result<Response, RestError> {
    let body = Body::from_stream(service.zip_stream(entries).await?);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
