//! What every request shares: the service, the keys, the settings and the GraphQL schema.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::Keys;

use crate::graphql::{self, QuireSchema};
use crate::metrics::Metrics;
use crate::rest::Operations;
use crate::service::Service;

/// Limits the faces enforce; `Default` holds the configuration's defaults.
#[derive(Clone, Debug)]
pub struct Limits {
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub max_upload_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            graphql_max_depth: 24,
            graphql_max_complexity: 100_000,
            max_upload_bytes: 5 << 30,
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub service: Service,
    pub keys: Keys,
    pub schema: QuireSchema,
    pub limits: Arc<Limits>,
    /// The REST shim's fixed operations, parsed once.
    pub rest: Arc<Operations>,
    /// Request counters for `/metrics`.
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(service: Service, keys: Keys, limits: Limits) -> Self {
        let schema = graphql::build_schema(&limits);
        Self {
            service,
            keys,
            schema,
            limits: Arc::new(limits),
            rest: Arc::new(Operations::parse_all()),
            metrics: Metrics::default(),
        }
    }
}
