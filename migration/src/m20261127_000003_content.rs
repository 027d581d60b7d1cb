//! File content: content-addressed blobs with reference counts, and uploaded files.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Id,
    CompanyId,
    Sha256,
    Size,
    Refs,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    CompanyId,
    Owner,
    Name,
    Mime,
    Size,
    Sha256,
    HoldsRef,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Blobs::Table)
                    .col(ColumnDef::new(Blobs::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Blobs::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Blobs::Sha256).string().not_null())
                    .col(ColumnDef::new(Blobs::Size).big_integer().not_null())
                    .col(ColumnDef::new(Blobs::Refs).big_integer().not_null())
                    .col(ColumnDef::new(Blobs::Key).string().not_null())
                    .col(ColumnDef::new(Blobs::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // One blob per content per company: identical uploads share it.
        manager
            .create_index(
                Index::create()
                    .name("blobs_by_content")
                    .table(Blobs::Table)
                    .col(Blobs::CompanyId)
                    .col(Blobs::Sha256)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("blobs_by_key")
                    .table(Blobs::Table)
                    .col(Blobs::Key)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(ColumnDef::new(Files::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Files::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Files::Owner).string().not_null())
                    .col(ColumnDef::new(Files::Name).string().not_null())
                    .col(ColumnDef::new(Files::Mime).string().not_null())
                    .col(ColumnDef::new(Files::Size).big_integer().not_null())
                    .col(ColumnDef::new(Files::Sha256).string().not_null())
                    .col(ColumnDef::new(Files::HoldsRef).boolean().not_null())
                    .col(ColumnDef::new(Files::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Files::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Blobs::Table).to_owned())
            .await
    }
}
