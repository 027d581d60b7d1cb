//! The GraphQL face: schema, resolvers, per-request dataloaders, the HTTP handler and the
//! playground. Never imports `sea_orm` or `entity`.

mod admission;
mod connection;
mod context;
pub mod handler;
mod inline;
mod listing;
mod loaders;
mod multipart;
mod mutation;
mod nulls;
pub mod persisted;
pub mod playground;
mod query;
mod scalars;
pub mod socket;
mod subscription;
mod transport;
mod types;
mod upload;

use async_graphql::{SDLExportOptions, Schema, ValidationMode};

pub use connection::offset_cursor;
pub use context::RequestContext;
pub use nulls::Shapes;

use crate::auth::Identity;
use crate::config::Limits;
use crate::error::AppError;
use crate::state::AppState;
use loaders::Loaders;

/// The most one field may add to a query's complexity: costs multiply down nested lists, and
/// capped terms keep every sum far from overflowing (a wrapped sum would pass any limit).
const COST_CAP: usize = 1 << 40;

/// `count` rows of what costs `each`, capped (see `COST_CAP`).
pub(crate) fn cost(count: usize, each: usize) -> usize {
    count.saturating_mul(each).min(COST_CAP)
}

/// The schema type every request runs against.
pub type QuireSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// Builds the schema with the configured depth and complexity limits.
pub fn build_schema(limits: &Limits) -> QuireSchema {
    build(limits, ValidationMode::Strict)
}

/// The same schema for documents known to be valid (the REST shim's fixed operations, once a
/// run of each has passed the whole validation): it checks only what depends on a request
/// (depth, complexity, upload variables) instead of every rule, which cost a third of a REST
/// file read (BENCHMARKS.md). Variables are still read as their types when fields take them.
pub fn build_prevalidated_schema(limits: &Limits) -> QuireSchema {
    build(limits, ValidationMode::Fast)
}

// No extensions: `Inline` objects (inline.rs) resolve their fields without calling them.
fn build(limits: &Limits, validation: ValidationMode) -> QuireSchema {
    Schema::build(
        query::QueryRoot,
        mutation::MutationRoot,
        subscription::SubscriptionRoot,
    )
    .validation_mode(validation)
    .limit_depth(limits.graphql_max_depth)
    .limit_complexity(limits.graphql_max_complexity)
    .finish()
}

/// The SDL as committed in `schema.graphql`: sorted, so diffs show real changes only.
pub fn sdl() -> String {
    build_schema(&Limits::default()).sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items()
            .include_specified_by(),
    )
}

/// Runs a request as `caller`, with the viewer, the service and the loaders attached, under
/// the time budget (`QUIRE_GRAPHQL_TIMEOUT_MS`): past it, the execution is dropped (its
/// transaction rolls back) and the answer is an error.
pub async fn run(
    state: &AppState,
    caller: &Identity,
    request: async_graphql::Request,
) -> async_graphql::Response {
    run_on(&state.schema, state, caller, request).await
}

/// `run` on `schema` (the schema itself, or its prevalidated twin).
pub async fn run_on(
    schema: &QuireSchema,
    state: &AppState,
    caller: &Identity,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let viewer = caller.viewer.clone();
    let loaders = Loaders::new(&state.service, viewer.clone());
    let request = request
        .data(RequestContext {
            service: state.service.clone(),
            keys: state.keys.clone(),
            viewer,
            client: caller.credentials.client,
        })
        .data(loaders);
    let budget = std::time::Duration::from_millis(state.limits.graphql_timeout_ms);
    match tokio::time::timeout(budget, schema.execute(request)).await {
        Ok(response) => response,
        Err(_) => {
            let err = AppError::PayloadTooLarge(format!(
                "the request took longer than the {} ms allowed; ask for less at once",
                state.limits.graphql_timeout_ms
            ));
            refusal(&err)
        }
    }
}

/// A response that is only this error, with its code.
pub(crate) fn refusal(err: &AppError) -> async_graphql::Response {
    let err = async_graphql::ErrorExtensions::extend(err);
    async_graphql::Response::from_errors(vec![err.into_server_error(Default::default())])
}
