//! GraphQL object types: thin wrappers over the domain types.

mod access;
mod change;
mod item;
mod node;
pub mod search;
mod tab;
mod user;
mod version;

pub use access::{AccessEntityInput, AccessExplanation, AccessInfoObject};
pub use change::{ChangeConnection, ChangeObject, decode_cursor};
pub use item::ItemObject;
pub use node::Node;
pub use tab::TabObject;
pub use user::UserObject;
pub use version::VersionObject;
