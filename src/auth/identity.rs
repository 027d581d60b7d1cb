//! The `Identity` extractor: the caller of a request, resolved once from its credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::{Credentials, Viewer};
use crate::error::AppError;
use crate::state::AppState;

/// The verified viewer, or why there is none: `UNAUTHENTICATED` for credentials that are
/// missing or wrong, `INTERNAL_SERVER_ERROR` when checking them failed.
pub type Caller = Result<Viewer, Arc<AppError>>;

/// The caller, or why there is none. Never rejects: faces answer `UNAUTHENTICATED` where
/// credentials are needed, and 500 when checking them failed.
#[derive(Clone)]
pub struct Identity {
    pub viewer: Caller,
    pub credentials: Credentials,
}

impl Identity {
    /// Reads and verifies the credentials of a request (once: a layer that resolved them
    /// already left them in the request's extensions).
    pub async fn resolve(parts: &mut Parts, state: &AppState) -> Self {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return identity.clone();
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let client = state.proxies.client(peer, &parts.headers);
        let identity = match Credentials::read(&parts.headers, parts.uri.query()) {
            Ok(credentials) => {
                let credentials = Credentials {
                    client,
                    ..credentials
                };
                let viewer = match credentials.viewer(&state.keys, &state.service).await {
                    Ok(Some(viewer)) => Ok(viewer),
                    Ok(None) => Err(Arc::new(AppError::unauthenticated(
                        "this needs credentials: an 'Authorization: Bearer <token>' header",
                    ))),
                    Err(err) => {
                        // Logged here, once; faces answer 500 without logging it again.
                        err.log_if_internal();
                        Err(Arc::new(err))
                    }
                };
                Self {
                    viewer,
                    credentials,
                }
            }
            Err(err) => Self {
                viewer: Err(Arc::new(err)),
                credentials: Credentials {
                    client,
                    ..Credentials::default()
                },
            },
        };
        parts.extensions.insert(identity.clone());
        identity
    }

    /// Whether checking the credentials failed inside the server (not a refusal).
    pub fn failed(&self) -> Option<&Arc<AppError>> {
        self.viewer
            .as_ref()
            .err()
            .filter(|err| matches!(err.as_ref(), AppError::Internal(_)))
    }
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::resolve(parts, state).await)
    }
}
