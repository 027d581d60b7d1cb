//! What a query costs in SQL statements does not grow with what it returns.

use quire::auth::Role;
use quire::domain::ItemRef;
use quire::domain::inputs::{CreateItem, NewVersion};
use serde_json::json;

use crate::support::{TestApp, on_both_backends};

const FOLDER_WITH_CHILDREN: &str = "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { name path { id } children(first: 1000) { totalCount edges { node { id name size viewerLevel creator { id name } latestVersion { id size mime } } } } } }";

/// A folder with `n` files (each with a version), seeded through the service layer.
async fn folder_of(app: &TestApp, token: &str, n: usize) -> String {
    let viewer = app.keys.verify_access(token).unwrap();
    let folder = app
        .create(token, "root", &format!("folder-{n}"), true)
        .await;
    let parent = ItemRef::parse(&folder).unwrap();
    for i in 0..n {
        let input = CreateItem {
            parent: parent.clone(),
            name: format!("file-{i}.txt"),
            is_directory: false,
            description: String::new(),
            tags: Vec::new(),
            version: Some(NewVersion {
                file_name: format!("file-{i}.txt"),
                mime: "text/plain".into(),
                ..Default::default()
            }),
        };
        app.service
            .create_item(&viewer, app.company, input)
            .await
            .unwrap();
    }
    folder
}

async fn cost(app: &TestApp, token: &str, query: &str, id: &str) -> (usize, serde_json::Value) {
    let before = app.statements();
    let data = app
        .data(
            token,
            query,
            json!({ "c": app.company.to_string(), "id": id }),
        )
        .await;
    (app.statements() - before, data)
}

/// The statements of a folder listing with each child's latest version, creator and the
/// viewer's level: the folder's row with its ancestors; the entries on them; the children's
/// page (with their latest versions and creators, the count riding along); the entries on the
/// children.
const LISTING_STATEMENTS: usize = 4;

on_both_backends! {
    async fn a_folder_listing_costs_the_same_for_20_and_500_children(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let small = folder_of(&app, &admin, 20).await;
        let large = folder_of(&app, &admin, 500).await;
        for token in [&admin, &member] {
            let (small_cost, data) = cost(&app, token, FOLDER_WITH_CHILDREN, &small).await;
            assert_eq!(data["item"]["children"]["totalCount"], 20);
            let (large_cost, data) = cost(&app, token, FOLDER_WITH_CHILDREN, &large).await;
            assert_eq!(data["item"]["children"]["edges"].as_array().unwrap().len(), 500);
            assert_eq!(data["item"]["children"]["edges"][499]["node"]["latestVersion"]["size"], 0, "files made without bytes are empty");
            assert_eq!(data["item"]["children"]["edges"][0]["node"]["creator"]["name"], "ada name");
            assert_eq!(small_cost, large_cost, "statements for 20 vs 500 children");
            assert_eq!(large_cost, LISTING_STATEMENTS);
        }
    }

    async fn a_page_without_total_count_counts_nothing_and_still_knows_what_follows(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = folder_of(&app, &admin, 5).await;
        let page = |first: usize| format!(
            "query($c: ID!, $id: ID!) {{ item(companyId: $c, id: $id) {{ name path {{ id }} \
             children(first: {first}) {{ pageInfo {{ hasNextPage }} edges {{ node {{ id name size \
             viewerLevel creator {{ id name }} latestVersion {{ id size mime }} }} }} }} }} }}"
        );
        let (cost_of_4, data) = cost(&app, &admin, &page(4), &folder).await;
        assert_eq!(data["item"]["children"]["edges"].as_array().unwrap().len(), 4);
        assert_eq!(data["item"]["children"]["pageInfo"]["hasNextPage"], true);
        let (cost_of_5, data) = cost(&app, &admin, &page(5), &folder).await;
        assert_eq!(data["item"]["children"]["edges"].as_array().unwrap().len(), 5);
        assert_eq!(data["item"]["children"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(cost_of_4, LISTING_STATEMENTS);
        assert_eq!(cost_of_5, LISTING_STATEMENTS);
    }

    async fn reading_a_deep_item_with_its_path_costs_the_same_at_any_depth(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let mut parent = "root".to_owned();
        let mut chain = Vec::new();
        for depth in 0..20 {
            parent = app.create(&admin, &parent, &format!("level-{depth}"), true).await;
            chain.push(parent.clone());
        }
        let query = "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { name viewerLevel path { id name } } }";
        let (shallow, _) = cost(&app, &admin, query, &chain[1]).await;
        let (deep, data) = cost(&app, &admin, query, &chain[19]).await;
        assert_eq!(data["item"]["path"].as_array().unwrap().len(), 21);
        assert_eq!(shallow, deep);
        assert_eq!(deep, 2, "the row with its ancestors, the entries on them");
    }

    async fn rest_reads_cost_three_statements_for_a_file_and_four_for_a_folder_at_any_depth(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let mut parent = "root".to_owned();
        let mut places = Vec::new();
        for depth in 0..12 {
            parent = app.create(&admin, &parent, &format!("level-{depth}"), true).await;
            if depth == 0 || depth == 11 {
                places.push(parent.clone());
            }
        }
        for place in &places {
            let file = app.create_file(&admin, place, "note.txt", 3).await;
            let folder = app.create(&admin, place, "full", true).await;
            for i in 0..100 {
                app.create_file(&admin, &folder, &format!("f{i}.txt"), 1).await;
            }
            for token in [&admin, &member] {
                let before = app.statements();
                let (status, body) = app.rest("GET", &format!("item/{file}"), Some(token), None).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["versions"].as_array().unwrap().len(), 1);
                assert_eq!(body["item"]["last_version_cache"]["file_metadata"]["size"], 3);
                assert_eq!(app.statements() - before, 3, "a file: the row with its ancestors, the entries, the versions");
                let before = app.statements();
                let (status, body) = app.rest("GET", &format!("item/{folder}"), Some(token), None).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["children"].as_array().unwrap().len(), 100);
                assert_eq!(app.statements() - before, 4, "a folder: its row with its ancestors, the entries, the children, their entries");
            }
        }
    }

    async fn a_download_token_costs_the_same_for_2_and_20_items(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(app.create(&admin, "root", &format!("f{i}"), false).await);
        }
        let query = "query($c: ID!, $items: [ID!]!) { downloadToken(companyId: $c, items: $items) }";
        let mut costs = Vec::new();
        for n in [2, 20] {
            let before = app.statements();
            app.data(&admin, query, json!({ "c": app.company.to_string(), "items": ids[..n] })).await;
            costs.push(app.statements() - before);
        }
        assert_eq!(costs[0], costs[1], "statements for 2 vs 20 items");
    }
}
