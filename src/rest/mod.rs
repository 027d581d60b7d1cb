//! The Twake Drive REST compatibility shim: each documented route runs a fixed GraphQL
//! operation with the caller's identity and answers the reference's JSON. Never imports
//! `sea_orm` or `entity`.

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
mod public_links;
mod tabs;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use error::RestError;
pub use operations::Operations;

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

/// The documents routes.
pub fn routes() -> Router<AppState> {
    let documents = Router::new()
        .route(
            "/item",
            get(items::get_root)
                .post(items::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/item/{id}",
            get(items::get).post(items::update).delete(items::delete),
        )
        .route("/item/{id}/restore", post(items::restore))
        .route(
            "/item/{id}/version",
            post(items::create_version).layer(DefaultBodyLimit::disable()),
        )
        .route("/item/{id}/user/{user_id}/access", get(items::user_access))
        .route("/item/download/token", get(downloads::token))
        .route("/item/{id}/download", get(downloads::item))
        .route("/item/download/zip", get(downloads::zip))
        .route("/browse/{id}", post(items::browse))
        .route("/tabs/{tab_id}", get(tabs::get).post(tabs::set))
        .route("/anonymous/token", post(public_links::anonymous_token));
    // The contract describes the routes of every company: it sits beside them.
    let contract = Router::new().route("/openapi.json", get(openapi::serve));
    let files = Router::new()
        .route(
            "/files",
            post(files::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/files/{id}",
            get(files::metadata)
                .post(files::chunk)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/files/{id}/download", get(files::download));
    Router::new()
        .nest("/internal/services/documents/v1", contract)
        .nest(DOCUMENTS, documents)
        .nest(files::FILES, files)
}
