//! The files service: whole uploads stored before items use them (the reference web app's
//! flow), their metadata and their bytes — for the uploader, or readers of an item using them.

use entity::file;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::content::{Counted, Staged, media_type};
use super::{Service, access, changes};
use crate::auth::Viewer;
use crate::domain::{CompanyId, ItemRef, Level, names, now_millis};
use crate::error::{AppError, AppResult};

/// An uploaded file.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub owner: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

impl From<file::Model> for UploadedFile {
    fn from(row: file::Model) -> Self {
        Self {
            id: row.id,
            company_id: CompanyId(row.company_id),
            owner: row.owner,
            name: row.name,
            mime: row.mime,
            size: row.size,
            sha256: row.sha256,
            created_at: row.created_at,
        }
    }
}

/// What an upload is for.
#[derive(Clone, Copy, Debug)]
pub enum UploadFor<'a> {
    /// Nothing yet: an upload of one's own, for an item to use later (the files service).
    Later,
    /// The first version of a new item in this folder or drive.
    NewItemIn(&'a ItemRef),
    /// A new version of this file.
    NewVersionOf(&'a ItemRef),
}

impl Service {
    /// Checks, before a byte is stored, that the viewer may upload this. An upload of one's
    /// own needs a member of the company: guests, link visitors and tab holders upload only
    /// as part of creating or versioning something where they may write.
    pub async fn may_upload(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        purpose: UploadFor<'_>,
    ) -> AppResult<()> {
        match purpose {
            UploadFor::Later if viewer.is_visitor() => Err(Viewer::outside_its_link()),
            UploadFor::Later if !viewer.is_member_of(company) => Err(AppError::forbidden(
                "only members of the company upload files of their own; upload as part of creating or versioning an item",
            )),
            UploadFor::Later => Ok(()),
            UploadFor::NewItemIn(parent) => {
                changes::writable_place(self.db(), viewer, company, parent)
                    .await
                    .map(drop)
            }
            UploadFor::NewVersionOf(id) => {
                let ItemRef::Item(id) = id else {
                    return Err(AppError::bad_input(format!(
                        "{id} is a folder; folders have no versions"
                    )));
                };
                let (item, row) = access::readable_item(self.db(), viewer, company, id.0).await?;
                access::require(&item, Level::Write, "adding a version")?;
                if row.is_directory {
                    return Err(AppError::bad_input(format!(
                        "{id} is a folder; folders have no versions"
                    )));
                }
                Ok(())
            }
        }
    }

    /// Records staged bytes as an upload of the viewer's. Nothing is kept when this fails.
    pub async fn upload_file(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        name: &str,
        mime: Option<&str>,
        staged: Staged,
    ) -> AppResult<UploadedFile> {
        let name = match names::validate(name) {
            Ok(name) => name,
            Err(err) => {
                self.discard(staged).await;
                return Err(err);
            }
        };
        let txn = self.write().await?;
        let outcome = async {
            let claim = self.claim(&txn, company, &staged, Counted::NotYet).await?;
            let row = file::ActiveModel {
                id: Set(Uuid::now_v7()),
                company_id: Set(company.0),
                owner: Set(viewer.user_id.to_string()),
                mime: Set(media_type(mime, &name)),
                name: Set(name),
                size: Set(staged.size),
                sha256: Set(staged.sha256.clone()),
                holds_ref: Set(true),
                created_at: Set(now_millis()),
            }
            .insert(&*txn)
            .await?;
            Ok::<_, AppError>((claim, row))
        }
        .await;
        match outcome {
            Ok((claim, row)) => {
                txn.commit().await?;
                self.settle(claim).await;
                Ok(row.into())
            }
            Err(err) => {
                drop(txn);
                self.discard(staged).await;
                Err(err)
            }
        }
    }

    /// An upload's metadata: for its uploader, or anyone who can read an item using it.
    pub async fn get_file(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &str,
    ) -> AppResult<UploadedFile> {
        let not_found = || AppError::not_found(format!("file {id}"));
        viewer.may_be_in(company)?;
        let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
        let row = file::Entity::find_by_id(uuid)
            .filter(file::Column::CompanyId.eq(company.0))
            .one(self.db())
            .await?
            .ok_or_else(not_found)?;
        if row.owner != viewer.user_id.as_str()
            && !super::content::used_by_readable_item(self.db(), viewer, company, id).await?
        {
            return Err(not_found());
        }
        Ok(row.into())
    }

    /// An upload's bytes, for whoever may see its metadata.
    pub async fn uploaded_content(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        id: &str,
    ) -> AppResult<super::content::Content> {
        let file = self.get_file(viewer, company, id).await?;
        self.content_by_hash(company, &file.sha256, file.name, file.mime)
            .await
    }
}
