//! What a search asks for (words, filters, order, page) and what each hit carries.

use async_graphql::Enum;

use super::{Item, ItemRef, PageRequest};

/// Where reading a version's content for search stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum SearchStatus {
    /// Waiting for a worker: the file is found by its name, description and tags until then.
    Pending,
    /// Its text is searchable.
    Done,
    /// Not read for text: not a format text is read from, or over the size bound.
    Skipped,
    /// Its content could not be read for text (broken, or too slow to read).
    Failed,
}

impl SearchStatus {
    /// The status a version row stores (`running` is still pending to clients).
    pub fn parse(stored: &str) -> Self {
        match stored {
            "done" => Self::Done,
            "skipped" => Self::Skipped,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// What search results are ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum SearchOrder {
    /// Best match first (names, descriptions and tags weigh more than content); without
    /// words, the most recently modified first.
    #[default]
    Relevance,
    /// Natural order of names, case-insensitive.
    Name,
    /// When the item was created.
    Added,
    /// When the item was last modified.
    LastModified,
    /// Size in bytes.
    Size,
}

/// Which items a search keeps, besides its words. Every field narrows; none is no filter.
#[derive(Clone, Debug, Default)]
pub struct SearchFilter {
    /// Created by one of these users.
    pub creators: Vec<String>,
    /// Files whose latest version has one of these media types.
    pub mime_types: Vec<String>,
    /// Created after / before these instants (milliseconds, exclusive).
    pub added_after: Option<i64>,
    pub added_before: Option<i64>,
    /// Last modified after / before these instants (milliseconds, exclusive).
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    /// Only what others shared with the viewer (their `user` entry, outside their own drive).
    pub shared_with_me: bool,
    /// Only this folder's subtree (the folder excluded); a drive is its whole drive.
    pub in_folder: Option<ItemRef>,
}

/// A search: words (each a word prefix, all required), filters, order and page.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub words: String,
    pub filter: SearchFilter,
    pub order: SearchOrder,
    pub descending: bool,
    pub page: PageRequest,
}

/// Which of an item's fields a highlight shows.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum HighlightField {
    /// The item's name.
    Name,
    /// Its description.
    Description,
    /// Its tags, joined by spaces.
    Tags,
    /// The text extracted from the file's content (folded: lowercase, without accents).
    Content,
}

/// Where a search's words matched in one hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub field: HighlightField,
    /// The field's text, or for content the words around the first match.
    pub text: String,
    /// The matched words in `text`, as character offsets (start inclusive, end exclusive).
    pub ranges: Vec<std::ops::Range<usize>>,
}

impl Highlight {
    /// A highlight of `text` where `found` holds the matched words' byte ranges.
    pub fn new(field: HighlightField, text: &str, found: &[std::ops::Range<usize>]) -> Self {
        let chars = |at: usize| text[..at].chars().count();
        Self {
            field,
            text: text.to_owned(),
            ranges: found
                .iter()
                .map(|range| chars(range.start)..chars(range.end))
                .collect(),
        }
    }

    /// The text with each match in brackets, for reading in tests and logs.
    pub fn marked(&self) -> String {
        let mut out = String::new();
        for (at, c) in self.text.chars().enumerate() {
            if self.ranges.iter().any(|range| range.end == at) {
                out.push(']');
            }
            if self.ranges.iter().any(|range| range.start == at) {
                out.push('[');
            }
            out.push(c);
        }
        if self
            .ranges
            .iter()
            .any(|range| range.end == self.text.chars().count())
        {
            out.push(']');
        }
        out
    }
}

/// One search result: the item as the viewer sees it, and where the words matched.
#[derive(Clone, Debug)]
pub struct Hit {
    pub item: Item,
    pub highlight: Option<Highlight>,
    /// The hit's place in the search's order.
    pub key: super::Key,
}
