//! Users Quire has seen: remembered on writes, joined to the items they created.

use entity::user;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::auth::Viewer;
use crate::domain::now_millis;
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
