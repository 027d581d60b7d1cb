//! Free names in a folder: `a.txt` → `a-2.txt` → `a-3.txt`…, atomic under concurrent writers.

use entity::item;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use super::locks;
use crate::domain::names;
use crate::error::{AppError, AppResult};

/// How many candidate names one look-up checks.
const BATCH: u32 = 64;
/// How often a write is retried when a concurrent writer took the name first.
const ATTEMPTS: usize = 8;

/// Writing an item row under a name that must be free among its siblings.
pub(super) enum NameWrite {
    Insert(item::ActiveModel),
    Update(item::ActiveModel),
}

/// The first free candidate for `wanted` among the siblings of one kind in `parent_id`.
async fn first_free<C: ConnectionTrait>(
    db: &C,
    company: Uuid,
    parent_id: &str,
    is_directory: bool,
    wanted: &str,
    exclude: Option<Uuid>,
) -> AppResult<String> {
    let mut start = 1;
    loop {
        let candidates: Vec<String> = (start..start + BATCH)
            .map(|n| names::candidate(wanted, n))
            .collect();
        let mut query = item::Entity::find()
            .select_only()
            .column(item::Column::Name)
            .filter(item::Column::CompanyId.eq(company))
            .filter(item::Column::ParentId.eq(parent_id))
            .filter(item::Column::IsDirectory.eq(is_directory))
            .filter(item::Column::Name.is_in(candidates.clone()));
        if let Some(id) = exclude {
            query = query.filter(item::Column::Id.ne(id));
        }
        let taken: Vec<String> = query.into_tuple().all(db).await?;
        if let Some(free) = candidates.into_iter().find(|c| !taken.contains(c)) {
            return Ok(free);
        }
        start += BATCH;
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Writes the row under the first free name for `wanted`, and returns that name. Inside a
/// savepoint, so a lost race rolls back only the attempt and the next one sees the winner.
pub(super) async fn write_with_free_name(
    txn: &DatabaseTransaction,
    wanted: &str,
    write: NameWrite,
) -> AppResult<String> {
    let (NameWrite::Insert(model) | NameWrite::Update(model)) = &write;
    let company = *model.company_id.as_ref();
    let parent_id = model.parent_id.as_ref().clone();
    let is_directory = *model.is_directory.as_ref();
    let exclude = match &write {
        NameWrite::Update(model) => Some(*model.id.as_ref()),
        NameWrite::Insert(_) => None,
    };
    // Writers naming in one folder take turns, so each sees the names the others committed
    // instead of racing them for the same free one.
    locks::take_turn(txn, &[b"names", company.as_bytes(), parent_id.as_bytes()]).await?;
    for _ in 0..ATTEMPTS {
        let name = first_free(txn, company, &parent_id, is_directory, wanted, exclude).await?;
        let savepoint = txn.begin().await?;
        let result = match &write {
            NameWrite::Insert(model) => {
                let mut model = model.clone();
                set_name(&mut model, &name);
                item::Entity::insert(model)
                    .exec(&savepoint)
                    .await
                    .map(|_| ())
            }
            NameWrite::Update(model) => {
                let mut model = model.clone();
                set_name(&mut model, &name);
                item::Entity::update(model)
                    .exec(&savepoint)
                    .await
                    .map(|_| ())
            }
        };
        match result {
            Ok(()) => {
                savepoint.commit().await?;
                return Ok(name);
            }
            Err(err) if is_unique_violation(&err) => savepoint.rollback().await?,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::Conflict(format!(
        "too many concurrent writers named {wanted:?} in this folder; retry"
    )))
}

fn set_name(model: &mut item::ActiveModel, name: &str) {
    model.name = Set(name.to_owned());
    model.sort_name = Set(names::sort_key(name));
    if !*model.is_directory.as_ref() {
        model.extension = Set(names::extension(name));
    }
}
