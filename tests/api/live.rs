//! Subscriptions over `GET /graphql/ws`: replayed from a cursor then live, per folder, in both
//! protocols; credentials in `connection_init` or with the upgrade, closed when they expire;
//! subscriptions only, each admitted, a bounded number per connection.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use quire::auth::Role;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{TestApp, on_both_backends};

const DRIVE_CHANGED: &str = "subscription($c: ID!, $f: ID, $after: String) { driveChanged(companyId: $c, folderId: $f, after: $after) { cursor kind itemId item { name } actor { id } } }";
const CURSOR: &str =
    "query($c: ID!) { changes(companyId: $c, first: 1000) { pageInfo { endCursor } } }";

/// How long a test waits for a message it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// A client's end of `/graphql/ws`.
pub(crate) struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// `graphql-transport-ws`, or the legacy `graphql-ws`.
    protocol: &'static str,
}

impl Socket {
    /// Opens a socket in `protocol`, with `header` as its upgrade's Authorization if given.
    async fn open(
        address: std::net::SocketAddr,
        protocol: &'static str,
        header: Option<&str>,
    ) -> Result<Self, WsError> {
        let mut request = format!("ws://{address}/graphql/ws")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        if let Some(token) = header {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { ws, protocol })
    }

    /// Opens a socket and initialises it with `token` in `connection_init`'s payload.
    pub(crate) async fn connect(
        address: std::net::SocketAddr,
        protocol: &'static str,
        token: &str,
    ) -> Self {
        let mut socket = Self::open(address, protocol, None)
            .await
            .expect("an upgrade");
        socket
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        assert_eq!(socket.next().await["type"], "connection_ack");
        socket
    }

    async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .expect("sending");
    }

    /// Starts operation `id`.
    pub(crate) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            "graphql-ws" => "start",
            _ => "subscribe",
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message (pings answered), or a panic after `PATIENCE`.
    async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a message in time")
                .expect("the socket open")
                .expect("a message");
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    match value["type"].as_str() {
                        Some("ka") => continue,
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        _ => return value,
                    }
                }
                Message::Close(frame) => {
                    return json!({ "closed": frame.map(|f| u16::from(f.code)) });
                }
                _ => continue,
            }
        }
    }

    /// The next change payload of operation `id`.
    pub(crate) async fn change(&mut self, id: &str) -> Value {
        let message = self.next().await;
        assert_eq!(message["id"], id, "{message}");
        assert!(
            matches!(message["type"].as_str(), Some("next" | "data")),
            "{message}"
        );
        assert!(message["payload"]["errors"].is_null(), "{message}");
        message["payload"]["data"]["driveChanged"].clone()
    }

    /// Whether nothing comes within a short while.
    pub(crate) async fn quiet(&mut self) -> bool {
        tokio::time::timeout(Duration::from_millis(400), self.ws.next())
            .await
            .is_err()
    }
}

/// The code of the error an operation's message carries.
fn error_code(message: &Value) -> Option<&str> {
    message["payload"]["errors"][0]["extensions"]["code"].as_str()
}

