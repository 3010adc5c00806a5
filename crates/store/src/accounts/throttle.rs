//! The login throttle's counters and the addresses users signed in from. Kept in the
//! database so every app node behind a load balancer sees the same counts. A counter is
//! bumped atomically (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) inside the caller's
//! transaction: on PostgreSQL the row stays locked until that transaction ends, on SQLite
//! writes are serialized, so concurrent attempts are counted one after the other and a
//! refused attempt rolled back leaves the count as it was.

use crate::error::StoreError;
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, Executor};

/// Counts one attempt under `key` and returns the count and the start of its window. A
/// window starts with its first attempt; one that started at or before `expired` is over,
/// and this attempt starts a new one at `now`.
pub async fn bump<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
    now: Timestamp,
    expired: Timestamp,
) -> Result<(i64, Timestamp), StoreError> {
    let (n, start): (i64, String) = sqlx::query_as(
        "INSERT INTO login_attempts (key, window_start, n) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           n = CASE WHEN login_attempts.window_start <= $3 THEN 1 ELSE login_attempts.n + 1 END, \
           window_start = CASE WHEN login_attempts.window_start <= $4 THEN $5 \
                               ELSE login_attempts.window_start END \
         RETURNING n, window_start",
    )
    .bind(key)
    .bind(time::to_db(now)?)
    .bind(time::to_db(expired)?)
    .bind(time::to_db(expired)?)
    .bind(time::to_db(now)?)
    .fetch_one(e)
    .await?;
    Ok((n, time::from_db("login_attempts.window_start", &start)?))
}

/// Gives one counted attempt back (a successful sign-in).
pub async fn release<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE login_attempts SET n = n - 1 WHERE key = $1 AND n > 0")
        .bind(key)
        .execute(e)
        .await?;
    Ok(())
}

pub async fn clear<'e, E: Executor<'e, Database = Any>>(e: E, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_attempts WHERE key = $1")
        .bind(key)
        .execute(e)
        .await?;
    Ok(())
}

/// Remembers that `username` signed in from `address` at `now`.
pub async fn remember_address<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
    address: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_known_addresses (username, address, last_at) VALUES ($1, $2, $3) \
         ON CONFLICT (username, address) DO UPDATE SET last_at = $4",
    )
    .bind(username)
    .bind(address)
    .bind(time::to_db(now)?)
    .bind(time::to_db(now)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Whether `username` signed in from `address` after `since`.
pub async fn is_known_address<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
    address: &str,
    since: Timestamp,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_known_addresses \
         WHERE username = $1 AND address = $2 AND last_at > $3",
    )
    .bind(username)
    .bind(address)
    .bind(time::to_db(since)?)
    .fetch_one(e)
    .await?;
    Ok(n > 0)
}

/// Removes counters whose window started at or before `before` (they are over).
pub async fn delete_before<'e, E: Executor<'e, Database = Any>>(
    e: E,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM login_attempts WHERE window_start <= $1")
        .bind(time::to_db(before)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}

/// Forgets the addresses last used at or before `before`.
pub async fn forget_addresses_before<'e, E: Executor<'e, Database = Any>>(
    e: E,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM login_known_addresses WHERE last_at <= $1")
        .bind(time::to_db(before)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}
