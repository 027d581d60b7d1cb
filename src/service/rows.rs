//! Item rows as every answer reads them: each with its file's latest version and its creator,
//! joined in the same statement (whole, or only the parts a page of children needs), and an
//! item's folders above it fetched with it.

use std::sync::OnceLock;

use entity::{item, user, version};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, Iden, IdenStatic,
    Iterable, JoinType, QueryFilter, QueryResult, QuerySelect, Select, TryGetable,
};
use uuid::Uuid;

use crate::domain::{CompanyId, Detail};
use crate::error::AppResult;

/// An item row with what is joined to it.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub item: item::Model,
    /// The version `last_version_id` names (files only).
    pub latest: Option<version::Model>,
    /// The creator, when Quire has seen them.
    pub creator: Option<user::Model>,
}

impl Row {
    /// A row without what is joined to it, for reads that only need the viewer's level.
    pub fn bare(item: item::Model) -> Self {
        Self {
            item,
            latest: None,
            creator: None,
        }
    }
}

const LATEST: &str = "latest";
const AUTHOR: &str = "author";

/// Reads a row's columns in the order they were selected, by position: no column names to
/// build and look up (that was an eighth of a folder listing's time). Decoding walks the
/// entities' columns in order; those a row's detail does not select decode as empty.
pub(super) struct Columns<'a> {
    res: &'a QueryResult,
    /// The position of the next column in the row.
    next: usize,
    /// Whether each column decoded in turn was selected; empty when all of them were.
    selected: &'a [bool],
    /// How many columns were decoded (or skipped).
    decoded: usize,
}

impl<'a> Columns<'a> {
    /// A row that selects every column it decodes.
    pub fn new(res: &'a QueryResult) -> Self {
        Self::selecting(res, &[])
    }

    /// A row that selects, of the columns it decodes in turn, those `selected` says.
    fn selecting(res: &'a QueryResult, selected: &'a [bool]) -> Self {
        Self {
            res,
            next: 0,
            selected,
            decoded: 0,
        }
    }

    /// Whether the `decoded`-th column was selected.
    fn is_selected(&self, decoded: usize) -> bool {
        self.selected.get(decoded).copied().unwrap_or(true)
    }

    /// The next column, or empty when it was not selected (a part the row does not read).
    pub fn take<T: TryGetable + Default>(&mut self) -> Result<T, DbErr> {
        let selected = self.is_selected(self.decoded);
        self.decoded += 1;
        if !selected {
            return Ok(T::default());
        }
        let value = self.res.try_get_by_index(self.next);
        self.next += 1;
        value
    }

    /// Checks (in debug builds) that the `columns` there are were each decoded or skipped: a
    /// column added to an entity and selected but not decoded shifts the rest.
    pub fn all_read(&self, columns: usize) {
        debug_assert_eq!(
            self.decoded, columns,
            "a row decodes every column (a column was added to an entity?)"
        );
    }

    /// Skips the `count` columns of a join that matched nothing.
    fn skip(&mut self, count: usize) {
        let end = self.decoded + count;
        self.next += (self.decoded..end)
            .filter(|&at| self.is_selected(at))
            .count();
        self.decoded = end;
    }
}

/// The part of a row (`Detail`) each column is read for; the columns not named are the key's,
/// read for every row. Rows decode what they do not read as empty.
const ITEM_PARTS: [(item::Column, Detail); 11] = [
    (item::Column::Path, Detail::FULL),
    (item::Column::SortName, Detail::FULL),
    (item::Column::Extension, Detail::DETAILS),
    (item::Column::Description, Detail::DETAILS),
    (item::Column::Tags, Detail::DETAILS),
    (item::Column::Added, Detail::DETAILS),
    (item::Column::PublicToken, Detail::PUBLIC_LINK),
    (item::Column::PublicLevel, Detail::PUBLIC_LINK),
    (item::Column::PublicPasswordHash, Detail::PUBLIC_LINK),
    (item::Column::PublicExpiration, Detail::PUBLIC_LINK),
    (item::Column::PublicGeneration, Detail::PUBLIC_LINK),
];
const VERSION_PARTS: [(version::Column, Detail); 15] = [
    (version::Column::ItemId, Detail::VERSION),
    (version::Column::CompanyId, Detail::VERSION),
    (version::Column::Provider, Detail::VERSION),
    (version::Column::FileName, Detail::VERSION),
    (version::Column::Mime, Detail::VERSION_CONTENT),
    (version::Column::Size, Detail::VERSION_CONTENT),
    (version::Column::Sha256, Detail::VERSION),
    (version::Column::ExternalId, Detail::VERSION),
    (version::Column::Creator, Detail::VERSION),
    (version::Column::ApplicationId, Detail::VERSION),
    (version::Column::DateAdded, Detail::VERSION),
    (version::Column::ContentKeywords, Detail::KEYWORDS),
    (version::Column::SearchStatus, Detail::VERSION),
    (version::Column::SearchAttempts, Detail::FULL),
    (version::Column::SearchClaimedAt, Detail::FULL),
];
const USER_PARTS: [(user::Column, Detail); 3] = [
    (user::Column::Name, Detail::CREATOR),
    (user::Column::Email, Detail::CREATOR),
    (user::Column::SeenAt, Detail::FULL),
];

