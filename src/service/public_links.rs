//! Public links: opening one as an anonymous visitor (token, password, expiry), and the
//! changes a manager makes to one. Passwords are stored as Argon2 hashes, never returned.

use std::net::IpAddr;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use entity::item;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::access::path_ids;
use super::{Service, attempts, convert};
use crate::auth::PublicGrant;
use crate::domain::inputs::PublicLinkChange;
use crate::domain::{CompanyId, ItemId, Level, now_millis};
use crate::error::{AppError, AppResult};

/// The longest link password accepted.
const MAX_PASSWORD_BYTES: usize = 256;

fn new_token() -> String {
    hex::encode(rand::random::<[u8; 20]>())
}

fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::Internal(anyhow::anyhow!("hashing a link password: {err}")))
}

/// Constant-time in the password (Argon2's verification compares the full hash).
fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Whether the link on `row` is on, unexpired and still what `grant` was given: the same
/// token, and for a visitor token the same generation (any change to the link since revokes).
pub(super) fn is_live(row: &item::Model, grant: &PublicGrant) -> bool {
    row.public_token.as_deref() == Some(grant.token.as_str())
        && grant
            .generation
            .is_none_or(|generation| generation == row.public_generation)
        && convert::parse_level(&row.public_level) > Level::None
        && (row.public_expiration == 0 || row.public_expiration > now_millis())
}

/// Checks a change before any write: never `manage`, sane expiry and password.
pub(super) fn validate(change: &PublicLinkChange) -> AppResult<()> {
    if change.level == Some(Level::Manage) {
        return Err(AppError::bad_input(
            "a public link gives read or write, never manage",
        ));
    }
    if change.expiration.is_some_and(|e| e < 0) {
        return Err(AppError::bad_input(
            "public link expiration must be 0 (never) or a time in ms",
        ));
    }
    if change
        .password
        .as_ref()
        .is_some_and(|p| p.len() > MAX_PASSWORD_BYTES)
    {
        return Err(AppError::bad_input(format!(
            "public link passwords are at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Applies a (validated) change to the row being updated: a link switched on gets a token; a
/// rotation (or a different token sent over REST) mints a new one, revoking the old.
pub(super) fn apply(
    row: &item::Model,
    model: &mut item::ActiveModel,
    change: PublicLinkChange,
) -> AppResult<()> {
    let level = change
        .level
        .unwrap_or_else(|| convert::parse_level(&row.public_level));
    let current = row.public_token.clone();
    let differs = change.token.as_ref().is_some_and(|sent| {
        Some(sent) != current.as_ref() && !(sent.is_empty() && current.is_none())
    });
    let token = if change.rotate || differs || (level > Level::None && current.is_none()) {
        Some(new_token())
    } else {
        current
    };
    model.public_level = Set(level.as_str().to_owned());
    model.public_token = Set(token);
    // Whatever changed, visitor tokens made before no longer hold.
    model.public_generation = Set(row.public_generation.saturating_add(1));
    if let Some(expiration) = change.expiration {
        model.public_expiration = Set(expiration);
    }
    match change.password.as_deref() {
        None => {}
        Some("") => model.public_password_hash = Set(None),
        Some(password) => model.public_password_hash = Set(Some(hash_password(password)?)),
    }
    Ok(())
}

impl Service {
    /// Opens a public link by its token (and password): the grant an anonymous visitor
    /// holds, checked afresh on every use. Wrong passwords are limited per link and `client`
    /// address (429); Argon2 runs off the async workers.
    pub async fn open_public_link(
        &self,
        token: &str,
        password: Option<&str>,
        client: Option<IpAddr>,
    ) -> AppResult<PublicGrant> {
        self.open_link(token, password, client)
            .await
            .map(|(grant, _)| grant)
    }

    async fn open_link(
        &self,
        token: &str,
        password: Option<&str>,
        client: Option<IpAddr>,
    ) -> AppResult<(PublicGrant, item::Model)> {
        let refused =
            || AppError::unauthenticated("this public link does not exist, is off or has expired");
        if token.is_empty() {
            return Err(refused());
        }
        let row = item::Entity::find()
            .filter(item::Column::PublicToken.eq(token))
            .one(self.db())
            .await?
            .ok_or_else(refused)?;
        let grant = PublicGrant {
            company: CompanyId(row.company_id),
            item: ItemId(row.id),
            token: token.to_owned(),
            generation: Some(row.public_generation),
        };
        if !is_live(&row, &grant) {
            return Err(refused());
        }
        if let Some(hash) = row.public_password_hash.clone() {
            let Some(password) = password.filter(|p| !p.is_empty()).map(str::to_owned) else {
                return Err(AppError::unauthenticated(
                    "this public link needs a password",
                ));
            };
            let bucket = attempts::bucket(token, client);
            self.reserve_attempt(&bucket).await?;
            let right = tokio::task::spawn_blocking(move || password_matches(&hash, &password))
                .await
                .unwrap_or(false);
            self.settle_attempt(&bucket, right).await?;
            if !right {
                return Err(AppError::unauthenticated(
                    "wrong password for this public link",
                ));
            }
        }
        Ok((grant, row))
    }

    /// Refuses (401) a visitor token whose link changed since it was made (switched off,
    /// rotated, a new password or expiry) or has expired.
    pub async fn check_public_grant(&self, grant: &PublicGrant) -> AppResult<()> {
        let row = item::Entity::find_by_id(grant.item.0)
            .filter(item::Column::CompanyId.eq(grant.company.0))
            .one(self.db())
            .await?;
        match row {
            Some(row) if is_live(&row, grant) => Ok(()),
            _ => Err(AppError::unauthenticated(
                "the public link behind this token changed, was switched off or has expired",
            )),
        }
    }

    /// Checks a visitor's claim to `document` through a link (the link's item or something
    /// under it), and returns the grant and when the link expires (0 = never).
    pub async fn visit_public_link(
        &self,
        company: CompanyId,
        document: ItemId,
        token: &str,
        password: Option<&str>,
        client: Option<IpAddr>,
    ) -> AppResult<(PublicGrant, i64)> {
        let (grant, link) = self.open_link(token, password, client).await?;
        let row = item::Entity::find_by_id(document.0)
            .filter(item::Column::CompanyId.eq(company.0))
            .one(self.db())
            .await?
            .ok_or_else(|| AppError::not_found(format!("item {document}")))?;
        let covered = grant.company == company
            && (row.id == grant.item.0 || path_ids(&row.path).any(|a| a == grant.item.0));
        if !covered {
            return Err(AppError::unauthenticated(
                "this public link does not give access to this document",
            ));
        }
        Ok((grant, link.public_expiration))
    }
}
