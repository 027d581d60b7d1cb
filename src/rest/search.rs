//! `POST search`: the reference's search body run as GraphQL `search`, answered as its
//! `drive_files_dto` list (`entities`, `nextPage`) in the default or `shared_with_me` view.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::answers;
use super::error::RestError;
use super::exec::run;
use super::input;
use super::legacy::{DriveFile, SearchPage, SharedWithMeEntity};
use crate::auth::Identity;
use crate::state::AppState;

pub async fn search(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    body: Bytes,
) -> Result<Response, RestError> {
    let search = input::search(&input::object(&body)?)?;
    let mut variables = search.variables;
    variables["companyId"] = json!(company_id);
    let data: answers::Search = run(&state, &caller, &state.rest.search, variables).await?;
    let found = data.search;
    let entities = found
        .nodes
        .into_iter()
        .map(|node| match search.shared_with_me_view {
            true => kept(SharedWithMeEntity::from(node), &search.fields),
            false => kept(DriveFile::from(node), &search.fields),
        })
        .collect();
    let page_token = found
        .page_info
        .end_cursor
        .filter(|_| found.page_info.has_next_page);
    Ok(Json(SearchPage::new(entities, page_token, search.limit)).into_response())
}

/// The entity's fields, only `fields` when some are named.
fn kept(entity: impl Serialize, fields: &[String]) -> BTreeMap<String, Value> {
    // The legacy types serialise to objects with string keys: this never comes out empty.
    let Ok(Value::Object(map)) = serde_json::to_value(entity) else {
        return BTreeMap::new();
    };
    map.into_iter()
        .filter(|(field, _)| fields.is_empty() || fields.contains(field))
        .collect()
}
