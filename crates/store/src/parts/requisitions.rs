//! Requisitions and shipments (docs/requisitions.md): the rows, their lines, status steps
//! guarded by the status they start from, and the counts behind the accuracy figure.

use crate::error::StoreError;
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RequisitionRow {
    pub id: String,
    pub number: String,
    pub requesting_location_id: String,
    pub supplying_location_id: String,
    pub priority: String,
    pub status: String,
    pub work_order_id: Option<String>,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub requested_by: Option<String>,
    pub requested_by_name: String,
    pub decided_by_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const REQ_COLS: &str = "id, number, requesting_location_id, supplying_location_id, priority, status, \
    work_order_id, note, decision_note, requested_by, requested_by_name, decided_by_name, created_at, updated_at";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RequisitionLineRow {
    pub requisition_id: String,
    pub line_no: i64,
    pub part_id: String,
    pub requested_part_id: Option<String>,
    pub qty_requested: i64,
    pub qty_approved: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ShipmentRow {
    pub id: String,
    pub number: String,
    pub requisition_id: String,
    pub carrier: String,
    pub tracking_no: Option<String>,
    pub freight_fen: i64,
    pub charged_unit_id: Option<String>,
    pub shipped_at: String,
    pub shipped_by_name: String,
    pub received_at: Option<String>,
    pub received_by_name: Option<String>,
}

const SHIP_COLS: &str = "id, number, requisition_id, carrier, tracking_no, freight_fen, charged_unit_id, \
    shipped_at, shipped_by_name, received_at, received_by_name";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ShipmentLineRow {
    pub shipment_id: String,
    pub line_no: i64,
    pub part_id: String,
    pub qty_shipped: i64,
    pub qty_received: Option<i64>,
    pub discrepancy: Option<String>,
}

pub async fn insert_requisition(
    c: &mut AnyConnection,
    r: &RequisitionRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO requisitions ({REQ_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )))
    .bind(&r.id)
    .bind(&r.number)
    .bind(&r.requesting_location_id)
    .bind(&r.supplying_location_id)
    .bind(&r.priority)
    .bind(&r.status)
    .bind(r.work_order_id.clone())
    .bind(r.note.clone())
    .bind(r.decision_note.clone())
    .bind(r.requested_by.clone())
    .bind(&r.requested_by_name)
    .bind(r.decided_by_name.clone())
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn insert_requisition_line(
    c: &mut AnyConnection,
    l: &RequisitionLineRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO requisition_lines (requisition_id, line_no, part_id, requested_part_id, \
         qty_requested, qty_approved) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&l.requisition_id)
    .bind(l.line_no)
    .bind(&l.part_id)
    .bind(l.requested_part_id.clone())
    .bind(l.qty_requested)
    .bind(l.qty_approved)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_requisition<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Option<RequisitionRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQ_COLS} FROM requisitions WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(e)
    .await?)
}

pub async fn requisition_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<RequisitionRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQ_COLS} FROM requisitions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// The newest requisitions first, at most `limit`; with `status`, only those.
pub async fn list_requisitions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<RequisitionRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQ_COLS} FROM requisitions WHERE ($1 IS NULL OR status = $1) \
         ORDER BY created_at DESC, number DESC LIMIT $2"
    )))
    .bind(status.map(str::to_owned))
    .bind(limit)
    .fetch_all(e)
    .await?)
}

pub async fn requisition_lines<'e, E: Executor<'e, Database = Any>>(
    e: E,
    requisition_id: &str,
) -> Result<Vec<RequisitionLineRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT requisition_id, line_no, part_id, requested_part_id, qty_requested, qty_approved \
         FROM requisition_lines WHERE requisition_id = $1 ORDER BY line_no",
    )
    .bind(requisition_id)
    .fetch_all(e)
    .await?)
}

