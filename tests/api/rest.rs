//! The REST shim, route by route, against the reference's captured shapes (minus its quirks).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The JSON body of a captured exchange.
fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = text
        .split("\n\n")
        .nth(1)
        .or_else(|| text.split("\r\n\r\n").nth(1))
        .unwrap_or(&text);
    serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn create_json(
    app: &TestApp,
    token: &str,
    item: Value,
    version: Value,
) -> (StatusCode, Value) {
    app.rest(
        "POST",
        "item",
        Some(token),
        Some(json!({ "item": item, "version": version })),
    )
    .await
}

on_both_backends! {
    async fn special_folders_answer_the_reference_shapes(app: TestApp) {
        let member = app.token("u1", Role::Member);
        let (status, body) = app.rest("GET", "item/root", Some(&member), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, fixture("get-root.txt"));
        let (_, plain) = app.rest("GET", "item", Some(&member), None).await;
        assert_eq!(plain, body);
        let (_, trash) = app.rest("GET", "item/trash", Some(&member), None).await;
        assert_eq!(trash, fixture("get-trash.txt"));
        let (_, mine) = app.rest("GET", "item/user_u1", Some(&member), None).await;
        assert_eq!(mine["item"], json!({ "id": "user_u1", "parent_id": null, "name": "My Drive", "size": 0 }));
        assert_eq!(mine["access"], "manage");
        let (status, other) = app.rest("GET", "item/user_u2", Some(&member), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(other["code"], "NOT_FOUND");
        assert_eq!(other["statusCode"], 404);
        assert_eq!(other["error"], "Not Found");
    }

    async fn updating_the_shared_drive_answers_the_special_folder(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let body = json!({ "access_info": { "entities": [{ "type": "company", "id": app.company.to_string(), "level": "write" }] } });
        let (status, root) = app.rest("POST", "item/root", Some(&admin), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{root}");
        assert_eq!(root, json!({ "id": "root", "parent_id": null, "name": "Shared Drive", "size": 0 }));
    }

    async fn create_folder_and_file_with_the_reference_fields(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (status, folder) = create_json(&app, &alice,
            json!({ "company_id": "ignored", "id": "ignored", "name": "Fixtures Folder", "parent_id": "user_alice", "is_directory": "true", "creator": "mallory", "size": 99 }),
            json!({})).await;
        assert_eq!(status, StatusCode::OK, "{folder:#}");
        let reference = fixture("create-folder.txt");
        let mut expected = keys(&reference);
        expected.extend(["editing_session_key".to_owned(), "in_trash".to_owned()]);
        expected.sort();
        assert_eq!(keys(&folder), expected);
        assert_ne!(folder["id"], "ignored");
        assert_eq!(folder["company_id"], app.company.to_string());
        assert_eq!((folder["creator"].as_str(), folder["size"].as_i64()), (Some("alice"), Some(0)));
        assert!(folder["added"].is_i64() && folder["last_modified"].is_i64(), "numbers, not strings");
        assert_eq!(folder["scope"], "personal");
        assert_eq!(folder["is_directory"], true);
        let folder_id = folder["id"].as_str().unwrap().to_owned();

        let uploaded = app.upload(&alice, "hello.txt", "text/plain", b"hello twake drive\n").await;
        let upload_id = uploaded["id"].as_str().unwrap().to_owned();
        let (status, file) = create_json(&app, &alice,
            json!({ "parent_id": folder_id, "name": "hello.txt" }),
            json!({ "provider": "internal", "file_metadata": { "name": "hello.txt", "size": "999", "mime": "text/plain", "external_id": upload_id } })).await;
        assert_eq!(status, StatusCode::OK, "{file:#}");
        assert_eq!(file["extension"], "txt");
        assert_eq!(file["size"], 18);
        let cache = &file["last_version_cache"];
        assert_eq!(cache["file_metadata"]["external_id"], upload_id.as_str());
        assert_eq!(cache["file_id"], cache["file_metadata"]["external_id"]);
        assert_eq!(cache["file_metadata"]["size"], 18);
        assert_eq!(cache["file_metadata"]["thumbnails"], json!([]));

        // GET the folder: the reference's details shape, the path ending with the item.
        let (status, details) = app.rest("GET", &format!("item/{folder_id}"), Some(&alice), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(keys(&details), keys(&fixture("get-folder.txt")));
        assert_eq!(details["path"][0], json!({ "id": "user_alice", "name": "My Drive" }));
        assert_eq!(details["path"][1]["id"], folder_id.as_str());
        assert_eq!(details["item"]["size"], 18);
        assert_eq!(details["children"][0]["name"], "hello.txt");
        assert_eq!(details["access"], "manage");
        let reference_child = &fixture("get-folder.txt")["children"][0];
        let mut child_keys = keys(reference_child);
        child_keys.push("in_trash".into());
        child_keys.sort();
        assert_eq!(keys(&details["children"][0]), child_keys);
        let file_id = file["id"].as_str().unwrap();
        let (_, file_details) = app.rest("GET", &format!("item/{file_id}"), Some(&alice), None).await;
        assert_eq!(file_details["path"].as_array().unwrap().len(), 3);
        assert_eq!(file_details["versions"].as_array().unwrap().len(), 1);
    }

    async fn bad_create_requests_are_400_and_store_nothing(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        for (body, field) in [
            (json!({ "version": {} }), "item"),
            (json!({ "item": { "name": "x", "is_directory": "maybe" } }), "item.is_directory"),
            (json!({ "item": { "name": 42 } }), "item.name"),
            (json!({ "item": { "name": "x", "tags": "a,b" } }), "item.tags"),
            (json!({ "item": { "name": "x" }, "version": { "file_metadata": { "name": 3 } } }), "version.file_metadata.name"),
            (json!({ "item": { "name": "a/b" } }), "name"),
        ] {
            let (status, error) = app.rest("POST", "item", Some(&admin), Some(body.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(error["message"].as_str().unwrap().contains(field), "{body} → {error}");
            assert_eq!(error["code"], "BAD_USER_INPUT");
        }
        let uri = format!("/internal/services/documents/v1/companies/{}/item", app.company);
        let request = Request::post(uri).header("authorization", format!("Bearer {admin}")).header("content-type", "application/json").body(Body::from("{not json")).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        // A member may read the Shared Drive but not write to it: 403, not the reference's 500.
        let (status, error) = create_json(&app, &member, json!({ "name": "x", "parent_id": "root" }), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        let (status, _) = create_json(&app, &member, json!({ "name": "x", "parent_id": "root" }), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, root) = app.rest("GET", "item/root", Some(&admin), None).await;
        assert_eq!(root["children"], json!([]));
        // No credentials: 401 in the reference's shape.
        let (status, error) = app.rest("GET", "item/root", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(keys(&error), ["code", "error", "message", "statusCode"]);
    }

    async fn update_renames_moves_describes_and_shares(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let (_, folder) = create_json(&app, &alice, json!({ "name": "Dir", "parent_id": "user_alice", "is_directory": true }), json!({})).await;
        let (_, file) = create_json(&app, &alice, json!({ "name": "a.txt", "parent_id": "user_alice", "description": "old" }), json!({})).await;
        let (folder, file) = (folder["id"].as_str().unwrap(), file["id"].as_str().unwrap());
        let (status, updated) = app.rest("POST", &format!("item/{file}"), Some(&alice),
            Some(json!({ "name": "b.txt", "description": "", "tags": [], "parent_id": folder }))).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!((updated["name"].as_str(), updated["description"].as_str(), updated["parent_id"].as_str()), (Some("b.txt"), Some(""), Some(folder)));
        // Sharing through access_info; the password is never sent back.
        let access = json!({ "entities": [
            { "type": "folder", "id": "parent", "level": "manage" },
            { "type": "user", "id": "bob", "level": "read" },
        ], "public": { "level": "none", "password": "", "expiration": 0, "token": "" } });
        let (status, shared) = app.rest("POST", &format!("item/{folder}"), Some(&alice), Some(json!({ "access_info": access }))).await;
        assert_eq!(status, StatusCode::OK, "{shared}");
        assert_eq!(shared["access_info"]["public"]["password"], "");
        let (status, seen) = app.rest("GET", &format!("item/{file}"), Some(&bob), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["access"], "read");
        // Refused: bob renaming (read), a bad level, a move into a file.
        let (status, _) = app.rest("POST", &format!("item/{file}"), Some(&bob), Some(json!({ "name": "mine" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, error) = app.rest("POST", &format!("item/{folder}"), Some(&alice),
            Some(json!({ "name": "x", "access_info": { "entities": [{ "type": "user", "id": "bob", "level": "owner" }] } }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error["message"].as_str().unwrap().contains("access_info.entities[0].level"), "{error}");
        let (status, _) = app.rest("POST", &format!("item/{folder}"), Some(&alice), Some(json!({ "parent_id": file }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, after) = app.rest("GET", &format!("item/{folder}"), Some(&alice), None).await;
        assert_eq!(after["item"]["name"], "Dir");
        assert_eq!(after["item"]["parent_id"], "user_alice");
        // is_in_trash: true trashes, false restores.
        let (_, trashed) = app.rest("POST", &format!("item/{file}"), Some(&alice), Some(json!({ "is_in_trash": true }))).await;
        assert_eq!(trashed["is_in_trash"], true);
        let (_, restored) = app.rest("POST", &format!("item/{file}"), Some(&alice), Some(json!({ "in_trash": false }))).await;
        assert_eq!(restored["is_in_trash"], false);
    }

    async fn delete_trashes_then_deletes_and_restore_brings_back(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let alice = app.token("alice", Role::Member);
        let (_, shared) = create_json(&app, &admin, json!({ "name": "shared.txt", "parent_id": "root" }), json!({})).await;
        let (_, mine) = create_json(&app, &alice, json!({ "name": "mine.txt", "parent_id": "user_alice" }), json!({})).await;
        let (shared, mine) = (shared["id"].as_str().unwrap(), mine["id"].as_str().unwrap());
        let (status, body) = app.rest("DELETE", &format!("item/{shared}"), Some(&admin), None).await;
        assert_eq!((status, body), (StatusCode::OK, Value::Null));
        app.rest("DELETE", &format!("item/{mine}"), Some(&alice), None).await;
        let (_, trash) = app.rest("GET", "item/trash", Some(&admin), None).await;
        let names: Vec<&str> = trash["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["shared.txt"]);
        let (_, personal) = app.rest("GET", "item/trash_alice", Some(&alice), None).await;
        assert_eq!(personal["children"][0]["name"], "mine.txt");
        assert_eq!(personal["children"][0]["is_in_trash"], true);
        // A member may not delete the shared item: 403, and it stays.
        let (status, _) = app.rest("DELETE", &format!("item/{shared}"), Some(&alice), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.rest("POST", &format!("item/{mine}/restore"), Some(&alice), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, restored) = app.rest("GET", &format!("item/{mine}"), Some(&alice), None).await;
        assert_eq!(restored["item"]["is_in_trash"], false);
        app.rest("DELETE", &format!("item/{shared}"), Some(&admin), None).await;
        let (status, gone) = app.rest("GET", &format!("item/{shared}"), Some(&admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(gone["code"], "NOT_FOUND");
    }

    async fn versions_lead_the_item(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let first = app.upload(&alice, "hello.txt", "text/plain", b"hello twake drive\n").await;
        let second = app.upload(&alice, "hello-v2.txt", "text/plain", b"hello twake drive, version 2\n").await;
        let (_, file) = create_json(&app, &alice, json!({ "name": "hello.txt", "parent_id": "user_alice" }),
            json!({ "file_metadata": { "name": "hello.txt", "size": 18, "mime": "text/plain", "external_id": first["id"] } })).await;
        let id = file["id"].as_str().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let (status, version) = app.rest("POST", &format!("item/{id}/version"), Some(&alice),
            Some(json!({ "drive_item_id": id, "provider": "internal", "file_metadata": { "name": "hello-v2.txt", "size": 29, "mime": "text/plain", "external_id": second["id"] } }))).await;
        assert_eq!(status, StatusCode::OK, "{version}");
        let mut expected = keys(&fixture("create-version.txt"));
        expected.retain(|k| k != "key" && k != "mode");
        expected.extend(["file_id".to_owned(), "realname".to_owned()]);
        expected.sort();
        assert_eq!(keys(&version), expected);
        assert_eq!(version["file_size"], 29);
        assert!(version["date_added"].is_i64());
        let (_, details) = app.rest("GET", &format!("item/{id}"), Some(&alice), None).await;
        assert_eq!(details["item"]["size"], 29);
        assert_eq!(details["item"]["name"], "hello.txt");
        assert_eq!(details["item"]["last_version_cache"]["id"], version["id"]);
        assert!(details["item"]["last_modified"].as_i64() > file["last_modified"].as_i64(), "last_modified follows the version");
        let sizes: Vec<i64> = details["versions"].as_array().unwrap().iter().map(|v| v["file_size"].as_i64().unwrap()).collect();
        assert_eq!(sizes, [29, 18]);
        let (status, _) = app.rest("POST", &format!("item/{id}/version"), Some(&bob), Some(json!({ "file_metadata": { "size": 1 } }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn tabs_are_set_and_read(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let (_, folder) = create_json(&app, &admin, json!({ "name": "Tab folder", "parent_id": "root", "is_directory": true }), json!({})).await;
        let folder = folder["id"].as_str().unwrap();
        let tab = "11111111-2222-4333-8444-555555555555";
        let (status, empty) = app.rest("GET", &format!("tabs/{tab}"), Some(&admin), None).await;
        assert_eq!((status, empty), (StatusCode::OK, Value::Null));
        let body = json!({ "company_id": "whatever", "tab_id": "other", "channel_id": "66666666-7777-4888-9999-000000000000", "item_id": folder, "level": "write" });
        let (status, set) = app.rest("POST", &format!("tabs/{tab}"), Some(&admin), Some(body.clone())).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        let mut expected = fixture("set-tab.txt");
        expected["company_id"] = json!(app.company.to_string());
        expected["item_id"] = json!(folder);
        assert_eq!(set, expected);
        let (_, got) = app.rest("GET", &format!("tabs/{tab}"), Some(&member), None).await;
        assert_eq!(got, expected);
        let (_, details) = app.rest("GET", &format!("item/{folder}"), Some(&admin), None).await;
        let channels: Vec<&Value> = details["item"]["access_info"]["entities"].as_array().unwrap().iter().filter(|e| e["type"] == "channel").collect();
        assert_eq!(channels.len(), 1);
        assert_eq!(channels[0]["level"], "write");
        let (status, _) = app.rest("POST", &format!("tabs/{tab}"), Some(&member), Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, error) = app.rest("POST", &format!("tabs/{tab}"), Some(&admin), Some(json!({ "item_id": folder }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error["message"].as_str().unwrap().contains("channel_id"));
    }

    async fn browse_pages_with_a_real_next_page(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        for i in 1..=5 {
            create_json(&app, &alice, json!({ "name": format!("f{i}"), "parent_id": "user_alice" }), json!({ "file_metadata": { "size": i } })).await;
        }
        let mut seen = Vec::new();
        let mut paginate = json!({ "page": 0, "limit": 2 });
        loop {
            let (status, page) = app.rest("POST", "browse/user_alice", Some(&alice),
                Some(json!({ "sort": { "by": "size", "order": "asc" }, "paginate": paginate }))).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(page["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()));
            if page["nextPage"].is_null() {
                break;
            }
            paginate = page["nextPage"].clone();
        }
        assert_eq!(seen, ["f1", "f2", "f3", "f4", "f5"]);
        let (status, error) = app.rest("POST", "browse/user_alice", Some(&alice), Some(json!({ "sort": { "by": "colour" } }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error["message"].as_str().unwrap().contains("sort.by"));
        // shared_with_me has no item of its own.
        let bob = app.token("bob", Role::Member);
        let (_, shared) = app.rest("POST", "browse/shared_with_me", Some(&bob), Some(json!({}))).await;
        assert_eq!(keys(&shared), ["access", "children", "nextPage", "path"]);
    }

    async fn unknown_routes_answer_404_in_the_reference_shape(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let (status, body) = app.rest("POST", "no-such-route", Some(&admin), Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "NOT_FOUND");
        assert_eq!(body["statusCode"], 404);
    }
}
