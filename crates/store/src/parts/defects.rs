//! Old for new and defect analysis (docs/defects.md): the charge fact of each part issued on
//! a work order, the obligations to bring defective parts back, their overdue charges, the
//! failure-code catalog and quality alerts.

use crate::error::StoreError;
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IssueRow {
    pub id: String,
    pub move_id: String,
    pub work_order_id: String,
    pub part_id: String,
    pub qty: i64,
    pub serial: Option<String>,
    pub unit_id: Option<String>,
    pub charge: String,
    pub warranty_class: Option<String>,
    pub decided_on: String,
    pub at: String,
}

pub async fn insert_issue(c: &mut AnyConnection, r: &IssueRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO part_issues (id, move_id, work_order_id, part_id, qty, serial, unit_id, charge, \
         warranty_class, decided_on, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.id)
    .bind(&r.move_id)
    .bind(&r.work_order_id)
    .bind(&r.part_id)
    .bind(r.qty)
    .bind(r.serial.clone())
    .bind(r.unit_id.clone())
    .bind(&r.charge)
    .bind(r.warranty_class.clone())
    .bind(&r.decided_on)
    .bind(&r.at)
    .execute(c)
    .await?;
    Ok(())
}

/// The part issues of a work order, oldest first.
pub async fn issues_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<IssueRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, move_id, work_order_id, part_id, qty, serial, unit_id, charge, warranty_class, \
         decided_on, at FROM part_issues WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

/// An obligation as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReturn {
    pub id: String,
    pub number: String,
    pub issue_id: String,
    pub work_order_id: String,
    pub part_id: String,
    pub qty: i64,
    pub serial: Option<String>,
    pub unit_id: Option<String>,
    pub engineer_id: Option<String>,
    pub van_location_id: String,
    pub responsible_unit_id: Option<String>,
    pub due_on: String,
    pub created_at: String,
}

pub async fn insert_return(c: &mut AnyConnection, r: &NewReturn) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO defect_returns (id, number, issue_id, work_order_id, part_id, qty, serial, unit_id, \
         engineer_id, van_location_id, responsible_unit_id, status, due_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13)",
    )
    .bind(&r.id)
    .bind(&r.number)
    .bind(&r.issue_id)
    .bind(&r.work_order_id)
    .bind(&r.part_id)
    .bind(r.qty)
    .bind(r.serial.clone())
    .bind(r.unit_id.clone())
    .bind(r.engineer_id.clone())
    .bind(&r.van_location_id)
    .bind(r.responsible_unit_id.clone())
    .bind(&r.due_on)
    .bind(&r.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// An obligation with what its views show.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReturnRow {
    pub id: String,
    pub number: String,
    pub status: String,
    pub part_id: String,
    pub part_no: String,
    pub part_name_zh: String,
    pub part_name_en: String,
    pub category: String,
    pub list_price_fen: i64,
    pub qty: i64,
    pub serial: Option<String>,
    pub unit_id: Option<String>,
    pub work_order_id: String,
    pub work_order_number: String,
    pub engineer_id: Option<String>,
    pub engineer_name: Option<String>,
    pub van_location_id: String,
    pub van_code: String,
    pub responsible_unit_id: Option<String>,
    pub responsible_unit_name: Option<String>,
    pub responsible_unit_path: Option<String>,
    pub due_on: String,
    pub created_at: String,
    pub handed_in_at: Option<String>,
    pub received_at: Option<String>,
    pub failure_code: Option<String>,
    pub batch: Option<String>,
    pub overdue_at: Option<String>,
    pub charged_fen: Option<i64>,
    pub product_code: Option<String>,
    pub version: i64,
}

