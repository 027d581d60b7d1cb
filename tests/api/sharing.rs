//! Public links (REST and GraphQL), visitor tokens, passwords, expiry, rotation, and tab tokens.

use axum::http::StatusCode;
use quire::auth::{Role, TabClaims, TokenKind};
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// Alice's folder with a file in it; returns (folder, file).
async fn folder_with_file(app: &TestApp, alice: &str) -> (String, String) {
    let folder = app.create(alice, "user_alice", "Public", true).await;
    let file = app.create_file(alice, &folder, "doc.txt", 5).await;
    (folder, file)
}

async fn set_public(app: &TestApp, token: &str, id: &str, public: Value) -> (StatusCode, Value) {
    let body = json!({ "access_info": { "entities": [
        { "type": "folder", "id": "parent", "level": "manage" },
        { "type": "user", "id": "alice", "level": "manage" },
    ], "public": public } });
    app.rest("POST", &format!("item/{id}"), Some(token), Some(body))
        .await
}

async fn visitor_token(
    app: &TestApp,
    document: &str,
    token: &str,
    password: Option<&str>,
) -> (StatusCode, Value) {
    let mut body =
        json!({ "company_id": app.company.to_string(), "document_id": document, "token": token });
    if let Some(password) = password {
        body["token_password"] = json!(password);
    }
    app.rest("POST", "anonymous/token", None, Some(body)).await
}

