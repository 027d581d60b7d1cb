//! Relay cursor connections over the service's pages. Cursors are opaque: a row's key in the
//! listing's order (so a page never shifts while rows come and go), or an offset for the REST
//! shim's pages.

use std::future::Future;
use std::sync::Arc;

use async_graphql::{ErrorExtensions, Object, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::inline::Inline;
use super::types::{ItemObject, VersionObject};
use crate::domain::page::MAX_PAGE;
use crate::domain::{Key, KeyValue, Page, PageRequest, Position};
use crate::error::{AppError, AppResult};

/// How many rows a connection returns when neither `first` nor `last` is given.
const DEFAULT_PAGE: u64 = 100;

/// A page as `paginate` builds it: each row with where it stands, where the page stands, and
/// the listing's size.
pub struct Built<N> {
    pub edges: Vec<(RowKey, N)>,
    pub page_info: PageInfo,
    pub total: u64,
}

/// Where a row stands in its listing's order; made into a cursor only when a client asks for
/// one (a page of 100 does not encode 100 cursors nobody reads).
#[derive(Clone)]
pub struct RowKey {
    order: Arc<str>,
    key: Key,
}

impl RowKey {
    /// The row's opaque cursor.
    pub fn cursor(&self) -> String {
        key_cursor(&self.order, &self.key)
    }
}

/// The connection and edge types of one kind of node. Resolved one field after another
/// (`serial`): nothing in them waits, and async-graphql's concurrent resolution costs a task
/// per field.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        pub struct $connection {
            edges: Vec<$edge>,
            page_info: PageInfo,
            total_count: u64,
        }

        #[doc = concat!("A page of ", $what, ", in the order asked for, and where it stands in its listing.")]
        #[Object(serial)]
        impl $connection {
            /// The rows, each with the cursor to continue from it.
            async fn edges(&self) -> Vec<Inline<&$edge>> {
                self.edges.iter().map(Inline).collect()
            }

            /// The rows alone.
            async fn nodes(&self) -> Vec<Inline<&$node>> {
                self.edges.iter().map(|edge| Inline(&edge.node)).collect()
            }

            /// Whether rows come before and after this page, and the cursors at its ends.
            async fn page_info(&self) -> &PageInfo {
                &self.page_info
            }

            /// How many rows the whole listing has (counted only when asked for).
            async fn total_count(&self) -> u64 {
                self.total_count
            }
        }

        pub struct $edge {
            key: RowKey,
            node: $node,
        }

        #[doc = concat!("One row of a page of ", $what, ", and its cursor.")]
        #[Object(serial)]
        impl $edge {
            /// Where the listing continues after (or before) this row: pass it as `after` (or
            /// `before`). Opaque; it stays right while other rows come and go.
            async fn cursor(&self) -> String {
                self.key.cursor()
            }

            /// The row.
            async fn node(&self) -> Inline<&$node> {
                Inline(&self.node)
            }
        }

        impl From<Built<$node>> for $connection {
            fn from(built: Built<$node>) -> Self {
                Self {
                    edges: built
                        .edges
                        .into_iter()
                        .map(|(key, node)| $edge { key, node })
                        .collect(),
                    page_info: built.page_info,
                    total_count: built.total,
                }
            }
        }
    };
}

connection!(ItemConnection, ItemEdge, ItemObject, "items");
connection!(VersionConnection, VersionEdge, VersionObject, "versions");

/// Where a page stands in its listing.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows come before this page.
    pub has_previous_page: bool,
    /// The first row's cursor.
    pub start_cursor: Option<String>,
    /// The last row's cursor: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// What a cursor holds.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Cursor {
    /// A row's key in one order (`s` names it).
    Key {
        s: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        d: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        t: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        n: Option<i64>,
        i: uuid::Uuid,
    },
    /// Start at this offset (the REST shim's pages).
    Offset { o: u64 },
}

