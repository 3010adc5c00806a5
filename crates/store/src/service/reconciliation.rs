//! The information clerk's daily reconciliation (R-DSP-8): the day's completed visits, the
//! visits booked for the day that were not reported back, and the call-backs made to verify
//! completed jobs.

use crate::error::StoreError;
use crate::service::WorkOrderRow;
use sqlx::{Any, Executor, FromRow};

const WO_COLS: &str = "w.id, w.number, w.request_id, w.org_unit_id, w.engineer_id, w.status, w.waiting_reason, \
    w.resume_status, w.priority, w.appointment_start, w.appointment_end, w.outcome, w.loaner_left, w.created_at, \
    w.dispatched_at, w.accepted_at, w.en_route_at, w.arrived_at, w.started_at, w.completed_at, w.cancelled_at, \
    w.updated_at, w.version";

/// Orders completed within [from, to) (stored instants), by completion time.
pub async fn completed_between<'e, E: Executor<'e, Database = Any>>(
    e: E,
    from: &str,
    to: &str,
) -> Result<Vec<WorkOrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WO_COLS} FROM work_orders w WHERE w.completed_at >= $1 AND w.completed_at < $2 \
         ORDER BY w.completed_at, w.id"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(e)
    .await?)
}

/// Orders with an appointment starting within [from, to) that are neither completed nor
/// cancelled: visits not reported back.
pub async fn booked_not_done<'e, E: Executor<'e, Database = Any>>(
    e: E,
    from: &str,
    to: &str,
) -> Result<Vec<WorkOrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WO_COLS} FROM work_orders w WHERE w.appointment_start >= $1 AND w.appointment_start < $2 \
         AND w.status NOT IN ('completed', 'cancelled') ORDER BY w.appointment_start, w.id"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(e)
    .await?)
}

/// Orders whose record was locked (signed or declined) before `to` with fault cause and
/// action marked "completed at the center" and not completed yet, oldest first: every one,
/// whatever its day, until the center completes it.
pub async fn center_pending<'e, E: Executor<'e, Database = Any>>(
    e: E,
    to: &str,
) -> Result<Vec<WorkOrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WO_COLS} FROM work_orders w JOIN service_records r ON r.work_order_id = w.id \
         WHERE r.cause_at_center = 1 AND r.signed_at IS NOT NULL AND r.signed_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM record_center_completions c WHERE c.work_order_id = w.id) \
         ORDER BY r.signed_at, w.id"
    )))
    .bind(to)
    .fetch_all(e)
    .await?)
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CallbackRow {
    pub id: String,
    pub work_order_id: String,
    pub day: String,
    pub outcome: String,
    pub notes: Option<String>,
    pub by_id: Option<String>,
    pub by_name: String,
    pub at: String,
}

pub async fn insert_callback<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CallbackRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO callbacks (id, work_order_id, day, outcome, notes, by_id, by_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&c.id)
    .bind(&c.work_order_id)
    .bind(&c.day)
    .bind(&c.outcome)
    .bind(c.notes.clone())
    .bind(c.by_id.clone())
    .bind(&c.by_name)
    .bind(&c.at)
    .execute(e)
    .await?;
    Ok(())
}

/// Call-backs about an order, oldest first.
pub async fn callbacks_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<CallbackRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, work_order_id, day, outcome, notes, by_id, by_name, at FROM callbacks \
         WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}
