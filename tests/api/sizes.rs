//! Sizes come from stored bytes only: never from a client, checked by the database, and
//! repaired from the bytes where an older Quire took them from a client.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use migration::MigratorTrait;
use quire::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::{Part, multipart, on_both_backends};

on_both_backends! {
    async fn sizes_never_come_from_the_client(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let huge = json!({ "item": { "name": "claims.bin", "parent_id": "root" }, "version": { "file_metadata": { "size": 9223372036854775807i64 } } });
        let (status, created) = app.rest("POST", "item", Some(&admin), Some(huge)).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        assert_eq!(created["size"], 0, "an item created without bytes is an empty file");
        let id = created["id"].as_str().unwrap().to_owned();
        let (status, _) = app.rest("POST", "item", Some(&admin), Some(json!({ "item": { "name": "ten", "parent_id": "root" }, "version": { "file_metadata": { "size": 10 } } }))).await;
        assert_eq!(status, StatusCode::OK);
        let uri = format!("/internal/services/documents/v1/companies/{}/item/{id}/download", app.company);
        let (status, body, headers) = app.send(Request::get(uri).header("authorization", format!("Bearer {admin}")).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "an empty file downloads");
        assert!(body.is_empty());
        assert_eq!(headers["content-length"], "0");
        // A version without content is refused, whatever it claims.
        let (status, answer) = app.rest("POST", &format!("item/{id}/version"), Some(&admin), Some(json!({ "file_metadata": { "size": 77 } }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        let (content_type, body) = multipart(&[Part::text("version", "{}")]);
        let request = Request::post(format!("/internal/services/documents/v1/companies/{}/item/{id}/version", app.company))
            .header("authorization", format!("Bearer {admin}")).header("content-type", content_type).body(Body::from(body)).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::BAD_REQUEST, "multipart without a file part");
        let code = app.error_code(Some(&admin), "mutation($i: CreateVersionInput!) { createVersion(input: $i) { version { id } } }",
            json!({ "i": { "companyId": app.company.to_string(), "itemId": id, "file": null } })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let root = app.item(&admin, "root", "size children { totalCount edges { node { size versions { totalCount } } } }").await;
        assert_eq!(root["size"], 0);
        assert_eq!(root["children"]["totalCount"], 2);
        for edge in root["children"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["size"], 0);
            assert_eq!(edge["node"]["versions"]["totalCount"], 1);
        }
    }

    async fn the_database_refuses_negative_and_non_integer_sizes(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        app.create_file(&admin, "root", "a.txt", 3).await;
        let db = &app.db;
        for table in ["items", "versions", "blobs", "files"] {
            assert!(db.execute_unprepared(&format!("UPDATE {table} SET size = -1")).await.is_err(), "{table}: negative");
            // PostgreSQL's bigint holds integers only; SQLite needs the check.
            if !app.is_postgres() {
                assert!(db.execute_unprepared(&format!("UPDATE {table} SET size = 1.5")).await.is_err(), "{table}: not an integer");
            }
            assert!(db.execute_unprepared(&format!("UPDATE {table} SET size = size + 9223372036854775807")).await.is_err(), "{table}: overflow");
        }
        assert_eq!(app.item(&admin, "root", "size").await["size"], 3);
    }

    async fn sizes_an_older_quire_took_from_clients_are_repaired_from_the_bytes(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Docs", true).await;
        let inner = app.create(&admin, &folder, "Inner", true).await;
        app.create_file(&admin, &inner, "a.txt", 5).await;
        app.create_file(&admin, &folder, "b.txt", 7).await;
        let db = &app.db;
        // Undo the checks, corrupt the sizes as a client-chosen size did, and migrate again.
        let migrations = migration::Migrator::migrations();
        let repair = migrations.iter().position(|m| m.name() == "m20261201_000001_sizes_from_bytes").unwrap();
        migration::Migrator::down(db, Some((migrations.len() - repair) as u32)).await.unwrap();
        let huge = if app.is_postgres() { "9223372036854775807" } else { "9.3e18" };
        for statement in [
            format!("UPDATE items SET size = {huge}"),
            "UPDATE versions SET size = 123456".to_owned(),
        ] {
            db.execute_unprepared(&statement).await.unwrap();
        }
        migration::Migrator::up(db, None).await.unwrap();
        assert_eq!(app.item(&admin, "root", "size").await["size"], 12);
        assert_eq!(app.item(&admin, &folder, "size").await["size"], 12);
        assert_eq!(app.item(&admin, &inner, "size").await["size"], 5);
        let sizes = app.item(&admin, &folder, "children { edges { node { name size latestVersion { size } } } }").await;
        assert_eq!(sizes["children"]["edges"][1]["node"], json!({ "name": "b.txt", "size": 7, "latestVersion": { "size": 7 } }));
        let (status, _) = app.rest("GET", "item/root", Some(&admin), None).await;
        assert_eq!(status, StatusCode::OK);
    }
}
