//! Quire: a GraphQL-first document drive with a Twake Drive REST compatibility shim.

pub mod auth;
pub mod body;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod metrics;
pub mod rest;
pub mod server;
pub mod service;
pub mod state;
pub mod storage;

pub use state::AppState;

/// The application router over a state; what `serve` runs and what tests drive.
pub fn app(state: AppState) -> axum::Router {
    server::router(state)
}
