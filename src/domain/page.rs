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
    /// Whether the size of the whole listing is wanted (one `COUNT`); without it a listing
    /// reads one row more, only to know whether rows remain.
    pub count: bool,
}

impl PageRequest {
    pub fn new(offset: u64, limit: u64) -> Self {
        Self {
            offset,
            limit: limit.min(MAX_PAGE),
            count: true,
        }
    }

    /// The same window, without the listing's size.
    pub fn uncounted(self) -> Self {
        Self {
            count: false,
            ..self
        }
    }

    /// How many rows to read: one more than the page when the size is not counted.
    pub fn rows_to_read(&self) -> u64 {
        self.limit + u64::from(!self.count)
    }
}

/// One page of a listing and the size of the whole listing.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The listing's size; for an uncounted request, only a lower bound (the rows up to this
    /// page's end, plus one when more remain).
    pub total: u64,
    pub offset: u64,
}

impl<T> Page<T> {
    /// A page from `rows_to_read()` rows and, when it was counted, the listing's size.
    pub fn read(mut rows: Vec<T>, page: PageRequest, counted: Option<u64>) -> Self {
        let more = rows.len() as u64 > page.limit;
        rows.truncate(page.limit as usize);
        let total = counted.unwrap_or(page.offset + rows.len() as u64 + u64::from(more));
        Self {
            items: rows,
            total,
            offset: page.offset,
        }
    }

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
