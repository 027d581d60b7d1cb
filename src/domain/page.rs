//! Listing order and pages, shared by GraphQL connections and REST `browse`: a page starts at
//! an offset (REST's pages) or after or before a row's key (GraphQL's cursors, which stay right
//! while rows come and go).

use async_graphql::Enum;
use uuid::Uuid;

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

/// What a listing reads of each row: whole rows (`Detail::FULL`, what any GraphQL selection
/// may ask for), or what the fields a selection asks need
/// (`graphql/listing.rs`): every row's key (its ids, place, kind, name, size, dates, the
/// inputs of the viewer's level, its revision) and the parts named. What is not read reads as
/// empty.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Detail(u8);

impl Detail {
    /// Each row's key alone.
    pub const KEY: Self = Self(0);
    /// The public link (its token, level, password, expiration).
    pub const PUBLIC_LINK: Self = Self(1);
    /// The creator's name and email.
    pub const CREATOR: Self = Self(1 << 1);
    /// The latest version's media type and size.
    pub const VERSION_CONTENT: Self = Self(1 << 2);
    /// The rest of the latest version but its content keywords.
    pub const VERSION: Self = Self(1 << 3);
    /// The item's extension, description, tags and creation date.
    pub const DETAILS: Self = Self(1 << 4);
    /// The latest version's content keywords.
    pub const KEYWORDS: Self = Self(1 << 5);
    /// Whole rows: also the path and sort name, the version's search bookkeeping, and when
    /// the creator was last seen.
    pub const FULL: Self = Self(u8::MAX);

    /// Both parts.
    pub fn with(self, part: Self) -> Self {
        Self(self.0 | part.0)
    }

    /// Whether rows of this detail read `part`.
    pub fn reads(self, part: Self) -> bool {
        self.0 & part.0 == part.0
    }

    /// How many parts there are: each is one of the bits below `PARTS`.
    const PARTS: u32 = 6;

    /// How many details `index` tells apart: each combination of parts, and whole rows.
    pub const COUNT: usize = (1 << Self::PARTS) + 1;

    /// A small number per detail, below `COUNT`, for a table of them.
    pub fn index(self) -> usize {
        match self {
            Self::FULL => Self::COUNT - 1,
            Self(bits) => usize::from(bits),
        }
    }
}

// Every part is a bit below `PARTS`, so that every combination of them has an `index`.
const _: () = {
    let parts = [
        Detail::PUBLIC_LINK,
        Detail::CREATOR,
        Detail::VERSION_CONTENT,
        Detail::VERSION,
        Detail::DETAILS,
        Detail::KEYWORDS,
    ];
    let mut at = 0;
    while at < parts.len() {
        assert!(parts[at].0 < 1 << Detail::PARTS);
        at += 1;
    }
};

/// The largest page any listing returns.
pub const MAX_PAGE: u64 = 1000;

/// The value a row is sorted by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyValue {
    Text(String),
    Int(i64),
}

/// A row's place in its listing's order: folders first (for items), then the sort value, then
/// the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Whether the row is a folder (item listings only).
    pub directory: Option<bool>,
    pub value: KeyValue,
    pub id: Uuid,
}

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// After skipping this many rows.
    Offset(u64),
    /// Right after the row with this key.
    After(Key),
    /// The rows right before the row with this key.
    Before(Key),
    /// The last rows of the listing.
    Last,
}

/// A window of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub position: Position,
    pub limit: u64,
    /// Whether the size of the whole listing is wanted (one `COUNT`).
    pub count: bool,
}

impl PageRequest {
    /// `limit` rows from `offset` (at most `MAX_PAGE`), counting the listing.
    pub fn new(offset: u64, limit: u64) -> Self {
        Self::at(Position::Offset(offset), limit)
    }

    /// `limit` rows from `position` (at most `MAX_PAGE`), counting the listing.
    pub fn at(position: Position, limit: u64) -> Self {
        Self {
            position,
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

    /// Whether the rows are read from the end of the listing backwards.
    pub fn backwards(&self) -> bool {
        matches!(self.position, Position::Before(_) | Position::Last)
    }

    /// How many rows to read: one more than the page, to know whether more follow.
    pub fn rows_to_read(&self) -> u64 {
        self.limit + 1
    }
}

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The listing's size, when it was counted.
    pub total: Option<u64>,
    /// Whether rows follow this page.
    pub has_next: bool,
    /// Whether rows come before this page.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// A page from `rows_to_read()` rows read in the listing's order (backwards for a
    /// backwards page), and the listing's size when counted.
    pub fn read(mut rows: Vec<T>, page: &PageRequest, total: Option<u64>) -> Self {
        let more = rows.len() as u64 > page.limit;
        rows.truncate(page.limit as usize);
        let (has_next, has_previous) = match &page.position {
            Position::Offset(offset) => (more, *offset > 0),
            Position::After(_) => (more, true),
            Position::Before(_) => (true, more),
            Position::Last => (false, more),
        };
        if page.backwards() {
            rows.reverse();
        }
        Self {
            items: rows,
            total,
            has_next,
            has_previous,
        }
    }

    /// An empty page (a file's children, a folder's versions).
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            total: Some(0),
            has_next: false,
            has_previous: false,
        }
    }
}
