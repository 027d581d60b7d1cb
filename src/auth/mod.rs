//! Who is calling: the credentials a request carries, their verification, the `Viewer` they
//! yield, and the tokens Quire mints.

mod client;
mod identity;
mod keys;

pub use crate::domain::{PublicGrant, Role, Viewer};
pub use client::TrustedProxies;
pub use identity::{Caller, Identity};
pub use keys::{
    AccessClaims, DownloadClaims, DownloadGrant, Keys, PublicClaims, TabClaims, TokenKind,
    VisitorLink, unix_now,
};

use axum::http::HeaderMap;

use crate::domain::UserId;
use crate::error::AppError;
use crate::service::Service;

/// The credentials of a request, read from its headers and query string.
#[derive(Clone, Default, Debug)]
pub struct Credentials {
    pub bearer: Option<String>,
    /// `?public_token=<token>` or `<token>+<password>` (`+` may arrive decoded as a space).
    pub public_token: Option<String>,
    /// `?twake_tab_token=<jwt>`.
    pub tab_token: Option<String>,
    /// `?token=<download token>` (download routes only).
    pub download_token: Option<String>,
    /// The client's address, for rate limits.
    pub client: Option<std::net::IpAddr>,
}

impl Credentials {
    pub fn read(headers: &HeaderMap, query: Option<&str>) -> Result<Self, AppError> {
        let mut credentials = Self::default();
        if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| {
                AppError::unauthenticated("the Authorization header is not valid text")
            })?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| {
                    AppError::unauthenticated("the Authorization header must be 'Bearer <token>'")
                })?;
            credentials.bearer = Some(token.trim().to_owned());
        }
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match key.as_ref() {
                "public_token" => &mut credentials.public_token,
                "twake_tab_token" => &mut credentials.tab_token,
                "token" => &mut credentials.download_token,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        Ok(credentials)
    }

    /// Resolves the viewer: a bearer token (access or public-link visitor), else a public link
    /// from `?public_token=`; a tab token adds its channel. `None` without credentials.
    pub async fn viewer(&self, keys: &Keys, service: &Service) -> Result<Option<Viewer>, AppError> {
        let mut viewer = match (&self.bearer, &self.public_token) {
            (Some(bearer), _) => {
                let viewer = keys.verify_bearer(bearer)?;
                if let Some(grant) = &viewer.public {
                    service.check_public_grant(grant).await?;
                }
                Some(viewer)
            }
            (None, Some(public)) => {
                let (token, password) = match public.split_once(['+', ' ']) {
                    Some((token, password)) => (token, Some(password)),
                    None => (public.as_str(), None),
                };
                let grant = service
                    .open_public_link(token, password, self.client)
                    .await?;
                Some(Viewer::visitor(UserId::anonymous(), grant))
            }
            (None, None) => None,
        };
        if let Some(tab_token) = &self.tab_token {
            let (user, company, channel) = keys.verify_tab(tab_token)?;
            match &mut viewer {
                Some(existing) if existing.user_id != user => {
                    return Err(AppError::unauthenticated(
                        "the tab token was issued to another user than the bearer token",
                    ));
                }
                Some(existing) => existing.join_channel(company, channel),
                None => viewer = Some(Viewer::tab_holder(user, company, channel)),
            }
        }
        Ok(viewer)
    }
}
