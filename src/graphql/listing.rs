//! What a `children` selection needs of each row (`Detail`): the parts of a row the fields it
//! asks of the nodes read, or whole rows when it asks for any field not named here.

use async_graphql::{Context, SelectionField};

use crate::domain::Detail;

/// The part of a row each `Item` field reads; every row's key serves those that read
/// `Detail::KEY`. None of these reads the columns only whole rows carry, nor hands the row
/// on as the parent or path of other items (`children` and `path` do, and read whole rows).
const ITEM: &[(&str, Detail)] = &[
    ("__typename", Detail::KEY),
    ("id", Detail::KEY),
    ("revision", Detail::KEY),
    ("companyId", Detail::KEY),
    ("parentId", Detail::KEY),
    ("name", Detail::KEY),
    ("isDirectory", Detail::KEY),
    ("isInTrash", Detail::KEY),
    ("inTrash", Detail::KEY),
    ("scope", Detail::KEY),
    ("lastModified", Detail::KEY),
    ("size", Detail::KEY),
    ("viewerLevel", Detail::KEY),
    ("downloadUrl", Detail::KEY),
    // The entity tag covers what the answer shows of the creator.
    ("etag", Detail::CREATOR),
    ("searchStatus", Detail::VERSION),
    ("accessInfo", Detail::PUBLIC_LINK),
    ("extension", Detail::DETAILS),
    ("description", Detail::DETAILS),
    ("tags", Detail::DETAILS),
    ("added", Detail::DETAILS),
];

/// What each field of an item's `latestVersion` reads.
const VERSION: &[(&str, Detail)] = &[
    ("__typename", Detail::KEY),
    ("id", Detail::KEY),
    ("mime", Detail::VERSION_CONTENT),
    ("size", Detail::VERSION_CONTENT),
    ("itemId", Detail::VERSION),
    ("provider", Detail::VERSION),
    ("fileName", Detail::VERSION),
    ("sha256", Detail::VERSION),
    ("externalId", Detail::VERSION),
    ("creatorId", Detail::VERSION),
    ("applicationId", Detail::VERSION),
    ("downloadUrl", Detail::VERSION),
    ("searchStatus", Detail::VERSION),
    ("dateAdded", Detail::VERSION),
    ("contentKeywords", Detail::KEYWORDS),
];

/// What each field of an item's `creator` reads.
const USER: &[(&str, Detail)] = &[
    ("__typename", Detail::KEY),
    ("id", Detail::KEY),
    ("name", Detail::CREATOR),
    ("email", Detail::CREATOR),
];

/// What the connection `ctx` resolves needs of each row, for its `edges { node }` and `nodes`
/// selections, through fragments.
pub fn children_detail(ctx: &Context<'_>) -> Detail {
    let connection = ctx.look_ahead();
    let mut nodes = connection.field("edges").field("node").selection_fields();
    nodes.extend(connection.field("nodes").selection_fields());
    nodes
        .iter()
        .flat_map(|node| node.selection_set())
        .map(|field| match field.name() {
            "creator" => parts(field, USER),
            "latestVersion" => parts(field, VERSION),
            name => part(ITEM, name),
        })
        .fold(Detail::KEY, Detail::with)
}

/// What the fields `field` selects read.
fn parts(field: SelectionField<'_>, fields: &[(&str, Detail)]) -> Detail {
    field
        .selection_set()
        .map(|field| part(fields, field.name()))
        .fold(Detail::KEY, Detail::with)
}

/// What `name` reads: its part, or whole rows for a field not named.
fn part(fields: &[(&str, Detail)], name: &str) -> Detail {
    fields
        .iter()
        .find(|(field, _)| *field == name)
        .map_or(Detail::FULL, |(_, part)| *part)
}
