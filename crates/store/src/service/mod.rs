//! The service flow's rows (migration 0008): service requests, work orders, the event log,
//! appointments, service records with addenda, and photos. Rows are plain column values
//! (instants as stored text, ids as text); the `app` crate parses them into its views.

pub mod alarms;
pub mod catalog;
pub mod reconciliation;

use crate::Page;
use crate::error::{StoreError, corrupt};
use aftersales_domain::service::{LoggedEvent, RequestEvent};
use sqlx::{Any, Executor, FromRow};

// ---------------------------------------------------------------------------------------
// Service requests

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RequestRow {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub unit_id: Option<String>,
    pub kind: String,
    pub channel: String,
    pub priority: String,
    pub status: String,
    pub triage: Option<String>,
    pub symptom_code: Option<String>,
    pub symptom: String,
    pub customer_request: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub site_id: Option<String>,
    pub address: String,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub preferred_from: Option<String>,
    pub preferred_to: Option<String>,
    pub warranty_class: Option<String>,
    pub in_warranty: Option<i64>,
    pub warranty_json: Option<String>,
    pub org_unit_id: Option<String>,
    pub owner_id: String,
    pub reopened_from: Option<String>,
    pub follow_up_due_at: Option<String>,
    pub external_ref: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub version: i64,
}

const REQUEST_COLS: &str = "r.id, r.number, r.customer_id, r.unit_id, r.kind, r.channel, r.priority, r.status, r.triage, \
    r.symptom_code, r.symptom, r.customer_request, r.contact_name, r.contact_phone, r.site_id, r.address, r.region_code, \
    r.latitude, r.longitude, r.preferred_from, r.preferred_to, r.warranty_class, r.in_warranty, r.warranty_json, \
    r.org_unit_id, r.owner_id, r.reopened_from, r.follow_up_due_at, r.external_ref, r.created_by, r.created_at, \
    r.updated_at, r.resolved_at, r.closed_at, r.version";

pub async fn insert_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RequestRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO service_requests (id, number, customer_id, unit_id, kind, channel, priority, status, triage, \
         symptom_code, symptom, customer_request, contact_name, contact_phone, site_id, address, region_code, latitude, \
         longitude, preferred_from, preferred_to, warranty_class, in_warranty, warranty_json, org_unit_id, owner_id, \
         reopened_from, follow_up_due_at, external_ref, created_by, created_at, updated_at, resolved_at, closed_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         CAST($18 AS DOUBLE PRECISION), CAST($19 AS DOUBLE PRECISION), $20, $21, $22, $23, \
         $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)",
    )
    .bind(&r.id)
    .bind(&r.number)
    .bind(&r.customer_id)
    .bind(r.unit_id.clone())
    .bind(&r.kind)
    .bind(&r.channel)
    .bind(&r.priority)
    .bind(&r.status)
    .bind(r.triage.clone())
    .bind(r.symptom_code.clone())
    .bind(&r.symptom)
    .bind(r.customer_request.clone())
    .bind(&r.contact_name)
    .bind(&r.contact_phone)
    .bind(r.site_id.clone())
    .bind(&r.address)
    .bind(r.region_code.clone())
    .bind(crate::float_param(r.latitude))
    .bind(crate::float_param(r.longitude))
    .bind(r.preferred_from.clone())
    .bind(r.preferred_to.clone())
    .bind(r.warranty_class.clone())
    .bind(r.in_warranty)
    .bind(r.warranty_json.clone())
    .bind(r.org_unit_id.clone())
    .bind(&r.owner_id)
    .bind(r.reopened_from.clone())
    .bind(r.follow_up_due_at.clone())
    .bind(r.external_ref.clone())
    .bind(r.created_by.clone())
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .bind(r.resolved_at.clone())
    .bind(r.closed_at.clone())
    .bind(r.version)
    .execute(e)
    .await?;
    Ok(())
}

