//! The item routes: read, browse, create, update, delete, restore, versions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::RestError;
use super::exec::run;
use super::{input, legacy};
use crate::auth::Identity;
use crate::error::ErrorCode;
use crate::state::AppState;

type Answer = Result<Response, RestError>;

fn target(company_id: &str, id: &str) -> Value {
    json!({ "companyId": company_id, "id": id })
}

/// `GET item` (the Shared Drive) and `GET item/:id`.
pub async fn get_root(
    state: State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
) -> Answer {
    get(state, Path((company_id, "root".to_owned())), caller).await
}

pub async fn get(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
) -> Answer {
    let data = run(
        &state,
        &caller,
        &state.rest.get_item,
        target(&company_id, &id),
    )
    .await?;
    Ok(Json(Value::Object(legacy::details(&data["item"]))).into_response())
}

/// `POST browse/:id`: a page of children, with `nextPage` to send back as `paginate`.
pub async fn browse(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Answer {
    let page = input::browse(&input::object(&body)?)?;
    let mut variables = target(&company_id, &id);
    variables["first"] = json!(page.limit);
    variables["sort"] = page.sort;
    // Connection cursors are offsets: the row before `page` is the one to continue after.
    if page.offset > 0 {
        variables["after"] = json!((page.offset - 1).to_string());
    }
    let data = run(&state, &caller, &state.rest.browse, variables).await?;
    let item = &data["item"];
    let mut out = legacy::details(item);
    let next = item["children"]["pageInfo"]["hasNextPage"]
        .as_bool()
        .unwrap_or(false);
    let returned = out["children"].as_array().map_or(0, Vec::len) as u64;
    out.insert(
        "nextPage".into(),
        if next {
            json!({ "page": page.offset + returned, "limit": page.limit })
        } else {
            Value::Null
        },
    );
    if id == "shared_with_me" {
        out.remove("item");
        out.remove("versions");
        out.insert("path".into(), json!([]));
    }
    Ok(Json(Value::Object(out)).into_response())
}

/// The fields of a create request, from JSON or from multipart form fields.
async fn create_fields(
    state: &AppState,
    request: Request,
) -> Result<(Map<String, Value>, Option<String>), RestError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !is_multipart {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|err| RestError::bad_input(format!("unreadable body: {err}")))?;
        return Ok((input::object(&body)?, None));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|err| RestError::bad_input(format!("bad multipart body: {err}")))?;
    let mut fields = Map::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|err| RestError::bad_input(format!("bad multipart body: {err}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "item" | "version" => {
                let text = field.text().await.map_err(|err| {
                    RestError::bad_input(format!("bad multipart field {name}: {err}"))
                })?;
                let value = input::object(text.as_bytes()).map_err(|_| {
                    RestError::bad_input(format!("the {name} field must be a JSON object"))
                })?;
                fields.insert(name, Value::Object(value));
            }
            "file" => {
                return Err(RestError::new(
                    ErrorCode::BadUserInput,
                    "file parts are not stored yet: upload through the files service, then create the item with version.file_metadata.external_id",
                )
                .not_implemented());
            }
            _ => {}
        }
    }
    Ok((fields, None))
}

/// `POST item`: JSON `{item, version}` or multipart with the same fields.
pub async fn create(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    caller: Identity,
    request: Request,
) -> Answer {
    let (body, file_name) = create_fields(&state, request).await?;
    let input = input::create_item(&company_id, &body, file_name.as_deref())?;
    let data = run(
        &state,
        &caller,
        &state.rest.create_item,
        json!({ "input": input }),
    )
    .await?;
    Ok(Json(legacy::item(&data["createItem"]["item"])).into_response())
}

/// `POST item/:id`: update (and trash or restore when `is_in_trash` says so).
pub async fn update(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Answer {
    let update = input::update_item(&company_id, &id, &input::object(&body)?)?;
    let variables = json!({
        "input": update.input,
        "target": target(&company_id, &id),
        "trash": update.in_trash == Some(true),
        "restore": update.in_trash == Some(false),
    });
    let data = run(&state, &caller, &state.rest.update_item, variables).await?;
    let item = ["restoreItem", "trashItem", "updateItem"]
        .iter()
        .map(|field| &data[field]["item"])
        .find(|item| !item.is_null())
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Json(legacy::item(&item)).into_response())
}

/// `DELETE item/:id`: to the trash, or for good when already there. 200, empty.
pub async fn delete(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
) -> Answer {
    let item = target(&company_id, &id);
    let state_data = run(&state, &caller, &state.rest.item_state, item.clone()).await?;
    let operation = if state_data["item"]["inTrash"].as_bool().unwrap_or(false) {
        &state.rest.delete_item
    } else {
        &state.rest.trash_item
    };
    run(&state, &caller, operation, json!({ "target": item })).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST item/:id/restore`. 200, empty.
pub async fn restore(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
) -> Answer {
    run(
        &state,
        &caller,
        &state.rest.restore_item,
        json!({ "target": target(&company_id, &id) }),
    )
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST item/:id/version`: the created version.
pub async fn create_version(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    caller: Identity,
    body: Bytes,
) -> Answer {
    let version = input::version(&input::object(&body)?, "")?;
    let variables =
        json!({ "input": { "companyId": company_id, "itemId": id, "version": version } });
    let data = run(&state, &caller, &state.rest.create_version, variables).await?;
    Ok(Json(legacy::version(&data["createVersion"]["version"])).into_response())
}
