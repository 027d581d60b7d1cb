//! The Relay `Node` interface: anything refetchable by its id alone.

use async_graphql::{ID, Interface};

use super::{ItemObject, VersionObject};

/// An object that can be fetched again by its id with `node`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's id."))]
// A node lives as long as its resolution, and a version is only a pointer to a shared one.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    Item(ItemObject),
    Version(VersionObject),
}
