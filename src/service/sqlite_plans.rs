//! SQLite keeps each cached statement's plan: every connection opens with the query planner
//! stability guarantee on, so no plan depends on the values bound to it.
//!
//! Without it SQLite marks a statement whose plan read a bound value (a `LIMIT ?`, which every
//! page has; a comparison against a partial index's condition) and prepares it again each time
//! that parameter is bound, which sqlx does on every execution: the statement cache never
//! served a page, and a REST file read spent a seventh of its instructions preparing
//! (BENCHMARKS.md, issue 14). What the planner learns from `PRAGMA optimize` it still uses.

use std::ffi::c_int;

use sea_orm::sqlx::sqlite::LockedSqliteHandle;
use sea_orm::sqlx::{self, SqliteConnection};

/// Turns the guarantee on for `conn`.
pub(super) async fn keep_plans(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    match guarantee(&mut handle, 1) {
        (libsqlite3_sys::SQLITE_OK, 1) => Ok(()),
        (answer, _) => Err(sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee ({answer})").into(),
        )),
    }
}

/// Sets the guarantee of the connection `handle` locks (1 on, 0 off, negative: left as it
/// is); SQLite's answer and the setting in force after it.
fn guarantee(handle: &mut LockedSqliteHandle<'_>, setting: c_int) -> (c_int, c_int) {
    let mut enabled: c_int = -1;
    // SAFETY: the handle is its connection's open database, locked while it lives; the option
    // takes an int and a pointer to an int, which SQLite writes the setting in force into.
    let answer = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            setting,
            &mut enabled as *mut c_int,
        )
    };
    (answer, enabled)
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::sqlite::SqlitePoolOptions;

    use super::*;

    async fn keeps_plans(conn: &mut SqliteConnection) -> bool {
        guarantee(&mut conn.lock_handle().await.unwrap(), -1).1 == 1
    }

    /// Every connection the service's pool opens keeps its plans; a bare one does not.
    #[tokio::test]
    async fn every_pooled_connection_keeps_its_plans() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display());
        let bare = SqlitePoolOptions::new().connect(&url).await.unwrap();
        assert!(!keeps_plans(&mut bare.acquire().await.unwrap()).await);

        let db = crate::service::connect(&url).await.unwrap();
        let pool = db.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..pool.options().get_max_connections() {
            held.push(pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            assert!(keeps_plans(conn).await);
        }
    }
}
