//! Users Quire has seen: remembered on writes, loaded in batches for `creator` fields.

use std::collections::HashMap;

use entity::user;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Service, convert};
use crate::auth::Viewer;
use crate::domain::{User, now_millis};
use crate::error::AppResult;

/// Records the viewer's name and email from their token, so others see who made what.
pub(super) async fn remember<C: ConnectionTrait>(db: &C, viewer: &Viewer) -> AppResult<()> {
    // Link visitors and tab holders are no one Quire should remember.
    if !viewer.acts_as_self() {
        return Ok(());
    }
    user::Entity::insert(user::ActiveModel {
        id: Set(viewer.user_id.to_string()),
        name: Set(viewer.name.clone()),
        email: Set(viewer.email.clone()),
        seen_at: Set(now_millis()),
    })
    .on_conflict(
        OnConflict::column(user::Column::Id)
            .update_columns([
                user::Column::Name,
                user::Column::Email,
                user::Column::SeenAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

impl Service {
    /// Users by id; ids never seen are answered with just their id.
    pub async fn users_by_ids(&self, ids: &[String]) -> AppResult<HashMap<String, User>> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().cloned()))
            .all(self.db())
            .await?;
        let mut found: HashMap<String, User> = rows
            .into_iter()
            .map(|row| (row.id.clone(), convert::user(row)))
            .collect();
        for id in ids {
            found.entry(id.clone()).or_insert_with(|| User {
                id: id.clone(),
                name: None,
                email: None,
            });
        }
        Ok(found)
    }
}
