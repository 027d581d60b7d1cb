//! The Twake Drive REST compatibility shim: each documented route runs a fixed GraphQL
//! operation with the caller's identity and answers the reference's JSON. Never imports
//! `sea_orm` or `entity`.

mod answers;
mod content;
mod downloads;
mod error;
mod exec;
mod files;
mod input;
mod items;
mod legacy;
pub mod openapi;
mod operations;
mod preconditions;
mod public_links;
mod results;
mod search;
mod tabs;

use axum::Router;
use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use error::RestError;
pub use operations::Operations;

use crate::auth::Identity;
use crate::state::AppState;

/// Any unknown route: a 404 in the reference's error shape.
pub async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> RestError {
    RestError::new(
        crate::error::ErrorCode::NotFound,
        format!("no route for {method} {}", uri.path()),
    )
}

/// Where the documents routes live.
pub const DOCUMENTS: &str = "/internal/services/documents/v1/companies/{company_id}";

/// Refuses a request whose credentials are missing or wrong (401) before anything reads its
/// body; the resolved identity stays in the request for the handler.
async fn require_credentials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let identity = Identity::resolve(&mut parts, &state).await;
    let viewer = match identity.viewer {
        Ok(viewer) => viewer,
        Err(err) => return RestError::from(err).into_response(),
    };
    // A link visitor's token covers its link's company only.
    if let Some(grant) = &viewer.public {
        let company = Path::<HashMap<String, String>>::from_request_parts(&mut parts, &state)
            .await
            .ok()
            .and_then(|Path(params)| params.get("company_id").cloned());
        if company.is_some_and(|company| company != grant.company.to_string()) {
            return RestError::from(crate::domain::Viewer::outside_its_link()).into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The documents and files routes. Routes that take a body and need credentials check them
/// before reading it; JSON bodies are capped at `QUIRE_MAX_JSON_BYTES`, and upload routes read
/// their bodies through `body`, within the upload and form limits.
pub fn routes(state: &AppState) -> Router<AppState> {
    let credentials = || middleware::from_fn_with_state(state.clone(), require_credentials);
    let uploads = DefaultBodyLimit::disable;
    let documents = Router::new()
        .route(
            "/item",
            get(items::get_root).merge(post(items::create).layer(uploads()).layer(credentials())),
        )
        .route(
            "/item/{id}",
            get(items::get)
                .delete(items::delete)
                .merge(post(items::update).layer(credentials())),
        )
        .route(
            "/item/{id}/restore",
            post(items::restore).layer(credentials()),
        )
        .route(
            "/item/{id}/version",
            post(items::create_version)
                .layer(uploads())
                .layer(credentials()),
        )
        .route("/item/{id}/user/{user_id}/access", get(items::user_access))
        .route("/item/download/token", get(downloads::token))
        .route("/item/{id}/download", get(downloads::item))
        .route("/item/download/zip", get(downloads::zip))
        .route("/browse/{id}", post(items::browse).layer(credentials()))
        .route("/search", post(search::search).layer(credentials()))
        .route(
            "/tabs/{tab_id}",
            get(tabs::get).merge(post(tabs::set).layer(credentials())),
        )
        .route("/anonymous/token", post(public_links::anonymous_token));
    // The contract describes the routes of every company: it sits beside them.
    let contract = Router::new().route("/openapi.json", get(openapi::serve));
    let files = Router::new()
        .route(
            "/files",
            post(files::upload).layer(uploads()).layer(credentials()),
        )
        .route(
            "/files/{id}",
            get(files::metadata).merge(post(files::chunk).layer(uploads()).layer(credentials())),
        )
        .route("/files/{id}/download", get(files::download));
    Router::new()
        .nest("/internal/services/documents/v1", contract)
        .nest(DOCUMENTS, documents)
        .nest(files::FILES, files)
        .layer(DefaultBodyLimit::max(
            usize::try_from(state.limits.max_json_bytes).unwrap_or(usize::MAX),
        ))
}
