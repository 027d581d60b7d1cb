//! Every error kind carries its code: in GraphQL `extensions.code`, and one status for REST.

use quire::auth::{AccessClaims, Role, TokenKind};
use quire::error::{AppError, ErrorCode};
use serde_json::{Value, json};

use crate::support::on_both_backends;

#[test]
fn the_code_table_is_complete_and_consistent() {
    let cases = [
        (AppError::unauthenticated("x"), "UNAUTHENTICATED", 401),
        (AppError::forbidden("x"), "FORBIDDEN", 403),
        (AppError::not_found("x"), "NOT_FOUND", 404),
        (AppError::bad_input("x"), "BAD_USER_INPUT", 400),
        (AppError::Conflict("x".into()), "CONFLICT", 409),
        (
            AppError::PayloadTooLarge("x".into()),
            "PAYLOAD_TOO_LARGE",
            413,
        ),
        (
            AppError::Internal(anyhow::anyhow!("db password leaked")),
            "INTERNAL_SERVER_ERROR",
            500,
        ),
    ];
    for (err, code, status) in cases {
        assert_eq!(err.code().as_str(), code);
        assert_eq!(err.code().http_status(), status);
        let extended = async_graphql::ErrorExtensions::extend(&err);
        let value = serde_json::to_value(&extended.extensions).unwrap();
        assert_eq!(value["code"], code);
        assert!(
            !extended.message.contains("leaked"),
            "internal text must not reach clients"
        );
    }
    assert_eq!(ErrorCode::BadUserInput.as_str(), "BAD_USER_INPUT");
}

const ROOT: &str = "query($c: ID!) { item(companyId: $c, id: \"root\") { id } }";

on_both_backends! {
    async fn unauthenticated_without_or_with_bad_credentials(app: TestApp) {
        let vars = json!({ "c": app.company.to_string() });
        assert_eq!(app.error_code(None, ROOT, vars.clone()).await, "UNAUTHENTICATED");
        assert_eq!(app.error_code(Some("not-a-jwt"), ROOT, vars.clone()).await, "UNAUTHENTICATED");

        let other = quire::auth::Keys::from_secret(b"another-secret-entirely-0123456789");
        let forged = other.mint_access("alice", &[(app.company, Role::Admin)], 60, None).unwrap();
        assert_eq!(app.error_code(Some(&forged), ROOT, vars.clone()).await, "UNAUTHENTICATED");

        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let expired = app.keys.sign(&AccessClaims {
            sub: "alice".into(), exp: now - 600, iat: None, nbf: None, typ: None,
            name: None, email: None, companies: Default::default(),
        }).unwrap();
        let response = app.graphql(Some(&expired), ROOT, vars.clone()).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(response["errors"][0]["message"].as_str().unwrap().contains("expired"));

        for typ in [TokenKind::Download, TokenKind::Tab] {
            let wrong_role = app.keys.sign(&AccessClaims {
                sub: "alice".into(), exp: now + 600, iat: None, nbf: None, typ: Some(typ),
                name: None, email: None, companies: Default::default(),
            }).unwrap();
            assert_eq!(app.error_code(Some(&wrong_role), ROOT, vars.clone()).await, "UNAUTHENTICATED");
        }
    }

    async fn each_reachable_error_kind_has_its_code(app: TestApp) {
        let admin = app.token("admin", Role::Admin);
        let member = app.token("member", Role::Member);
        let company = app.company.to_string();
        // BAD_USER_INPUT: a company id that is not a UUID, an item id that is nothing.
        let code = app.error_code(Some(&admin), ROOT, json!({ "c": "acme" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(app.item_error(&admin, "not-an-id").await, "BAD_USER_INPUT");
        // NOT_FOUND: an unknown item.
        assert_eq!(app.item_error(&admin, &uuid::Uuid::now_v7().to_string()).await, "NOT_FOUND");
        // FORBIDDEN: a member may read the Shared Drive but not add to it.
        let code = app.error_code(
            Some(&member),
            "mutation($i: CreateItemInput!) { createItem(input: $i) { item { id } } }",
            json!({ "i": { "companyId": company, "parentId": "root", "name": "x", "isDirectory": true } }),
        ).await;
        assert_eq!(code, "FORBIDDEN");
    }
}

/// A failure while checking credentials is a logged 500, once; 401 stays for wrong ones.
#[tokio::test]
async fn a_failure_while_checking_credentials_is_a_logged_500_not_a_401() {
    use sea_orm::ConnectionTrait;
    let dir = tempfile::tempdir().unwrap();
    let server = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_LOG", "error")]),
        dir.path(),
    );
    let admin = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();
    let id = server
        .create(
            &admin,
            json!({ "item": { "name": "Docs", "parent_id": "root", "is_directory": true } }),
        )
        .await;
    let linked: Value = client.post(server.documents(&format!("item/{id}"))).bearer_auth(&admin)
        .json(&json!({ "access_info": { "entities": [{ "type": "folder", "id": "parent", "level": "manage" }], "public": { "level": "read" } } }))
        .send().await.unwrap().json().await.unwrap();
    let link = linked["access_info"]["public"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened: Value = client
        .post(server.documents("anonymous/token"))
        .json(&json!({ "document_id": id, "token": link }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let visitor = opened["access_token"]["value"].as_str().unwrap().to_owned();
    // The database breaks under the server.
    let db = sea_orm::Database::connect(quire::service::connect_options(&format!(
        "sqlite://{}?mode=rw",
        dir.path().join("quire.db").display()
    )))
    .await
    .unwrap();
    db.execute_unprepared("ALTER TABLE items RENAME TO items_gone")
        .await
        .unwrap();
    let response = client
        .get(server.documents(&format!("item/{id}")))
        .bearer_auth(&visitor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(
        body["message"], "internal error",
        "internal text never leaves"
    );
    let response = client
        .post(format!("{}/graphql", server.base))
        .bearer_auth(&visitor)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let response = client
        .get(server.documents(&format!("item/{id}")))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        401,
        "wrong credentials stay a 401"
    );
    let logged = server.logged();
    assert_eq!(
        logged.matches("internal error").count(),
        2,
        "each failure logged once: {logged}"
    );
}

/// Settings are checked before the database is touched.
#[test]
fn a_bad_setting_is_refused_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("elsewhere.db");
    let output = std::process::Command::new(crate::binary::quire())
        .args(["serve"])
        .env("QUIRE_DATA_DIR", dir.path().join("data"))
        .env(
            "QUIRE_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        )
        .env("QUIRE_JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 16 bytes"));
    assert!(!database.exists(), "no database was made");
    assert!(
        !dir.path().join("data").exists(),
        "no data directory was made"
    );
}