/// Writes the changeable columns of a request if its version is still `expected`; false
/// when someone else changed it first. The caller sets `r.version` to `expected + 1`.
pub async fn update_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RequestRow,
    expected: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE service_requests SET priority = $1, status = $2, triage = $3, symptom_code = $4, symptom = $5, \
         customer_request = $6, contact_name = $7, contact_phone = $8, org_unit_id = $9, owner_id = $10, \
         follow_up_due_at = $11, updated_at = $12, resolved_at = $13, closed_at = $14, version = $15 \
         WHERE id = $16 AND version = $17",
    )
    .bind(&r.priority)
    .bind(&r.status)
    .bind(r.triage.clone())
    .bind(r.symptom_code.clone())
    .bind(&r.symptom)
    .bind(r.customer_request.clone())
    .bind(&r.contact_name)
    .bind(&r.contact_phone)
    .bind(r.org_unit_id.clone())
    .bind(&r.owner_id)
    .bind(r.follow_up_due_at.clone())
    .bind(&r.updated_at)
    .bind(r.resolved_at.clone())
    .bind(r.closed_at.clone())
    .bind(r.version)
    .bind(&r.id)
    .bind(expected)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A request by id or by number.
pub async fn get_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<RequestRow, StoreError> {
    let column = if key.starts_with("SR") {
        "number"
    } else {
        "id"
    };
    let row: Option<RequestRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLS} FROM service_requests r WHERE r.{column} = $1"
    )))
    .bind(key)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

/// Requests by id, in no particular order (a page's worth: the board's jobs).
pub async fn requests_by_ids(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<Vec<RequestRow>, StoreError> {
    crate::bulk::fetch_in(
        conn,
        &format!("SELECT {REQUEST_COLS} FROM service_requests r WHERE r.id IN ({{in}})"),
        ids,
    )
    .await
}

/// (request id, customer name) of requests.
pub async fn customer_names_of_requests(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    crate::bulk::fetch_in(
        conn,
        "SELECT r.id, c.name FROM service_requests r JOIN customers c ON c.id = r.customer_id \
         WHERE r.id IN ({in})",
        ids,
    )
    .await
}

/// (unit id, product line, product name) of units.
pub async fn products_of_units(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    crate::bulk::fetch_in(
        conn,
        "SELECT u.id, p.product_line, p.name FROM units u JOIN product_models p ON p.id = u.product_id \
         WHERE u.id IN ({in})",
        ids,
    )
    .await
}

/// Requests of a unit that are still open or in progress, newest first.
pub async fn open_requests_for_unit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    unit_id: &str,
) -> Result<Vec<RequestRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLS} FROM service_requests r WHERE r.unit_id = $1 AND r.status IN ('open', 'in_progress') \
         ORDER BY r.created_at DESC"
    )))
    .bind(unit_id)
    .fetch_all(e)
    .await?)
}

/// Statuses as SQL literals, `('open', 'in_progress')`: a parameter would hide from a
/// PostgreSQL generic plan that `pending` is rare, and it then walked every work order in
/// number order (83 ms at 200,000 orders, bench/flow). Statuses are lower-case words;
/// anything else matches no row, as it would as a parameter.
fn status_literals(statuses: &[String]) -> String {
    let ok: Vec<String> = statuses
        .iter()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|s| format!("'{s}'"))
        .collect();
    if ok.is_empty() {
        "(NULL)".into()
    } else {
        format!("({})", ok.join(", "))
    }
}

/// Which requests a list shows. `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub statuses: Option<Vec<String>>,
    pub customer_id: Option<String>,
    pub unit_id: Option<String>,
    pub org_unit_id: Option<String>,
    pub owner_id: Option<String>,
    pub number: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// Only requests whose responsible unit lies below this materialized path.
    pub org_path_prefix: Option<String>,
    /// Only requests with a work order assigned to this engineer.
    pub engineer_id: Option<String>,
}

/// Requests newest first; `after` is the key `created_at|id` of the last one seen.
pub async fn list_requests<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &RequestFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<RequestRow>, StoreError> {
    let mut sql = format!("SELECT {REQUEST_COLS} FROM service_requests r WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let arg = |v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_owned());
        format!("${}", binds.len())
    };
    if let Some(st) = &f.statuses {
        sql.push_str(&format!(" AND r.status IN {}", status_literals(st)));
    }
    for (col, v) in [
        ("r.customer_id", &f.customer_id),
        ("r.unit_id", &f.unit_id),
        ("r.org_unit_id", &f.org_unit_id),
        ("r.owner_id", &f.owner_id),
        ("r.number", &f.number),
    ] {
        if let Some(v) = v {
            let p = arg(v, &mut binds);
            sql.push_str(&format!(" AND {col} = {p}"));
        }
    }
    if let Some(v) = &f.created_from {
        let p = arg(v, &mut binds);
        sql.push_str(&format!(" AND r.created_at >= {p}"));
    }
    if let Some(v) = &f.created_to {
        let p = arg(v, &mut binds);
        sql.push_str(&format!(" AND r.created_at < {p}"));
    }
    if let Some(prefix) = &f.org_path_prefix {
        let p = arg(&format!("{prefix}%"), &mut binds);
        sql.push_str(&format!(
            " AND r.org_unit_id IN (SELECT o.id FROM org_units o WHERE o.path LIKE {p})"
        ));
    }
    if let Some(eng) = &f.engineer_id {
        let p = arg(eng, &mut binds);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM work_orders w WHERE w.request_id = r.id AND w.engineer_id = {p})"
        ));
    }
    if let Some(key) = after
        && let Some((at, id)) = key.split_once('|')
    {
        let pa = arg(at, &mut binds);
        let pi = arg(id, &mut binds);
        sql.push_str(&format!(
            " AND (r.created_at < {pa} OR (r.created_at = {pa} AND r.id < {pi}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY r.created_at DESC, r.id DESC LIMIT {}",
        limit + 1
    ));
    let mut q = sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(e).await?;
    Ok(Page::from_rows(rows, limit, |r| {
        format!("{}|{}", r.created_at, r.id)
    }))
}

