//! Loaner units (docs/loaners.md): the pool, the loans and each loaner's append-only
//! history. Rows are plain text as stored; the app reads the vocabularies back through the
//! domain's enums.

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

/// A loaner with the name and path of its owning unit.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LoanerRow {
    pub id: String,
    pub serial: String,
    pub model: String,
    pub owner_unit_id: String,
    pub status: String,
    /// A JSON list of texts.
    pub accessories: String,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Read with the row (not written).
    pub owner_name: String,
    pub owner_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LoanRow {
    pub id: String,
    pub loaner_id: String,
    pub request_id: String,
    pub customer_id: String,
    pub issued_at: String,
    pub issued_by: Option<String>,
    pub issued_by_name: String,
    pub expected_return: String,
    pub note: Option<String>,
    pub returned_at: Option<String>,
    pub returned_by: Option<String>,
    pub returned_by_name: Option<String>,
    pub condition: Option<String>,
    pub accessories_complete: Option<i64>,
    pub inspection_note: Option<String>,
    pub overdue_alert_sent_at: Option<String>,
    /// Read with the row (not written).
    pub request_number: String,
    pub customer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LoanerEventRow {
    pub id: String,
    pub loaner_id: String,
    pub loan_id: Option<String>,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub kind: String,
    pub data: Option<String>,
}

const LOANER_COLS: &str = "l.id, l.serial, l.model, l.owner_unit_id, l.status, l.accessories, l.note, \
    l.version, l.created_at, l.updated_at, o.name AS owner_name, o.path AS owner_path \
    FROM loaners l JOIN org_units o ON o.id = l.owner_unit_id";

const LOAN_COLS: &str = "n.id, n.loaner_id, n.request_id, n.customer_id, n.issued_at, n.issued_by, \
    n.issued_by_name, n.expected_return, n.note, n.returned_at, n.returned_by, n.returned_by_name, \
    n.condition, n.accessories_complete, n.inspection_note, n.overdue_alert_sent_at, \
    r.number AS request_number, c.name AS customer_name \
    FROM loans n JOIN service_requests r ON r.id = n.request_id JOIN customers c ON c.id = n.customer_id";

pub async fn insert_loaner<'e, E: Executor<'e, Database = Any>>(
    e: E,
    l: &LoanerRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loaners (id, serial, model, owner_unit_id, status, accessories, note, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&l.id)
    .bind(&l.serial)
    .bind(&l.model)
    .bind(&l.owner_unit_id)
    .bind(&l.status)
    .bind(&l.accessories)
    .bind(l.note.clone())
    .bind(l.version)
    .bind(&l.created_at)
    .bind(&l.updated_at)
    .execute(e)
    .await?;
    Ok(())
}

/// Sets a loaner's status if its version is still `expected` (and bumps it).
pub async fn set_status<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
    status: &str,
    expected: i64,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE loaners SET status = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4",
    )
    .bind(status)
    .bind(at)
    .bind(id)
    .bind(expected)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_loaner<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<LoanerRow, StoreError> {
    let row: Option<LoanerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOANER_COLS} WHERE l.id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

pub async fn loaner_by_serial<'e, E: Executor<'e, Database = Any>>(
    e: E,
    serial: &str,
) -> Result<Option<LoanerRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOANER_COLS} WHERE l.serial = $1"
    )))
    .bind(serial)
    .fetch_optional(e)
    .await?)
}

/// What a list of loaners is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct LoanerFilter {
    pub status: Option<String>,
    pub owner_unit_id: Option<String>,
    /// The caller's subtree (`org_units.path` prefix), if scoped.
    pub path_prefix: Option<String>,
    /// Only loaners with a loan out past its expected return before this day.
    pub overdue_before: Option<String>,
    /// Serials after this one (the list's cursor).
    pub after_serial: Option<String>,
    pub limit: i64,
}

