//! How far the walk that indexes the items stored before search has got: one row, so a server
//! walks them once, resuming where a stop left it, instead of reading every item at each start.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchBackfill {
    Table,
    Id,
    WalkedTo,
    Done,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchBackfill::Table)
                    .col(
                        ColumnDef::new(SearchBackfill::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SearchBackfill::WalkedTo).uuid().null())
                    .col(
                        ColumnDef::new(SearchBackfill::Done)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(SearchBackfill::Table)
                    .columns([SearchBackfill::Id, SearchBackfill::Done])
                    .values_panic([1.into(), false.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchBackfill::Table).to_owned())
            .await
    }
}
