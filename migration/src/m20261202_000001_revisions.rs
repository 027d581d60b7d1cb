//! Revisions: every item carries the company revision of its last change, and each company
//! counts its revisions. Items stored before carry revision 1; a company's first change is 2.

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
