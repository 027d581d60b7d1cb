//! The reference's security defects (`twake-drive-behaviour.md` §8, items 1–10), each with a
//! test showing Quire does not have it. Where another module already proves it, the test here
//! names that proof and checks the heart of it again.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::{DownloadClaims, Role, TokenKind};
use serde_json::{Value, json};

use crate::support::on_both_backends;

on_both_backends! {
    // §8.1, §8.2: file downloads need credentials and ownership; nobody can overwrite another's
    // upload by posting chunks to it (see also content::uploads_belong_to_their_uploader).
    async fn files_need_credentials_and_ownership(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let mallory = app.token("mallory", Role::Member);
        let upload = app.upload(&alice, "secret.txt", "text/plain", b"secret").await;
        let id = upload["id"].as_str().unwrap();
        let base = format!("/internal/services/files/v1/companies/{}/files/{id}", app.company);
        for (token, expected) in [(None, StatusCode::UNAUTHORIZED), (Some(&mallory), StatusCode::NOT_FOUND)] {
            let mut request = Request::get(format!("{base}/download"));
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            assert_eq!(app.send(request.body(Body::empty()).unwrap()).await.0, expected);
        }
        let overwrite = Request::post(format!("{base}?resumableChunkNumber=1"))
            .header("authorization", format!("Bearer {mallory}"))
            .body(Body::from("evil"))
            .unwrap();
        assert_eq!(app.send(overwrite).await.0, StatusCode::NOT_FOUND);
        let (_, content, _) = app
            .send(Request::get(format!("{base}/download")).header("authorization", format!("Bearer {alice}")).body(Body::empty()).unwrap())
            .await;
        assert_eq!(content, b"secret");
    }

    // §8.3: a client cannot choose ids (and so overwrite items) or server-owned fields.
    async fn clients_cannot_choose_ids_or_owners(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let victim = app.create(&alice, "user_alice", "victim.txt", false).await;
        let mallory = app.token("mallory", Role::Member);
        let body = json!({ "item": { "id": victim, "name": "x", "parent_id": "user_mallory", "creator": "alice", "size": 5, "is_in_trash": true }, "version": {} });
        let (status, created) = app.rest("POST", "item", Some(&mallory), Some(body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(created["id"], victim.as_str());
        assert_eq!((created["creator"].as_str(), created["size"].as_i64(), created["is_in_trash"].as_bool()), (Some("mallory"), Some(0), Some(false)));
        assert_eq!(app.item(&alice, &victim, "name").await["name"], "victim.txt");
    }

    // §8.4: a move is checked whatever else the update carries (see also
    // items::refused_moves_change_nothing).
    async fn moves_are_checked_even_with_other_fields(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&alice, "user_alice", "Folder", true).await;
        let sub = app.create(&alice, &folder, "Sub", true).await;
        let mine = app.create(&bob, "user_bob", "mine.txt", false).await;
        let (status, _) = app.rest("POST", &format!("item/{folder}"), Some(&alice), Some(json!({ "parent_id": sub, "name": "loop", "tags": [] }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app.rest("POST", &format!("item/{mine}"), Some(&bob), Some(json!({ "parent_id": folder, "description": "in you go" }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(app.item(&alice, &folder, "name parentId").await, json!({ "name": "Folder", "parentId": app.global("user_alice") }));
        assert_eq!(app.item(&bob, &mine, "parentId").await["parentId"], app.global("user_bob"));
    }

    // §8.5: `write` cannot rewrite access (grant itself manage, open a manage link).
    async fn writers_cannot_escalate(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let doc = app.create(&alice, "user_alice", "doc.txt", false).await;
        app.share(&alice, &doc, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "bob", "level": "WRITE" }])).await;
        let grab = json!({ "access_info": { "entities": [{ "type": "user", "id": "bob", "level": "manage" }], "public": { "level": "write" } } });
        let (status, _) = app.rest("POST", &format!("item/{doc}"), Some(&bob), Some(grab)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.rest("POST", &format!("item/{doc}"), Some(&alice), Some(json!({ "access_info": { "entities": [], "public": { "level": "manage" } } }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let info = app.item(&alice, &doc, "accessInfo { public { level } entities { id level } }").await;
        assert_eq!(info["accessInfo"]["public"]["level"], "NONE");
        assert!(info["accessInfo"]["entities"].as_array().unwrap().iter().any(|e| e["id"] == "bob" && e["level"] == "WRITE"));
    }

    // §8.6: each visitor is their own principal; one visitor cannot manage what another added.
    async fn visitors_do_not_share_one_identity(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let folder = app.create(&alice, "user_alice", "Drop box", true).await;
        let link = app.data(&alice, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "level": "WRITE" } } })).await["updateItem"]["item"]["accessInfo"]["public"]["token"].as_str().unwrap().to_owned();
        let visitor = || {
            let body = json!({ "document_id": folder, "token": link });
            let app = &app;
            async move {
                let (_, answer) = app.rest("POST", "anonymous/token", None, Some(body)).await;
                answer["access_token"]["value"].as_str().unwrap().to_owned()
            }
        };
        let first = visitor().await;
        let second = visitor().await;
        let (status, dropped) = app.rest("POST", "item", Some(&first), Some(json!({ "item": { "name": "mine.txt", "parent_id": folder }, "version": {} }))).await;
        assert_eq!(status, StatusCode::OK);
        let id = dropped["id"].as_str().unwrap();
        assert_eq!(app.rest("DELETE", &format!("item/{id}"), Some(&second), None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.rest("DELETE", &format!("item/{id}"), Some(&first), None).await.0, StatusCode::FORBIDDEN);
        // A visitor has no drive of its own: its token covers only the link.
        assert_eq!(app.rest("GET", "item/user_anonymous", Some(&first), None).await.0, StatusCode::UNAUTHORIZED);
    }

    // §8.7: link passwords are never sent back, and rotating revokes (see also sharing.rs).
    async fn link_passwords_stay_secret(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let doc = app.create(&alice, "user_alice", "doc.txt", false).await;
        app.share(&alice, &doc, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "bob", "level": "READ" }])).await;
        app.rest("POST", &format!("item/{doc}"), Some(&alice), Some(json!({ "access_info": { "entities": [{ "type": "folder", "id": "parent", "level": "manage" }, { "type": "user", "id": "bob", "level": "read" }], "public": { "level": "read", "password": "hunter2" } } }))).await;
        for token in [&alice, &bob] {
            let (_, seen) = app.rest("GET", &format!("item/{doc}"), Some(token), None).await;
            let text = seen.to_string();
            assert!(!text.contains("hunter2") && !text.contains("argon2"), "{text}");
            assert_eq!(seen["item"]["access_info"]["public"]["password"], "");
        }
        let (_, seen) = app.rest("GET", &format!("item/{doc}"), Some(&bob), None).await;
        assert_eq!(seen["item"]["access_info"]["public"]["token"], "", "readers do not see the link token");
    }

    // §8.8: download tokens expire, are typed, and are no bearer tokens.
    async fn download_tokens_expire_and_stay_in_their_role(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let file = app.create_with_bytes(&alice, "user_alice", "a.txt", b"a").await;
        let id = file["id"].as_str().unwrap();
        let expired = app.keys.sign(&DownloadClaims {
            visitor: None,
            channels: Vec::new(),
            channel_only: false,
            sub: "alice".into(), exp: quire::auth::unix_now() - 600, typ: TokenKind::Download,
            company_id: app.company.to_string(), items: vec![id.to_owned()], version_id: None, role: "member".into(),
        }).unwrap();
        assert_eq!(app.rest("GET", &format!("item/{id}/download?token={expired}"), None, None).await.0, StatusCode::UNAUTHORIZED);
        // An access token is no download token either.
        assert_eq!(app.rest("GET", &format!("item/{id}/download?token={alice}"), None, None).await.0, StatusCode::UNAUTHORIZED);
    }

    // §8.9: a multipart GraphQL request (what a cross-site form can send) needs a preflight header.
    async fn no_cross_site_form_posts(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let request = Request::post("/graphql")
            .header("authorization", format!("Bearer {alice}"))
            .header("content-type", "multipart/form-data; boundary=x")
            .body(Body::from("--x--\r\n"))
            .unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
    }

    // §8.10: zips check every entry (content::folders_zip_with_every_entry_checked), tabs need read
    // access (tabs::tabs_need_manage_and_sane_input), company ids are validated before use.
    async fn company_ids_are_validated(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let request = Request::get("/internal/services/documents/v1/companies/..%2F..%2Fetc/item/root")
            .header("authorization", format!("Bearer {alice}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        let request = Request::post("/internal/services/files/v1/companies/not-a-company/files?filename=x")
            .header("authorization", format!("Bearer {alice}"))
            .body(Body::from("x"))
            .unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
    }

    // §8.7: wrong link passwords are rate-limited, per link and client; someone else's wrong
    // guesses never refuse a right password.
    async fn link_passwords_cannot_be_guessed_forever(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let doc = app.create(&alice, "user_alice", "doc.txt", false).await;
        let other = app.create(&alice, "user_alice", "other.txt", false).await;
        let mut links = Vec::new();
        for id in [&doc, &other] {
            let data = app.data(&alice, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
                json!({ "i": { "companyId": app.company.to_string(), "id": id, "publicLink": { "level": "READ", "password": "right" } } })).await;
            links.push(data["updateItem"]["item"]["accessInfo"]["public"]["token"].as_str().unwrap().to_owned());
        }
        let open = |id: &str, link: &str, password: &str, from: &str| {
            let body = json!({ "document_id": id, "token": link, "token_password": password }).to_string();
            let uri = format!("/internal/services/documents/v1/companies/{}/anonymous/token", app.company);
            let mut request = Request::post(uri).header("content-type", "application/json").body(Body::from(body)).unwrap();
            let peer: std::net::SocketAddr = format!("{from}:4000").parse().unwrap();
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let app = &app;
            async move {
                let (status, body, headers) = app.send(request).await;
                (status, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null), headers)
            }
        };
        for _ in 0..5 {
            assert_eq!(open(&doc, &links[0], "wrong", "192.0.2.1").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, refused, headers) = open(&doc, &links[0], "right", "192.0.2.1").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
        assert_eq!(refused["code"], "TOO_MANY_REQUESTS");
        assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        assert_eq!(open(&doc, &links[0], "right", "198.51.100.7").await.0, StatusCode::OK, "another client's right password goes through");
        assert_eq!(open(&other, &links[1], "right", "192.0.2.1").await.0, StatusCode::OK, "other links are not locked");
        // A page's parallel requests with the right password all go through, in turn.
        let parallel = (0..6).map(|_| open(&other, &links[1], "right", "192.0.2.99"));
        let answers = futures::future::join_all(parallel).await;
        assert!(answers.iter().all(|(status, _, _)| *status == StatusCode::OK), "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
        // Concurrent guesses reserve their turn before Argon2 runs: none slips past.
        let guesses = (0..60).map(|_| open(&other, &links[1], "wrong", "203.0.113.5"));
        let answers = futures::future::join_all(guesses).await;
        let verified = answers.iter().filter(|(status, _, _)| *status == StatusCode::UNAUTHORIZED).count();
        let limited = answers.iter().filter(|(status, _, _)| *status == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(verified + limited, 60);
        assert!((1..=5).contains(&verified), "{verified} guesses reached Argon2");
    }
}
