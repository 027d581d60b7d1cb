//! What every request shares: the service, the keys, the settings and the GraphQL schema.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::{Keys, TrustedProxies};
use crate::config::Limits;

use crate::graphql::persisted::Persisted;
use crate::graphql::{self, QuireSchema, Shapes};
use crate::metrics::Metrics;
use crate::rest::Operations;
use crate::service::Service;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub service: Service,
    pub keys: Keys,
    pub schema: QuireSchema,
    /// The schema's field types, for nulls that propagate as the specification says.
    pub shapes: Arc<Shapes>,
    pub limits: Arc<Limits>,
    /// The REST shim's fixed operations, parsed once.
    pub rest: Arc<Operations>,
    /// Request counters for `/metrics`.
    pub metrics: Metrics,
    /// Whose `X-Forwarded-For` names the client.
    pub proxies: Arc<TrustedProxies>,
    /// The documents known by hash: automatic persisted queries, or the trusted ones.
    pub persisted: Arc<Persisted>,
    /// Places for WebSocket connections (`QUIRE_MAX_SOCKETS`), one held by each open one.
    pub sockets: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    pub fn new(service: Service, keys: Keys, limits: Limits) -> Self {
        let schema = graphql::build_schema(&limits);
        let persisted = limits.persisted_queries;
        let sockets = Arc::new(tokio::sync::Semaphore::new(limits.max_sockets));
        let shapes = Arc::new(Shapes::of(&schema.sdl()));
        let rest = Arc::new(Operations::new(&limits));
        Self {
            service,
            keys,
            schema,
            shapes,
            limits: Arc::new(limits),
            rest,
            metrics: Metrics::default(),
            proxies: Arc::default(),
            persisted: Arc::new(Persisted::automatic(persisted)),
            sockets,
        }
    }

    /// Runs only these documents (`QUIRE_TRUSTED_DOCUMENTS`).
    pub fn with_persisted(mut self, persisted: Persisted) -> Self {
        self.persisted = Arc::new(persisted);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }
}
