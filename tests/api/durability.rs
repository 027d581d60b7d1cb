//! Nothing acknowledged is lost: a full disk is a 507 that keeps nothing while reads go on;
//! the data directory and the database are the server's alone.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use quire::auth::Role;
use serde_json::{Value, json};

use crate::binary::{Server, configure, quire};

async fn upload(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    size: usize,
) -> (u16, Value) {
    let response = client
        .post(server.files("files?filename=blob.bin"))
        .bearer_auth(token)
        .body(vec![b'z'; size])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A full disk for the blob store: a 4 MiB tmpfs mounted over `<data>/blobs` in a mount
/// namespace of the server's own (needs root, as CI has).
#[tokio::test]
async fn a_full_blob_store_answers_507_keeps_nothing_and_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blobs")).unwrap();
    let mut command = Command::new("unshare");
    command.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount -t tmpfs -o size=4m tmpfs \"$1/blobs\" && exec \"$2\" serve",
        "sh",
    ]);
    command.arg(dir.path()).arg(quire());
    configure(&mut command, dir.path(), &[]);
    let server = Server::start(command, dir.path());
    let token = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();

    let (status, kept) = upload(&client, &server, &token, 1 << 20).await;
    assert_eq!(status, 200, "{kept}");
    let file = kept["resource"]["id"].as_str().unwrap().to_owned();
    let item = json!({ "item": { "name": "kept.bin", "parent_id": "root" }, "version": { "file_metadata": { "external_id": file } } });
    let item_id = server.create(&token, item).await;

    for _ in 0..3 {
        let (status, refused) = upload(&client, &server, &token, 6 << 20).await;
        assert_eq!(status, 507, "{refused}");
        assert_eq!(refused["code"], "INSUFFICIENT_STORAGE");
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![b'v'; 6 << 20]).file_name("v.bin"),
    );
    let response = client
        .post(server.documents(&format!("item/{item_id}/version")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 507);

    // What was refused left nothing behind: the room is still there.
    let (status, _) = upload(&client, &server, &token, 2 << 20).await;
    assert_eq!(status, 200, "the refused uploads kept nothing");
    let download = client
        .get(server.documents(&format!("item/{item_id}/download")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(
        download.bytes().await.unwrap().len(),
        1 << 20,
        "reads go on"
    );
    assert!(
        !server.logged().contains("ERROR"),
        "a full disk is not a fault: {}",
        server.logged()
    );
}

#[tokio::test]
async fn the_data_directory_and_the_database_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut command = Command::new(quire());
    command.arg("serve");
    configure(&mut command, &data, &[]);
    let server = Server::start(command, dir.path());
    let token = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();
    let (status, _) = upload(&client, &server, &token, 10).await;
    assert_eq!(status, 200);
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in ["quire.db", "quire.db-wal", "quire.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}
