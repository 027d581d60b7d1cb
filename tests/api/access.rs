//! The access model: company roles, personal drives, the Shared Drive's own list, direct
//! shares, company and channel entries, inheritance and broken inheritance.

use quire::auth::Role;
use serde_json::json;

use crate::support::on_both_backends;

fn error(response: &serde_json::Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

on_both_backends! {
    async fn company_roles_on_the_shared_drive(app: TestApp) {
        let owner = app.token("olga", Role::Owner);
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let guest = app.token("gus", Role::Guest);
        let outsider = app.keys.mint_access("eve", &[], 60, None).unwrap();
        let folder = app.create(&admin, "root", "Team", true).await;
        assert_eq!(app.item(&owner, "root", "viewerLevel").await["viewerLevel"], "MANAGE");
        assert_eq!(app.item(&owner, &folder, "viewerLevel").await["viewerLevel"], "MANAGE");
        assert_eq!(app.item(&member, "root", "viewerLevel").await["viewerLevel"], "READ");
        assert_eq!(app.item(&member, &folder, "viewerLevel").await["viewerLevel"], "READ");
        assert_eq!(app.item(&member, "trash", "viewerLevel").await["viewerLevel"], "READ");
        for nobody in [&guest, &outsider] {
            assert_eq!(app.item_error(nobody, "root").await, "NOT_FOUND");
            assert_eq!(app.item_error(nobody, &folder).await, "NOT_FOUND");
            assert_eq!(app.item_error(nobody, "trash").await, "NOT_FOUND");
        }
    }

    async fn the_shared_drive_list_decides_what_members_get(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let c = app.company.to_string();
        // Members write: they may now add to the Shared Drive.
        let response = app.share(&admin, "root", json!([{ "type": "COMPANY", "id": c, "level": "WRITE" }])).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        app.create(&member, "root", "by-bob", true).await;
        // No company access: members see nothing, except what is shared with them.
        let response = app.share(&admin, "root", json!([{ "type": "COMPANY", "id": c, "level": "NONE" }, { "type": "USER", "id": "bob", "level": "READ" }])).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        assert_eq!(app.item(&member, "root", "viewerLevel").await["viewerLevel"], "READ");
        let carl = app.token("carl", Role::Member);
        assert_eq!(app.item_error(&carl, "root").await, "NOT_FOUND");
        // Only managers change it.
        assert_eq!(error(&app.share(&member, "root", json!([])).await), "FORBIDDEN");
    }

    async fn personal_drives_are_private(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&alice, "user_alice", "Private", true).await;
        let file = app.create_file(&alice, &folder, "secret.txt", 3).await;
        assert_eq!(app.item(&alice, "user_alice", "viewerLevel").await["viewerLevel"], "MANAGE");
        for id in ["user_alice", "trash_alice", folder.as_str(), file.as_str()] {
            assert_eq!(app.item_error(&admin, id).await, "NOT_FOUND", "{id}");
        }
        let created = app.graphql(
            Some(&admin),
            "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "parentId": "user_alice", "name": "x" } }),
        ).await;
        assert_eq!(error(&created), "NOT_FOUND");
        assert!(app.child_names(&alice, "user_alice").await == ["Private"]);
    }

    async fn direct_shares_and_inheritance(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&alice, "user_alice", "Project", true).await;
        let sub = app.create(&alice, &folder, "Sub", true).await;
        let file = app.create_file(&alice, &sub, "plan.txt", 7).await;
        assert_eq!(app.item_error(&bob, &file).await, "NOT_FOUND");

        let response = app.share(&alice, &folder, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "alice", "level": "MANAGE" },
            { "type": "USER", "id": "bob", "level": "READ" },
        ])).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        // Bob reads the folder and inherits read below it; his path starts at the share.
        let item = app.item(&bob, &file, "viewerLevel path { id }").await;
        assert_eq!(item["viewerLevel"], "READ");
        let ids: Vec<&str> = item["path"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [folder.as_str(), sub.as_str(), file.as_str()]);
        assert_eq!(app.child_names(&bob, &folder).await, ["Sub"]);
        assert_eq!(app.child_names(&bob, "shared_with_me").await, ["Project"]);
        // Read is not write: a refused rename changes nothing.
        let rename = app.graphql(
            Some(&bob),
            "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": file, "name": "mine.txt" } }),
        ).await;
        assert_eq!(error(&rename), "FORBIDDEN");
        assert_eq!(app.item(&alice, &file, "name").await["name"], "plan.txt");
        // Nor may a reader share.
        assert_eq!(error(&app.share(&bob, &file, json!([{ "type": "USER", "id": "bob", "level": "MANAGE" }])).await), "FORBIDDEN");
        // Write lets Bob rename and add, not trash or share.
        app.share(&alice, &folder, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "bob", "level": "WRITE" },
        ])).await;
        app.create(&bob, &sub, "bob.txt", false).await;
        let trash = app.graphql(
            Some(&bob),
            "mutation($i: ItemInput!) { trashItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": file } }),
        ).await;
        assert_eq!(error(&trash), "FORBIDDEN");
        // A share is not a way out of the owner's drive: Bob cannot read Alice's drive itself.
        assert_eq!(app.item_error(&bob, "user_alice").await, "NOT_FOUND");
    }

    async fn broken_inheritance_hides_what_is_not_shared_directly(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let member = app.token("bob", Role::Member);
        let carl = app.token("carl", Role::Member);
        let open = app.create(&admin, "root", "Open", true).await;
        let closed = app.create(&admin, &open, "Closed", true).await;
        let inside = app.create_file(&admin, &closed, "inside.txt", 1).await;
        app.create(&admin, &open, "Visible", true).await;
        let response = app.share(&admin, &closed, json!([
            { "type": "FOLDER", "id": "parent", "level": "NONE" },
            { "type": "USER", "id": "carl", "level": "READ" },
        ])).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        assert_eq!(app.child_names(&member, &open).await, ["Visible"]);
        assert_eq!(app.item_error(&member, &closed).await, "NOT_FOUND");
        assert_eq!(app.item_error(&member, &inside).await, "NOT_FOUND");
        let total = app.item(&member, &open, "children { totalCount }").await;
        assert_eq!(total["children"]["totalCount"], 1);
        // Carl is in the list; the admin sees everything in the Shared Drive.
        assert_eq!(app.child_names(&carl, &open).await, ["Closed", "Visible"]);
        assert_eq!(app.item(&carl, &inside, "viewerLevel").await["viewerLevel"], "READ");
        assert_eq!(app.item(&admin, &inside, "viewerLevel").await["viewerLevel"], "MANAGE");
        // The folder entry caps what is inherited.
        app.share(&admin, &closed, json!([{ "type": "FOLDER", "id": "parent", "level": "READ" }])).await;
        let writer = app.token("wendy", Role::Member);
        app.share(&admin, &open, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "wendy", "level": "WRITE" },
        ])).await;
        assert_eq!(app.item(&writer, &open, "viewerLevel").await["viewerLevel"], "WRITE");
        assert_eq!(app.item(&writer, &inside, "viewerLevel").await["viewerLevel"], "READ");
    }

    async fn company_entries_apply_to_members_not_guests(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let guest = app.token("gus", Role::Guest);
        let folder = app.create(&alice, "user_alice", "Handbook", true).await;
        let c = app.company.to_string();
        app.share(&alice, &folder, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "COMPANY", "id": c, "level": "READ" },
        ])).await;
        assert_eq!(app.item(&bob, &folder, "viewerLevel").await["viewerLevel"], "READ");
        assert_eq!(app.item_error(&guest, &folder).await, "NOT_FOUND");
        let info = app.item(&alice, &folder, "accessInfo { entities { type id level grantor } public { token level hasPassword } }").await;
        assert_eq!(info["accessInfo"]["entities"], json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE", "grantor": null },
            { "type": "COMPANY", "id": c, "level": "READ", "grantor": "alice" },
        ]));
        // A company entry must name this company; levels must be levels.
        let wrong = app.share(&alice, &folder, json!([{ "type": "COMPANY", "id": uuid::Uuid::new_v4().to_string(), "level": "READ" }])).await;
        assert_eq!(error(&wrong), "BAD_USER_INPUT");
        let wrong = app.share(&alice, &folder, json!([{ "type": "USER", "id": "bob", "level": "OWNER" }])).await;
        assert!(wrong["errors"][0]["message"].as_str().unwrap().contains("OWNER"), "{wrong:#}");
        assert_eq!(app.item(&bob, &folder, "viewerLevel").await["viewerLevel"], "READ");
    }

    async fn an_update_with_a_refused_access_change_changes_nothing(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&alice, "user_alice", "Doc", true).await;
        app.share(&alice, &folder, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "bob", "level": "WRITE" },
        ])).await;
        let update = "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }";
        let c = app.company.to_string();
        // A writer may rename but not grant themselves manage: neither happens.
        let response = app.graphql(Some(&bob), update, json!({ "i": { "companyId": c, "id": folder, "name": "Bob's",
            "access": [{ "type": "USER", "id": "bob", "level": "MANAGE" }] } })).await;
        assert_eq!(error(&response), "FORBIDDEN");
        // A bad entry refuses the rename that came with it.
        let response = app.graphql(Some(&alice), update, json!({ "i": { "companyId": c, "id": folder, "name": "Renamed",
            "access": [{ "type": "CHANNEL", "id": "bad channel", "level": "READ" }] } })).await;
        assert_eq!(error(&response), "BAD_USER_INPUT");
        assert_eq!(app.item(&alice, &folder, "name").await["name"], "Doc");
        assert_eq!(app.item(&bob, &folder, "viewerLevel").await["viewerLevel"], "WRITE");
        // The Shared Drive takes an access list and nothing else.
        let admin = app.token("ada", Role::Admin);
        let response = app.graphql(Some(&admin), update, json!({ "i": { "companyId": c, "id": "root", "name": "Mine" } })).await;
        assert_eq!(error(&response), "BAD_USER_INPUT");
    }

    async fn explain_access_says_which_grant_gives_the_level(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let shared = app.create(&admin, "root", "Team", true).await;
        let folder = app.create(&alice, "user_alice", "Project", true).await;
        let file = app.create(&alice, &folder, "plan.txt", false).await;
        app.share(&alice, &folder, json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "bob", "level": "WRITE" },
        ])).await;
        let explain = "explainAccess { level source grantedOnId inherited entityType entityId summary }";
        let of = |v: serde_json::Value| v["explainAccess"].clone();
        let e = of(app.item(&admin, &shared, explain).await);
        assert_eq!((e["level"].as_str(), e["source"].as_str(), e["inherited"].as_bool()), (Some("MANAGE"), Some("COMPANY_ROLE"), Some(false)));
        let e = of(app.item(&bob, &shared, explain).await);
        assert_eq!((e["level"].as_str(), e["source"].as_str(), e["inherited"].as_bool()), (Some("READ"), Some("SHARED_DRIVE"), Some(true)));
        let e = of(app.item(&alice, &file, explain).await);
        assert_eq!(e["source"], "DRIVE_OWNER");
        let e = of(app.item(&bob, &file, explain).await);
        assert_eq!(e["level"], "WRITE");
        assert_eq!(e["source"], "ENTRY");
        assert_eq!((e["entityType"].as_str(), e["entityId"].as_str()), (Some("USER"), Some("bob")));
        assert_eq!(e["grantedOnId"], folder.as_str());
        assert_eq!(e["inherited"], true);
        assert!(e["summary"].as_str().unwrap().contains(&folder), "{e}");
        let e = of(app.item(&bob, &folder, explain).await);
        assert_eq!(e["inherited"], false);
        assert_eq!(e["summary"], "write, through the user entry bob on the item itself");
    }

    async fn share_and_unshare_one_entry_at_a_time(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let carl = app.token("carl", Role::Member);
        let folder = app.create(&alice, "user_alice", "Notes", true).await;
        let c = app.company.to_string();
        let share = "mutation($i: ShareItemInput!) { shareItem(input: $i) { item { accessInfo { entities { type id level } } } } }";
        let unshare = "mutation($i: UnshareItemInput!) { unshareItem(input: $i) { item { id } } }";
        for user in ["bob", "carl"] {
            let data = app.data(&alice, share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": user, "level": "READ" } } })).await;
            assert!(data["shareItem"]["item"]["accessInfo"]["entities"].as_array().unwrap().iter().any(|e| e["id"] == user));
        }
        assert_eq!(app.item(&bob, &folder, "viewerLevel").await["viewerLevel"], "READ");
        // Sharing again changes the level; it adds no second entry.
        app.data(&alice, share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": "bob", "level": "WRITE" } } })).await;
        assert_eq!(app.item(&bob, &folder, "viewerLevel").await["viewerLevel"], "WRITE");
        let entries = app.item(&alice, &folder, "accessInfo { entities { id } }").await;
        assert_eq!(entries["accessInfo"]["entities"].as_array().unwrap().iter().filter(|e| e["id"] == "bob").count(), 1);
        // Only managers share; unsharing takes one entry away and leaves the others.
        let refused = app.graphql(Some(&bob), share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": "bob", "level": "MANAGE" } } })).await;
        assert_eq!(error(&refused), "FORBIDDEN");
        app.data(&alice, unshare, json!({ "i": { "companyId": c, "id": folder, "type": "USER", "entityId": "bob" } })).await;
        assert_eq!(app.item_error(&bob, &folder).await, "NOT_FOUND");
        assert_eq!(app.item(&carl, &folder, "viewerLevel").await["viewerLevel"], "READ");
    }

    async fn single_shares_stop_at_the_list_cap(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Crowded", true).await;
        let c = app.company.to_string();
        let full: Vec<_> = (0..1000).map(|i| json!({ "type": "USER", "id": format!("u{i}"), "level": "READ" })).collect();
        assert!(app.share(&alice, &folder, json!(full)).await.get("errors").is_none());
        let listed = || async {
            let entries = app.item(&alice, &folder, "accessInfo { entities { type id level } }").await;
            entries["accessInfo"]["entities"].as_array().unwrap().clone()
        };
        let before = listed().await.len();
        assert!(before >= 1000, "{before}");
        let share = "mutation($i: ShareItemInput!) { shareItem(input: $i) { item { id } } }";
        let one_more = app.graphql(Some(&alice), share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": "u1000", "level": "READ" } } })).await;
        assert_eq!(error(&one_more), "BAD_USER_INPUT");
        // An entry already on the list still changes level.
        app.data(&alice, share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": "u7", "level": "WRITE" } } })).await;
        let entries = listed().await;
        assert_eq!(entries.len(), before);
        assert!(entries.iter().all(|e| e["id"] != "u1000"));
        assert!(entries.iter().any(|e| e["id"] == "u7" && e["level"] == "WRITE"));
        // A full list, its folder entry included, writes back as it reads.
        let written = app.share(&alice, &folder, json!(entries)).await;
        assert!(written.get("errors").is_none(), "{written}");
        assert_eq!(listed().await.len(), before);
    }

    async fn concurrent_shares_all_land(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Team", true).await;
        let c = app.company.to_string();
        let share = "mutation($i: ShareItemInput!) { shareItem(input: $i) { item { id } } }";
        let users: Vec<String> = (0..16).map(|i| format!("user-{i}")).collect();
        let shares = users.iter().map(|user| {
            app.data(&alice, share, json!({ "i": { "companyId": c, "id": folder, "entity": { "type": "USER", "id": user, "level": "READ" } } }))
        });
        futures::future::join_all(shares).await;
        let entries = app.item(&alice, &folder, "accessInfo { entities { id } }").await;
        let ids: Vec<&str> = entries["accessInfo"]["entities"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        for user in &users {
            assert!(ids.contains(&user.as_str()), "{user} was shared but is missing: {ids:?}");
        }
    }

    // The entries on a page's items come in one statement: on PostgreSQL from 17 items on
    // as one array (`access::on_items`). Pages of 16 and 17 children give each child the
    // same level and entries.
    async fn a_long_page_gives_each_child_its_own_entries(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&alice, "user_alice", "Team", true).await;
        let shared = |level: &str| json!([
            { "type": "FOLDER", "id": "parent", "level": "MANAGE" },
            { "type": "USER", "id": "bob", "level": level },
        ]);
        app.share(&alice, &folder, shared("READ")).await;
        let mut files = Vec::new();
        for n in 0..17 {
            files.push(app.create(&alice, &folder, &format!("f{n:02}.txt"), false).await);
        }
        let response = app.share(&alice, &files[3], shared("WRITE")).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        let page = |first: usize| {
            let query = format!("query($c: ID!, $id: ID!) {{ item(companyId: $c, id: $id) {{
                children(first: {first}) {{ edges {{ node {{ name viewerLevel accessInfo {{ entities {{ type id level }} }} }} }} }} }} }}");
            let (app, bob, folder) = (&app, &bob, &folder);
            async move {
                let data = app.data(bob, &query, json!({ "c": app.company.to_string(), "id": folder })).await;
                data["item"]["children"]["edges"].as_array().unwrap().clone()
            }
        };
        let (short, long) = (page(16).await, page(17).await);
        assert_eq!((short.len(), long.len()), (16, 17));
        assert_eq!(&long[..16], &short[..]);
        for (n, edge) in long.iter().enumerate() {
            let node = &edge["node"];
            assert_eq!(node["name"], format!("f{n:02}.txt"));
            let bob_writes = node["accessInfo"]["entities"].as_array().unwrap().iter()
                .any(|entry| entry == &json!({ "type": "USER", "id": "bob", "level": "WRITE" }));
            assert_eq!((node["viewerLevel"].as_str(), bob_writes), if n == 3 { (Some("WRITE"), true) } else { (Some("READ"), false) }, "{node}");
            // As the item read alone (its entries and its folders', a short list) says.
            let alone = app.item(&bob, &files[n], "name viewerLevel accessInfo { entities { type id level } }").await;
            assert_eq!(node, &alone, "{n}");
        }
        // Of two children that inherit nothing, Bob sees the one an entry shares with him
        // (`EXISTS` on its own entries), not the other: in the rows and in the count.
        let hidden = app.create(&alice, &folder, "hidden.txt", false).await;
        app.share(&alice, &hidden, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }])).await;
        let kept = app.create(&alice, &folder, "kept.txt", false).await;
        app.share(&alice, &kept, json!([
            { "type": "FOLDER", "id": "parent", "level": "NONE" },
            { "type": "USER", "id": "bob", "level": "READ" },
        ])).await;
        let listed = app.item(&bob, &folder, "children(first: 50) { totalCount nodes { name } }").await;
        let names: Vec<&str> = listed["children"]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!((names.len(), listed["children"]["totalCount"].as_u64()), (18, Some(18)), "{names:?}");
        assert!(names.contains(&"kept.txt") && !names.contains(&"hidden.txt"), "{names:?}");
        assert_eq!(app.child_names(&alice, &folder).await.len(), 19);
    }
}
