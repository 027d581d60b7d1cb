//! Creating, listing, renaming, moving, describing and tagging items; names and bad input.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

const UPDATE: &str = "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id name parentId description tags path { id } } } }";

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    let mut input = input;
    input["companyId"] = json!(app.company.to_string());
    app.graphql(Some(token), UPDATE, json!({ "i": input }))
        .await
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

on_both_backends! {
    async fn create_in_shared_drive_and_my_drive(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let member = app.token("bob", Role::Member);
        let shared = app.create(&admin, "root", "Team", true).await;
        let mine = app.create(&member, "user_bob", "Notes", true).await;
        let item = app.item(&admin, &shared, "name isDirectory scope parentId creator { id name } viewerLevel path { id name }").await;
        assert_eq!(item["scope"], "SHARED");
        assert_eq!(item["parentId"], app.global("root"));
        assert_eq!(item["creator"]["id"], "admin");
        assert_eq!(item["creator"]["name"], "admin name");
        assert_eq!(item["path"], json!([{ "id": app.global("root"), "name": "Shared Drive" }, { "id": shared, "name": "Team" }]));
        let item = app.item(&member, &mine, "scope parentId viewerLevel path { id name }").await;
        assert_eq!(item["scope"], "PERSONAL");
        assert_eq!(item["viewerLevel"], "MANAGE");
        assert_eq!(item["path"][0], json!({ "id": app.global("user_bob"), "name": "My Drive" }));
        assert_eq!(app.child_names(&member, "user_bob").await, ["Notes"]);
        assert_eq!(app.child_names(&member, "root").await, ["Team"]);
    }

    async fn every_item_on_a_path_reads_its_whole_path(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let a = app.create(&admin, "root", "a", true).await;
        let b = app.create(&admin, &a, "b", true).await;
        let c = app.create(&admin, &b, "c", true).await;
        let ids = |path: &Value| -> Vec<String> {
            path.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
        };
        let root = app.global("root");
        let read = app
            .item(&member, &c, "path { id path { id } children(first: 1) { edges { node { id path { id } } } } }")
            .await;
        let b_entry = &read["path"][2];
        assert_eq!(ids(&b_entry["path"]), [root.clone(), a.clone(), b.clone()]);
        let child = &b_entry["children"]["edges"][0]["node"];
        assert_eq!(ids(&child["path"]), [root, a, b, c]);
    }

    async fn a_path_segment_that_is_no_uuid_is_skipped_not_fatal(app: TestApp) {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "a", true).await;
        let file = app.create(&admin, &folder, "f.txt", false).await;
        let id = uuid::Uuid::parse_str(&file).unwrap();
        // A short segment and a 36-character one, both no UUID, before the real folder.
        let bogus = format!("/abc/{}/{folder}/", "z".repeat(36));
        entity::item::Entity::update_many()
            .col_expr(entity::item::Column::Path, Expr::value(bogus))
            .filter(entity::item::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
        let read = app.item(&admin, &file, "name path { id }").await;
        assert_eq!(read["name"], "f.txt");
        let path: Vec<&str> = read["path"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(path, [app.global("root").as_str(), folder.as_str(), file.as_str()]);
        let (status, _) = app.rest("GET", &format!("item/{file}"), Some(&admin), None).await;
        assert_eq!(status, 200);
    }

    async fn names_collide_the_reference_way(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        for _ in 0..3 {
            app.create_file(&admin, "root", "a.txt", 1).await;
        }
        app.create(&admin, "root", "a.txt", true).await; // a folder may share a file's name
        let folder = app.create(&admin, "root", "docs", true).await;
        app.create(&admin, "root", "docs", true).await;
        let mut names = app.child_names(&admin, "root").await;
        names.sort();
        assert_eq!(names, ["a-2.txt", "a-3.txt", "a.txt", "a.txt", "docs", "docs-2"]);
        // Renaming onto a taken name, and moving next to one, rename too.
        let response = update(&app, &admin, json!({ "id": folder, "name": "docs-2" })).await;
        assert_eq!(response["data"]["updateItem"]["item"]["name"], "docs-2-2");
        let inner = app.create_file(&admin, &folder, "a.txt", 1).await;
        let response = update(&app, &admin, json!({ "id": inner, "parentId": "root" })).await;
        assert_eq!(response["data"]["updateItem"]["item"]["name"], "a-4.txt");
    }

    async fn concurrent_creates_never_share_a_name(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let creates = (0..48).map(|_| app.create(&admin, "root", "same.txt", false));
        let ids = futures::future::join_all(creates).await;
        assert_eq!(ids.len(), 48);
        let mut names = app.child_names(&admin, "root").await;
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 48, "{names:?}");
    }

    async fn children_sort_folders_first_in_natural_order(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        for (name, size) in [("file10", 5), ("File2", 30), ("file1", 20)] {
            app.create_file(&admin, "root", name, size).await;
        }
        app.create(&admin, "root", "zeta", true).await;
        app.create(&admin, "root", "Alpha", true).await;
        assert_eq!(app.child_names(&admin, "root").await, ["Alpha", "zeta", "file1", "File2", "file10"]);
        let query = "query($c: ID!, $s: ChildrenSort) { item(companyId: $c, id: \"root\") { children(sort: $s) { edges { node { name } } } } }";
        let names = |data: Value| -> Vec<String> {
            data["item"]["children"]["edges"].as_array().unwrap().iter()
                .map(|e| e["node"]["name"].as_str().unwrap().to_owned()).collect()
        };
        let c = app.company.to_string();
        let by_size = app.data(&admin, query, json!({ "c": c, "s": { "by": "SIZE", "order": "DESC" } })).await;
        assert_eq!(names(by_size)[2..], ["File2", "file1", "file10"]);
        let by_date = app.data(&admin, query, json!({ "c": c, "s": { "by": "DATE", "order": "DESC" } })).await;
        assert_eq!(names(by_date.clone())[..2], ["Alpha", "zeta"]);
        assert_eq!(names(by_date)[2..], ["file1", "File2", "file10"]);
    }

    async fn children_paginate_with_cursors(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        for i in 1..=7 {
            app.create(&admin, "root", &format!("f{i}"), true).await;
        }
        let query = "query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) { item(companyId: $c, id: \"root\") { children(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { node { name } } } } }";
        let c = app.company.to_string();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = app.data(&admin, query, json!({ "c": c, "first": 3, "after": after })).await;
            let children = &data["item"]["children"];
            assert_eq!(children["totalCount"], 7);
            for edge in children["edges"].as_array().unwrap() {
                seen.push(edge["node"]["name"].as_str().unwrap().to_owned());
            }
            if !children["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = children["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, ["f1", "f2", "f3", "f4", "f5", "f6", "f7"]);
        let data = app.data(&admin, query, json!({ "c": c, "last": 2 })).await;
        let last: Vec<&str> = data["item"]["children"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
        assert_eq!(last, ["f6", "f7"]);
        assert_eq!(data["item"]["children"]["pageInfo"]["hasPreviousPage"], true);
        let before = data["item"]["children"]["pageInfo"]["startCursor"].as_str().unwrap().to_owned();
        let data = app.data(&admin, query, json!({ "c": c, "last": 2, "before": before })).await;
        let prev: Vec<&str> = data["item"]["children"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
        assert_eq!(prev, ["f4", "f5"]);
    }

    async fn rename_describe_tag_apply_even_when_empty(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let id = app.create_file(&admin, "root", "draft.md", 3).await;
        let response = update(&app, &admin, json!({ "id": id, "name": "final.txt", "description": "v1", "tags": ["a", "b"] })).await;
        let item = &response["data"]["updateItem"]["item"];
        assert_eq!((item["name"].as_str(), item["description"].as_str()), (Some("final.txt"), Some("v1")));
        assert_eq!(item["tags"], json!(["a", "b"]));
        assert_eq!(app.item(&admin, &id, "extension").await["extension"], "txt");
        let response = update(&app, &admin, json!({ "id": id, "description": "", "tags": [] })).await;
        let item = &response["data"]["updateItem"]["item"];
        assert_eq!(item["description"], "");
        assert_eq!(item["tags"], json!([]));
        assert_eq!(item["name"], "final.txt");
    }

    async fn moves_between_folders_and_drives(app: TestApp) {
        let alice = app.token("alice", Role::Admin);
        let a = app.create(&alice, "root", "A", true).await;
        let b = app.create(&alice, &a, "B", true).await;
        let file = app.create_file(&alice, &b, "f.txt", 10).await;
        let target = app.create(&alice, "user_alice", "Mine", true).await;
        let response = update(&app, &alice, json!({ "id": b, "parentId": target })).await;
        assert_eq!(response["data"]["updateItem"]["item"]["parentId"], target.as_str());
        let path = app.item(&alice, &file, "scope path { id }").await;
        assert_eq!(path["scope"], "PERSONAL");
        let ids: Vec<&str> = path["path"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [app.global("user_alice").as_str(), target.as_str(), b.as_str(), file.as_str()]);
        assert_eq!(app.item(&alice, &a, "size").await["size"], 0);
        assert_eq!(app.item(&alice, &target, "size").await["size"], 10);
        // And back to the top of the Shared Drive.
        update(&app, &alice, json!({ "id": b, "parentId": "root" })).await;
        assert_eq!(app.item(&alice, &file, "scope").await["scope"], "SHARED");
        assert_eq!(app.item(&alice, &target, "size").await["size"], 0);
    }

    async fn refused_moves_change_nothing(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let member = app.token("bob", Role::Member);
        let a = app.create(&admin, "root", "A", true).await;
        let b = app.create(&admin, &a, "B", true).await;
        let file = app.create_file(&admin, "root", "f.txt", 1).await;
        for (target, expected) in [
            (a.as_str(), "BAD_USER_INPUT"),         // into itself
            (b.as_str(), "BAD_USER_INPUT"),         // into a descendant
            (file.as_str(), "BAD_USER_INPUT"),      // under a file
            ("trash", "BAD_USER_INPUT"),            // into a special listing
            ("user_bob", "NOT_FOUND"),              // into someone else's drive
        ] {
            let response = update(&app, &admin, json!({ "id": a, "parentId": target, "name": "renamed" })).await;
            assert_eq!(code(&response), expected, "moving into {target}");
        }
        // A member may not move shared items, nor into the Shared Drive.
        let response = update(&app, &member, json!({ "id": a, "parentId": "user_bob" })).await;
        assert_eq!(code(&response), "FORBIDDEN");
        let mine = app.create(&member, "user_bob", "mine", true).await;
        let response = update(&app, &member, json!({ "id": mine, "parentId": "root" })).await;
        assert_eq!(code(&response), "FORBIDDEN");
        let item = app.item(&admin, &a, "name parentId").await;
        assert_eq!(item, json!({ "name": "A", "parentId": app.global("root") }));
        assert_eq!(app.item(&member, &mine, "parentId").await["parentId"], app.global("user_bob"));
    }

    async fn bad_names_are_refused_and_change_nothing(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let id = app.create(&admin, "root", "keep", true).await;
        let long = "x".repeat(256);
        for bad in ["", "   ", ".", "..", "a/b", "nul\u{0}byte", long.as_str()] {
            let response = update(&app, &admin, json!({ "id": id, "name": bad })).await;
            assert_eq!(code(&response), "BAD_USER_INPUT", "{bad:?}");
            let created = app.graphql(
                Some(&admin),
                "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
                json!({ "i": { "companyId": app.company.to_string(), "parentId": "root", "name": bad } }),
            ).await;
            assert_eq!(code(&created), "BAD_USER_INPUT", "{bad:?}");
        }
        let bad_ids = app.graphql(
            Some(&admin),
            "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "parentId": "not-a-folder", "name": "x" } }),
        ).await;
        assert_eq!(code(&bad_ids), "BAD_USER_INPUT");
        assert_eq!(app.child_names(&admin, "root").await, ["keep"]);
    }

    async fn nodes_refetch_items_and_versions_the_viewer_may_read(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let file = app.create_file(&alice, "user_alice", "n.txt", 4).await;
        let version = app.item(&alice, &file, "latestVersion { id }").await["latestVersion"]["id"].as_str().unwrap().to_owned();
        let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Item { name } } }";
        let unknown = uuid::Uuid::now_v7().to_string();
        let data = app.data(&alice, query, json!({ "ids": [file, version, unknown] })).await;
        assert_eq!(data["nodes"][0], json!({ "__typename": "Item", "id": file, "name": "n.txt" }));
        assert_eq!(data["nodes"][1]["__typename"], "Version");
        assert_eq!(data["nodes"][2], Value::Null);
        let data = app.data(&bob, query, json!({ "ids": [file, version] })).await;
        assert_eq!(data["nodes"], json!([null, null]));
        let data = app.data(&alice, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": file })).await;
        assert_eq!(data["node"]["id"], file.as_str());
    }
}

on_both_backends! {
    async fn names_refuse_control_characters_and_bidi_controls(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let file = app.create(&admin, "root", "plain.txt", false).await;
        for (name, rule) in [("a\r\nb", "control characters"), ("x\u{7}y", "control characters"), ("invoice\u{202E}fdp.exe", "bidi"), ("a\u{2067}b", "bidi")] {
            let (status, answer) = app.rest("POST", "item", Some(&admin), Some(json!({ "item": { "name": name, "parent_id": "root" } }))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{name:?}");
            assert!(answer["message"].as_str().unwrap().contains(rule), "{answer}");
            let (status, _) = app.rest("POST", &format!("item/{file}"), Some(&admin), Some(json!({ "name": name }))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "rename to {name:?}");
        }
        assert_eq!(app.child_names(&admin, "root").await, ["plain.txt"]);
    }

    async fn zip_entries_never_carry_backslashes_or_colons(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "folder", true).await;
        app.create_file(&admin, &folder, "..\\..\\evil.bat", 3).await;
        app.create_file(&admin, &folder, "C:boot.ini", 3).await;
        let uri = format!("/internal/services/documents/v1/companies/{}/item/{folder}/download", app.company);
        let (status, bytes, _) = app.send(Request::get(uri).header("authorization", format!("Bearer {admin}")).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["folder/", "folder/.._.._evil.bat", "folder/C_boot.ini"]);
    }

    async fn a_malformed_id_is_bad_input_never_a_special_folder(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        for id in ["%20", "%20root", "root%20", "user_"] {
            let (status, answer) = app.rest("GET", &format!("item/{id}"), Some(&admin), None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{id}: {answer}");
        }
        for parent in [" ", "", " root"] {
            let (status, answer) = app.rest("POST", "item", Some(&admin), Some(json!({ "item": { "name": "x", "parent_id": parent, "is_directory": true } }))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "parent {parent:?}: {answer}");
        }
        let code = app.item_error(&admin, " ").await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(app.child_names(&admin, "root").await.is_empty(), "nothing landed in the Shared Drive");
    }
}
