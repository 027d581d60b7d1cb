//! Time budgets for reads whose cost depends on what is asked (a search's words): the database
//! itself stops their statements once they have run past the budget — PostgreSQL by
//! `statement_timeout`, SQLite by a progress handler every connection is given when it opens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, SqliteConnection};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Statement,
    TransactionTrait,
};

use crate::error::{AppError, AppResult};

/// How many SQLite virtual-machine steps run between two looks at a connection's clock.
const STEPS_BETWEEN_LOOKS: i32 = 1_000;

/// When the statement on one SQLite connection must stop: never, unless a budget runs.
struct Clock {
    origin: Instant,
    /// Nanoseconds after `origin`; `NEVER` while no budget runs.
    deadline: AtomicU64,
}

impl Clock {
    const NEVER: u64 = u64::MAX;

    /// Whether the statement may go on (the progress handler's answer).
    fn allows(&self) -> bool {
        let deadline = self.deadline.load(Ordering::Relaxed);
        deadline == Self::NEVER || self.now() < deadline
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(Self::NEVER - 1)
    }

    fn start(&self, budget: Duration) {
        let budget = u64::try_from(budget.as_nanos()).unwrap_or(Self::NEVER);
        let deadline = self.now().saturating_add(budget).min(Self::NEVER - 1);
        self.deadline.store(deadline, Ordering::Relaxed);
    }

    fn stop(&self) {
        self.deadline.store(Self::NEVER, Ordering::Relaxed);
    }
}

/// The clocks of the open SQLite connections, by their connection's handle, which each
/// connection's `temp.quire_connection` view also gives. A clock lives as long as its
/// connection's progress handler, so an address is never a closed connection's.
fn clocks() -> std::sync::MutexGuard<'static, HashMap<i64, Weak<Clock>>> {
    static CLOCKS: OnceLock<Mutex<HashMap<i64, Weak<Clock>>>> = OnceLock::new();
    CLOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives a new SQLite connection its clock: a progress handler that stops the running
/// statement once a budget has run out, a rollback hook that ends the budget of a transaction
/// dropped unfinished (its rollback runs after the statement it left, so that statement is
/// stopped at the deadline all the same), and a temporary view with the clock's key, by which
/// a transaction finds the clock of the connection it runs on.
pub(super) async fn give_clock(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let clock = Arc::new(Clock {
        origin: Instant::now(),
        deadline: AtomicU64::new(Clock::NEVER),
    });
    let mut handle = conn.lock_handle().await?;
    let key = handle.as_raw_handle().as_ptr() as usize as i64;
    let (looked_at, rolled_back) = (clock.clone(), clock.clone());
    handle.set_progress_handler(STEPS_BETWEEN_LOOKS, move || looked_at.allows());
    handle.set_rollback_hook(move || rolled_back.stop());
    drop(handle);
    {
        let mut clocks = clocks();
        clocks.retain(|_, clock| clock.strong_count() > 0);
        clocks.insert(key, Arc::downgrade(&clock));
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP VIEW quire_connection AS SELECT {key} AS clock"
    )))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A read-only transaction whose statements stop once they have run `budget`: on PostgreSQL
/// each statement has the whole budget, on SQLite all of them share it.
pub(crate) struct Budgeted {
    txn: DatabaseTransaction,
    /// The SQLite connection's clock, running.
    clock: Option<Arc<Clock>>,
}

impl Budgeted {
    pub(crate) async fn begin(db: &DatabaseConnection, budget: Duration) -> AppResult<Self> {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            // Both settings in one round trip (`begin_with_config` would spend one on
            // `SET TRANSACTION` alone).
            let txn = db.begin().await?;
            let millis = budget.as_millis().max(1);
            txn.execute_unprepared(&format!(
                "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {millis}"
            ))
            .await?;
            return Ok(Self { txn, clock: None });
        }
        let txn = db.begin().await?;
        let key: i64 = txn
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT clock FROM temp.quire_connection",
            ))
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("a connection without its clock")))?
            .try_get("", "clock")?;
        let clock = clocks()
            .get(&key)
            .and_then(Weak::upgrade)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("a connection lost its clock")))?;
        clock.start(budget);
        Ok(Self {
            txn,
            clock: Some(clock),
        })
    }

    pub(crate) fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Stops the budget and ends the transaction.
    pub(crate) async fn end(self) -> AppResult<()> {
        if let Some(clock) = &self.clock {
            clock.stop();
        }
        self.txn.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_postgres::{self, setting};

    /// A statement that never ends unless stopped.
    const ENDLESS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                           SELECT count(*) FROM n";
    /// A statement of far more steps than `STEPS_BETWEEN_LOOKS`, that ends.
    const LONG: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                        WHERE i < 100000) SELECT count(*) FROM n";

    async fn sqlite() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = sea_orm::Database::connect(super::super::connect_options(&url))
            .await
            .unwrap();
        (dir, db)
    }

    /// Every connection of the pool at once, each running `LONG`: none has a budget left.
    async fn every_connection_is_free(db: &DatabaseConnection) {
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(db.begin().await.unwrap());
        }
        for txn in &held {
            txn.execute_unprepared(LONG).await.expect("no budget left");
        }
    }

    #[tokio::test]
    async fn a_statement_past_its_budget_is_stopped_and_the_connection_freed() {
        let (_dir, db) = sqlite().await;
        let read = Budgeted::begin(&db, Duration::from_millis(50))
            .await
            .unwrap();
        let err = AppError::from(read.txn().execute_unprepared(ENDLESS).await.unwrap_err());
        assert!(err.ran_out_of_time(), "{err:?}");
        read.end().await.unwrap();
        every_connection_is_free(&db).await;
    }

    /// On PostgreSQL (where `QUIRE_TEST_POSTGRES_URL` names one, as in CI): the transaction is
    /// read-only and each statement has the budget.
    #[tokio::test]
    async fn a_postgres_budget_is_a_read_only_transaction_with_a_statement_timeout() {
        let Some(db) = test_postgres::connect().await else {
            return;
        };
        let read = Budgeted::begin(&db, Duration::from_millis(50))
            .await
            .unwrap();
        let txn = read.txn();
        assert_eq!(setting(txn, "transaction_read_only").await, "on");
        assert_eq!(setting(txn, "statement_timeout").await, "50ms");
        let err = AppError::from(read.txn().execute_unprepared(ENDLESS).await.unwrap_err());
        assert!(err.ran_out_of_time(), "{err:?}");
        read.end().await.unwrap();
    }

    #[tokio::test]
    async fn a_budget_dropped_unfinished_still_stops_its_statement() {
        let (_dir, db) = sqlite().await;
        let read = Budgeted::begin(&db, Duration::from_millis(200))
            .await
            .unwrap();
        // Given up after 20 ms, mid-statement: without its clock the statement runs forever
        // and its connection never comes back.
        let given_up = tokio::time::timeout(
            Duration::from_millis(20),
            read.txn().execute_unprepared(ENDLESS),
        )
        .await;
        assert!(given_up.is_err());
        drop(read);
        tokio::time::timeout(Duration::from_secs(20), every_connection_is_free(&db))
            .await
            .expect("the given-up statement stopped at its budget");
    }
}
