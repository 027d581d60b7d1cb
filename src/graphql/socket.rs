//! `GET /graphql/ws`: subscriptions over WebSocket, in the graphql-transport-ws protocol and
//! the legacy graphql-ws one. Credentials come with the upgrade (its `Authorization` header,
//! or the query string's link and tab tokens) or in `connection_init`'s payload, as browsers
//! cannot set headers on a WebSocket; a connection must be initialised within
//! `INIT_TIMEOUT` and is closed when its credentials expire. Every operation is admitted as
//! one over HTTP is, and only subscriptions run here.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, BoxStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::watch;

use super::loaders::Loaders;
use super::subscription::ConnectionSubscriptions;
use super::transport::Media;
use super::{RequestContext, admission, refusal};
use crate::auth::{Credentials, Identity, Viewer, unix_now};
use crate::error::AppError;
use crate::state::AppState;

/// How long a connection may stay open without being initialised with valid credentials.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The close codes of graphql-transport-ws: initialisation timed out; unauthorised.
const CLOSE_INIT_TIMEOUT: u16 = 4408;
const CLOSE_EXPIRED: u16 = 4401;

/// The largest message a client may send: a subscription document and its variables.
const MAX_MESSAGE: usize = 64 << 10;

/// How long a client may take to take one message before its connection ends.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest a connection lives whose credentials do not expire (a public link).
const MAX_SESSION: u64 = 12 * 3600;

/// A socket's read and write buffers, in bytes.
const SOCKET_BUFFER: usize = 8 << 10;
/// The most bytes that may wait for a client that does not read.
const WRITE_BACKLOG: usize = 4 << 20;

/// The upgrade. Credentials sent with it are checked before it is accepted (401 if wrong).
pub async fn upgrade(
    State(state): State<AppState>,
    identity: Identity,
    protocol: Result<GraphQLProtocol, StatusCode>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    headers: HeaderMap,
) -> Response {
    let media = Media::negotiate(&headers);
    let (Ok(protocol), Ok(ws)) = (protocol, ws) else {
        return media.refuse(&AppError::bad_input(format!(
            "GET /graphql/ws is a WebSocket upgrade in one of the protocols {ALL_WEBSOCKET_PROTOCOLS:?}"
        )));
    };
    if let Some(err) = identity.failed() {
        return media.refuse(err);
    }
    if has_credentials(&identity.credentials)
        && let Err(err) = &identity.viewer
    {
        return media.refuse(err);
    }
    let Ok(place) = state.sockets.clone().try_acquire_owned() else {
        return media.refuse(&AppError::TooManyRequests {
            message: format!(
                "this server holds {} WebSocket connections at most; try again later",
                state.limits.max_sockets
            ),
            retry_after: 5,
        });
    };
    let max = usize::try_from(state.limits.max_json_bytes)
        .unwrap_or(usize::MAX)
        .min(MAX_MESSAGE);
    // Small buffers: an idle socket costs little; one whose client stops reading is ended
    // after WRITE_TIMEOUT (or once WRITE_BACKLOG bytes wait for it).
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_write_buffer_size(WRITE_BACKLOG)
        .on_upgrade(move |socket| async move {
            serve(state, protocol, socket, identity).await;
            drop(place);
        })
        .into_response()
}

fn has_credentials(credentials: &Credentials) -> bool {
    credentials.bearer.is_some()
        || credentials.public_token.is_some()
        || credentials.tab_token.is_some()
}

/// Runs one connection until it ends, its initialisation times out or its credentials
/// expire (then it is closed with a code saying which).
async fn serve(state: AppState, protocol: GraphQLProtocol, socket: WebSocket, upgrade: Identity) {
    let (mut sink, incoming) = socket.split();
    let (outgoing, mut to_send) = futures::channel::mpsc::channel::<Message>(16);
    // Until it is initialised, the connection's deadline is the initialisation's.
    let (deadline, mut deadline_seen) =
        watch::channel(Deadline::Init(unix_now() + INIT_TIMEOUT.as_secs()));
    let executor = Subscriptions {
        state: state.clone(),
    };
    let init_state = state.clone();
    let connection = GraphQLWebSocket::new_with_pair(
        outgoing.sink_map_err(|_| axum::Error::new("the connection closed")),
        incoming,
        executor,
        protocol,
    )
    .on_connection_init(move |payload| async move {
        let (viewer, expires) = initialise(&init_state, &upgrade, &payload)
            .await
            .map_err(|err| async_graphql::Error::new(err.public_message()))?;
        let _ = deadline.send(Deadline::Expiry(expires));
        Ok(session(&init_state, &upgrade, viewer))
    })
    .serve();
    let sending = &mut sink;
    let forward = async move {
        // A client that takes WRITE_TIMEOUT to take one message is gone: the connection ends
        // (dropping `to_send` ends the protocol's side, and with it the subscriptions).
        while let Some(message) = to_send.next().await {
            match tokio::time::timeout(WRITE_TIMEOUT, sending.send(message)).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
    };
    let closing = async {
        loop {
            let current = *deadline_seen.borrow_and_update();
            let wait = Duration::from_secs(current.at().saturating_sub(unix_now()));
            tokio::select! {
                () = tokio::time::sleep(wait) => return current,
                changed = deadline_seen.changed() => if changed.is_err() {
                    // Initialised (or refused): the deadline stays what it is now.
                    tokio::time::sleep(wait).await;
                    return current;
                },
            }
        }
    };
    tokio::select! {
        _ = futures::future::join(connection, forward) => {}
        reached = closing => {
            let (code, reason) = match reached {
                Deadline::Init(_) => (CLOSE_INIT_TIMEOUT, "connection_init did not come with valid credentials in time"),
                Deadline::Expiry(_) => (CLOSE_EXPIRED, "the credentials expired: connect again with new ones"),
            };
            let close = sink.send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })));
            let _ = tokio::time::timeout(WRITE_TIMEOUT, close).await;
        }
    }
}

