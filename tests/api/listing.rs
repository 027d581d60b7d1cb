//! A page of children whose nodes ask only for what a file list shows reads fewer columns
//! (`Detail::Listing`), and answers exactly as the whole rows do.

use quire::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// Every field a listing row answers (`graphql/listing.rs`), through a fragment.
const LISTED: &str = "
    fragment Listed on Item {
        __typename id revision etag companyId parentId name isDirectory isInTrash inTrash scope
        lastModified size viewerLevel searchStatus downloadUrl
        accessInfo { entities { type id level grantor } public { token level expiration hasPassword } }
        creator { __typename id name email }
        latestVersion {
            __typename id itemId provider fileName mime size sha256 externalId creatorId
            applicationId downloadUrl searchStatus dateAdded
        }
    }";

async fn children(app: &TestApp, token: &str, folder: &str, extra: &str) -> (Value, Vec<String>) {
    let query = format!(
        "query($c: ID!, $id: ID!) {{ item(companyId: $c, id: $id) {{
            children(first: 10) {{ totalCount edges {{ cursor node {{ ...Listed {extra} }} }} nodes {{ id }} }}
        }} }} {LISTED}"
    );
    app.record_sql();
    let data = app
        .data(
            token,
            &query,
            json!({ "c": app.company.to_string(), "id": folder }),
        )
        .await;
    (data["item"]["children"].clone(), app.recorded_sql())
}

/// Whether the page's statement (the first that counts its listing) reads `column`.
fn reads(sql: &[String], column: &str) -> bool {
    let page = sql
        .iter()
        .find(|statement| statement.contains("listing_total"))
        .expect("a counted page");
    page.contains(&format!("\"{column}\""))
}

on_both_backends! {
    async fn a_listing_reads_fewer_columns_and_answers_as_whole_rows_do(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Reports", true).await;
        let file = app.create_file(&alice, &folder, "q1.txt", 11).await;
        app.update(&alice, &file, json!({ "description": "first quarter", "tags": ["money"] })).await;
        app.data(&alice,
            "mutation($c: ID!, $id: ID!) { updateItem(input: { companyId: $c, id: $id, publicLink: { level: READ, password: \"pw\" } }) { item { id } } }",
            json!({ "c": app.company.to_string(), "id": file })).await;
        app.create(&alice, &folder, "Drafts", true).await;
        app.db.execute_unprepared("UPDATE versions SET content_keywords = 'quarter revenue'").await.unwrap();

        let (listed, sql) = children(&app, &alice, &folder, "").await;
        assert!(reads(&sql, "mime") && !reads(&sql, "content_keywords") && !reads(&sql, "description"),
            "a listing leaves out the columns it does not answer: {sql:#?}");
        let (whole, sql) = children(&app, &alice, &folder, "description tags extension added").await;
        assert!(reads(&sql, "content_keywords") && reads(&sql, "description"), "{sql:#?}");

        // Every listed field reads the same from either row; the others are really read.
        let mut trimmed = whole.clone();
        for edge in trimmed["edges"].as_array_mut().unwrap() {
            let node = edge["node"].as_object_mut().unwrap();
            for field in ["description", "tags", "extension", "added"] {
                node.remove(field).expect("asked for");
            }
        }
        assert_eq!(listed, trimmed);
        assert_eq!(listed["totalCount"], 2);
        let file_node = &whole["edges"][1]["node"];
        assert_eq!((file_node["name"].as_str(), file_node["description"].as_str()), (Some("q1.txt"), Some("first quarter")));
        assert_eq!(file_node["tags"], json!(["money"]));
        assert_eq!(listed["edges"][1]["node"]["accessInfo"]["public"]["hasPassword"], true);
        assert_eq!(listed["edges"][1]["node"]["latestVersion"]["size"], 11);

        // Asking for what a listing leaves out, anywhere under the nodes, reads whole rows.
        for extra in [
            "latestVersion { contentKeywords }",
            "path { description }",
            "children { totalCount }",
            "... on Item { tags }",
        ] {
            let (_, sql) = children(&app, &alice, &folder, extra).await;
            assert!(reads(&sql, "content_keywords"), "{extra}: {sql:#?}");
        }
        let (page, _) = children(&app, &alice, &folder, "latestVersion { contentKeywords }").await;
        assert_eq!(page["edges"][1]["node"]["latestVersion"]["contentKeywords"], "quarter revenue");
    }
}
