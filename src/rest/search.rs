//! `POST search`: the reference's search body run as GraphQL `search`, answered as its
//! `drive_files_dto` list (`entities`, `nextPage`) in the default or `shared_with_me` view.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::RestError;
use super::exec::run;
use super::{input, legacy};
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
    let data = run(&state, &caller, &state.rest.search, variables).await?;
    let found = &data["search"];
    let entities: Vec<Value> = found["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| {
            let entity = if search.shared_with_me_view {
                legacy::shared_with_me_entity(node)
            } else {
                legacy::item(node)
            };
            kept(entity, &search.fields)
        })
        .collect();
    let next = match found["pageInfo"]["hasNextPage"].as_bool() {
        Some(true) => found["pageInfo"]["endCursor"].clone(),
        _ => Value::Null,
    };
    Ok(Json(json!({
        "type": "drive_files_dto",
        "entities": entities,
        "nextPage": { "page_token": next, "limitStr": search.limit.to_string(), "reversed": false },
    }))
    .into_response())
}

/// The entity with only `fields` (all of it when none are named).
fn kept(entity: Value, fields: &[String]) -> Value {
    match entity {
        Value::Object(map) if !fields.is_empty() => Value::Object(
            map.into_iter()
                .filter(|(field, _)| fields.contains(field))
                .collect(),
        ),
        other => other,
    }
}
