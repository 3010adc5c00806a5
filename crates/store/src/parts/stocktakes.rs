//! Stocktaking (docs/parts.md "Stocktaking"): count sheets, their lines, status steps
//! guarded by the status they start from.

use crate::error::StoreError;
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CountRow {
    pub id: String,
    pub number: String,
    pub location_id: String,
    pub status: String,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub opened_by: Option<String>,
    pub opened_by_name: String,
    pub opened_at: String,
    pub submitted_by: Option<String>,
    pub submitted_by_name: Option<String>,
    pub submitted_at: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub version: i64,
    pub updated_at: String,
}

const COLS: &str = "id, number, location_id, status, note, decision_note, opened_by, \
    opened_by_name, opened_at, submitted_by, submitted_by_name, submitted_at, decided_by_name, \
    decided_at, version, updated_at";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CountLineRow {
    pub count_id: String,
    pub line_no: i64,
    pub part_id: String,
    pub condition: String,
    pub counted: Option<i64>,
    pub book: Option<i64>,
    pub counted_by_name: Option<String>,
    pub counted_at: Option<String>,
}

pub async fn insert_count(c: &mut AnyConnection, r: &CountRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO stock_counts ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16)"
    )))
    .bind(&r.id)
    .bind(&r.number)
    .bind(&r.location_id)
    .bind(&r.status)
    .bind(r.note.clone())
    .bind(r.decision_note.clone())
    .bind(r.opened_by.clone())
    .bind(&r.opened_by_name)
    .bind(&r.opened_at)
    .bind(r.submitted_by.clone())
    .bind(r.submitted_by_name.clone())
    .bind(r.submitted_at.clone())
    .bind(r.decided_by_name.clone())
    .bind(r.decided_at.clone())
    .bind(r.version)
    .bind(&r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn insert_line(c: &mut AnyConnection, l: &CountLineRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stock_count_lines (count_id, line_no, part_id, condition, counted, book, \
         counted_by_name, counted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&l.count_id)
    .bind(l.line_no)
    .bind(&l.part_id)
    .bind(&l.condition)
    .bind(l.counted)
    .bind(l.book)
    .bind(l.counted_by_name.clone())
    .bind(l.counted_at.clone())
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_count<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Option<CountRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM stock_counts WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(e)
    .await?)
}

/// The open (counting or submitted) count of a location.
pub async fn open_count_at<'e, E: Executor<'e, Database = Any>>(
    e: E,
    location_id: &str,
) -> Result<Option<CountRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM stock_counts WHERE location_id = $1 \
         AND status IN ('counting', 'submitted')"
    )))
    .bind(location_id)
    .fetch_optional(e)
    .await?)
}

/// The newest counts first, at most `limit`; with `status`, only those.
pub async fn list_counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<CountRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM stock_counts WHERE ($1 IS NULL OR status = $1) \
         ORDER BY opened_at DESC, number DESC LIMIT $2"
    )))
    .bind(status.map(str::to_owned))
    .bind(limit)
    .fetch_all(e)
    .await?)
}

pub async fn count_lines<'e, E: Executor<'e, Database = Any>>(
    e: E,
    count_id: &str,
) -> Result<Vec<CountLineRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT count_id, line_no, part_id, condition, counted, book, counted_by_name, counted_at \
         FROM stock_count_lines WHERE count_id = $1 ORDER BY line_no",
    )
    .bind(count_id)
    .fetch_all(e)
    .await?)
}

/// The (part id, condition) a new sheet lists at a location: every balance there and every
/// part with a reorder point there (new), serial-numbered parts left out, in part number order.
pub async fn sheet_parts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    location_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT x.part_id, x.condition FROM ( \
           SELECT part_id, condition FROM stock_balances WHERE location_id = $1 \
           UNION SELECT part_id, 'new' AS condition FROM reorder_points WHERE location_id = $1 \
         ) x JOIN parts p ON p.id = x.part_id WHERE p.serialized = 0 \
         ORDER BY p.part_no, x.condition",
    )
    .bind(location_id)
    .fetch_all(e)
    .await?)
}

/// Records a line's count and the book quantity beside it.
pub async fn set_counted(
    c: &mut AnyConnection,
    count_id: &str,
    line_no: i64,
    counted: i64,
    book: i64,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE stock_count_lines SET counted = $1, book = $2, counted_by_name = $3, \
         counted_at = $4 WHERE count_id = $5 AND line_no = $6",
    )
    .bind(counted)
    .bind(book)
    .bind(by)
    .bind(at)
    .bind(count_id)
    .bind(line_no)
    .execute(c)
    .await?;
    Ok(())
}

/// What a step writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct Step<'a> {
    pub submitted: Option<(Option<&'a str>, &'a str)>,
    pub decided_by_name: Option<&'a str>,
    pub decision_note: Option<&'a str>,
}

/// Moves a count from `from` to `to` and bumps its version; `false` when it no longer stood
/// at `from` (someone else stepped it first).
pub async fn step_count(
    c: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
    s: &Step<'_>,
    at: &str,
) -> Result<bool, StoreError> {
    let (sub_id, sub_name) = match s.submitted {
        Some((i, n)) => (i.map(str::to_owned), Some(n.to_owned())),
        None => (None, None),
    };
    let submitting = s.submitted.is_some();
    let r = sqlx::query(
        "UPDATE stock_counts SET status = $1, \
         submitted_by = CASE WHEN $2 THEN $3 ELSE submitted_by END, \
         submitted_by_name = CASE WHEN $2 THEN $4 ELSE submitted_by_name END, \
         submitted_at = CASE WHEN $2 THEN $5 ELSE submitted_at END, \
         decided_by_name = COALESCE($6, decided_by_name), \
         decided_at = CASE WHEN $6 IS NULL THEN decided_at ELSE $5 END, \
         decision_note = COALESCE($7, decision_note), \
         version = version + 1, updated_at = $5 \
         WHERE id = $8 AND status = $9",
    )
    .bind(to)
    .bind(submitting)
    .bind(sub_id)
    .bind(sub_name)
    .bind(at)
    .bind(s.decided_by_name.map(str::to_owned))
    .bind(s.decision_note.map(str::to_owned))
    .bind(id)
    .bind(from)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}
