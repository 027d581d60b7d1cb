//! Search: each item's words in `search_documents` (names, descriptions and tags, and the
//! text extracted from its content), matched by SQLite FTS5 or PostgreSQL full-text search;
//! and on each version what extraction made of its content, which is also the queue of what
//! is left to extract.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Versions {
    Table,
    ContentKeywords,
    SearchStatus,
    SearchAttempts,
    SearchClaimedAt,
}

#[derive(DeriveIden)]
enum SearchDocuments {
    Table,
    DocId,
    ItemId,
    CompanyId,
    Meta,
    Body,
}

#[derive(DeriveIden, Clone, Copy)]
enum Items {
    Table,
    Id,
    CompanyId,
    Added,
    LastModified,
    SortName,
    Size,
}

/// The indexes of the orders a search without words reads a company in.
const SEARCH_ORDERS: [(&str, Items); 4] = [
    ("items_by_added", Items::Added),
    ("items_by_last_modified", Items::LastModified),
    ("items_by_sort_name", Items::SortName),
    ("items_by_size", Items::Size),
];

/// SQLite: the words in an FTS5 index kept in step with `search_documents` by triggers (the
/// external-content pattern of the FTS5 documentation).
const SQLITE_INDEX: [&str; 4] = [
    "CREATE VIRTUAL TABLE search_words USING fts5(meta, body, content='search_documents', \
     content_rowid='doc_id', tokenize='unicode61', prefix='2 3')",
    "CREATE TRIGGER search_documents_inserted AFTER INSERT ON search_documents BEGIN \
     INSERT INTO search_words(rowid, meta, body) VALUES (new.doc_id, new.meta, new.body); END",
    "CREATE TRIGGER search_documents_deleted AFTER DELETE ON search_documents BEGIN \
     INSERT INTO search_words(search_words, rowid, meta, body) \
     VALUES ('delete', old.doc_id, old.meta, old.body); END",
    "CREATE TRIGGER search_documents_updated AFTER UPDATE ON search_documents BEGIN \
     INSERT INTO search_words(search_words, rowid, meta, body) \
     VALUES ('delete', old.doc_id, old.meta, old.body); \
     INSERT INTO search_words(rowid, meta, body) VALUES (new.doc_id, new.meta, new.body); END",
];

/// PostgreSQL: the words as a generated `tsvector` (names, descriptions and tags weigh more
/// than content) under a GIN index.
const POSTGRES_INDEX: [&str; 2] = [
    "ALTER TABLE search_documents ADD COLUMN words tsvector GENERATED ALWAYS AS \
     (setweight(to_tsvector('simple', meta), 'A') || setweight(to_tsvector('simple', body), 'D')) STORED",
    "CREATE INDEX search_documents_words ON search_documents USING GIN (words)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            ColumnDef::new(Versions::ContentKeywords)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Versions::SearchStatus)
                .string()
                .not_null()
                .default("pending")
                .to_owned(),
            ColumnDef::new(Versions::SearchAttempts)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Versions::SearchClaimedAt)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Versions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX versions_to_extract ON versions (search_claimed_at) \
             WHERE search_status IN ('pending', 'running')",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchDocuments::Table)
                    .col(
                        ColumnDef::new(SearchDocuments::DocId)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SearchDocuments::ItemId)
                            .uuid()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(SearchDocuments::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(SearchDocuments::Meta).text().not_null())
                    .col(ColumnDef::new(SearchDocuments::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        let engine: &[&str] = match db.get_database_backend() {
            DatabaseBackend::Sqlite => &SQLITE_INDEX,
            _ => &POSTGRES_INDEX,
        };
        for statement in engine {
            db.execute_unprepared(statement).await?;
        }
        // Searches without words read a company's items in the order asked for, to the page's
        // end: each order's index holds the id that breaks its ties.
        for (name, column) in SEARCH_ORDERS {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Items::Table)
                        .col(Items::CompanyId)
                        .col(column)
                        .col(Items::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in SEARCH_ORDERS {
            manager
                .drop_index(Index::drop().name(name).table(Items::Table).to_owned())
                .await?;
        }
        if db.get_database_backend() == DatabaseBackend::Sqlite {
            db.execute_unprepared("DROP TABLE search_words").await?;
        }
        manager
            .drop_table(Table::drop().table(SearchDocuments::Table).to_owned())
            .await?;
        db.execute_unprepared("DROP INDEX versions_to_extract")
            .await?;
        for column in [
            Versions::ContentKeywords,
            Versions::SearchStatus,
            Versions::SearchAttempts,
            Versions::SearchClaimedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Versions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
