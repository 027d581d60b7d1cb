//! Nobody gets in where they don't belong: what link visitors, guests, principals absent from
//! a company and tab-token holders may do, and what they may never do.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::StreamExt;
use quire::auth::{PublicClaims, Role, TabClaims, TokenKind};
use quire::domain::CompanyId;
use serde_json::{Value, json};

use crate::support::{Part, TestApp, multipart, on_both_backends};

/// A folder of `owner`'s drive with a public link of `level`, and a visitor token for it.
async fn linked_folder(app: &TestApp, owner: &str, level: &str) -> (String, String, String) {
    let token = app.token(owner, Role::Member);
    let folder = app
        .create(&token, &format!("user_{owner}"), "Linked", true)
        .await;
    let data = app
        .data(&token, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "level": level } } }))
        .await;
    let link = data["updateItem"]["item"]["accessInfo"]["public"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let visitor = visit(app, &folder, &link).await;
    (folder, link, visitor)
}

pub(crate) async fn visit(app: &TestApp, document: &str, link: &str) -> String {
    let (status, answer) = app
        .rest(
            "POST",
            "anonymous/token",
            None,
            Some(json!({ "document_id": document, "token": link })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["access_token"]["value"].as_str().unwrap().to_owned()
}

/// The visitor's own id, from its token.
fn subject(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: PublicClaims = serde_json::from_slice(&base64url(payload)).unwrap();
    claims.sub
}

fn base64url(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes() {
        let value = alphabet.iter().position(|b| *b == byte).unwrap() as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// Sends a REST request to another company's documents or files routes.
async fn elsewhere(
    app: &TestApp,
    company: CompanyId,
    method: &str,
    path: &str,
    token: &str,
) -> StatusCode {
    let uri = format!("/internal/services/{path}").replace("{company}", &company.to_string());
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from("x"))
        .unwrap();
    app.send(request).await.0
}

/// Every item row of every company, and every stored key: what must not grow.
async fn footprint(app: &TestApp) -> (i64, usize) {
    use sea_orm::ConnectionTrait;
    let rows = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM items",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    (rows, app.stored_keys().await.len())
}

fn multipart_create(app: &TestApp, token: &str, parent: &str) -> Request<Body> {
    let item = json!({ "name": "dropped.txt", "parent_id": parent }).to_string();
    let (content_type, body) = multipart(&[
        Part::text("item", &item),
        Part::file("file", "dropped.txt", "text/plain", b"dropped bytes"),
    ]);
    Request::post(format!(
        "/internal/services/documents/v1/companies/{}/item",
        app.company
    ))
    .header("authorization", format!("Bearer {token}"))
    .header("content-type", content_type)
    .body(Body::from(body))
    .unwrap()
}

on_both_backends! {
    async fn a_link_visitor_lives_inside_its_link_in_every_company(app: TestApp) {
        let (folder, _, visitor) = linked_folder(&app, "olivia", "WRITE").await;
        let me = subject(&visitor);
        let before = footprint(&app).await;
        for place in [format!("user_{me}"), format!("trash_{me}"), "shared_with_me".into(), "root".into(), "trash".into()] {
            let (status, answer) = app.rest("GET", &format!("item/{place}"), Some(&visitor), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{place}: {answer}");
            assert_eq!(app.item_error(&visitor, &place).await, "UNAUTHENTICATED", "{place}");
        }
        let (status, _) = app.rest("POST", "item", Some(&visitor), Some(json!({ "item": { "name": "x", "parent_id": format!("user_{me}"), "is_directory": true } }))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "no drive of its own");
        let upload = "files/v1/companies/{company}/files?filename=x.bin";
        assert_eq!(elsewhere(&app, app.company, "POST", upload, &visitor).await, StatusCode::UNAUTHORIZED, "no uploads of its own");
        let other = CompanyId(uuid::Uuid::new_v4());
        assert_eq!(elsewhere(&app, other, "POST", upload, &visitor).await, StatusCode::UNAUTHORIZED, "nor in another company");
        assert_eq!(elsewhere(&app, other, "GET", "documents/v1/companies/{company}/item/root", &visitor).await, StatusCode::UNAUTHORIZED);
        assert_eq!(elsewhere(&app, other, "POST", "documents/v1/companies/{company}/item", &visitor).await, StatusCode::UNAUTHORIZED);
        assert_eq!(footprint(&app).await, before, "nothing was created anywhere");
        // Inside its link it does what the link allows.
        let (status, body, _) = app.send(multipart_create(&app, &visitor, &folder)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    }

    async fn guests_and_absent_principals_have_no_drive_trash_or_uploads_of_their_own(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let shared = app.create(&owner, "user_olivia", "Shared", true).await;
        for (user, token) in [("gus", app.token("gus", Role::Guest)), ("abe", app.keys.mint_access("abe", &[], 600, None).unwrap())] {
            for place in [format!("user_{user}"), format!("trash_{user}")] {
                let (status, _) = app.rest("GET", &format!("item/{place}"), Some(&token), None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {place}");
                assert_eq!(app.item_error(&token, &place).await, "NOT_FOUND");
            }
            let (status, _) = app.rest("POST", "item", Some(&token), Some(json!({ "item": { "name": "x", "parent_id": format!("user_{user}"), "is_directory": true } }))).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user}: no drive to create in");
            let upload = "files/v1/companies/{company}/files?filename=x.bin";
            assert_eq!(elsewhere(&app, app.company, "POST", upload, &token).await, StatusCode::FORBIDDEN, "{user}: no uploads of their own");
            let nobodys = CompanyId(uuid::Uuid::new_v4());
            assert_eq!(elsewhere(&app, nobodys, "POST", upload, &token).await, StatusCode::FORBIDDEN, "{user}: nor in a company no one uses");
            // What is shared with them, they reach; where they may write, they upload.
            assert!(app.share(&owner, &shared, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": user, "level": "WRITE" }])).await.get("errors").is_none());
            let (status, body, _) = app.send(multipart_create(&app, &token, &shared)).await;
            assert_eq!(status, StatusCode::OK, "{user}: {}", String::from_utf8_lossy(&body));
        }
    }

    async fn a_tab_token_alone_is_a_channel_only_principal(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let personal = app.create(&owner, "user_olivia", "For Bob", true).await;
        assert!(app.share(&owner, &personal, json!([{ "type": "USER", "id": "bob", "level": "READ" }])).await.get("errors").is_none());
        let tabbed = app.create(&owner, "user_olivia", "Channel folder", true).await;
        app.data(&owner, "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1", "channelId": "general", "itemId": tabbed, "level": "WRITE" } })).await;
        let tab = app.keys.sign(&TabClaims { sub: "bob".into(), exp: quire::auth::unix_now() + 600, typ: TokenKind::Tab,
            company_id: app.company.to_string(), channel_id: "general".into(), tab_id: "t1".into() }).unwrap();
        let with_tab = |path: &str| format!("{path}?twake_tab_token={tab}");
        assert_eq!(app.rest("GET", &with_tab(&format!("item/{tabbed}")), None, None).await.0, StatusCode::OK, "the channel's entries apply");
        assert_eq!(app.rest("GET", &with_tab(&format!("item/{personal}")), None, None).await.0, StatusCode::NOT_FOUND, "bob's user entries do not");
        assert_eq!(app.rest("GET", &with_tab("item/user_bob"), None, None).await.0, StatusCode::NOT_FOUND, "no drive");
        assert_eq!(app.rest("GET", &with_tab("item/shared_with_me"), None, None).await.0, StatusCode::NOT_FOUND);
        let uri = format!("/internal/services/files/v1/companies/{}/files?filename=x&twake_tab_token={tab}", app.company);
        assert_eq!(app.send(Request::post(uri).body(Body::from("x")).unwrap()).await.0, StatusCode::FORBIDDEN, "no uploads of its own");
        let graphql = app.graphql(None, "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { id } }", json!({ "c": app.company.to_string(), "id": personal })).await;
        assert!(graphql["errors"].is_array());
        // With a bearer of the same user, the channel adds to what the user has.
        let bob = app.token("bob", Role::Member);
        for id in [&tabbed, &personal] {
            let uri = format!("/internal/services/documents/v1/companies/{}/item/{id}?twake_tab_token={tab}", app.company);
            let request = Request::get(uri).header("authorization", format!("Bearer {bob}")).body(Body::empty()).unwrap();
            assert_eq!(app.send(request).await.0, StatusCode::OK);
        }
    }

    async fn re_pointing_a_tab_needs_manage_on_what_it_points_at_now(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let mallory = app.token("mallory", Role::Member);
        let hers = app.create(&alice, "user_alice", "Hers", true).await;
        let his = app.create(&mallory, "user_mallory", "His", true).await;
        let set = |token: String, item: String| {
            let app = &app;
            async move {
                app.graphql(Some(&token), "mutation($i: SetTabInput!) { setTab(input: $i) { tab { itemId } } }",
                    json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1", "channelId": "general", "itemId": item, "level": "WRITE" } })).await
            }
        };
        assert!(set(alice.clone(), hers.clone()).await.get("errors").is_none());
        let hijack = set(mallory.clone(), his.clone()).await;
        assert_eq!(hijack["errors"][0]["extensions"]["code"], "FORBIDDEN", "{hijack}");
        let (status, _) = app.rest("POST", "tabs/t1", Some(&mallory), Some(json!({ "channel_id": "general", "item_id": his, "level": "write" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let entries = app.item(&alice, &hers, "accessInfo { entities { type id } }").await;
        assert!(entries.to_string().contains("\"general\""), "the channel entry stays: {entries}");
        let (_, tab) = app.rest("GET", "tabs/t1", Some(&alice), None).await;
        assert_eq!(tab["item_id"], hers.as_str());
    }

    async fn a_refused_upload_keeps_nothing(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let reader = app.token("rea", Role::Member);
        let folder = app.create(&owner, "user_olivia", "Read only", true).await;
        let file = app.create_file(&owner, &folder, "f.txt", 3).await;
        assert!(app.share(&owner, &folder, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "rea", "level": "READ" }])).await.get("errors").is_none());
        let before = app.stored_keys().await;
        let (status, _, _) = app.send(multipart_create(&app, &reader, &folder)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (content_type, body) = multipart(&[Part::file("file", "v.txt", "text/plain", b"new bytes")]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item/{file}/version", app.company))
            .header("authorization", format!("Bearer {reader}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::FORBIDDEN);
        let refused = app.graphql_upload(Some(&reader), "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "parentId": folder, "name": "g.txt", "file": null } }), "variables.i.file", b"graphql bytes").await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
        // Refused later than the check (a bad name): what was stored for it goes too.
        let item = json!({ "name": "bad\u{202e}name.txt", "parent_id": "user_rea" }).to_string();
        let (content_type, body) = multipart(&[Part::text("item", &item), Part::file("file", "x.txt", "text/plain", b"late refusal")]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item", app.company))
            .header("authorization", format!("Bearer {reader}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(app.stored_keys().await, before, "no byte was kept");
    }

    async fn any_change_to_a_link_revokes_the_visitor_tokens_made_before(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let (folder, link, _) = linked_folder(&app, "olivia", "READ").await;
        let change = |public: Value| {
            let (app, owner, folder) = (&app, owner.clone(), folder.clone());
            async move {
                app.data(&owner, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
                    json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": public } })).await;
            }
        };
        let reads = |token: String| {
            let (app, folder) = (&app, folder.clone());
            async move { app.rest("GET", &format!("item/{folder}"), Some(&token), None).await.0 }
        };
        // A new password: tokens made without it stop working.
        let before = visit(&app, &folder, &link).await;
        change(json!({ "password": "secret" })).await;
        assert_eq!(reads(before).await, StatusCode::UNAUTHORIZED, "a password change revokes");
        change(json!({ "password": "" })).await;
        // Off and on again: the old token does not come back.
        let before = visit(&app, &folder, &link).await;
        change(json!({ "level": "NONE" })).await;
        change(json!({ "level": "READ" })).await;
        assert_eq!(reads(before).await, StatusCode::UNAUTHORIZED, "switching off revokes for good");
        let fresh = visit(&app, &folder, &link).await;
        assert_eq!(reads(fresh).await, StatusCode::OK);
    }

    async fn visitors_see_no_entries_identities_or_levels_of_others(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let (folder, _, visitor) = linked_folder(&app, "olivia", "READ").await;
        assert!(app.share(&owner, &folder, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "rea@example.com", "level": "READ" }])).await.get("errors").is_none());
        let (status, seen) = app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["item"]["access_info"]["entities"], json!([]));
        assert!(seen["item"]["creator"].is_null());
        assert!(!seen.to_string().contains("rea@example.com"), "{seen}");
        let item = app.item(&visitor, &folder, "accessInfo { entities { id } } creator { id }").await;
        assert_eq!(item, json!({ "accessInfo": { "entities": [] }, "creator": null }));
        let level = "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { levelOfUser(userId: \"olivia\") } }";
        let vars = json!({ "c": app.company.to_string(), "id": folder });
        assert_eq!(app.error_code(Some(&visitor), level, vars.clone()).await, "FORBIDDEN");
        let (status, _) = app.rest("GET", &format!("item/{folder}/user/olivia/access"), Some(&visitor), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Among members: entries for readers, grantors and levelOfUser for managers.
        let reader = app.token("rea@example.com", Role::Member);
        let seen = app.item(&reader, &folder, "accessInfo { entities { id grantor } }").await;
        assert!(seen["accessInfo"]["entities"].as_array().unwrap().iter().all(|e| e["grantor"].is_null()), "{seen}");
        assert_eq!(app.error_code(Some(&reader), level, vars.clone()).await, "FORBIDDEN");
        let managed = app.item(&owner, &folder, "accessInfo { entities { id grantor } }").await;
        assert!(managed.to_string().contains("\"grantor\":\"olivia\""), "{managed}");
        assert_eq!(app.data(&owner, level, vars).await["item"]["levelOfUser"], "MANAGE");
    }

    async fn a_visitors_download_url_downloads_what_it_may_read(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let (folder, _, visitor) = linked_folder(&app, "olivia", "READ").await;
        let file = app.create_with_bytes(&owner, &folder, "shared.txt", b"for the visitor").await["id"].as_str().unwrap().to_owned();
        let url = app.item(&visitor, &file, "downloadUrl").await["downloadUrl"].as_str().unwrap().to_owned();
        let (status, body, _) = app.send(Request::get(url.clone()).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(body, b"for the visitor");
        // Once the link changes, the URL no longer covers the download: 401.
        app.data(&owner, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "rotate": true } } })).await;
        assert_eq!(app.send(Request::get(url).body(Body::empty()).unwrap()).await.0, StatusCode::UNAUTHORIZED);
    }

    async fn a_download_token_whose_maker_lost_access_is_401(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let bob = app.token("bob", Role::Member);
        let file = app.create_with_bytes(&owner, "user_olivia", "f.txt", b"bytes").await["id"].as_str().unwrap().to_owned();
        assert!(app.share(&owner, &file, json!([{ "type": "USER", "id": "bob", "level": "READ" }])).await.get("errors").is_none());
        let (_, token) = app.rest("GET", &format!("item/download/token?items={file}"), Some(&bob), None).await;
        let token = token["token"].as_str().unwrap().to_owned();
        let url = format!("/internal/services/documents/v1/companies/{}/item/{file}/download?token={token}", app.company);
        assert_eq!(app.send(Request::get(&url).body(Body::empty()).unwrap()).await.0, StatusCode::OK);
        assert!(app.share(&owner, &file, json!([])).await.get("errors").is_none());
        assert_eq!(app.send(Request::get(&url).body(Body::empty()).unwrap()).await.0, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn unused_uploads_are_removed_after_their_time() {
    let app = TestApp::with_limits(quire::config::Limits {
        unused_upload_ttl_secs: 0,
        ..crate::support::test_limits()
    })
    .await;
    let alice = app.token("alice", Role::Member);
    let used = app
        .upload(&alice, "used.txt", "text/plain", b"used bytes")
        .await;
    app.rest("POST", "item", Some(&alice), Some(json!({ "item": { "name": "used.txt", "parent_id": "user_alice" }, "version": { "file_metadata": { "external_id": used["id"] } } }))).await;
    let unused = app
        .upload(&alice, "unused.txt", "text/plain", b"nobody uses these")
        .await;
    app.service.sweep(3600).await.unwrap();
    let (status, _) = app
        .rest_files(
            "GET",
            &format!("files/{}", unused["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the unused upload is gone");
    let (status, _) = app
        .rest_files(
            "GET",
            &format!("files/{}", used["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the used one stays");
    assert_eq!(
        app.stored_keys().await.len(),
        1,
        "only the used bytes are left"
    );
}

/// Password guesses through the binary: `from` is the client a trusted proxy names.
async fn guess(
    client: &reqwest::Client,
    server: &crate::binary::Server,
    document: &str,
    link: &str,
    password: &str,
    from: &str,
) -> (u16, Option<String>) {
    let response = client
        .post(server.documents("anonymous/token"))
        .header("x-forwarded-for", from)
        .json(&json!({ "document_id": document, "token": link, "token_password": password }))
        .send()
        .await
        .unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), retry)
}

#[tokio::test]
async fn password_guesses_are_counted_for_every_replica_over_restarts_and_per_client() {
    use crate::binary::{Server, serve};
    let dir = tempfile::tempdir().unwrap();
    let env = [("QUIRE_TRUSTED_PROXIES", "127.0.0.1")];
    let first = Server::start(serve(dir.path(), &env), dir.path());
    let client = reqwest::Client::new();
    let owner = first.token("olivia", Role::Member);
    let folder = first.create(&owner, json!({ "item": { "name": "Locked", "parent_id": "user_olivia", "is_directory": true } })).await;
    let linked: Value = client.post(first.documents(&format!("item/{folder}"))).bearer_auth(&owner)
        .json(&json!({ "access_info": { "entities": [{ "type": "folder", "id": "parent", "level": "manage" }], "public": { "level": "read", "password": "right" } } }))
        .send().await.unwrap().json().await.unwrap();
    let link = linked["access_info"]["public"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        assert_eq!(
            guess(&client, &first, &folder, &link, "wrong", "192.0.2.1")
                .await
                .0,
            401
        );
    }
    let (status, retry) = guess(&client, &first, &folder, &link, "right", "192.0.2.1").await;
    assert_eq!(status, 429, "the guesser waits");
    assert!(retry.is_some());
    // Another replica on the same database counts the same guesses.
    let mut second = Server::start(serve(dir.path(), &env), dir.path());
    second.company = first.company;
    assert_eq!(
        guess(&client, &second, &folder, &link, "right", "192.0.2.1")
            .await
            .0,
        429,
        "the other replica knows"
    );
    assert_eq!(
        guess(&client, &second, &folder, &link, "right", "198.51.100.2")
            .await
            .0,
        200,
        "another client is not refused"
    );
    drop(second);
    let company = first.company;
    drop(first);
    // And a restart forgets nothing: make the wait long enough to outlive one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut third = Server::start(serve(dir.path(), &env), dir.path());
    third.company = company;
    for _ in 0..3 {
        let (status, retry) = guess(&client, &third, &folder, &link, "wrong", "192.0.2.1").await;
        if status == 429 {
            tokio::time::sleep(std::time::Duration::from_secs(
                retry.unwrap().parse().unwrap(),
            ))
            .await;
            continue;
        }
        assert_eq!(status, 401);
    }
    drop(third);
    let mut fourth = Server::start(serve(dir.path(), &env), dir.path());
    fourth.company = company;
    assert_eq!(
        guess(&client, &fourth, &folder, &link, "right", "192.0.2.1")
            .await
            .0,
        429,
        "a restart keeps the count"
    );
}

#[tokio::test]
async fn the_company_quota_is_read_by_the_binary_and_counts_pending_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_COMPANY_QUOTA_BYTES", "1000")]),
        dir.path(),
    );
    let token = server.token("alice", Role::Member);
    let client = reqwest::Client::new();
    let upload = |size: usize| {
        let request = client
            .post(server.files("files?filename=a.bin"))
            .bearer_auth(&token)
            .body(vec![7u8; size]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(upload(5000).await, 413, "over the quota");
    let declared =
        client
            .post(server.files(
                "files?resumableTotalChunks=2&resumableTotalSize=800&resumableFilename=big.bin",
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
    assert_eq!(declared.status().as_u16(), 200, "800 bytes declared");
    assert_eq!(upload(300).await, 413, "the pending upload counts");
    assert_eq!(upload(150).await, 200);
}

on_both_backends! {
    async fn a_tab_holders_download_links_reach_only_what_its_channel_does(app: TestApp) {
        let owner = app.token("olivia", Role::Member);
        let folder = app.create(&owner, "user_olivia", "Channel folder", true).await;
        let secret = app.create(&owner, &folder, "Bob only", true).await;
        app.create_with_bytes(&owner, &secret, "secret.txt", b"bob-only secret").await;
        assert!(app.share(&owner, &secret, json!([{ "type": "USER", "id": "bob", "level": "READ" }])).await.get("errors").is_none());
        app.data(&owner, "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1", "channelId": "ch1", "itemId": folder, "level": "READ" } })).await;
        let tab = app.keys.sign(&TabClaims { sub: "bob".into(), exp: quire::auth::unix_now() + 600, typ: TokenKind::Tab,
            company_id: app.company.to_string(), channel_id: "ch1".into(), tab_id: "t1".into() }).unwrap();
        let (status, token) = app.rest("GET", &format!("item/download/token?items={folder}&twake_tab_token={tab}"), None, None).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        let uri = format!("/internal/services/documents/v1/companies/{}/item/{folder}/download?token={}", app.company, token["token"].as_str().unwrap());
        let (status, bytes, _) = app.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned()).collect();
        assert!(!names.iter().any(|name| name.contains("secret")), "bob's own entries do not apply to the tab alone: {names:?}");
    }

    async fn what_a_visitor_sees_names_no_one(app: TestApp) {
        let owner = app.token("olivia@corp.example", Role::Member);
        let folder = app.create(&owner, "user_olivia@corp.example", "Linked", true).await;
        let file = app.create_with_bytes(&owner, &folder, "f.txt", b"bytes").await;
        let link = app.data(&owner, "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "level": "READ" } } })).await
            ["updateItem"]["item"]["accessInfo"]["public"]["token"].as_str().unwrap().to_owned();
        let visitor = visit(&app, &folder, &link).await;
        let (_, seen) = app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await;
        assert!(!seen.to_string().contains("olivia"), "{seen}");
        assert!(seen["item"]["parent_id"].is_null());
        let upload = file["last_version_cache"]["file_metadata"]["external_id"].as_str().unwrap().to_owned();
        let (status, meta) = app.rest_files("GET", &format!("files/{upload}"), &visitor).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(meta["resource"]["user_id"], "");
        // A ?public_token= visitor's download link works too.
        let query = format!("{{ item(companyId: \"{}\", id: \"{}\") {{ downloadUrl }} }}", app.company, file["id"].as_str().unwrap());
        let uri = format!("/graphql?public_token={link}&query={}", form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>());
        let (_, answer, _) = app.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        let url = answer["data"]["item"]["downloadUrl"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
        let (status, bytes, _) = app.send(Request::get(url).body(Body::empty()).unwrap()).await;
        assert_eq!((status, bytes.as_slice()), (StatusCode::OK, b"bytes".as_slice()));
        // In another company, a visitor token covers nothing: 401, tabs included.
        let other = CompanyId(uuid::Uuid::new_v4());
        assert_eq!(elsewhere(&app, other, "GET", "documents/v1/companies/{company}/tabs/t1", &visitor).await, StatusCode::UNAUTHORIZED);
    }

    async fn an_upload_fills_one_file_of_a_writable_place_or_nothing_is_read(app: TestApp) {
        let (folder, _, visitor) = linked_folder(&app, "olivia", "READ").await;
        let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let operations = json!({ "query": "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            "variables": { "i": { "companyId": app.company.to_string(), "parentId": folder, "name": "big.bin", "file": null } } }).to_string();
        let head = format!("--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n--b\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.i.file\"]}}\r\n--b\r\nContent-Disposition: form-data; name=\"0\"; filename=\"big.bin\"\r\n\r\n");
        let counter = read.clone();
        let chunk = bytes::Bytes::from(vec![b'x'; 64 << 10]);
        let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes::Bytes::from(head)) })
            .chain(futures::stream::iter(0..160).map(move |_| {
                counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
                Ok(chunk.clone())
            }));
        let request = Request::post("/graphql")
            .header("authorization", format!("Bearer {visitor}"))
            .header("content-type", "multipart/form-data; boundary=b")
            .header("apollo-require-preflight", "1")
            .body(Body::from_stream(stream))
            .unwrap();
        let (_, body, _) = app.send(request).await;
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "FORBIDDEN", "{answer}");
        let read = read.load(std::sync::atomic::Ordering::SeqCst);
        // What is read is what the refusal drains (1 MiB, for the client to see the answer).
        assert!(read <= 2 << 20, "{read} bytes of a refused upload were read");
        // Too many paths for one file, and two file parts over REST, are refused.
        let owner = app.token("olivia", Role::Member);
        let many = json!({ "0": (0..40).map(|_| "variables.i.file").collect::<Vec<_>>() }).to_string();
        let (content_type, body) = multipart(&[Part::text("operations", &operations), Part::text("map", &many), Part::file("0", "a.txt", "text/plain", b"a")]);
        let request = Request::post("/graphql").header("authorization", format!("Bearer {owner}")).header("content-type", content_type)
            .header("apollo-require-preflight", "1").body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        let item = json!({ "name": "two.txt", "parent_id": folder }).to_string();
        let (content_type, body) = multipart(&[Part::text("item", &item), Part::file("file", "a.txt", "text/plain", b"a"), Part::file("file", "b.txt", "text/plain", b"b")]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item", app.company))
            .header("authorization", format!("Bearer {owner}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        let folder_with_file = json!({ "name": "f", "parent_id": folder, "is_directory": true }).to_string();
        let (content_type, body) = multipart(&[Part::text("item", &folder_with_file), Part::file("file", "a.txt", "text/plain", b"a")]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item", app.company))
            .header("authorization", format!("Bearer {owner}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        // The file part comes last: a folder flag sent after it cannot drop the stored bytes.
        let (content_type, body) = multipart(&[Part::text("item", &item), Part::file("file", "a.txt", "text/plain", b"a"), Part::text("item", &folder_with_file)]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item", app.company))
            .header("authorization", format!("Bearer {owner}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST);
        assert!(app.stored_keys().await.is_empty(), "refused requests keep no bytes: {:?}", app.stored_keys().await);
        assert!(app.child_names(&owner, &folder).await.is_empty());
    }

    async fn chunks_fill_what_was_declared_and_no_more(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let uri = |path: &str| format!("/internal/services/files/v1/companies/{}/{path}", app.company);
        let request = Request::post(uri("files?resumableFilename=a&resumableTotalSize=10&resumableTotalChunks=2&resumableChunkNumber=1"))
            .header("authorization", format!("Bearer {alice}")).body(Body::from(vec![b'x'; 5 << 20])).unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", String::from_utf8_lossy(&body));
    }

    async fn long_access_lists_and_deep_folders_are_bad_input(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Shared", true).await;
        let entities: Vec<Value> = (0..1001).map(|n| json!({ "type": "user", "id": format!("u{n}"), "level": "read" })).collect();
        let (status, _) = app.rest("POST", &format!("item/{folder}"), Some(&admin), Some(json!({ "access_info": { "entities": entities } }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut parent = folder.clone();
        for n in 0..32 {
            parent = app.create(&admin, &parent, &format!("level{n}"), true).await;
        }
        let code = app.error_code(Some(&admin), "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "parentId": parent, "name": "too deep", "isDirectory": true } })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let specials: Vec<String> = (0..1000).map(|_| format!("root/{}", uuid::Uuid::new_v4())).collect();
        let answer = app.graphql(Some(&admin), "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": specials })).await;
        assert_eq!(answer["errors"][0]["message"], "Query is too complex.", "each special folder costs a statement");
        let bomb = format!("{{ me {} {{ id }} }}", "@skip(if: false) ".repeat(6000));
        let started = std::time::Instant::now();
        let request = Request::post("/graphql").header("content-type", "application/json")
            .body(Body::from(json!({ "query": bomb }).to_string())).unwrap();
        let (status, body, _) = app.send(request).await;
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, &answer["errors"][0]["extensions"]["code"]), (StatusCode::BAD_REQUEST, &json!("BAD_USER_INPUT")), "directives count");
        assert!(started.elapsed().as_millis() < 500);
    }
}
