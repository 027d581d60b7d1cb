//! The tab routes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::error::RestError;
use super::exec::run;
use super::{input, legacy};
use crate::auth::Identity;
use crate::state::AppState;

/// `GET tabs/:tab_id`: the tab, or `null`.
pub async fn get(
    State(state): State<AppState>,
    Path((company_id, tab_id)): Path<(String, String)>,
    caller: Identity,
) -> Result<Json<Value>, RestError> {
    let data = run(
        &state,
        &caller,
        &state.rest.get_tab,
        json!({ "companyId": company_id, "tabId": tab_id }),
    )
    .await?;
    Ok(Json(legacy::tab(&data["tab"])))
}

/// `POST tabs/:tab_id`: attach the tab; needs manage on its item.
pub async fn set(
    State(state): State<AppState>,
    Path((company_id, tab_id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let input = input::set_tab(&company_id, &tab_id, &input::object(&body)?)?;
    let data = run(
        &state,
        &caller,
        &state.rest.set_tab,
        json!({ "input": input }),
    )
    .await?;
    Ok(Json(legacy::tab(&data["setTab"]["tab"])))
}
