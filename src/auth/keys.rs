//! The HS256 key, the claims of every token kind, and their verification and minting.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{PublicGrant, Role, Viewer};
use crate::domain::{CompanyId, ItemId, UserId, VersionId};
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

/// A public-link visitor's token, minted by `POST anonymous/token`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicClaims {
    pub sub: String,
    pub exp: u64,
    pub typ: TokenKind,
    pub company_id: String,
    pub document_id: String,
    /// The link's token when this one was minted: rotating the link revokes it.
    pub link: String,
    /// The link's generation when this one was minted: any change to the link revokes it.
    #[serde(default)]
    pub generation: i64,
}

/// The link a visitor's download token was made through.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VisitorLink {
    /// The link's item.
    pub item: String,
    /// The link's token.
    pub link: String,
    /// The link's generation.
    pub generation: i64,
}

/// A chat tab's token: its holder is a member of the channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TabClaims {
    pub sub: String,
    pub exp: u64,
    pub typ: TokenKind,
    pub company_id: String,
    pub channel_id: String,
    pub tab_id: String,
}

/// A download token: lets a browser fetch the named items (and version) without a header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DownloadClaims {
    pub sub: String,
    pub exp: u64,
    pub typ: TokenKind,
    pub company_id: String,
    pub items: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The holder's role in the company when the token was minted.
    pub role: String,
    /// For a link visitor: the link that lets them read what the token names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<VisitorLink>,
    /// The channels of the company the holder is in (from a tab token).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Whether the holder had a tab token alone: only its channels' entries apply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub channel_only: bool,
}

/// What a download token allows, once verified.
#[derive(Clone, Debug)]
pub struct DownloadGrant {
    pub viewer: Viewer,
    pub company: CompanyId,
    pub items: Vec<ItemId>,
    pub version: Option<VersionId>,
}

/// How long a download token lives.
const DOWNLOAD_TOKEN_SECS: u64 = 3600;

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

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn kind_name(kind: Option<TokenKind>) -> &'static str {
    match kind {
        None | Some(TokenKind::Access) => "an access",
        Some(TokenKind::Download) => "a download",
        Some(TokenKind::Public) => "a public-link",
        Some(TokenKind::Tab) => "a tab",
    }
}

#[derive(Deserialize)]
struct Kind {
    #[serde(default)]
    typ: Option<TokenKind>,
}

