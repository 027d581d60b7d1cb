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
    pub search: ExecutableDocument,
}

/// Every operation's source, in the order `parse_all` names them.
const SOURCES: [&str; 15] = [
    include_str!("operations/get_item.graphql"),
    include_str!("operations/browse.graphql"),
    include_str!("operations/item_state.graphql"),
    include_str!("operations/create_item.graphql"),
    include_str!("operations/update_item.graphql"),
    include_str!("operations/trash_item.graphql"),
    include_str!("operations/delete_item.graphql"),
    include_str!("operations/restore_item.graphql"),
    include_str!("operations/create_version.graphql"),
    include_str!("operations/get_tab.graphql"),
    include_str!("operations/set_tab.graphql"),
    include_str!("operations/open_public_link.graphql"),
    include_str!("operations/user_access.graphql"),
    include_str!("operations/download_token.graphql"),
    include_str!("operations/search.graphql"),
];

/// An operation's whole text: it and the fragments it uses.
fn with_fragments(source: &str) -> String {
    let mut text = source.to_owned();
    if source.contains("...DriveItem") {
        text.push_str(DRIVE_ITEM);
    }
    if source.contains("...DriveVersion") || source.contains("...DriveItem") {
        text.push_str(DRIVE_VERSION);
    }
    text
}

/// Parses an operation with the fragments it uses.
fn parse(source: &str) -> ExecutableDocument {
    // The operations are compiled in and covered by every REST test: failing here is a bug
    // found at start-up, never on a request.
    parse_query(with_fragments(source))
        .unwrap_or_else(|err| panic!("a fixed REST operation does not parse: {err}"))
}

impl Operations {
    pub fn parse_all() -> Self {
        let [
            get_item,
            browse,
            item_state,
            create_item,
            update_item,
            trash_item,
            delete_item,
            restore_item,
            create_version,
            get_tab,
            set_tab,
            open_public_link,
            user_access,
            download_token,
            search,
        ] = SOURCES.map(parse);
        Self {
            get_item,
            browse,
            item_state,
            create_item,
            update_item,
            trash_item,
            delete_item,
            restore_item,
            create_version,
            get_tab,
            set_tab,
            open_public_link,
            user_access,
            download_token,
            search,
        }
    }

    /// Every operation's whole text, as a trusted-documents manifest lists it.
    pub fn texts() -> Vec<String> {
        SOURCES
            .iter()
            .map(|source| with_fragments(source))
            .collect()
    }
}
