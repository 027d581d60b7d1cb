//! The fixed GraphQL operations the shim runs, one per route, parsed once at start-up. The
//! `.graphql` files double as client fixtures.

use async_graphql::parser::{parse_query, types::ExecutableDocument};

const DRIVE_ITEM: &str = include_str!("operations/drive_item.fragment.graphql");
const DRIVE_VERSION: &str = include_str!("operations/drive_version.fragment.graphql");

/// Every operation of the shim, parsed.
#[derive(Clone)]
pub struct Operations {
    pub get_item: ExecutableDocument,
    pub browse: ExecutableDocument,
    pub item_state: ExecutableDocument,
    pub create_item: ExecutableDocument,
    pub update_item: ExecutableDocument,
    pub trash_item: ExecutableDocument,
    pub delete_item: ExecutableDocument,
    pub restore_item: ExecutableDocument,
    pub create_version: ExecutableDocument,
    pub get_tab: ExecutableDocument,
    pub set_tab: ExecutableDocument,
    pub open_public_link: ExecutableDocument,
    pub user_access: ExecutableDocument,
    pub download_token: ExecutableDocument,
}

/// Parses an operation with the fragments it uses.
fn parse(source: &str) -> ExecutableDocument {
    let mut text = source.to_owned();
    if source.contains("...DriveItem") {
        text.push_str(DRIVE_ITEM);
    }
    if source.contains("...DriveVersion") || source.contains("...DriveItem") {
        text.push_str(DRIVE_VERSION);
    }
    // The operations are compiled in and covered by every REST test: failing here is a bug
    // found at start-up, never on a request.
    parse_query(text).unwrap_or_else(|err| panic!("a fixed REST operation does not parse: {err}"))
}

impl Operations {
    pub fn parse_all() -> Self {
        Self {
            get_item: parse(include_str!("operations/get_item.graphql")),
            browse: parse(include_str!("operations/browse.graphql")),
            item_state: parse(include_str!("operations/item_state.graphql")),
            create_item: parse(include_str!("operations/create_item.graphql")),
            update_item: parse(include_str!("operations/update_item.graphql")),
            trash_item: parse(include_str!("operations/trash_item.graphql")),
            delete_item: parse(include_str!("operations/delete_item.graphql")),
            restore_item: parse(include_str!("operations/restore_item.graphql")),
            create_version: parse(include_str!("operations/create_version.graphql")),
            get_tab: parse(include_str!("operations/get_tab.graphql")),
            set_tab: parse(include_str!("operations/set_tab.graphql")),
            open_public_link: parse(include_str!("operations/open_public_link.graphql")),
            user_access: parse(include_str!("operations/user_access.graphql")),
            download_token: parse(include_str!("operations/download_token.graphql")),
        }
    }
}
