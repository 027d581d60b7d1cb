//! Builds the reference's JSON (DriveFile, FileVersion, DriveItemDetails) straight from the
//! GraphQL response values.

use serde_json::{Map, Value, json};

/// An item id as REST sends it: a special folder's GraphQL global id (`root/<company>`) loses
/// its company (`root`); a UUID stays.
fn rest_id(value: &Value) -> Value {
    match value.as_str() {
        Some(id) => Value::String(
            id.split_once('/')
                .map_or(id, |(special, _)| special)
                .to_owned(),
        ),
        None => value.clone(),
    }
}

fn lower(value: &Value) -> Value {
    value
        .as_str()
        .map_or(Value::Null, |s| Value::String(s.to_ascii_lowercase()))
}

/// A legacy `FileVersion` from a `DriveVersion` fragment.
pub fn version(v: &Value) -> Value {
    json!({
        "id": v["id"],
        "drive_item_id": v["itemId"],
        "provider": v["provider"],
        "file_id": v["externalId"],
        "file_metadata": {
            "source": v["provider"],
            "external_id": v["externalId"],
            "name": v["fileName"],
            "mime": v["mime"],
            "size": v["size"],
            "thumbnails": [],
        },
        "date_added": v["dateAdded"],
        "creator_id": v["creatorId"],
        "application_id": v["applicationId"],
        "realname": Value::Null,
        "file_size": v["size"],
        "filename": v["fileName"],
        "data": {},
    })
}

/// Whether a `DriveItem` value is one of the special folders (their global ids are
/// `<special>/<company>`; a stored item's is its UUID).
fn is_special(item: &Value) -> bool {
    item["id"].as_str().is_some_and(|id| id.contains('/'))
}

/// A legacy `DriveFile` from a `DriveItem` fragment; special folders are `{id, parent_id, name, size}`.
pub fn item(v: &Value) -> Value {
    if is_special(v) {
        return json!({ "id": rest_id(&v["id"]), "parent_id": Value::Null, "name": v["name"], "size": v["size"] });
    }
    let entities: Vec<Value> = v["accessInfo"]["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| json!({ "id": e["id"], "type": lower(&e["type"]), "level": lower(&e["level"]), "grantor": e["grantor"] }))
        .collect();
    let public = &v["accessInfo"]["public"];
    json!({
        "company_id": v["companyId"],
        "id": v["id"],
        "parent_id": rest_id(&v["parentId"]),
        "is_in_trash": v["isInTrash"],
        "in_trash": v["isInTrash"],
        "is_directory": v["isDirectory"],
        "name": v["name"],
        "extension": v["extension"],
        "description": v["description"],
        "tags": v["tags"],
        "added": v["added"],
        "last_modified": v["lastModified"],
        "access_info": {
            "entities": entities,
            "public": {
                "level": lower(&public["level"]),
                "password": "",
                "expiration": public["expiration"],
                "token": public["token"],
            },
        },
        "editing_session_key": Value::Null,
        "content_keywords": v["latestVersion"]["contentKeywords"].as_str().unwrap_or(""),
        "creator": v["creator"]["id"],
        "size": v["size"],
        "last_version_cache": if v["latestVersion"].is_null() { Value::Null } else { version(&v["latestVersion"]) },
        "scope": lower(&v["scope"]),
    })
}

/// A user as the reference's DTOs name them.
fn user(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    json!({ "id": v["id"], "first_name": v["name"], "last_name": "", "email": v["email"] })
}

/// A search result in the reference's `shared_with_me` DTO view.
pub fn shared_with_me_entity(v: &Value) -> Value {
    let full = item(v);
    let mut entity = Map::new();
    for field in [
        "id",
        "name",
        "parent_id",
        "is_directory",
        "extension",
        "added",
        "last_modified",
        "size",
        "last_version_cache",
    ] {
        entity.insert(field.into(), full[field].clone());
    }
    entity.insert("created_by".into(), user(&v["creator"]));
    entity.insert("shared_by".into(), user(&v["sharedBy"]));
    Value::Object(entity)
}

/// A path entry: special folders as `{id, name}`, items in full.
fn path_entry(v: &Value) -> Value {
    if is_special(v) {
        json!({ "id": rest_id(&v["id"]), "name": v["name"] })
    } else {
        item(v)
    }
}

fn nodes(connection: &Value) -> impl Iterator<Item = &Value> {
    connection["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|edge| &edge["node"])
}

/// `DriveItemDetails`: `{path, item, versions, children, access}` from a `GetItem`/`Browse` item.
pub fn details(v: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let path = v["path"]
        .as_array()
        .into_iter()
        .flatten()
        .map(path_entry)
        .collect();
    out.insert("path".into(), Value::Array(path));
    out.insert("item".into(), item(v));
    out.insert(
        "versions".into(),
        nodes(&v["versions"]).map(version).collect(),
    );
    out.insert("children".into(), nodes(&v["children"]).map(item).collect());
    out.insert("access".into(), lower(&v["viewerLevel"]));
    out
}

/// A tab as the reference sends it.
pub fn tab(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    json!({
        "company_id": v["companyId"],
        "tab_id": v["tabId"],
        "channel_id": v["channelId"],
        "item_id": v["itemId"],
        "level": lower(&v["level"]),
    })
}
