//! The tab routes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::json;

use super::answers;
use super::error::RestError;
use super::exec::run;
use super::input;
use super::legacy::Tab;
use crate::auth::Identity;
use crate::state::AppState;

/// `GET tabs/:tab_id`: the tab, or `null`.
pub async fn get(
    State(state): State<AppState>,
    Path((company_id, tab_id)): Path<(String, String)>,
    caller: Identity,
) -> Result<Json<Option<Tab>>, RestError> {
    let data: answers::GetTab = run(
        &state,
        &caller,
        &state.rest.get_tab,
        json!({ "companyId": company_id, "tabId": tab_id }),
    )
    .await?;
    Ok(Json(data.tab.map(Tab::from)))
}

/// `POST tabs/:tab_id`: attach the tab; needs manage on its item.
pub async fn set(
    State(state): State<AppState>,
    Path((company_id, tab_id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Result<Json<Tab>, RestError> {
    let input = input::set_tab(&company_id, &tab_id, &input::object(&body)?)?;
    let data: answers::SetTab = run(
        &state,
        &caller,
        &state.rest.set_tab,
        json!({ "input": input }),
    )
    .await?;
    Ok(Json(data.set_tab.tab.into()))
}