const RETURN_SELECT: &str = "SELECT r.id, r.number, r.status, r.part_id, p.part_no, p.name_zh AS part_name_zh, \
    p.name_en AS part_name_en, p.category, p.list_price_fen, r.qty, r.serial, r.unit_id, r.work_order_id, \
    w.number AS work_order_number, r.engineer_id, u.display_name AS engineer_name, r.van_location_id, \
    l.code AS van_code, r.responsible_unit_id, o.name AS responsible_unit_name, o.path AS responsible_unit_path, \
    r.due_on, r.created_at, r.handed_in_at, r.received_at, f.code AS failure_code, r.batch, r.overdue_at, \
    ch.amount_fen AS charged_fen, pr.code AS product_code, r.version \
    FROM defect_returns r JOIN parts p ON p.id = r.part_id JOIN work_orders w ON w.id = r.work_order_id \
    JOIN stock_locations l ON l.id = r.van_location_id LEFT JOIN users u ON u.id = r.engineer_id \
    LEFT JOIN org_units o ON o.id = r.responsible_unit_id LEFT JOIN failure_codes f ON f.id = r.failure_code_id \
    LEFT JOIN defect_charges ch ON ch.return_id = r.id LEFT JOIN units un ON un.id = r.unit_id \
    LEFT JOIN product_models pr ON pr.id = un.product_id";

pub async fn return_by_number<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Option<ReturnRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RETURN_SELECT} WHERE r.number = $1"
    )))
    .bind(number)
    .fetch_optional(e)
    .await?)
}

pub async fn return_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<ReturnRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RETURN_SELECT} WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// Filters of the obligation list; the app adds the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct ReturnFilter {
    pub engineer_id: Option<String>,
    /// Responsible units whose path starts with this.
    pub unit_path: Option<String>,
    pub status: Option<String>,
    pub work_order_id: Option<String>,
    /// Received at or after / before (instants as stored).
    pub received_from: Option<String>,
    pub received_to: Option<String>,
    pub part_id: Option<String>,
}

/// Obligations, newest first, at most `limit`.
pub async fn list_returns<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &ReturnFilter,
    limit: i64,
) -> Result<Vec<ReturnRow>, StoreError> {
    let mut sql = format!("{RETURN_SELECT} WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let mut add = |cond: &str, v: &Option<String>, sql: &mut String| {
        if let Some(v) = v {
            binds.push(v.clone());
            sql.push_str(&cond.replace('?', &format!("${}", binds.len())));
        }
    };
    add(" AND r.engineer_id = ?", &f.engineer_id, &mut sql);
    add(" AND o.path LIKE ? || '%'", &f.unit_path, &mut sql);
    add(" AND r.status = ?", &f.status, &mut sql);
    add(" AND r.work_order_id = ?", &f.work_order_id, &mut sql);
    add(" AND r.received_at >= ?", &f.received_from, &mut sql);
    add(" AND r.received_at < ?", &f.received_to, &mut sql);
    add(" AND r.part_id = ?", &f.part_id, &mut sql);
    sql.push_str(&format!(
        " ORDER BY r.created_at DESC, r.id DESC LIMIT ${}",
        binds.len() + 1
    ));
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.bind(limit).fetch_all(e).await?)
}

/// Sets the status (and the step's instant) of an obligation at `version`; false when it
/// changed meanwhile.
pub async fn hand_in(
    c: &mut AnyConnection,
    id: &str,
    version: i64,
    at: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE defect_returns SET status = 'handed_in', handed_in_at = $1, version = version + 1 \
         WHERE id = $2 AND version = $3 AND status = 'open'",
    )
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub struct Receipt<'a> {
    pub at: &'a str,
    pub by: Option<String>,
    pub failure_code_id: &'a str,
    pub batch: Option<String>,
}

