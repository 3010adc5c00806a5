//! Payments and refunds against a work order (docs/charges.md). A payment row is
//! written once; afterwards only the invoice fields and the hand-over are set, once each
//! (`set_invoice`, `hand_over_cash`), and nothing is deleted.

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

/// A payment as stored, with the numbers and the customer read alongside.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub receipt_no: String,
    pub work_order_id: String,
    pub request_id: String,
    pub quote_number: Option<String>,
    pub amount_fen: i64,
    pub method: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub refund_of: Option<String>,
    pub collected_by: Option<String>,
    pub collected_by_name: String,
    pub collected_at: String,
    pub invoice_no: Option<String>,
    pub invoice_type: Option<String>,
    pub invoiced_at: Option<String>,
    pub handover_id: Option<String>,
    /// Read with the row (not written).
    pub work_order_number: String,
    pub request_number: String,
    pub customer_name: String,
}

const COLS: &str = "p.id, p.receipt_no, p.work_order_id, p.request_id, p.quote_number, \
    p.amount_fen, p.method, p.reference, p.reason, p.refund_of, p.collected_by, \
    p.collected_by_name, p.collected_at, p.invoice_no, p.invoice_type, p.invoiced_at, \
    p.handover_id, w.number AS work_order_number, r.number AS request_number, \
    c.name AS customer_name \
    FROM payments p JOIN work_orders w ON w.id = p.work_order_id \
    JOIN service_requests r ON r.id = p.request_id JOIN customers c ON c.id = r.customer_id";

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &PaymentRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payments (id, receipt_no, work_order_id, request_id, quote_number, amount_fen, \
         method, reference, reason, refund_of, collected_by, collected_by_name, collected_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&p.id)
    .bind(&p.receipt_no)
    .bind(&p.work_order_id)
    .bind(&p.request_id)
    .bind(p.quote_number.clone())
    .bind(p.amount_fen)
    .bind(&p.method)
    .bind(p.reference.clone())
    .bind(p.reason.clone())
    .bind(p.refund_of.clone())
    .bind(p.collected_by.clone())
    .bind(&p.collected_by_name)
    .bind(&p.collected_at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn by_receipt<'e, E: Executor<'e, Database = Any>>(
    e: E,
    receipt_no: &str,
) -> Result<PaymentRow, StoreError> {
    let row: Option<PaymentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} WHERE p.receipt_no = $1"
    )))
    .bind(receipt_no)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

/// The payments of a work order, oldest first.
pub async fn of_work_order<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} WHERE p.work_order_id = $1 ORDER BY p.collected_at, p.receipt_no"
    )))
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

/// What a work order has been paid, net of refunds, in fen.
pub async fn net_paid<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<i64, StoreError> {
    let v: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payments WHERE work_order_id = $1",
    )
    .bind(work_order_id)
    .fetch_one(e)
    .await?;
    Ok(v)
}

/// What has been refunded of payment `id` so far (a negative sum, or 0).
pub async fn refunded_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<i64, StoreError> {
    let v: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payments WHERE refund_of = $1",
    )
    .bind(id)
    .fetch_one(e)
    .await?;
    Ok(v)
}

/// Records the invoice of a payment, once: false when it already has one.
pub async fn set_invoice<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
    invoice_no: &str,
    invoice_type: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payments SET invoice_no = $1, invoice_type = $2, invoiced_at = $3 \
         WHERE id = $4 AND invoice_no IS NULL",
    )
    .bind(invoice_no)
    .bind(invoice_type)
    .bind(at)
    .bind(id)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The cash payments (and cash refunds) not yet handed over, oldest first; of one
/// collector when `collected_by` is given.
pub async fn cash_held<'e, E: Executor<'e, Database = Any>>(
    e: E,
    collected_by: Option<&str>,
) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} WHERE p.method = 'cash' AND p.handover_id IS NULL \
         AND ($1 IS NULL OR p.collected_by = $1) \
         ORDER BY p.collected_by, p.collected_at, p.receipt_no LIMIT 2000"
    )))
    .bind(collected_by)
    .fetch_all(e)
    .await?)
}

/// Puts every cash payment `collected_by` still holds into hand-over `handover_id`;
/// returns how many rows it took.
pub async fn hand_over_cash<'e, E: Executor<'e, Database = Any>>(
    e: E,
    collected_by: &str,
    handover_id: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE payments SET handover_id = $1 \
         WHERE method = 'cash' AND handover_id IS NULL AND collected_by = $2",
    )
    .bind(handover_id)
    .bind(collected_by)
    .execute(e)
    .await?;
    Ok(done.rows_affected())
}

/// The sum of the payments in hand-over `handover_id`.
pub async fn sum_of_handover<'e, E: Executor<'e, Database = Any>>(
    e: E,
    handover_id: &str,
) -> Result<i64, StoreError> {
    let v: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payments WHERE handover_id = $1",
    )
    .bind(handover_id)
    .fetch_one(e)
    .await?;
    Ok(v)
}
