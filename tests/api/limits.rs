//! What one request may cost: bounded nesting, expanded size and time for GraphQL documents,
//! credentials before bodies, small caps on JSON and form fields, bounded parts.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use futures::StreamExt;
use quire::auth::Role;
use quire::config::Limits;
use serde_json::{Value, json};

use crate::support::{Part, TestApp, multipart, on_both_backends, test_limits};

fn graphql_post(body: String) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn first_code(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).expect("a JSON answer");
    value["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `item(companyId: {a: {a: … 1 …}}, id: "root")`, nested `levels` deep.
fn nested_literal(levels: usize) -> String {
    format!(
        "{{ item(companyId: {}1{}, id: \"root\") {{ id }} }}",
        "{a: ".repeat(levels),
        "}".repeat(levels)
    )
}

/// A document whose fragments each spread the previous one twice, `levels` deep.
fn fragment_chain(levels: usize) -> String {
    let mut query =
        format!("query Bomb {{ ...F{levels} }}\nfragment F0 on QueryRoot {{ __typename }}\n");
    for level in 1..=levels {
        query.push_str(&format!(
            "fragment F{level} on QueryRoot {{ ...F{} ...F{} }}\n",
            level - 1,
            level - 1
        ));
    }
    query
}

/// A body that would be 100 MB, counting what is read of it.
fn hundred_megabytes(read: Arc<AtomicUsize>) -> Body {
    let chunk = Bytes::from(vec![b'x'; 64 << 10]);
    Body::from_stream(futures::stream::iter(0..1600).map(move |_| {
        read.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, Infallible>(chunk.clone())
    }))
}

on_both_backends! {
    async fn a_deeply_nested_literal_is_refused_with_a_code_and_the_server_keeps_answering(app: TestApp) {
        let query = nested_literal(5000);
        let (status, body, _) = app.send(graphql_post(json!({ "query": query }).to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
        let uri = format!("/graphql?query={}", form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>());
        let (status, body, _) = app.send(Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
        let (status, _, _) = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn deeply_nested_variables_are_refused_with_a_code(app: TestApp) {
        let mut value = json!(1);
        for _ in 0..100 {
            value = json!({ "a": value });
        }
        let body = json!({ "query": "query($v: ID!) { item(companyId: $v, id: \"root\") { id } }", "variables": { "v": value } });
        let (status, body, _) = app.send(graphql_post(body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
    }

    async fn a_fragment_chain_is_refused_in_well_under_100_ms(app: TestApp) {
        let query = fragment_chain(26);
        assert!(query.len() < 1500, "a small document: {} bytes", query.len());
        let started = Instant::now();
        let (status, body, _) = app.send(graphql_post(json!({ "query": query }).to_string())).await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
        assert!(String::from_utf8_lossy(&body).contains("fragments are expanded"));
        assert!(took.as_millis() < 100, "refused in {took:?}");
    }

    async fn the_playground_introspection_passes_the_selection_bound(app: TestApp) {
        let response = app.graphql(None, crate::http::INTROSPECTION, json!({})).await;
        assert!(response.get("errors").is_none(), "{response:#}");
    }

    async fn credentials_are_checked_before_any_body_is_read(app: TestApp) {
        let company = app.company;
        let boundary = "multipart/form-data; boundary=quire-test-boundary-7d1f";
        let routes = [
            (format!("/internal/services/documents/v1/companies/{company}/item"), "application/json"),
            (format!("/internal/services/documents/v1/companies/{company}/item"), boundary),
            (format!("/internal/services/documents/v1/companies/{company}/item/{}/version", uuid::Uuid::nil()), boundary),
            (format!("/internal/services/documents/v1/companies/{company}/item/{}", uuid::Uuid::nil()), "application/json"),
            (format!("/internal/services/files/v1/companies/{company}/files?filename=a.bin"), "application/octet-stream"),
            (format!("/internal/services/files/v1/companies/{company}/files"), boundary),
            (format!("/internal/services/files/v1/companies/{company}/files/{}?resumableChunkNumber=1", uuid::Uuid::nil()), "application/octet-stream"),
            ("/graphql".to_owned(), boundary),
        ];
        for (uri, content_type) in routes {
            let read = Arc::new(AtomicUsize::new(0));
            let request = Request::post(&uri)
                .header("content-type", content_type)
                .header("apollo-require-preflight", "true")
                .body(hundred_megabytes(read.clone()))
                .unwrap();
            let (status, body, _) = app.send(request).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {}", String::from_utf8_lossy(&body));
            // A refused GraphQL upload reads (and forgets) up to 1 MiB, so the client sees it.
            let bound = if uri == "/graphql" { (1 << 20) + (64 << 10) } else { 64 << 10 };
            let read = read.load(Ordering::SeqCst);
            assert!(read <= bound, "{uri} read {read} bytes before refusing");
        }
    }
}

#[tokio::test]
async fn json_bodies_and_form_fields_have_small_caps() {
    let limits = Limits {
        max_json_bytes: 4096,
        max_form_field_bytes: 512,
        max_form_parts: 3,
        ..test_limits()
    };
    let app = TestApp::with_limits(limits).await;
    let token = app.token("ada", Role::Admin);
    let big = json!({ "item": { "name": "x".repeat(5000), "parent_id": "root" } });
    let (status, answer) = app.rest("POST", "item", Some(&token), Some(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let description = "d".repeat(600);
    let item = json!({ "name": "a.txt", "description": description }).to_string();
    for (parts, expected) in [
        (
            vec![
                Part::text("item", &item),
                Part::file("file", "a.txt", "text/plain", b"hi"),
            ],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            vec![
                Part::text("x", "1"),
                Part::text("y", "2"),
                Part::text("z", "3"),
                Part::file("file", "a.txt", "text/plain", b"hi"),
            ],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (content_type, body) = multipart(&parts);
        let request = Request::post(format!(
            "/internal/services/documents/v1/companies/{}/item",
            app.company
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(status, expected, "{}", String::from_utf8_lossy(&body));
    }
    // A preamble that never reaches a boundary, and part headers that never end, are refused
    // once the parser would hold more than a text field and a chunk: never read to the end.
    for head in [
        &b""[..],
        &b"--b\r\nContent-Disposition: form-data; name=\"item\"\r\nX-Pad: "[..],
    ] {
        let read = Arc::new(AtomicUsize::new(0));
        let counter = read.clone();
        let chunk = Bytes::from(vec![b'x'; 16 << 10]);
        let head = Bytes::copy_from_slice(head);
        let stream = futures::stream::once(async move { Ok::<_, Infallible>(head) }).chain(
            futures::stream::iter(0..1024).map(move |_| {
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
                Ok(chunk.clone())
            }),
        );
        let request = Request::post(format!(
            "/internal/services/documents/v1/companies/{}/item",
            app.company
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(Body::from_stream(stream))
        .unwrap();
        let (status, body, _) = app.send(request).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let read = read.load(Ordering::SeqCst);
        assert!(
            read < 2 << 20,
            "{read} bytes of a 16 MiB preamble were read"
        );
    }
    let query = format!("{{ __typename {} }}", "a: __typename ".repeat(400));
    let (status, _, _) = app
        .send(graphql_post(json!({ "query": query }).to_string()))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        app.child_names(&token, "root").await.is_empty(),
        "nothing was created"
    );
    assert!(app.stored_keys().await.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn every_execution_runs_under_the_time_budget() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::with_limits(Limits {
        graphql_timeout_ms: 200,
        ..test_limits()
    })
    .await;
    let token = app.token("ada", Role::Admin);
    // Another writer holds the database: every write below waits past its budget.
    let blocker = app.db.begin().await.unwrap();
    blocker
        .execute_unprepared("INSERT INTO users (id, seen_at) VALUES ('blocker', 0)")
        .await
        .unwrap();
    let create = json!({ "item": { "name": "late", "parent_id": "root", "is_directory": true } });
    let (status, answer) = app.rest("POST", "item", Some(&token), Some(create)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let code = app
        .error_code(Some(&token), "mutation($c: ID!) { createItem(input: {companyId: $c, parentId: \"root\", name: \"late\", isDirectory: true}) { item { id } } }", json!({ "c": app.company.to_string() }))
        .await;
    assert_eq!(code, "PAYLOAD_TOO_LARGE");
    blocker.rollback().await.unwrap();
}

on_both_backends! {
    async fn nodes_cost_what_they_select_repeats_included(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Docs", true).await;
        let ids = vec![folder.clone(); 1000];
        let heavy = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Item { children(first: 100) { edges { node { id name } } } } } }";
        let response = app.graphql(Some(&admin), heavy, json!({ "ids": ids })).await;
        assert_eq!(response["errors"][0]["message"], "Query is too complex.", "{response:#}");
        let before = app.statements();
        let light = app.data(&admin, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids })).await;
        assert_eq!(light["nodes"].as_array().unwrap().len(), 1000);
        assert!(light["nodes"].as_array().unwrap().iter().all(|n| n["id"] == folder.as_str()));
        assert!(app.statements() - before <= 6, "repeats are read once: {} statements", app.statements() - before);
    }

    async fn level_of_user_is_batched_and_for_managers_only(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let folder = app.create(&admin, "root", "Docs", true).await;
        let query = "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { children(first: 100) { edges { node { levelOfUser(userId: \"bob\") } } } } }";
        let variables = json!({ "c": app.company.to_string(), "id": folder });
        let mut costs = Vec::new();
        for count in [2, 12] {
            while app.child_names(&admin, &folder).await.len() < count {
                let n = app.child_names(&admin, &folder).await.len();
                app.create(&admin, &folder, &format!("f{n}"), true).await;
            }
            let before = app.statements();
            let data = app.data(&admin, query, variables.clone()).await;
            let edges = data["item"]["children"]["edges"].as_array().unwrap().clone();
            assert_eq!(edges.len(), count);
            assert!(edges.iter().all(|e| e["node"]["levelOfUser"] == "READ"), "{edges:?}");
            costs.push(app.statements() - before);
        }
        assert_eq!(costs[0], costs[1], "statements do not grow with the children: {costs:?}");
        let member = app.token("bob", Role::Member);
        let code = app.error_code(Some(&member), query, variables).await;
        assert_eq!(code, "FORBIDDEN");
    }
}

on_both_backends! {
    async fn numbers_out_of_range_are_bad_input_never_a_panic(app: TestApp) {
        let admin = app.token("ada", Role::Admin);
        let query = "query($c: ID!, $after: String, $first: Int) { item(companyId: $c, id: \"root\") { children(after: $after, first: $first) { edges { node { id } } } } }";
        for (after, first) in [
            (json!("18446744073709551615"), json!(10)),
            (json!("99999999999999999999999"), json!(10)),
            (json!("-1"), json!(10)),
            (json!("not a cursor"), json!(10)),
            (Value::Null, json!(-1)),
        ] {
            let code = app.error_code(Some(&admin), query, json!({ "c": app.company.to_string(), "after": after, "first": first })).await;
            assert_eq!(code, "BAD_USER_INPUT", "after {after}, first {first}");
        }
        for page in [json!(9223372036854775807i64), json!("18446744073709551616"), json!(-5)] {
            let (status, answer) = app.rest("POST", "browse/root", Some(&admin), Some(json!({ "paginate": { "page": page, "limit": 10 } }))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "page {page}: {answer}");
        }
    }
}

#[tokio::test]
async fn a_zip_over_its_entry_bound_is_refused_before_the_first_byte() {
    let app = TestApp::with_limits(Limits {
        zip_max_entries: 3,
        ..test_limits()
    })
    .await;
    let admin = app.token("ada", Role::Admin);
    let folder = app.create(&admin, "root", "Docs", true).await;
    for name in ["a", "b"] {
        app.create(&admin, &folder, name, true).await;
    }
    let download = |id: String| {
        let uri = format!(
            "/internal/services/documents/v1/companies/{}/item/{id}/download",
            app.company
        );
        Request::get(uri)
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, _) = app.send(download(folder.clone())).await;
    assert_eq!(status, StatusCode::OK, "three entries fit");
    app.create(&admin, &folder, "c", true).await;
    let (status, body, headers) = app.send(download(folder)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(String::from_utf8_lossy(&body).contains("QUIRE_ZIP_MAX_ENTRIES"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zips_take_turns() {
    let app = TestApp::with_limits(Limits {
        zip_concurrency: 1,
        ..test_limits()
    })
    .await;
    let admin = app.token("ada", Role::Admin);
    let folder = app.create(&admin, "root", "Docs", true).await;
    // More than the pipe and the zip's buffer hold, and nothing compresses it: the first
    // zip waits for its reader.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..4 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    app.create_with_bytes(&admin, &folder, "big.bin", &noise)
        .await;
    let download = || {
        let uri = format!(
            "/internal/services/documents/v1/companies/{}/item/{folder}/download",
            app.company
        );
        Request::get(uri)
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap()
    };
    use tower::ServiceExt;
    let first = app.router.clone().oneshot(download()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let second = tokio::spawn({
        let router = app.router.clone();
        let request = download();
        async move { router.oneshot(request).await.unwrap().status() }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    if second.is_finished() {
        panic!(
            "the second zip did not wait for the first's turn: {:?}",
            second.await
        );
    }
    drop(first);
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), second)
        .await
        .expect("the second zip's turn comes once the first is gone")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}

/// Sends `length` bytes after `head` on a raw connection while reading the answer; the status
/// line and what it took to come.
fn post_raw(address: &str, head: &str, length: usize) -> (String, std::time::Duration) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(
            format!("{head}Content-Length: {length}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..length / chunk.len() {
            if writer.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let mut answer = vec![0u8; 512];
    let read = stream.read(&mut answer).unwrap();
    let status = String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    (status, started.elapsed())
}

#[test]
fn the_binary_refuses_100_mb_without_credentials_at_once_and_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::binary::Server::start(crate::binary::serve(dir.path(), &[]), dir.path());
    let address = server.base.trim_start_matches("http://").to_owned();
    let company = server.company;
    let before = server.rss_kib();
    for (path, content_type) in [
        (
            format!("/internal/services/documents/v1/companies/{company}/item"),
            "application/json",
        ),
        (
            format!("/internal/services/documents/v1/companies/{company}/item"),
            "multipart/form-data; boundary=b",
        ),
        (
            format!("/internal/services/files/v1/companies/{company}/files?filename=a"),
            "application/octet-stream",
        ),
        ("/graphql".to_owned(), "multipart/form-data; boundary=b"),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nApollo-Require-Preflight: 1\r\n"
        );
        let (status, took) = post_raw(&address, &head, 100 << 20);
        assert!(status.starts_with("HTTP/1.1 401"), "{path}: {status}");
        assert!(took.as_secs() < 5, "{path}: refused in {took:?}");
    }
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 20 << 10, "RSS grew by {grown} KiB");
}

#[tokio::test]
async fn every_limit_is_read_from_the_environment_by_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("QUIRE_MAX_JSON_BYTES", "2000"),
        ("QUIRE_MAX_FORM_FIELD_BYTES", "100"),
        ("QUIRE_MAX_FORM_PARTS", "2"),
        ("QUIRE_MAX_UPLOAD_BYTES", "1000"),
        ("QUIRE_GRAPHQL_MAX_SELECTIONS", "40"),
        ("QUIRE_GRAPHQL_MAX_NESTING", "12"),
        ("QUIRE_GRAPHQL_MAX_DEPTH", "6"),
        ("QUIRE_GRAPHQL_MAX_COMPLEXITY", "2000"),
        ("QUIRE_ZIP_MAX_ENTRIES", "1"),
    ];
    let server =
        crate::binary::Server::start(crate::binary::serve(dir.path(), &settings), dir.path());
    let token = server.token("ada", Role::Admin);
    let client = reqwest::Client::new();
    let graphql = |query: String| {
        let client = client.clone();
        let url = format!("{}/graphql", server.base);
        let token = token.clone();
        async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = graphql(format!("{{ {} }}", "a: __typename ".repeat(200))).await;
    assert_eq!(status, 413, "QUIRE_MAX_JSON_BYTES: {body}");
    let (status, body) = graphql(format!(
        "{{ {} }}",
        (0..41)
            .map(|n| format!("a{n}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    ))
    .await;
    assert!(
        status == 400 && body.contains("at most 40"),
        "QUIRE_GRAPHQL_MAX_SELECTIONS: {body}"
    );
    let (status, body) = graphql(format!(
        "{{ item(companyId: {}1{}, id: \"root\") {{ id }} }}",
        "[".repeat(13),
        "]".repeat(13)
    ))
    .await;
    assert!(
        status == 400 && body.contains("deeper than 12"),
        "QUIRE_GRAPHQL_MAX_NESTING: {body}"
    );
    let (_, body) = graphql(format!("{{ item(companyId: \"{}\", id: \"root\") {{ children(first: 1) {{ edges {{ node {{ children(first: 1) {{ edges {{ node {{ id }} }} }} }} }} }} }} }}", server.company)).await;
    assert!(
        body.contains("nested too deep"),
        "QUIRE_GRAPHQL_MAX_DEPTH: {body}"
    );
    let (_, body) = graphql(format!("{{ item(companyId: \"{}\", id: \"root\") {{ children(first: 1000) {{ edges {{ node {{ id name }} }} }} }} }}", server.company)).await;
    assert!(
        body.contains("too complex"),
        "QUIRE_GRAPHQL_MAX_COMPLEXITY: {body}"
    );
    let upload = client
        .post(server.files("files?filename=big.bin"))
        .bearer_auth(&token)
        .body(vec![0u8; 1001])
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status().as_u16(), 413, "QUIRE_MAX_UPLOAD_BYTES");
    let item = json!({ "name": "x".repeat(150) }).to_string();
    let form = reqwest::multipart::Form::new().text("item", item.clone());
    let response = client
        .post(server.documents("item"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        413,
        "QUIRE_MAX_FORM_FIELD_BYTES"
    );
    let form = reqwest::multipart::Form::new()
        .text("a", "1")
        .text("b", "2")
        .text("c", "3");
    let response = client
        .post(server.documents("item"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400, "QUIRE_MAX_FORM_PARTS");
    let folder = server
        .create(
            &token,
            json!({ "item": { "name": "Docs", "parent_id": "root", "is_directory": true } }),
        )
        .await;
    server
        .create(
            &token,
            json!({ "item": { "name": "inner", "parent_id": folder, "is_directory": true } }),
        )
        .await;
    let zip = client
        .get(server.documents(&format!("item/{folder}/download")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status().as_u16(), 400, "QUIRE_ZIP_MAX_ENTRIES");
    let company = server.company;
    drop(server);
    let hurried = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_GRAPHQL_TIMEOUT_MS", "300")]),
        dir.path(),
    );
    // Another writer holds the database: the write below waits past its budget.
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let db = sea_orm::Database::connect(quire::service::connect_options(&format!(
        "sqlite://{}?mode=rw",
        dir.path().join("quire.db").display()
    )))
    .await
    .unwrap();
    let blocker = db.begin().await.unwrap();
    blocker
        .execute_unprepared("INSERT INTO users (id, seen_at) VALUES ('blocker', 0)")
        .await
        .unwrap();
    let create = json!({ "item": { "name": "late", "parent_id": "root", "is_directory": true } });
    let response = client
        .post(hurried.documents("item"))
        .bearer_auth(hurried.token("ada", Role::Admin))
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413, "QUIRE_GRAPHQL_TIMEOUT_MS");
    blocker.rollback().await.unwrap();
    drop(hurried);
    // A search ranking 100,000 matches takes over a second; its budget stops it.
    crate::search::crowd(&db, &folder, 100_000).await;
    let mut searcher = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_SEARCH_TIMEOUT_MS", "100")]),
        dir.path(),
    );
    searcher.company = company;
    let response = client
        .post(searcher.documents("search"))
        .bearer_auth(searcher.token("ada", Role::Admin))
        .json(&json!({ "search": "crowd" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413, "QUIRE_SEARCH_TIMEOUT_MS");
}
