//! Idempotency keys of creating requests: the first response is stored in the same
//! transaction as the record it created, so a repeat can only ever see both or neither.

use crate::error::StoreError;
use crate::time;
use jiff::Timestamp;
use sqlx::{Any, Executor};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn find<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    key: &str,
) -> Result<Option<StoredResponse>, StoreError> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status, response_json FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(e)
    .await?;
    Ok(row.map(|(request_hash, status, body)| StoredResponse {
        request_hash,
        status: u16::try_from(status).unwrap_or(200),
        body,
    }))
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    key: &str,
    r: &StoredResponse,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, response_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(key)
    .bind(&r.request_hash)
    .bind(i64::from(r.status))
    .bind(&r.body)
    .bind(time::to_db(now)?)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn delete_before<'e, E: Executor<'e, Database = Any>>(
    e: E,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
        .bind(time::to_db(before)?)
        .execute(e)
        .await?;
    Ok(r.rows_affected())
}

/// Fills in the response of a key claimed earlier in the same transaction.
pub async fn complete<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, response_json = $2 WHERE user_id = $3 AND idem_key = $4")
        .bind(i64::from(status))
        .bind(body)
        .bind(user_id)
        .bind(key)
        .execute(e)
        .await?;
    Ok(())
}