/// Moves a requisition from `from` to `to`; `false` when it no longer stood at `from`
/// (someone else stepped it first).
#[allow(clippy::too_many_arguments)]
pub async fn step_requisition(
    c: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
    decision_note: Option<&str>,
    decided_by_name: Option<&str>,
    at: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE requisitions SET status = $1, \
         decision_note = COALESCE($2, decision_note), \
         decided_by_name = COALESCE($3, decided_by_name), updated_at = $4 \
         WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(decision_note.map(str::to_owned))
    .bind(decided_by_name.map(str::to_owned))
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_approved_qty(
    c: &mut AnyConnection,
    requisition_id: &str,
    line_no: i64,
    qty: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE requisition_lines SET qty_approved = $1 WHERE requisition_id = $2 AND line_no = $3",
    )
    .bind(qty)
    .bind(requisition_id)
    .bind(line_no)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn insert_shipment(c: &mut AnyConnection, s: &ShipmentRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO shipments ({SHIP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(&s.id)
    .bind(&s.number)
    .bind(&s.requisition_id)
    .bind(&s.carrier)
    .bind(s.tracking_no.clone())
    .bind(s.freight_fen)
    .bind(s.charged_unit_id.clone())
    .bind(&s.shipped_at)
    .bind(&s.shipped_by_name)
    .bind(s.received_at.clone())
    .bind(s.received_by_name.clone())
    .execute(c)
    .await?;
    Ok(())
}

pub async fn insert_shipment_line(
    c: &mut AnyConnection,
    l: &ShipmentLineRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO shipment_lines (shipment_id, line_no, part_id, qty_shipped, qty_received, \
         discrepancy) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&l.shipment_id)
    .bind(l.line_no)
    .bind(&l.part_id)
    .bind(l.qty_shipped)
    .bind(l.qty_received)
    .bind(l.discrepancy.clone())
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_shipment<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Option<ShipmentRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SHIP_COLS} FROM shipments WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(e)
    .await?)
}

pub async fn shipment_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    requisition_id: &str,
) -> Result<Option<ShipmentRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SHIP_COLS} FROM shipments WHERE requisition_id = $1"
    )))
    .bind(requisition_id)
    .fetch_optional(e)
    .await?)
}

/// The newest shipments first; `open`: only those not yet received.
pub async fn list_shipments<'e, E: Executor<'e, Database = Any>>(
    e: E,
    open: bool,
    limit: i64,
) -> Result<Vec<ShipmentRow>, StoreError> {
    let filter = if open {
        "WHERE received_at IS NULL"
    } else {
        ""
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SHIP_COLS} FROM shipments {filter} ORDER BY shipped_at DESC, number DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(e)
    .await?)
}

pub async fn shipment_lines<'e, E: Executor<'e, Database = Any>>(
    e: E,
    shipment_id: &str,
) -> Result<Vec<ShipmentLineRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT shipment_id, line_no, part_id, qty_shipped, qty_received, discrepancy \
         FROM shipment_lines WHERE shipment_id = $1 ORDER BY line_no",
    )
    .bind(shipment_id)
    .fetch_all(e)
    .await?)
}

/// Marks a shipment received; `false` when it already was.
pub async fn mark_received(
    c: &mut AnyConnection,
    id: &str,
    at: &str,
    by_name: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE shipments SET received_at = $1, received_by_name = $2 \
         WHERE id = $3 AND received_at IS NULL",
    )
    .bind(at)
    .bind(by_name)
    .bind(id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_line_received(
    c: &mut AnyConnection,
    shipment_id: &str,
    line_no: i64,
    qty: i64,
    discrepancy: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE shipment_lines SET qty_received = $1, discrepancy = $2 \
         WHERE shipment_id = $3 AND line_no = $4 AND qty_received IS NULL",
    )
    .bind(qty)
    .bind(discrepancy)
    .bind(shipment_id)
    .bind(line_no)
    .execute(c)
    .await?;
    Ok(())
}

/// Lines of shipments received at or after `since`: (received, of which the discrepancy
/// is `accurate`).
pub async fn accuracy_counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    since: &str,
    accurate: &str,
) -> Result<(i64, i64), StoreError> {
    let (all, ok): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(CASE WHEN l.discrepancy = $2 THEN 1 END) \
         FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id \
         WHERE s.received_at >= $1 AND l.qty_received IS NOT NULL",
    )
    .bind(since)
    .bind(accurate)
    .fetch_one(e)
    .await?;
    Ok((all, ok))
}
