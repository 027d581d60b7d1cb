//! Reads legacy request bodies into the GraphQL inputs: lenient where the documentation is
//! sloppy (`"true"`, `in_trash`, `file_id`), strict where it matters (types, enums, required
//! fields, each refusal naming the field). Server-owned fields are never read.

use serde_json::{Map, Value, json};

use super::error::RestError;

type Object = Map<String, Value>;

/// Parses a body that must be a JSON object.
pub fn object(body: &[u8]) -> Result<Object, RestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Object::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RestError::bad_input("the body must be a JSON object")),
        Err(err) => Err(RestError::bad_input(format!(
            "the body is not valid JSON: {err}"
        ))),
    }
}

/// The object under `field`, or an empty one when it is absent or null.
pub fn sub_object(map: &Object, field: &str) -> Result<Object, RestError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(Object::new()),
        Some(Value::Object(inner)) => Ok(inner.clone()),
        Some(_) => Err(RestError::bad_input(format!("{field} must be an object"))),
    }
}

fn string(map: &Object, field: &str, path: &str) -> Result<Option<String>, RestError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RestError::bad_input(format!(
            "{path}{field} must be a string"
        ))),
    }
}

fn boolean(map: &Object, field: &str, path: &str) -> Result<Option<bool>, RestError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(RestError::bad_input(format!(
            "{path}{field} must be a boolean"
        ))),
    }
}

fn size(map: &Object, field: &str, path: &str) -> Result<Option<i64>, RestError> {
    let invalid = || RestError::bad_input(format!("{path}{field} must be a non-negative integer"));
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(invalid),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

fn tags(map: &Object, path: &str) -> Result<Option<Vec<String>>, RestError> {
    match map.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| RestError::bad_input(format!("{path}tags must be an array of strings"))),
        Some(_) => Err(RestError::bad_input(format!(
            "{path}tags must be an array of strings"
        ))),
    }
}

/// A level as GraphQL spells it (`read` → `READ`), refusing anything else.
fn level(raw: &Value, path: &str) -> Result<String, RestError> {
    match raw.as_str() {
        Some(l @ ("none" | "read" | "write" | "manage")) => Ok(l.to_ascii_uppercase()),
        _ => Err(RestError::bad_input(format!(
            "{path} must be one of none, read, write, manage; got {raw}"
        ))),
    }
}

/// A version's metadata (`{provider, application_id, file_metadata: {name, mime,
/// external_id}}`, `file_id` as an alias of `external_id`) as a `VersionInput`. A `size` sent
/// is ignored: sizes come from the stored bytes.
pub fn version(map: &Object, path: &str) -> Result<Value, RestError> {
    let metadata = sub_object(map, "file_metadata")
        .map_err(|_| RestError::bad_input(format!("{path}file_metadata must be an object")))?;
    let meta_path = format!("{path}file_metadata.");
    let external_id = match string(&metadata, "external_id", &meta_path)? {
        Some(id) => Some(id),
        None => string(map, "file_id", path)?,
    };
    Ok(json!({
        "provider": string(map, "provider", path)?,
        "applicationId": string(map, "application_id", path)?,
        "fileName": string(&metadata, "name", &meta_path)?,
        "mime": string(&metadata, "mime", &meta_path)?,
        "externalId": external_id,
    }))
}

/// `POST item`: `{item, version}` as a `CreateItemInput`.
pub fn create_item(
    company_id: &str,
    body: &Object,
    file_name: Option<&str>,
) -> Result<Value, RestError> {
    let item = match body.get("item") {
        Some(Value::Object(item)) => item.clone(),
        _ => {
            return Err(RestError::bad_input(
                "item is required and must be an object",
            ));
        }
    };
    let is_directory = boolean(&item, "is_directory", "item.")?.unwrap_or(false);
    let name = match string(&item, "name", "item.")? {
        Some(name) => name,
        None => file_name
            .map(str::to_owned)
            .ok_or_else(|| RestError::bad_input("item.name is required"))?,
    };
    let version_body = sub_object(body, "version")?;
    let has_version = !is_directory && (!version_body.is_empty() || file_name.is_some());
    let version = if has_version {
        Some(version(&version_body, "version.")?)
    } else {
        None
    };
    Ok(json!({
        "companyId": company_id,
        "parentId": string(&item, "parent_id", "item.")?.unwrap_or_else(|| "root".to_owned()),
        "name": name,
        "isDirectory": is_directory,
        "description": string(&item, "description", "item.")?,
        "tags": tags(&item, "item.")?,
        "version": version,
    }))
}

