//! Rate limits on public-link passwords, counted in the database (shared by replicas, kept
//! over restarts), one bucket per link and client address: someone else's wrong guesses never
//! delay a right password. An attempt reserves its bucket atomically before Argon2 runs, so
//! concurrent guesses cannot slip past; the first wrong guesses are free, then each waits
//! twice as long as the one before, up to 15 minutes.

use std::net::IpAddr;

use entity::password_attempt;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use super::Service;
use crate::domain::now_millis;
use crate::error::{AppError, AppResult};

/// Wrong guesses in a row a bucket may make without waiting.
const FREE_FAILURES: i64 = 5;
/// The longest wait between two guesses.
const MAX_DELAY_MS: i64 = 15 * 60 * 1000;
/// How long an attempt in flight holds its bucket at most (a crash lets go after this).
const IN_FLIGHT_MS: i64 = 10_000;
/// Buckets untouched this long are forgotten by the sweeper.
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The bucket of a link (by a hash of its token: no secret is stored) and a client: its IPv4
/// address, or its IPv6 /64 (one host's usual share of addresses).
pub(super) fn bucket(link: &str, client: Option<IpAddr>) -> String {
    let link = hex::encode(&Sha256::digest(link.as_bytes())[..16]);
    // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`: it is that IPv4.
    match client.map(|address| address.to_canonical()) {
        Some(IpAddr::V4(address)) => format!("{link}/{address}"),
        Some(IpAddr::V6(address)) => {
            let [a, b, c, d, ..] = address.segments();
            format!("{link}/{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        None => format!("{link}/unknown"),
    }
}

/// How long a bucket waits after its `failures`th wrong guess in a row.
fn delay_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    (1000i64 << doublings).min(MAX_DELAY_MS)
}

/// How long an attempt waits for another of its bucket's to finish (a page whose parallel
/// requests carry one right password).
const WAIT_FOR_TURN_MS: i64 = 5_000;

impl Service {
    /// Reserves the bucket's next attempt: waits while another attempt of the bucket is in
    /// flight and it has no wrong guesses to pay for; refuses (429, with the seconds to wait)
    /// a bucket that has.
    pub(super) async fn reserve_attempt(&self, bucket: &str) -> AppResult<()> {
        let started = now_millis();
        let mut pause = std::time::Duration::from_millis(25);
        let mut waiting = None;
        loop {
            match self.try_reserve(bucket).await? {
                None => return Ok(()),
                Some(row)
                    if row.failures < FREE_FAILURES
                        && now_millis() - started < WAIT_FOR_TURN_MS =>
                {
                    // Few wait at once, each asking less and less often: waiting must not
                    // cost the database more than the guesses it holds back.
                    if waiting.is_none() {
                        waiting = Some(self.attempt_waiters.clone().try_acquire_owned().map_err(
                            |_| {
                                AppError::TooManyRequests {
                                    message: "too many password attempts are waiting; retry in 1 s"
                                        .to_owned(),
                                    retry_after: 1,
                                }
                            },
                        )?);
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_millis(400));
                }
                Some(row) => {
                    let wait = (row.next_at - now_millis()).max(0) as u64;
                    let retry_after = wait.div_ceil(1000).max(1);
                    return Err(AppError::TooManyRequests {
                        message: format!(
                            "too many wrong passwords for this public link from here; retry in {retry_after} s"
                        ),
                        retry_after,
                    });
                }
            }
        }
    }

    /// Takes the bucket's turn if it is free: `None`, or the bucket as it stands.
    async fn try_reserve(&self, bucket: &str) -> AppResult<Option<password_attempt::Model>> {
        let now = now_millis();
        let txn = self.write().await?;
        password_attempt::Entity::insert(password_attempt::ActiveModel {
            bucket: Set(bucket.to_owned()),
            failures: Set(0),
            next_at: Set(0),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing_on([password_attempt::Column::Bucket])
        .exec(&*txn)
        .await?;
        let reserved = password_attempt::Entity::update_many()
            .col_expr(
                password_attempt::Column::NextAt,
                Expr::value(now + IN_FLIGHT_MS),
            )
            .col_expr(password_attempt::Column::UpdatedAt, Expr::value(now))
            .filter(password_attempt::Column::Bucket.eq(bucket))
            .filter(password_attempt::Column::NextAt.lte(now))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        let taken = match reserved {
            true => None,
            false => {
                password_attempt::Entity::find_by_id(bucket.to_owned())
                    .one(&*txn)
                    .await?
            }
        };
        txn.commit().await?;
        Ok(taken)
    }

    /// Settles a reserved attempt: a right password clears the bucket, a wrong one counts and
    /// sets how long the next must wait.
    pub(super) async fn settle_attempt(&self, bucket: &str, right: bool) -> AppResult<()> {
        let now = now_millis();
        let txn = self.write().await?;
        let failures = match right {
            true => 0,
            false => {
                password_attempt::Entity::find_by_id(bucket.to_owned())
                    .one(&*txn)
                    .await?
                    .map_or(0, |row| row.failures)
                    + 1
            }
        };
        password_attempt::Entity::update_many()
            .col_expr(password_attempt::Column::Failures, Expr::value(failures))
            .col_expr(
                password_attempt::Column::NextAt,
                Expr::value(now + delay_ms(failures)),
            )
            .col_expr(password_attempt::Column::UpdatedAt, Expr::value(now))
            .filter(password_attempt::Column::Bucket.eq(bucket))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Forgets buckets untouched for a day.
    pub(super) async fn forget_old_attempts(&self) -> AppResult<u64> {
        let txn = self.write().await?;
        let forgotten = password_attempt::Entity::delete_many()
            .filter(password_attempt::Column::UpdatedAt.lte(now_millis() - FORGET_AFTER_MS))
            .exec(&*txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_the_free_guesses_and_stop_at_fifteen_minutes() {
        assert_eq!(delay_ms(1), 0);
        assert_eq!(delay_ms(FREE_FAILURES - 1), 0);
        assert_eq!(delay_ms(FREE_FAILURES), 1000);
        assert_eq!(delay_ms(FREE_FAILURES + 3), 8000);
        assert_eq!(delay_ms(FREE_FAILURES + 40), MAX_DELAY_MS);
        assert_ne!(
            bucket("t", "1.2.3.4".parse().ok()),
            bucket("t", "1.2.3.5".parse().ok())
        );
        assert!(!bucket("secret-token", None).contains("secret"));
        let ipv6 = |s: &str| bucket("t", s.parse().ok());
        assert_eq!(
            ipv6("2001:db8:1:2::1"),
            ipv6("2001:db8:1:2:ffff::9"),
            "one /64, one bucket"
        );
        assert_ne!(ipv6("2001:db8:1:2::1"), ipv6("2001:db8:1:3::1"));
        assert_eq!(
            ipv6("::ffff:1.2.3.4"),
            ipv6("1.2.3.4"),
            "a mapped IPv4 is itself"
        );
        assert_ne!(ipv6("::ffff:1.2.3.4"), ipv6("::ffff:1.2.3.5"));
    }
}
