//! Units of the service network, stored as a tree with a materialized path
//! (`/id/id/…/`) so "this unit and everything below it" is one prefix match.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::{OrgUnitId, OrgUnitKind};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnitRecord {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub kind: OrgUnitKind,
    pub code: String,
    pub name: String,
    pub path: String,
    pub active: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl OrgUnitRecord {
    /// The path of a unit below `parent` (or a root when there is none).
    pub fn child_path(parent: Option<&OrgUnitRecord>, id: OrgUnitId) -> String {
        match parent {
            Some(p) => format!("{}{id}/", p.path),
            None => format!("/{id}/"),
        }
    }
}

#[derive(FromRow)]
struct Row {
    id: String,
    parent_id: Option<String>,
    kind: String,
    code: String,
    name: String,
    path: String,
    active: i64,
    version: i64,
    created_at: String,
    updated_at: String,
}

const SELECT: &str = "SELECT id, parent_id, kind, code, name, path, active, version, created_at, updated_at FROM org_units";

impl TryFrom<Row> for OrgUnitRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(OrgUnitRecord {
            id: r.id.parse().map_err(|_| corrupt("org_units.id", &r.id))?,
            parent_id: r
                .parent_id
                .as_deref()
                .map(|s| s.parse().map_err(|_| corrupt("org_units.parent_id", s)))
                .transpose()?,
            kind: OrgUnitKind::parse(&r.kind).ok_or_else(|| corrupt("org_units.kind", &r.kind))?,
            created_at: time::from_db("org_units.created_at", &r.created_at)?,
            updated_at: time::from_db("org_units.updated_at", &r.updated_at)?,
            code: r.code,
            name: r.name,
            path: r.path,
            active: r.active != 0,
            version: r.version,
        })
    }
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    o: &OrgUnitRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_units (id, parent_id, kind, code, name, path, active, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(o.id.to_string())
    .bind(o.parent_id.map(|p| p.to_string()))
    .bind(o.kind.as_str())
    .bind(&o.code)
    .bind(&o.name)
    .bind(&o.path)
    .bind(i64::from(o.active))
    .bind(o.version)
    .bind(time::to_db(o.created_at)?)
    .bind(time::to_db(o.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Updates name, code and active flag if the stored version matches; false when stale.
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    e: E,
    o: &OrgUnitRecord,
    expected_version: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE org_units SET code = $1, name = $2, active = $3, version = $4, updated_at = $5 \
         WHERE id = $6 AND version = $7",
    )
    .bind(&o.code)
    .bind(&o.name)
    .bind(i64::from(o.active))
    .bind(o.version)
    .bind(time::to_db(o.updated_at)?)
    .bind(o.id.to_string())
    .bind(expected_version)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: OrgUnitId,
) -> Result<OrgUnitRecord, StoreError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.to_string())
        .fetch_one(e)
        .await?;
    row.try_into()
}

pub async fn find_by_code<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<OrgUnitRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE code = $1")))
        .bind(code)
        .fetch_optional(e)
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// Units under `path_prefix` (all when `None`), in tree order, continuing after `after`
/// (a path).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    path_prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<OrgUnitRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 IS NULL OR path LIKE $1 || '%') AND ($2 IS NULL OR path > $2) ORDER BY path LIMIT $3"
    )))
    .bind(path_prefix.map(str::to_owned))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<Result<Vec<OrgUnitRecord>, _>>()?;
    Ok(Page::from_rows(items, limit, |o| o.path.clone()))
}

/// Every unit, in tree order (the network is small enough to hold at once).
pub async fn all<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<OrgUnitRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY path")))
        .fetch_all(e)
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}
