//! File versions: adding one (the item follows it), listing them newest first, loading by id.

use std::collections::{HashMap, HashSet};

use entity::{item, version};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::access::{self, require};
use super::{
    Service, by_company, content, convert, keyset, locks, revisions, search, sizes, users,
};
use crate::auth::Viewer;
use crate::domain::inputs::NewVersion;
use crate::domain::{
    ChangeKind, CompanyId, Item, ItemId, ItemRef, Level, Page, PageRequest, Revision, Version,
    VersionId, names, now_millis,
};
use crate::error::{AppError, AppResult};

/// Checks a new version's metadata; the file name falls back to nothing (the item's name is
/// used by whoever reads it).
pub(super) fn validate(mut version: NewVersion) -> AppResult<NewVersion> {
    if !version.file_name.is_empty() {
        version.file_name = names::validate(&version.file_name)?;
    }
    if version.provider.is_empty() {
        version.provider = "internal".to_owned();
    }
    if version.mime.len() > 255 || version.provider.len() > 64 || version.application_id.len() > 128
    {
        return Err(AppError::bad_input(
            "version mime, provider or application_id is too long",
        ));
    }
    Ok(version)
}

/// Where a new version's bytes are.
pub(super) enum VersionBytes<'a> {
    /// The upload its `external_id` names.
    Uploaded,
    /// The company's empty content, already referenced (this SHA-256).
    Empty(&'a str),
}