pub async fn receive(
    c: &mut AnyConnection,
    id: &str,
    version: i64,
    r: &Receipt<'_>,
) -> Result<bool, StoreError> {
    let res = sqlx::query(
        "UPDATE defect_returns SET status = 'received', received_at = $1, received_by = $2, \
         failure_code_id = $3, batch = $4, version = version + 1 \
         WHERE id = $5 AND version = $6 AND status = 'handed_in'",
    )
    .bind(r.at)
    .bind(r.by.clone())
    .bind(r.failure_code_id)
    .bind(r.batch.clone())
    .bind(id)
    .bind(version)
    .execute(c)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Marks an owed obligation overdue and writes its one charge; false when it was already
/// marked (or is no longer owed).
pub async fn charge_overdue(
    c: &mut AnyConnection,
    id: &str,
    org_unit_id: Option<String>,
    amount_fen: i64,
    at: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE defect_returns SET overdue_at = $1, version = version + 1 \
         WHERE id = $2 AND overdue_at IS NULL AND status <> 'received'",
    )
    .bind(at)
    .bind(id)
    .execute(&mut *c)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO defect_charges (id, return_id, org_unit_id, amount_fen, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(id)
    .bind(org_unit_id)
    .bind(amount_fen)
    .bind(at)
    .execute(c)
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FailureCodeRow {
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: Option<String>,
    pub active: i64,
    pub created_at: String,
}

pub async fn insert_failure_code(
    c: &mut AnyConnection,
    f: &FailureCodeRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO failure_codes (id, code, name_zh, name_en, category, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&f.id)
    .bind(&f.code)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.category.clone())
    .bind(f.active)
    .bind(&f.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Renames, recategorizes, retires or restores a failure code (its code never changes).
pub async fn update_failure_code(
    c: &mut AnyConnection,
    f: &FailureCodeRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE failure_codes SET name_zh = $2, name_en = $3, category = $4, active = $5 WHERE id = $1",
    )
    .bind(&f.id)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.category.clone())
    .bind(f.active)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn failure_codes<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<FailureCodeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, code, name_zh, name_en, category, active, created_at FROM failure_codes ORDER BY code",
    )
    .fetch_all(e)
    .await?)
}

pub async fn find_failure_code<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<FailureCodeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, code, name_zh, name_en, category, active, created_at FROM failure_codes WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(e)
    .await?)
}

/// Received failures of a part at or after `since`.
pub async fn failures_since<'e, E: Executor<'e, Database = Any>>(
    e: E,
    part_id: &str,
    since: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM defect_returns WHERE part_id = $1 AND status = 'received' AND received_at >= $2",
    )
    .bind(part_id)
    .bind(since)
    .fetch_one(e)
    .await?)
}

/// Whether an alert of the part was raised at or after `since`.
pub async fn alerted_since<'e, E: Executor<'e, Database = Any>>(
    e: E,
    part_id: &str,
    since: &str,
) -> Result<bool, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM quality_alerts WHERE part_id = $1 AND at >= $2")
            .bind(part_id)
            .bind(since)
            .fetch_one(e)
            .await?;
    Ok(n > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AlertRow {
    pub id: String,
    pub part_no: String,
    pub name_zh: String,
    pub name_en: String,
    pub failures: i64,
    pub since: String,
    pub at: String,
}

pub async fn insert_alert(
    c: &mut AnyConnection,
    id: &str,
    part_id: &str,
    failures: i64,
    since: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO quality_alerts (id, part_id, failures, since, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(part_id)
    .bind(failures)
    .bind(since)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Quality alerts, newest first.
pub async fn alerts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    limit: i64,
) -> Result<Vec<AlertRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, p.part_no, p.name_zh, p.name_en, a.failures, a.since, a.at FROM quality_alerts a \
         JOIN parts p ON p.id = a.part_id ORDER BY a.at DESC, a.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(e)
    .await?)
}

/// The active admins and managers at head office (a root unit, or no unit): quality control.
pub async fn quality_recipients<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM users u LEFT JOIN org_units o ON o.id = u.org_unit_id \
         WHERE u.role IN ('admin', 'manager') AND u.disabled = 0 \
         AND (u.org_unit_id IS NULL OR o.parent_id IS NULL) ORDER BY u.id",
    )
    .fetch_all(e)
    .await?)
}
