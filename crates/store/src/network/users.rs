//! Accounts.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::{Locale, OrgUnitId, Role, UserId};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: Option<OrgUnitId>,
    pub password_hash: String,
    pub locale: Locale,
    pub disabled: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    username: String,
    display_name: String,
    role: String,
    org_unit_id: Option<String>,
    password_hash: String,
    locale: String,
    disabled: i64,
    version: i64,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "id, username, display_name, role, org_unit_id, password_hash, locale, disabled, version, created_at, updated_at";

impl TryFrom<Row> for UserRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: r.id.parse().map_err(|_| corrupt("users.id", &r.id))?,
            role: Role::parse(&r.role).ok_or_else(|| corrupt("users.role", &r.role))?,
            org_unit_id: r
                .org_unit_id
                .as_deref()
                .map(|s| s.parse().map_err(|_| corrupt("users.org_unit_id", s)))
                .transpose()?,
            locale: Locale::from_tag(&r.locale)
                .ok_or_else(|| corrupt("users.locale", &r.locale))?,
            created_at: time::from_db("users.created_at", &r.created_at)?,
            updated_at: time::from_db("users.updated_at", &r.updated_at)?,
            username: r.username,
            display_name: r.display_name,
            password_hash: r.password_hash,
            disabled: r.disabled != 0,
            version: r.version,
        })
    }
}

fn sql(tail: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users {tail}"))
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    u: &UserRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash, locale, disabled, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(u.id.to_string())
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(u.role.as_str())
    .bind(u.org_unit_id.map(|o| o.to_string()))
    .bind(&u.password_hash)
    .bind(u.locale.as_str())
    .bind(i64::from(u.disabled))
    .bind(u.version)
    .bind(time::to_db(u.created_at)?)
    .bind(time::to_db(u.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Writes every editable field if the stored version is `expected_version`; the new
/// version is one more. Returns false when the version did not match (a stale edit).
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    e: E,
    u: &UserRecord,
    expected_version: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, org_unit_id = $3, password_hash = $4, locale = $5, \
         disabled = $6, version = $7, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(&u.display_name)
    .bind(u.role.as_str())
    .bind(u.org_unit_id.map(|o| o.to_string()))
    .bind(&u.password_hash)
    .bind(u.locale.as_str())
    .bind(i64::from(u.disabled))
    .bind(u.version)
    .bind(time::to_db(u.updated_at)?)
    .bind(u.id.to_string())
    .bind(expected_version)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: UserId,
) -> Result<UserRecord, StoreError> {
    let row: Row = sqlx::query_as(sql("WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(e)
        .await?;
    row.try_into()
}

pub async fn find_by_username<'e, E: Executor<'e, Database = Any>>(
    e: E,
    username: &str,
) -> Result<Option<UserRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sql("WHERE username = $1"))
        .bind(username)
        .fetch_optional(e)
        .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn count<'e, E: Executor<'e, Database = Any>>(e: E) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(e)
        .await?)
}

/// Enabled users holding `role`.
pub async fn count_active_with_role<'e, E: Executor<'e, Database = Any>>(
    e: E,
    role: Role,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0")
            .bind(role.as_str())
            .fetch_one(e)
            .await?,
    )
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Only users whose unit lies under this materialized path (organization scope).
    pub org_path_prefix: Option<String>,
    pub role: Option<Role>,
    /// A part of the user name or display name.
    pub q: Option<String>,
    pub include_disabled: bool,
}

/// Users ordered by user name, continuing after `after` (a user name).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &UserFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<UserRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM users u LEFT JOIN org_units o ON o.id = u.org_unit_id \
         WHERE ($1 IS NULL OR o.path LIKE $1 || '%') \
           AND ($2 IS NULL OR u.role = $2) \
           AND ($3 IS NULL OR u.username LIKE '%' || $3 || '%' OR u.display_name LIKE '%' || $3 || '%') \
           AND ($4 = 1 OR u.disabled = 0) \
           AND ($5 IS NULL OR u.username > $5) \
         ORDER BY u.username LIMIT $6",
        COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
    )))
    .bind(f.org_path_prefix.clone())
    .bind(f.role.map(|r| r.as_str()))
    .bind(f.q.clone())
    .bind(i64::from(f.include_disabled))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<Result<Vec<UserRecord>, _>>()?;
    Ok(Page::from_rows(items, limit, |u| u.username.clone()))
}

/// The customer record a portal user acts for (migration 0008), if any.
pub async fn customer_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
) -> Result<Option<String>, StoreError> {
    let v: Option<(Option<String>,)> =
        sqlx::query_as("SELECT customer_id FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(e)
            .await?;
    Ok(v.and_then(|r| r.0))
}

/// Links a portal user to the customer record they act for (or unlinks with `None`).
pub async fn set_customer<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: UserId,
    customer_id: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET customer_id = $1 WHERE id = $2")
        .bind(customer_id.map(str::to_owned))
        .bind(user_id.to_string())
        .execute(e)
        .await?;
    Ok(())
}

/// Active users with a role, by user name (e.g. the agents who may take a portal request).
pub async fn active_with_role<'e, E: Executor<'e, Database = Any>>(
    e: E,
    role: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, username, display_name FROM users WHERE role = $1 AND disabled = 0 ORDER BY username",
    )
    .bind(role)
    .fetch_all(e)
    .await?)
}

/// An active engineer or partner technician with their unit, for dispatch.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TechnicianRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: Option<String>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub org_path: Option<String>,
}

/// Active engineers and partner technicians (enabled accounts), by display name; only
/// those whose unit lies under `path_prefix` when one is given (a manager's subtree).
pub async fn active_technicians<'e, E: Executor<'e, Database = Any>>(
    e: E,
    path_prefix: Option<&str>,
) -> Result<Vec<TechnicianRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id, o.code AS org_code, \
         o.name AS org_name, o.path AS org_path \
         FROM users u LEFT JOIN org_units o ON o.id = u.org_unit_id \
         WHERE u.role IN ('engineer', 'partner') AND u.disabled = 0 \
           AND ($1 IS NULL OR o.path LIKE $1 || '%') \
         ORDER BY u.display_name, u.id",
    )
    .bind(path_prefix.map(str::to_owned))
    .fetch_all(e)
    .await?)
}
