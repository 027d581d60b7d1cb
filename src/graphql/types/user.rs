//! `User`: who made or shared something.

use std::sync::Arc;

use async_graphql::{ID, Object};

use crate::domain::User;

pub struct UserObject(pub Arc<User>);

/// A user, as the identity provider named them in their tokens.
#[Object(name = "User", serial)]
impl UserObject {
    /// The user's id at the identity provider.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Their display name, when a token of theirs carried one.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// Their email, when a token of theirs carried one.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
}
