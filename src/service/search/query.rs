//! One search as one statement: the items of a company that match the words (the engine's
//! index, joined), the filters and the viewer's scope (`scope::readable`), in the order asked
//! for and from where the page starts (keyset). Then the page's rows are scoped as every
//! answer is, and each hit is given its highlight.

use std::collections::HashMap;

use entity::{grant, item, search_document};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryResult, QuerySelect, Select,
};
use uuid::Uuid;

use super::super::rows::{self, Row};
use super::super::{access, convert, items, keyset, subtree};
use super::{scope, words};
use crate::auth::Viewer;
use crate::domain::search::{Hit, SearchFilter, SearchOrder, SearchRequest};
use crate::domain::{CompanyId, ItemRef, Key, KeyValue, Level, Page, names};
use crate::error::{AppError, AppResult};

/// The subquery of index hits, and the columns it gives.
const HITS: &str = "hits";
const HIT_ITEM: &str = "hit_item";
const HIT_SCORE: &str = "hit_score";

/// How a score is kept in a cursor: an integer (the engine's rank, scaled).
const SCORE_SCALE: &str = "1000000";

/// The index rows of `company` matching every one of `asked` as a word prefix, each with its
/// score (higher is better).
fn hits(backend: DatabaseBackend, company: CompanyId, asked: &[String]) -> SelectStatement {
    let mut hits = Query::select();
    hits.expr_as(
        Expr::col((search_document::Entity, search_document::Column::ItemId)),
        Alias::new(HIT_ITEM),
    )
    .and_where(search_document::Column::CompanyId.eq(company.0));
    match backend {
        DatabaseBackend::Sqlite => {
            let matching = asked
                .iter()
                .map(|word| match word.chars().count() {
                    // One character is a word, not a prefix: every word starts with some letter.
                    1 => format!("\"{word}\""),
                    _ => format!("\"{word}\"*"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            hits.expr_as(
                Expr::cust(format!(
                    "CAST(-bm25(search_words, 4.0, 1.0) * {SCORE_SCALE} AS INTEGER)"
                )),
                Alias::new(HIT_SCORE),
            )
            .from(Alias::new("search_words"))
            .inner_join(
                search_document::Entity,
                Expr::cust("search_documents.doc_id = search_words.rowid"),
            )
            .and_where(Expr::cust_with_values(
                format!("search_words MATCH {}", scope::one_value(backend)),
                [matching],
            ));
        }
        _ => {
            let matching = asked
                .iter()
                .map(|word| match word.chars().count() {
                    1 => word.clone(),
                    _ => format!("{word}:*"),
                })
                .collect::<Vec<_>>()
                .join(" & ");
            hits.expr_as(
                Expr::cust_with_values(
                    format!(
                        "CAST(ts_rank(words, to_tsquery('simple', $1)) * {SCORE_SCALE} AS BIGINT)"
                    ),
                    [matching.clone()],
                ),
                Alias::new(HIT_SCORE),
            )
            .from(search_document::Entity)
            .and_where(Expr::cust_with_values(
                "words @@ to_tsquery('simple', $1)",
                [matching],
            ));
        }
    }
    hits
}

/// The value a search's rows are ordered by.
fn order_value(order: SearchOrder, scored: bool) -> SimpleExpr {
    match order {
        SearchOrder::Relevance if scored => Expr::col((Alias::new(HITS), Alias::new(HIT_SCORE))),
        SearchOrder::Relevance | SearchOrder::LastModified => {
            item::Column::LastModified.into_expr()
        }
        SearchOrder::Name => item::Column::SortName.into_expr(),
        SearchOrder::Added => item::Column::Added.into_expr(),
        SearchOrder::Size => item::Column::Size.into_expr(),
    }
}

/// A hit as the page's statement reads it: what places it in the order, and its score when
/// words were asked for. The page's rows are read next, by id: a statement over the page
/// alone is planned well, where joining the versions and users to the whole search let
/// PostgreSQL, misled by the scope's per-row estimates, scan the versions for each row.
struct Placed {
    id: Uuid,
    name: String,
    added: i64,
    last_modified: i64,
    size: i64,
    score: Option<i64>,
}

impl FromQueryResult for Placed {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            id: res.try_get(pre, "id")?,
            name: res.try_get(pre, "name")?,
            added: res.try_get(pre, "added")?,
            last_modified: res.try_get(pre, "last_modified")?,
            size: res.try_get(pre, "size")?,
            score: res.try_get(pre, HIT_SCORE).ok(),
        })
    }
}

