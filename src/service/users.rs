//! Users Quire has seen: remembered on writes, joined to the items they created.

use entity::user;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Service, convert};
use crate::auth::Viewer;
use crate::domain::{User, now_millis};
use crate::error::AppResult;

impl Service {
    /// The users among `ids` Quire has seen, in one statement.
    pub async fn users(&self, ids: &[String]) -> AppResult<Vec<User>> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().cloned()))
            .all(self.keyed())
            .await?;
        Ok(rows.into_iter().map(convert::user).collect())
    }
}

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
