//! Service contracts and the units they cover.

use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::{CustomerId, UnitId};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRecord {
    pub id: String,
    pub number: String,
    pub customer_id: CustomerId,
    pub start_date: String,
    pub end_date: String,
    pub service_level: String,
    pub parts: Option<String>,
    pub labor: Option<String>,
    pub travel: Option<String>,
    /// JSON list of `{"kind": "call"|"visit", "every_months": n}`.
    pub inspection_plan: String,
    pub remind_days_before: i64,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    number: String,
    customer_id: String,
    start_date: String,
    end_date: String,
    service_level: String,
    parts: Option<String>,
    labor: Option<String>,
    travel: Option<String>,
    inspection_plan: String,
    remind_days_before: i64,
    notes: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
}

const COLS: &str = "c.id, c.number, c.customer_id, c.start_date, c.end_date, c.service_level, c.parts, c.labor, c.travel, \
    c.inspection_plan, c.remind_days_before, c.notes, c.version, c.created_at, c.updated_at";

fn record(r: Row) -> Result<ContractRecord, StoreError> {
    Ok(ContractRecord {
        customer_id: r
            .customer_id
            .parse()
            .map_err(|_| corrupt("service_contracts.customer_id", &r.customer_id))?,
        created_at: time::from_db("service_contracts.created_at", &r.created_at)?,
        updated_at: time::from_db("service_contracts.updated_at", &r.updated_at)?,
        id: r.id,
        number: r.number,
        start_date: r.start_date,
        end_date: r.end_date,
        service_level: r.service_level,
        parts: r.parts,
        labor: r.labor,
        travel: r.travel,
        inspection_plan: r.inspection_plan,
        remind_days_before: r.remind_days_before,
        notes: r.notes,
        version: r.version,
    })
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &ContractRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO service_contracts (id, number, customer_id, start_date, end_date, service_level, parts, labor, travel, \
         inspection_plan, remind_days_before, notes, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&c.id)
    .bind(&c.number)
    .bind(c.customer_id.to_string())
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.service_level)
    .bind(c.parts.clone())
    .bind(c.labor.clone())
    .bind(c.travel.clone())
    .bind(&c.inspection_plan)
    .bind(c.remind_days_before)
    .bind(c.notes.clone())
    .bind(c.version)
    .bind(time::to_db(c.created_at)?)
    .bind(time::to_db(c.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn add_unit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    contract_id: &str,
    unit_id: UnitId,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO contract_units (contract_id, unit_id) VALUES ($1, $2)")
        .bind(contract_id)
        .bind(unit_id.to_string())
        .execute(e)
        .await?;
    Ok(())
}

/// Changes a contract's terms if the version matches (number and customer never change);
/// false when stale.
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &ContractRecord,
    expected: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE service_contracts SET start_date = $1, end_date = $2, service_level = $3, parts = $4, labor = $5, \
         travel = $6, inspection_plan = $7, remind_days_before = $8, notes = $9, version = $10, updated_at = $11 \
         WHERE id = $12 AND version = $13",
    )
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.service_level)
    .bind(c.parts.clone())
    .bind(c.labor.clone())
    .bind(c.travel.clone())
    .bind(&c.inspection_plan)
    .bind(c.remind_days_before)
    .bind(c.notes.clone())
    .bind(c.version)
    .bind(time::to_db(c.updated_at)?)
    .bind(&c.id)
    .bind(expected)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes every covered unit of a contract (an edit then adds those it keeps).
pub async fn clear_units<'e, E: Executor<'e, Database = Any>>(
    e: E,
    contract_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM contract_units WHERE contract_id = $1")
        .bind(contract_id)
        .execute(e)
        .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<ContractRecord, StoreError> {
    let r: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM service_contracts c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_one(e)
    .await?;
    record(r)
}

pub async fn units_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    contract_id: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT unit_id FROM contract_units WHERE contract_id = $1 ORDER BY unit_id",
    )
    .bind(contract_id)
    .fetch_all(e)
    .await?)
}

/// Contracts covering a unit, latest start first.
pub async fn for_unit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    unit_id: UnitId,
) -> Result<Vec<ContractRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM service_contracts c JOIN contract_units cu ON cu.contract_id = c.id \
         WHERE cu.unit_id = $1 ORDER BY c.start_date DESC, c.id"
    )))
    .bind(unit_id.to_string())
    .fetch_all(e)
    .await?;
    rows.into_iter().map(record).collect()
}

#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    pub customer_id: Option<CustomerId>,
    /// Only contracts ending on or after this day…
    pub ends_from: Option<String>,
    /// …and on or before this one (for renewal reminders).
    pub ends_until: Option<String>,
}

/// Contracts by end date, then number, continuing after `after` (`end_date|number`).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &ContractFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<crate::Page<ContractRecord>, StoreError> {
    let (after_end, after_number) = match after.and_then(|a| a.split_once('|')) {
        Some((e, n)) => (Some(e.to_owned()), Some(n.to_owned())),
        None => (None, None),
    };
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM service_contracts c WHERE ($1 IS NULL OR c.customer_id = $1) \
         AND ($2 IS NULL OR c.end_date >= $2) AND ($3 IS NULL OR c.end_date <= $3) \
         AND ($4 IS NULL OR c.end_date > $4 OR (c.end_date = $4 AND c.number > $5)) \
         ORDER BY c.end_date, c.number LIMIT $6"
    )))
    .bind(f.customer_id.map(|c| c.to_string()))
    .bind(f.ends_from.clone())
    .bind(f.ends_until.clone())
    .bind(after_end)
    .bind(after_number)
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::Page::from_rows(items, limit, |c| {
        format!("{}|{}", c.end_date, c.number)
    }))
}
