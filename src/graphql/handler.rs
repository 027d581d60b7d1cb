//! `POST /graphql` and `GET /graphql`: identity in, per-request data attached, response out.

use async_graphql::http::parse_query_string;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;

use super::loaders::Loaders;
use super::{RequestContext, playground};
use crate::auth::Identity;
use crate::state::AppState;

/// Attaches the viewer (or why there is none), the service and the loaders to a request.
pub fn prepare(
    state: &AppState,
    caller: &Identity,
    request: async_graphql::Request,
) -> async_graphql::Request {
    let viewer = caller.viewer.clone();
    let loaders = Loaders::new(&state.service, viewer.clone());
    request
        .data(RequestContext {
            service: state.service.clone(),
            keys: state.keys.clone(),
            viewer,
            client: caller.credentials.client,
        })
        .data(loaders)
}

/// GraphQL bodies larger than this are refused with 413 (multipart ones may carry uploads up to
/// `QUIRE_MAX_UPLOAD_BYTES`).
const JSON_BODY_LIMIT: u64 = 2 << 20;

/// Headers a browser cannot send cross-site without a CORS preflight: one must come with a
/// multipart request, so a form on another site cannot post one (async-graphql's advice).
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// Guards `/graphql` bodies: a size limit (413), and the CSRF rule for multipart uploads (400).
pub async fn guard_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/"));
    if multipart && !PREFLIGHT_HEADERS.iter().any(|h| headers.contains_key(*h)) {
        let message = "multipart GraphQL requests need an 'apollo-require-preflight' header (it keeps other sites from posting forms here)";
        return (StatusCode::BAD_REQUEST, message).into_response();
    }
    let limit = if multipart {
        state.limits.max_upload_bytes + (64 << 10)
    } else {
        JSON_BODY_LIMIT
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than the {limit} bytes allowed"),
        )
            .into_response();
    }
    let (parts, body) = request.into_parts();
    let limited = Body::new(Limited::new(
        body,
        usize::try_from(limit).unwrap_or(usize::MAX),
    ));
    next.run(Request::from_parts(parts, limited)).await
}

/// `POST /graphql`: queries and mutations.
pub async fn post(
    State(state): State<AppState>,
    identity: Identity,
    request: GraphQLRequest,
) -> GraphQLResponse {
    execute(&state, &identity, request.into_inner())
        .await
        .into()
}

/// Runs a request from `/graphql`, counting it by operation name and outcome.
async fn execute(
    state: &AppState,
    identity: &Identity,
    mut request: async_graphql::Request,
) -> async_graphql::Response {
    let name = operation_name(&mut request);
    let request = prepare(state, identity, request);
    let response = state.schema.execute(request).await;
    state
        .metrics
        .record_operation(name.as_deref(), response.errors.is_empty());
    response
}

/// The name the request asks to run, or the document's only operation's name.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    match &request.parsed_query().ok()?.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.to_string())
        }
        _ => None,
    }
}

/// `GET /graphql`: the playground for browsers, queries (never mutations) for everyone else.
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let query = query.unwrap_or_default();
    if wants_html && query.is_empty() {
        return playground::page();
    }
    let mut request = match parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            let message = format!("bad GraphQL GET request: {err}");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };
    let is_mutation = request.parsed_query().is_ok_and(|document| {
        document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    });
    if is_mutation {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations are not allowed over GET; send them with POST",
        )
            .into_response();
    }
    GraphQLResponse::from(execute(&state, &identity, request).await).into_response()
}
