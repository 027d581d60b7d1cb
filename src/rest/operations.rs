//! The fixed GraphQL operations the shim runs, one per route, parsed once at start-up and
//! validated in full until a run of each passes. The `.graphql` files double as client
//! fixtures.

use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::parser::{parse_query, types::ExecutableDocument};

use crate::config::Limits;
use crate::graphql::{self, QuireSchema};

const DRIVE_ITEM: &str = include_str!("operations/drive_item.fragment.graphql");
const DRIVE_VERSION: &str = include_str!("operations/drive_version.fragment.graphql");

/// One fixed operation: its document, and whether a run of it passed the schema's whole
/// validation in this process (what the validation checks of a fixed document does not change
/// from one request to the next; what depends on the request is checked on every run).
pub struct Fixed {
    pub document: ExecutableDocument,
    validated: AtomicBool,
}

impl Fixed {
    /// Whether a run of it passed the whole validation.
    pub fn validated(&self) -> bool {
        self.validated.load(Ordering::Relaxed)
    }

    /// Remembers that a run passed (a run without errors passed the validation, too). Written
    /// once: every request storing to the shared flag would bounce its cache line between
    /// cores.
    pub fn passed(&self) {
        if !self.validated() {
            self.validated.store(true, Ordering::Relaxed);
        }
    }
}

/// Every operation of the shim, parsed, and the schema they run on once validated.
pub struct Operations {
    pub get_item: Fixed,
    pub browse: Fixed,
    pub item_state: Fixed,
    pub create_item: Fixed,
    pub update_item: Fixed,
    pub trash_item: Fixed,
    pub delete_item: Fixed,
    pub restore_item: Fixed,
    pub create_version: Fixed,
    pub get_tab: Fixed,
    pub set_tab: Fixed,
    pub open_public_link: Fixed,
    pub user_access: Fixed,
    pub download_token: Fixed,
    pub search: Fixed,
    prevalidated: QuireSchema,
}

/// Every operation's source, in the order `Operations::new` names them.
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
fn parse(source: &str) -> Fixed {
    // The operations are compiled in and covered by every REST test: failing here is a bug
    // found at start-up, never on a request.
    let document = parse_query(with_fragments(source))
        .unwrap_or_else(|err| panic!("a fixed REST operation does not parse: {err}"));
    Fixed {
        document,
        validated: AtomicBool::new(false),
    }
}

impl Operations {
    pub fn new(limits: &Limits) -> Self {
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
            prevalidated: graphql::build_prevalidated_schema(limits),
        }
    }

    /// The schema a validated operation runs on: the schema's twin, built from the same
    /// limits, that checks only what depends on a request (`graphql::build_prevalidated_schema`).
    pub fn prevalidated(&self) -> &QuireSchema {
        &self.prevalidated
    }

    /// Every operation's whole text, as a trusted-documents manifest lists it.
    pub fn texts() -> Vec<String> {
        SOURCES
            .iter()
            .map(|source| with_fragments(source))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_is_validated_in_full_until_a_run_of_it_passes() {
        let operations = Operations::new(&Limits::default());
        assert!(!operations.get_item.validated());
        operations.get_item.passed();
        assert!(operations.get_item.validated());
        assert!(!operations.browse.validated(), "each on its own");
    }
}