// ---------------------------------------------------------------------------------------
// Work orders

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct WorkOrderRow {
    pub id: String,
    pub number: String,
    pub request_id: String,
    pub org_unit_id: Option<String>,
    pub engineer_id: Option<String>,
    pub status: String,
    pub waiting_reason: Option<String>,
    pub resume_status: Option<String>,
    pub priority: String,
    pub appointment_start: Option<String>,
    pub appointment_end: Option<String>,
    pub outcome: Option<String>,
    pub loaner_left: i64,
    pub created_at: String,
    pub dispatched_at: Option<String>,
    pub accepted_at: Option<String>,
    pub en_route_at: Option<String>,
    pub arrived_at: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub updated_at: String,
    pub version: i64,
}

const WO_COLS: &str = "w.id, w.number, w.request_id, w.org_unit_id, w.engineer_id, w.status, w.waiting_reason, \
    w.resume_status, w.priority, w.appointment_start, w.appointment_end, w.outcome, w.loaner_left, w.created_at, \
    w.dispatched_at, w.accepted_at, w.en_route_at, w.arrived_at, w.started_at, w.completed_at, w.cancelled_at, \
    w.updated_at, w.version";

pub async fn insert_work_order<'e, E: Executor<'e, Database = Any>>(
    e: E,
    w: &WorkOrderRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO work_orders (id, number, request_id, org_unit_id, engineer_id, status, waiting_reason, resume_status, \
         priority, appointment_start, appointment_end, outcome, loaner_left, created_at, dispatched_at, accepted_at, \
         en_route_at, arrived_at, started_at, completed_at, cancelled_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
    )
    .bind(&w.id)
    .bind(&w.number)
    .bind(&w.request_id)
    .bind(w.org_unit_id.clone())
    .bind(w.engineer_id.clone())
    .bind(&w.status)
    .bind(w.waiting_reason.clone())
    .bind(w.resume_status.clone())
    .bind(&w.priority)
    .bind(w.appointment_start.clone())
    .bind(w.appointment_end.clone())
    .bind(w.outcome.clone())
    .bind(w.loaner_left)
    .bind(&w.created_at)
    .bind(w.dispatched_at.clone())
    .bind(w.accepted_at.clone())
    .bind(w.en_route_at.clone())
    .bind(w.arrived_at.clone())
    .bind(w.started_at.clone())
    .bind(w.completed_at.clone())
    .bind(w.cancelled_at.clone())
    .bind(&w.updated_at)
    .bind(w.version)
    .execute(e)
    .await?;
    Ok(())
}

/// Writes a work order's changeable columns if its version is still `expected`.
pub async fn update_work_order<'e, E: Executor<'e, Database = Any>>(
    e: E,
    w: &WorkOrderRow,
    expected: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE work_orders SET org_unit_id = $1, engineer_id = $2, status = $3, waiting_reason = $4, resume_status = $5, \
         priority = $6, appointment_start = $7, appointment_end = $8, outcome = $9, loaner_left = $10, dispatched_at = $11, \
         accepted_at = $12, en_route_at = $13, arrived_at = $14, started_at = $15, completed_at = $16, cancelled_at = $17, \
         updated_at = $18, version = $19 WHERE id = $20 AND version = $21",
    )
    .bind(w.org_unit_id.clone())
    .bind(w.engineer_id.clone())
    .bind(&w.status)
    .bind(w.waiting_reason.clone())
    .bind(w.resume_status.clone())
    .bind(&w.priority)
    .bind(w.appointment_start.clone())
    .bind(w.appointment_end.clone())
    .bind(w.outcome.clone())
    .bind(w.loaner_left)
    .bind(w.dispatched_at.clone())
    .bind(w.accepted_at.clone())
    .bind(w.en_route_at.clone())
    .bind(w.arrived_at.clone())
    .bind(w.started_at.clone())
    .bind(w.completed_at.clone())
    .bind(w.cancelled_at.clone())
    .bind(&w.updated_at)
    .bind(w.version)
    .bind(&w.id)
    .bind(expected)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A work order by id or by number.
