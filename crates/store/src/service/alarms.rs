//! Device alarms from the monitoring center (migration 0008): one row per `(source,
//! external_id)`, with the request it created or was merged into.

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AlarmRow {
    pub id: String,
    pub source: String,
    /// The sender's own id of the alarm.
    pub external_id: Option<String>,
    pub serial_norm: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub occurred_at: Option<String>,
    pub received_at: String,
    pub request_id: Option<String>,
    /// 1 when attached to a request that was already open.
    pub merged: i64,
}

const COLS: &str = "id, source, external_id, serial_norm, code, message, occurred_at, received_at, request_id, merged";

/// Inserts an alarm; a second one with the same `(source, external_id)` is a
/// [`StoreError::Constraint`].
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    a: &AlarmRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO alarms ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(&a.id)
    .bind(&a.source)
    .bind(a.external_id.clone())
    .bind(&a.serial_norm)
    .bind(a.code.clone())
    .bind(a.message.clone())
    .bind(a.occurred_at.clone())
    .bind(&a.received_at)
    .bind(a.request_id.clone())
    .bind(a.merged)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn find<'e, E: Executor<'e, Database = Any>>(
    e: E,
    source: &str,
    external_id: &str,
) -> Result<Option<AlarmRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM alarms WHERE source = $1 AND external_id = $2"
    )))
    .bind(source)
    .bind(external_id)
    .fetch_optional(e)
    .await?)
}

/// When the request last heard of an alarm (the newest `received_at`), if ever.
pub async fn last_received_for_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT max(received_at) FROM alarms WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(e)
            .await?;
    Ok(row.and_then(|r| r.0))
}

/// The alarms attached to a request, oldest first.
pub async fn of_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Vec<AlarmRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM alarms WHERE request_id = $1 ORDER BY received_at, id"
    )))
    .bind(request_id)
    .fetch_all(e)
    .await?)
}
