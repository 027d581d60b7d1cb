//! `POST anonymous/token`: the public-link flow of the reference's current clients.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::error::RestError;
use super::exec::run;
use super::input;
use crate::auth::{Identity, unix_now};
use crate::state::AppState;

/// Answers `{access_token: {time, expiration, refresh_expiration, value, refresh, type}}`;
/// no credentials needed, the link's token (and password) are.
pub async fn anonymous_token(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let input = input::open_public_link(&company_id, &input::object(&body)?)?;
    let data = run(
        &state,
        &caller,
        &state.rest.open_public_link,
        json!({ "input": input }),
    )
    .await?;
    let opened = &data["openPublicLink"];
    let expiration = opened["expiration"].as_i64().unwrap_or_default() / 1000;
    Ok(Json(json!({
        "access_token": {
            "time": unix_now(),
            "expiration": expiration,
            "refresh_expiration": expiration,
            "value": opened["accessToken"],
            "refresh": "",
            "type": "Bearer",
        }
    })))
}
