//! The drive's first schema: items, their grants, versions, tabs and known users.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    CompanyId,
    ParentId,
    Drive,
    Path,
    Name,
    SortName,
    Extension,
    Description,
    Tags,
    IsDirectory,
    IsInTrash,
    Creator,
    Added,
    LastModified,
    Size,
    FolderLevel,
    PublicToken,
    PublicLevel,
    PublicPasswordHash,
    PublicExpiration,
    LastVersionId,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    CompanyId,
    ItemId,
    Kind,
    Subject,
    Level,
    Grantor,
}

#[derive(DeriveIden)]
enum Versions {
    Table,
    Id,
    ItemId,
    CompanyId,
    Provider,
    FileName,
    Mime,
    Size,
    Sha256,
    ExternalId,
    Creator,
    ApplicationId,
    DateAdded,
}

#[derive(DeriveIden)]
enum Tabs {
    Table,
    CompanyId,
    TabId,
    ChannelId,
    ItemId,
    Level,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    Email,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Subtree queries compare `path` as a byte range; PostgreSQL needs the C collation for that.
        let mut path = ColumnDef::new(Items::Path);
        path.string().not_null();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            path.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .col(ColumnDef::new(Items::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Items::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Items::ParentId).string().not_null())
                    .col(ColumnDef::new(Items::Drive).string().not_null())
                    .col(&mut path)
                    .col(ColumnDef::new(Items::Name).string().not_null())
                    .col(ColumnDef::new(Items::SortName).string().not_null())
                    .col(ColumnDef::new(Items::Extension).string().not_null())
                    .col(ColumnDef::new(Items::Description).text().not_null())
                    .col(ColumnDef::new(Items::Tags).json().not_null())
                    .col(ColumnDef::new(Items::IsDirectory).boolean().not_null())
                    .col(ColumnDef::new(Items::IsInTrash).boolean().not_null())
                    .col(ColumnDef::new(Items::Creator).string().not_null())
                    .col(ColumnDef::new(Items::Added).big_integer().not_null())
                    .col(ColumnDef::new(Items::LastModified).big_integer().not_null())
                    .col(ColumnDef::new(Items::Size).big_integer().not_null())
                    .col(ColumnDef::new(Items::FolderLevel).string().not_null())
                    .col(ColumnDef::new(Items::PublicToken).string().null())
                    .col(ColumnDef::new(Items::PublicLevel).string().not_null())
                    .col(ColumnDef::new(Items::PublicPasswordHash).string().null())
                    .col(
                        ColumnDef::new(Items::PublicExpiration)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Items::LastVersionId).uuid().null())
                    .to_owned(),
            )
            .await?;
        // One name per kind per folder (trashed siblings included): the collision rule's guard.
        manager
            .create_index(
                Index::create()
                    .name("items_unique_name")
                    .table(Items::Table)
                    .col(Items::CompanyId)
                    .col(Items::ParentId)
                    .col(Items::IsDirectory)
                    .col(Items::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, sort) in [
            ("items_children_by_name", Items::SortName),
            ("items_children_by_date", Items::LastModified),
            ("items_children_by_size", Items::Size),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Items::Table)
                        .col(Items::CompanyId)
                        .col(Items::ParentId)
                        .col(Items::IsDirectory)
                        .col(sort)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("items_trash")
                    .table(Items::Table)
                    .col(Items::CompanyId)
                    .col(Items::IsInTrash)
                    .col(Items::Drive)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("items_subtree")
                    .table(Items::Table)
                    .col(Items::CompanyId)
                    .col(Items::Path)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(ColumnDef::new(Grants::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Grants::ItemId).uuid().not_null())
                    .col(ColumnDef::new(Grants::Kind).string().not_null())
                    .col(ColumnDef::new(Grants::Subject).string().not_null())
                    .col(ColumnDef::new(Grants::Level).string().not_null())
                    .col(ColumnDef::new(Grants::Grantor).string().null())
                    .primary_key(
                        Index::create()
                            .col(Grants::CompanyId)
                            .col(Grants::ItemId)
                            .col(Grants::Kind)
                            .col(Grants::Subject),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grants_by_subject")
                    .table(Grants::Table)
                    .col(Grants::CompanyId)
                    .col(Grants::Kind)
                    .col(Grants::Subject)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Versions::Table)
                    .col(ColumnDef::new(Versions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Versions::ItemId).uuid().not_null())
                    .col(ColumnDef::new(Versions::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Versions::Provider).string().not_null())
                    .col(ColumnDef::new(Versions::FileName).string().not_null())
                    .col(ColumnDef::new(Versions::Mime).string().not_null())
                    .col(ColumnDef::new(Versions::Size).big_integer().not_null())
                    .col(ColumnDef::new(Versions::Sha256).string().null())
                    .col(ColumnDef::new(Versions::ExternalId).string().null())
                    .col(ColumnDef::new(Versions::Creator).string().not_null())
                    .col(ColumnDef::new(Versions::ApplicationId).string().not_null())
                    .col(ColumnDef::new(Versions::DateAdded).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("versions_by_item")
                    .table(Versions::Table)
                    .col(Versions::ItemId)
                    .col(Versions::DateAdded)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tabs::Table)
                    .col(ColumnDef::new(Tabs::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Tabs::TabId).string().not_null())
                    .col(ColumnDef::new(Tabs::ChannelId).string().not_null())
                    .col(ColumnDef::new(Tabs::ItemId).uuid().not_null())
                    .col(ColumnDef::new(Tabs::Level).string().not_null())
                    .primary_key(Index::create().col(Tabs::CompanyId).col(Tabs::TabId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Users::Name).string().null())
                    .col(ColumnDef::new(Users::Email).string().null())
                    .col(ColumnDef::new(Users::SeenAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Users::Table.into_iden(),
            Tabs::Table.into_iden(),
            Versions::Table.into_iden(),
            Grants::Table.into_iden(),
            Items::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
