//! Engineers' skills and certifications per product line. Removed records stay (with
//! `removed_at` and `removed_by`); lists read the holder's name and unit with them.

use crate::error::{StoreError, corrupt};
use crate::installed_base::products::date_from_db;
use crate::{Page, time};
use aftersales_domain::certification::CertLevel;
use aftersales_domain::{CertificationId, OrgUnitId, Role, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationRecord {
    pub id: CertificationId,
    pub user_id: UserId,
    pub product_line: String,
    pub level: CertLevel,
    pub number: Option<String>,
    pub issued_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub issuer: Option<String>,
    pub removed_at: Option<Timestamp>,
    /// The user name of whoever removed it.
    pub removed_by: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who holds a record: what lists show beside it, and what scope checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<OrgUnitId>,
    pub org_unit_name: Option<String>,
    pub org_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCertification {
    pub cert: CertificationRecord,
    pub holder: Holder,
}

#[derive(FromRow)]
struct Row {
    id: String,
    user_id: String,
    product_line: String,
    level: String,
    number: Option<String>,
    issued_on: Option<String>,
    expires_on: Option<String>,
    issuer: Option<String>,
    removed_at: Option<String>,
    removed_by: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
    username: String,
    display_name: String,
    role: String,
    org_unit_id: Option<String>,
    org_unit_name: Option<String>,
    org_path: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.user_id, c.product_line, c.level, c.number, c.issued_on, \
    c.expires_on, c.issuer, c.removed_at, c.removed_by, c.version, c.created_at, c.updated_at, \
    u.username, u.display_name, u.role, u.org_unit_id, o.name AS org_unit_name, o.path AS org_path \
    FROM certifications c JOIN users u ON u.id = c.user_id LEFT JOIN org_units o ON o.id = u.org_unit_id";

/// The sort key of lists: by expiry date, records without one last.
const SORT_KEY: &str = "COALESCE(c.expires_on, '9999-12-31')";

fn held(r: Row) -> Result<HeldCertification, StoreError> {
    let cert = CertificationRecord {
        id: r
            .id
            .parse()
            .map_err(|_| corrupt("certifications.id", &r.id))?,
        user_id: r
            .user_id
            .parse()
            .map_err(|_| corrupt("certifications.user_id", &r.user_id))?,
        level: CertLevel::parse(&r.level)
            .ok_or_else(|| corrupt("certifications.level", &r.level))?,
        issued_on: date_from_db("certifications.issued_on", r.issued_on.as_deref())?,
        expires_on: date_from_db("certifications.expires_on", r.expires_on.as_deref())?,
        removed_at: time::opt_from_db("certifications.removed_at", r.removed_at.as_deref())?,
        created_at: time::from_db("certifications.created_at", &r.created_at)?,
        updated_at: time::from_db("certifications.updated_at", &r.updated_at)?,
        product_line: r.product_line,
        number: r.number,
        issuer: r.issuer,
        removed_by: r.removed_by,
        version: r.version,
    };
    let holder = Holder {
        role: Role::parse(&r.role).ok_or_else(|| corrupt("users.role", &r.role))?,
        org_unit_id: r
            .org_unit_id
            .as_deref()
            .map(|s| s.parse().map_err(|_| corrupt("users.org_unit_id", s)))
            .transpose()?,
        username: r.username,
        display_name: r.display_name,
        org_unit_name: r.org_unit_name,
        org_path: r.org_path,
    };
    Ok(HeldCertification { cert, holder })
}

fn opt_date(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CertificationRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO certifications (id, user_id, product_line, level, number, issued_on, expires_on, \
         issuer, removed_at, removed_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(c.id.to_string())
    .bind(c.user_id.to_string())
    .bind(&c.product_line)
    .bind(c.level.as_str())
    .bind(c.number.clone())
    .bind(opt_date(c.issued_on))
    .bind(opt_date(c.expires_on))
    .bind(c.issuer.clone())
    .bind(c.removed_at.map(time::to_db).transpose()?)
    .bind(c.removed_by.clone())
    .bind(c.version)
    .bind(time::to_db(c.created_at)?)
    .bind(time::to_db(c.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Writes every changeable field (the removal too) if the stored version matches; false
/// when stale or already removed.
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CertificationRecord,
    expected_version: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE certifications SET product_line = $1, level = $2, number = $3, issued_on = $4, \
         expires_on = $5, issuer = $6, removed_at = $7, removed_by = $8, version = $9, updated_at = $10 \
         WHERE id = $11 AND version = $12 AND removed_at IS NULL",
    )
    .bind(&c.product_line)
    .bind(c.level.as_str())
    .bind(c.number.clone())
    .bind(opt_date(c.issued_on))
    .bind(opt_date(c.expires_on))
    .bind(c.issuer.clone())
    .bind(c.removed_at.map(time::to_db).transpose()?)
    .bind(c.removed_by.clone())
    .bind(c.version)
    .bind(time::to_db(c.updated_at)?)
    .bind(c.id.to_string())
    .bind(expected_version)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: CertificationId,
) -> Result<HeldCertification, StoreError> {
    let r: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id.to_string())
        .fetch_one(e)
        .await?;
    held(r)
}

/// A person's records by product line; removed ones too when asked.
pub async fn for_user<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user: UserId,
    include_removed: bool,
) -> Result<Vec<HeldCertification>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.user_id = $1 AND ($2 = 1 OR c.removed_at IS NULL) \
         ORDER BY c.removed_at IS NOT NULL, c.product_line, c.created_at, c.id"
    )))
    .bind(user.to_string())
    .bind(i64::from(include_removed))
    .fetch_all(e)
    .await?;
    rows.into_iter().map(held).collect()
}

