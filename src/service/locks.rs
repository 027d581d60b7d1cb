//! Turns for writers of one thing, held until their transaction ends: a PostgreSQL
//! transaction-scoped advisory lock keyed by what is written (SQLite already has one writer).

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement};
use sha2::{Digest, Sha256};

use crate::error::AppResult;

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
