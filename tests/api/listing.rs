//! A page of children reads of each row only what the fields its nodes ask need
//! (`graphql/listing.rs`), and answers exactly as whole rows do.

use quire::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// Each field a row read in part answers, alone.
const FIELDS: &[&str] = &[
    "__typename",
    "id",
    "revision",
    "companyId",
    "parentId",
    "name",
    "isDirectory",
    "isInTrash",
    "inTrash",
    "scope",
    "lastModified",
    "size",
    "viewerLevel",
    "downloadUrl",
    "etag",
    "searchStatus",
    "extension",
    "description",
    "tags",
    "added",
    "accessInfo { entities { type id level grantor } public { token level expiration hasPassword } }",
    "creator { __typename }",
    "creator { id }",
    "creator { name }",
    "creator { email }",
    "latestVersion { __typename }",
    "latestVersion { id }",
    "latestVersion { mime }",
    "latestVersion { size }",
    "latestVersion { itemId }",
    "latestVersion { provider }",
    "latestVersion { fileName }",
    "latestVersion { sha256 }",
    "latestVersion { externalId }",
    "latestVersion { creatorId }",
    "latestVersion { applicationId }",
    "latestVersion { downloadUrl }",
    "latestVersion { searchStatus }",
    "latestVersion { dateAdded }",
    "latestVersion { contentKeywords }",
    "description latestVersion { contentKeywords } accessInfo { public { hasPassword } }",
];

/// What a file list shows (the committed `BrowseFolder`'s nodes).
const BROWSED: &str =
    "id name isDirectory size lastModified creator { id name } latestVersion { mime size }";

/// The folder's children with `selection` under each node, and the SQL of the page's statement
/// (the one that counts the listing).
async fn children(app: &TestApp, token: &str, folder: &str, selection: &str) -> (Value, String) {
    let query = format!(
        "query($c: ID!, $id: ID!) {{ item(companyId: $c, id: $id) {{
            children(first: 10) {{ totalCount edges {{ cursor node {{ {selection} }} }} }}
        }} }}"
    );
    app.record_sql();
    let data = app
        .data(
            token,
            &query,
            json!({ "c": app.company.to_string(), "id": folder }),
        )
        .await;
    (data["item"]["children"].clone(), counted_page(app))
}

/// The SQL of the page statement recorded last (the one that counts the listing).
fn counted_page(app: &TestApp) -> String {
    app.recorded_sql()
        .into_iter()
        .find(|statement| statement.contains("listing_total"))
        .expect("a counted page")
}

fn reads(page: &str, column: &str) -> bool {
    page.contains(&format!("\"{column}\""))
}

/// Each field reads the same from a row read in part as from a whole one, for `token` (the
/// path, which only whole rows carry, makes them whole).
async fn answers_as_whole_rows_do(app: &TestApp, token: &str, folder: &str) {
    for field in FIELDS.iter().copied().chain([BROWSED]) {
        let (part, page) = children(app, token, folder, field).await;
        assert!(!reads(&page, "path"), "{field}: {page}");
        let (mut whole, page) =
            children(app, token, folder, &format!("{field} path {{ id }}")).await;
        assert!(reads(&page, "path"), "{field}: {page}");
        for edge in whole["edges"].as_array_mut().unwrap() {
            edge["node"]
                .as_object_mut()
                .unwrap()
                .remove("path")
                .expect("asked for");
        }
        assert_eq!(part, whole, "{field}");
    }
}