/// The current records of several people at once (the dispatcher board's engineers).
pub async fn for_users(
    conn: &mut sqlx::AnyConnection,
    users: &[String],
) -> Result<Vec<HeldCertification>, StoreError> {
    let rows: Vec<Row> = crate::bulk::fetch_in(
        conn,
        &format!(
            "{SELECT} WHERE c.removed_at IS NULL AND c.user_id IN ({{in}}) \
             ORDER BY c.user_id, c.product_line, c.created_at, c.id"
        ),
        users,
    )
    .await?;
    rows.into_iter().map(held).collect()
}

/// The product lines of a person's current records, with their ids.
pub async fn current_lines<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user: UserId,
) -> Result<Vec<(CertificationId, String)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, product_line FROM certifications WHERE user_id = $1 AND removed_at IS NULL",
    )
    .bind(user.to_string())
    .fetch_all(e)
    .await?;
    rows.into_iter()
        .map(|(id, line)| {
            id.parse()
                .map(|id| (id, line))
                .map_err(|_| corrupt("certifications.id", &id))
        })
        .collect()
}

/// Filters of the list of current records.
#[derive(Debug, Clone, Default)]
pub struct CertFilter {
    /// Holders whose unit's path starts with this.
    pub org_path_prefix: Option<String>,
    pub user_id: Option<UserId>,
    /// Only records with an expiry date on or before this day (`YYYY-MM-DD`).
    pub expires_until: Option<String>,
    /// Only records with an expiry date on or after this day.
    pub expires_from: Option<String>,
}

/// Current records in expiry order (none last), continuing after `after`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &CertFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<HeldCertification>, StoreError> {
    let (after_key, after_id) = match after.and_then(|a| a.split_once('|')) {
        Some((k, id)) => (Some(k.to_owned()), Some(id.to_owned())),
        None => (None, None),
    };
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.removed_at IS NULL \
         AND ($1 IS NULL OR o.path LIKE $1 || '%') AND ($2 IS NULL OR c.user_id = $2) \
         AND ($3 IS NULL OR c.expires_on <= $3) AND ($4 IS NULL OR c.expires_on >= $4) \
         AND ($5 IS NULL OR {SORT_KEY} > $5 OR ({SORT_KEY} = $5 AND c.id > $6)) \
         ORDER BY {SORT_KEY}, c.id LIMIT $7"
    )))
    .bind(f.org_path_prefix.clone())
    .bind(f.user_id.map(|u| u.to_string()))
    .bind(f.expires_until.clone())
    .bind(f.expires_from.clone())
    .bind(after_key)
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows.into_iter().map(held).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |h| {
        format!(
            "{}|{}",
            h.cert
                .expires_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "9999-12-31".into()),
            h.cert.id
        )
    }))
}

/// The product lines of the product models, for checking and suggesting.
pub async fn known_product_lines<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT product_line FROM product_models ORDER BY product_line")
            .fetch_all(e)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