pub async fn get_work_order<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<WorkOrderRow, StoreError> {
    let column = if key.starts_with("WO") {
        "number"
    } else {
        "id"
    };
    let row: Option<WorkOrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WO_COLS} FROM work_orders w WHERE w.{column} = $1"
    )))
    .bind(key)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

pub async fn work_orders_of_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Vec<WorkOrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WO_COLS} FROM work_orders w WHERE w.request_id = $1 ORDER BY w.created_at, w.id"
    )))
    .bind(request_id)
    .fetch_all(e)
    .await?)
}

#[derive(Debug, Clone, Default)]
pub struct WorkOrderFilter {
    pub statuses: Option<Vec<String>>,
    pub engineer_id: Option<String>,
    pub org_unit_id: Option<String>,
    pub request_id: Option<String>,
    /// Appointment starting within [from, to) (stored instants).
    pub appointment_from: Option<String>,
    pub appointment_to: Option<String>,
    pub org_path_prefix: Option<String>,
    /// Leaves out the orders handed to a unit (`handed_to`) this materialized path does not
    /// lie in: a job handed to another station leaves the board of the one that handed it.
    pub handed_visible_to: Option<String>,
}

/// Records the unit a work order was handed to (issue 13, defect 6), in the caller's
/// transaction; the order's row (and its version) is written by `update_work_order`.
pub async fn set_handed_to<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
    unit_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE work_orders SET handed_to = $1 WHERE id = $2")
        .bind(unit_id)
        .bind(work_order_id)
        .execute(e)
        .await?;
    Ok(())
}

/// Work orders by appointment (unscheduled last), then number; `after` is the number of
/// the last one seen when no appointment filter is given.
pub async fn list_work_orders<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &WorkOrderFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<WorkOrderRow>, StoreError> {
    let mut sql = format!("SELECT {WO_COLS} FROM work_orders w WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let arg = |v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_owned());
        format!("${}", binds.len())
    };
    if let Some(st) = &f.statuses {
        sql.push_str(&format!(" AND w.status IN {}", status_literals(st)));
    }
    for (col, v) in [
        ("w.engineer_id", &f.engineer_id),
        ("w.org_unit_id", &f.org_unit_id),
        ("w.request_id", &f.request_id),
    ] {
        if let Some(v) = v {
            let p = arg(v, &mut binds);
            sql.push_str(&format!(" AND {col} = {p}"));
        }
    }
    if let Some(v) = &f.appointment_from {
        let p = arg(v, &mut binds);
        sql.push_str(&format!(" AND w.appointment_start >= {p}"));
    }
    if let Some(v) = &f.appointment_to {
        let p = arg(v, &mut binds);
        sql.push_str(&format!(" AND w.appointment_start < {p}"));
    }
    if let Some(prefix) = &f.org_path_prefix {
        let p = arg(&format!("{prefix}%"), &mut binds);
        sql.push_str(&format!(
            " AND w.org_unit_id IN (SELECT o.id FROM org_units o WHERE o.path LIKE {p})"
        ));
    }
    if let Some(path) = &f.handed_visible_to {
        let p = arg(path, &mut binds);
        sql.push_str(&format!(
            " AND (w.handed_to IS NULL OR w.handed_to IN \
             (SELECT o.id FROM org_units o WHERE {p} LIKE o.path || '%'))"
        ));
    }
    if let Some(a) = after {
        let p = arg(a, &mut binds);
        sql.push_str(&format!(" AND w.number > {p}"));
    }
    sql.push_str(&format!(" ORDER BY w.number LIMIT {}", limit + 1));
    let mut q = sqlx::query_as::<_, WorkOrderRow>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(e).await?;
    Ok(Page::from_rows(rows, limit, |w| w.number.clone()))
}

