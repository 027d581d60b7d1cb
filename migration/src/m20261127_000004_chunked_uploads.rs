//! Chunked (Resumable.js) uploads: a pending upload and the chunks received so far.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    CompanyId,
    Owner,
    Name,
    Mime,
    TotalSize,
    TotalChunks,
    State,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UploadChunks {
    Table,
    UploadId,
    Number,
    Size,
    Key,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .col(ColumnDef::new(Uploads::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Uploads::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Uploads::Owner).string().not_null())
                    .col(ColumnDef::new(Uploads::Name).string().not_null())
                    .col(ColumnDef::new(Uploads::Mime).string().not_null())
                    .col(ColumnDef::new(Uploads::TotalSize).big_integer().not_null())
                    .col(ColumnDef::new(Uploads::TotalChunks).integer().not_null())
                    .col(ColumnDef::new(Uploads::State).string().not_null())
                    .col(ColumnDef::new(Uploads::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UploadChunks::Table)
                    .col(ColumnDef::new(UploadChunks::UploadId).uuid().not_null())
                    .col(ColumnDef::new(UploadChunks::Number).integer().not_null())
                    .col(ColumnDef::new(UploadChunks::Size).big_integer().not_null())
                    .col(ColumnDef::new(UploadChunks::Key).string().not_null())
                    .primary_key(
                        Index::create()
                            .col(UploadChunks::UploadId)
                            .col(UploadChunks::Number),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UploadChunks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Uploads::Table).to_owned())
            .await
    }
}
