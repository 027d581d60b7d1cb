//! Item rows as every answer reads them: each with its file's latest version and its creator,
//! joined in the same statement (whole, or only the parts a page of children needs), and an
//! item's folders above it fetched with it.

use std::sync::OnceLock;

use entity::{item, user, version};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, Iden,
    IdenStatic, Iterable, JoinType, QueryFilter, QueryResult, QuerySelect, Select, TryGetable,
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
/// build and look up (that was an eighth of a folder listing's time).
pub(super) struct Columns<'a> {
    res: &'a QueryResult,
    next: usize,
}

impl<'a> Columns<'a> {
    pub fn new(res: &'a QueryResult) -> Self {
        Self { res, next: 0 }
    }

    pub fn take<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.res.try_get_by_index(self.next);
        self.next += 1;
        value
    }

    /// The next column when it was `selected`, else empty (a part the row does not read).
    pub fn take_if<T: TryGetable + Default>(&mut self, selected: bool) -> Result<T, DbErr> {
        match selected {
            true => self.take(),
            false => Ok(T::default()),
        }
    }

    /// Checks (in debug builds) that every one of the `selected` columns was read or
    /// skipped: a column added to an entity and selected but not decoded shifts the rest.
    pub fn all_read(&self, selected: usize) {
        debug_assert_eq!(
            self.next, selected,
            "a row decodes every column selected (a column was added to an entity?)"
        );
    }

    /// Skips the `count` columns of a join that matched nothing.
    fn skip(&mut self, count: usize) {
        self.next += count;
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

/// The columns of `E` rows of `detail` select, in `Column` order.
fn selected<E: EntityTrait>(detail: Detail, parts: &[(E::Column, Detail)]) -> Vec<E::Column> {
    E::Column::iter()
        .filter(|column| {
            parts
                .iter()
                .find(|(named, _)| named.as_str() == column.as_str())
                .is_none_or(|(_, part)| detail.reads(*part))
        })
        .collect()
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
        let widths = shape(detail).widths;
        let full = detail.reads(Detail::FULL);
        let public = detail.reads(Detail::PUBLIC_LINK);
        let content = detail.reads(Detail::VERSION_CONTENT);
        let version = detail.reads(Detail::VERSION);
        let details = detail.reads(Detail::DETAILS);
        let keywords = detail.reads(Detail::KEYWORDS);
        let mut at = Columns::new(res);
        let item = item::Model {
            id: at.take()?,
            company_id: at.take()?,
            parent_id: at.take()?,
            drive: at.take()?,
            path: at.take_if(full)?,
            name: at.take()?,
            sort_name: at.take_if(full)?,
            extension: at.take_if(details)?,
            description: at.take_if(details)?,
            tags: at.take_if(details)?,
            is_directory: at.take()?,
            is_in_trash: at.take()?,
            creator: at.take()?,
            added: at.take_if(details)?,
            last_modified: at.take()?,
            size: at.take()?,
            folder_level: at.take()?,
            public_token: at.take_if(public)?,
            public_level: at.take_if(public)?,
            public_password_hash: at.take_if(public)?,
            public_expiration: at.take_if(public)?,
            public_generation: at.take_if(public)?,
            last_version_id: at.take()?,
            revision: at.take()?,
        };
        let latest = match at.take::<Option<Uuid>>()? {
            None => {
                at.skip(widths.version - 1);
                None
            }
            Some(id) => Some(version::Model {
                id,
                item_id: at.take_if(version)?,
                company_id: at.take_if(version)?,
                provider: at.take_if(version)?,
                file_name: at.take_if(version)?,
                mime: at.take_if(content)?,
                size: at.take_if(content)?,
                sha256: at.take_if(version)?,
                external_id: at.take_if(version)?,
                creator: at.take_if(version)?,
                application_id: at.take_if(version)?,
                date_added: at.take_if(version)?,
                content_keywords: at.take_if(keywords)?,
                search_status: at.take_if(version)?,
                search_attempts: at.take_if(full)?,
                search_claimed_at: at.take_if(full)?,
            }),
        };
        let named = detail.reads(Detail::CREATOR);
        let creator = match at.take::<Option<String>>()? {
            None => {
                at.skip(widths.user - 1);
                None
            }
            Some(id) => Some(user::Model {
                id,
                name: at.take_if(named)?,
                email: at.take_if(named)?,
                seen_at: at.take_if(full)?,
            }),
        };
        at.all_read(widths.all);
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
    columns: Vec<C>,
) -> impl Iterator<Item = String> {
    columns.into_iter().map(move |column| {
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

/// How many columns rows of a detail select: the latest version's, the creator's, and all.
#[derive(Clone, Copy)]
struct Widths {
    version: usize,
    user: usize,
    all: usize,
}

/// A detail's select and the widths its rows decode by.
struct Shape {
    find: Select<item::Entity>,
    widths: Widths,
}

/// Each detail's shape, built once. The select's columns are one select list written out
/// (each column built per request, its alias formatted, then rendered, was an eighth of a REST
/// file read's instructions; BENCHMARKS.md, issue 14); a row's decoding only looks its widths
/// up.
fn shape(detail: Detail) -> &'static Shape {
    // The lists in statics of their own, so that each clone of a select borrows its list.
    static LISTS: [OnceLock<String>; Detail::COUNT] = [const { OnceLock::new() }; Detail::COUNT];
    static SHAPES: [OnceLock<Shape>; Detail::COUNT] = [const { OnceLock::new() }; Detail::COUNT];
    let at = detail.index();
    SHAPES[at].get_or_init(|| {
        let items = selected::<item::Entity>(detail, &ITEM_PARTS);
        let versions = selected::<version::Entity>(detail, &VERSION_PARTS);
        let users = selected::<user::Entity>(detail, &USER_PARTS);
        let widths = Widths {
            version: versions.len(),
            user: users.len(),
            all: items.len() + versions.len() + users.len(),
        };
        let columns: Vec<String> = columns_of(&item::Entity.to_string(), None, items)
            .chain(columns_of(LATEST, Some(LATEST), versions))
            .chain(columns_of(AUTHOR, Some(AUTHOR), users))
            .collect();
        let list = LISTS[at].get_or_init(|| columns.join(", "));
        Shape {
            find: joined(list),
            widths,
        }
    })
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
    let (first, marks, slash) = match backend {
        DatabaseBackend::Postgres => {
            let marks: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
            ("$1", marks.join(", "), "strpos(rest, '/')")
        }
        _ => ("?", vec!["?"; ids.len()].join(", "), "instr(rest, '/')"),
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
            SELECT id, substr(path, 2) FROM "{items}" WHERE company_id = {first} AND id IN ({marks})
            UNION ALL
            SELECT {segment_id}, substr(rest, {slash} + 1) FROM chain WHERE {slash} > 0
        ) SELECT id FROM chain)"#
    );
    let values = std::iter::once(company.0).chain(ids.iter().copied());
    Ok(find()
        .filter(item::Column::CompanyId.eq(company.0))
        .filter(Expr::cust_with_values(chain, values))
        .into_model::<Row>()
        .all(db)
        .await?)
}