/// Per engineer: open assigned orders and those with an appointment in [from, to).
pub async fn engineer_load<'e, E: Executor<'e, Database = Any>>(
    e: E,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT w.engineer_id, count(*), \
           COALESCE(sum(CASE WHEN w.appointment_start >= $1 AND w.appointment_start < $2 THEN 1 ELSE 0 END), 0) \
         FROM work_orders w \
         WHERE w.engineer_id IS NOT NULL AND w.status NOT IN ('pending', 'completed', 'cancelled') \
         GROUP BY w.engineer_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(e)
    .await?)
}

/// Work orders held by engineers that matter for one day in `[from, to)` (stored
/// instants): every open assigned order (whatever its appointment), and those completed
/// that day. Only `engineer_id`'s when given.
/// By appointment (unscheduled last), then number.
pub async fn engineer_orders<'e, E: Executor<'e, Database = Any>>(
    e: E,
    engineer_id: Option<&str>,
    from: &str,
    to: &str,
) -> Result<Vec<WorkOrderRow>, StoreError> {
    // Two indexed parts instead of one scan of every order ever made: the open assigned
    // orders by status, and those completed that day by completion time. (Statuses as
    // literals: a PostgreSQL generic plan then still sees them.)
    let engineer = if engineer_id.is_some() {
        " AND w.engineer_id = $3"
    } else {
        ""
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM ( \
           SELECT {WO_COLS} FROM work_orders w \
           WHERE w.status IN ('dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting') \
             AND w.engineer_id IS NOT NULL{engineer} \
           UNION ALL \
           SELECT {WO_COLS} FROM work_orders w \
           WHERE w.completed_at >= $1 AND w.completed_at < $2 \
             AND w.status IN ('pending', 'completed', 'cancelled') \
             AND w.engineer_id IS NOT NULL{engineer} \
         ) x ORDER BY x.appointment_start IS NULL, x.appointment_start, x.number"
    )))
    .bind(from)
    .bind(to);
    let q = match engineer_id {
        Some(id) => q.bind(id.to_owned()),
        None => q,
    };
    Ok(q.fetch_all(e).await?)
}

const ASSIGNED: &str =
    "('dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting')";

/// Per engineer, the open assigned orders that count for a day `[from, to)`: those
/// without an appointment, those on the day, and when `overdue_count` (the day is today)
/// those whose appointment has passed.
pub async fn engineer_open_counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    from: &str,
    to: &str,
    overdue_count: bool,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT w.engineer_id, count(*) FROM work_orders w \
         WHERE w.status IN {ASSIGNED} AND w.engineer_id IS NOT NULL \
           AND (w.appointment_start IS NULL \
             OR (w.appointment_start >= $1 AND w.appointment_start < $2) \
             OR (w.appointment_start < $1 AND $3 = 1)) \
         GROUP BY w.engineer_id"
    )))
    .bind(from)
    .bind(to)
    .bind(i64::from(overdue_count))
    .fetch_all(e)
    .await?)
}

/// A work order on an engineer's row of the board: what the block shows.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct BoardOrderRow {
    pub id: String,
    pub number: String,
    pub engineer_id: String,
    pub status: String,
    pub waiting_reason: Option<String>,
    pub appointment_start: Option<String>,
    pub appointment_end: Option<String>,
    pub version: i64,
    pub customer_name: String,
    /// The path of the order's unit (who may see its details).
    pub org_path: Option<String>,
}

const BOARD_COLS: &str = "w.id, w.number, w.engineer_id, w.status, w.waiting_reason, w.appointment_start, \
    w.appointment_end, w.version, c.name AS customer_name, \
    (SELECT o.path FROM org_units o WHERE o.id = w.org_unit_id) AS org_path";

/// What the engineers' rows of the board show for a day `[from, to)`: their open orders
/// with an appointment that day or none yet, and the orders completed that day with an
/// appointment that day. By appointment (unscheduled last), then number.
pub async fn board_orders<'e, E: Executor<'e, Database = Any>>(
    e: E,
    from: &str,
    to: &str,
) -> Result<Vec<BoardOrderRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM ( \
           SELECT {BOARD_COLS} FROM work_orders w \
           JOIN service_requests r ON r.id = w.request_id JOIN customers c ON c.id = r.customer_id \
           WHERE w.status IN {ASSIGNED} AND w.engineer_id IS NOT NULL \
             AND (w.appointment_start IS NULL OR (w.appointment_start >= $1 AND w.appointment_start < $2)) \
           UNION ALL \
           SELECT {BOARD_COLS} FROM work_orders w \
           JOIN service_requests r ON r.id = w.request_id JOIN customers c ON c.id = r.customer_id \
           WHERE w.completed_at >= $1 AND w.completed_at < $2 AND w.status = 'completed' \
             AND w.engineer_id IS NOT NULL AND w.appointment_start >= $1 AND w.appointment_start < $2 \
         ) x ORDER BY x.appointment_start IS NULL, x.appointment_start, x.number"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(e)
    .await?)
}