/// Inserts a version and makes it the item's latest (size, last_modified follow). Its size and
/// hash are those of its stored bytes; it is `creator`'s. The caller moves folder sizes.
pub(super) async fn insert<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    (company, item_id): (CompanyId, ItemId),
    creator: &str,
    mut version: NewVersion,
    bytes: VersionBytes<'_>,
    now: i64,
) -> AppResult<Version> {
    let (sha256, size) = match (version.external_id.as_deref(), bytes) {
        (Some(external_id), _) => {
            let file = content::use_uploaded_file(db, viewer, company, external_id).await?;
            if version.file_name.is_empty() {
                version.file_name = file.name;
            }
            if version.mime.is_empty() {
                version.mime = file.mime;
            }
            (file.sha256, file.size)
        }
        (None, VersionBytes::Empty(sha256)) => (sha256.to_owned(), 0),
        (None, VersionBytes::Uploaded) => return Err(no_content()),
    };
    let id = VersionId::generate();
    let row = version::ActiveModel {
        id: Set(id.0),
        item_id: Set(item_id.0),
        company_id: Set(company.0),
        provider: Set(version.provider),
        file_name: Set(version.file_name),
        mime: Set(version.mime),
        size: Set(size),
        sha256: Set(Some(sha256)),
        external_id: Set(version.external_id),
        creator: Set(creator.to_owned()),
        application_id: Set(version.application_id),
        date_added: Set(now),
        // What search extracts from the content, and the queue of what is left to extract.
        content_keywords: Set(String::new()),
        search_status: Set(search::PENDING.to_owned()),
        search_attempts: Set(0),
        search_claimed_at: Set(0),
    }
    .insert(db)
    .await?;
    item::Entity::update_many()
        .col_expr(
            item::Column::LastVersionId,
            sea_orm::sea_query::Expr::value(id.0),
        )
        .col_expr(
            item::Column::Size,
            sea_orm::sea_query::Expr::value(row.size),
        )
        .col_expr(
            item::Column::LastModified,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(item::Column::Id.eq(item_id.0))
        .exec(db)
        .await?;
    Ok(convert::version(row))
}

fn no_content() -> AppError {
    AppError::bad_input(
        "a new version needs content: a file part, an upload, or file_metadata.external_id naming one",
    )
}

impl Service {
    /// Adds a version to a file the viewer may write; returns it and the updated item.
    pub async fn create_version(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        item_id: &ItemRef,
        version: NewVersion,
        if_revision: Option<Revision>,
    ) -> AppResult<(Version, Item)> {
        let ItemRef::Item(item_id) = item_id else {
            return Err(AppError::bad_input(format!(
                "{item_id} is a folder; folders have no versions"
            )));
        };
        let version = validate(version)?;
        let created = self
            .retrying(|| self.add_version(viewer, company, *item_id, version.clone(), if_revision))
            .await?;
        let item = self
            .get_item(viewer, company, &ItemRef::Item(*item_id))
            .await?;
        Ok((created, item))
    }

    async fn add_version(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        item_id: ItemId,
        version: NewVersion,
        if_revision: Option<Revision>,
    ) -> AppResult<Version> {
        let txn = self.write().await?;
        locks::places(&txn, company.0, &[item_id.0], false).await?;
        let (item, row) = access::readable_item(&*txn, viewer, company, item_id.0).await?;
        require(&item, Level::Write, "adding a version")?;
        if row.is_directory {
            return Err(AppError::bad_input(format!(
                "{item_id} is a folder; folders have no versions"
            )));
        }
        if version.external_id.is_none() {
            return Err(no_content());
        }
        revisions::claim(&txn, company, item_id, if_revision).await?;
        revisions::mark_parents(&txn, company, [row.parent_id.as_str()]).await?;
        let logged = revisions::Logged::new(ChangeKind::VersionAdded, item_id.0, viewer);
        revisions::log(&txn, company, logged.in_place(&row));
        // What a link visitor or a tab holder adds is the file's owner's, as the file is.
        let creator = match viewer.acts_as_self() {
            true => viewer.user_id.to_string(),
            false => row.creator.clone(),
        };
        let created = insert(
            &*txn,
            viewer,
            (company, item_id),
            &creator,
            version,
            VersionBytes::Uploaded,
            now_millis(),
        )
        .await?;
        let delta = created.size - row.size;
        sizes::add_to_counting_folders(&*txn, &row, delta).await?;
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// A page of the versions of an item the service handed this viewer, newest first; a
    /// folder has none (and costs no statement).
    pub async fn versions_of(&self, item: &Item, page: PageRequest) -> AppResult<Page<Version>> {
        if item.level < Level::Read {
            return Err(AppError::not_found(format!("item {}", item.id)));
        }
        let Some(item_id) = item.stored_id().filter(|_| !item.is_directory) else {
            return Ok(Page::empty());
        };
        let select = version::Entity::find().filter(version::Column::ItemId.eq(item_id.0));
        let newest_first = keyset::Order {
            directory: None,
            value: version::Column::DateAdded.into_expr(),
            id: version::Column::Id,
            descending: true,
        };
        let (rows, total) =
            keyset::read::<_, _, version::Model>(self.keyed(), select, &newest_first, &page)
                .await?;
        let versions = rows.into_iter().map(convert::version).collect();
        Ok(Page::read(versions, &page, total))
    }

    /// Versions among `ids` whose item the viewer may read (for `node`/`nodes`), in a fixed
    /// number of statements.
    pub async fn readable_versions(
        &self,
        viewer: &Viewer,
        ids: &[VersionId],
    ) -> AppResult<HashMap<VersionId, Version>> {
        let rows = self.version_rows(ids).await?;
        let mut found = HashMap::new();
        for (company, rows) in by_company(rows, |row| row.company_id) {
            let items: Vec<_> = rows.iter().map(|row| row.item_id).collect();
            let readable: HashSet<uuid::Uuid> =
                access::readable_rows(self.keyed(), viewer, company, &items)
                    .await?
                    .into_iter()
                    .map(|(_, item)| item.id)
                    .collect();
            for row in rows
                .into_iter()
                .filter(|row| readable.contains(&row.item_id))
            {
                found.insert(VersionId(row.id), convert::version(row));
            }
        }
        Ok(found)
    }

    async fn version_rows(&self, ids: &[VersionId]) -> AppResult<Vec<version::Model>> {
        Ok(version::Entity::find()
            .filter(version::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .all(self.keyed())
            .await?)
    }
}
