//! Every error kind carries its code: in GraphQL `extensions.code`, and one status for REST.

use quire::auth::{AccessClaims, Role, TokenKind};
use quire::error::{AppError, ErrorCode};
use serde_json::json;

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
