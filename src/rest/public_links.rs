//! `POST anonymous/token`: the public-link flow of the reference's current clients.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::json;

use super::answers;
use super::error::RestError;
use super::exec::run;
use super::input;
use super::legacy::AnonymousToken;
use crate::auth::{Identity, unix_now};
use crate::state::AppState;

/// Answers `{access_token: {time, expiration, refresh_expiration, value, refresh, type}}`;
/// no credentials needed, the link's token (and password) are.
pub async fn anonymous_token(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    body: Bytes,
) -> Result<Json<AnonymousToken>, RestError> {
    let input = input::open_public_link(&company_id, &input::object(&body)?)?;
    let data: answers::OpenPublicLink = run(
        &state,
        &caller,
        &state.rest.open_public_link,
        json!({ "input": input }),
    )
    .await?;
    let opened = data.open_public_link;
    Ok(Json(AnonymousToken::new(
        opened.access_token,
        unix_now(),
        opened.expiration / 1000,
    )))
}
