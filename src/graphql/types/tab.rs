//! `Tab`: a chat-channel tab attached to a drive item.

use async_graphql::{ID, Object};

use crate::domain::{Level, Tab};

pub struct TabObject(pub Tab);

/// A chat-channel tab showing a drive item; members of the channel get the tab's level on it.
#[Object(name = "Tab")]
impl TabObject {
    /// The company the tab belongs to.
    async fn company_id(&self) -> ID {
        ID(self.0.company_id.to_string())
    }

    /// The tab's id in the chat application.
    async fn tab_id(&self) -> &str {
        &self.0.tab_id
    }

    /// The channel the tab is in.
    async fn channel_id(&self) -> &str {
        &self.0.channel_id
    }

    /// The item the tab shows.
    async fn item_id(&self) -> ID {
        ID(self.0.item_id.to_string())
    }

    /// What the channel's members may do with the item: `READ` or `WRITE`.
    async fn level(&self) -> Level {
        self.0.level
    }
}
