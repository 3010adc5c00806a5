//! The figures of a manager's home (issue 13: backlog by age, the promise kept, work orders
//! waiting); the KPI issue adds the reports. `units`: the requests of these responsible
//! units only (the reader's scope); `None`: all.

use crate::StoreError;
use sqlx::{Any, Executor};

/// ` AND <column> IN ($k, …)` for a scope, its values appended to `binds`; `None` when
/// the scope is empty (nothing matches).
fn in_units(column: &str, units: Option<&[String]>, binds: &mut Vec<String>) -> Option<String> {
    match units {
        None => Some(String::new()),
        Some([]) => None,
        Some(units) => {
            let sql = format!(
                " AND {column} IN ({})",
                crate::bulk::placeholders(binds.len() + 1, units.len())
            );
            binds.extend(units.iter().cloned());
            Some(sql)
        }
    }
}

/// When each request in one of `statuses` was filed.
pub async fn request_times<'e, E: Executor<'e, Database = Any>>(
    e: E,
    statuses: &[&str],
    units: Option<&[String]>,
) -> Result<Vec<String>, StoreError> {
    if statuses.is_empty() {
        return Ok(vec![]);
    }
    let mut binds: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
    let Some(scope) = in_units("r.org_unit_id", units, &mut binds) else {
        return Ok(vec![]);
    };
    let sql = format!(
        "SELECT r.created_at FROM service_requests r WHERE r.status IN ({}){scope}",
        crate::bulk::placeholders(1, statuses.len())
    );
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(e).await?)
}

/// The kept clocks (JSON) of requests still open, or computed at or after `since`.
pub async fn clocks_since<'e, E: Executor<'e, Database = Any>>(
    e: E,
    since: &str,
    units: Option<&[String]>,
) -> Result<Vec<String>, StoreError> {
    let mut binds = vec![since.to_owned()];
    let Some(scope) = in_units("r.org_unit_id", units, &mut binds) else {
        return Ok(vec![]);
    };
    let sql = format!(
        "SELECT s.clocks FROM sla_status s JOIN service_requests r ON r.id = s.request_id \
         WHERE (s.open = 1 OR s.computed_at >= $1){scope}"
    );
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(e).await?)
}

/// How many work orders stand in each of `statuses`.
pub async fn work_order_counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    statuses: &[&str],
    units: Option<&[String]>,
) -> Result<Vec<(String, i64)>, StoreError> {
    if statuses.is_empty() {
        return Ok(vec![]);
    }
    let mut binds: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
    let Some(scope) = in_units("w.org_unit_id", units, &mut binds) else {
        return Ok(vec![]);
    };
    let sql = format!(
        "SELECT w.status, COUNT(*) FROM work_orders w WHERE w.status IN ({}){scope} GROUP BY w.status",
        crate::bulk::placeholders(1, statuses.len())
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(e).await?)
}