/// The hit's place in the search's order.
fn key_of(row: &Placed, order: SearchOrder) -> Key {
    let value = match (order, row.score) {
        (SearchOrder::Relevance, Some(score)) => KeyValue::Int(score),
        (SearchOrder::Relevance | SearchOrder::LastModified, _) => KeyValue::Int(row.last_modified),
        (SearchOrder::Name, _) => KeyValue::Text(names::sort_key(&row.name)),
        (SearchOrder::Added, _) => KeyValue::Int(row.added),
        (SearchOrder::Size, _) => KeyValue::Int(row.size),
    };
    Key {
        directory: None,
        value,
        id: row.id,
    }
}

/// Narrows `select` to what `filter` keeps; `None` when it keeps nothing.
async fn filtered<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    mut select: Select<item::Entity>,
    filter: &SearchFilter,
) -> AppResult<Option<Select<item::Entity>>> {
    if !filter.creators.is_empty() {
        select = select.filter(item::Column::Creator.is_in(filter.creators.iter().cloned()));
    }
    if !filter.mime_types.is_empty() {
        let mime = Expr::cust(
            "(SELECT latest.mime FROM versions AS latest WHERE latest.id = items.last_version_id)",
        );
        select = select.filter(mime.is_in(filter.mime_types.iter().cloned()));
    }
    let bounds = [
        (item::Column::Added, filter.added_after, filter.added_before),
        (
            item::Column::LastModified,
            filter.modified_after,
            filter.modified_before,
        ),
    ];
    for (column, after, before) in bounds {
        if let Some(after) = after {
            select = select.filter(column.gt(after));
        }
        if let Some(before) = before {
            select = select.filter(column.lt(before));
        }
    }
    if filter.shared_with_me {
        if !viewer.user_entries_apply() {
            return Ok(None);
        }
        let shared = Query::select()
            .column(grant::Column::ItemId)
            .from(grant::Entity)
            .and_where(grant::Column::CompanyId.eq(company.0))
            .and_where(grant::Column::Kind.eq("user"))
            .and_where(grant::Column::Subject.eq(viewer.user_id.as_str()))
            .and_where(grant::Column::Level.ne(Level::None.as_str()))
            .to_owned();
        select = select
            .filter(item::Column::Id.in_subquery(shared))
            .filter(item::Column::Drive.ne(convert::user_drive(&viewer.user_id)));
    }
    match &filter.in_folder {
        None => {}
        Some(ItemRef::Item(id)) => {
            let (folder, row) = access::readable_item(db, viewer, company, id.0).await?;
            if !folder.is_directory {
                return Err(AppError::bad_input(format!("inFolder: {id} is a file")));
            }
            select = select.filter(subtree::under(company.0, row.id, &row.path));
        }
        Some(drive @ (ItemRef::Root | ItemRef::UserDrive(_))) => {
            // The drive must be one the viewer may read (not found else).
            items::get(db, viewer, company, drive).await?;
            select = select.filter(item::Column::Drive.eq(drive.to_string()));
        }
        Some(other) => {
            return Err(AppError::bad_input(format!(
                "inFolder must be a folder or a drive; {other} holds nothing searchable"
            )));
        }
    }
    Ok(Some(select))
}

