//! The parts catalog: suppliers, parts and the product models each part fits.

use crate::error::StoreError;
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SupplierRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub warranty_months: Option<i64>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const SUPPLIER_COLS: &str = "id, code, name, contact, phone, email, address, warranty_months, note, version, created_at, updated_at";

pub async fn insert_supplier(c: &mut AnyConnection, s: &SupplierRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO suppliers ({SUPPLIER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(&s.id)
    .bind(&s.code)
    .bind(&s.name)
    .bind(s.contact.clone())
    .bind(s.phone.clone())
    .bind(s.email.clone())
    .bind(s.address.clone())
    .bind(s.warranty_months)
    .bind(s.note.clone())
    .bind(s.version)
    .bind(&s.created_at)
    .bind(&s.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Writes a supplier's new state if it is still at `expected` version; false otherwise.
pub async fn update_supplier(
    c: &mut AnyConnection,
    s: &SupplierRow,
    expected: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE suppliers SET name = $1, contact = $2, phone = $3, email = $4, address = $5, \
         warranty_months = $6, note = $7, version = $8, updated_at = $9 WHERE id = $10 AND version = $11",
    )
    .bind(&s.name)
    .bind(s.contact.clone())
    .bind(s.phone.clone())
    .bind(s.email.clone())
    .bind(s.address.clone())
    .bind(s.warranty_months)
    .bind(s.note.clone())
    .bind(s.version)
    .bind(&s.updated_at)
    .bind(&s.id)
    .bind(expected)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn find_supplier<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<SupplierRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPLIER_COLS} FROM suppliers WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(e)
    .await?)
}

pub async fn supplier_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<SupplierRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPLIER_COLS} FROM suppliers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// Suppliers by code after `after`, `limit` at a time (exports).
pub async fn suppliers_after<'e, E: Executor<'e, Database = Any>>(
    e: E,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<SupplierRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPLIER_COLS} FROM suppliers WHERE code > $1 ORDER BY code LIMIT $2"
    )))
    .bind(after.unwrap_or(""))
    .bind(limit)
    .fetch_all(e)
    .await?)
}

pub async fn list_suppliers<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<SupplierRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPLIER_COLS} FROM suppliers ORDER BY code LIMIT 1000"
    )))
    .fetch_all(e)
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PartRow {
    pub id: String,
    pub part_no: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub uom: String,
    pub serialized: i64,
    pub original_only: i64,
    pub cost_fen: i64,
    pub list_price_fen: i64,
    pub supplier_id: Option<String>,
    pub supplier_warranty_months: Option<i64>,
    pub discontinued: i64,
    pub successor_id: Option<String>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const PART_COLS: &str = "id, part_no, name_zh, name_en, category, uom, serialized, original_only, cost_fen, \
    list_price_fen, supplier_id, supplier_warranty_months, discontinued, successor_id, note, version, created_at, updated_at";

pub async fn insert_part(c: &mut AnyConnection, p: &PartRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO parts ({PART_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    )))
    .bind(&p.id)
    .bind(&p.part_no)
    .bind(&p.name_zh)
    .bind(&p.name_en)
    .bind(&p.category)
    .bind(&p.uom)
    .bind(p.serialized)
    .bind(p.original_only)
    .bind(p.cost_fen)
    .bind(p.list_price_fen)
    .bind(p.supplier_id.clone())
    .bind(p.supplier_warranty_months)
    .bind(p.discontinued)
    .bind(p.successor_id.clone())
    .bind(p.note.clone())
    .bind(p.version)
    .bind(&p.created_at)
    .bind(&p.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Writes a part's new state if it is still at `expected` version; false otherwise. The
/// part number, unit of measure and serial tracking never change (the ledger counts in them).
pub async fn update_part(
    c: &mut AnyConnection,
    p: &PartRow,
    expected: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE parts SET name_zh = $1, name_en = $2, category = $3, original_only = $4, cost_fen = $5, \
         list_price_fen = $6, supplier_id = $7, supplier_warranty_months = $8, discontinued = $9, \
         successor_id = $10, note = $11, version = $12, updated_at = $13 WHERE id = $14 AND version = $15",
    )
    .bind(&p.name_zh)
    .bind(&p.name_en)
    .bind(&p.category)
    .bind(p.original_only)
    .bind(p.cost_fen)
    .bind(p.list_price_fen)
    .bind(p.supplier_id.clone())
    .bind(p.supplier_warranty_months)
    .bind(p.discontinued)
    .bind(p.successor_id.clone())
    .bind(p.note.clone())
    .bind(p.version)
    .bind(&p.updated_at)
    .bind(&p.id)
    .bind(expected)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn find_part<'e, E: Executor<'e, Database = Any>>(
    e: E,
    part_no: &str,
) -> Result<Option<PartRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PART_COLS} FROM parts WHERE part_no = $1"
    )))
    .bind(part_no)
    .fetch_optional(e)
    .await?)
}

pub async fn part_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<PartRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PART_COLS} FROM parts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// Parts whose number or name contains `q` (all when empty), by part number, after `after`.
pub async fn search_parts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    q: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<PartRow>, StoreError> {
    let like = format!("%{}%", q.replace(['%', '_'], ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PART_COLS} FROM parts WHERE (part_no LIKE UPPER($1) OR name_zh LIKE $1 OR LOWER(name_en) LIKE LOWER($1)) \
         AND ($2 IS NULL OR part_no > $2) ORDER BY part_no LIMIT $3"
    )))
    .bind(like)
    .bind(after.map(str::to_owned))
    .bind(limit)
    .fetch_all(e)
    .await?)
}

/// The product codes a part fits.
pub async fn part_models<'e, E: Executor<'e, Database = Any>>(
    e: E,
    part_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT p.code FROM part_models m JOIN product_models p ON p.id = m.product_id \
         WHERE m.part_id = $1 ORDER BY p.code",
    )
    .bind(part_id)
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// Replaces the models a part fits.
pub async fn set_part_models(
    c: &mut AnyConnection,
    part_id: &str,
    product_ids: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM part_models WHERE part_id = $1")
        .bind(part_id)
        .execute(&mut *c)
        .await?;
    for p in product_ids {
        sqlx::query("INSERT INTO part_models (part_id, product_id) VALUES ($1, $2)")
            .bind(part_id)
            .bind(p)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
