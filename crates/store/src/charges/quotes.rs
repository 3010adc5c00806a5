//! Quotes and the managers' overrides of the charges gate (docs/charges.md "Quotes"). A
//! quote version is written once; only its answer (status, when, how, who signed) is set
//! later, and only while it is pending, so a link used twice finds nothing to change.

use crate::error::StoreError;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct QuoteRow {
    pub id: String,
    pub number: String,
    pub version: i64,
    pub work_order_id: String,
    pub request_id: String,
    pub status: String,
    pub cause: String,
    pub schedule_id: Option<String>,
    pub facts_json: String,
    pub lines_json: String,
    pub net_fen: i64,
    pub vat_rate_ppm: i64,
    pub vat_fen: i64,
    pub gross_fen: i64,
    pub service_type: String,
    pub valid_until: String,
    pub locale: String,
    pub token_hash: Option<String>,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_by_name: String,
    pub created_at: String,
    pub answered_at: Option<String>,
    pub answered_via: Option<String>,
    pub answer_note: Option<String>,
    pub signer_name: Option<String>,
    pub signature_png: Option<Vec<u8>>,
}

const COLS: &str = "id, number, version, work_order_id, request_id, status, cause, schedule_id, \
    facts_json, lines_json, net_fen, vat_rate_ppm, vat_fen, gross_fen, service_type, valid_until, \
    locale, token_hash, note, created_by, created_by_name, created_at, answered_at, answered_via, \
    answer_note, signer_name, signature_png";

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    q: &QuoteRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO quotes ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
    )))
    .bind(&q.id)
    .bind(&q.number)
    .bind(q.version)
    .bind(&q.work_order_id)
    .bind(&q.request_id)
    .bind(&q.status)
    .bind(&q.cause)
    .bind(q.schedule_id.clone())
    .bind(&q.facts_json)
    .bind(&q.lines_json)
    .bind(q.net_fen)
    .bind(q.vat_rate_ppm)
    .bind(q.vat_fen)
    .bind(q.gross_fen)
    .bind(&q.service_type)
    .bind(&q.valid_until)
    .bind(&q.locale)
    .bind(q.token_hash.clone())
    .bind(q.note.clone())
    .bind(q.created_by.clone())
    .bind(&q.created_by_name)
    .bind(&q.created_at)
    .bind(q.answered_at.clone())
    .bind(q.answered_via.clone())
    .bind(q.answer_note.clone())
    .bind(q.signer_name.clone())
    .bind(q.signature_png.clone())
    .execute(e)
    .await?;
    Ok(())
}

/// Every version of the work order's quote, newest first.
pub async fn of_work_order<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<QuoteRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM quotes WHERE work_order_id = $1 ORDER BY version DESC"
    )))
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

/// The versions of a quote number, newest first (none: no such quote).
pub async fn by_number<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Vec<QuoteRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM quotes WHERE number = $1 ORDER BY version DESC"
    )))
    .bind(number)
    .fetch_all(e)
    .await?)
}

/// The version whose link secret hashes to `token_hash`.
pub async fn by_token_hash<'e, E: Executor<'e, Database = Any>>(
    e: E,
    token_hash: &str,
) -> Result<Option<QuoteRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM quotes WHERE token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(e)
    .await?)
}

/// The newest quote versions, optionally of one status, at most `limit`.
pub async fn recent<'e, E: Executor<'e, Database = Any>>(
    e: E,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<QuoteRow>, StoreError> {
    let rows = match status {
        Some(s) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM quotes WHERE status = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            )))
            .bind(s)
            .bind(limit)
            .fetch_all(e)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM quotes ORDER BY created_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(e)
            .await?
        }
    };
    Ok(rows)
}

/// Marks every pending version of the work order's quote superseded (a new version is
/// being written): their links stop working.
pub async fn supersede_pending<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE quotes SET status = 'superseded' WHERE work_order_id = $1 AND status = 'pending'",
    )
    .bind(work_order_id)
    .execute(e)
    .await?;
    Ok(done.rows_affected())
}

/// The answer to a pending version. `false` when it was no longer pending (answered in
/// the meantime, or superseded): the caller reports the state it finds.
#[allow(clippy::too_many_arguments)]
pub async fn answer<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
    status: &str,
    at: &str,
    via: &str,
    note: Option<&str>,
    signer_name: Option<&str>,
    signature_png: Option<&[u8]>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE quotes SET status = $1, answered_at = $2, answered_via = $3, answer_note = $4, \
         signer_name = $5, signature_png = $6 WHERE id = $7 AND status = 'pending'",
    )
    .bind(status)
    .bind(at)
    .bind(via)
    .bind(note)
    .bind(signer_name)
    .bind(signature_png.map(<[u8]>::to_vec))
    .bind(id)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OverrideRow {
    pub id: String,
    pub work_order_id: String,
    pub refused: String,
    pub reason: String,
    pub by_id: Option<String>,
    pub by_name: String,
    pub at: String,
}

pub async fn insert_override<'e, E: Executor<'e, Database = Any>>(
    e: E,
    o: &OverrideRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO charge_overrides (id, work_order_id, refused, reason, by_id, by_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&o.id)
    .bind(&o.work_order_id)
    .bind(&o.refused)
    .bind(&o.reason)
    .bind(o.by_id.clone())
    .bind(&o.by_name)
    .bind(&o.at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn overrides_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<OverrideRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, work_order_id, refused, reason, by_id, by_name, at FROM charge_overrides \
         WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

/// A completed work order's service type and what each payer bore (written once).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CostRow {
    pub work_order_id: String,
    pub service_type: String,
    pub warranty_fen: i64,
    pub contract_fen: i64,
    pub customer_fen: i64,
    pub vat_fen: i64,
    pub partner_fen: i64,
    pub internal_fen: i64,
    pub schedule_id: Option<String>,
    pub lines_json: String,
    pub priced_at: String,
}

pub async fn insert_cost<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CostRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO work_order_costs (work_order_id, service_type, warranty_fen, contract_fen, \
         customer_fen, vat_fen, partner_fen, internal_fen, schedule_id, lines_json, priced_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&c.work_order_id)
    .bind(&c.service_type)
    .bind(c.warranty_fen)
    .bind(c.contract_fen)
    .bind(c.customer_fen)
    .bind(c.vat_fen)
    .bind(c.partner_fen)
    .bind(c.internal_fen)
    .bind(c.schedule_id.clone())
    .bind(&c.lines_json)
    .bind(&c.priced_at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn cost_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Option<CostRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT work_order_id, service_type, warranty_fen, contract_fen, customer_fen, vat_fen, \
         partner_fen, internal_fen, schedule_id, lines_json, priced_at FROM work_order_costs \
         WHERE work_order_id = $1",
    )
    .bind(work_order_id)
    .fetch_optional(e)
    .await?)
}