/// A page of what the viewer may open in `company` that matches `request`.
pub(super) async fn search<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    company: CompanyId,
    request: SearchRequest,
) -> AppResult<Page<Hit>> {
    viewer.may_be_in(company)?;
    let asked = words::query_words(&request.words);
    if asked.len() > words::MAX_QUERY_WORDS {
        return Err(AppError::bad_input(format!(
            "a search asks for at most {} words",
            words::MAX_QUERY_WORDS
        )));
    }
    let Some(readable) = scope::readable(db, viewer, company).await? else {
        return Ok(Page::empty());
    };
    let scored = !asked.is_empty();
    let backend = db.get_database_backend();
    let in_company = match (scored, backend) {
        // The index's hits must drive the query: SQLite would rather walk the company's items
        // by its index on them and look each up in the index (seconds on a large company), so
        // that index is hidden from it (`+`). PostgreSQL plans by its statistics.
        (true, DatabaseBackend::Sqlite) => Expr::cust_with_values(
            format!("+items.company_id = {}", scope::one_value(backend)),
            [company.0],
        ),
        _ => item::Column::CompanyId.eq(company.0),
    };
    let select = item::Entity::find()
        .select_only()
        .columns([
            item::Column::Id,
            item::Column::Name,
            item::Column::Added,
            item::Column::LastModified,
            item::Column::Size,
        ])
        .filter(in_company)
        .filter(readable);
    let Some(mut select) = filtered(db, viewer, company, select, &request.filter).await? else {
        return Ok(Page::empty());
    };
    if scored {
        let hits = hits(backend, company, &asked);
        QuerySelect::query(&mut select).join_subquery(
            JoinType::InnerJoin,
            hits,
            Alias::new(HITS),
            Expr::col((Alias::new(HITS), Alias::new(HIT_ITEM)))
                .equals((item::Entity, item::Column::Id)),
        );
        select = select.expr_as(
            Expr::col((Alias::new(HITS), Alias::new(HIT_SCORE))),
            HIT_SCORE,
        );
    }
    let order = keyset::Order {
        directory: None,
        value: order_value(request.order, scored),
        id: item::Column::Id,
        descending: request.descending,
    };
    let (placed, total) = keyset::read::<_, _, Placed>(db, select, &order, &request.page).await?;
    let keys: HashMap<Uuid, Key> = placed
        .iter()
        .map(|row| (row.id, key_of(row, request.order)))
        .collect();
    let rows = rows_of(db, company, &placed).await?;
    let bodies = content_of(db, &asked, &rows).await?;
    let scoped = access::scope(db, viewer, company, rows).await?;
    let hits = scoped
        .into_iter()
        .filter_map(|item| {
            let id = item.stored_id()?.0;
            if item.level < Level::Read {
                // The query and the scoping rule disagree: a bug, never shown.
                tracing::error!(%id, "search found an item its viewer may not read");
                return None;
            }
            let body = bodies.get(&id).map_or("", String::as_str);
            let highlight =
                words::highlight(&asked, &item.name, &item.description, &item.tags, body);
            Some(Hit {
                key: keys.get(&id)?.clone(),
                item,
                highlight,
            })
        })
        .collect();
    Ok(Page::read(hits, &request.page, total))
}

/// The rows of the page's hits, in the page's order: one statement, none for an empty page.
async fn rows_of<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    placed: &[Placed],
) -> AppResult<Vec<Row>> {
    if placed.is_empty() {
        return Ok(Vec::new());
    }
    let mut read: HashMap<Uuid, Row> = rows::find()
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(item::Column::Id.is_in(placed.iter().map(|row| row.id)))
        .into_model::<Row>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.item.id, row))
        .collect();
    Ok(placed
        .iter()
        .filter_map(|row| read.remove(&row.id))
        .collect())
}

/// How much of an extracted text a content highlight is looked for in, in characters, from a
/// little before the first word's first match.
const BODY_WINDOW: i64 = 400;

/// Around the first match of the first asked word in the extracted text of the rows whose
/// name, description and tags do not match `asked` (the only ones whose highlight is in their
/// content; every word matched there): one statement reading `BODY_WINDOW` characters a row,
/// none when all matched elsewhere.
async fn content_of<C: ConnectionTrait>(
    db: &C,
    asked: &[String],
    rows: &[Row],
) -> AppResult<HashMap<Uuid, String>> {
    let in_content: Vec<Uuid> = rows
        .iter()
        .filter(|row| {
            let row = &row.item;
            let tags: Vec<String> = serde_json::from_value(row.tags.clone()).unwrap_or_default();
            !asked.is_empty() && !words::matches_meta(asked, &row.name, &row.description, &tags)
        })
        .map(|row| row.item.id)
        .collect();
    let Some(first) = asked.first().filter(|_| !in_content.is_empty()) else {
        return Ok(HashMap::new());
    };
    // The body is folded words between single spaces: a word starts after a space.
    let backend = db.get_database_backend();
    let (position, larger) = match backend {
        DatabaseBackend::Sqlite => ("instr", "max"),
        _ => ("strpos", "greatest"),
    };
    let around = Expr::cust_with_values(
        format!(
            "substr(body, {larger}(1, {position}(' ' || body, ' ' || {}) - {}), {BODY_WINDOW})",
            scope::one_value(backend),
            BODY_WINDOW / 4
        ),
        [first.clone()],
    );
    Ok(search_document::Entity::find()
        .select_only()
        .column(search_document::Column::ItemId)
        .expr(around)
        .filter(search_document::Column::ItemId.is_in(in_content))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