/// When a connection must close.
#[derive(Copy, Clone)]
enum Deadline {
    /// It is not initialised yet: at this second it will have taken too long.
    Init(u64),
    /// Its credentials expire at this second.
    Expiry(u64),
}

impl Deadline {
    fn at(self) -> u64 {
        match self {
            Self::Init(at) | Self::Expiry(at) => at,
        }
    }
}

/// The viewer `connection_init` names (its payload's `Authorization`, also under `headers`),
/// else the upgrade's; and when their credentials expire.
async fn initialise(
    state: &AppState,
    upgrade: &Identity,
    payload: &serde_json::Value,
) -> Result<(Viewer, u64), AppError> {
    let authorization = ["Authorization", "authorization"].iter().find_map(|key| {
        payload
            .get(key)
            .or_else(|| payload.get("headers").and_then(|h| h.get(key)))
            .and_then(|v| v.as_str())
    });
    let (viewer, credentials) = match authorization {
        Some(value) => {
            let mut headers = HeaderMap::new();
            let value = HeaderValue::from_str(value).map_err(|_| {
                AppError::unauthenticated("the Authorization value is not valid text")
            })?;
            headers.insert(header::AUTHORIZATION, value);
            let mut credentials = upgrade.credentials.clone();
            credentials.bearer = Credentials::read(&headers, None)?.bearer;
            let viewer = credentials
                .viewer(&state.keys, &state.service)
                .await?
                .ok_or_else(|| AppError::unauthenticated("no credentials"))?;
            (viewer, credentials)
        }
        None if has_credentials(&upgrade.credentials) => (
            upgrade
                .viewer
                .clone()
                .map_err(|err| AppError::unauthenticated(err.public_message()))?,
            upgrade.credentials.clone(),
        ),
        None => {
            return Err(AppError::unauthenticated(
                "subscriptions need credentials: connection_init's payload {\"Authorization\": \"Bearer <token>\"}",
            ));
        }
    };
    let expiries = [&credentials.bearer, &credentials.tab_token]
        .into_iter()
        .flatten()
        .map(|token| state.keys.expires_at(token))
        .collect::<Result<Vec<u64>, AppError>>()?;
    let longest = unix_now() + MAX_SESSION;
    Ok((
        viewer,
        expiries.into_iter().min().unwrap_or(longest).min(longest),
    ))
}

/// What every operation of an initialised connection runs with.
fn session(state: &AppState, upgrade: &Identity, viewer: Viewer) -> Data {
    let caller: crate::auth::Caller = Ok(viewer);
    let mut data = Data::default();
    data.insert(Loaders::uncached(&state.service, caller.clone()));
    data.insert(RequestContext {
        service: state.service.clone(),
        keys: state.keys.clone(),
        viewer: caller,
        client: upgrade.credentials.client,
    });
    data.insert(ConnectionSubscriptions::new(
        state.limits.max_subscriptions_per_connection,
    ));
    data
}

/// The schema as the socket runs it: subscriptions only, each admitted first.
#[derive(Clone)]
struct Subscriptions {
    state: AppState,
}

impl Subscriptions {
    /// Why a request may not run here, if it may not.
    fn refuse(&self, request: &mut async_graphql::Request) -> Option<AppError> {
        if let Err(err) = admission::admit(request, &self.state.limits) {
            return Some(err);
        }
        let document = request.parsed_query().ok()?;
        let only_subscriptions = document
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Subscription);
        (!only_subscriptions).then(|| {
            AppError::bad_input(
                "only subscriptions are served over /graphql/ws; send queries and mutations to POST /graphql",
            )
        })
    }
}

impl Executor for Subscriptions {
    async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        match self.refuse(&mut request) {
            Some(err) => refusal(&err),
            None => refusal(&AppError::bad_input(
                "send queries and mutations to POST /graphql",
            )),
        }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        if let Some(err) = self.refuse(&mut request) {
            return stream::once(async move { refusal(&err) }).boxed();
        }
        let Some(session) = session else {
            let err = ServerError::new("the connection is not initialised", None);
            return stream::once(async move { async_graphql::Response::from_errors(vec![err]) })
                .boxed();
        };
        self.state
            .schema
            .execute_stream_with_session_data(request, session)
    }
}
