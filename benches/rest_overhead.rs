//! What the REST shim's translation costs on `GET item/:id` (a folder of 100 files, or with
//! `QUIRE_BENCH_ITEM=file` one of its files), against the service called directly and the same
//! GraphQL operation executed in process.
//!
//! It also times the committed `BrowseFolder` of that folder over HTTP, in process.
//!
//! `cargo bench --bench rest_overhead` (SQLite in a temp dir; prints microseconds per call).

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use quire::auth::{Keys, Role};
use quire::config::Limits;
use quire::domain::inputs::{CreateItem, NewVersion};
use quire::domain::{CompanyId, Detail, ItemRef, PageRequest, Sorting};
use quire::service::{self, Service};
use quire::state::AppState;
use quire::storage::BlobStore;
use tower::ServiceExt;

/// Calls per path; `QUIRE_BENCH_CALLS` lowers it for a run under `valgrind --tool=callgrind`.
fn iterations() -> u32 {
    std::env::var("QUIRE_BENCH_CALLS")
        .ok()
        .and_then(|calls| calls.parse().ok())
        .unwrap_or(2000)
}

/// Whether the calls read one of the folder's files instead of the folder.
fn reads_a_file() -> bool {
    std::env::var("QUIRE_BENCH_ITEM").is_ok_and(|item| item == "file")
}

/// The same allocator as the `quire` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = service::connect(&url).await.unwrap();
    let blobs = BlobStore::open(&format!("file://{}", dir.path().join("blobs").display())).unwrap();
    let service = Service::new(
        db,
        blobs,
        &quire::config::Limits {
            max_upload_bytes: 1 << 30,
            ..Default::default()
        },
    );
    let keys = Keys::from_secret(b"bench-secret-0123456789abcdef");
    let company = CompanyId(uuid::Uuid::new_v4());
    let token = keys
        .mint_access("ada", &[(company, Role::Admin)], 3600, None)
        .unwrap();
    let viewer = keys.verify_access(&token).unwrap();
    let folder = service
        .create_item(
            &viewer,
            company,
            CreateItem {
                parent: ItemRef::Root,
                name: "folder".into(),
                is_directory: true,
                description: String::new(),
                tags: Vec::new(),
                version: None,
            },
        )
        .await
        .unwrap();
    let mut files = Vec::new();
    for i in 0..100 {
        let input = CreateItem {
            parent: folder.id.clone(),
            name: format!("file-{i}.txt"),
            is_directory: false,
            description: String::new(),
            tags: Vec::new(),
            version: Some(NewVersion {
                file_name: format!("file-{i}.txt"),
                mime: "text/plain".into(),
                ..Default::default()
            }),
        };
        files.push(service.create_item(&viewer, company, input).await.unwrap());
    }
    let (read, what) = if reads_a_file() {
        (&files[0], "one of its files")
    } else {
        (&folder, "a folder of 100 files")
    };
    let state = AppState::new(service.clone(), keys.clone(), Limits::default());
    let router = quire::app(state.clone());
    let uri = format!(
        "/internal/services/documents/v1/companies/{company}/item/{}",
        read.id
    );

    let direct = time(|| async {
        let item = service.get_item(&viewer, company, &read.id).await.unwrap();
        if item.is_directory {
            let children = service
                .children_of(
                    &viewer,
                    &item,
                    Sorting::default(),
                    PageRequest::new(0, 1000),
                    Detail::FULL,
                )
                .await
                .unwrap();
            // Latest versions, access lists and creators come with the children.
            assert_eq!(children.items.len(), 100);
            assert!(children.items.iter().all(|c| c.latest_version.is_some()));
        } else {
            let versions = service
                .versions_of(&item, PageRequest::new(0, 1000))
                .await
                .unwrap();
            assert_eq!(versions.items.len(), 1);
        }
    })
    .await;
    let operation = state.rest.get_item.document.clone();
    let variables =
        serde_json::json!({ "companyId": company.to_string(), "id": read.id.to_string() });
    let graphql = time(|| async {
        let mut request = async_graphql::Request::new("")
            .variables(async_graphql::Variables::from_json(variables.clone()));
        request.set_parsed_query(operation.clone());
        let caller = quire::auth::Identity {
            viewer: Ok(viewer.clone()),
            credentials: Default::default(),
        };
        let response = quire::graphql::run(&state, &caller, request).await;
        assert!(response.errors.is_empty());
    })
    .await;
    let rest = time(|| async {
        let request = Request::get(&uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(body.len() > if read.is_directory { 10_000 } else { 1_000 });
    })
    .await;
    // What a frontend's folder page costs over HTTP, in process: the committed `BrowseFolder`.
    let browse_body = serde_json::json!({
        "query": include_str!("../tests/queries/BrowseFolder.graphql"),
        "variables": { "companyId": company.to_string(), "id": folder.id.to_string(), "first": 100 },
    })
    .to_string();
    let browse = time(|| async {
        let request = Request::post("/graphql")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(browse_body.clone()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(body.len() > 10_000 && !body.starts_with(b"{\"errors"));
    })
    .await;
    println!(
        "GET item/:id, {what}, {} calls each, one at a time:",
        iterations()
    );
    println!("  service called directly (same data, no JSON)       : {direct:>8.1} µs/call");
    println!("  the GraphQL operation in process (no HTTP, no JSON): {graphql:>8.1} µs/call");
    println!("  REST shim (token, GraphQL operation, legacy JSON):  {rest:>8.1} µs/call");
    println!(
        "  translation overhead:                               {:>8.1} µs/call ({:.0}%)",
        rest - direct,
        (rest - direct) / direct * 100.0
    );
    println!("GraphQL BrowseFolder over HTTP, the folder's 100 children: {browse:>8.1} µs/call");
}

async fn time<F, Fut>(call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let iterations = iterations();
    for _ in 0..iterations.min(100) {
        call().await;
    }
    let start = Instant::now();
    for _ in 0..iterations {
        call().await;
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}