/// The latest position each user gave with a change since `since` (a stored instant):
/// (user id, latitude, longitude, at), newest first per user, one row per user.
pub async fn last_positions<'e, E: Executor<'e, Database = Any>>(
    e: E,
    since: &str,
) -> Result<Vec<(String, f64, f64, String)>, StoreError> {
    let rows: Vec<(String, f64, f64, String)> = sqlx::query_as(
        "SELECT actor_id, latitude, longitude, at FROM request_events \
         WHERE actor_id IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL AND at >= $1 \
         ORDER BY at DESC, id DESC",
    )
    .bind(since)
    .fetch_all(e)
    .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert(r.0.clone()))
        .collect())
}

// ---------------------------------------------------------------------------------------
// Events

/// A row of `request_events` as stored; [`append_event`] and [`events_of_request`] translate
/// it from and to the domain's [`LoggedEvent`].
#[derive(Debug, Clone, PartialEq, FromRow)]
struct EventRow {
    id: String,
    request_id: String,
    work_order_id: Option<String>,
    at: String,
    actor_id: Option<String>,
    actor_name: String,
    kind: String,
    from_status: Option<String>,
    to_status: Option<String>,
    data: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl EventRow {
    fn into_logged(self) -> Result<LoggedEvent, StoreError> {
        fn id<T: std::str::FromStr>(column: &'static str, v: &str) -> Result<T, StoreError> {
            v.parse().map_err(|_| corrupt(column, v))
        }
        let event = RequestEvent::from_stored(
            &self.kind,
            self.from_status.as_deref(),
            self.to_status.as_deref(),
            self.data.as_deref(),
        )
        .map_err(|e| corrupt("request_events.data", format!("{}: {e}", self.id)))?;
        Ok(LoggedEvent {
            id: id("request_events.id", &self.id)?,
            request_id: id("request_events.request_id", &self.request_id)?,
            work_order_id: self
                .work_order_id
                .as_deref()
                .map(|w| id("request_events.work_order_id", w))
                .transpose()?,
            at: crate::time::from_db("request_events.at", &self.at)?,
            actor_id: self
                .actor_id
                .as_deref()
                .map(|a| id("request_events.actor_id", a))
                .transpose()?,
            actor_name: self.actor_name,
            event,
            position: self.latitude.zip(self.longitude),
        })
    }
}

/// Appends an entry to a request's log (the table is append-only).
pub async fn append_event<'e, E: Executor<'e, Database = Any>>(
    e: E,
    ev: &LoggedEvent,
) -> Result<(), StoreError> {
    let stored = ev
        .event
        .to_stored()
        .map_err(|err| corrupt("request_events.data", err.to_string()))?;
    sqlx::query(
        "INSERT INTO request_events (id, request_id, work_order_id, at, actor_id, actor_name, kind, from_status, \
         to_status, data, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         CAST($11 AS DOUBLE PRECISION), CAST($12 AS DOUBLE PRECISION))",
    )
    .bind(ev.id.to_string())
    .bind(ev.request_id.to_string())
    .bind(ev.work_order_id.map(|w| w.to_string()))
    .bind(crate::time::to_db(ev.at)?)
    .bind(ev.actor_id.map(|a| a.to_string()))
    .bind(&ev.actor_name)
    .bind(stored.kind.as_str())
    .bind(stored.from_status)
    .bind(stored.to_status)
    .bind(stored.data)
    .bind(crate::float_param(ev.position.map(|p| p.0)))
    .bind(crate::float_param(ev.position.map(|p| p.1)))
    .execute(e)
    .await?;
    Ok(())
}

/// Every entry of a request's log (and its work orders'), oldest first.
pub async fn events_of_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Vec<LoggedEvent>, StoreError> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, request_id, work_order_id, at, actor_id, actor_name, kind, from_status, to_status, data, \
         latitude, longitude FROM request_events WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(request_id)
    .fetch_all(e)
    .await?;
    rows.into_iter().map(EventRow::into_logged).collect()
}

