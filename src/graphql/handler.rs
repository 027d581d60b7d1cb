//! `POST /graphql` and `GET /graphql`: identity in, the request read within its limits and
//! admitted, per-request data attached, executed under the time budget, response out.

use async_graphql::http::parse_query_string;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{admission, multipart, playground};
use crate::auth::Identity;
use crate::body;
use crate::error::AppError;
use crate::state::AppState;

/// Headers a browser cannot send cross-site without a CORS preflight: one must come with a
/// multipart request, so a form on another site cannot post one (async-graphql's advice).
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// An answer with no execution behind it: the error as a GraphQL error, with its code.
fn refusal(status: StatusCode, err: &AppError) -> Response {
    let body = json!({ "errors": [{
        "message": err.public_message(),
        "extensions": { "code": err.code().as_str() },
    }]});
    (status, axum::Json(body)).into_response()
}

/// A refusal with the status the error's code has over REST.
fn refused(err: &AppError) -> Response {
    let status =
        StatusCode::from_u16(err.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    refusal(status, err)
}

/// `POST /graphql`: queries and mutations, as JSON or as a multipart request with uploads.
/// A multipart request needs valid credentials before a byte of it is read.
pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let identity = Identity::resolve(&mut parts, &state).await;
    if let Some(err) = identity.failed() {
        return refused(err);
    }
    let request = if body::is_multipart(&parts.headers) {
        if !PREFLIGHT_HEADERS
            .iter()
            .any(|h| parts.headers.contains_key(*h))
        {
            return refused(&AppError::bad_input(
                "multipart GraphQL requests need an 'apollo-require-preflight' header (it keeps other sites from posting forms here)",
            ));
        }
        if let Err(err) = &identity.viewer {
            return refused(err);
        }
        multipart::receive(&parts.headers, body, &state.limits).await
    } else {
        match body::read_whole(&parts.headers, body, state.limits.max_json_bytes).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                AppError::bad_input(format!("the body is not a GraphQL request: {err}"))
            }),
            Err(err) => Err(err),
        }
    };
    match request {
        Ok(request) => execute(&state, &identity, request, true).await,
        Err(err) => refused(&err),
    }
}

/// `GET /graphql`: the playground for browsers, queries (never mutations) for everyone else.
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(err) = identity.failed() {
        return refused(err);
    }
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let query = query.unwrap_or_default();
    if wants_html && query.is_empty() {
        return playground::page();
    }
    let request = match parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            return refused(&AppError::bad_input(format!(
                "bad GraphQL GET request: {err}"
            )));
        }
    };
    execute(&state, &identity, request, false).await
}

/// Admits a client's request, runs it and counts it by operation name and outcome. Over GET
/// (`mutations: false`) a mutation is refused with 405.
async fn execute(
    state: &AppState,
    identity: &Identity,
    mut request: async_graphql::Request,
    mutations: bool,
) -> Response {
    if let Err(err) = admission::admit(&mut request, &state.limits) {
        return refused(&err);
    }
    if !mutations && has_mutation(&mut request) {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations are not allowed over GET; send them with POST",
        )
            .into_response();
    }
    let name = operation_name(&mut request);
    let response = super::run(state, identity, request).await;
    state
        .metrics
        .record_operation(name.as_deref(), response.errors.is_empty());
    respond(response)
}

/// The JSON answer of an execution, with the cache and extra headers it asks for.
fn respond(response: async_graphql::Response) -> Response {
    let body = serde_json::to_vec(&response).unwrap_or_default();
    let mut answer = Response::new(axum::body::Body::from(body));
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    if response.is_ok()
        && let Some(cache_control) = response.cache_control.value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.extend(response.http_headers.clone());
    answer
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

/// Whether the document holds a mutation (refused over GET).
fn has_mutation(request: &mut async_graphql::Request) -> bool {
    request.parsed_query().is_ok_and(|document| {
        document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    })
}
