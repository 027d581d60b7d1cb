//! How much of each child row a `children` selection needs: `Detail::Listing` when every
//! field it asks of the nodes is one such rows answer as whole rows would, else `Detail::Full`.

use async_graphql::{Context, SelectionField};

use crate::domain::Detail;

/// The `Item` fields a listing row answers: none reads the columns a listing leaves out
/// (`service::rows`' `ITEM_UNLISTED`), nor hands the row on as the parent or path of other
/// items (`children`, `path`, which read those columns of it again). `creator` and
/// `latestVersion` are listed when what they select is.
const ITEM: &[&str] = &[
    "__typename",
    "id",
    "revision",
    "etag",
    "companyId",
    "parentId",
    "name",
    "isDirectory",
    "isInTrash",
    "inTrash",
    "scope",
    "lastModified",
    "size",
    "viewerLevel",
    "searchStatus",
    "downloadUrl",
    "accessInfo",
];

/// The `Version` fields a listing row answers: all but `contentKeywords`.
const VERSION: &[&str] = &[
    "__typename",
    "id",
    "itemId",
    "provider",
    "fileName",
    "mime",
    "size",
    "sha256",
    "externalId",
    "creatorId",
    "applicationId",
    "downloadUrl",
    "searchStatus",
    "dateAdded",
];

/// The `User` fields a listing row answers (the creator's last sighting is not one).
const USER: &[&str] = &["__typename", "id", "name", "email"];

/// What the connection `ctx` resolves needs of each row: its `edges { node }` and `nodes`
/// selections, through fragments (a field under `@skip` counts as asked).
pub fn children_detail(ctx: &Context<'_>) -> Detail {
    let connection = ctx.look_ahead();
    let mut nodes = connection.field("edges").field("node").selection_fields();
    nodes.extend(connection.field("nodes").selection_fields());
    let listed = nodes.iter().all(|node| {
        node.selection_set().all(|field| match field.name() {
            "creator" => only(field, USER),
            "latestVersion" => only(field, VERSION),
            name => ITEM.contains(&name),
        })
    });
    if listed {
        Detail::Listing
    } else {
        Detail::Full
    }
}

/// Whether `field` selects only fields among `listed`.
fn only(field: SelectionField<'_>, listed: &[&str]) -> bool {
    field
        .selection_set()
        .all(|field| listed.contains(&field.name()))
}