// ---------------------------------------------------------------------------------------
// Appointments

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AppointmentRow {
    pub id: String,
    pub work_order_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: Option<String>,
    pub customer_agreed: i64,
    pub by_id: Option<String>,
    pub by_name: String,
    pub at: String,
}

pub async fn insert_appointment<'e, E: Executor<'e, Database = Any>>(
    e: E,
    a: &AppointmentRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO appointments (id, work_order_id, starts_at, ends_at, reason, customer_agreed, by_id, by_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.id)
    .bind(&a.work_order_id)
    .bind(&a.starts_at)
    .bind(&a.ends_at)
    .bind(a.reason.clone())
    .bind(a.customer_agreed)
    .bind(a.by_id.clone())
    .bind(&a.by_name)
    .bind(&a.at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn appointments_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<AppointmentRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, work_order_id, starts_at, ends_at, reason, customer_agreed, by_id, by_name, at \
         FROM appointments WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

// ---------------------------------------------------------------------------------------
// Service records

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RecordRow {
    pub work_order_id: String,
    pub fault_cause_code: Option<String>,
    pub diagnosis: Option<String>,
    pub action_taken: Option<String>,
    pub notes: Option<String>,
    pub parts_json: String,
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<i64>,
    pub follow_up_due_at: Option<String>,
    pub customer_trained: Option<i64>,
    pub rating_quality: Option<i64>,
    pub rating_attitude: Option<i64>,
    pub signature_png: Option<Vec<u8>>,
    pub signer_name: Option<String>,
    pub signature_declined_reason: Option<String>,
    pub signed_at: Option<String>,
    pub content_hash: Option<String>,
    pub version: i64,
    pub updated_at: String,
    /// The engineer says no part was used (0/1, migration 0014).
    pub no_parts: i64,
    /// Fault cause and action are completed at the center (0/1, migration 0014).
    pub cause_at_center: i64,
}

const RECORD_COLS: &str = "work_order_id, fault_cause_code, diagnosis, action_taken, notes, parts_json, labor_minutes, \
    test_run_done, follow_up_due_at, customer_trained, rating_quality, rating_attitude, signature_png, signer_name, \
    signature_declined_reason, signed_at, content_hash, version, updated_at, no_parts, cause_at_center";

pub async fn get_record<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Option<RecordRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECORD_COLS} FROM service_records WHERE work_order_id = $1"
    )))
    .bind(work_order_id)
    .fetch_optional(e)
    .await?)
}

pub async fn insert_record<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RecordRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO service_records ({RECORD_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $19, $20, $21)"
    )))
    .bind(&r.work_order_id)
    .bind(r.fault_cause_code.clone())
    .bind(r.diagnosis.clone())
    .bind(r.action_taken.clone())
    .bind(r.notes.clone())
    .bind(&r.parts_json)
    .bind(r.labor_minutes)
    .bind(r.test_run_done)
    .bind(r.follow_up_due_at.clone())
    .bind(r.customer_trained)
    .bind(r.rating_quality)
    .bind(r.rating_attitude)
    .bind(r.signature_png.clone())
    .bind(r.signer_name.clone())
    .bind(r.signature_declined_reason.clone())
    .bind(r.signed_at.clone())
    .bind(r.content_hash.clone())
    .bind(r.version)
    .bind(&r.updated_at)
    .bind(r.no_parts)
    .bind(r.cause_at_center)
    .execute(e)
    .await?;
    Ok(())
}

/// Rewrites a record (every column) if its version is still `expected`. A signed record is
/// refused by the database itself (a trigger).
pub async fn update_record<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RecordRow,
    expected: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE service_records SET fault_cause_code = $1, diagnosis = $2, action_taken = $3, notes = $4, \
         parts_json = $5, labor_minutes = $6, test_run_done = $7, follow_up_due_at = $8, customer_trained = $9, \
         rating_quality = $10, rating_attitude = $11, signature_png = $12, signer_name = $13, \
         signature_declined_reason = $14, signed_at = $15, content_hash = $16, version = $17, updated_at = $18, \
         no_parts = $19, cause_at_center = $20 WHERE work_order_id = $21 AND version = $22",
    )
    .bind(r.fault_cause_code.clone())
    .bind(r.diagnosis.clone())
    .bind(r.action_taken.clone())
    .bind(r.notes.clone())
    .bind(&r.parts_json)
    .bind(r.labor_minutes)
    .bind(r.test_run_done)
    .bind(r.follow_up_due_at.clone())
    .bind(r.customer_trained)
    .bind(r.rating_quality)
    .bind(r.rating_attitude)
    .bind(r.signature_png.clone())
    .bind(r.signer_name.clone())
    .bind(r.signature_declined_reason.clone())
    .bind(r.signed_at.clone())
    .bind(r.content_hash.clone())
    .bind(r.version)
    .bind(&r.updated_at)
    .bind(r.no_parts)
    .bind(r.cause_at_center)
    .bind(&r.work_order_id)
    .bind(expected)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Fault cause and action of a record marked "completed at the center", completed after
