//! The change feed: every change once, in commit order, as each viewer may see it; removals
//! of what left their sight; gapless under concurrent writers; expired cursors answer 410.

use quire::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

const CHANGES: &str = "query($c: ID!, $after: String, $first: Int) { changes(companyId: $c, after: $after, first: $first) { edges { cursor node { kind itemId parentId at actor { id name } item { id name inTrash } } } pageInfo { hasNextPage endCursor } } }";
/// One page of the feed as `token` sees it.
async fn page(app: &TestApp, token: &str, after: Option<&str>, first: u64) -> Value {
    app.data(
        token,
        CHANGES,
        json!({ "c": app.company.to_string(), "after": after, "first": first }),
    )
    .await["changes"]
        .clone()
}

/// Everything the feed shows `token` after `after`, read page by page; and the cursor past it.
async fn follow(
    app: &TestApp,
    token: &str,
    mut after: Option<String>,
    first: u64,
) -> (Vec<Value>, String) {
    let mut seen = Vec::new();
    loop {
        let page = page(app, token, after.as_deref(), first).await;
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor is never null")
                .to_owned(),
        );
        if page["pageInfo"]["hasNextPage"] == false {
            return (seen, after.unwrap());
        }
    }
}

fn kinds(changes: &[Value]) -> Vec<&str> {
    changes
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect()
}

