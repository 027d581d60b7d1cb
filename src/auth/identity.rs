//! The `Identity` extractor: the caller of a request, resolved once from its credentials.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::{Credentials, Viewer};
use crate::state::AppState;

/// The caller, or why there is none. Never rejects: faces answer `UNAUTHENTICATED` where
/// credentials are needed.
pub struct Identity {
    pub viewer: Result<Viewer, String>,
    pub credentials: Credentials,
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let credentials = match Credentials::read(&parts.headers, parts.uri.query()) {
            Ok(credentials) => Credentials {
                client,
                ..credentials
            },
            Err(err) => {
                return Ok(Self {
                    viewer: Err(err.public_message()),
                    credentials: Credentials {
                        client,
                        ..Credentials::default()
                    },
                });
            }
        };
        let viewer = match credentials.viewer(&state.keys, &state.service).await {
            Ok(Some(viewer)) => Ok(viewer),
            Ok(None) => {
                Err("this needs credentials: an 'Authorization: Bearer <token>' header".to_owned())
            }
            Err(err) => Err(err.public_message()),
        };
        Ok(Self {
            viewer,
            credentials,
        })
    }
}
