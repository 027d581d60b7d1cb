//! Chat-channel tabs: reading one (read on its item) and attaching one (manage on its item).

use entity::{grant, tab};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::access::{self, require};
use super::revisions::{self, Logged};
use super::{Service, convert, locks, users};
use crate::auth::Viewer;
use crate::domain::ids::opaque_id;
use crate::domain::inputs::SetTab;
use crate::domain::{ChangeKind, CompanyId, ItemId, Level, Tab};
use crate::error::{AppError, AppResult};

impl Service {
    /// The tab, if it exists and the viewer may read its item.
    pub async fn get_tab(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        tab_id: &str,
    ) -> AppResult<Option<Tab>> {
        let tab_id = opaque_id("tab id", tab_id)?;
        viewer.may_be_in(company)?;
        let Some(row) = tab::Entity::find_by_id((company.0, tab_id.clone()))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        access::readable_item(self.db(), viewer, company, row.item_id)
            .await
            .map_err(|_| AppError::not_found(format!("tab {tab_id}")))?;
        Ok(Some(convert::tab(row)))
    }

    /// Attaches a tab to an item and gives its channel the tab's level on the item, replacing
    /// the grant of the channel the tab had before.
    pub async fn set_tab(
        &self,
        viewer: &Viewer,
        company: CompanyId,
        input: SetTab,
    ) -> AppResult<Tab> {
        let tab_id = opaque_id("tab id", &input.tab_id)?;
        let channel_id = opaque_id("channel id", &input.channel_id)?;
        if !matches!(input.level, Level::Read | Level::Write) {
            return Err(AppError::bad_input("a tab's level must be read or write"));
        }
        let tab = Tab {
            company_id: company,
            tab_id,
            channel_id,
            item_id: input.item_id,
            level: input.level,
        };
        self.retrying(|| self.attach_tab(viewer, &tab)).await?;
        Ok(tab)
    }

    async fn attach_tab(&self, viewer: &Viewer, tab: &Tab) -> AppResult<()> {
        let (company, tab_id, channel_id) =
            (tab.company_id, tab.tab_id.clone(), tab.channel_id.clone());
        let input = tab;
        let txn = self.write().await?;
        // Writers of one tab take turns: each sees where the other left it.
        locks::take_turn(&txn, &[b"tab", company.0.as_bytes(), tab_id.as_bytes()]).await?;
        let previous = tab::Entity::find_by_id((company.0, tab_id.clone()))
            .one(&*txn)
            .await?;
        let repointed = previous
            .as_ref()
            .filter(|previous| previous.item_id != input.item_id.0);
        let places: Vec<_> = std::iter::once(input.item_id.0)
            .chain(repointed.map(|previous| previous.item_id))
            .collect();
        locks::places(&txn, company.0, &places, false).await?;
        let (item, row) = access::readable_item(&*txn, viewer, company, input.item_id.0).await?;
        require(&item, Level::Manage, "attaching a tab")?;
        // The channel's entry changes the item's access list, and the parent lists it.
        revisions::claim(&txn, company, input.item_id, None).await?;
        revisions::mark_parents(&txn, company, [row.parent_id.as_str()]).await?;
        // A tab kept on its item but moved to another channel takes the old channel's entry.
        let replaced_channel: Vec<String> = previous
            .iter()
            .filter(|previous| {
                previous.item_id == input.item_id.0 && previous.channel_id != channel_id
            })
            .map(|previous| revisions::entry_key("channel", &previous.channel_id))
            .collect();
        let logged = Logged::new(ChangeKind::TabAttached, input.item_id.0, viewer)
            .in_place(&row)
            .revoking(replaced_channel);
        revisions::log(&txn, company, logged);
        if let Some(previous) = previous {
            // Re-pointing a tab takes the channel's entry off the item it points at now: that
            // needs `manage` there too, or anyone could strip someone else's folder.
            if previous.item_id != input.item_id.0 {
                let pointed = access::readable_rows(&*txn, viewer, company, &[previous.item_id])
                    .await?
                    .pop()
                    .filter(|(item, _)| item.level >= Level::Manage);
                let Some((_, pointed)) = pointed else {
                    return Err(AppError::forbidden(format!(
                        "tab {tab_id} points at an item you do not manage; only its managers may re-point it"
                    )));
                };
                revisions::claim(&txn, company, ItemId(previous.item_id), None).await?;
                revisions::mark_parents(&txn, company, [pointed.parent_id.as_str()]).await?;
                let logged = Logged::new(ChangeKind::AccessChanged, previous.item_id, viewer)
                    .in_place(&pointed)
                    .revoking(vec![revisions::entry_key("channel", &previous.channel_id)]);
                revisions::log(&txn, company, logged);
            }
            grant::Entity::delete_many()
                .filter(grant::Column::CompanyId.eq(company.0))
                .filter(grant::Column::ItemId.eq(previous.item_id))
                .filter(grant::Column::Kind.eq("channel"))
                .filter(grant::Column::Subject.eq(previous.channel_id))
                .exec(&*txn)
                .await?;
        }
        let row = tab::ActiveModel {
            company_id: Set(company.0),
            tab_id: Set(tab_id.clone()),
            channel_id: Set(channel_id.clone()),
            item_id: Set(input.item_id.0),
            level: Set(input.level.as_str().to_owned()),
        };
        tab::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([tab::Column::CompanyId, tab::Column::TabId])
                    .update_columns([
                        tab::Column::ChannelId,
                        tab::Column::ItemId,
                        tab::Column::Level,
                    ])
                    .to_owned(),
            )
            .exec(&*txn)
            .await?;
        grant::Entity::insert(grant::ActiveModel {
            company_id: Set(company.0),
            item_id: Set(input.item_id.0),
            kind: Set("channel".to_owned()),
            subject: Set(channel_id.clone()),
            level: Set(input.level.as_str().to_owned()),
            grantor: Set(Some(viewer.user_id.to_string())),
        })
        .on_conflict(
            OnConflict::columns([
                grant::Column::CompanyId,
                grant::Column::ItemId,
                grant::Column::Kind,
                grant::Column::Subject,
            ])
            .update_columns([grant::Column::Level, grant::Column::Grantor])
            .to_owned(),
        )
        .exec(&*txn)
        .await?;
        users::remember(&*txn, viewer).await?;
        txn.commit().await?;
        Ok(())
    }
}