/// The feed's cursor at its head, as `token` sees it.
async fn head(app: &TestApp, token: &str) -> String {
    app.data(token, CURSOR, json!({ "c": app.company.to_string() }))
        .await["changes"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_backends! {
    async fn a_subscription_replays_from_its_cursor_then_follows_live(app: TestApp) {
        let address = app.listen().await;
        let ada = app.token("ada", Role::Member);
        let start = head(&app, &ada).await;
        let before = app.create(&ada, "user_ada", "Before", true).await;

        let mut socket = Socket::connect(address, "graphql-transport-ws", &ada).await;
        socket.subscribe("1", DRIVE_CHANGED, json!({ "c": app.company.to_string(), "after": start })).await;
        let replayed = socket.change("1").await;
        assert_eq!((replayed["kind"].as_str(), replayed["itemId"].as_str()), (Some("CREATED"), Some(before.as_str())));
        assert_eq!(replayed["actor"]["id"], "ada");
        let live = app.create(&ada, "user_ada", "Live", true).await;
        let changed = socket.change("1").await;
        assert_eq!((changed["kind"].as_str(), changed["itemId"].as_str()), (Some("CREATED"), Some(live.as_str())));
        app.update(&ada, &live, json!({ "name": "Renamed" })).await;
        let renamed = socket.change("1").await;
        assert_eq!(renamed["item"]["name"], "Renamed");

        // Resuming from the first change's cursor gives the rest, once, then what comes.
        let mut again = Socket::connect(address, "graphql-transport-ws", &ada).await;
        again.subscribe("r", DRIVE_CHANGED, json!({ "c": app.company.to_string(), "after": replayed["cursor"] })).await;
        assert_eq!(again.change("r").await["cursor"], changed["cursor"]);
        assert_eq!(again.change("r").await["cursor"], renamed["cursor"]);
        assert!(again.quiet().await, "nothing twice");
        // Without a cursor: from now on.
        let mut now = Socket::connect(address, "graphql-transport-ws", &ada).await;
        now.subscribe("n", DRIVE_CHANGED, json!({ "c": app.company.to_string() })).await;
        assert!(now.quiet().await, "no past without a cursor");
        app.update(&ada, &before, json!({ "name": "Later" })).await;
        assert_eq!(now.change("n").await["item"]["name"], "Later");
        assert_eq!(socket.change("1").await["item"]["name"], "Later");
        // Completing ends it.
        socket.send(json!({ "id": "1", "type": "complete" })).await;
        assert_eq!(socket.next().await, json!({ "id": "1", "type": "complete" }));
        app.update(&ada, &before, json!({ "name": "Unseen" })).await;
        assert!(socket.quiet().await, "a completed subscription sends nothing");
    }

    async fn a_folder_subscription_sees_its_subtree_as_its_viewer_may(app: TestApp) {
        let address = app.listen().await;
        let ada = app.token("ada", Role::Member);
        let bob = app.token("bob", Role::Member);
        let folder = app.create(&ada, "user_ada", "Shared", true).await;
        app.update(&ada, &folder, json!({ "access": [{ "type": "USER", "id": "bob", "level": "READ" }] })).await;
        let inner = app.create(&ada, &folder, "Inner", true).await;
        let outside = app.create(&ada, "user_ada", "Outside", true).await;

        let mut socket = Socket::connect(address, "graphql-transport-ws", &bob).await;
        socket.subscribe("f", DRIVE_CHANGED, json!({ "c": app.company.to_string(), "f": folder })).await;
        assert!(socket.quiet().await);
        app.create(&ada, &outside, "elsewhere.txt", true).await;
        let deep = app.create_file(&ada, &inner, "deep.txt", 1).await;
        let change = socket.change("f").await;
        assert_eq!((change["kind"].as_str(), change["itemId"].as_str()), (Some("CREATED"), Some(deep.as_str())));
        // Moved in: told; moved out: told as a removal, with no actor.
        app.update(&ada, &outside, json!({ "parentId": folder })).await;
        assert_eq!(socket.change("f").await["kind"], "MOVED");
        app.update(&ada, &deep, json!({ "parentId": "user_ada" })).await;
        let removal = socket.change("f").await;
        assert_eq!((removal["kind"].as_str(), removal["item"].clone(), removal["actor"].clone()), (Some("MOVED"), Value::Null, Value::Null));

        // A folder bob may not read is not his to follow.
        let private = app.create(&ada, "user_ada", "Private", true).await;
        socket.subscribe("p", DRIVE_CHANGED, json!({ "c": app.company.to_string(), "f": private })).await;
        let refused = socket.next().await;
        assert_eq!(refused["id"], "p");
        assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    }

    async fn the_legacy_protocol_is_served_too(app: TestApp) {
        let address = app.listen().await;
        let ada = app.token("ada", Role::Member);
        let start = head(&app, &ada).await;
        let item = app.create(&ada, "user_ada", "Old school", true).await;
        let mut socket = Socket::connect(address, "graphql-ws", &ada).await;
        socket.subscribe("1", DRIVE_CHANGED, json!({ "c": app.company.to_string(), "after": start })).await;
        assert_eq!(socket.change("1").await["itemId"], json!(item));
    }
}

#[tokio::test]
async fn credentials_come_with_the_upgrade_or_in_connection_init_and_expire() {
    let app = TestApp::sqlite().await;
    let address = app.listen().await;
    let ada = app.token("ada", Role::Member);

    // A wrong token with the upgrade: refused before it.
    let refused = Socket::open(address, "graphql-transport-ws", Some("not-a-token")).await;
    match refused {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected a 401, got {:?}", other.map(|_| ())),
    }
    // A right one with the upgrade: connection_init needs no payload.
    let mut socket = Socket::open(address, "graphql-transport-ws", Some(&ada))
        .await
        .unwrap();
    socket.send(json!({ "type": "connection_init" })).await;
    assert_eq!(socket.next().await["type"], "connection_ack");
    // No credentials anywhere: the connection is refused and closed.
    let mut stranger = Socket::open(address, "graphql-transport-ws", None)
        .await
        .unwrap();
    stranger
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    let closed = stranger.next().await;
    assert!(closed["closed"].is_number(), "{closed}");

    // Queries and mutations are for POST /graphql.
    socket.subscribe("q", "{ me { id } }", json!({})).await;
    let answer = socket.next().await;
    assert_eq!(error_code(&answer), Some("BAD_USER_INPUT"), "{answer}");

    // A token that expires closes its socket then, with 4401.
    let brief = app
        .keys
        .mint_access("ada", &[(app.company, Role::Member)], 2, None)
        .unwrap();
    let mut expiring = Socket::connect(address, "graphql-transport-ws", &brief).await;
    expiring
        .subscribe("e", DRIVE_CHANGED, json!({ "c": app.company.to_string() }))
        .await;
    let closed = expiring.next().await;
    assert_eq!(
        closed["closed"],
        u16::from(CloseCode::Library(4401)),
        "{closed}"
    );
}

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() {
    let limits = quire::config::Limits {
        max_subscriptions_per_connection: 2,
        ..quire::config::Limits::default()
    };
    let app = TestApp::with_limits(limits).await;
    let address = app.listen().await;
    let ada = app.token("ada", Role::Member);
    let mut socket = Socket::connect(address, "graphql-transport-ws", &ada).await;
    let variables = json!({ "c": app.company.to_string() });
    socket
        .subscribe("1", DRIVE_CHANGED, variables.clone())
        .await;
    socket
        .subscribe("2", DRIVE_CHANGED, variables.clone())
        .await;
    socket
        .subscribe("3", DRIVE_CHANGED, variables.clone())
        .await;
    // Which of the three comes last is the server's to say: one is refused.
    let refused = socket.next().await;
    assert_eq!(error_code(&refused), Some("TOO_MANY_REQUESTS"), "{refused}");
    let refused = refused["id"].as_str().unwrap().to_owned();
    assert_eq!(
        socket.next().await,
        json!({ "id": refused, "type": "complete" })
    );
    let mut held: Vec<String> = ["1", "2", "3"]
        .iter()
        .map(|id| id.to_string())
        .filter(|id| *id != refused)
        .collect();
    // Ending one frees its place.
    let ended = held.remove(0);
    socket
        .send(json!({ "id": ended, "type": "complete" }))
        .await;
    assert_eq!(
        socket.next().await,
        json!({ "id": ended, "type": "complete" })
    );
    socket.subscribe("4", DRIVE_CHANGED, variables).await;
    assert!(socket.quiet().await, "the fourth is held");
    held.push("4".into());
    let item = app.create(&ada, "user_ada", "Seen by both", true).await;
    let mut told = vec![];
    while told.len() < 2 {
        let message = socket.next().await;
        told.push(message["id"].as_str().unwrap().to_owned());
        assert_eq!(
            message["payload"]["data"]["driveChanged"]["itemId"],
            json!(item),
            "{message}"
        );
    }
    told.sort();
    assert_eq!(told, held);
}

#[tokio::test]
async fn a_subscription_that_falls_behind_ends_and_resumes_from_its_cursor() {
    let limits = quire::config::Limits {
        subscription_buffer: 1,
        ..quire::config::Limits::default()
    };
    let app = TestApp::with_limits(limits).await;
    let ada = app.token("ada", Role::Member);
    let viewer = app.keys.verify_access(&ada).unwrap();
    let mut changes = Box::pin(
        app.service
            .follow_changes(&viewer, app.company, None, None)
            .await
            .unwrap(),
    );
    // Not read while more commits come, each its own batch, than it may send ahead.
    let commits = 24;
    for n in 0..commits {
        app.create(&ada, "user_ada", &format!("F{n}"), true).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut seen = 0;
    loop {
        match tokio::time::timeout(PATIENCE, changes.next())
            .await
            .expect("in time")
        {
            Some(Ok(_)) => seen += 1,
            Some(Err(err)) => {
                assert_eq!(err.code().as_str(), "TOO_MANY_REQUESTS", "{err}");
                break;
            }
            None => panic!("ended without saying why"),
        }
    }
    assert!(seen < commits, "it fell behind: {seen} of {commits} came");
    assert!(changes.next().await.is_none(), "and then it ends");
}

#[tokio::test]
async fn the_real_binary_holds_a_bounded_number_of_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::binary::Server::start(
        crate::binary::serve(dir.path(), &[("QUIRE_MAX_SOCKETS", "2")]),
        dir.path(),
    );
    let address = server.base.trim_start_matches("http://").parse().unwrap();
    let token = server.token("ada", Role::Member);
    let first = Socket::connect(address, "graphql-transport-ws", &token).await;
    // Not initialised: it holds a place all the same.
    let _second = Socket::open(address, "graphql-transport-ws", None)
        .await
        .unwrap();
    match Socket::open(address, "graphql-transport-ws", None).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 429);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!("expected a 429, got {:?}", other.map(|_| ())),
    }
    // A socket that ends gives its place back.
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = Socket::open(address, "graphql-transport-ws", None).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the place came back");
}
