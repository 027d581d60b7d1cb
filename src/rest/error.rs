//! REST errors: the reference's `{statusCode, error, message}` body, plus our `code`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{AppError, ErrorCode};

/// An error answered by the shim.
#[derive(Debug)]
pub struct RestError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for `Retry-After`, on rate limits.
    pub retry_after: Option<u64>,
}

impl RestError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }
}

impl From<AppError> for RestError {
    fn from(err: AppError) -> Self {
        err.log_if_internal();
        Self::from(&err)
    }
}

/// An error already logged where it arose (a shared one: the caller's credentials).
impl From<&AppError> for RestError {
    fn from(err: &AppError) -> Self {
        Self {
            retry_after: err.retry_after(),
            ..Self::new(err.code(), err.public_message())
        }
    }
}

impl From<std::sync::Arc<AppError>> for RestError {
    fn from(err: std::sync::Arc<AppError>) -> Self {
        Self::from(err.as_ref())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
            "code": self.code.as_str(),
        });
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
