//! `search`: its filter and order inputs, and its connection, whose edges carry where the
//! words matched.

use async_graphql::{ID, InputObject, Object, SimpleObject};
use sha2::{Digest, Sha256};

use super::ItemObject;
use crate::domain::search::{
    Highlight, HighlightField, Hit, SearchFilter, SearchOrder, SearchRequest,
};
use crate::domain::{CompanyId, ItemRef, PageRequest, SortOrder};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::{Built, PageInfo, RowKey};
use crate::graphql::inline::Inline;
use crate::graphql::scalars::Timestamp;

/// The most values a list filter takes.
const MAX_FILTER_VALUES: usize = 100;

/// Which items a search keeps besides its words; every field narrows, none is no filter.
#[derive(InputObject, Default)]
pub struct SearchFilterInput {
    /// Created by one of these users.
    pub creator_ids: Option<Vec<ID>>,
    /// Files whose latest version has one of these media types (`application/pdf`).
    pub mime_types: Option<Vec<String>>,
    /// Created after this instant (exclusive).
    pub added_after: Option<Timestamp>,
    /// Created before this instant (exclusive).
    pub added_before: Option<Timestamp>,
    /// Last modified after this instant (exclusive).
    pub modified_after: Option<Timestamp>,
    /// Last modified before this instant (exclusive).
    pub modified_before: Option<Timestamp>,
    /// Only what others shared with the viewer by name (outside the viewer's own drive).
    #[graphql(default)]
    pub shared_with_me: bool,
    /// Only what is under this folder or drive (any depth, the folder itself excluded).
    pub in_folder: Option<ID>,
}

/// The order of search results.
#[derive(InputObject, Default)]
pub struct SearchSort {
    /// What to order by (default `RELEVANCE`: best match first; without words, the most
    /// recently modified first).
    #[graphql(default)]
    pub by: SearchOrder,
    /// Default: descending for `RELEVANCE`, ascending otherwise.
    pub order: Option<SortOrder>,
}

fn bounded<T>(values: Option<Vec<T>>, argument: &str) -> AppResult<Vec<T>> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_FILTER_VALUES {
        return Err(AppError::bad_input(format!(
            "filter.{argument} takes at most {MAX_FILTER_VALUES} values"
        )));
    }
    Ok(values)
}

impl SearchFilterInput {
    fn into_filter(self, company: CompanyId) -> AppResult<SearchFilter> {
        Ok(SearchFilter {
            creators: bounded(self.creator_ids, "creatorIds")?
                .into_iter()
                .map(|id| id.0)
                .collect(),
            mime_types: bounded(self.mime_types, "mimeTypes")?,
            added_after: self.added_after.map(|t| t.0),
            added_before: self.added_before.map(|t| t.0),
            modified_after: self.modified_after.map(|t| t.0),
            modified_before: self.modified_before.map(|t| t.0),
            shared_with_me: self.shared_with_me,
            in_folder: self
                .in_folder
                .map(|id| ItemRef::parse_in(&id, company))
                .transpose()?,
        })
    }
}

/// A search's arguments as the service takes them, and the name of its order (its cursors
/// belong to that order and, for relevance, to those words).
pub fn request(
    company: CompanyId,
    query: Option<String>,
    filter: Option<SearchFilterInput>,
    sort: Option<SearchSort>,
) -> AppResult<(SearchRequest, String)> {
    let sort = sort.unwrap_or_default();
    let descending = match sort.order {
        Some(order) => order == SortOrder::Desc,
        None => sort.by == SearchOrder::Relevance,
    };
    let words = query.unwrap_or_default();
    if words.len() > 1000 {
        return Err(AppError::bad_input("query is longer than 1000 bytes"));
    }
    let mut order = format!("SEARCH:{:?}:{descending}", sort.by);
    if sort.by == SearchOrder::Relevance {
        let digest = Sha256::digest(crate::service::search::words::fold(&words).as_bytes());
        order.push(':');
        order.push_str(&hex::encode(&digest[..6]));
    }
    let request = SearchRequest {
        words,
        filter: filter.unwrap_or_default().into_filter(company)?,
        order: sort.by,
        descending,
        page: PageRequest::new(0, 0),
    };
    Ok((request, order))
}

/// A matched word's place in a highlight's text.
#[derive(SimpleObject, Clone)]
pub struct MatchRange {
    /// Its first character (counted in Unicode scalar values from 0).
    pub start: u32,
    /// The character after its last.
    pub end: u32,
}

/// Where a search's words matched in one result.
#[derive(SimpleObject, Clone)]
pub struct HighlightObject {
    /// The field shown: the first of name, description, tags and content that matched.
    pub field: HighlightField,
    /// That field's text; for content, the words around the first match (folded: lowercase,
    /// without accents).
    pub text: String,
    /// The matched words in `text`.
    pub ranges: Vec<MatchRange>,
}

impl From<Highlight> for HighlightObject {
    fn from(highlight: Highlight) -> Self {
        Self {
            field: highlight.field,
            ranges: highlight
                .ranges
                .iter()
                .map(|range| MatchRange {
                    start: range.start as u32,
                    end: range.end as u32,
                })
                .collect(),
            text: highlight.text,
        }
    }
}

/// One search result as an edge carries it.
#[derive(Clone)]
pub struct SearchHit {
    node: ItemObject,
    highlight: Option<HighlightObject>,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> Self {
        Self {
            node: ItemObject(hit.item),
            highlight: hit.highlight.map(HighlightObject::from),
        }
    }
}

pub struct SearchConnection {
    edges: Vec<SearchEdge>,
    page_info: PageInfo,
    total_count: u64,
}

/// A page of search results, best first (or in the order asked for).
#[Object(serial)]
impl SearchConnection {
    /// The results, each with its cursor and highlight.
    async fn edges(&self) -> Vec<Inline<&SearchEdge>> {
        self.edges.iter().map(Inline).collect()
    }

    /// The items alone.
    async fn nodes(&self) -> Vec<Inline<&ItemObject>> {
        self.edges.iter().map(|edge| Inline(&edge.node)).collect()
    }

    /// Whether results come before and after this page, and the cursors at its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many results the whole search has (counted only when asked for).
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

pub struct SearchEdge {
    key: RowKey,
    node: ItemObject,
    highlight: Option<HighlightObject>,
}

/// One search result, its cursor, and where the words matched.
#[Object(serial)]
impl SearchEdge {
    /// Where the results continue after (or before) this one. Opaque.
    async fn cursor(&self) -> String {
        self.key.cursor()
    }

    /// The item.
    async fn node(&self) -> Inline<&ItemObject> {
        Inline(&self.node)
    }

    /// Where the words matched (name, description, tags or content); null without words.
    async fn highlight(&self) -> Option<&HighlightObject> {
        self.highlight.as_ref()
    }
}

impl From<Built<SearchHit>> for SearchConnection {
    fn from(built: Built<SearchHit>) -> Self {
        Self {
            edges: built
                .edges
                .into_iter()
                .map(|(key, hit)| SearchEdge {
                    key,
                    node: hit.node,
                    highlight: hit.highlight,
                })
                .collect(),
            page_info: built.page_info,
            total_count: built.total,
        }
    }
}
