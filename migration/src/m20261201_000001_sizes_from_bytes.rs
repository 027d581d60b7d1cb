//! Sizes come from stored bytes only: every size recomputed from them (a client-chosen size
//! could overflow folder sizes, and SQLite then stored REAL values no listing could read),
//! and the database refuses negative or non-integer sizes from now on.

use std::collections::HashMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The size columns, by table.
const SIZES: [(&str, &str); 6] = [
    ("items", "size"),
    ("versions", "size"),
    ("blobs", "size"),
    ("files", "size"),
    ("uploads", "total_size"),
    ("upload_chunks", "size"),
];

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    Size,
}

/// One item as the recomputation needs it.
struct Row {
    id: Uuid,
    path: String,
    is_directory: bool,
    is_in_trash: bool,
    size: i64,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // A version's size is its stored bytes' size; one without stored bytes has none.
        db.execute_unprepared(
            "UPDATE versions SET size = COALESCE((SELECT b.size FROM blobs b \
             WHERE b.company_id = versions.company_id AND b.sha256 = versions.sha256), 0)",
        )
        .await?;
        // A file's size is its latest version's.
        db.execute_unprepared(
            "UPDATE items SET size = COALESCE((SELECT v.size FROM versions v \
             WHERE v.id = items.last_version_id), 0) WHERE NOT is_directory",
        )
        .await?;
        recompute_folder_sizes(manager).await?;
        for (table, column) in SIZES {
            match manager.get_database_backend() {
                DatabaseBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_checked CHECK ({column} >= 0)"
                    ))
                    .await?;
                }
                _ => {
                    for (when, event) in [
                        ("insert", "INSERT"),
                        ("update", &format!("UPDATE OF {column}")),
                    ] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_{column}_checked_{when} BEFORE {event} ON {table} \
                             WHEN typeof(NEW.{column}) <> 'integer' OR NEW.{column} < 0 \
                             BEGIN SELECT RAISE(ABORT, '{table}.{column} must be a non-negative integer'); END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in SIZES {
            match manager.get_database_backend() {
                DatabaseBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_checked"
                    ))
                    .await?;
                }
                _ => {
                    for when in ["insert", "update"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER {table}_{column}_checked_{when}"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Sets every folder's size to what it counts: the files under it outside the trash, each
/// counted up to and including its first trashed folder (as the service keeps them).
async fn recompute_folder_sizes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Statement::from_string(
        manager.get_database_backend(),
        "SELECT id, company_id, path, is_directory, is_in_trash, CAST(size AS BIGINT) AS size FROM items",
    );
    let mut by_company: HashMap<Uuid, Vec<Row>> = HashMap::new();
    for result in db.query_all_raw(select).await? {
        by_company
            .entry(result.try_get("", "company_id")?)
            .or_default()
            .push(Row {
                id: result.try_get("", "id")?,
                path: result.try_get("", "path")?,
                is_directory: result.try_get("", "is_directory")?,
                is_in_trash: result.try_get("", "is_in_trash")?,
                size: result.try_get::<Option<i64>>("", "size")?.unwrap_or(0),
            });
    }
    for rows in by_company.values() {
        let trashed: HashMap<Uuid, bool> = rows.iter().map(|r| (r.id, r.is_in_trash)).collect();
        let mut sizes: HashMap<Uuid, i64> = rows
            .iter()
            .filter(|r| r.is_directory)
            .map(|r| (r.id, 0))
            .collect();
        for file in rows.iter().filter(|r| !r.is_directory && !r.is_in_trash) {
            let ancestors = file
                .path
                .split('/')
                .filter_map(|s| Uuid::parse_str(s).ok())
                .rev();
            for folder in ancestors {
                if let Some(size) = sizes.get_mut(&folder) {
                    *size = size.saturating_add(file.size);
                }
                if trashed.get(&folder).copied().unwrap_or(false) {
                    break;
                }
            }
        }
        for row in rows.iter().filter(|r| r.is_directory) {
            let size = sizes.get(&row.id).copied().unwrap_or(0);
            if size != row.size {
                manager
                    .exec_stmt(
                        Query::update()
                            .table(Items::Table)
                            .value(Items::Size, size)
                            .and_where(Expr::col(Items::Id).eq(row.id))
                            .to_owned(),
                    )
                    .await?;
            }
        }
    }
    Ok(())
}