fn malformed() -> AppError {
    AppError::unauthenticated("the token is malformed")
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

    /// Verifies the signature and times, and returns the claims with their kind.
    fn decode(&self, token: &str) -> Result<(Option<TokenKind>, serde_json::Value), AppError> {
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding, &Self::validation())
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
        let kind: Kind = serde_json::from_value(data.claims.clone()).map_err(|_| malformed())?;
        Ok((kind.typ, data.claims))
    }

    /// Verifies a token of one kind and reads its claims; a token of another kind is refused.
    fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        wanted: TokenKind,
        role: &str,
    ) -> Result<T, AppError> {
        let (kind, claims) = self.decode(token)?;
        if kind.unwrap_or(TokenKind::Access) != wanted {
            return Err(AppError::unauthenticated(format!(
                "{} token cannot be used {role}",
                kind_name(kind)
            )));
        }
        serde_json::from_value(claims).map_err(|_| malformed())
    }

    /// When a token this key signed expires (its `exp`, seconds since the epoch).
    pub fn expires_at(&self, token: &str) -> Result<u64, AppError> {
        let (_, claims) = self.decode(token)?;
        claims["exp"].as_u64().ok_or_else(malformed)
    }

    /// Verifies a bearer token: an access token, or a public-link visitor's token.
    pub fn verify_bearer(&self, token: &str) -> Result<Viewer, AppError> {
        let (kind, _) = self.decode(token)?;
        match kind {
            Some(TokenKind::Public) => {
                let claims: PublicClaims =
                    self.verify(token, TokenKind::Public, "as a bearer token")?;
                let grant = PublicGrant {
                    company: CompanyId::parse(&claims.company_id).map_err(|_| malformed())?,
                    item: ItemId::parse(&claims.document_id).map_err(|_| malformed())?,
                    token: claims.link,
                    generation: Some(claims.generation),
                };
                let visitor = UserId::parse(&claims.sub).map_err(|_| malformed())?;
                Ok(Viewer::visitor(visitor, grant))
            }
            _ => self.verify_access(token),
        }
    }

    /// Verifies an access token and turns it into a viewer.
    pub fn verify_access(&self, token: &str) -> Result<Viewer, AppError> {
        let claims: AccessClaims = self.verify(token, TokenKind::Access, "as a bearer token")?;
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

    /// Verifies a tab token: its holder is `sub`, a member of the tab's channel.
    pub fn verify_tab(&self, token: &str) -> Result<(UserId, CompanyId, String), AppError> {
        let claims: TabClaims = self.verify(token, TokenKind::Tab, "as twake_tab_token")?;
        let user = UserId::parse(&claims.sub).map_err(|_| malformed())?;
        let company = CompanyId::parse(&claims.company_id).map_err(|_| malformed())?;
        let channel = crate::domain::ids::opaque_id("channel id", &claims.channel_id)
            .map_err(|_| malformed())?;
        Ok((user, company, channel))
    }

    /// Verifies a download token (`?token=`).
    pub fn verify_download(&self, token: &str) -> Result<DownloadGrant, AppError> {
        let claims: DownloadClaims =
            self.verify(token, TokenKind::Download, "as a download token")?;
        let user = UserId::parse(&claims.sub).map_err(|_| malformed())?;
        let company = CompanyId::parse(&claims.company_id).map_err(|_| malformed())?;
        let items = claims
            .items
            .iter()
            .map(|id| ItemId::parse(id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| malformed())?;
        let version = claims
            .version_id
            .as_deref()
            .map(VersionId::parse)
            .transpose()
            .map_err(|_| malformed())?;
        let role = Role::parse(&claims.role).map_err(|_| malformed())?;
        let mut channels = claims.channels.into_iter();
        let mut viewer = match (claims.visitor, claims.channel_only) {
            (Some(link), _) => Viewer::visitor(
                user,
                PublicGrant {
                    company,
                    item: ItemId::parse(&link.item).map_err(|_| malformed())?,
                    token: link.link,
                    generation: Some(link.generation),
                },
            ),
            (None, true) => {
                let channel = channels.next().ok_or_else(malformed)?;
                Viewer::tab_holder(user, company, channel)
            }
            (None, false) => Viewer::new(user, HashMap::from([(company, role)])),
        };
        for channel in channels {
            viewer.join_channel(company, channel);
        }
        Ok(DownloadGrant {
            viewer,
            company,
            items,
            version,
        })
    }

    /// Signs any claims with this key (HS256).
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|err| AppError::Internal(err.into()))
    }

    /// Mints a download token for `items` (and a version of a single one), valid an hour. The
    /// caller checked that the viewer may read them; the download routes check again.
    pub fn mint_download(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        items: &[ItemId],
        version: Option<VersionId>,
    ) -> Result<String, AppError> {
        self.sign(&DownloadClaims {
            sub: viewer.user_id.to_string(),
            exp: unix_now() + DOWNLOAD_TOKEN_SECS,
            typ: TokenKind::Download,
            company_id: company.to_string(),
            items: items.iter().map(ToString::to_string).collect(),
            version_id: version.map(|v| v.to_string()),
            role: viewer.role(company).as_str().to_owned(),
            visitor: viewer.public.as_ref().map(|grant| VisitorLink {
                item: grant.item.to_string(),
                link: grant.token.clone(),
                generation: grant.generation.unwrap_or_default(),
            }),
            channels: viewer.channels(company).map(str::to_owned).collect(),
            channel_only: viewer.is_tab_holder(),
        })
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
