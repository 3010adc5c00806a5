//! Warranty policies with their versions, and product models.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::ProductId;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub id: String,
    pub code: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// A stored policy version; the charge fields hold the domain's snake_case names and
/// `after_terms` its JSON list.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PolicyVersionRow {
    pub id: String,
    pub policy_id: String,
    pub effective_from: String,
    pub months: i64,
    pub start_basis: String,
    pub in_parts: String,
    pub in_labor: String,
    pub in_travel: String,
    pub exclusion_charge: String,
    pub after_terms: String,
    pub note: Option<String>,
    pub created_at: String,
}

pub async fn insert_policy<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &PolicyRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO warranty_policies (id, code, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&p.id)
    .bind(&p.code)
    .bind(&p.name)
    .bind(time::to_db(p.created_at)?)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn insert_version<'e, E: Executor<'e, Database = Any>>(
    e: E,
    v: &PolicyVersionRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO warranty_policy_versions (id, policy_id, effective_from, months, start_basis, in_parts, in_labor, \
         in_travel, exclusion_charge, after_terms, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&v.id)
    .bind(&v.policy_id)
    .bind(&v.effective_from)
    .bind(v.months)
    .bind(&v.start_basis)
    .bind(&v.in_parts)
    .bind(&v.in_labor)
    .bind(&v.in_travel)
    .bind(&v.exclusion_charge)
    .bind(&v.after_terms)
    .bind(v.note.clone())
    .bind(&v.created_at)
    .execute(e)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct PolicyRow {
    id: String,
    code: String,
    name: String,
    created_at: String,
}

fn policy(r: PolicyRow) -> Result<PolicyRecord, StoreError> {
    Ok(PolicyRecord {
        created_at: time::from_db("warranty_policies.created_at", &r.created_at)?,
        id: r.id,
        code: r.code,
        name: r.name,
    })
}

pub async fn find_policy_by_code<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<PolicyRecord>, StoreError> {
    let r: Option<PolicyRow> =
        sqlx::query_as("SELECT id, code, name, created_at FROM warranty_policies WHERE code = $1")
            .bind(code)
            .fetch_optional(e)
            .await?;
    r.map(policy).transpose()
}

pub async fn get_policy<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<PolicyRecord, StoreError> {
    let r: PolicyRow =
        sqlx::query_as("SELECT id, code, name, created_at FROM warranty_policies WHERE id = $1")
            .bind(id)
            .fetch_one(e)
            .await?;
    policy(r)
}

pub async fn list_policies<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<PolicyRecord>, StoreError> {
    let rows: Vec<PolicyRow> =
        sqlx::query_as("SELECT id, code, name, created_at FROM warranty_policies ORDER BY code")
            .fetch_all(e)
            .await?;
    rows.into_iter().map(policy).collect()
}

/// Every version of a policy, oldest first.
pub async fn versions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    policy_id: &str,
) -> Result<Vec<PolicyVersionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, policy_id, effective_from, months, start_basis, in_parts, in_labor, in_travel, exclusion_charge, \
         after_terms, note, created_at FROM warranty_policy_versions WHERE policy_id = $1 ORDER BY effective_from",
    )
    .bind(policy_id)
    .fetch_all(e)
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub code: String,
    pub name: String,
    pub product_line: String,
    pub maintenance_interval_months: Option<i64>,
    pub policy_id: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct ProductRow {
    id: String,
    code: String,
    name: String,
    product_line: String,
    maintenance_interval_months: Option<i64>,
    policy_id: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
}

const PRODUCT_SELECT: &str = "SELECT id, code, name, product_line, maintenance_interval_months, policy_id, version, created_at, updated_at FROM product_models";

fn product(r: ProductRow) -> Result<ProductRecord, StoreError> {
    Ok(ProductRecord {
        id: r
            .id
            .parse()
            .map_err(|_| corrupt("product_models.id", &r.id))?,
        created_at: time::from_db("product_models.created_at", &r.created_at)?,
        updated_at: time::from_db("product_models.updated_at", &r.updated_at)?,
        code: r.code,
        name: r.name,
        product_line: r.product_line,
        maintenance_interval_months: r.maintenance_interval_months,
        policy_id: r.policy_id,
        version: r.version,
    })
}

pub async fn insert_product<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &ProductRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO product_models (id, code, name, product_line, maintenance_interval_months, policy_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(p.id.to_string())
    .bind(&p.code)
    .bind(&p.name)
    .bind(&p.product_line)
    .bind(p.maintenance_interval_months)
    .bind(p.policy_id.clone())
    .bind(p.version)
    .bind(time::to_db(p.created_at)?)
    .bind(time::to_db(p.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Changes a product model's name, line, maintenance interval and policy if the version
/// matches (the code never changes); false when stale.
pub async fn update_product<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &ProductRecord,
    expected: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE product_models SET name = $1, product_line = $2, maintenance_interval_months = $3, policy_id = $4, \
         version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
    )
    .bind(&p.name)
    .bind(&p.product_line)
    .bind(p.maintenance_interval_months)
    .bind(p.policy_id.clone())
    .bind(p.version)
    .bind(time::to_db(p.updated_at)?)
    .bind(p.id.to_string())
    .bind(expected)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get_product<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: ProductId,
) -> Result<ProductRecord, StoreError> {
    let r: ProductRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PRODUCT_SELECT} WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(e)
    .await?;
    product(r)
}

pub async fn find_product_by_code<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<ProductRecord>, StoreError> {
    let r: Option<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PRODUCT_SELECT} WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(e)
    .await?;
    r.map(product).transpose()
}

/// Product models by code, continuing after `after` (a code).
pub async fn list_products<'e, E: Executor<'e, Database = Any>>(
    e: E,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ProductRecord>, StoreError> {
    let rows: Vec<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PRODUCT_SELECT} WHERE ($1 IS NULL OR code > $1) ORDER BY code LIMIT $2"
    )))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(product)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |p| p.code.clone()))
}

/// A stored date, read back.
pub fn date_from_db(column: &'static str, s: Option<&str>) -> Result<Option<Date>, StoreError> {
    s.map(|s| s.parse::<Date>().map_err(|_| corrupt(column, s)))
        .transpose()
}

// ---- Many at once (imports) ----

/// Inserts product models in a few statements.
pub async fn insert_many(
    conn: &mut sqlx::AnyConnection,
    products: &[ProductRecord],
) -> Result<(), StoreError> {
    use crate::bulk::{self, Val};
    bulk::insert_rows(
        conn,
        "product_models",
        &[
            "id",
            "code",
            "name",
            "product_line",
            "maintenance_interval_months",
            "policy_id",
            "version",
            "created_at",
            "updated_at",
        ],
        products
            .iter()
            .map(|p| -> Result<Vec<Val>, StoreError> {
                Ok(vec![
                    Val::text(p.id.to_string()),
                    Val::text(&p.code),
                    Val::text(&p.name),
                    Val::text(&p.product_line),
                    Val::Int(p.maintenance_interval_months),
                    Val::Text(p.policy_id.clone()),
                    Val::Int(Some(p.version)),
                    Val::text(time::to_db(p.created_at)?),
                    Val::text(time::to_db(p.updated_at)?),
                ])
            })
            .collect::<Result<Vec<_>, _>>()?,
    )
    .await?;
    Ok(())
}

/// (code, id) of every product model.
pub async fn all_codes<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as("SELECT code, id FROM product_models")
        .fetch_all(e)
        .await?)
}
