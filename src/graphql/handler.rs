//! `POST /graphql` and `GET /graphql`: identity in, per-request data attached, response out.

use async_graphql::http::parse_query_string;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::loaders::Loaders;
use super::{RequestContext, playground};
use crate::auth::{Identity, Viewer};
use crate::state::AppState;

/// Attaches the viewer (or why there is none), the service and the loaders to a request.
pub fn prepare(
    state: &AppState,
    viewer: Result<Viewer, String>,
    request: async_graphql::Request,
) -> async_graphql::Request {
    let loaders = Loaders::new(&state.service, viewer.clone());
    request
        .data(RequestContext {
            service: state.service.clone(),
            keys: state.keys.clone(),
            viewer,
        })
        .data(loaders)
}

/// `POST /graphql`: queries and mutations.
pub async fn post(
    State(state): State<AppState>,
    identity: Identity,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request = prepare(&state, identity.viewer, request.into_inner());
    state.schema.execute(request).await.into()
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
    let request = prepare(&state, identity.viewer, request);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}
