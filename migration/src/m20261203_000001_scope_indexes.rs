//! Two small indexes for search's access condition, which asks of every folder above a hit
//! whether it is in the trash and whether its `folder` entry cuts what it inherits: each holds
//! only the items for which the answer is yes, so a hit's question is a probe of an index of
//! the few, not a look-up of each folder's row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each index and what it holds. An item cuts when its `folder` entry is a stored level that
/// gives no read; the condition is spelled exactly as `service::search::scope` spells it
/// (its `READABLE`), so that planners see the index answers it.
const INDEXES: [(&str, &str); 2] = [
    ("items_in_trash", "(id) WHERE is_in_trash"),
    (
        "items_cutting",
        "(id, path) WHERE folder_level NOT IN ('read', 'write', 'manage')",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, definition) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON items {definition}"))
                .await?;
        }
        if db.get_database_backend() == DatabaseBackend::Postgres {
            // The planner learns that the indexes are small before the first search.
            db.execute_unprepared("ANALYZE items").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