/// `POST item/:id`: name, description, tags, parent_id, access_info, is_in_trash (or in_trash)
/// as one `UpdateItemInput`.
pub fn update_item(company_id: &str, id: &str, body: &Object) -> Result<Value, RestError> {
    let mut input = json!({ "companyId": company_id, "id": id });
    for (field, key) in [
        ("name", "name"),
        ("description", "description"),
        ("parent_id", "parentId"),
    ] {
        if let Some(value) = string(body, field, "")? {
            input[key] = Value::String(value);
        }
    }
    if let Some(tags) = tags(body, "")? {
        input["tags"] = json!(tags);
    }
    if let Some(access) = body.get("access_info").filter(|v| !v.is_null()) {
        let entities = access
            .get("entities")
            .and_then(Value::as_array)
            .ok_or_else(|| RestError::bad_input("access_info.entities must be an array"))?;
        let entities = entities
            .iter()
            .enumerate()
            .map(|(i, entity)| {
                let path = format!("access_info.entities[{i}]");
                let kind = match entity["type"].as_str() {
                    Some(t @ ("user" | "company" | "channel" | "folder")) => t.to_ascii_uppercase(),
                    _ => {
                        return Err(RestError::bad_input(format!(
                            "{path}.type must be one of user, company, channel, folder; got {}",
                            entity["type"]
                        )));
                    }
                };
                let id = entity["id"]
                    .as_str()
                    .ok_or_else(|| RestError::bad_input(format!("{path}.id must be a string")))?;
                Ok(json!({ "type": kind, "id": id, "level": level(&entity["level"], &format!("{path}.level"))? }))
            })
            .collect::<Result<Vec<_>, _>>()?;
        input["access"] = Value::Array(entities);
        if let Some(public) = access.get("public").filter(|v| !v.is_null()) {
            input["publicLink"] = public_link(public)?;
        }
    }
    let in_trash = match boolean(body, "is_in_trash", "")? {
        Some(flag) => Some(flag),
        None => boolean(body, "in_trash", "")?,
    };
    if let Some(in_trash) = in_trash {
        input["inTrash"] = json!(in_trash);
    }
    Ok(input)
}

/// `access_info.public`: `{level, password, expiration, token}` as a `PublicLinkInput`. An
/// omitted password keeps the current one, `""` clears it; a different token rotates the link.
fn public_link(public: &Value) -> Result<Value, RestError> {
    let public = public
        .as_object()
        .ok_or_else(|| RestError::bad_input("access_info.public must be an object"))?;
    let path = "access_info.public.";
    let level = public
        .get("level")
        .filter(|v| !v.is_null())
        .map(|raw| level(raw, "access_info.public.level"))
        .transpose()?;
    Ok(json!({
        "level": level,
        "password": string(public, "password", path)?,
        "expiration": size(public, "expiration", path)?,
        "token": string(public, "token", path)?,
    }))
}

/// `POST anonymous/token`: `{document_id, token, token_password}` as an `OpenPublicLinkInput`.
pub fn open_public_link(company_id: &str, body: &Object) -> Result<Value, RestError> {
    let required = |field: &str| {
        string(body, field, "")?.ok_or_else(|| RestError::bad_input(format!("{field} is required")))
    };
    Ok(json!({
        "companyId": company_id,
        "documentId": required("document_id")?,
        "token": required("token")?,
        "password": string(body, "token_password", "")?,
    }))
}

/// `POST tabs/:id`: `{channel_id, item_id, level}` (the URL's ids win over the body's).
pub fn set_tab(company_id: &str, tab_id: &str, body: &Object) -> Result<Value, RestError> {
    let required = |field: &str| {
        string(body, field, "")?.ok_or_else(|| RestError::bad_input(format!("{field} is required")))
    };
    let level = match body.get("level") {
        None | Some(Value::Null) => "READ".to_owned(),
        Some(raw) => match raw.as_str() {
            Some(l @ ("read" | "write")) => l.to_ascii_uppercase(),
            _ => {
                return Err(RestError::bad_input(format!(
                    "level must be read or write; got {raw}"
                )));
            }
        },
    };
    Ok(json!({
        "companyId": company_id,
        "tabId": tab_id,
        "channelId": required("channel_id")?,
        "itemId": required("item_id")?,
        "level": level,
    }))
}

/// `POST browse/:id`: `{sort: {by, order}, paginate: {page, limit}}`.
pub struct Browse {
    pub sort: Value,
    pub offset: u64,
    pub limit: u64,
}

pub fn browse(body: &Object) -> Result<Browse, RestError> {
    let sort = sub_object(body, "sort")?;
    let by = match string(&sort, "by", "sort.")?.as_deref() {
        None | Some("date") => "DATE",
        Some("name") => "NAME",
        Some("size") => "SIZE",
        Some(other) => {
            return Err(RestError::bad_input(format!(
                "sort.by must be name, date or size; got {other:?}"
            )));
        }
    };
    let order = match string(&sort, "order", "sort.")?.as_deref() {
        None | Some("desc") => "DESC",
        Some("asc") => "ASC",
        Some(other) => {
            return Err(RestError::bad_input(format!(
                "sort.order must be asc or desc; got {other:?}"
            )));
        }
    };
    let paginate = sub_object(body, "paginate")?;
    let offset = size(&paginate, "page", "paginate.")?.unwrap_or(0) as u64;
    let limit = size(&paginate, "limit", "paginate.")?
        .unwrap_or(100)
        .clamp(1, 1000) as u64;
    Ok(Browse {
        sort: json!({ "by": by, "order": order }),
        offset,
        limit,
    })
}

