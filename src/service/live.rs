//! Live changes: one tail per followed company reads the new entries of its log once when
//! woken and hands each batch to every follower. Writers wake it when they commit: in
//! process, and on PostgreSQL through `NOTIFY`, which reaches every replica's tails. The log
//! stays the truth: a wake-up carries nothing, a lost one is made up by the tail's own read
//! every `IDLE_LOOK` × `READS_UNWOKEN` (and on PostgreSQL the listener wakes every tail when
//! it reconnects), and a follower that falls behind is dropped, to resume from its cursor.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use entity::change;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use super::Service;
use super::feed::{self, MAX_WINDOW, Sight, counter, cursor_of};
use crate::domain::{ChangeCursor, CompanyId};
use crate::error::AppResult;

/// The PostgreSQL channel writers notify, with the company as the payload.
const CHANNEL: &str = "quire_changes";

/// How often an unwoken tail looks whether anyone still follows it, and reads again after a
/// read that failed.
const IDLE_LOOK: Duration = Duration::from_secs(5);

/// Every how many idle looks an unwoken tail reads its log anyway (a notification lost).
const READS_UNWOKEN: u32 = 6;

/// Log entries committed together, in log order, as a tail read them; and what showing them
/// needs (`Service::sight`), read by the tail once for all its followers.
pub(crate) struct Batch {
    pub rows: Vec<change::Model>,
    pub sight: Sight,
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

    /// How many batches a follower may fall behind.
    pub(super) fn buffer(&self) -> usize {
        self.hub.buffer
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

    /// Tells other replicas' tails that `company`'s log grew, after the commit (`NOTIFY`
    /// inside the transaction would take PostgreSQL's database-wide notify lock at every
    /// commit). A failure is logged, not returned: the write is done, and a lost
    /// notification is made up by the tails' own read.
    pub(super) async fn notify_replicas(&self, company: Uuid) {
        if self.hub.db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let notify = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), company.to_string().into()],
        );
        if let Err(err) = self.hub.db.execute_raw(notify).await {
            tracing::warn!(error = ?err, %company, "telling other replicas of a change failed");
        }
    }

    /// Batches of `company`'s log committed after this call returns, as they commit. What
    /// committed before it is the feed's to read. A receiver more than the buffer behind
    /// gets `Lagged`.
    pub(super) async fn follow(
        &self,
        company: Uuid,
        service: &Service,
    ) -> AppResult<broadcast::Receiver<Arc<Batch>>> {
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
        tokio::spawn(self.clone().run_tail(
            service.clone(),
            company,
            tail,
            ChangeCursor::after_revision(head),
        ));
        Ok(receiver)
    }

    /// Reads the log after `cursor` each time it is woken, until no one follows it.
    async fn run_tail(
        self,
        service: Service,
        company: Uuid,
        tail: Arc<Tail>,
        mut cursor: ChangeCursor,
    ) {
        let (mut failed, mut idle) = (false, 0);
        loop {
            let woken = tokio::time::timeout(IDLE_LOOK, tail.wake.notified())
                .await
                .is_ok();
            idle = if woken { 0 } else { idle + 1 };
            {
                let mut tails = self.hub.tails();
                if tail.batches.receiver_count() == 0 {
                    tails.remove(&company);
                    return;
                }
            }
            if !(woken || failed || idle % READS_UNWOKEN == 0) {
                continue;
            }
            failed = false;
            loop {
                let read = async {
                    let rows = feed::read_after(&self.hub.db, company, cursor, MAX_WINDOW).await?;
                    if rows.is_empty() {
                        return Ok(None);
                    }
                    let sight = service.sight(CompanyId(company), &rows).await?;
                    AppResult::Ok(Some(Batch { rows, sight }))
                };
                match read.await {
                    Ok(None) => break,
                    Ok(Some(batch)) => {
                        cursor = cursor_of(batch.rows.last().expect("not empty"));
                        let _ = tail.batches.send(Arc::new(batch));
                    }
                    Err(err) => {
                        tracing::warn!(error = ?err, %company, "the change tail could not read the log; it tries again");
                        failed = true;
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
