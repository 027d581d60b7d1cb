//! Two `quire serve` processes on one PostgreSQL database and one blob store (S3 when
//! `QUIRE_TEST_STORAGE_URL` names one): a subscriber on one sees the other's changes within a
//! second, concurrent writers over both keep names unique and sizes exact, and bytes uploaded
//! through one download byte-exact through the other.

use std::time::{Duration, Instant};

use quire::auth::Role;
use reqwest::multipart::{Form, Part};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::binary::{Server, serve};
use crate::live::Socket;

/// A database of its own on the test server, dropped with it.
struct ScratchDatabase {
    admin: sea_orm::DatabaseConnection,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create() -> Self {
        let base = std::env::var("QUIRE_TEST_POSTGRES_URL").expect("QUIRE_TEST_POSTGRES_URL");
        let admin = Database::connect(&base).await.expect("PostgreSQL");
        let name = format!("quire_replicas_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("a scratch database");
        let (server, _) = base.rsplit_once('/').expect("a database URL");
        let url = format!("{server}/{name}");
        Self { admin, name, url }
    }

    async fn drop_it(self) {
        let _ = self
            .admin
            .execute_unprepared(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await;
    }
}

async fn upload(server: &Server, token: &str, parent: &str, name: &str, bytes: Vec<u8>) -> Value {
    let form = Form::new()
        .text(
            "item",
            json!({ "name": name, "parent_id": parent }).to_string(),
        )
        .text("version", "{}")
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let response = reqwest::Client::new()
        .post(server.documents("item"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn graphql(server: &Server, token: &str, query: &str, variables: Value) -> Value {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(quire_postgres),
    ignore = "QUIRE_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn two_replicas_on_one_database_and_one_store_are_one_drive() {
    let database = ScratchDatabase::create().await;
    let shared = tempfile::tempdir().unwrap();
    let storage = match std::env::var("QUIRE_TEST_STORAGE_URL") {
        Ok(base) => format!(
            "{}/{}",
            base.trim_end_matches('/'),
            uuid::Uuid::new_v4().simple()
        ),
        Err(_) => format!("file://{}", shared.path().join("blobs").display()),
    };
    let env = [
        ("QUIRE_DATABASE_URL", database.url.as_str()),
        ("QUIRE_STORAGE_URL", storage.as_str()),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Started together: they take turns migrating.
    let (a, mut b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| Server::start(serve(dir_a.path(), &env), dir_a.path()));
        let b = scope.spawn(|| Server::start(serve(dir_b.path(), &env), dir_b.path()));
        (a.join().unwrap(), b.join().unwrap())
    });
    b.company = a.company;
    let token = a.token("ada", Role::Member);
    let company = a.company.to_string();

    // A subscriber on B is told of a change made through A within a second.
    let address = b.base.trim_start_matches("http://").parse().unwrap();
    let mut socket = Socket::connect(address, "graphql-transport-ws", &token).await;
    let subscription = "subscription($c: ID!) { driveChanged(companyId: $c) { kind itemId } }";
    socket
        .subscribe("1", subscription, json!({ "c": company }))
        .await;
    assert!(socket.quiet().await);
    let made = Instant::now();
    let folder = a
        .create(&token, json!({ "item": { "name": "Shared work", "parent_id": "user_ada", "is_directory": true } }))
        .await;
    let change = socket.change("1").await;
    let took = made.elapsed();
    assert_eq!(change, json!({ "kind": "CREATED", "itemId": folder }));
    assert!(took < Duration::from_secs(1), "B told after {took:?}");

    // 16 writers over both, one name: 16 names, and the folder's size is what it holds.
    let writers = (0..16).map(|n| {
        let (server, token, folder) = (if n % 2 == 0 { &a } else { &b }, &token, &folder);
        async move { upload(server, token, folder, "same.txt", vec![b'x'; 100 * (n + 1)]).await }
    });
    let created = futures::future::join_all(writers).await;
    let listing = graphql(&b, &token, "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { size children(first: 100) { nodes { name size } } } }", json!({ "c": company, "id": folder })).await;
    let mut names: Vec<&str> = listing["item"]["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 16, "{names:?}");
    assert_eq!(listing["item"]["size"], json!(100 * (1..=16).sum::<i64>()));

    // Bytes uploaded through A come back byte-exact through B.
    let bytes: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    let file = upload(&a, &token, &folder, "bytes.bin", bytes.clone()).await;
    let id = file["id"].as_str().unwrap();
    let downloaded = reqwest::Client::new()
        .get(b.documents(&format!("item/{id}/download")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        downloaded.as_ref() == bytes.as_slice(),
        "{} bytes came back",
        downloaded.len()
    );
    assert_eq!(created.len(), 16);
    drop((a, b));
    database.drop_it().await;
}
