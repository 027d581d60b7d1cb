//! Trash, restore and delete for good, with folder sizes kept right throughout.

use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

async fn act(app: &TestApp, token: &str, mutation: &str, id: &str) -> Value {
    let query = format!("mutation($i: ItemInput!) {{ {mutation}(input: $i) {{ __typename }} }}");
    app.graphql(
        Some(token),
        &query,
        json!({ "i": { "companyId": app.company.to_string(), "id": id } }),
    )
    .await
}

fn ok(response: &Value) {
    assert!(response.get("errors").is_none(), "{response:#}");
}

async fn size(app: &TestApp, token: &str, id: &str) -> i64 {
    app.item(token, id, "size").await["size"].as_i64().unwrap()
}

on_both_backends! {
    async fn folder_sizes_follow_every_change(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let a = app.create(&admin, "root", "A", true).await;
        let b = app.create(&admin, &a, "B", true).await;
        let c = app.create(&admin, &b, "C", true).await;
        let f1 = app.create_file(&admin, &c, "one", 100).await;
        app.create_file(&admin, &b, "two", 20).await;
        assert_eq!((size(&app, &admin, &a).await, size(&app, &admin, &b).await, size(&app, &admin, &c).await), (120, 120, 100));
        assert_eq!(size(&app, &admin, "root").await, 120);
        app.add_version(&admin, &f1, &[b'v'; 40]).await;
        assert_eq!((size(&app, &admin, &a).await, size(&app, &admin, &c).await), (60, 40));
        ok(&act(&app, &admin, "trashItem", &c).await);
        assert_eq!((size(&app, &admin, &a).await, size(&app, &admin, &b).await), (20, 20));
        assert_eq!(size(&app, &admin, &c).await, 40, "a trashed folder keeps its own size");
        ok(&act(&app, &admin, "restoreItem", &c).await);
        assert_eq!(size(&app, &admin, &a).await, 60);
    }

    async fn trash_listings_split_shared_and_personal(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let alice = app.token("alice", Role::Member);
        let shared = app.create(&admin, "root", "shared.txt", false).await;
        let mine = app.create(&alice, "user_alice", "mine.txt", false).await;
        ok(&act(&app, &admin, "trashItem", &shared).await);
        ok(&act(&app, &alice, "trashItem", &mine).await);
        assert_eq!(app.child_names(&admin, "trash").await, ["shared.txt"]);
        assert_eq!(app.child_names(&alice, "trash").await, ["shared.txt"]);
        assert_eq!(app.child_names(&alice, "trash_alice").await, ["mine.txt"]);
        assert_eq!(app.item_error(&admin, "trash_alice").await, "NOT_FOUND");
        assert!(app.child_names(&admin, "root").await.is_empty());
        assert!(app.child_names(&alice, "user_alice").await.is_empty());
        let item = app.item(&alice, &mine, "isInTrash inTrash").await;
        assert_eq!(item, json!({ "isInTrash": true, "inTrash": true }));
        // A member may not trash what they only read.
        let other = app.create(&admin, "root", "keep.txt", false).await;
        assert_eq!(act(&app, &alice, "trashItem", &other).await["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert_eq!(app.child_names(&admin, "root").await, ["keep.txt"]);
    }

    async fn restore_puts_items_back_or_on_top_of_their_drive(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Folder", true).await;
        let inner = app.create(&alice, &folder, "inner.txt", false).await;
        app.create(&alice, "user_alice", "inner.txt", false).await;
        ok(&act(&app, &alice, "trashItem", &folder).await);
        assert_eq!(app.item(&alice, &inner, "inTrash isInTrash").await, json!({ "inTrash": true, "isInTrash": false }));
        // The folder is in the trash: its child comes back at the top of the drive, renamed.
        ok(&act(&app, &alice, "restoreItem", &inner).await);
        let item = app.item(&alice, &inner, "name parentId inTrash").await;
        assert_eq!(item, json!({ "name": "inner-2.txt", "parentId": app.global("user_alice"), "inTrash": false }));
        ok(&act(&app, &alice, "restoreItem", &folder).await);
        assert_eq!(app.item(&alice, &folder, "parentId inTrash").await, json!({ "parentId": app.global("user_alice"), "inTrash": false }));
        let mut names = app.child_names(&alice, "user_alice").await;
        names.sort();
        assert_eq!(names, ["Folder", "inner-2.txt", "inner.txt"]);
    }

    async fn delete_for_good_only_from_the_trash_and_takes_everything_below(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Old", true).await;
        let sub = app.create(&admin, &folder, "Sub", true).await;
        let file = app.create_file(&admin, &sub, "f.txt", 5).await;
        let early = app.create_file(&admin, &folder, "early.txt", 5).await;
        ok(&act(&app, &admin, "trashItem", &early).await);
        let refused = act(&app, &admin, "deleteItem", &folder).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(size(&app, &admin, &folder).await, 5);
        ok(&act(&app, &admin, "trashItem", &folder).await);
        let deleted = app.data(&admin, "mutation($i: ItemInput!) { deleteItem(input: $i) { deletedId } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder } })).await;
        assert_eq!(deleted["deleteItem"]["deletedId"], folder.as_str());
        for id in [&folder, &sub, &file, &early] {
            assert_eq!(app.item_error(&admin, id).await, "NOT_FOUND");
        }
        assert!(app.child_names(&admin, "trash").await.is_empty());
    }

    async fn deleting_inside_a_trashed_folder_fixes_its_size(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Box", true).await;
        let file = app.create_file(&admin, &folder, "f.txt", 9).await;
        app.create_file(&admin, &folder, "g.txt", 1).await;
        ok(&act(&app, &admin, "trashItem", &folder).await);
        ok(&act(&app, &admin, "deleteItem", &file).await);
        assert_eq!(size(&app, &admin, &folder).await, 1);
        ok(&act(&app, &admin, "restoreItem", &folder).await);
        assert_eq!(size(&app, &admin, "root").await, 1);
    }
}

on_both_backends! {
    async fn a_members_trash_is_paged_in_windows_without_gaps_or_strangers(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let mut visible = Vec::new();
        for n in 0..300 {
            let name = format!("n{n:03}");
            let id = app.create(&admin, "root", &name, true).await;
            if n % 2 == 1 {
                // Only ada may see it: no folder entry, nothing inherited.
                ok(&app.share(&admin, &id, json!([{ "type": "USER", "id": "ada", "level": "MANAGE" }])).await);
            } else {
                visible.push(name);
            }
            ok(&act(&app, &admin, "trashItem", &id).await);
        }
        let query = "query($c: ID!, $after: String) { item(companyId: $c, id: \"trash\") { children(first: 40, after: $after, sort: {by: NAME}) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = app.data(&member, query, json!({ "c": app.company.to_string(), "after": after })).await;
            let children = &data["item"]["children"];
            assert_eq!(children["totalCount"], 150);
            seen.extend(children["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()));
            if !children["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = children["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, visible);
    }
}
