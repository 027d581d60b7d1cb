//! Revisions and preconditions: every change gives an item a new revision (and its folder
//! one), a write expecting a revision that is no longer current changes nothing (412), two
//! writers expecting the same one cannot both win, and `GET item/:id` answers 304 to a client
//! whose copy is current.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use quire::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{Part, TestApp, multipart, on_both_backends};

const RENAME: &str =
    "mutation($input: UpdateItemInput!) { updateItem(input: $input) { item { name revision } } }";

/// The revision of an item, as a number (revisions are opaque; the tests know they grow).
async fn revision(app: &TestApp, token: &str, id: &str) -> i64 {
    let item = app.item(token, id, "revision").await;
    item["revision"].as_str().unwrap().parse().unwrap()
}

/// A documents request with extra headers; status, JSON body (or null) and headers.
async fn rest_with(
    app: &TestApp,
    (method, path): (&str, &str),
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value, HeaderMap) {
    let uri = format!(
        "/internal/services/documents/v1/companies/{}/{path}",
        app.company
    );
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let (status, bytes, headers) = app.send(request.body(body).unwrap()).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, headers)
}

fn etag_of(headers: &HeaderMap) -> String {
    headers
        .get("etag")
        .expect("an ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

on_both_backends! {
    async fn every_change_gives_the_item_a_newer_revision_and_its_folder_too(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let folder = app.create(&ada, "user_ada", "Folder", true).await;
        let other = app.create(&ada, "user_ada", "Other", true).await;
        let file = app.create_file(&ada, &folder, "a.txt", 3).await;
        let company = app.company.to_string();
        let update = |change: Value| {
            let mut input = json!({ "companyId": company, "id": file });
            input.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            json!({ "input": input })
        };
        let changes = [
            ("rename", update(json!({ "name": "b.txt" }))),
            ("describe", update(json!({ "description": "notes" }))),
            ("tag", update(json!({ "tags": ["x"] }))),
            ("share", update(json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] }))),
            ("public link", update(json!({ "publicLink": { "level": "READ" } }))),
            ("trash", update(json!({ "inTrash": true }))),
            ("restore", update(json!({ "inTrash": false }))),
        ];
        let mut seen = revision(&app, &ada, &file).await;
        let mut folder_seen = revision(&app, &ada, &folder).await;
        for (what, variables) in changes {
            app.data(&ada, RENAME, variables).await;
            let now = revision(&app, &ada, &file).await;
            assert!(now > seen, "{what}: {seen} → {now}");
            let folder_now = revision(&app, &ada, &folder).await;
            assert!(folder_now > folder_seen, "{what} changes the folder's listing");
            (seen, folder_seen) = (now, folder_now);
        }
        app.add_version(&ada, &file, b"new bytes").await;
        let now = revision(&app, &ada, &file).await;
        assert!(now > seen, "a version");
        seen = now;
        let other_seen = revision(&app, &ada, &other).await;
        app.data(&ada, RENAME, update(json!({ "parentId": other }))).await;
        assert!(revision(&app, &ada, &file).await > seen, "a move");
        assert!(revision(&app, &ada, &other).await > other_seen, "the folder moved into");
        assert!(revision(&app, &ada, &folder).await > folder_seen, "the folder moved out of");
        // Revisions of one company only grow, and a reader never sees one pending.
        let pending = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM items WHERE revision = 0",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(pending, 0, "every committed change is stamped");
    }

    async fn a_write_expecting_a_revision_that_is_no_longer_current_changes_nothing(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let folder = app.create(&ada, "user_ada", "Folder", true).await;
        let file = app.create_file(&ada, &folder, "a.txt", 3).await;
        let company = app.company.to_string();
        let stale = app.item(&ada, &file, "revision etag").await;
        app.data(&ada, RENAME, json!({ "input": { "companyId": company, "id": file, "name": "b.txt" } })).await;
        // GraphQL: ifRevision takes the revision or the ETag; a stale one is refused.
        for expected in [&stale["revision"], &stale["etag"]] {
            let code = app.error_code(Some(&ada), RENAME, json!({ "input": {
                "companyId": company, "id": file, "name": "c.txt", "ifRevision": expected,
            }})).await;
            assert_eq!(code, "PRECONDITION_FAILED");
        }
        for mutation in ["trashItem", "deleteItem", "restoreItem"] {
            let query = format!("mutation($input: ItemInput!) {{ {mutation}(input: $input) {{ __typename }} }}");
            let code = app.error_code(Some(&ada), &query, json!({ "input": {
                "companyId": company, "id": file, "ifRevision": stale["revision"],
            }})).await;
            assert_eq!(code, "PRECONDITION_FAILED", "{mutation}");
        }
        let share = "mutation($input: ShareItemInput!) { shareItem(input: $input) { item { id } } }";
        let code = app.error_code(Some(&ada), share, json!({ "input": {
            "companyId": company, "id": file, "ifRevision": stale["revision"],
            "entity": { "type": "USER", "id": "bob", "level": "READ" },
        }})).await;
        assert_eq!(code, "PRECONDITION_FAILED", "shareItem");
        let item = app.item(&ada, &file, "name inTrash accessInfo { entities { id } }").await;
        assert_eq!(item["name"], "b.txt");
        assert_eq!(item["inTrash"], false);
        assert!(!item["accessInfo"]["entities"].to_string().contains("bob"));

        // REST: If-Match with the ETag GET answered.
        let (status, _, headers) = rest_with(&app, ("GET", &format!("item/{file}")), &ada, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        let current = etag_of(&headers);
        let stale_tag = stale["etag"].as_str().unwrap();
        let path = format!("item/{file}");
        let (status, body, _) = rest_with(&app, ("POST", &path), &ada, &[("if-match", stale_tag)], Some(json!({ "name": "d.txt" }))).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
        assert_eq!(body["code"], "PRECONDITION_FAILED");
        assert_eq!(body["statusCode"], 412);
        let (status, _, _) = rest_with(&app, ("DELETE", &path), &ada, &[("if-match", stale_tag)], None).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        let (status, _, _) = rest_with(&app, ("POST", &format!("{path}/restore")), &ada, &[("if-match", stale_tag)], None).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        let versions_before = app.item(&ada, &file, "versions(first: 10) { totalCount }").await;
        let uploads_before = app.stored_keys().await;
        let (content_type, body) = multipart(&[Part::file("file", "v.txt", "text/plain", b"refused")]);
        let request = Request::post(format!(
            "/internal/services/documents/v1/companies/{company}/{path}/version"
        ))
        .header("authorization", format!("Bearer {ada}"))
        .header("if-match", stale_tag)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
        let (status, _, _) = app.send(request).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(app.item(&ada, &file, "versions(first: 10) { totalCount }").await, versions_before);
        assert_eq!(app.stored_keys().await, uploads_before, "a refused version keeps no bytes");
        let (status, _, _) = rest_with(&app, ("POST", &path), &ada, &[("if-match", "one, two")], Some(json!({ "name": "d.txt" }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "one ETag at a time");
        assert_eq!(app.item(&ada, &file, "name inTrash").await, json!({ "name": "b.txt", "inTrash": false }));

        // The current ETag (or `*`) lets the write through.
        let (status, body, _) = rest_with(&app, ("POST", &path), &ada, &[("if-match", &current)], Some(json!({ "name": "d.txt" }))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["name"], "d.txt");
        let (status, _, _) = rest_with(&app, ("DELETE", &path), &ada, &[("if-match", "*")], None).await;
        assert_eq!(status, StatusCode::OK);
        // The Shared Drive has no revision to expect.
        let admin = app.token("root-admin", Role::Admin);
        let code = app.error_code(Some(&admin), share, json!({ "input": {
            "companyId": company, "id": "root", "ifRevision": "5",
            "entity": { "type": "USER", "id": "bob", "level": "READ" },
        }})).await;
        assert_eq!(code, "BAD_USER_INPUT");
    }

    async fn of_writers_expecting_the_same_revision_exactly_one_wins(app: TestApp) {
        let ada = app.token("ada", Role::Admin);
        let file = app.create_file(&ada, "root", "contended.txt", 3).await;
        let expected = app.item(&ada, &file, "revision").await["revision"].clone();
        let company = app.company.to_string();
        let writers = (0..16).map(|n| {
            let (app, ada, file, company, expected) = (&app, &ada, &file, &company, &expected);
            async move {
                let response = app.graphql(Some(ada), RENAME, json!({ "input": {
                    "companyId": company, "id": file, "name": format!("w{n}.txt"), "ifRevision": expected,
                }})).await;
                (n, response)
            }
        });
        let outcomes = futures::future::join_all(writers).await;
        let mut winners = Vec::new();
        for (n, response) in &outcomes {
            match response["errors"][0]["extensions"]["code"].as_str() {
                None => winners.push(*n),
                Some(code) => assert_eq!(code, "PRECONDITION_FAILED", "{response:#}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
        let name = app.item(&ada, &file, "name").await["name"].clone();
        assert_eq!(name, json!(format!("w{}.txt", winners[0])));
    }

    async fn get_item_tags_its_answer_and_a_current_copy_costs_no_listing(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let top = app.create(&ada, "user_ada", "Top", true).await;
        let folder = app.create(&ada, &top, "Folder", true).await;
        let file = app.create_file(&ada, &folder, "a.txt", 3).await;
        let folder_path = format!("item/{folder}");
        let (status, _, headers) = rest_with(&app, ("GET", &folder_path), &ada, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        let tag = etag_of(&headers);
        let graphql_tag = app.item(&ada, &folder, "etag").await["etag"].clone();
        assert_eq!(graphql_tag, json!(tag), "REST and GraphQL tag the item alike");

        let before = app.statements();
        let (status, body, headers) = rest_with(&app, ("GET", &folder_path), &ada, &[("if-none-match", &tag)], None).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(body, Value::Null);
        assert_eq!(etag_of(&headers), tag);
        assert_eq!(app.statements() - before, 2, "the item with its ancestors, and the entries on them");
        let weak = format!("W/{tag}");
        let (status, _, _) = rest_with(&app, ("GET", &folder_path), &ada, &[("if-none-match", &weak)], None).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "If-None-Match compares weakly");

        // What the folder lists changes: a child added, a child renamed.
        let mut tags = vec![tag.clone()];
        app.create_file(&ada, &folder, "b.txt", 0).await;
        let company = app.company.to_string();
        let (status, _, headers) = rest_with(&app, ("GET", &folder_path), &ada, &[("if-none-match", &tag)], None).await;
        assert_eq!(status, StatusCode::OK, "a new child changes the listing");
        tags.push(etag_of(&headers));
        app.data(&ada, RENAME, json!({ "input": { "companyId": company, "id": file, "name": "z.txt" } })).await;
        let (status, body, headers) = rest_with(&app, ("GET", &folder_path), &ada, &[("if-none-match", tags.last().unwrap())], None).await;
        assert_eq!(status, StatusCode::OK, "a renamed child changes the listing");
        assert!(body["children"].to_string().contains("z.txt"));
        tags.push(etag_of(&headers));
        // What a file's answer shows changes when a folder on its path is renamed.
        let file_path = format!("item/{file}");
        let (_, _, headers) = rest_with(&app, ("GET", &file_path), &ada, &[], None).await;
        let file_tag = etag_of(&headers);
        app.data(&ada, RENAME, json!({ "input": { "companyId": company, "id": top, "name": "Renamed top" } })).await;
        let (status, body, headers) = rest_with(&app, ("GET", &file_path), &ada, &[("if-none-match", &file_tag)], None).await;
        assert_eq!(status, StatusCode::OK, "a renamed ancestor changes the path shown");
        assert!(body["path"].to_string().contains("Renamed top"));
        assert_ne!(etag_of(&headers), file_tag);
        // Each viewer's answer is its own: a reader's tag is not the owner's.
        app.data(&ada, RENAME, json!({ "input": { "companyId": company, "id": folder,
            "access": [{ "type": "USER", "id": "bob", "level": "READ" }, { "type": "FOLDER", "id": "parent", "level": "MANAGE" }] } })).await;
        let bob = app.token("bob", Role::Member);
        let ada_tag = app.item(&ada, &folder, "etag").await["etag"].clone();
        let bob_tag = app.item(&bob, &folder, "etag").await["etag"].clone();
        assert_ne!(ada_tag, bob_tag);
        let unique: std::collections::HashSet<_> = tags.iter().collect();
        assert_eq!(unique.len(), tags.len(), "every change made a new tag: {tags:?}");
        // The special folders have no revision, so no tag.
        let (status, _, headers) = rest_with(&app, ("GET", "item/user_ada"), &ada, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get("etag").is_none());
        // A reader who lost access is told so, not that their copy is current.
        app.data(&ada, RENAME, json!({ "input": { "companyId": company, "id": folder, "access": [] } })).await;
        let (status, _, _) = rest_with(&app, ("GET", &folder_path), &bob, &[("if-none-match", bob_tag.as_str().unwrap())], None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