/// Each column of `E` in `Column` order, with whether rows of `detail` select it.
fn selected<E: EntityTrait>(
    detail: Detail,
    parts: &[(E::Column, Detail)],
) -> impl Iterator<Item = (E::Column, bool)> {
    E::Column::iter().map(move |column| {
        let read = parts
            .iter()
            .find(|(named, _)| named.as_str() == column.as_str())
            .is_none_or(|(_, part)| detail.reads(*part));
        (column, read)
    })
}

/// How many columns `E` has.
fn width<E: EntityTrait>() -> usize {
    E::Column::iter().count()
}

impl Row {
    /// Decodes rows of `find_with(detail)`.
    pub fn read(detail: Detail) -> impl Fn(&QueryResult) -> Result<Self, DbErr> {
        move |res| Self::decode(res, detail)
    }

    /// The columns as `find_with(detail)` lists them: the item's, then the latest version's,
    /// then the creator's, each entity's in its `Column` order, without those of the parts
    /// `detail` does not read.
    fn decode(res: &QueryResult, detail: Detail) -> Result<Self, DbErr> {
        let selected = &shape(detail).selected;
        let mut at = Columns::selecting(res, selected);
        let item = item::Model {
            id: at.take()?,
            company_id: at.take()?,
            parent_id: at.take()?,
            drive: at.take()?,
            path: at.take()?,
            name: at.take()?,
            sort_name: at.take()?,
            extension: at.take()?,
            description: at.take()?,
            tags: at.take()?,
            is_directory: at.take()?,
            is_in_trash: at.take()?,
            creator: at.take()?,
            added: at.take()?,
            last_modified: at.take()?,
            size: at.take()?,
            folder_level: at.take()?,
            public_token: at.take()?,
            public_level: at.take()?,
            public_password_hash: at.take()?,
            public_expiration: at.take()?,
            public_generation: at.take()?,
            last_version_id: at.take()?,
            revision: at.take()?,
        };
        let latest = match at.take::<Option<Uuid>>()? {
            None => {
                at.skip(width::<version::Entity>() - 1);
                None
            }
            Some(id) => Some(version::Model {
                id,
                item_id: at.take()?,
                company_id: at.take()?,
                provider: at.take()?,
                file_name: at.take()?,
                mime: at.take()?,
                size: at.take()?,
                sha256: at.take()?,
                external_id: at.take()?,
                creator: at.take()?,
                application_id: at.take()?,
                date_added: at.take()?,
                content_keywords: at.take()?,
                search_status: at.take()?,
                search_attempts: at.take()?,
                search_claimed_at: at.take()?,
            }),
        };
        let creator = match at.take::<Option<String>>()? {
            None => {
                at.skip(width::<user::Entity>() - 1);
                None
            }
            Some(id) => Some(user::Model {
                id,
                name: at.take()?,
                email: at.take()?,
                seen_at: at.take()?,
            }),
        };
        at.all_read(selected.len());
        Ok(Self {
            item,
            latest,
            creator,
        })
    }
}

impl FromQueryResult for Row {
    /// A row of `find`.
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Row::decode(res, Detail::FULL)
    }
}