on_both_backends! {
    async fn a_page_reads_what_its_fields_need_and_answers_as_whole_rows_do(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Reports", true).await;
        let file = app.create_file(&alice, &folder, "q1.txt", 11).await;
        app.update(&alice, &file, json!({ "description": "first quarter", "tags": ["money"] })).await;
        app.data(&alice,
            "mutation($c: ID!, $id: ID!) { updateItem(input: { companyId: $c, id: $id, publicLink: { level: READ, password: \"pw\" } }) { item { id } } }",
            json!({ "c": app.company.to_string(), "id": file })).await;
        app.create(&alice, &folder, "Drafts", true).await;
        app.db.execute_unprepared("UPDATE versions SET content_keywords = 'quarter revenue'").await.unwrap();

        let (browsed, page) = children(&app, &alice, &folder, BROWSED).await;
        for column in ["name", "size", "mime", "author_name"] {
            assert!(reads(&page, column), "{column}: {page}");
        }
        for column in ["description", "tags", "path", "content_keywords", "public_token", "file_name", "sha256"] {
            assert!(!reads(&page, column), "a file list does not read {column}: {page}");
        }
        let file_node = &browsed["edges"][1]["node"];
        assert_eq!((file_node["name"].as_str(), file_node["creator"]["name"].as_str()), (Some("q1.txt"), Some("alice name")));
        assert_eq!(file_node["latestVersion"], json!({ "mime": "text/plain", "size": 11 }));

        answers_as_whole_rows_do(&app, &alice, &folder).await;
        let (whole, _) = children(&app, &alice, &folder, "description tags accessInfo { public { hasPassword } }").await;
        assert_eq!(whole["edges"][1]["node"], json!({ "description": "first quarter", "tags": ["money"], "accessInfo": { "public": { "hasPassword": true } } }));

        // Asking for what only whole rows carry, anywhere under the nodes, reads whole rows.
        for field in [
            "path { description }",
            "children { totalCount }",
            "... on Item { path { id } }",
            "sharedBy { id }",
        ] {
            let (_, page) = children(&app, &alice, &folder, field).await;
            assert!(reads(&page, "content_keywords") && reads(&page, "path"), "{field}: {page}");
        }
        // `nodes` and inline fragments name what they read as `edges { node }` does.
        app.record_sql();
        let listed = app.data(&alice,
            "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { children(first: 10) { totalCount nodes { ... on Item { name description } } } } }",
            json!({ "c": app.company.to_string(), "id": folder })).await;
        let sql = counted_page(&app);
        assert!(reads(&sql, "description") && !reads(&sql, "path"), "{sql}");
        assert_eq!(listed["item"]["children"]["nodes"][1], json!({ "name": "q1.txt", "description": "first quarter" }));
        let (page, sql) = children(&app, &alice, &folder, "latestVersion { contentKeywords }").await;
        assert!(reads(&sql, "content_keywords") && !reads(&sql, "description"), "{sql}");
        assert_eq!(page["edges"][1]["node"]["latestVersion"]["contentKeywords"], "quarter revenue");

        // REST answers every legacy field of a folder's children, but not their paths.
        app.record_sql();
        let (status, answer) = app.rest("GET", &format!("item/{folder}"), Some(&alice), None).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{answer}");
        let sql = app.recorded_sql().into_iter()
            .find(|statement| statement.contains("JOIN \"versions\"") && !statement.contains("RECURSIVE"))
            .expect("the page of children");
        for column in ["description", "tags", "content_keywords", "public_token", "file_name"] {
            assert!(reads(&sql, column), "REST reads {column}: {sql}");
        }
        assert!(!reads(&sql, "path"), "{sql}");
        let child = &answer["children"][1];
        assert_eq!((&child["description"], &child["tags"], &child["extension"]), (&json!("first quarter"), &json!(["money"]), &json!("txt")), "{answer}");
        let added = app.item(&alice, &file, "added").await["added"].clone();
        assert_eq!(child["added"], added, "{answer}");
        assert_eq!(answer["children"][1]["content_keywords"], "quarter revenue", "{answer}");

        // A link visitor's rows carry the public link its level depends on, and answer alike.
        let link = app.data(&alice,
            "mutation($c: ID!, $id: ID!) { updateItem(input: { companyId: $c, id: $id, publicLink: { level: READ } }) { item { accessInfo { public { token } } } } }",
            json!({ "c": app.company.to_string(), "id": folder })).await["updateItem"]["item"]["accessInfo"]["public"]["token"]
            .as_str().unwrap().to_owned();
        let (status, answer) = app.rest("POST", "anonymous/token", None, Some(json!({
            "company_id": app.company.to_string(), "document_id": folder, "token": link }))).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{answer}");
        let visitor = answer["access_token"]["value"].as_str().unwrap().to_owned();
        let (browsed, page) = children(&app, &visitor, &folder, "name viewerLevel").await;
        assert!(reads(&page, "public_token"), "{page}");
        assert_eq!(browsed["edges"][1]["node"], json!({ "name": "q1.txt", "viewerLevel": "READ" }));
        answers_as_whole_rows_do(&app, &visitor, &folder).await;
    }
}
