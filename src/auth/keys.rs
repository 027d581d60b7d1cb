//! The HS256 key, the claims of access tokens, and their verification and minting.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{Role, Viewer};
use crate::domain::{CompanyId, UserId};
use crate::error::AppError;

/// The `typ` claim: which role a token may play.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Download,
    Public,
    Tab,
}

/// The claims of an access token, as the identity provider signs them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<TokenKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub companies: HashMap<String, String>,
}

/// The signing key; its `Debug` never shows it.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_nbf = true;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        validation
    }

    /// Verifies a bearer access token and turns it into a viewer.
    pub fn verify_access(&self, token: &str) -> Result<Viewer, AppError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &Self::validation())
            .map_err(|err| {
                AppError::unauthenticated(match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired",
                    jsonwebtoken::errors::ErrorKind::ImmatureSignature => {
                        "the token is not valid yet"
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                        "the token's signature does not verify"
                    }
                    _ => "the token is malformed",
                })
            })?;
        let claims = data.claims;
        match claims.typ {
            None | Some(TokenKind::Access) => {}
            Some(other) => {
                return Err(AppError::unauthenticated(format!(
                    "a {} token cannot be used as a bearer token",
                    serde_json::to_value(other)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                )));
            }
        }
        let user_id = UserId::parse(&claims.sub)
            .map_err(|_| AppError::unauthenticated("the token's subject is not a valid user id"))?;
        let mut roles = HashMap::with_capacity(claims.companies.len());
        for (company, role) in &claims.companies {
            let company = CompanyId::parse(company).map_err(|_| {
                AppError::unauthenticated("the token names a company that is not a UUID")
            })?;
            let role = Role::parse(role)
                .map_err(|_| AppError::unauthenticated("the token names an unknown role"))?;
            roles.insert(company, role);
        }
        let mut viewer = Viewer::new(user_id, roles);
        viewer.name = claims.name;
        viewer.email = claims.email;
        Ok(viewer)
    }

    /// Signs any claims with this key (HS256).
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|err| AppError::Internal(err.into()))
    }

    /// Mints an access token, as `quire token` and the tests do.
    pub fn mint_access(
        &self,
        user: &str,
        companies: &[(CompanyId, Role)],
        ttl_secs: u64,
        name: Option<String>,
    ) -> Result<String, AppError> {
        let now = unix_now();
        self.sign(&AccessClaims {
            sub: user.to_owned(),
            exp: now + ttl_secs,
            iat: Some(now),
            nbf: None,
            typ: None,
            name,
            email: None,
            companies: companies
                .iter()
                .map(|(c, r)| (c.to_string(), r.as_str().to_owned()))
                .collect(),
        })
    }
}
