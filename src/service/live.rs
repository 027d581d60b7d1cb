//! Live changes: one tail per followed company reads the new entries of its log once when
//! woken and hands each batch to every follower. Writers wake it when they commit: in
//! process, and on PostgreSQL through `NOTIFY`, which reaches every replica's tails. The log
//! stays the truth: a wake-up carries nothing, a lost one is made up by the next (or by the
//! tail's own look every `IDLE_LOOK`), and a follower that falls behind is dropped, to
//! resume from its cursor.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use entity::change;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use super::feed::{MAX_WINDOW, Sight, counter, cursor_of};
use crate::domain::{ChangeCursor, CompanyId};
use crate::error::AppResult;

/// The PostgreSQL channel writers notify, with the company as the payload.
const CHANNEL: &str = "quire_changes";

/// How often a tail looks at its log unwoken (a notification lost while the listener
/// reconnected), and whether anyone still follows it.
const IDLE_LOOK: Duration = Duration::from_secs(5);

/// Log entries committed together, in log order, as a tail read them; and what showing them
/// needs (`Service::sight`), read by the first follower that shows them, for all.
pub(crate) struct Batch {
    pub rows: Vec<change::Model>,
    pub sight: tokio::sync::OnceCell<Sight>,
}

/// The tails of this process, by company.
#[derive(Clone)]
pub struct Live {
    hub: Arc<Hub>,
}

struct Hub {
    db: DatabaseConnection,
    tails: Mutex<HashMap<Uuid, Arc<Tail>>>,
    /// How many batches a follower may fall behind before it is dropped.
    buffer: usize,
    listening: std::sync::Once,
}

struct Tail {
    wake: Notify,
    batches: broadcast::Sender<Arc<Batch>>,
}

impl Live {
    pub(super) fn new(db: DatabaseConnection, buffer: usize) -> Self {
        Self {
            hub: Arc::new(Hub {
                db,
                tails: Mutex::new(HashMap::new()),
                buffer: buffer.max(1),
                listening: std::sync::Once::new(),
            }),
        }
    }

    /// Tells this process's tail of `company` (and, on PostgreSQL, every replica's, through
    /// the transaction's `NOTIFY`) that its log grew.
    pub(super) fn wake(&self, company: Uuid) {
        if let Some(tail) = self.hub.tails().get(&company) {
            tail.wake.notify_one();
        }
    }

    fn wake_all(&self) {
        for tail in self.hub.tails().values() {
            tail.wake.notify_one();
        }
    }

    /// The statement a write runs in its transaction so that other replicas' tails wake when
    /// it commits (PostgreSQL delivers a notification at commit, never for a rollback).
    pub(super) fn notify_statement(&self, company: Uuid) -> Option<Statement> {
        (self.hub.db.get_database_backend() == DatabaseBackend::Postgres).then(|| {
            Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), company.to_string().into()],
            )
        })
    }

    /// Batches of `company`'s log committed after this call returns, as they commit. What
    /// committed before it is the feed's to read. A receiver more than the buffer behind
    /// gets `Lagged`.
    pub(super) async fn follow(&self, company: Uuid) -> AppResult<broadcast::Receiver<Arc<Batch>>> {
        if self.hub.db.get_database_backend() == DatabaseBackend::Postgres {
            self.hub.listening.call_once(|| {
                tokio::spawn(self.clone().listen());
            });
        }
        if let Some(tail) = self.hub.tails().get(&company) {
            return Ok(tail.batches.subscribe());
        }
        // A new tail reads after the head as it is now: what follows comes to its followers.
        let (head, _) = counter(&self.hub.db, CompanyId(company)).await?;
        let mut tails = self.hub.tails();
        if let Some(tail) = tails.get(&company) {
            // Another follower started one meanwhile: it has read nothing we missed.
            return Ok(tail.batches.subscribe());
        }
        let (batches, receiver) = broadcast::channel(self.hub.buffer);
        let tail = Arc::new(Tail {
            wake: Notify::new(),
            batches,
        });
        tails.insert(company, tail.clone());
        // Its first read is now: a commit between the head and here woke no one.
        tail.wake.notify_one();
        tokio::spawn(
            self.clone()
                .run_tail(company, tail, ChangeCursor::after_revision(head)),
        );
        Ok(receiver)
    }

    /// Reads the log after `cursor` each time it is woken, until no one follows it.
    async fn run_tail(self, company: Uuid, tail: Arc<Tail>, mut cursor: ChangeCursor) {
        loop {
            let _ = tokio::time::timeout(IDLE_LOOK, tail.wake.notified()).await;
            {
                let mut tails = self.hub.tails();
                if tail.batches.receiver_count() == 0 {
                    tails.remove(&company);
                    return;
                }
            }
            loop {
                match read_after(&self.hub.db, company, cursor, MAX_WINDOW).await {
                    Ok(rows) if rows.is_empty() => break,
                    Ok(rows) => {
                        cursor = cursor_of(rows.last().expect("not empty"));
                        let _ = tail.batches.send(Arc::new(Batch {
                            rows,
                            sight: tokio::sync::OnceCell::new(),
                        }));
                    }
                    Err(err) => {
                        tracing::warn!(error = ?err, %company, "the change tail could not read the log; it tries again");
                        break;
                    }
                }
            }
        }
    }

    /// Wakes this process's tails on every replica's commit: PostgreSQL's `LISTEN`, on a
    /// connection of its own, reconnecting (and waking every tail, as notifications may have
    /// been lost) when it drops.
    async fn listen(self) {
        loop {
            let pool = self.hub.db.get_postgres_connection_pool();
            let listener = async {
                let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                self.wake_all();
                loop {
                    match listener.try_recv().await? {
                        Some(notification) => {
                            if let Ok(company) = Uuid::parse_str(notification.payload()) {
                                self.wake(company);
                            }
                        }
                        // The connection dropped and came back: what was sent meanwhile is lost.
                        None => self.wake_all(),
                    }
                }
                #[allow(unreachable_code)]
                Ok::<(), sea_orm::sqlx::Error>(())
            };
            if let Err(err) = listener.await {
                tracing::warn!(error = ?err, "listening for other replicas' changes failed; again in a second");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

impl Hub {
    fn tails(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Tail>>> {
        self.tails.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Up to `limit` log entries of `company` after `cursor`, in log order.
pub(super) async fn read_after<C: ConnectionTrait>(
    db: &C,
    company: Uuid,
    cursor: ChangeCursor,
    limit: u64,
) -> AppResult<Vec<change::Model>> {
    Ok(change::Entity::find()
        .filter(change::Column::CompanyId.eq(company))
        .filter(
            Condition::any()
                .add(change::Column::Revision.gt(cursor.revision))
                .add(
                    Condition::all()
                        .add(change::Column::Revision.eq(cursor.revision))
                        .add(change::Column::Ordinal.gt(cursor.ordinal)),
                ),
        )
        .order_by_asc(change::Column::Revision)
        .order_by_asc(change::Column::Ordinal)
        .limit(limit)
        .all(db)
        .await?)
}