/// `POST search`, as GraphQL `search` arguments, and what the answer is shaped by.
pub struct Search {
    /// The `search` arguments (`query`, `filter`, `sort`, `first`, `after`).
    pub variables: Value,
    /// The `shared_with_me` view (else the default one).
    pub shared_with_me_view: bool,
    /// The fields each entity keeps (all when empty).
    pub fields: Vec<String>,
    pub limit: u64,
}

/// A millisecond instant sent as a number or a string of digits.
fn instant(map: &Object, field: &str) -> Result<Option<i64>, RestError> {
    let invalid = || RestError::bad_input(format!("{field} must be a number of milliseconds"));
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse::<i64>().map(Some).map_err(|_| invalid()),
        Some(_) => Err(invalid()),
    }
}

/// The most values a list filter of `POST search` takes (GraphQL's bound).
const MAX_FILTER_VALUES: usize = 100;

/// A string, or a list of at most `MAX_FILTER_VALUES` strings, as a list.
fn strings(map: &Object, field: &str) -> Result<Vec<String>, RestError> {
    let invalid = || RestError::bad_input(format!("{field} must be a string or a list of strings"));
    match map.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(values)) if values.len() > MAX_FILTER_VALUES => Err(
            RestError::bad_input(format!("{field} takes at most {MAX_FILTER_VALUES} values")),
        ),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// `{search, creator, added_gt/lt, last_modified_gt/lt, mime_type, sort: {<field>: asc|desc},
/// view, fields, pagination: {page_token, limitStr}}` (`company_id` is the URL's).
pub fn search(body: &Object) -> Result<Search, RestError> {
    let sort = sub_object(body, "sort")?;
    let sort = match sort.iter().collect::<Vec<_>>().as_slice() {
        [] => Value::Null,
        [(field, order)] => {
            let by = match field.as_str() {
                "name_keyword" | "name" => "NAME",
                "added" => "ADDED",
                "last_modified" => "LAST_MODIFIED",
                "size" => "SIZE",
                other => {
                    return Err(RestError::bad_input(format!(
                        "sort must be by name_keyword, name, added, last_modified or size; got {other:?}"
                    )));
                }
            };
            let order = match order.as_str() {
                Some("asc") => "ASC",
                Some("desc") => "DESC",
                _ => {
                    return Err(RestError::bad_input(format!(
                        "sort.{field} must be asc or desc; got {order}"
                    )));
                }
            };
            json!({ "by": by, "order": order })
        }
        _ => return Err(RestError::bad_input("sort orders by one field")),
    };
    let shared_with_me_view = match string(body, "view", "")?.as_deref() {
        None | Some("") | Some("default") => false,
        Some("shared_with_me") => true,
        Some(other) => {
            return Err(RestError::bad_input(format!(
                "view must be shared_with_me or absent; got {other:?}"
            )));
        }
    };
    let fields = strings(body, "fields")?;
    let words = string(body, "search", "")?;
    if words.as_ref().is_some_and(|words| words.len() > 1000) {
        return Err(RestError::bad_input("search is longer than 1000 bytes"));
    }
    let pagination = sub_object(body, "pagination")?;
    let limit = size(&pagination, "limitStr", "pagination.")?
        .unwrap_or(100)
        .clamp(1, 1000) as u64;
    let after = string(&pagination, "page_token", "pagination.")?.filter(|t| !t.is_empty());
    // The reference's bounds include their ends (`$gte`, `$lte`); GraphQL's exclude them.
    let from = |field| Ok::<_, RestError>(instant(body, field)?.map(|at| at.saturating_sub(1)));
    let until = |field| Ok::<_, RestError>(instant(body, field)?.map(|at| at.saturating_add(1)));
    let filter = json!({
        "creatorIds": strings(body, "creator")?,
        "mimeTypes": strings(body, "mime_type")?,
        "addedAfter": from("added_gt")?,
        "addedBefore": until("added_lt")?,
        "modifiedAfter": from("last_modified_gt")?,
        "modifiedBefore": until("last_modified_lt")?,
    });
    Ok(Search {
        variables: json!({
            "query": words,
            "filter": filter,
            "sort": sort,
            "first": limit,
            "after": after,
        }),
        shared_with_me_view,
        fields,
        limit,
    })
}