/// `columns` of the table or join named `table`, for a select list written out; each named
/// `<prefix>_<column>` when a prefix is given.
fn columns_of<C: IdenStatic>(
    table: &str,
    prefix: Option<&str>,
    columns: impl Iterator<Item = C>,
) -> impl Iterator<Item = String> {
    columns.map(move |column| {
        let column = column.as_str();
        match prefix {
            Some(prefix) => format!(r#""{table}"."{column}" AS "{prefix}_{column}""#),
            None => format!(r#""{table}"."{column}""#),
        }
    })
}

/// Items, each with its latest version and creator: the start of every read that answers with
/// items. Filters and orders name `items` columns as usual; decode with `into_model::<Row>()`.
pub(super) fn find() -> Select<item::Entity> {
    find_with(Detail::FULL)
}

/// `find` reading only the parts of each row `detail` names; decode with `Row::read(detail)`.
pub(super) fn find_with(detail: Detail) -> Select<item::Entity> {
    shape(detail).find.clone()
}

/// A detail's select, and whether it selects each column of its rows in decoding order.
struct Shape {
    find: Select<item::Entity>,
    selected: Vec<bool>,
}

/// Each detail's shape, built once. The select's columns are one select list written out
/// (each column built per request, its alias formatted, then rendered, was an eighth of a REST
/// file read's instructions; BENCHMARKS.md, issue 14).
fn shape(detail: Detail) -> &'static Shape {
    // The lists in statics of their own, so that each clone of a select borrows its list.
    static LISTS: [OnceLock<String>; Detail::COUNT] = [const { OnceLock::new() }; Detail::COUNT];
    static SHAPES: [OnceLock<Shape>; Detail::COUNT] = [const { OnceLock::new() }; Detail::COUNT];
    let at = detail.index();
    SHAPES[at].get_or_init(|| {
        let items: Vec<_> = selected::<item::Entity>(detail, &ITEM_PARTS).collect();
        let versions: Vec<_> = selected::<version::Entity>(detail, &VERSION_PARTS).collect();
        let users: Vec<_> = selected::<user::Entity>(detail, &USER_PARTS).collect();
        let mut selected: Vec<bool> = items.iter().map(|(_, read)| *read).collect();
        selected.extend(versions.iter().map(|(_, read)| *read));
        selected.extend(users.iter().map(|(_, read)| *read));
        let list: Vec<String> = columns_of(&item::Entity.to_string(), None, kept(items))
            .chain(columns_of(LATEST, Some(LATEST), kept(versions)))
            .chain(columns_of(AUTHOR, Some(AUTHOR), kept(users)))
            .collect();
        Shape {
            find: joined(LISTS[at].get_or_init(|| list.join(", "))),
            selected,
        }
    })
}

/// The columns selected.
fn kept<C>(columns: Vec<(C, bool)>) -> impl Iterator<Item = C> {
    columns
        .into_iter()
        .filter_map(|(column, read)| read.then_some(column))
}

/// Items selecting `list`, joined to their latest version and creator.
fn joined(list: &'static str) -> Select<item::Entity> {
    let latest = item::Entity::belongs_to(version::Entity)
        .from(item::Column::LastVersionId)
        .to(version::Column::Id)
        .into();
    let author = item::Entity::belongs_to(user::Entity)
        .from(item::Column::Creator)
        .to(user::Column::Id)
        .into();
    item::Entity::find()
        .select_only()
        .expr(Expr::cust(list))
        .join_as(JoinType::LeftJoin, latest, Alias::new(LATEST))
        .join_as(JoinType::LeftJoin, author, Alias::new(AUTHOR))
}

/// The rows of `ids` in a company and of every folder above them, in one statement whatever
/// their depth: a recursive query walks each row's `path` (`/a/b/`, 36-character UUIDs).
///
/// The rows are found by id alone and kept when they are the company's. With the company in
/// the SQL, PostgreSQL read a company it believed empty (its statistics taken before it grew)
/// through an index on the company, every row of it, instead of by id: 11 ms for a company of
/// 2,000 items, 30 for 5,000, inside the write transactions that hold a folder's lock, where 16
/// writers of one folder then waited on each other (BENCHMARKS.md, issue 14).
pub(super) async fn with_ancestors<C: ConnectionTrait>(
    db: &C,
    company: CompanyId,
    ids: &[Uuid],
) -> AppResult<Vec<Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    // Each step takes the segment before the next `/` and leaves what follows it; a segment
    // that is no UUID (only hand-edited data has one) names no row, as `access::path_ids`
    // skips it, and throws no later segment off.
    let (marks, slash) = match backend {
        DatabaseBackend::Postgres => {
            let marks: Vec<String> = (1..ids.len() + 1).map(|n| format!("${n}")).collect();
            (marks.join(", "), "strpos(rest, '/')")
        }
        _ => (vec!["?"; ids.len()].join(", "), "instr(rest, '/')"),
    };
    let segment = format!("substr(rest, 1, {slash} - 1)");
    let segment_id = match backend {
        DatabaseBackend::Postgres => format!(
            "CASE WHEN length({segment}) = 36 AND {segment} ~ \
             '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}' \
             THEN CAST({segment} AS uuid) END"
        ),
        // UUIDs are 16-byte blobs in SQLite; what is not hex unhexes to NULL.
        _ => format!("unhex(replace({segment}, '-', ''))"),
    };
    let items = item::Entity.to_string();
    let chain = format!(
        r#""{items}"."id" IN (WITH RECURSIVE chain(id, rest) AS (
            SELECT id, substr(path, 2) FROM "{items}" WHERE id IN ({marks})
            UNION ALL
            SELECT {segment_id}, substr(rest, {slash} + 1) FROM chain WHERE {slash} > 0
        ) SELECT id FROM chain)"#
    );
    let mut rows = find()
        .filter(Expr::cust_with_values(chain, ids.iter().copied()))
        .into_model::<Row>()
        .all(db)
        .await?;
    rows.retain(|row| row.item.company_id == company.0);
    Ok(rows)
}
