//! Time budgets for reads whose cost depends on what is asked (a search's words): the database
//! itself stops their statements once they have run past the budget — PostgreSQL by
//! `statement_timeout`, SQLite by a progress handler every connection is given when it opens —
//! so the work ends even when its caller has already gone. A stopped statement is
//! `PayloadTooLarge` (`error.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, SqliteConnection};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement};

use crate::error::{AppError, AppResult};

/// How many SQLite virtual-machine steps run between two looks at a connection's clock.
const STEPS_BETWEEN_LOOKS: i32 = 1_000;

/// When the statement on one SQLite connection must stop: never, unless a budget runs.
struct Clock {
    origin: Instant,
    /// Nanoseconds after `origin`; `u64::MAX` while no budget runs.
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
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    fn start(&self, budget: Duration) {
        let budget = u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX);
        let deadline = self.now().saturating_add(budget).min(Self::NEVER - 1);
        self.deadline.store(deadline, Ordering::Relaxed);
    }

    fn stop(&self) {
        self.deadline.store(Self::NEVER, Ordering::Relaxed);
    }
}

/// The clocks of the open SQLite connections, by the number each connection's
/// `temp.quire_connection` view gives.
fn clocks() -> &'static Mutex<HashMap<i64, Weak<Clock>>> {
    static CLOCKS: OnceLock<Mutex<HashMap<i64, Weak<Clock>>>> = OnceLock::new();
    CLOCKS.get_or_init(Default::default)
}

/// Gives a new SQLite connection its clock: a progress handler that stops the running
/// statement once a budget has run out, and a temporary view with the clock's number, by which
/// a transaction finds the clock of the connection it runs on.
pub(super) async fn give_clock(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    static NUMBERS: AtomicI64 = AtomicI64::new(1);
    let number = NUMBERS.fetch_add(1, Ordering::Relaxed);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP VIEW quire_connection AS SELECT {number} AS number"
    )))
    .execute(&mut *conn)
    .await?;
    let clock = Arc::new(Clock {
        origin: Instant::now(),
        deadline: AtomicU64::new(Clock::NEVER),
    });
    register(number, &clock);
    conn.lock_handle()
        .await?
        .set_progress_handler(STEPS_BETWEEN_LOOKS, move || clock.allows());
    Ok(())
}

/// Keeps `clock` findable by `number`, forgetting the clocks of closed connections.
fn register(number: i64, clock: &Arc<Clock>) {
    let mut clocks = clocks()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    clocks.retain(|_, clock| clock.strong_count() > 0);
    clocks.insert(number, Arc::downgrade(clock));
}

/// A budget running on a transaction's statements (on PostgreSQL each statement has the whole
/// budget, on SQLite all of them share it). It stops when dropped, which must be before the
/// transaction ends: declare it after the transaction.
pub(crate) struct Running(Option<Arc<Clock>>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(clock) = &self.0 {
            clock.stop();
        }
    }
}

/// Starts `budget` on the statements `txn` runs next.
pub(crate) async fn start(txn: &DatabaseTransaction, budget: Duration) -> AppResult<Running> {
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let millis = budget.as_millis().max(1);
        txn.execute_unprepared(&format!("SET LOCAL statement_timeout = {millis}"))
            .await?;
        return Ok(Running(None));
    }
    let number: i64 = txn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT number FROM temp.quire_connection",
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a connection without its clock")))?
        .try_get("", "number")?;
    let clock = clocks()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&number)
        .and_then(Weak::upgrade)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("connection {number} lost its clock")))?;
    clock.start(budget);
    Ok(Running(Some(clock)))
}
