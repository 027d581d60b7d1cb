//! `POST /graphql` and `GET /graphql`: identity in, the request read within its limits and
//! admitted, per-request data attached, executed under the time budget, response out.

use async_graphql::http::parse_query_string;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::persisted::Resolved;
use super::transport::Media;
use super::{admission, multipart, playground};
use crate::auth::Identity;
use crate::body;
use crate::error::AppError;
use crate::state::AppState;

/// Headers a browser cannot send cross-site without a CORS preflight: one must come with a
/// multipart request, so a form on another site cannot post one (async-graphql's advice).
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// `POST /graphql`: queries and mutations, as JSON or as a multipart request with uploads.
/// A multipart request needs valid credentials before a byte of it is read.
pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let media = Media::negotiate(&parts.headers);
    let identity = Identity::resolve(&mut parts, &state).await;
    if let Some(err) = identity.failed() {
        return media.refuse(err);
    }
    let request = if body::is_multipart(&parts.headers) {
        let refusal = if !PREFLIGHT_HEADERS
            .iter()
            .any(|h| parts.headers.contains_key(*h))
        {
            Some(AppError::bad_input(
                "multipart GraphQL requests need an 'apollo-require-preflight' header (it keeps other sites from posting forms here)",
            ))
        } else {
            identity
                .viewer
                .as_ref()
                .err()
                .map(|err| AppError::unauthenticated(err.public_message()))
        };
        let viewer = match (refusal, &identity.viewer) {
            (None, Ok(viewer)) => viewer,
            (refusal, _) => {
                let refusal =
                    refusal.unwrap_or_else(|| AppError::unauthenticated("no credentials"));
                return refuse_upload(media, &refusal, body).await;
            }
        };
        multipart::receive(
            &parts.headers,
            body,
            &state.limits,
            (&state.service, viewer),
        )
        .await
    } else if !is_json(&parts.headers) {
        let mut refused = media.refuse(&AppError::bad_input(
            "a GraphQL POST is application/json (or multipart/form-data with uploads)",
        ));
        *refused.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return refused;
    } else {
        match body::read_whole(&parts.headers, body, state.limits.max_json_bytes).await {
            Ok(bytes) => graphql_request(&bytes),
            Err(err) => Err(err),
        }
    };
    match request {
        Ok(request) => execute(&state, &identity, media, request, true).await,
        Err(err) => media.refuse(&err),
    }
}

/// Refuses a multipart request after reading a bounded part of it (`body::drain`).
async fn refuse_upload(media: Media, err: &AppError, body: axum::body::Body) -> Response {
    body::drain(body).await;
    body::closing(media.refuse(err))
}

/// Whether the body is declared as JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The keys a GraphQL request may have (`documentId`: a trusted or persisted document's hash).
const REQUEST_KEYS: [&str; 5] = [
    "query",
    "operationName",
    "variables",
    "extensions",
    "documentId",
];

/// A JSON body as one GraphQL request: an object with a `query` string (or a persisted
/// query's hash in `extensions`) and nothing it does not know.
fn graphql_request(bytes: &[u8]) -> Result<async_graphql::Request, AppError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|err| AppError::bad_input(format!("the body is not JSON: {err}")))?;
    // `documentId` (the persisted documents of graphql-codegen and Relay) is the hash an
    // automatic persisted query carries.
    if let Some(serde_json::Value::String(id)) =
        value.as_object_mut().and_then(|f| f.remove("documentId"))
    {
        let hash = id.strip_prefix("sha256:").unwrap_or(&id).to_owned();
        value["extensions"]["persistedQuery"] =
            serde_json::json!({ "version": 1, "sha256Hash": hash });
    }
    let serde_json::Value::Object(fields) = &value else {
        return Err(AppError::bad_input(
            "the body must be one GraphQL request: an object with a query",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !REQUEST_KEYS.contains(&k.as_str())) {
        return Err(AppError::bad_input(format!(
            "a GraphQL request has no {unknown:?}; it takes query, operationName, variables and extensions"
        )));
    }
    let persisted = fields
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some();
    match fields.get("query") {
        Some(serde_json::Value::String(_)) => {}
        None if persisted => {}
        _ => {
            return Err(AppError::bad_input(
                "the GraphQL request has no query string",
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|err| AppError::bad_input(format!("the body is not a GraphQL request: {err}")))
}

/// `GET /graphql`: the playground for browsers, queries (never mutations) for everyone else.
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let media = Media::negotiate(&headers);
    if let Some(err) = identity.failed() {
        return media.refuse(err);
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
            return media.refuse(&AppError::bad_input(format!(
                "bad GraphQL GET request: {err}"
            )));
        }
    };
    let persisted = request.extensions.contains_key("persistedQuery");
    if request.query.is_empty() && !persisted {
        return media.refuse(&AppError::bad_input(
            "the GraphQL request has no query parameter",
        ));
    }
    execute(&state, &identity, media, request, false).await
}

/// Admits a client's request, runs it and counts it by operation name and outcome. Over GET
/// (`mutations: false`) a mutation is refused with 405.
async fn execute(
    state: &AppState,
    identity: &Identity,
    media: Media,
    mut request: async_graphql::Request,
    mutations: bool,
) -> Response {
    let persisted = match state.persisted.resolve(&mut request) {
        Ok(Resolved::NotFound) => return media.persisted_query_not_found(),
        Ok(resolved) => resolved,
        Err(err) => return media.refuse(&err),
    };
    if let Err(err) = admission::admit(&mut request, &state.limits) {
        return media.refuse(&err);
    }
    if persisted == Resolved::Remember {
        state.persisted.remember(&request.query);
    }
    let asked = request.operation_name.clone();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(err) => return media.unparsable(&err.to_string()),
    };
    if !mutations && has_mutation(document) {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations are not allowed over GET; send them with POST",
        )
            .into_response();
    }
    let name = operation_name(&asked, document);
    // Kept to mend errored fields afterwards; the parsed document goes to the schema.
    let text = request.query.clone();
    let mut response = super::run(state, identity, request).await;
    if response.errors.iter().any(|e| !e.path.is_empty())
        && let Ok(document) = async_graphql::parser::parse_query(&text)
    {
        state
            .shapes
            .propagate(&document, name.as_deref(), &mut response);
    }
    state
        .metrics
        .record_operation(name.as_deref(), response.errors.is_empty());
    media.answer(response)
}

/// The name the request asks to run, or the document's only operation's name.
fn operation_name(asked: &Option<String>, document: &ExecutableDocument) -> Option<String> {
    if let Some(name) = asked {
        return Some(name.clone());
    }
    match &document.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.to_string())
        }
        _ => None,
    }
}

/// Whether the document holds a mutation (refused over GET).
fn has_mutation(document: &ExecutableDocument) -> bool {
    document
        .operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Mutation)
}