fn encode(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

/// A cursor for the row with `key` in the order named `order`.
pub fn key_cursor(order: &str, key: &Key) -> String {
    let (t, n) = match &key.value {
        KeyValue::Text(text) => (Some(text.clone()), None),
        KeyValue::Int(int) => (None, Some(*int)),
    };
    encode(&Cursor::Key {
        s: order.to_owned(),
        d: key.directory,
        t,
        n,
        i: key.id,
    })
}

/// A cursor that starts a page `offset` rows in (what the REST shim's `paginate.page` means).
pub fn offset_cursor(offset: u64) -> String {
    encode(&Cursor::Offset { o: offset })
}

/// Whether the rows of the order named `order` are keyed by text (the orders by name) rather
/// than by numbers (dates, sizes, scores).
fn keyed_by_text(order: &str) -> bool {
    order.split(':').any(|part| part == "Name")
}

/// Reads a cursor a client sent back for a listing in the order named `order`: where the page
/// starts. A cursor of another order, or one this server never gave out, is bad input.
fn position(raw: &str, argument: &str, order: &str, before: bool) -> AppResult<Position> {
    let invalid =
        || AppError::bad_input(format!("{argument} is not a cursor this listing gave out"));
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    match serde_json::from_slice::<Cursor>(&bytes).map_err(|_| invalid())? {
        Cursor::Offset { o } if !before && o < (1 << 40) => Ok(Position::Offset(o)),
        Cursor::Offset { .. } => Err(invalid()),
        Cursor::Key { s, .. } if s != order => Err(AppError::bad_input(format!(
            "{argument} is a cursor of another order than this listing's ({order})"
        ))),
        Cursor::Key { d, t, n, i, .. } => {
            // A value of the other kind would reach SQL compared with the wrong type.
            let value = match (t, n, keyed_by_text(order)) {
                (Some(text), None, true) => KeyValue::Text(text),
                (None, Some(int), false) => KeyValue::Int(int),
                _ => return Err(invalid()),
            };
            let key = Key {
                directory: d,
                value,
                id: i,
            };
            Ok(if before {
                Position::Before(key)
            } else {
                Position::After(key)
            })
        }
    }
}

/// A row count asked for: 0 to `MAX_PAGE` (more is cut to `MAX_PAGE`), never negative.
fn rows(raw: Option<i32>, argument: &str) -> AppResult<Option<u64>> {
    raw.map(|n| {
        u64::try_from(n).map(|n| n.min(MAX_PAGE)).map_err(|_| {
            AppError::bad_input(format!("{argument} must be 0 to {MAX_PAGE}, got {n}"))
        })
    })
    .transpose()
}

/// The arguments of a connection field.
pub struct Window {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
    /// Whether the listing's size is wanted (`wants_total`).
    pub count: bool,
}

impl Window {
    /// The page these arguments ask for in the order named `order`: `first` rows after
    /// `after`, or `last` rows before `before` (or at the end).
    fn request(self, order: &str) -> AppResult<PageRequest> {
        let first = rows(self.first, "first")?;
        let last = rows(self.last, "last")?;
        let mixed = (first.is_some() && self.before.is_some())
            || (last.is_some() && self.after.is_some())
            || (first.is_some() && last.is_some());
        if mixed {
            return Err(AppError::bad_input(
                "page forwards with first/after or backwards with last/before, not both",
            ));
        }
        let page = match (&self.before, last) {
            (Some(before), limit) => PageRequest::at(
                position(before, "before", order, true)?,
                limit.unwrap_or(DEFAULT_PAGE),
            ),
            (None, Some(limit)) => PageRequest::at(Position::Last, limit),
            (None, None) => {
                let start = match &self.after {
                    Some(after) => position(after, "after", order, false)?,
                    None => Position::Offset(0),
                };
                PageRequest::at(start, first.unwrap_or(DEFAULT_PAGE))
            }
        };
        Ok(if self.count { page } else { page.uncounted() })
    }
}

/// Whether a connection field's selection asks for `totalCount` (else nothing is counted).
pub fn wants_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Resolves a connection's arguments into a page of the listing in the order named `order`,
/// and the page into a connection whose cursors are the rows' keys (`key_of`).
pub async fn paginate<T, N, F, Fut>(
    window: Window,
    order: &str,
    fetch: F,
    key_of: impl Fn(&T) -> Key,
) -> async_graphql::Result<Built<N>>
where
    N: From<T>,
    F: FnOnce(PageRequest) -> Fut,
    Fut: Future<Output = AppResult<Page<T>>>,
{
    let request = window.request(order).map_err(|e| e.extend())?;
    let page = fetch(request).await.map_err(|e| e.extend())?;
    let order: Arc<str> = order.into();
    let edges: Vec<(RowKey, N)> = page
        .items
        .into_iter()
        .map(|item| {
            let key = RowKey {
                order: order.clone(),
                key: key_of(&item),
            };
            (key, N::from(item))
        })
        .collect();
    Ok(Built {
        page_info: PageInfo {
            has_next_page: page.has_next,
            has_previous_page: page.has_previous,
            start_cursor: edges.first().map(|(key, _)| key.cursor()),
            end_cursor: edges.last().map(|(key, _)| key.cursor()),
        },
        total: page.total.unwrap_or(0),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_opaque_and_belong_to_one_order() {
        let key = Key {
            directory: Some(false),
            value: KeyValue::Text("file-00000000000000000002".into()),
            id: uuid::Uuid::now_v7(),
        };
        let cursor = key_cursor("Name:Asc", &key);
        assert!(!cursor.contains("file"), "opaque: {cursor}");
        assert_eq!(
            position(&cursor, "after", "Name:Asc", false).unwrap(),
            Position::After(key.clone())
        );
        assert_eq!(
            position(&cursor, "before", "Name:Asc", true).unwrap(),
            Position::Before(key.clone())
        );
        assert!(position(&cursor, "after", "Date:Asc", false).is_err());
        assert!(position("not-a-cursor", "after", "Name:Asc", false).is_err());
        assert!(position(&offset_cursor(5), "before", "Name:Asc", true).is_err());
        // A key of the wrong kind for its order (a forged cursor) is bad input, not SQL's.
        let forged = key_cursor(
            "Date:Asc",
            &Key {
                value: KeyValue::Text("x".into()),
                ..key.clone()
            },
        );
        assert!(position(&forged, "after", "Date:Asc", false).is_err());
        assert_eq!(
            position(&offset_cursor(5), "after", "Name:Asc", false).unwrap(),
            Position::Offset(5)
        );
    }
}
