//! HTTP preconditions: `ETag` on what `GET item/:id` answers, `If-None-Match` answered 304
//! without building the answer, and `If-Match` carried to the write as its expected revision.

use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::RestError;

/// The revision a write expects, from `If-Match` (one ETag, or `*`: any, which every stored
/// item matches). It travels as the operation's `ifRevision`.
pub fn if_match(headers: &HeaderMap) -> Result<Value, RestError> {
    let Some(raw) = headers.get(IF_MATCH) else {
        return Ok(Value::Null);
    };
    let raw = raw
        .to_str()
        .map_err(|_| RestError::bad_input("If-Match must be an ETag"))?
        .trim();
    if raw == "*" {
        return Ok(Value::Null);
    }
    if raw.contains(',') {
        return Err(RestError::bad_input(
            "If-Match takes one ETag: the one GET item/:id answered",
        ));
    }
    Ok(Value::String(raw.to_owned()))
}

/// Whether `If-None-Match` names `etag` (or is `*`): the client's copy is current.
pub fn client_has(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        // If-None-Match compares weakly: `W/"…"` names the same answer.
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// Whether a request asks for an answer only if it changed.
pub fn is_conditional(headers: &HeaderMap) -> bool {
    headers.contains_key(IF_NONE_MATCH)
}

/// 304 Not Modified, with the ETag the client holds.
pub fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// Puts the item's ETag (the `etag` field an operation read) on an answer about it.
pub fn tagged(mut response: Response, etag: Option<&str>) -> Response {
    if let Some(value) = etag.and_then(|tag| HeaderValue::from_str(tag).ok()) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}
