//! Revisions and the change log: every item carries the company revision of its last change,
//! each company counts its revisions (and how far its log was pruned), and every change is
//! logged under the revision of the transaction that made it. Items stored before carry
//! revision 1; a company's first change is 2.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Items {
    Table,
    Revision,
}

#[derive(DeriveIden)]
enum CompanyRevisions {
    Table,
    CompanyId,
    Revision,
    PrunedThrough,
}

#[derive(DeriveIden)]
enum Changes {
    Table,
    CompanyId,
    Revision,
    Ordinal,
    Kind,
    ItemId,
    ParentBefore,
    PathBefore,
    ParentAfter,
    PathAfter,
    Revoked,
    Actor,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(
                        ColumnDef::new(Items::Revision)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CompanyRevisions::Table)
                    .col(
                        ColumnDef::new(CompanyRevisions::CompanyId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CompanyRevisions::Revision)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CompanyRevisions::PrunedThrough)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Changes::Table)
                    .col(ColumnDef::new(Changes::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Changes::Revision).big_integer().not_null())
                    .col(ColumnDef::new(Changes::Ordinal).integer().not_null())
                    .col(ColumnDef::new(Changes::Kind).string().not_null())
                    .col(ColumnDef::new(Changes::ItemId).uuid().not_null())
                    .col(ColumnDef::new(Changes::ParentBefore).string())
                    .col(ColumnDef::new(Changes::PathBefore).string())
                    .col(ColumnDef::new(Changes::ParentAfter).string())
                    .col(ColumnDef::new(Changes::PathAfter).string())
                    .col(ColumnDef::new(Changes::Revoked).json().not_null())
                    .col(ColumnDef::new(Changes::Actor).string().not_null())
                    .col(ColumnDef::new(Changes::At).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(Changes::CompanyId)
                            .col(Changes::Revision)
                            .col(Changes::Ordinal),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("changes_by_age")
                    .table(Changes::Table)
                    .col(Changes::At)
                    .to_owned(),
            )
            .await?;
        // The rows a write transaction changed carry revision 0 until it commits and stamps
        // them; this finds them without scanning the company.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX items_pending_revision ON items (company_id) WHERE revision = 0",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX items_pending_revision")
            .await?;
        manager
            .drop_table(Table::drop().table(Changes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CompanyRevisions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .drop_column(Items::Revision)
                    .to_owned(),
            )
            .await
    }
}
