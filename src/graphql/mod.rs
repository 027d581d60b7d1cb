//! The GraphQL face: schema, resolvers, per-request dataloaders, the HTTP handler and the
//! playground. Never imports `sea_orm` or `entity`.

mod connection;
mod context;
pub mod handler;
mod loaders;
mod mutation;
pub mod playground;
mod query;
mod scalars;
mod types;
mod upload;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema};

pub use context::RequestContext;

use crate::error::ErrorCode;
use crate::state::Limits;

/// The schema type every request runs against.
pub type QuireSchema = Schema<query::QueryRoot, mutation::MutationRoot, EmptySubscription>;

/// Builds the schema with the configured depth and complexity limits.
pub fn build_schema(limits: &Limits) -> QuireSchema {
    Schema::build(query::QueryRoot, mutation::MutationRoot, EmptySubscription)
        .register_output_type::<ErrorCode>()
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
