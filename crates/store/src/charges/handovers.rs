//! Cash hand-overs: an engineer hands the cash they hold to the station's manager, who
//! confirms the counted sum once (docs/charges.md).

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct HandoverRow {
    pub id: String,
    pub engineer_id: String,
    pub engineer_name: String,
    pub handed_at: String,
    pub expected_fen: i64,
    pub counted_fen: Option<i64>,
    pub difference_fen: Option<i64>,
    pub confirmed_by: Option<String>,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<String>,
    pub note: Option<String>,
}

const COLS: &str = "id, engineer_id, engineer_name, handed_at, expected_fen, counted_fen, \
    difference_fen, confirmed_by, confirmed_by_name, confirmed_at, note FROM cash_handovers";

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    h: &HandoverRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cash_handovers (id, engineer_id, engineer_name, handed_at, expected_fen, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&h.id)
    .bind(&h.engineer_id)
    .bind(&h.engineer_name)
    .bind(&h.handed_at)
    .bind(h.expected_fen)
    .bind(h.note.clone())
    .execute(e)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<HandoverRow, StoreError> {
    let row: Option<HandoverRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(e)
            .await?;
    row.ok_or(StoreError::NotFound)
}

/// The newest hand-overs first; of one engineer when given.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    engineer_id: Option<&str>,
    limit: i64,
) -> Result<Vec<HandoverRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} WHERE ($1 IS NULL OR engineer_id = $1) \
         ORDER BY handed_at DESC, id DESC LIMIT $2"
    )))
    .bind(engineer_id)
    .bind(limit)
    .fetch_all(e)
    .await?)
}

/// Confirms a hand-over once: false when it was already confirmed.
pub async fn confirm<'e, E: Executor<'e, Database = Any>>(
    e: E,
    h: &HandoverRow,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE cash_handovers SET counted_fen = $1, difference_fen = $2, confirmed_by = $3, \
         confirmed_by_name = $4, confirmed_at = $5, note = $6 \
         WHERE id = $7 AND confirmed_at IS NULL",
    )
    .bind(h.counted_fen)
    .bind(h.difference_fen)
    .bind(h.confirmed_by.clone())
    .bind(h.confirmed_by_name.clone())
    .bind(h.confirmed_at.clone())
    .bind(h.note.clone())
    .bind(&h.id)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the expected sum of a hand-over just written (in the same transaction, once the
/// payments are taken into it).
pub async fn set_expected<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
    expected_fen: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cash_handovers SET expected_fen = $1 WHERE id = $2 AND confirmed_at IS NULL",
    )
    .bind(expected_fen)
    .bind(id)
    .execute(e)
    .await?;
    Ok(())
}
