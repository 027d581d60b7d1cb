//! The operations a drive frontend runs (`tests/queries/*.graphql`, the files client code is
//! generated from), executed as they are against the real router.

use std::collections::BTreeSet;

use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// The text of `tests/queries/<name>.graphql`.
fn operation(name: &str, used: &mut BTreeSet<String>) -> String {
    used.insert(name.to_owned());
    let path = format!(
        "{}/tests/queries/{name}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn execute(
    app: &TestApp,
    token: &str,
    name: &str,
    variables: Value,
    used: &mut BTreeSet<String>,
) -> Value {
    app.data(token, &operation(name, used), variables).await
}

on_both_backends! {
    async fn a_frontend_session_runs_every_committed_operation(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let c = app.company.to_string();
        let mut used = BTreeSet::new();

        let folder = execute(&app, &alice, "CreateFolder", json!({ "companyId": c, "parentId": "user_alice", "name": "Reports" }), &mut used).await
            ["createItem"]["item"]["id"].as_str().unwrap().to_owned();
        let upload = operation("UploadFile", &mut used);
        let (_, answer) = crate::content::graphql_upload(&app, &alice, &upload,
            json!({ "companyId": c, "parentId": folder, "name": "q1.txt", "file": null }), "variables.file", b"quarter one", true).await;
        let file = answer["data"]["createItem"]["item"]["id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();

        let page = execute(&app, &alice, "BrowseFolder", json!({ "companyId": c, "id": folder, "first": 10, "sort": { "by": "NAME" } }), &mut used).await;
        assert_eq!(page["item"]["children"]["totalCount"], 1);
        assert_eq!(page["item"]["children"]["edges"][0]["node"]["latestVersion"]["size"], 11);

        execute(&app, &alice, "RenameItem", json!({ "companyId": c, "id": file, "name": "Q1.txt" }), &mut used).await;
        let details = execute(&app, &alice, "ItemDetails", json!({ "companyId": c, "id": file }), &mut used).await;
        assert_eq!(details["item"]["name"], "Q1.txt");
        assert_eq!(details["item"]["explainAccess"]["source"], "DRIVE_OWNER");
        assert_eq!(details["item"]["versions"]["totalCount"], 1);

        execute(&app, &alice, "ShareItem", json!({ "companyId": c, "id": file, "userId": "bob", "level": "READ" }), &mut used).await;
        let seen = execute(&app, &bob, "ItemDetails", json!({ "companyId": c, "id": file }), &mut used).await;
        assert_eq!(seen["item"]["explainAccess"]["source"], "ENTRY");

        let link = execute(&app, &alice, "SetPublicLink", json!({ "companyId": c, "id": folder, "level": "READ", "password": "pw", "expiration": 0 }), &mut used).await;
        assert_eq!(link["updateItem"]["item"]["accessInfo"]["public"]["hasPassword"], true);

        execute(&app, &alice, "SetTab", json!({ "companyId": c, "tabId": "t1", "channelId": "general", "itemId": folder, "level": "READ" }), &mut used).await;
        let tab = execute(&app, &alice, "GetTab", json!({ "companyId": c, "tabId": "t1" }), &mut used).await;
        assert_eq!(tab["tab"]["channelId"], "general");

        let moved = execute(&app, &alice, "MoveItem", json!({ "companyId": c, "id": file, "parentId": "user_alice" }), &mut used).await;
        assert_eq!(moved["updateItem"]["item"]["parentId"], app.global("user_alice"));
        let trashed = execute(&app, &alice, "TrashItem", json!({ "companyId": c, "id": file }), &mut used).await;
        assert_eq!(trashed["trashItem"]["item"]["inTrash"], true);
        let restored = execute(&app, &alice, "RestoreItem", json!({ "companyId": c, "id": file }), &mut used).await;
        assert_eq!(restored["restoreItem"]["item"]["inTrash"], false);

        // Every committed operation ran: a new one needs a place in this session.
        let committed: BTreeSet<String> = std::fs::read_dir(format!("{}/tests/queries", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .filter_map(|entry| entry.ok()?.path().file_stem()?.to_str().map(str::to_owned))
            .collect();
        assert_eq!(committed, used);
    }
}