/// signing (migration 0014): kept beside the signed record, which never changes.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CenterCompletionRow {
    pub work_order_id: String,
    pub fault_cause_code: String,
    pub diagnosis: Option<String>,
    pub action_taken: String,
    pub by_id: Option<String>,
    pub by_name: String,
    pub at: String,
}

pub async fn insert_center_completion<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &CenterCompletionRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO record_center_completions (work_order_id, fault_cause_code, diagnosis, action_taken, \
         by_id, by_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.work_order_id)
    .bind(&r.fault_cause_code)
    .bind(r.diagnosis.clone())
    .bind(&r.action_taken)
    .bind(r.by_id.clone())
    .bind(&r.by_name)
    .bind(&r.at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn center_completion_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Option<CenterCompletionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT work_order_id, fault_cause_code, diagnosis, action_taken, by_id, by_name, at \
         FROM record_center_completions WHERE work_order_id = $1",
    )
    .bind(work_order_id)
    .fetch_optional(e)
    .await?)
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AddendumRow {
    pub id: String,
    pub work_order_id: String,
    pub body: String,
    pub by_id: Option<String>,
    pub by_name: String,
    pub at: String,
}

pub async fn insert_addendum<'e, E: Executor<'e, Database = Any>>(
    e: E,
    a: &AddendumRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO record_addenda (id, work_order_id, body, by_id, by_name, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.id)
    .bind(&a.work_order_id)
    .bind(&a.body)
    .bind(a.by_id.clone())
    .bind(&a.by_name)
    .bind(&a.at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn addenda_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<AddendumRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, work_order_id, body, by_id, by_name, at FROM record_addenda WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

// ---------------------------------------------------------------------------------------
// Photos

/// A photo without its bytes.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PhotoMeta {
    pub id: String,
    pub work_order_id: String,
    pub content_type: String,
    pub size: i64,
    pub caption: Option<String>,
    pub by_id: Option<String>,
    pub at: String,
}

pub async fn insert_photo<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &PhotoMeta,
    bytes: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO work_order_photos (id, work_order_id, content_type, size, bytes, caption, by_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&p.id)
    .bind(&p.work_order_id)
    .bind(&p.content_type)
    .bind(p.size)
    .bind(bytes.to_vec())
    .bind(p.caption.clone())
    .bind(p.by_id.clone())
    .bind(&p.at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn photos_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
) -> Result<Vec<PhotoMeta>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, work_order_id, content_type, size, caption, by_id, at FROM work_order_photos \
         WHERE work_order_id = $1 ORDER BY at, id",
    )
    .bind(work_order_id)
    .fetch_all(e)
    .await?)
}

/// A photo's content type and bytes.
pub async fn photo_bytes<'e, E: Executor<'e, Database = Any>>(
    e: E,
    work_order_id: &str,
    photo_id: &str,
) -> Result<(String, Vec<u8>), StoreError> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT content_type, bytes FROM work_order_photos WHERE work_order_id = $1 AND id = $2",
    )
    .bind(work_order_id)
    .bind(photo_id)
    .fetch_optional(e)
    .await?;
    row.ok_or(StoreError::NotFound)
}

/// Gives a request's open work orders its new priority (the board sorts by it).
pub async fn set_open_orders_priority<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
    priority: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE work_orders SET priority = $1, updated_at = $2, version = version + 1 \
         WHERE request_id = $3 AND status NOT IN ('completed', 'cancelled') AND priority <> $1",
    )
    .bind(priority)
    .bind(at)
    .bind(request_id)
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_literals_and_nothing_else_does() {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            status_literals(&v(&["open", "in_progress"])),
            "('open', 'in_progress')"
        );
        assert_eq!(
            status_literals(&v(&["pending", "x') OR 1=1 --"])),
            "('pending')"
        );
        assert_eq!(status_literals(&v(&["Open", ""])), "(NULL)");
        assert_eq!(status_literals(&[]), "(NULL)");
    }
}
