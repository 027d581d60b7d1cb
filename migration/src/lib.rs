//! Database migrations: frozen history, applied in order; never imports `entity`.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_drive;
mod m20261127_000002_public_link_lookup;
mod m20261127_000003_content;
mod m20261127_000004_chunked_uploads;
mod m20261201_000001_sizes_from_bytes;
mod m20261201_000002_upload_activity;
mod m20261201_000003_link_generations;
mod m20261201_000004_password_attempts;
mod m20261202_000001_revisions;
mod m20261202_000002_change_sight;
mod m20261202_000003_search;
mod m20261203_000001_scope_indexes;
mod m20261203_000002_search_backfill;
mod m20261208_000001_children_in_name_order;

/// Every migration Quire knows, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_drive::Migration),
            Box::new(m20261127_000002_public_link_lookup::Migration),
            Box::new(m20261127_000003_content::Migration),
            Box::new(m20261127_000004_chunked_uploads::Migration),
            Box::new(m20261201_000001_sizes_from_bytes::Migration),
            Box::new(m20261201_000002_upload_activity::Migration),
            Box::new(m20261201_000003_link_generations::Migration),
            Box::new(m20261201_000004_password_attempts::Migration),
            Box::new(m20261202_000001_revisions::Migration),
            Box::new(m20261202_000002_change_sight::Migration),
            Box::new(m20261202_000003_search::Migration),
            Box::new(m20261203_000001_scope_indexes::Migration),
            Box::new(m20261203_000002_search_backfill::Migration),
            Box::new(m20261208_000001_children_in_name_order::Migration),
        ]
    }
}
