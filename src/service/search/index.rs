//! Keeping the index exact: a write transaction re-reads the words of the items it changed
//! just before it commits (`reindex`), so names, descriptions and tags are searchable the
//! moment the change is; only content lags, behind its extraction. Access and the trash are
//! never indexed: every search reads them live.

use entity::{item, search_document, version};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};
use uuid::Uuid;

use super::{DONE, words};
use crate::error::AppResult;

/// Rows per upsert (SQLite binds at most 32,766 values a statement).
const CHUNK: usize = 1000;

/// What an item's document is made of.
#[derive(FromQueryResult)]
struct Source {
    id: Uuid,
    company_id: Uuid,
    name: String,
    description: String,
    tags: serde_json::Value,
    /// The latest version's extraction state (files only).
    search_status: Option<String>,
}

/// The folded words of an item's name, description and tags.
fn meta(source: &Source) -> String {
    let tags: Vec<&str> = source
        .tags
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let fields = [
        words::fold(&source.name),
        words::fold(&source.description),
        words::fold(&tags.join(" ")),
    ];
    fields
        .into_iter()
        .filter(|field| !field.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The join from an item to the version its `last_version_id` names.
fn latest_version() -> RelationDef {
    item::Entity::belongs_to(version::Entity)
        .from(item::Column::LastVersionId)
        .to(version::Column::Id)
        .into()
}

/// Writes the documents of `ids` as their rows are now (in the caller's transaction): two
/// statements per thousand items, plus one when some of them have content to forget.
pub(crate) async fn reindex<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let sources = item::Entity::find()
            .select_only()
            .columns([
                item::Column::Id,
                item::Column::CompanyId,
                item::Column::Name,
                item::Column::Description,
                item::Column::Tags,
            ])
            .column(version::Column::SearchStatus)
            .join(JoinType::LeftJoin, latest_version())
            .filter(item::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<Source>()
            .all(db)
            .await?;
        // A document keeps the text extracted from the item's latest version; a version whose
        // extraction is not done has none yet, so whatever the document held is forgotten.
        let (keeping, forgetting): (Vec<_>, Vec<_>) = sources
            .iter()
            .partition(|source| source.search_status.as_deref().is_none_or(|s| s == DONE));
        upsert(db, &keeping, &[search_document::Column::Meta]).await?;
        upsert(
            db,
            &forgetting,
            &[search_document::Column::Meta, search_document::Column::Body],
        )
        .await?;
    }
    Ok(())
}

/// Inserts the documents of `sources`, or updates `columns` of those that exist.
async fn upsert<C: ConnectionTrait>(
    db: &C,
    sources: &[&Source],
    columns: &[search_document::Column],
) -> AppResult<()> {
    if sources.is_empty() {
        return Ok(());
    }
    let rows = sources.iter().map(|source| search_document::ActiveModel {
        item_id: Set(source.id),
        company_id: Set(source.company_id),
        meta: Set(meta(source)),
        body: Set(String::new()),
        ..Default::default()
    });
    search_document::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(search_document::Column::ItemId)
                .update_columns(columns.iter().copied())
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the text extracted from an item's latest version.
pub(super) async fn set_body<C: ConnectionTrait>(db: &C, item: Uuid, body: &str) -> AppResult<()> {
    search_document::Entity::update_many()
        .col_expr(search_document::Column::Body, Expr::value(body))
        .filter(search_document::Column::ItemId.eq(item))
        .exec(db)
        .await?;
    Ok(())
}

/// The next `limit` item ids after `after`, in id order, and those of them that have no
/// document yet (stored before search existed).
pub(super) async fn unindexed<C: ConnectionTrait>(
    db: &C,
    after: Uuid,
    limit: u64,
) -> AppResult<(Vec<Uuid>, Vec<Uuid>)> {
    let read: Vec<Uuid> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::Id.gt(after))
        .order_by_asc(item::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let indexed: std::collections::HashSet<Uuid> = search_document::Entity::find()
        .select_only()
        .column(search_document::Column::ItemId)
        .filter(search_document::Column::ItemId.is_in(read.iter().copied()))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let missing = read
        .iter()
        .copied()
        .filter(|id| !indexed.contains(id))
        .collect();
    Ok((read, missing))
}

/// Where the walk over the items stored before search stands (`search_backfill`): `None` once
/// it is done, else the last id it indexed (nil before the first).
pub(super) async fn backfill_position<C: ConnectionTrait>(db: &C) -> AppResult<Option<Uuid>> {
    let select = Query::select()
        .columns([Alias::new("walked_to"), Alias::new("done")])
        .from(Alias::new("search_backfill"))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    if row.try_get::<bool>("", "done")? {
        return Ok(None);
    }
    Ok(Some(
        row.try_get::<Option<Uuid>>("", "walked_to")?
            .unwrap_or_else(Uuid::nil),
    ))
}

/// Records that the walk indexed every item up to `walked_to`, and whether it is done.
pub(super) async fn backfill_reached<C: ConnectionTrait>(
    db: &C,
    walked_to: Uuid,
    done: bool,
) -> AppResult<()> {
    let update = Query::update()
        .table(Alias::new("search_backfill"))
        .value(Alias::new("walked_to"), walked_to)
        .value(Alias::new("done"), done)
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}
