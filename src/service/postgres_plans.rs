//! PostgreSQL's plans for the keyed reads (items by id with the folders above them and their
//! entries, a folder's page of children, versions, users): a pool of their own, whose
//! connections keep one generic plan per statement.
//!
//! PostgreSQL plans a prepared statement again on every execution while its generic plan looks
//! dearer than the plans made for the values bound. A page of children in a company that is
//! small beside another is estimated at one row for its values and at nine for a generic
//! company, so it was planned on every call: ~0.5 ms of PostgreSQL's CPU per `BrowseFolder`,
//! as much as running it (BENCHMARKS.md, issue 14). These reads find their rows by equality on
//! the leading columns of an index (a page's cursor and the viewer's entries only narrow what
//! that finds), so the values bound do not change which plan is best; the reads whose plans do
//! depend on them (a search's words, the entries one user holds across a company, a trash's
//! drive) stay on the main pool and its custom plans.

use sea_orm::sqlx::postgres::PgPool;
use sea_orm::{DatabaseBackend, DatabaseConnection, SqlxPostgresConnector};

/// The connection the keyed reads use: on PostgreSQL a pool beside `db`'s, half its size (8
/// beside 16), with its settings, whose connections are opened as `db`'s are but with generic
/// plans, each on first use and then kept; elsewhere `db` itself.
pub(super) fn keyed_reads(db: &DatabaseConnection) -> DatabaseConnection {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return db.clone();
    }
    let main: &PgPool = db.get_postgres_connection_pool();
    let options = (*main.connect_options())
        .clone()
        .options([("plan_cache_mode", "force_generic_plan")]);
    let size = (main.options().get_max_connections() / 2).max(1);
    let pool = main
        .options()
        .clone()
        .max_connections(size)
        .min_connections(size)
        .connect_lazy_with(options);
    SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
}

#[cfg(test)]
mod tests {
    use crate::service::test_postgres::{self, setting};

    /// On PostgreSQL (where `QUIRE_TEST_POSTGRES_URL` names one, as in CI): the keyed reads
    /// plan once and are opened as the main pool's connections are; the main pool's plans are
    /// left to PostgreSQL.
    #[tokio::test]
    async fn keyed_reads_keep_generic_plans_and_the_main_pool_does_not() {
        let Some(db) = test_postgres::connect().await else {
            return;
        };
        let keyed = super::keyed_reads(&db);
        assert_eq!(
            setting(&keyed, "plan_cache_mode").await,
            "force_generic_plan"
        );
        assert_eq!(setting(&db, "plan_cache_mode").await, "auto");
        for pool in [&db, &keyed] {
            assert_eq!(setting(pool, "jit").await, "off");
        }
        let (keyed, main) = (
            keyed.get_postgres_connection_pool().options(),
            db.get_postgres_connection_pool().options(),
        );
        assert_eq!(keyed.get_max_connections(), 8);
        assert_eq!(keyed.get_idle_timeout(), main.get_idle_timeout());
    }
}
