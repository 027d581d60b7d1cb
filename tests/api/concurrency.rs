//! Concurrent writers never see a 500: movers, renamers and versioners of one subtree, and
//! replacements of one access list, all at once, on both backends.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::Role;
use serde_json::{Value, json};

use crate::support::{Part, TestApp, multipart, on_both_backends};

/// What each folder's size should be: the files under it outside the trash.
async fn assert_sizes_are_exact(app: &TestApp, token: &str, folders: &[&String]) {
    for folder in folders {
        let item = app
            .item(
                token,
                folder,
                "size children(first: 1000) { edges { node { id isDirectory size } } }",
            )
            .await;
        let mut expected = 0;
        for edge in item["children"]["edges"].as_array().unwrap() {
            expected += edge["node"]["size"].as_i64().unwrap();
        }
        assert_eq!(item["size"].as_i64().unwrap(), expected, "folder {folder}");
    }
}

on_both_backends! {
    async fn concurrent_movers_renamers_and_versioners_never_see_a_500(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let a = app.create(&admin, "root", "A", true).await;
        let b = app.create(&admin, &a, "B", true).await;
        let c = app.create(&admin, &b, "C", true).await;
        let elsewhere = app.create(&admin, "root", "Elsewhere", true).await;
        let mut files = Vec::new();
        for n in 0..4 {
            files.push(app.create_file(&admin, &c, &format!("f{n}.txt"), 10 + n).await);
        }
        let company = app.company;
        let documents = format!("/internal/services/documents/v1/companies/{company}");
        let mut requests = Vec::new();
        for round in 0..3 {
            for writer in 0..16 {
                let file = &files[writer % files.len()];
                let request = match writer % 4 {
                    // Move the folder holding the files back and forth: its subtree moves.
                    0 => {
                        let target = if (round + writer) % 2 == 0 { &elsewhere } else { &a };
                        let body = json!({ "parent_id": target }).to_string();
                        Request::post(format!("{documents}/item/{b}")).header("content-type", "application/json").body(Body::from(body))
                    }
                    1 => {
                        let body = json!({ "name": format!("renamed-{round}-{writer}.txt") }).to_string();
                        Request::post(format!("{documents}/item/{file}")).header("content-type", "application/json").body(Body::from(body))
                    }
                    2 => {
                        let content = vec![b'v'; 100 + round * 16 + writer];
                        let (content_type, body) = multipart(&[Part::file("file", "v.txt", "text/plain", &content)]);
                        Request::post(format!("{documents}/item/{file}/version")).header("content-type", content_type).body(Body::from(body))
                    }
                    _ => {
                        let target = if writer % 8 == 3 { &elsewhere } else { &c };
                        let body = json!({ "parent_id": target }).to_string();
                        Request::post(format!("{documents}/item/{file}")).header("content-type", "application/json").body(Body::from(body))
                    }
                };
                requests.push(request.unwrap());
            }
        }
        let mut statuses = Vec::new();
        for batch in requests.chunks_mut(16) {
            let sends = batch.iter_mut().map(|request| {
                let mut taken = Request::new(Body::empty());
                std::mem::swap(request, &mut taken);
                let (mut parts, body) = taken.into_parts();
                parts.headers.insert("authorization", format!("Bearer {admin}").parse().unwrap());
                app.send(Request::from_parts(parts, body))
            });
            statuses.extend(futures::future::join_all(sends).await.into_iter().map(|(status, body, _)| (status, String::from_utf8_lossy(&body).into_owned())));
        }
        let failures: Vec<_> = statuses.iter().filter(|(status, _)| *status != StatusCode::OK).collect();
        assert!(failures.is_empty(), "every concurrent write succeeds: {failures:?}");
        assert_sizes_are_exact(&app, &admin, &[&a, &b, &c, &elsewhere]).await;
        let root = app.item(&admin, "root", "size").await["size"].as_i64().unwrap();
        let a_size = app.item(&admin, &a, "size").await["size"].as_i64().unwrap();
        let e_size = app.item(&admin, &elsewhere, "size").await["size"].as_i64().unwrap();
        assert_eq!(root, a_size + e_size, "the Shared Drive counts both folders");
    }

    async fn concurrent_access_list_replacements_never_see_a_500(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Shared", true).await;
        let replacements = (0..48).map(|n| {
            let body = json!({ "access_info": { "entities": [
                { "type": "folder", "id": "parent", "level": "manage" },
                { "type": "user", "id": format!("u{}", n % 5), "level": "read" },
                { "type": "user", "id": "common", "level": if n % 2 == 0 { "read" } else { "write" } },
            ] } });
            let path = format!("item/{folder}");
            let token = admin.clone();
            let app = &app;
            async move { app.rest("POST", &path, Some(&token), Some(body)).await }
        });
        let answers = futures::future::join_all(replacements).await;
        for (status, answer) in &answers {
            assert_eq!(*status, StatusCode::OK, "{answer}");
        }
        let entities: Vec<Value> = app.item(&admin, &folder, "accessInfo { entities { type id } }").await["accessInfo"]["entities"].as_array().unwrap().clone();
        assert_eq!(entities.len(), 3, "one whole list won: {entities:?}");
    }

    async fn concurrent_tab_writers_take_turns_and_leave_one_channel_entry(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folders = [app.create(&admin, "root", "A", true).await, app.create(&admin, "root", "B", true).await];
        let writers = (0..24).map(|n| {
            let input = json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1",
                "channelId": format!("c{}", n % 3), "itemId": folders[n % 2], "level": "WRITE" } });
            let (app, token) = (&app, admin.clone());
            async move {
                app.graphql(Some(&token), "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }", input).await
            }
        });
        for answer in futures::future::join_all(writers).await {
            assert!(answer.get("errors").is_none(), "{answer}");
        }
        let tab = app.data(&admin, "query($c: ID!) { tab(companyId: $c, tabId: \"t1\") { itemId channelId } }",
            json!({ "c": app.company.to_string() })).await["tab"].clone();
        let mut channels = Vec::new();
        for folder in &folders {
            let entities = app.item(&admin, folder, "accessInfo { entities { type id } }").await["accessInfo"]["entities"].clone();
            for entity in entities.as_array().unwrap().iter().filter(|e| e["type"] == "CHANNEL") {
                channels.push((folder.clone(), entity["id"].as_str().unwrap().to_owned()));
            }
        }
        assert_eq!(channels, vec![(tab["itemId"].as_str().unwrap().to_owned(), tab["channelId"].as_str().unwrap().to_owned())],
            "the last writer's channel, on the last writer's folder, and no other");
    }
}
