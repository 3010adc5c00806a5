//! Failed logins, counted per user name over a sliding window. Kept in the database so
//! every app node behind a load balancer sees the same count.

use crate::error::StoreError;
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, Executor};

pub async fn record_failure<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
        .bind(username)
        .bind(time::to_db(now)?)
        .execute(e)
        .await?;
    Ok(())
}

/// Failures since `since`, and the oldest of them (which decides when the window frees up).
pub async fn failures_since<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
    since: Timestamp,
) -> Result<(i64, Option<Timestamp>), StoreError> {
    let (n, oldest): (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE username = $1 AND at > $2",
    )
    .bind(username)
    .bind(time::to_db(since)?)
    .fetch_one(e)
    .await?;
    Ok((
        n,
        time::opt_from_db("login_failures.at", oldest.as_deref())?,
    ))
}

pub async fn clear<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(e)
        .await?;
    Ok(())
}

pub async fn delete_before<'e, E: Executor<'e, Database = Any>>(
    e: E,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM login_failures WHERE at <= $1")
        .bind(time::to_db(before)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}