on_both_backends! {
    async fn the_feed_holds_every_change_once_in_commit_order_with_the_item_as_it_is_now(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let (_, start) = follow(&app, &ada, None, 100).await;
        let folder = app.create(&ada, "user_ada", "Folder", true).await;
        let other = app.create(&ada, "user_ada", "Other", true).await;
        let file = app.create_file(&ada, &folder, "a.txt", 3).await;
        app.update(&ada, &file, json!({ "name": "b.txt" })).await;
        app.update(&ada, &file, json!({ "parentId": other })).await;
        app.update(&ada, &file, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }, { "type": "FOLDER", "id": "parent", "level": "MANAGE" }] })).await;
        app.update(&ada, &file, json!({ "publicLink": { "level": "READ" } })).await;
        app.add_version(&ada, &file, b"second").await;
        app.update(&ada, &file, json!({ "inTrash": true })).await;
        app.update(&ada, &file, json!({ "inTrash": false })).await;
        app.update(&ada, &folder, json!({ "inTrash": true })).await;
        let delete = "mutation($input: ItemInput!) { deleteItem(input: $input) { deletedId } }";
        app.data(&ada, delete, json!({ "input": { "companyId": app.company.to_string(), "id": folder } })).await;

        let (changes, end) = follow(&app, &ada, Some(start), 100).await;
        assert_eq!(kinds(&changes), [
            "CREATED", "CREATED", "UPDATED", "MOVED", "ACCESS_CHANGED",
            "PUBLIC_LINK_CHANGED", "VERSION_ADDED", "TRASHED", "RESTORED", "TRASHED", "DELETED",
        ], "the folder, gone, is told as trashed and deleted");
        let file_changes: Vec<&Value> = changes.iter().filter(|c| c["itemId"] == json!(file)).collect();
        assert_eq!(file_changes.len(), 8);
        assert_eq!(changes[0]["itemId"], json!(other), "the folder's own creation is not told: it is gone");
        for change in &file_changes {
            // The item as it is now: renamed, in Other.
            assert_eq!(change["item"]["name"], "b.txt");
            assert_eq!(change["parentId"], json!(other));
            assert_eq!(change["actor"], json!({ "id": "ada", "name": "ada name" }));
        }
        let deleted = changes.last().unwrap();
        assert_eq!(deleted["itemId"], json!(folder));
        assert_eq!(deleted["item"], Value::Null, "a deleted folder comes as a removal");
        assert_eq!(deleted["parentId"], json!(app.global("user_ada")));
        // Read again from the end: nothing, and the same place; a new change comes once.
        let (again, same) = follow(&app, &ada, Some(end.clone()), 100).await;
        assert!(again.is_empty());
        app.update(&ada, &file, json!({ "description": "later" })).await;
        let (later, _) = follow(&app, &ada, Some(same), 100).await;
        assert_eq!(kinds(&later), ["UPDATED"]);
        // Pages of one give the same changes.
        let (one_by_one, _) = follow(&app, &ada, None, 1).await;
        let (all, _) = follow(&app, &ada, None, 1000).await;
        assert_eq!(one_by_one, all);
    }

    async fn each_viewer_sees_what_they_may_read_and_once_what_left_their_sight(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let bob = app.token("bob", Role::Member);
        let carol = app.token("carol", Role::Member);
        let shared = app.create(&ada, "user_ada", "Shared", true).await;
        let private = app.create(&ada, "user_ada", "Private", true).await;
        app.update(&ada, &shared, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        let (_, bob_start) = follow(&app, &bob, None, 100).await;
        let (_, carol_start) = follow(&app, &carol, None, 100).await;

        let seen_file = app.create_file(&ada, &shared, "seen.txt", 1).await;
        let hidden_file = app.create_file(&ada, &private, "hidden.txt", 1).await;
        app.update(&ada, &hidden_file, json!({ "name": "still-hidden.txt" })).await;
        // Moved out of bob's sight: once, as a removal.
        app.update(&ada, &seen_file, json!({ "parentId": private })).await;
        app.update(&ada, &seen_file, json!({ "name": "renamed-out-of-sight.txt" })).await;
        // Shared with bob directly, then unshared: he is told it left.
        let direct = app.create_file(&ada, &private, "direct.txt", 1).await;
        app.update(&ada, &direct, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        let unshare = "mutation($input: UnshareItemInput!) { unshareItem(input: $input) { item { id } } }";
        app.data(&ada, unshare, json!({ "input": { "companyId": app.company.to_string(), "id": direct, "type": "USER", "entityId": "bob" } })).await;

        let (changes, _) = follow(&app, &bob, Some(bob_start), 100).await;
        let summary: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c["kind"].as_str().unwrap(), c["itemId"].as_str().unwrap()))
            .collect();
        assert_eq!(summary, [
            // Created and moved out before he looked: once, where it left his sight.
            ("MOVED", seen_file.as_str()),
            // Shared with him and unshared: only the unsharing is his to know.
            ("ACCESS_CHANGED", &direct),
        ]);
        // What bob can no longer read comes with its id only (the create too: it is read now).
        assert!(changes.iter().all(|c| c["item"].is_null()), "nothing here is bob's to read any more: {changes:#?}");
        assert!(changes.iter().all(|c| c["actor"].is_null()), "who made what he cannot read is not his to know");
        assert_eq!(changes[0]["parentId"], json!(shared), "where it left his sight");
        assert_eq!(changes[1]["parentId"], Value::Null, "not where he cannot read");
        assert!(!changes.iter().any(|c| c["itemId"] == json!(hidden_file)), "never a change to what he never saw");
        let (carols, _) = follow(&app, &carol, Some(carol_start), 100).await;
        assert!(carols.is_empty(), "carol sees nothing of ada's drive: {carols:#?}");

        // Malformed arguments are 400.
        let bad = app.error_code(Some(&bob), CHANGES, json!({ "c": "nope", "first": 10 })).await;
        assert_eq!(bad, "BAD_USER_INPUT");
        for first in [0, 1001] {
            let code = app.error_code(Some(&bob), CHANGES, json!({ "c": app.company.to_string(), "first": first })).await;
            assert_eq!(code, "BAD_USER_INPUT", "first: {first}");
        }
        let code = app.error_code(Some(&bob), CHANGES, json!({ "c": app.company.to_string(), "after": "not-a-cursor" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
    }

    async fn what_was_never_seen_from_a_folder_is_never_told_to_its_readers(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let bob = app.token("bob", Role::Member);
        let shared = app.create(&ada, "user_ada", "Shared", true).await;
        app.update(&ada, &shared, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        // In bob's folder, but cut off from it: bob never reads it.
        let secret = app.create_file(&ada, &shared, "secret.txt", 1).await;
        let cut_off = json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }]);
        app.update(&ada, &secret, json!({ "access": cut_off })).await;
        // Bob once held `none` on this one: nothing to lose.
        let nothing_held = app.create_file(&ada, &shared, "nothing-held.txt", 1).await;
        app.update(&ada, &nothing_held, json!({ "access": [{ "type": "FOLDER", "id": "parent", "level": "NONE" }, { "type": "USER", "id": "bob", "level": "NONE" }] })).await;
        let (_, start) = follow(&app, &bob, None, 100).await;

        app.update(&ada, &secret, json!({ "name": "renamed.txt" })).await;
        app.add_version(&ada, &secret, b"more").await;
        app.update(&ada, &secret, json!({ "access": [{ "type": "FOLDER", "id": "parent", "level": "NONE" }, { "type": "USER", "id": "carol", "level": "READ" }] })).await;
        app.update(&ada, &secret, json!({ "inTrash": true })).await;
        app.update(&ada, &nothing_held, json!({ "access": cut_off })).await;
        let unshare = "mutation($input: UnshareItemInput!) { unshareItem(input: $input) { item { id } } }";
        app.data(&ada, unshare, json!({ "input": { "companyId": app.company.to_string(), "id": nothing_held, "type": "USER", "entityId": "bob" } })).await;
        // What he did read leaves his sight: told once, with where it was.
        let plain = app.create_file(&ada, &shared, "plain.txt", 1).await;
        app.update(&ada, &plain, json!({ "name": "renamed-plain.txt" })).await;
        app.update(&ada, &plain, json!({ "parentId": "user_ada" })).await;
        app.update(&ada, &plain, json!({ "name": "out-of-sight.txt" })).await;

        let (changes, _) = follow(&app, &bob, Some(start), 100).await;
        let told: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c["kind"].as_str().unwrap(), c["itemId"].as_str().unwrap()))
            .collect();
        assert_eq!(told, [("MOVED", plain.as_str())], "{changes:#?}");
        assert_eq!(changes[0]["parentId"], json!(shared));
        assert_eq!(changes[0]["actor"], Value::Null);
    }

    async fn a_link_visitor_sees_what_changed_but_not_who_changed_it(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let folder = app.create(&ada, "user_ada", "Published", true).await;
        let data = app
            .data(&ada, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
                json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "level": "READ" } } }))
            .await;
        let link = data["updateItem"]["item"]["accessInfo"]["public"]["token"].as_str().unwrap().to_owned();
        let visitor = crate::principals::visit(&app, &folder, &link).await;
        let (_, start) = follow(&app, &visitor, None, 100).await;
        let file = app.create_file(&ada, &folder, "news.txt", 1).await;
        let elsewhere = app.create_file(&ada, "user_ada", "private.txt", 1).await;

        let (changes, _) = follow(&app, &visitor, Some(start), 100).await;
        assert_eq!(kinds(&changes), ["CREATED"], "{changes:#?}");
        assert_eq!(changes[0]["itemId"], json!(file));
        assert_eq!(changes[0]["item"]["name"], "news.txt");
        assert_eq!(changes[0]["actor"], Value::Null, "a visitor sees no one's identity");
        assert!(!changes.iter().any(|c| c["itemId"] == json!(elsewhere)));
    }

    async fn a_change_to_the_shared_drive_list_shows_the_shared_drive_to_who_reads_it(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let (_, start) = follow(&app, &member, None, 100).await;
        let in_root = app.create(&admin, "root", "Team", true).await;
        // The Shared Drive's list gives bob read only: he still reads it, and what is in it.
        let company = app.company.to_string();
        app.update(&admin, "root", json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }, { "type": "COMPANY", "id": company, "level": "NONE" }] })).await;
        let (changes, end) = follow(&app, &member, Some(start), 100).await;
        let summary: Vec<(&str, &str)> = changes.iter().map(|c| (c["kind"].as_str().unwrap(), c["itemId"].as_str().unwrap())).collect();
        let root = app.global("root");
        assert_eq!(summary, [("CREATED", in_root.as_str()), ("ACCESS_CHANGED", root.as_str())], "{changes:#?}");
        assert_eq!(changes[1]["item"]["name"], "Shared Drive");
        assert_eq!(changes[1]["actor"]["id"], "ada");
        // Taken off it: he is told it left, with nothing of it.
        app.update(&admin, "root", json!({ "access": [{ "type": "COMPANY", "id": company, "level": "NONE" }] })).await;
        let (after, _) = follow(&app, &member, Some(end), 100).await;
        assert_eq!(after.len(), 1, "{after:#?}");
        assert_eq!((after[0]["kind"].as_str(), after[0]["itemId"].as_str()), (Some("ACCESS_CHANGED"), Some(root.as_str())));
        assert_eq!((after[0]["item"].clone(), after[0]["actor"].clone()), (Value::Null, Value::Null));
    }

    async fn a_page_costs_the_same_whatever_it_holds(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let bob = app.token("bob", Role::Member);
        let shared = app.create(&ada, "user_ada", "Shared", true).await;
        app.update(&ada, &shared, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        let (_, start) = follow(&app, &bob, None, 100).await;
        // What one page of the feed costs bob when it holds `n` more changes of each sort.
        let cost = |after: String| {
            let app = &app;
            let bob = bob.clone();
            async move {
                let before = app.statements();
                page(app, &bob, Some(&after), 1000).await;
                app.statements() - before
            }
        };
        let grow = |n: usize| {
            let (app, ada, shared) = (&app, ada.clone(), shared.clone());
            async move {
                for i in 0..n {
                    let file = app.create_file(&ada, &shared, &format!("f{i}.txt"), 1).await;
                    app.update(&ada, &file, json!({ "name": format!("g{i}.txt") })).await;
                    let private = app.create_file(&ada, "user_ada", &format!("p{i}.txt"), 1).await;
                    app.update(&ada, &private, json!({ "name": format!("q{i}.txt") })).await;
                    app.update(&ada, &file, json!({ "inTrash": true })).await;
                }
            }
        };
        grow(1).await;
        let small = cost(start.clone()).await;
        grow(20).await;
        let large = cost(start).await;
        assert_eq!(small, large, "statements for a page of 5 changes vs 105");
    }

    async fn readers_following_concurrent_writers_skip_and_repeat_nothing(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let (_, start) = follow(&app, &admin, None, 100).await;
        let mut folders = Vec::new();
        for n in 0..4 {
            folders.push(app.create(&admin, "root", &format!("F{n}"), true).await);
        }
        let writers = (0..16).map(|w| {
            let (app, admin, folder) = (&app, &admin, &folders[w % 4]);
            async move {
                let mut made = Vec::new();
                for n in 0..4 {
                    made.push(app.create(admin, folder, &format!("w{w}-{n}"), true).await);
                }
                made
            }
        });
        let reader = async {
            let mut seen = Vec::new();
            let mut after = start.clone();
            for _ in 0..40 {
                let (changes, end) = follow(&app, &admin, Some(after), 7).await;
                seen.extend(changes);
                after = end;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            (seen, after)
        };
        let (made, (mut seen, after)) = futures::future::join(futures::future::join_all(writers), reader).await;
        let (rest, _) = follow(&app, &admin, Some(after), 7).await;
        seen.extend(rest);
        let created: Vec<&str> = seen
            .iter()
            .filter(|c| c["kind"] == "CREATED")
            .map(|c| c["itemId"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = folders.iter().map(String::as_str).collect();
        expected.extend(made.iter().flatten().map(String::as_str));
        let mut sorted = created.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected, "every create exactly once");
    }

    async fn a_cursor_older_than_the_retention_is_gone_but_a_current_one_is_not(app: TestApp) {
        let ada = app.token("ada", Role::Member);
        let (_, start) = follow(&app, &ada, None, 100).await;
        let folder = app.create(&ada, "user_ada", "Old", true).await;
        let (old, current) = follow(&app, &ada, Some(start.clone()), 100).await;
        let first_cursor = page(&app, &ada, Some(&start), 1).await["edges"][0]["cursor"].as_str().unwrap().to_owned();
        assert_eq!(old.len(), 1);
        // The change is 31 days old.
        app.db.execute_unprepared("UPDATE changes SET at = at - CAST(2678400000 AS BIGINT)").await.unwrap();
        assert!(app.service.prune_changes().await.unwrap() >= 1);
        for expired in [&start, &first_cursor] {
            let code = app.error_code(Some(&ada), CHANGES, json!({ "c": app.company.to_string(), "after": expired })).await;
            assert_eq!(code, "CURSOR_EXPIRED");
        }
        // A client that was up to date keeps following.
        app.update(&ada, &folder, json!({ "name": "New" })).await;
        let (after_pruning, _) = follow(&app, &ada, Some(current), 100).await;
        assert_eq!(kinds(&after_pruning), ["UPDATED"]);
    }
}
