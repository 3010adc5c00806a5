//! Fee schedule versions (R-FEE-2): append-only rows, each in force from its
//! `effective_from` (a local date, `YYYY-MM-DD`) until a later version takes over.

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

/// A stored version; `body_json` is the domain's `FeeSchedule` as JSON, `created_at` the
/// stored instant text (`time::to_db`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FeeScheduleRow {
    pub id: String,
    pub number: i64,
    pub effective_from: String,
    pub body_json: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_by_name: String,
    pub created_at: String,
}

const COLS: &str =
    "id, number, effective_from, body_json, note, created_by, created_by_name, created_at";

/// How many versions a list returns at most (newest first).
pub const LIST_LIMIT: i64 = 500;

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &FeeScheduleRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO fee_schedule_versions ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )))
    .bind(&r.id)
    .bind(r.number)
    .bind(&r.effective_from)
    .bind(&r.body_json)
    .bind(r.note.clone())
    .bind(r.created_by.clone())
    .bind(&r.created_by_name)
    .bind(&r.created_at)
    .execute(e)
    .await?;
    Ok(())
}

/// The versions, newest first (by number: the order they were added).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<FeeScheduleRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM fee_schedule_versions ORDER BY number DESC LIMIT {LIST_LIMIT}"
    )))
    .fetch_all(e)
    .await?)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<FeeScheduleRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM fee_schedule_versions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// The version in force on `on` (`YYYY-MM-DD`): the latest `effective_from` on or before
/// it; of versions with the same date, the one added last.
pub async fn in_force<'e, E: Executor<'e, Database = Any>>(
    e: E,
    on: &str,
) -> Result<Option<FeeScheduleRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM fee_schedule_versions WHERE effective_from <= $1 \
         ORDER BY effective_from DESC, number DESC LIMIT 1"
    )))
    .bind(on)
    .fetch_optional(e)
    .await?)
}

/// Whether any version exists (a new site's first start adds the starter one).
pub async fn any<'e, E: Executor<'e, Database = Any>>(e: E) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fee_schedule_versions")
        .fetch_one(e)
        .await?;
    Ok(n > 0)
}
