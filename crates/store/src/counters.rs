//! Human numbers: a counter per kind, bumped inside the creating transaction, so numbers
//! are gap-free per committed record and never reused.

use crate::error::StoreError;
use sqlx::{Any, Executor};

/// The next value of counter `name` (1 for a new counter). Call inside the write
/// transaction that uses the number.
pub async fn next<'e, E: Executor<'e, Database = Any>>(
    e: E,
    name: &str,
) -> Result<i64, StoreError> {
    let v: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(e)
    .await?;
    Ok(v)
}

/// Reserves `n` consecutive values of counter `name` and returns the first. Call inside
/// the write transaction that uses them.
pub async fn reserve<'e, E: Executor<'e, Database = Any>>(
    e: E,
    name: &str,
    n: i64,
) -> Result<i64, StoreError> {
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value",
    )
    .bind(name)
    .bind(n)
    .fetch_one(e)
    .await?;
    Ok(last - n + 1)
}
