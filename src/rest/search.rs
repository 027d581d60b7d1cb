//! `POST search`: the reference's search body run as GraphQL `search`, answered as its
//! `drive_files_dto` list (`entities`, `nextPage`) in the default or `shared_with_me` view.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::answers;
use super::error::RestError;
use super::exec::run;
use super::input;
use super::legacy::{DriveFile, SearchNextPage, SearchPage, SharedWithMeEntity};
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
        .map(|node| {
            let entity = if search.shared_with_me_view {
                serde_json::to_value(SharedWithMeEntity::from(node))
            } else {
                serde_json::to_value(DriveFile::from(node))
            };
            kept(entity.unwrap_or_default(), &search.fields)
        })
        .collect();
    let page_token = found
        .page_info
        .end_cursor
        .filter(|_| found.page_info.has_next_page);
    Ok(Json(SearchPage {
        kind: "drive_files_dto",
        entities,
        next_page: SearchNextPage {
            page_token,
            limit_str: search.limit.to_string(),
            reversed: false,
        },
    })
    .into_response())
}

/// The entity's fields, only `fields` when some are named.
fn kept(entity: Value, fields: &[String]) -> BTreeMap<String, Value> {
    match entity {
        Value::Object(map) => map
            .into_iter()
            .filter(|(field, _)| fields.is_empty() || fields.contains(field))
            .collect(),
        _ => BTreeMap::new(),
    }
}
