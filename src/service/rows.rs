//! Item rows as every answer reads them: each with its file's latest version and its creator,
//! joined in the same statement, and an item's folders above it fetched with it.

use entity::{item, user, version};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, Iden,
    IdenStatic, Iterable, JoinType, QueryFilter, QueryResult, QuerySelect, Select,
};
use uuid::Uuid;

use crate::domain::CompanyId;
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

fn prefix(alias: &str) -> String {
    format!("{alias}_")
}

impl FromQueryResult for Row {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            item: item::Model::from_query_result(res, pre)?,
            latest: version::Model::from_query_result_optional(res, &prefix(LATEST))?,
            creator: user::Model::from_query_result_optional(res, &prefix(AUTHOR))?,
        })
    }
}

/// Every column of `E` from the join aliased `alias`, named `<alias>_<column>`.
fn joined<E: EntityTrait>(select: Select<item::Entity>, alias: &str) -> Select<item::Entity> {
    E::Column::iter().fold(select, |select, column| {
        select.column_as(
            Expr::col((Alias::new(alias), column)),
            format!("{}{}", prefix(alias), column.as_str()),
        )
    })
}

/// Items, each with its latest version and creator: the start of every read that answers with
/// items. Filters and orders name `items` columns as usual; decode with `into_model::<Row>()`.
pub(super) fn find() -> Select<item::Entity> {
    let latest = item::Entity::belongs_to(version::Entity)
        .from(item::Column::LastVersionId)
        .to(version::Column::Id)
        .into();
    let author = item::Entity::belongs_to(user::Entity)
        .from(item::Column::Creator)
        .to(user::Column::Id)
        .into();
    let select = item::Entity::find()
        .join_as(JoinType::LeftJoin, latest, Alias::new(LATEST))
        .join_as(JoinType::LeftJoin, author, Alias::new(AUTHOR));
    joined::<user::Entity>(joined::<version::Entity>(select, LATEST), AUTHOR)
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
    let (marks, next_id) = match backend {
        DatabaseBackend::Postgres => (
            (2..ids.len() + 2)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", "),
            "CAST(substr(rest, 1, 36) AS uuid)",
        ),
        // UUIDs are 16-byte blobs in SQLite.
        _ => (
            vec!["?"; ids.len()].join(", "),
            "unhex(replace(substr(rest, 1, 36), '-', ''))",
        ),
    };
    let first = match backend {
        DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let items = item::Entity.to_string();
    let chain = format!(
        r#""{items}"."id" IN (WITH RECURSIVE chain(id, rest) AS (
            SELECT id, substr(path, 2) FROM "{items}" WHERE company_id = {first} AND id IN ({marks})
            UNION ALL
            SELECT {next_id}, substr(rest, 38) FROM chain WHERE length(rest) >= 36
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
