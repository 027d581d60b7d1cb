//! What a resolver reads from its request: the viewer (or why there is none) and the service.

use async_graphql::{Context, ErrorExtensions};

use crate::auth::{Caller, Viewer};
use crate::error::AppError;
use crate::service::Service;

/// Per-request data every resolver can reach.
pub struct RequestContext {
    pub service: Service,
    /// The key the tokens Quire hands out are signed with.
    pub keys: crate::auth::Keys,
    /// The verified viewer, or why the credentials were refused.
    pub viewer: Caller,
    /// The client's address, for rate limits.
    pub client: Option<std::net::IpAddr>,
}

impl RequestContext {
    pub fn viewer(&self) -> Result<&Viewer, &AppError> {
        self.viewer.as_ref().map_err(|err| err.as_ref())
    }
}

/// Shortcuts from a resolver's context.
pub(super) trait ContextExt {
    fn request(&self) -> async_graphql::Result<&RequestContext>;

    fn service(&self) -> async_graphql::Result<&Service> {
        Ok(&self.request()?.service)
    }

    fn viewer(&self) -> async_graphql::Result<&Viewer> {
        self.request()?.viewer().map_err(|err| err.extend())
    }
}

impl ContextExt for Context<'_> {
    fn request(&self) -> async_graphql::Result<&RequestContext> {
        self.data::<RequestContext>()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.log_if_internal();
        let code = self.code().as_str();
        let retry_after = self.retry_after();
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(seconds) = retry_after {
                ext.set("retryAfter", seconds);
            }
        })
    }
}
