//! Downloads: tokens, a file's bytes (a folder's zip), and zips of item lists. Bytes bypass
//! GraphQL and go straight to the service, after the same access checks.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::answers;
use super::content::{respond, zip_response};
use super::error::RestError;
use super::exec::run;
use super::legacy::DownloadToken;
use crate::auth::{Identity, Viewer};
use crate::domain::{CompanyId, ItemId, VersionId};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    items: String,
    version_id: Option<String>,
}

/// The comma-separated `items=` list.
fn item_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET item/download/token?items=a,b&version_id=` → `{token}`.
pub async fn token(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    Query(query): Query<TokenQuery>,
    caller: Identity,
) -> Result<Json<DownloadToken>, RestError> {
    let items = item_list(&query.items);
    if items.is_empty() {
        return Err(RestError::bad_input(
            "items is required: a comma-separated list of item ids",
        ));
    }
    let variables =
        json!({ "companyId": company_id, "items": items, "versionId": query.version_id });
    let data: answers::DownloadToken =
        run(&state, &caller, &state.rest.download_token, variables).await?;
    Ok(Json(DownloadToken {
        token: data.download_token,
    }))
}

/// Who downloads, and whether a download token says so.
struct Downloader {
    viewer: Viewer,
    by_token: bool,
}

impl Downloader {
    /// What the service answered, as the download's answer: a download token that no longer
    /// reaches what it names (its maker lost access, the link changed) does not cover the
    /// request: 401.
    fn answer<T>(&self, outcome: Result<T, AppError>) -> Result<T, RestError> {
        match outcome {
            Err(AppError::NotFound(_)) if self.by_token => Err(AppError::unauthenticated(
                "the download token no longer covers this request",
            )
            .into()),
            other => other.map_err(RestError::from),
        }
    }
}

/// Who downloads: a `?token=` download token on its own (for the items and version it names),
/// else the request's other credentials.
fn downloader(
    state: &AppState,
    caller: Identity,
    company: CompanyId,
    items: &[ItemId],
    version: &mut Option<VersionId>,
) -> Result<Downloader, RestError> {
    let Some(token) = &caller.credentials.download_token else {
        return caller
            .viewer
            .map(|viewer| Downloader {
                viewer,
                by_token: false,
            })
            .map_err(RestError::from);
    };
    let grant = state.keys.verify_download(token)?;
    let covered = grant.company == company && items.iter().all(|item| grant.items.contains(item));
    let version_ok = match (grant.version, *version) {
        (Some(granted), Some(asked)) => granted == asked,
        _ => true,
    };
    if !covered || !version_ok {
        return Err(
            AppError::unauthenticated("the download token does not cover this request").into(),
        );
    }
    // A token made for one version serves that version when none is asked for.
    *version = version.or(grant.version);
    Ok(Downloader {
        viewer: grant.viewer,
        by_token: true,
    })
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    version_id: Option<String>,
}

/// `GET item/:id/download[?version_id=]`: the file's bytes, or the folder as a zip.
pub async fn item(
    State(state): State<AppState>,
    Path((company_id, id)): Path<(String, String)>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
    caller: Identity,
) -> Result<Response, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let item = ItemId::parse(&id)?;
    let mut version = query
        .version_id
        .as_deref()
        .map(VersionId::parse)
        .transpose()?;
    let who = downloader(&state, caller, company, &[item], &mut version)?;
    let service = &state.service;
    let found = who.answer(
        service
            .get_item(&who.viewer, company, &crate::domain::ItemRef::Item(item))
            .await,
    )?;
    if found.is_directory {
        let entries = who.answer(service.zip_entries(&who.viewer, company, &[item]).await)?;
        return zip_response(service, entries, &format!("{}.zip", found.name)).await;
    }
    let content = who.answer(
        service
            .file_content(&who.viewer, company, item, version)
            .await,
    )?;
    respond(service, &content, &headers).await
}

#[derive(Deserialize)]
pub struct ZipQuery {
    #[serde(default)]
    items: String,
}

/// `GET item/download/zip?items=a,b`: the items (and what folders hold) as one zip.
pub async fn zip(
    State(state): State<AppState>,
    Path(company_id): Path<String>,
    Query(query): Query<ZipQuery>,
    caller: Identity,
) -> Result<Response, RestError> {
    let company = CompanyId::parse(&company_id)?;
    let items = item_list(&query.items)
        .iter()
        .map(|id| ItemId::parse(id))
        .collect::<Result<Vec<_>, _>>()?;
    if items.is_empty() || items.len() > crate::service::downloads::MAX_ITEMS {
        return Err(RestError::bad_input(
            "items is required: a comma-separated list of item ids",
        ));
    }
    let who = downloader(&state, caller, company, &items, &mut None)?;
    let entries = who.answer(
        state
            .service
            .zip_entries(&who.viewer, company, &items)
            .await,
    )?;
    zip_response(&state.service, entries, "twake_drive.zip").await
}
