//! Whether a logged change's item was seen from its folder before the change (its `folder`
//! entry above `none`): only then are the folder's readers told that it left their sight.
//! Changes logged before carry `false`: their removals reach only who lost an entry.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Changes {
    Table,
    SeenFromParent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Changes::Table)
                    .add_column(
                        ColumnDef::new(Changes::SeenFromParent)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Changes::Table)
                    .drop_column(Changes::SeenFromParent)
                    .to_owned(),
            )
            .await
    }
}
