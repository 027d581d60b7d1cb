//! File content: uploads (files service, multipart create and version), downloads with ranges
//! and caching, download tokens, zips, deduplication, deletion, limits and sweeping.

use std::io::Read;

use sha2::Digest;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use quire::auth::Role;
use serde_json::{Value, json};

use quire::config::Limits;

use crate::support::{Part, TestApp, multipart, on_both_backends, test_limits};

fn documents(app: &TestApp, path: &str) -> String {
    format!(
        "/internal/services/documents/v1/companies/{}/{path}",
        app.company
    )
}

async fn get(
    app: &TestApp,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

on_both_backends! {
    async fn upload_then_download_with_ranges_and_etags(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bytes = b"0123456789abcdefghij".repeat(1000);
        let file = app.create_with_bytes(&alice, "user_alice", "r\u{e9}sum\u{e9} 1.txt", &bytes).await;
        assert_eq!(file["size"], bytes.len());
        let id = file["id"].as_str().unwrap();
        let uri = documents(&app, &format!("item/{id}/download"));
        let (status, body, headers) = get(&app, &uri, Some(&alice), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, bytes);
        assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(disposition.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%201.txt"), "{disposition}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        // Ranges.
        let (status, body, headers) = get(&app, &uri, Some(&alice), &[("range", "bytes=10-19")]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(body, &bytes[10..20]);
        assert_eq!(headers["content-range"], format!("bytes 10-19/{}", bytes.len()).as_str());
        let (_, body, _) = get(&app, &uri, Some(&alice), &[("range", "bytes=-5")]).await;
        assert_eq!(body, &bytes[bytes.len() - 5..]);
        let (status, _, _) = get(&app, &uri, Some(&alice), &[("range", "bytes=999999-")]).await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
        // Conditional.
        let (status, body, _) = get(&app, &uri, Some(&alice), &[("if-none-match", &etag)]).await;
        assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
        // The current name, even after a rename.
        let rename = Request::post(documents(&app, &format!("item/{id}"))).header("authorization", format!("Bearer {alice}"))
            .header("content-type", "application/json").body(Body::from(json!({ "name": "cv.txt" }).to_string())).unwrap();
        app.send(rename).await;
        let (_, _, headers) = get(&app, &uri, Some(&alice), &[]).await;
        assert!(headers["content-disposition"].to_str().unwrap().contains("filename=\"cv.txt\""));
        // Others: not found; nobody: unauthorized.
        let bob = app.token("bob", Role::Member);
        assert_eq!(get(&app, &uri, Some(&bob), &[]).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &uri, None, &[]).await.0, StatusCode::UNAUTHORIZED);
    }

    async fn versions_keep_their_bytes_and_tokens_serve_them(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let file = app.create_with_bytes(&alice, "user_alice", "hello.txt", b"hello twake drive\n").await;
        let id = file["id"].as_str().unwrap().to_owned();
        let first_version = file["last_version_cache"]["id"].as_str().unwrap().to_owned();
        // A new version from a multipart file part.
        let (content_type, body) = multipart(&[Part::file("file", "hello-v2.txt", "text/plain", b"hello twake drive, version 2\n")]);
        let request = Request::post(documents(&app, &format!("item/{id}/version"))).header("authorization", format!("Bearer {alice}"))
            .header("content-type", content_type).body(Body::from(body)).unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let version: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(version["file_size"], 29);
        let uri = documents(&app, &format!("item/{id}/download"));
        assert_eq!(get(&app, &uri, Some(&alice), &[]).await.1, b"hello twake drive, version 2\n");
        let old = format!("{uri}?version_id={first_version}");
        assert_eq!(get(&app, &old, Some(&alice), &[]).await.1, b"hello twake drive\n");
        // A download token alone is enough; one made for a version serves that version.
        let token_uri = documents(&app, &format!("item/download/token?items={id}&version_id={first_version}"));
        let (status, body, _) = get(&app, &token_uri, Some(&alice), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let token = serde_json::from_slice::<Value>(&body).unwrap()["token"].as_str().unwrap().to_owned();
        let (status, body, _) = get(&app, &format!("{uri}?token={token}"), None, &[]).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, b"hello twake drive\n".as_slice()));
        // Not for another item, not as a bearer token.
        let other = app.create_with_bytes(&alice, "user_alice", "other.txt", b"other").await;
        let other_uri = documents(&app, &format!("item/{}/download?token={token}", other["id"].as_str().unwrap()));
        assert_eq!(get(&app, &other_uri, None, &[]).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&app, &uri, Some(&token), &[]).await.0, StatusCode::UNAUTHORIZED);
    }

    async fn identical_content_is_stored_once_and_deleted_with_its_last_user(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let a = app.create_with_bytes(&alice, "user_alice", "a.txt", b"same bytes").await;
        let b = app.create_with_bytes(&alice, "user_alice", "b.txt", b"same bytes").await;
        assert_eq!(app.stored_keys().await.len(), 1, "{:?}", app.stored_keys().await);
        for (item, remaining) in [(&a, 1), (&b, 0)] {
            let id = item["id"].as_str().unwrap();
            for _ in 0..2 {
                let request = Request::delete(documents(&app, &format!("item/{id}"))).header("authorization", format!("Bearer {alice}")).body(Body::empty()).unwrap();
                assert_eq!(app.send(request).await.0, StatusCode::OK);
            }
            assert_eq!(app.stored_keys().await.len(), remaining);
        }
    }

    async fn uploads_belong_to_their_uploader(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let upload = app.upload(&alice, "notes.md", "", b"# notes").await;
        assert_eq!(upload["metadata"], json!({ "name": "notes.md", "mime": "text/markdown", "thumbnails_status": "done" }));
        assert_eq!(upload["upload_data"]["size"], 7);
        let id = upload["id"].as_str().unwrap();
        let files = format!("/internal/services/files/v1/companies/{}/files/{id}", app.company);
        assert_eq!(get(&app, &files, Some(&alice), &[]).await.0, StatusCode::OK);
        assert_eq!(get(&app, &format!("{files}/download"), Some(&alice), &[]).await.1, b"# notes");
        assert_eq!(get(&app, &files, Some(&bob), &[]).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &format!("{files}/download"), Some(&bob), &[]).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &format!("{files}/download"), None, &[]).await.0, StatusCode::UNAUTHORIZED);
        // Bob cannot make a version of Alice's upload either.
        let body = json!({ "item": { "name": "stolen.md", "parent_id": "user_bob" }, "version": { "file_metadata": { "external_id": id } } });
        let request = Request::post(documents(&app, "item")).header("authorization", format!("Bearer {bob}"))
            .header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        assert_eq!(app.send(request).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.child_names(&bob, "user_bob").await, Vec::<String>::new());
    }

    async fn folders_zip_with_every_entry_checked(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let root = app.create(&alice, "user_alice", "Folder", true).await;
        let sub = app.create(&alice, &root, "sub", true).await;
        app.create(&alice, &root, "empty", true).await;
        let secret = app.create(&alice, &root, "secret", true).await;
        for (parent, name, bytes) in [(&root, "a.txt", &b"alpha"[..]), (&sub, "b.txt", b"bravo"), (&secret, "c.txt", b"charlie"), (&root, "gone.txt", b"trashed")] {
            app.create_with_bytes(&alice, parent, name, bytes).await;
        }
        let gone = app.child_names(&alice, &root).await;
        assert!(gone.contains(&"gone.txt".to_owned()));
        let trashed = app.item(&alice, &root, "children { edges { node { id name } } }").await;
        let gone_id = trashed["children"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["name"] == "gone.txt").unwrap()["node"]["id"].as_str().unwrap().to_owned();
        let request = Request::delete(documents(&app, &format!("item/{gone_id}"))).header("authorization", format!("Bearer {alice}")).body(Body::empty()).unwrap();
        app.send(request).await;
        // Bob reads the folder but not `secret` (inheritance broken there).
        app.share(&alice, &root, json!([{ "type": "FOLDER", "id": "parent", "level": "MANAGE" }, { "type": "USER", "id": "bob", "level": "READ" }])).await;
        app.share(&alice, &secret, json!([{ "type": "FOLDER", "id": "parent", "level": "NONE" }])).await;

        let read = |bytes: Vec<u8>| -> Vec<(String, Vec<u8>)> {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a whole zip");
            (0..archive.len()).map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut content = Vec::new();
                entry.read_to_end(&mut content).unwrap();
                (entry.name().unwrap().to_string(), content)
            }).collect()
        };
        let (status, body, headers) = get(&app, &documents(&app, &format!("item/{root}/download")), Some(&alice), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/zip");
        let entries = read(body);
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Folder/", "Folder/empty/", "Folder/secret/", "Folder/secret/c.txt", "Folder/sub/", "Folder/sub/b.txt", "Folder/a.txt"]);
        assert_eq!(entries[3].1, b"charlie");
        assert_eq!(entries[6].1, b"alpha");
        let (status, body, _) = get(&app, &documents(&app, &format!("item/download/zip?items={root}")), Some(&bob), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<String> = read(body).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Folder/", "Folder/empty/", "Folder/sub/", "Folder/sub/b.txt", "Folder/a.txt"]);
        // Errors come before the first byte.
        let (status, _, _) = get(&app, &documents(&app, &format!("item/download/zip?items={secret}")), Some(&bob), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = get(&app, &documents(&app, "item/download/zip?items=nope"), Some(&bob), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

/// Posts a raw chunk of a chunked upload.
async fn post_chunk(app: &TestApp, token: &str, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let uri = format!(
        "/internal/services/files/v1/companies/{}/{path}",
        app.company
    );
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(bytes))
        .unwrap();
    let (status, body, _) = app.send(request).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

on_both_backends! {
    async fn chunked_uploads_assemble_in_any_order(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let bob = app.token("bob", Role::Member);
        let bytes: Vec<u8> = (0..30_000u32).map(|i| (i % 251) as u8).collect();
        let query = format!("resumableTotalChunks=3&resumableTotalSize={}&resumableFilename=data.bin&resumableType=application%2Foctet-stream", bytes.len());
        let (status, started) = post_chunk(&app, &alice, &format!("files?{query}"), Vec::new()).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let id = started["resource"]["id"].as_str().unwrap().to_owned();
        assert_eq!(started["resource"]["upload_data"], json!({ "size": 30000, "chunks": 3 }));
        // Someone else cannot add to it.
        assert_eq!(post_chunk(&app, &bob, &format!("files/{id}?resumableChunkNumber=1&{query}"), vec![0; 10]).await.0, StatusCode::NOT_FOUND);
        assert_eq!(post_chunk(&app, &alice, &format!("files/{id}?resumableChunkNumber=4&{query}"), vec![0; 10]).await.0, StatusCode::BAD_REQUEST);
        // Chunks in parallel, out of order; a chunk sent twice replaces the first.
        post_chunk(&app, &alice, &format!("files/{id}?resumableChunkNumber=2&{query}"), vec![9; 5]).await;
        let sends = [3usize, 1, 2].map(|n| {
            let chunk = bytes[(n - 1) * 10_000..n * 10_000].to_vec();
            let path = format!("files/{id}?resumableChunkNumber={n}&{query}");
            let alice = alice.clone();
            let app = &app;
            async move { post_chunk(app, &alice, &path, chunk).await }
        });
        let answers = futures::future::join_all(sends).await;
        assert!(answers.iter().all(|(status, _)| *status == StatusCode::OK), "{answers:?}");
        let files = format!("/internal/services/files/v1/companies/{}/files/{id}", app.company);
        let (status, body, _) = get(&app, &files, Some(&alice), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let meta: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(meta["resource"]["upload_data"]["size"], 30000);
        assert_eq!(meta["resource"]["metadata"]["thumbnails_status"], "done");
        assert_eq!(get(&app, &format!("{files}/download"), Some(&alice), &[]).await.1, bytes);
        // The item made from it serves the same bytes; only the blob is left on disk.
        let body = json!({ "item": { "name": "data.bin", "parent_id": "user_alice" }, "version": { "file_metadata": { "external_id": id } } });
        let request = Request::post(documents(&app, "item")).header("authorization", format!("Bearer {alice}"))
            .header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(status, StatusCode::OK);
        let item: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(item["size"], 30000);
        let uri = documents(&app, &format!("item/{}/download", item["id"].as_str().unwrap()));
        assert_eq!(get(&app, &uri, Some(&alice), &[]).await.1, bytes);
        assert_eq!(app.stored_keys().await.len(), 1, "{:?}", app.stored_keys().await);
    }

    async fn chunks_sent_at_once_hold_no_more_than_was_declared(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let query = "resumableTotalChunks=4&resumableTotalSize=100&resumableFilename=x.bin";
        let (_, started) = post_chunk(&app, &alice, &format!("files?{query}"), Vec::new()).await;
        let id = started["resource"]["id"].as_str().unwrap().to_owned();
        let chunks = (1..=4).map(|n| {
            let (app, alice, id) = (&app, &alice, &id);
            async move { post_chunk(app, alice, &format!("files/{id}?resumableChunkNumber={n}&{query}"), vec![n as u8; 60]).await.0 }
        });
        let statuses = futures::future::join_all(chunks).await;
        let kept = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(kept, 1, "60 + 60 bytes never fit 100: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::PAYLOAD_TOO_LARGE), "{statuses:?}");
        let held: i64 = <entity::upload_chunk::Entity as sea_orm::EntityTrait>::find().all(&app.db).await.unwrap().iter().map(|c| c.size).sum();
        assert_eq!(held, 60);
        assert_eq!(app.stored_keys().await.len(), 1, "refused chunks leave no bytes: {:?}", app.stored_keys().await);
    }

    async fn chunks_that_do_not_add_up_make_no_file(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let query = "resumableTotalChunks=2&resumableTotalSize=100&resumableFilename=x.bin";
        let (_, started) = post_chunk(&app, &alice, &format!("files?{query}"), Vec::new()).await;
        let id = started["resource"]["id"].as_str().unwrap().to_owned();
        assert_eq!(post_chunk(&app, &alice, &format!("files/{id}?resumableChunkNumber=1&{query}"), vec![1; 10]).await.0, StatusCode::OK);
        let (status, pending) = post_chunk(&app, &alice, &format!("files/{id}?resumableChunkNumber=2&{query}"), vec![2; 10]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(pending["resource"]["metadata"]["thumbnails_status"], "waiting", "still an upload, not a file");
        let body = json!({ "item": { "name": "x.bin", "parent_id": "user_alice" }, "version": { "file_metadata": { "external_id": id } } });
        let request = Request::post(documents(&app, "item")).header("authorization", format!("Bearer {alice}"))
            .header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&body).contains("20 of 100 bytes"), "{}", String::from_utf8_lossy(&body));
        assert!(app.child_names(&alice, "user_alice").await.is_empty());
        // Resending the wrong chunk completes it.
        let (_, done) = post_chunk(&app, &alice, &format!("files/{id}?resumableChunkNumber=2&{query}"), vec![2; 90]).await;
        assert_eq!(done["resource"]["metadata"]["thumbnails_status"], "done");
        assert_eq!(done["resource"]["upload_data"]["size"], 100);
    }
}

/// A GraphQL multipart request (the multipart request spec) with one file at `variables.<var>`.
pub(crate) async fn graphql_upload(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    path: &str,
    bytes: &[u8],
    preflight: bool,
) -> (StatusCode, Value) {
    let operations = json!({ "query": query, "variables": variables }).to_string();
    let map = json!({ "0": [path] }).to_string();
    let (content_type, body) = multipart(&[
        Part::text("operations", &operations),
        Part::text("map", &map),
        Part::file("0", "notes.txt", "text/plain", bytes),
    ]);
    let mut request = Request::post("/graphql")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    let (status, body, _) = app.send(request.body(Body::from(body)).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

on_both_backends! {
    async fn graphql_uploads_and_download_urls(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let create = "mutation($input: CreateItemInput!) { createItem(input: $input) { item { id size downloadUrl latestVersion { fileName mime downloadUrl } } } }";
        let variables = json!({ "input": { "companyId": app.company.to_string(), "parentId": "user_alice", "name": "notes.txt", "file": null } });
        // Without a preflight header a multipart request could come from a form on another site.
        let (status, _) = graphql_upload(&app, &alice, create, variables.clone(), "variables.input.file", b"first", false).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(app.child_names(&alice, "user_alice").await.is_empty());
        let (status, answer) = graphql_upload(&app, &alice, create, variables, "variables.input.file", b"first", true).await;
        assert_eq!(status, StatusCode::OK);
        assert!(answer.get("errors").is_none(), "{answer:#}");
        let item = &answer["data"]["createItem"]["item"];
        assert_eq!(item["size"], 5);
        assert_eq!(item["latestVersion"]["mime"], "text/plain");
        let url = item["downloadUrl"].as_str().unwrap().to_owned();
        assert_eq!(get(&app, &url, None, &[]).await.1, b"first", "a download URL needs no headers");
        let id = item["id"].as_str().unwrap().to_owned();
        let first_version_url = item["latestVersion"]["downloadUrl"].as_str().unwrap().to_owned();
        let version = "mutation($input: CreateVersionInput!) { createVersion(input: $input) { item { size } version { size } } }";
        let variables = json!({ "input": { "companyId": app.company.to_string(), "itemId": id, "file": null } });
        let (_, answer) = graphql_upload(&app, &alice, version, variables, "variables.input.file", b"second!", true).await;
        assert_eq!(answer["data"]["createVersion"]["item"]["size"], 7, "{answer:#}");
        assert_eq!(get(&app, &url, None, &[]).await.1, b"second!");
        assert_eq!(get(&app, &first_version_url, None, &[]).await.1, b"first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_failure_mid_zip_cuts_the_stream() {
    use http_body_util::BodyExt;
    let app = TestApp::sqlite().await;
    let alice = app.token("alice", Role::Member);
    let folder = app.create(&alice, "user_alice", "Box", true).await;
    app.create_with_bytes(&alice, &folder, "a.txt", &[b'a'; 300_000])
        .await;
    app.create_with_bytes(&alice, &folder, "b.txt", b"bravo")
        .await;
    // The bytes of b.txt vanish from the store behind Quire's back.
    let keys = app.stored_keys().await;
    let doomed = keys
        .iter()
        .find(|key| !key.contains(&format!("{:x}", sha2::Sha256::digest([b'a'; 300_000]))))
        .unwrap();
    app.blobs.delete(doomed).await.unwrap();
    let request = Request::get(documents(&app, &format!("item/{folder}/download")))
        .header("authorization", format!("Bearer {alice}"))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the zip had started");
    let body = response.into_body().collect().await;
    assert!(
        body.is_err(),
        "a cut zip must end in an error, not a clean end of stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused_and_leave_nothing() {
    let app = TestApp::with_limits(Limits {
        max_upload_bytes: 1000,
        ..test_limits()
    })
    .await;
    let alice = app.token("alice", Role::Member);
    let (status, answer) = app
        .try_upload(&alice, "big.bin", "application/octet-stream", &[7u8; 5000])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["code"], "PAYLOAD_TOO_LARGE");
    assert!(
        app.stored_keys().await.is_empty(),
        "{:?}",
        app.stored_keys().await
    );
    let fits = app
        .upload(
            &alice,
            "small.bin",
            "application/octet-stream",
            &[1u8; 1000],
        )
        .await;
    assert_eq!(fits["upload_data"]["size"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_removes_bytes_without_rows_and_keeps_the_rest() {
    let app = TestApp::sqlite().await;
    let alice = app.token("alice", Role::Member);
    app.upload(&alice, "kept.txt", "text/plain", b"kept").await;
    // What a crash leaves: content without its row, a half-written upload, orphaned chunks.
    for key in [
        format!("blobs/{}/deadbeef-crashed", app.company),
        "staging/half-upload".to_owned(),
        format!("chunks/{}/1", uuid::Uuid::new_v4()),
    ] {
        app.blobs
            .write(
                &key,
                futures::stream::iter([Ok::<_, quire::error::AppError>(
                    bytes::Bytes::from_static(b"left"),
                )]),
                100,
            )
            .await
            .unwrap();
    }
    assert_eq!(app.stored_keys().await.len(), 4);
    assert_eq!(
        app.service.sweep(3600).await.unwrap(),
        0,
        "young bytes may still be on their way to a row"
    );
    assert_eq!(app.service.sweep(0).await.unwrap(), 3);
    let left = app.stored_keys().await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("blobs/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_company_quota_counts_distinct_content() {
    let app = TestApp::with_limits(Limits {
        max_upload_bytes: 1 << 20,
        company_quota_bytes: Some(1000),
        ..test_limits()
    })
    .await;
    let alice = app.token("alice", Role::Member);
    app.upload(&alice, "a.bin", "application/octet-stream", &[1u8; 400])
        .await;
    // The same content again costs nothing.
    app.upload(&alice, "again.bin", "application/octet-stream", &[1u8; 400])
        .await;
    app.upload(&alice, "b.bin", "application/octet-stream", &[2u8; 600])
        .await;
    // The quota is full: the next bytes are refused while they stream.
    let (status, answer) = app
        .try_upload(&alice, "c.bin", "application/octet-stream", &[3u8; 1])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("quota"));
    // A declared size is refused before any byte is read.
    let uri = format!(
        "/internal/services/files/v1/companies/{}/files?resumableTotalChunks=2&resumableTotalSize=5000&resumableFilename=c.bin",
        app.company
    );
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {alice}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.stored_keys().await.len(),
        2,
        "{:?}",
        app.stored_keys().await
    );
}

/// A re-upload takes a reference on content the sweeper is deleting: the sweeper's DELETE
/// waits for the re-upload's transaction (held open here), then must keep the row and its
/// bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(quire_postgres),
    ignore = "QUIRE_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn the_sweeper_deletes_only_the_bytes_of_rows_it_deleted() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::postgres().await;
    let alice = app.token("alice", Role::Member);
    let file = app
        .upload(&alice, "x.txt", "text/plain", b"contested bytes")
        .await;
    let id = file["id"].as_str().unwrap().to_owned();
    // The last user let go of the content; the sweeper has not run yet.
    app.db
        .execute_unprepared("UPDATE blobs SET refs = 0")
        .await
        .unwrap();
    let reupload = app.db.begin().await.unwrap();
    reupload
        .execute_unprepared("SELECT id FROM blobs FOR UPDATE")
        .await
        .unwrap();
    let service = app.service.clone();
    let sweeping = tokio::spawn(async move { service.sweep_unreferenced().await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !sweeping.is_finished(),
        "the sweeper waits for the re-upload"
    );
    reupload
        .execute_unprepared("UPDATE blobs SET refs = refs + 1")
        .await
        .unwrap();
    reupload.commit().await.unwrap();
    assert_eq!(sweeping.await.unwrap().unwrap(), 0, "nothing was deleted");
    let uri = format!(
        "/internal/services/files/v1/companies/{}/files/{id}/download",
        app.company
    );
    let (status, body, _) = get(&app, &uri, Some(&alice), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"contested bytes");
}

on_both_backends! {
    async fn a_chunked_upload_expires_after_a_while_without_a_chunk_not_after_it_started(app: TestApp) {
        let alice = app.token("alice", Role::Member);
        let query = "resumableTotalChunks=3&resumableTotalSize=30&resumableFilename=slow.bin&resumableType=application%2Foctet-stream";
        let (_, started) = post_chunk(&app, &alice, &format!("files?{query}"), Vec::new()).await;
        let id = started["resource"]["id"].as_str().unwrap().to_owned();
        let path = |n: u8| format!("files/{id}?resumableChunkNumber={n}&{query}");
        let chunk = |n: u8| {
            let path = path(n);
            let (app, alice) = (&app, &alice);
            async move { post_chunk(app, alice, &path, vec![n; 10]).await }
        };
        assert_eq!(chunk(1).await.0, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(chunk(2).await.0, StatusCode::OK);
        // Started more than the grace period ago, but a chunk came just now: it stays.
        app.service.sweep(2).await.unwrap();
        let (status, done) = chunk(3).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["resource"]["upload_data"]["size"], 30);
        // One that hears nothing for the grace period goes.
        let (_, idle) = post_chunk(&app, &alice, &format!("files?{query}"), Vec::new()).await;
        let idle = idle["resource"]["id"].as_str().unwrap().to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        app.service.sweep(2).await.unwrap();
        let (status, _) = post_chunk(&app, &alice, &format!("files/{idle}?resumableChunkNumber=1&{query}"), vec![1; 10]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an abandoned upload is gone");
    }
}
