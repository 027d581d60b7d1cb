//! Who is calling: token verification, the `Viewer` it yields, and the tokens Quire mints.

mod keys;
mod viewer;

pub use keys::{AccessClaims, Keys, TokenKind};
pub use viewer::{Role, Viewer};

use axum::http::HeaderMap;

use crate::error::AppError;

/// Reads the caller's identity from an `Authorization: Bearer` header: `Ok(None)` when there
/// is none, an error when there is one that does not verify.
pub fn viewer_from_headers(keys: &Keys, headers: &HeaderMap) -> Result<Option<Viewer>, AppError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthenticated("the Authorization header is not valid text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            AppError::unauthenticated("the Authorization header must be 'Bearer <token>'")
        })?;
    keys.verify_access(token.trim()).map(Some)
}
