//! The regions each unit of the service network covers (GB/T 2260 codes as text).

use crate::error::{StoreError, corrupt};
use aftersales_domain::{OrgUnitId, OrgUnitKind};
use sqlx::{Any, AnyConnection, Executor, FromRow};

/// One covered region of one unit, with what the ranking needs of the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub org_unit_id: OrgUnitId,
    pub region_code: String,
    pub code: String,
    pub name: String,
    pub kind: OrgUnitKind,
    pub path: String,
    pub active: bool,
}

#[derive(FromRow)]
struct Row {
    org_unit_id: String,
    region_code: String,
    code: String,
    name: String,
    kind: String,
    path: String,
    active: i64,
}

fn row(r: Row) -> Result<CoverageRow, StoreError> {
    Ok(CoverageRow {
        org_unit_id: r
            .org_unit_id
            .parse()
            .map_err(|_| corrupt("org_unit_regions.org_unit_id", &r.org_unit_id))?,
        kind: OrgUnitKind::parse(&r.kind).ok_or_else(|| corrupt("org_units.kind", &r.kind))?,
        region_code: r.region_code,
        code: r.code,
        name: r.name,
        path: r.path,
        active: r.active != 0,
    })
}

const SELECT: &str = "SELECT r.org_unit_id, r.region_code, o.code, o.name, o.kind, o.path, o.active \
    FROM org_unit_regions r JOIN org_units o ON o.id = r.org_unit_id";

/// A unit's regions, by code.
pub async fn regions_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    unit: OrgUnitId,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT region_code FROM org_unit_regions WHERE org_unit_id = $1 ORDER BY region_code",
    )
    .bind(unit.to_string())
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Replaces a unit's regions with `codes` (in the caller's transaction).
pub async fn replace(
    c: &mut AnyConnection,
    unit: OrgUnitId,
    codes: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_unit_regions WHERE org_unit_id = $1")
        .bind(unit.to_string())
        .execute(&mut *c)
        .await?;
    for code in codes {
        sqlx::query("INSERT INTO org_unit_regions (org_unit_id, region_code) VALUES ($1, $2)")
            .bind(unit.to_string())
            .bind(code)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Every unit's regions that are one of `codes` (a place and the regions above it).
pub async fn holding_any<'e, E: Executor<'e, Database = Any>>(
    e: E,
    codes: &[String],
) -> Result<Vec<CoverageRow>, StoreError> {
    // A place has at most three levels: bind three, repeating the last.
    let pick = |i: usize| codes.get(i).or(codes.last()).cloned();
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.region_code IN ($1, $2, $3) ORDER BY o.path, r.region_code"
    )))
    .bind(pick(0))
    .bind(pick(1))
    .bind(pick(2))
    .fetch_all(e)
    .await?;
    rows.into_iter().map(row).collect()
}

/// The whole network's coverage, in tree order.
pub async fn all<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<CoverageRow>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY o.path, r.region_code"
    )))
    .fetch_all(e)
    .await?;
    rows.into_iter().map(row).collect()
}