on_both_backends! {
    async fn a_public_link_opens_its_item_and_what_it_holds(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (folder, file) = folder_with_file(&app, &alice).await;
        let other = app.create(&alice, "user_alice", "Private", true).await;
        // Off: no token works.
        let (status, _) = visitor_token(&app, &folder, "nope", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, shared) = set_public(&app, &alice, &folder, json!({ "level": "read", "expiration": 0, "password": "" })).await;
        assert_eq!(status, StatusCode::OK, "{shared}");
        let link = shared["access_info"]["public"]["token"].as_str().unwrap().to_owned();
        assert_eq!(link.len(), 40);
        // Through POST anonymous/token, a child by inheritance.
        let (status, answer) = visitor_token(&app, &file, &link, None).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["access_token"]["type"], "Bearer");
        let visitor = answer["access_token"]["value"].as_str().unwrap().to_owned();
        let (status, seen) = app.rest("GET", &format!("item/{file}"), Some(&visitor), None).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        assert_eq!(seen["access"], "read");
        assert_eq!(seen["item"]["access_info"]["public"]["token"], "", "only managers see the token");
        assert_eq!(seen["path"][0]["id"], folder.as_str(), "the path starts at the link");
        let why = app.item(&visitor, &file, "explainAccess { source grantedOnId inherited }").await;
        assert_eq!(why["explainAccess"], json!({ "source": "PUBLIC_LINK", "grantedOnId": folder, "inherited": true }));
        // Outside its link, a visitor token covers nothing.
        let (status, _) = app.rest("GET", &format!("item/{other}"), Some(&visitor), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.rest("GET", "item/user_alice", Some(&visitor), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.rest("POST", &format!("item/{file}"), Some(&visitor), Some(json!({ "name": "x" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Through ?public_token= on any route.
        let (status, seen) = app.rest("GET", &format!("item/{folder}?public_token={link}"), None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["children"][0]["name"], "doc.txt");
        // A manage link is refused, and changes nothing.
        let (status, _) = set_public(&app, &alice, &folder, json!({ "level": "manage" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn passwords_are_required_hashed_and_never_shown(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (folder, _) = folder_with_file(&app, &alice).await;
        let (_, shared) = set_public(&app, &alice, &folder, json!({ "level": "read", "password": "s3cret pw" })).await;
        assert_eq!(shared["access_info"]["public"]["password"], "");
        let link = shared["access_info"]["public"]["token"].as_str().unwrap().to_owned();
        let info = app.item(&alice, &folder, "accessInfo { public { hasPassword level } }").await;
        assert_eq!(info["accessInfo"]["public"], json!({ "hasPassword": true, "level": "READ" }));
        assert_eq!(visitor_token(&app, &folder, &link, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(visitor_token(&app, &folder, &link, Some("wrong")).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(visitor_token(&app, &folder, &link, Some("s3cret pw")).await.0, StatusCode::OK);
        // `<token>+<password>`: `+` as %2B, or decoded from a raw `+` into a space.
        for query in [format!("{link}%2Bs3cret%20pw"), format!("{link}+s3cret+pw")] {
            let (status, _) = app.rest("GET", &format!("item/{folder}?public_token={query}"), None, None).await;
            assert_eq!(status, StatusCode::OK, "{query}");
        }
        let (status, _) = app.rest("GET", &format!("item/{folder}?public_token={link}"), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // An update without a password keeps it; "" clears it.
        set_public(&app, &alice, &folder, json!({ "level": "read", "token": link })).await;
        assert_eq!(visitor_token(&app, &folder, &link, None).await.0, StatusCode::UNAUTHORIZED);
        set_public(&app, &alice, &folder, json!({ "level": "read", "token": link, "password": "" })).await;
        assert_eq!(visitor_token(&app, &folder, &link, None).await.0, StatusCode::OK);
    }

    async fn expiry_rotation_and_switching_off_revoke_visitors(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (folder, _) = folder_with_file(&app, &alice).await;
        let (_, shared) = set_public(&app, &alice, &folder, json!({ "level": "read" })).await;
        let link = shared["access_info"]["public"]["token"].as_str().unwrap().to_owned();
        let visitor = visitor_token(&app, &folder, &link, None).await.1["access_token"]["value"].as_str().unwrap().to_owned();
        // Expired: the visitor's token stops working with 401.
        set_public(&app, &alice, &folder, json!({ "level": "read", "token": link, "expiration": 123 })).await;
        assert_eq!(app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(visitor_token(&app, &folder, &link, None).await.0, StatusCode::UNAUTHORIZED);
        // Extending the link again does not bring the old token back.
        set_public(&app, &alice, &folder, json!({ "level": "read", "token": link, "expiration": 0 })).await;
        assert_eq!(app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await.0, StatusCode::UNAUTHORIZED);
        let visitor = visitor_token(&app, &folder, &link, None).await.1["access_token"]["value"].as_str().unwrap().to_owned();
        assert_eq!(app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await.0, StatusCode::OK);
        // Rotated: a different token sent over REST makes the server mint a new one.
        let (_, rotated) = set_public(&app, &alice, &folder, json!({ "level": "read", "token": "mine" })).await;
        let new_link = rotated["access_info"]["public"]["token"].as_str().unwrap().to_owned();
        assert_ne!(new_link, link);
        assert_ne!(new_link, "mine");
        assert_eq!(app.rest("GET", &format!("item/{folder}"), Some(&visitor), None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(app.rest("GET", &format!("item/{folder}?public_token={link}"), None, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(app.rest("GET", &format!("item/{folder}?public_token={new_link}"), None, None).await.0, StatusCode::OK);
        // Switched off over GraphQL.
        let off = app.graphql(Some(&alice), "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { accessInfo { public { level token } } } } }",
            json!({ "i": { "companyId": app.company.to_string(), "id": folder, "publicLink": { "level": "NONE" } } })).await;
        assert_eq!(off["data"]["updateItem"]["item"]["accessInfo"]["public"]["level"], "NONE", "{off}");
        assert_eq!(app.rest("GET", &format!("item/{folder}?public_token={new_link}"), None, None).await.0, StatusCode::UNAUTHORIZED);
    }

    async fn a_write_link_lets_visitors_add_files(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (folder, _) = folder_with_file(&app, &alice).await;
        let (_, shared) = set_public(&app, &alice, &folder, json!({ "level": "write" })).await;
        let link = shared["access_info"]["public"]["token"].as_str().unwrap().to_owned();
        let (status, created) = app.rest("POST", &format!("item?public_token={link}"), None,
            Some(json!({ "item": { "name": "from-visitor.txt", "parent_id": folder }, "version": {} }))).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        assert!(app.child_names(&alice, &folder).await.contains(&"from-visitor.txt".to_owned()));
        // It is Alice's: she created the folder it landed in (the visitor sees no one's id).
        assert!(created["creator"].is_null());
        let mine = app.item(&alice, created["id"].as_str().unwrap(), "viewerLevel creator { id }").await;
        assert_eq!(mine, json!({ "viewerLevel": "MANAGE", "creator": { "id": "alice" } }));
        // Only GraphQL managers may rotate; the visitor may not.
        let (status, _) = app.rest("POST", &format!("item/{folder}?public_token={link}"), None,
            Some(json!({ "access_info": { "entities": [], "public": { "level": "write", "token": "x" } } }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    async fn tab_tokens_make_their_holder_a_channel_member(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let (folder, file) = folder_with_file(&app, &alice).await;
        let set = app.graphql(Some(&alice), "mutation($i: SetTabInput!) { setTab(input: $i) { tab { tabId } } }",
            json!({ "i": { "companyId": app.company.to_string(), "tabId": "t1", "channelId": "general", "itemId": folder, "level": "READ" } })).await;
        assert!(set.get("errors").is_none(), "{set}");
        let now = quire::auth::unix_now();
        let tab_token = |channel: &str| app.keys.sign(&TabClaims {
            sub: "bob".into(), exp: now + 600, typ: TokenKind::Tab, company_id: app.company.to_string(),
            channel_id: channel.into(), tab_id: "t1".into(),
        }).unwrap();
        let (status, seen) = app.rest("GET", &format!("item/{file}?twake_tab_token={}", tab_token("general")), None, None).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        assert_eq!(seen["access"], "read");
        let (status, _) = app.rest("GET", &format!("item/{file}?twake_tab_token={}", tab_token("random")), None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A tab token is no bearer token, and a bearer token is no tab token.
        let (status, _) = app.rest("GET", &format!("item/{file}"), Some(&tab_token("general")), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.rest("GET", &format!("item/{file}?twake_tab_token={alice}"), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
