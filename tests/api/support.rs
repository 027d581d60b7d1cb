//! The test harness: the real router in process over real migrations, on SQLite in a temp
//! file or on PostgreSQL (`QUIRE_TEST_POSTGRES_URL`) in a fresh schema per test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use quire::auth::{Keys, Role};
use quire::config::Limits;
use quire::domain::CompanyId;
use quire::service::{self, Service};
use quire::state::AppState;
use quire::storage::BlobStore;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

/// Generates one test per backend: `<name>::sqlite` and `<name>::postgres`.
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: crate::support::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(crate::support::TestApp::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(quire_postgres), ignore = "QUIRE_TEST_POSTGRES_URL was not set when the tests were built")]
            async fn postgres() {
                run(crate::support::TestApp::postgres().await).await
            }
        }
    )*};
}
pub(crate) use on_both_backends;

const SECRET: &[u8] = b"quire-test-secret-0123456789abcdef";
/// The limits of test apps unless a test sets its own: uploads up to 64 MiB.
pub fn test_limits() -> Limits {
    Limits {
        max_upload_bytes: 64 << 20,
        ..Limits::default()
    }
}

pub struct TestApp {
    pub router: Router,
    pub keys: Keys,
    pub service: Service,
    /// The database under the service, for what tests do behind its back.
    pub db: sea_orm::DatabaseConnection,
    /// A fresh company per test.
    pub company: CompanyId,
    statements: Arc<AtomicUsize>,
    /// The statements' SQL while a test records it (`record_sql`).
    recorded: Arc<Mutex<Option<Vec<String>>>>,
    postgres: bool,
    /// The blob store, to see what is stored.
    pub blobs: BlobStore,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("quire.db").display()
        );
        Self::with_options(service::connect_options(&url), dir, test_limits()).await
    }

    pub async fn postgres() -> Self {
        Self::postgres_with_limits(test_limits()).await
    }

    /// A PostgreSQL app (in a schema of its own) with these limits.
    pub async fn postgres_with_limits(limits: Limits) -> Self {
        let base = std::env::var("QUIRE_TEST_POSTGRES_URL")
            .expect("QUIRE_TEST_POSTGRES_URL names the PostgreSQL server to test on");
        let schema = format!("quire_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&base)
            .await
            .expect("connecting to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("creating a test schema");
        let mut options = service::connect_options(&base);
        options.set_schema_search_path(schema).max_connections(8);
        let dir = tempfile::tempdir().expect("temp dir");
        Self::with_options(options, dir, limits).await
    }

    /// A SQLite app with these limits.
    pub async fn with_limits(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("quire.db").display()
        );
        Self::with_options(service::connect_options(&url), dir, limits).await
    }

    async fn with_options(
        options: sea_orm::ConnectOptions,
        dir: tempfile::TempDir,
        limits: Limits,
    ) -> Self {
        // Internal errors are logged; show them next to the failing test.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("quire=error")
            .try_init();
        let is_postgres = !options.get_url().starts_with("sqlite:");
        let db = service::open(options).await.expect("opening the database");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let recorded: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let recorder = recorded.clone();
        // QUIRE_TEST_STORAGE_URL=s3://bucket runs the suite on S3, under a fresh prefix.
        let storage_url = match std::env::var("QUIRE_TEST_STORAGE_URL") {
            Ok(base) => format!("{}/{}", base.trim_end_matches('/'), Uuid::new_v4().simple()),
            Err(_) => format!("file://{}", dir.path().join("blobs").display()),
        };
        let blobs = BlobStore::open(&storage_url).expect("blob store");
        let blobs_handle = blobs.clone();
        let mut service = Service::new(db.clone(), blobs, &limits);
        service.set_metric_callback(move |info| {
            if let Some(sql) = recorder.lock().unwrap().as_mut() {
                sql.push(info.statement.sql.clone());
            }
            if std::env::var_os("QUIRE_TEST_PRINT_SQL").is_some() {
                eprintln!(
                    "SQL: {}",
                    info.statement.sql.chars().take(160).collect::<String>()
                );
            }
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let keys = Keys::from_secret(SECRET);
        let state = AppState::new(service.clone(), keys.clone(), limits);
        Self {
            router: quire::app(state),
            keys,
            service,
            db,
            company: CompanyId(Uuid::new_v4()),
            statements,
            recorded,
            postgres: is_postgres,
            blobs: blobs_handle,
            _dir: dir,
        }
    }

    /// The GraphQL global id of a special folder of this test's company (`root` → `root/<c>`).
    pub fn global(&self, special: &str) -> String {
        format!("{special}/{}", self.company)
    }

    /// An access token for `user` with `role` in this test's company.
    pub fn token(&self, user: &str, role: Role) -> String {
        self.keys
            .mint_access(
                user,
                &[(self.company, role)],
                3600,
                Some(format!("{user} name")),
            )
            .expect("minting a token")
    }

    /// Whether this app runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Starts recording the SQL of the statements run (see `recorded_sql`).
    pub fn record_sql(&self) {
        *self.recorded.lock().unwrap() = Some(Vec::new());
    }

    /// The SQL of the statements run since `record_sql`, which starts afresh.
    pub fn recorded_sql(&self) -> Vec<String> {
        self.recorded
            .lock()
            .unwrap()
            .replace(Vec::new())
            .expect("record_sql was called")
    }

    /// The SQL statements run so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Serves the real router on a loopback port, for what needs a socket (WebSockets).
    pub async fn listen(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    /// Sends a request through the real router.
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, body, headers)
    }

    /// Sends a REST request to the documents routes of the test's company (`path` after
    /// `…/companies/{company}/`); the JSON answer, or `null` for an empty one.
    pub async fn rest(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let uri = format!(
            "/internal/services/documents/v1/companies/{}/{path}",
            self.company
        );
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let (status, bytes, _) = self.send(request.body(body).unwrap()).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        (status, value)
    }

    /// Sends a bodiless request to the files routes of the test's company as `token`.
    pub async fn rest_files(&self, method: &str, path: &str, token: &str) -> (StatusCode, Value) {
        let uri = format!(
            "/internal/services/files/v1/companies/{}/{path}",
            self.company
        );
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, bytes, _) = self.send(request).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Runs a GraphQL operation and returns the whole response.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, body, _) = self.send(request.body(Body::from(body)).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("a JSON response")
    }

    /// Runs an operation that must succeed, and returns its `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.graphql(Some(token), query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs an operation that must fail, and returns the first error's code.
    pub async fn error_code(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let response = self.graphql(token, query, variables).await;
        let code = response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {response:#}"));
        code.to_owned()
    }

    /// Creates an item and returns its id.
    pub async fn create(
        &self,
        token: &str,
        parent: &str,
        name: &str,
        is_directory: bool,
    ) -> String {
        let data = self
            .data(
                token,
                "mutation($input: CreateItemInput!) { createItem(input: $input) { item { id } } }",
                json!({ "input": {
                    "companyId": self.company.to_string(), "parentId": parent,
                    "name": name, "isDirectory": is_directory,
                }}),
            )
            .await;
        data["createItem"]["item"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a file of `size` bytes (REST multipart) and returns its id.
    pub async fn create_file(&self, token: &str, parent: &str, name: &str, size: usize) -> String {
        let file = self
            .create_with_bytes(token, parent, name, &vec![b'x'; size])
            .await;
        file["id"].as_str().unwrap().to_owned()
    }

    /// Creates a file holding `bytes` (REST multipart `POST item`); its legacy JSON.
    pub async fn create_with_bytes(
        &self,
        token: &str,
        parent: &str,
        name: &str,
        bytes: &[u8],
    ) -> Value {
        let item = json!({ "name": name, "parent_id": parent }).to_string();
        let (content_type, body) = multipart(&[
            Part::text("item", &item),
            Part::text("version", "{}"),
            Part::file("file", name, "text/plain", bytes),
        ]);
        let uri = format!(
            "/internal/services/documents/v1/companies/{}/item",
            self.company
        );
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, body, _) = self.send(request).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// Runs a GraphQL operation as a multipart request carrying `bytes` as the upload at
    /// `path` (`variables.input.file`); the whole response.
    pub async fn graphql_upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        path: &str,
        bytes: &[u8],
    ) -> Value {
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let map = json!({ "0": [path] }).to_string();
        let (content_type, body) = multipart(&[
            Part::text("operations", &operations),
            Part::text("map", &map),
            Part::file("0", "upload.txt", "text/plain", bytes),
        ]);
        let mut request = Request::post("/graphql")
            .header("content-type", content_type)
            .header("apollo-require-preflight", "true");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let (_, body, _) = self.send(request.body(Body::from(body)).unwrap()).await;
        serde_json::from_slice(&body).expect("a JSON response")
    }

    /// Adds a version holding `bytes` to a file; the `createVersion` payload.
    pub async fn add_version(&self, token: &str, file: &str, bytes: &[u8]) -> Value {
        let response = self
            .graphql_upload(
                Some(token),
                "mutation($input: CreateVersionInput!) { createVersion(input: $input) { version { id size } item { size } } }",
                json!({ "input": { "companyId": self.company.to_string(), "itemId": file, "file": null } }),
                "variables.input.file",
                bytes,
            )
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"]["createVersion"].clone()
    }

    /// Reads an item's fields (a selection set) as `token`.
    pub async fn item(&self, token: &str, id: &str, selection: &str) -> Value {
        let query = format!(
            "query($c: ID!, $id: ID!) {{ item(companyId: $c, id: $id) {{ {selection} }} }}"
        );
        self.data(
            token,
            &query,
            json!({ "c": self.company.to_string(), "id": id }),
        )
        .await["item"]
            .clone()
    }

    /// The error code of reading an item as `token`.
    pub async fn item_error(&self, token: &str, id: &str) -> String {
        self.error_code(
            Some(token),
            "query($c: ID!, $id: ID!) { item(companyId: $c, id: $id) { id } }",
            json!({ "c": self.company.to_string(), "id": id }),
        )
        .await
    }

    /// The names of what an item lists (first page), in order.
    pub async fn child_names(&self, token: &str, id: &str) -> Vec<String> {
        let item = self
            .item(
                token,
                id,
                "children(first: 1000) { edges { node { name } } }",
            )
            .await;
        item["children"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Applies `change` (fields of `UpdateItemInput`) to an item as `token`; it must succeed.
    pub async fn update(&self, token: &str, id: &str, change: Value) -> Value {
        let mut input = json!({ "companyId": self.company.to_string(), "id": id });
        input
            .as_object_mut()
            .unwrap()
            .extend(change.as_object().expect("a change is an object").clone());
        self.data(
            token,
            "mutation($input: UpdateItemInput!) { updateItem(input: $input) { item { id } } }",
            json!({ "input": input }),
        )
        .await
    }

    /// Replaces an item's access list as `token`.
    pub async fn share(&self, token: &str, id: &str, entities: Value) -> Value {
        self.graphql(
            Some(token),
            "mutation($input: UpdateItemInput!) { updateItem(input: $input) { item { id } } }",
            json!({ "input": { "companyId": self.company.to_string(), "id": id, "access": entities }}),
        )
        .await
    }

    /// The keys in the blob store (content, staged uploads, chunks).
    pub async fn stored_keys(&self) -> Vec<String> {
        self.blobs
            .list("")
            .await
            .expect("listing the blob store")
            .into_iter()
            .map(|l| l.key)
            .collect()
    }

    /// Uploads `bytes` through the files service as `token`: the status and the answer.
    pub async fn try_upload(
        &self,
        token: &str,
        name: &str,
        mime: &str,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        let (content_type, body) = multipart(&[Part::file("file", name, mime, bytes)]);
        let uri = format!(
            "/internal/services/files/v1/companies/{}/files",
            self.company
        );
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, body, _) = self.send(request).await;
        (
            status,
            serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body))),
        )
    }

    /// Uploads `bytes` through the files service as `token`; returns the `resource`.
    pub async fn upload(&self, token: &str, name: &str, mime: &str, bytes: &[u8]) -> Value {
        let (status, answer) = self.try_upload(token, name, mime, bytes).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["resource"].clone()
    }
}

/// One part of a multipart body.
pub struct Part<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    mime: Option<&'a str>,
    bytes: &'a [u8],
}

impl<'a> Part<'a> {
    pub fn text(name: &'a str, text: &'a str) -> Self {
        Self {
            name,
            file_name: None,
            mime: None,
            bytes: text.as_bytes(),
        }
    }

    pub fn file(name: &'a str, file_name: &'a str, mime: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            name,
            file_name: Some(file_name),
            mime: Some(mime),
            bytes,
        }
    }
}

/// A `multipart/form-data` body: its content type and bytes.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "quire-test-boundary-7d1f";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"",
                part.name
            )
            .as_bytes(),
        );
        if let Some(file_name) = part.file_name {
            body.extend_from_slice(format!("; filename=\"{file_name}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(mime) = part.mime {
            body.extend_from_slice(format!("Content-Type: {mime}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Asserts that the committed `file` (at the repository's top) is `generated`; with
/// `UPDATE_SCHEMA` set, rewrites it instead.
pub fn assert_committed_file_is_current(file: &str, generated: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, generated).unwrap_or_else(|e| panic!("writing {file}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{file} is stale: run `UPDATE_SCHEMA=1 cargo test --test api -- schema openapi` and commit it"
    );
}
