//! For the service's own tests on PostgreSQL: the database `QUIRE_TEST_POSTGRES_URL` names (as
//! in CI), and what a connection's settings are.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// The test database opened with the service's options, or `None` (said on stderr) when no
/// URL is set.
pub(super) async fn connect() -> Option<DatabaseConnection> {
    let Ok(url) = std::env::var("QUIRE_TEST_POSTGRES_URL") else {
        eprintln!("QUIRE_TEST_POSTGRES_URL unset: PostgreSQL not tested");
        return None;
    };
    Some(
        sea_orm::Database::connect(super::connect_options(&url))
            .await
            .unwrap(),
    )
}

/// The setting `name` in force on `db` (a pool's connection, or a transaction).
pub(super) async fn setting(db: &impl ConnectionTrait, name: &str) -> String {
    db.query_one_raw(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("SELECT current_setting('{name}') AS value"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get::<String>("", "value")
    .unwrap()
}
