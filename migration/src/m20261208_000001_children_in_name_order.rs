//! An index in the order a folder's page of children is read by default (folders first, then
//! by name and id), so that a page reads its rows in order instead of sorting every child of
//! its folder: the first page of a folder of 100,000 files took 262 ms on PostgreSQL, of
//! which the sort was all but the count (BENCHMARKS.md, issue 14).
//!
//! The children indexes of the first migration serve the descending orders (read backwards),
//! not this one: folders first is descending on `is_directory`, and the name ascending.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "items_children_in_name_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON items (company_id, parent_id, is_directory DESC, sort_name, id)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX {NAME}"))
            .await?;
        Ok(())
    }
}
