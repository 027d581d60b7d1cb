//! Versions: the item follows its newest version; history is newest first.

use quire::auth::Role;
use serde_json::json;

use crate::support::on_both_backends;

const CREATE_VERSION: &str = "mutation($i: CreateVersionInput!) { createVersion(input: $i) { version { id size fileName creatorId } item { size lastModified latestVersion { id } } } }";

on_both_backends! {
    async fn new_versions_lead_and_history_is_newest_first(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let file = app.create_file(&alice, "user_alice", "report.txt", 10).await;
        let before = app.item(&alice, &file, "lastModified").await["lastModified"].as_i64().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let mut ids = Vec::new();
        for size in [20, 30] {
            let data = app.graphql_upload(Some(&alice), CREATE_VERSION, json!({ "i": {
                "companyId": app.company.to_string(), "itemId": file,
                "version": { "fileName": "report.txt", "mime": "text/plain" }, "file": null,
            }}), "variables.i.file", &vec![b'v'; size]).await;
            assert!(data.get("errors").is_none(), "{data:#}");
            let created = &data["data"]["createVersion"];
            assert_eq!(created["item"]["size"], size);
            assert_eq!(created["item"]["latestVersion"]["id"], created["version"]["id"]);
            assert_eq!(created["version"]["creatorId"], "alice");
            assert!(created["item"]["lastModified"].as_i64().unwrap() > before);
            ids.push(created["version"]["id"].as_str().unwrap().to_owned());
        }
        let item = app.item(&alice, &file, "versions { totalCount edges { node { id size } } }").await;
        let sizes: Vec<i64> = item["versions"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["size"].as_i64().unwrap()).collect();
        assert_eq!(sizes, [30, 20, 10]);
        assert_eq!(item["versions"]["totalCount"], 3);
        assert_eq!(item["versions"]["edges"][0]["node"]["id"], ids[1].as_str());
    }

    async fn versions_are_refused_for_folders_readers_and_without_content(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&alice, "user_alice", "Dir", true).await;
        let file = app.create_file(&alice, &folder, "f.txt", 1).await;
        let code = |r: serde_json::Value| r["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>").to_owned();
        let response = app.graphql(Some(&alice), CREATE_VERSION, json!({ "i": { "companyId": app.company.to_string(), "itemId": folder, "version": {} } })).await;
        assert_eq!(code(response), "BAD_USER_INPUT");
        let response = app.graphql(Some(&bob), CREATE_VERSION, json!({ "i": { "companyId": app.company.to_string(), "itemId": file, "version": {} } })).await;
        assert_eq!(code(response), "NOT_FOUND");
        let response = app.graphql(Some(&alice), CREATE_VERSION, json!({ "i": { "companyId": app.company.to_string(), "itemId": file, "version": { "fileName": "claims.txt" } } })).await;
        assert_eq!(code(response), "BAD_USER_INPUT", "a version without content");
        let response = app.graphql(Some(&alice), CREATE_VERSION, json!({ "i": { "companyId": app.company.to_string(), "itemId": file, "version": { "size": 1000 } } })).await;
        assert!(response["errors"][0]["message"].as_str().unwrap().contains("size"), "no size is taken from the client: {response:#}");
        let item = app.item(&alice, &file, "size versions { totalCount }").await;
        assert_eq!(item, json!({ "size": 1, "versions": { "totalCount": 1 } }));
        assert_eq!(app.item(&alice, &folder, "size").await["size"], 1);
    }
}
