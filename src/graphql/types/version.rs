//! `Version`: one version of a file's content.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, Object};

use crate::graphql::context::ContextExt;

use crate::domain::Version;
use crate::domain::search::SearchStatus;
use crate::graphql::scalars::{ByteCount, Timestamp};

/// Shared, not copied: an item's latest version is the one its row was read with.
#[derive(Clone)]
pub struct VersionObject(pub Arc<Version>);

impl From<Version> for VersionObject {
    fn from(version: Version) -> Self {
        Self(Arc::new(version))
    }
}

/// One version of a file's content.
#[Object(name = "Version", serial)]
impl VersionObject {
    /// The version's id (a UUID, the same string as in REST).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The file the version belongs to.
    async fn item_id(&self) -> ID {
        ID(self.0.item_id.to_string())
    }

    /// Where the content is kept (`internal` for Quire's own store).
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// The name the content was uploaded under.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// The content's media type.
    async fn mime(&self) -> &str {
        &self.0.mime
    }

    /// The content's size.
    async fn size(&self) -> ByteCount {
        ByteCount(self.0.size)
    }

    /// The SHA-256 of the content, in hex, when Quire stored it.
    async fn sha256(&self) -> Option<&str> {
        self.0.sha256.as_deref()
    }

    /// The stored file this version points at (the files service's id).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// Who added the version; empty for link visitors (who see no one's identity).
    async fn creator_id(&self, ctx: &Context<'_>) -> async_graphql::Result<ID> {
        if ctx.viewer()?.is_visitor() {
            return Ok(ID(String::new()));
        }
        Ok(ID(self.0.creator.clone()))
    }

    /// The application that added it, if any.
    async fn application_id(&self) -> &str {
        &self.0.application_id
    }

    /// A link that downloads this version for an hour, with no headers needed.
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let version = &self.0;
        let token = ctx
            .request()?
            .keys
            .mint_download(
                ctx.viewer()?,
                version.company_id,
                &[version.item_id],
                Some(version.id),
            )
            .map_err(|e| e.extend())?;
        Ok(format!(
            "/internal/services/documents/v1/companies/{}/item/{}/download?version_id={}&token={token}",
            version.company_id, version.item_id, version.id
        ))
    }

    /// The most frequent words (up to 250) of the text search read from the content; empty
    /// until `searchStatus` is `DONE`.
    async fn content_keywords(&self) -> &str {
        &self.0.content_keywords
    }

    /// Where reading the content for search stands.
    async fn search_status(&self) -> SearchStatus {
        self.0.search_status
    }

    /// When the version was added.
    async fn date_added(&self) -> Timestamp {
        Timestamp(self.0.date_added)
    }
}
