//! Listing order and offset pages, shared by GraphQL connections and REST `browse`.

use async_graphql::Enum;

/// What children are ordered by (folders always come first).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum SortBy {
    /// Natural order of names (`file2` before `file10`), case-insensitive.
    #[default]
    Name,
    /// Last modification time.
    Date,
    /// Size in bytes.
    Size,
}

/// Ascending or descending.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum SortOrder {
    /// Smallest first (A to Z, oldest, smallest).
    #[default]
    Asc,
    /// Largest first (Z to A, newest, largest).
    Desc,
}

/// A listing's order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Sorting {
    pub by: SortBy,
    pub order: SortOrder,
}

/// The largest page any listing returns.
pub const MAX_PAGE: u64 = 1000;

/// A window of a listing: skip `offset` rows, return at most `limit`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

impl PageRequest {
    pub fn new(offset: u64, limit: u64) -> Self {
        Self {
            offset,
            limit: limit.min(MAX_PAGE),
        }
    }
}

/// One page of a listing and the size of the whole listing.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u64,
}

impl<T> Page<T> {
    /// Whether rows remain after this page.
    pub fn has_next(&self) -> bool {
        self.offset + (self.items.len() as u64) < self.total
    }

    /// Cuts a fully loaded, already ordered listing into the requested page.
    pub fn slice(all: Vec<T>, page: PageRequest) -> Self {
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .collect();
        Self {
            items,
            total,
            offset: page.offset,
        }
    }
}
