//! Turns for writers of one thing, held until their transaction ends: a PostgreSQL
//! transaction-scoped advisory lock keyed by what is written, and row locks on the items a
//! write reads before it decides (SQLite already has one writer).

use entity::item;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::access::path_ids;
use crate::error::{AppError, AppResult, Contention};

/// Waits until no other transaction holds the turn for `what` (its parts hashed into a key).
pub(super) async fn take_turn(txn: &DatabaseTransaction, what: &[&[u8]]) -> AppResult<()> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let digest = what
        .iter()
        .fold(Sha256::new(), |hash, part| {
            hash.chain_update((part.len() as u64).to_be_bytes())
                .chain_update(part)
        })
        .finalize();
    let key = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Locks, in one statement and in id order, every item row a write reads and changes: each
/// of `ids` with its ancestors, and with `subtree` everything under the first, until the transaction
/// ends (PostgreSQL; SQLite has one writer). Writers taking their rows in one global order
/// never deadlock; what they read after this (sizes, places, trash state) stays what they
/// decide on. Should a concurrent move have changed one of these places between the look and
/// the lock, the write fails as contended and `Service::retrying` runs it again.
pub(super) async fn places(
    txn: &DatabaseTransaction,
    company: Uuid,
    ids: &[Uuid],
    subtree: bool,
) -> AppResult<()> {
    if txn.get_database_backend() != DatabaseBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    // By id alone, the company checked on the rows (as `rows::with_ancestors` reads them).
    let looked: Vec<(Uuid, String)> = item::Entity::find()
        .select_only()
        .columns([
            item::Column::Id,
            item::Column::Path,
            item::Column::CompanyId,
        ])
        .filter(item::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, String, Uuid)>()
        .all(txn)
        .await?
        .into_iter()
        .filter(|(_, _, of)| *of == company)
        .map(|(id, path, _)| (id, path))
        .collect();
    let mut wanted: Vec<Uuid> = ids.to_vec();
    for (_, path) in &looked {
        wanted.extend(path_ids(path));
    }
    if let Some((id, path)) = looked.iter().find(|(id, _)| subtree && *id == ids[0]) {
        let below: Vec<Uuid> = item::Entity::find()
            .select_only()
            .column(item::Column::Id)
            .filter(super::subtree::under(company, *id, path))
            .into_tuple()
            .all(txn)
            .await?;
        wanted.extend(below);
    }
    wanted.sort();
    wanted.dedup();
    let locked: Vec<(Uuid, String)> = item::Entity::find()
        .select_only()
        .columns([item::Column::Id, item::Column::Path])
        .filter(item::Column::Id.is_in(wanted))
        .order_by_asc(item::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await?;
    let moved = looked
        .iter()
        .any(|(id, path)| !locked.iter().any(|(l, p)| l == id && p == path));
    if moved {
        return Err(AppError::internal(Contention));
    }
    Ok(())
}