/// Loaners by serial, `limit + 1` rows (the extra one tells that more exist).
pub async fn list_loaners<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &LoanerFilter,
) -> Result<Vec<LoanerRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOANER_COLS} \
         WHERE ($1 IS NULL OR l.status = $1) \
           AND ($2 IS NULL OR l.owner_unit_id = $2) \
           AND ($3 IS NULL OR o.path LIKE $3 || '%') \
           AND ($4 IS NULL OR EXISTS (SELECT 1 FROM loans x WHERE x.loaner_id = l.id \
                AND x.returned_at IS NULL AND x.expected_return < $4)) \
           AND ($5 IS NULL OR l.serial > $5) \
         ORDER BY l.serial LIMIT $6"
    )))
    .bind(f.status.clone())
    .bind(f.owner_unit_id.clone())
    .bind(f.path_prefix.clone())
    .bind(f.overdue_before.clone())
    .bind(f.after_serial.clone())
    .bind(f.limit + 1)
    .fetch_all(e)
    .await?)
}

pub async fn insert_loan<'e, E: Executor<'e, Database = Any>>(
    e: E,
    l: &LoanRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loans (id, loaner_id, request_id, customer_id, issued_at, issued_by, \
         issued_by_name, expected_return, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&l.id)
    .bind(&l.loaner_id)
    .bind(&l.request_id)
    .bind(&l.customer_id)
    .bind(&l.issued_at)
    .bind(l.issued_by.clone())
    .bind(&l.issued_by_name)
    .bind(&l.expected_return)
    .bind(l.note.clone())
    .execute(e)
    .await?;
    Ok(())
}

pub async fn get_loan<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<LoanRow, StoreError> {
    let row: Option<LoanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOAN_COLS} WHERE n.id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

/// The loans of a loaner, newest first.
pub async fn loans_of_loaner<'e, E: Executor<'e, Database = Any>>(
    e: E,
    loaner_id: &str,
) -> Result<Vec<LoanRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOAN_COLS} WHERE n.loaner_id = $1 ORDER BY n.issued_at DESC, n.id DESC LIMIT 200"
    )))
    .bind(loaner_id)
    .fetch_all(e)
    .await?)
}

/// The loans still out against a request.
pub async fn open_loans_of_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Vec<LoanRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOAN_COLS} WHERE n.request_id = $1 AND n.returned_at IS NULL ORDER BY n.issued_at"
    )))
    .bind(request_id)
    .fetch_all(e)
    .await?)
}

/// Completes a loan at its return, once: false when it was returned already.
pub async fn complete_loan<'e, E: Executor<'e, Database = Any>>(
    e: E,
    l: &LoanRow,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE loans SET returned_at = $1, returned_by = $2, returned_by_name = $3, condition = $4, \
         accessories_complete = $5, inspection_note = $6 WHERE id = $7 AND returned_at IS NULL",
    )
    .bind(l.returned_at.clone())
    .bind(l.returned_by.clone())
    .bind(l.returned_by_name.clone())
    .bind(l.condition.clone())
    .bind(l.accessories_complete)
    .bind(l.inspection_note.clone())
    .bind(&l.id)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a loan's overdue alert as sent, once: false when it was sent already or the loan
/// is back.
pub async fn mark_overdue_alert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    loan_id: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE loans SET overdue_alert_sent_at = $1 \
         WHERE id = $2 AND returned_at IS NULL AND overdue_alert_sent_at IS NULL",
    )
    .bind(at)
    .bind(loan_id)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_event<'e, E: Executor<'e, Database = Any>>(
    e: E,
    ev: &LoanerEventRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loaner_events (id, loaner_id, loan_id, at, actor_id, actor_name, kind, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&ev.id)
    .bind(&ev.loaner_id)
    .bind(ev.loan_id.clone())
    .bind(&ev.at)
    .bind(ev.actor_id.clone())
    .bind(&ev.actor_name)
    .bind(&ev.kind)
    .bind(ev.data.clone())
    .execute(e)
    .await?;
    Ok(())
}

/// A loaner's history, oldest first.
pub async fn events_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    loaner_id: &str,
) -> Result<Vec<LoanerEventRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, loaner_id, loan_id, at, actor_id, actor_name, kind, data FROM loaner_events \
         WHERE loaner_id = $1 ORDER BY at, id LIMIT 1000",
    )
    .bind(loaner_id)
    .fetch_all(e)
    .await?)
}
