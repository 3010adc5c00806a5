//! Service levels: calendars, special days, per-unit overrides, rules, each request's last
//! computed clocks (for the SLA board) and notifications. Rows are plain text here; the
//! `app` crate turns them into domain values (`domain::calendar`, `domain::sla`).

use crate::error::StoreError;
use sqlx::{Any, AnyConnection, Executor, FromRow};

// ---------------------------------------------------------------------------------------
// Calendars

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CalendarRow {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    /// JSON of `domain::calendar::Hours`.
    pub hours: String,
    pub observes_holidays: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const CALENDAR_COLUMNS: &str =
    "key, name_zh, name_en, time_zone, hours, observes_holidays, version, created_at, updated_at";

pub async fn calendars<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<CalendarRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendars ORDER BY key"
    )))
    .fetch_all(e)
    .await?)
}

pub async fn calendar<'e, E: Executor<'e, Database = Any>>(
    e: E,
    key: &str,
) -> Result<Option<CalendarRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendars WHERE key = $1"
    )))
    .bind(key)
    .fetch_optional(e)
    .await?)
}

pub async fn insert_calendar<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CalendarRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO calendars (key, name_zh, name_en, time_zone, hours, observes_holidays, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&c.key)
    .bind(&c.name_zh)
    .bind(&c.name_en)
    .bind(&c.time_zone)
    .bind(&c.hours)
    .bind(c.observes_holidays)
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .execute(e)
    .await?;
    Ok(())
}

/// Updates a calendar if its version is still `c.version`; false when it is not.
pub async fn update_calendar<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CalendarRow,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE calendars SET name_zh = $1, name_en = $2, time_zone = $3, hours = $4, observes_holidays = $5, \
         version = version + 1, updated_at = $6 WHERE key = $7 AND version = $8",
    )
    .bind(&c.name_zh)
    .bind(&c.name_en)
    .bind(&c.time_zone)
    .bind(&c.hours)
    .bind(c.observes_holidays)
    .bind(&c.updated_at)
    .bind(&c.key)
    .bind(c.version)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------
// Special days

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SpecialDayRow {
    /// '' for the national schedule, else an org unit's id.
    pub scope: String,
    pub day: String,
    pub kind: String,
    pub name: String,
    pub updated_by: Option<String>,
    pub updated_at: String,
}

/// The special days of the given scopes, by day.
pub async fn special_days<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scopes: &[String],
) -> Result<Vec<SpecialDayRow>, StoreError> {
    if scopes.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT scope, day, kind, name, updated_by, updated_at FROM special_days WHERE scope IN ({}) ORDER BY day, scope",
        crate::bulk::placeholders(1, scopes.len())
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for s in scopes {
        q = q.bind(s);
    }
    Ok(q.fetch_all(e).await?)
}

pub async fn upsert_special_day<'e, E: Executor<'e, Database = Any>>(
    e: E,
    d: &SpecialDayRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO special_days (scope, day, kind, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (scope, day) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&d.scope)
    .bind(&d.day)
    .bind(&d.kind)
    .bind(&d.name)
    .bind(d.updated_by.clone())
    .bind(&d.updated_at)
    .execute(e)
    .await?;
    Ok(())
}

/// Removes one day; whether it was there.
pub async fn delete_special_day<'e, E: Executor<'e, Database = Any>>(
    e: E,
    scope: &str,
    day: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM special_days WHERE scope = $1 AND day = $2")
        .bind(scope)
        .bind(day)
        .execute(e)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Removes a scope's days of one year (before an import replaces them).
pub async fn delete_special_days_of_year(
    c: &mut AnyConnection,
    scope: &str,
    year: i32,
) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM special_days WHERE scope = $1 AND day >= $2 AND day <= $3")
        .bind(scope)
        .bind(format!("{year:04}-01-01"))
        .bind(format!("{year:04}-12-31"))
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected())
}

// ---------------------------------------------------------------------------------------
// Per-unit overrides

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OverrideRow {
    pub org_unit_id: String,
    pub calendar_key: String,
    pub time_zone: Option<String>,
    pub hours: Option<String>,
    pub updated_at: String,
}

pub async fn overrides_of_units<'e, E: Executor<'e, Database = Any>>(
    e: E,
    units: &[String],
) -> Result<Vec<OverrideRow>, StoreError> {
    if units.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT org_unit_id, calendar_key, time_zone, hours, updated_at FROM calendar_overrides \
         WHERE org_unit_id IN ({}) ORDER BY org_unit_id, calendar_key",
        crate::bulk::placeholders(1, units.len())
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for u in units {
        q = q.bind(u);
    }
    Ok(q.fetch_all(e).await?)
}

pub async fn all_overrides<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<OverrideRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT org_unit_id, calendar_key, time_zone, hours, updated_at FROM calendar_overrides \
         ORDER BY org_unit_id, calendar_key",
    )
    .fetch_all(e)
    .await?)
}

pub async fn upsert_override<'e, E: Executor<'e, Database = Any>>(
    e: E,
    o: &OverrideRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO calendar_overrides (org_unit_id, calendar_key, time_zone, hours, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_unit_id, calendar_key) DO UPDATE SET \
         time_zone = excluded.time_zone, hours = excluded.hours, updated_at = excluded.updated_at",
    )
    .bind(&o.org_unit_id)
    .bind(&o.calendar_key)
    .bind(o.time_zone.clone())
    .bind(o.hours.clone())
    .bind(&o.updated_at)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn delete_override<'e, E: Executor<'e, Database = Any>>(
    e: E,
    unit: &str,
    calendar_key: &str,
) -> Result<bool, StoreError> {
    let r =
        sqlx::query("DELETE FROM calendar_overrides WHERE org_unit_id = $1 AND calendar_key = $2")
            .bind(unit)
            .bind(calendar_key)
            .execute(e)
            .await?;
    Ok(r.rows_affected() > 0)
}

// ---------------------------------------------------------------------------------------
// Rules

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    pub region_class: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub rank: i64,
    /// JSON of `Vec<domain::sla::Target>`.
    pub targets: String,
    pub active: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const RULE_COLUMNS: &str = "id, name, contract_level, customer_tier, region_class, priority, kind, rank, targets, \
    active, version, created_at, updated_at";

pub async fn rules<'e, E: Executor<'e, Database = Any>>(
    e: E,
    active_only: bool,
) -> Result<Vec<RuleRow>, StoreError> {
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM sla_rules {} ORDER BY rank, name, id",
        if active_only { "WHERE active = 1" } else { "" }
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(e)
        .await?)
}

pub async fn rule<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<RuleRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLUMNS} FROM sla_rules WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

pub async fn insert_rule<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RuleRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sla_rules (id, name, contract_level, customer_tier, region_class, priority, kind, rank, targets, \
         active, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.name)
    .bind(r.contract_level.clone())
    .bind(r.customer_tier.clone())
    .bind(r.region_class.clone())
    .bind(r.priority.clone())
    .bind(r.kind.clone())
    .bind(r.rank)
    .bind(&r.targets)
    .bind(r.active)
    .bind(&r.created_at)
    .bind(&r.updated_at)
    .execute(e)
    .await?;
    Ok(())
}

/// Updates a rule if its version is still `r.version`.
pub async fn update_rule<'e, E: Executor<'e, Database = Any>>(
    e: E,
    r: &RuleRow,
) -> Result<bool, StoreError> {
    let res = sqlx::query(
        "UPDATE sla_rules SET name = $1, contract_level = $2, customer_tier = $3, region_class = $4, priority = $5, \
         kind = $6, rank = $7, targets = $8, active = $9, version = version + 1, updated_at = $10 \
         WHERE id = $11 AND version = $12",
    )
    .bind(&r.name)
    .bind(r.contract_level.clone())
    .bind(r.customer_tier.clone())
    .bind(r.region_class.clone())
    .bind(r.priority.clone())
    .bind(r.kind.clone())
    .bind(r.rank)
    .bind(&r.targets)
    .bind(r.active)
    .bind(&r.updated_at)
    .bind(&r.id)
    .bind(r.version)
    .execute(e)
    .await?;
    Ok(res.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------
// Facts of a request for choosing its rule

/// The service level of a contract covering the unit on `day`, the one ending last.
pub async fn contract_level_of_unit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    unit_id: &str,
    day: &str,
) -> Result<Option<String>, StoreError> {
    let r: Option<(String,)> = sqlx::query_as(
        "SELECT c.service_level FROM contract_units cu JOIN service_contracts c ON c.id = cu.contract_id \
         WHERE cu.unit_id = $1 AND c.start_date <= $2 AND c.end_date >= $2 ORDER BY c.end_date DESC, c.id LIMIT 1",
    )
    .bind(unit_id)
    .bind(day)
    .fetch_optional(e)
    .await?;
    Ok(r.map(|r| r.0))
}

pub async fn customer_tier<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: &str,
) -> Result<Option<String>, StoreError> {
    let r: Option<(Option<String>,)> = sqlx::query_as("SELECT tier FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(e)
        .await?;
    Ok(r.and_then(|r| r.0))
}

pub async fn set_customer_tier<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: &str,
    tier: Option<&str>,
) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE customers SET tier = $1 WHERE id = $2")
        .bind(tier.map(str::to_owned))
        .bind(customer_id)
        .execute(e)
        .await?;
    Ok(r.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------
// Each request's last computed clocks

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StatusRow {
    pub request_id: String,
    pub rule_id: Option<String>,
    pub next_due_at: Option<String>,
    pub next_milestone: Option<String>,
    pub state: String,
    pub open: i64,
    /// JSON of the clocks.
    pub clocks: String,
    pub computed_at: String,
}

pub async fn upsert_status<'e, E: Executor<'e, Database = Any>>(
    e: E,
    s: &StatusRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sla_status (request_id, rule_id, next_due_at, next_milestone, state, open, clocks, computed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id) DO UPDATE SET rule_id = excluded.rule_id, \
         next_due_at = excluded.next_due_at, next_milestone = excluded.next_milestone, state = excluded.state, \
         open = excluded.open, clocks = excluded.clocks, computed_at = excluded.computed_at",
    )
    .bind(&s.request_id)
    .bind(s.rule_id.clone())
    .bind(s.next_due_at.clone())
    .bind(s.next_milestone.clone())
    .bind(&s.state)
    .bind(s.open)
    .bind(&s.clocks)
    .bind(&s.computed_at)
    .execute(e)
    .await?;
    Ok(())
}

/// (request id, kept clocks as JSON) of these requests, for those that have a status row.
pub async fn clocks_of_requests(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    crate::bulk::fetch_in(
        conn,
        "SELECT s.request_id, s.clocks FROM sla_status s WHERE s.request_id IN ({in})",
        ids,
    )
    .await
}

/// One row of the SLA board.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct BoardRow {
    pub request_id: String,
    pub number: String,
    pub customer_name: String,
    pub priority: String,
    pub status: String,
    pub org_unit_id: Option<String>,
    pub org_unit_name: Option<String>,
    pub owner_name: String,
    pub engineer_id: Option<String>,
    pub engineer_name: Option<String>,
    pub next_due_at: Option<String>,
    pub next_milestone: Option<String>,
    pub state: String,
    pub clocks: String,
}

/// Filters of the SLA board.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// Units whose requests are shown (the viewer's scope and the chosen unit); `None`: all.
    pub org_units: Option<Vec<String>>,
    pub engineer_id: Option<String>,
    pub limit: i64,
}

/// Open requests with open clocks, the nearest due time first (held clocks last).
pub async fn board<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &BoardFilter,
) -> Result<Vec<BoardRow>, StoreError> {
    let mut sql = String::from(
        "SELECT s.request_id, r.number, c.name AS customer_name, r.priority, r.status, r.org_unit_id, \
         o.name AS org_unit_name, u.display_name AS owner_name, \
         lw.engineer_id AS engineer_id, eu.display_name AS engineer_name, \
         s.next_due_at, s.next_milestone, s.state, s.clocks \
         FROM sla_status s JOIN service_requests r ON r.id = s.request_id JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN org_units o ON o.id = r.org_unit_id JOIN users u ON u.id = r.owner_id \
         LEFT JOIN work_orders lw ON lw.id = (SELECT w.id FROM work_orders w WHERE w.request_id = r.id \
          AND w.status NOT IN ('completed', 'cancelled') ORDER BY w.created_at DESC, w.id DESC LIMIT 1) \
         LEFT JOIN users eu ON eu.id = lw.engineer_id \
         WHERE s.open = 1",
    );
    let mut binds: Vec<String> = vec![];
    if let Some(units) = &f.org_units {
        if units.is_empty() {
            return Ok(vec![]);
        }
        sql.push_str(&format!(
            " AND r.org_unit_id IN ({})",
            crate::bulk::placeholders(binds.len() + 1, units.len())
        ));
        binds.extend(units.iter().cloned());
    }
    if let Some(eng) = &f.engineer_id {
        binds.push(eng.clone());
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM work_orders w WHERE w.request_id = r.id AND w.engineer_id = ${} \
             AND w.status NOT IN ('completed', 'cancelled'))",
            binds.len()
        ));
    }
    sql.push_str(&format!(
        " ORDER BY CASE WHEN s.next_due_at IS NULL THEN 1 ELSE 0 END, s.next_due_at, r.number LIMIT {}",
        f.limit.clamp(1, 1000)
    ));
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(e).await?)
}

// ---------------------------------------------------------------------------------------
// Notifications

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: Option<String>,
    pub channel: String,
    pub address: Option<String>,
    pub locale: String,
    pub event: String,
    pub request_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub status: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
    pub sent_at: Option<String>,
}

const NOTE_COLUMNS: &str = "id, user_id, channel, address, locale, event, request_id, subject, body, link, status, \
    last_error, created_at, read_at, sent_at";

pub async fn insert_notification<'e, E: Executor<'e, Database = Any>>(
    e: E,
    n: &NotificationRow,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO notifications ({NOTE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )))
    .bind(&n.id)
    .bind(n.user_id.clone())
    .bind(&n.channel)
    .bind(n.address.clone())
    .bind(&n.locale)
    .bind(&n.event)
    .bind(n.request_id.clone())
    .bind(&n.subject)
    .bind(&n.body)
    .bind(n.link.clone())
    .bind(&n.status)
    .bind(n.last_error.clone())
    .bind(&n.created_at)
    .bind(n.read_at.clone())
    .bind(n.sent_at.clone())
    .execute(e)
    .await?;
    Ok(())
}

pub async fn notification<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<NotificationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTE_COLUMNS} FROM notifications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// A user's in-app notifications, newest first.
pub async fn inbox<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    limit: i64,
) -> Result<Vec<NotificationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTE_COLUMNS} FROM notifications WHERE user_id = $1 AND channel = 'in_app' \
         ORDER BY created_at DESC, id DESC LIMIT {}",
        limit.clamp(1, 500)
    )))
    .bind(user_id)
    .fetch_all(e)
    .await?)
}

pub async fn unread_count<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
) -> Result<i64, StoreError> {
    let r: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND channel = 'in_app' AND status = 'unread'",
    )
    .bind(user_id)
    .fetch_one(e)
    .await?;
    Ok(r.0)
}

/// Marks a user's in-app notification read (or all of them when `id` is None).
pub async fn mark_read<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    id: Option<&str>,
    at: &str,
) -> Result<u64, StoreError> {
    let r = match id {
        Some(id) => sqlx::query(
            "UPDATE notifications SET status = 'read', read_at = $1 WHERE user_id = $2 AND id = $3 \
             AND channel = 'in_app' AND status = 'unread'",
        )
        .bind(at)
        .bind(user_id)
        .bind(id),
        None => sqlx::query(
            "UPDATE notifications SET status = 'read', read_at = $1 WHERE user_id = $2 AND channel = 'in_app' \
             AND status = 'unread'",
        )
        .bind(at)
        .bind(user_id),
    }
    .execute(e)
    .await?;
    Ok(r.rows_affected())
}

/// Records a delivery's outcome: sent at `sent_at`, or failed with `error`.
pub async fn mark_delivery<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
    sent_at: Option<&str>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notifications SET status = $1, sent_at = $2, last_error = $3 WHERE id = $4",
    )
    .bind(if sent_at.is_some() { "sent" } else { "failed" })
    .bind(sent_at.map(str::to_owned))
    .bind(error.map(str::to_owned))
    .bind(id)
    .execute(e)
    .await?;
    Ok(())
}

/// The notifications about a request (every channel), oldest first.
pub async fn notifications_of_request<'e, E: Executor<'e, Database = Any>>(
    e: E,
    request_id: &str,
) -> Result<Vec<NotificationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTE_COLUMNS} FROM notifications WHERE request_id = $1 ORDER BY created_at, id"
    )))
    .bind(request_id)
    .fetch_all(e)
    .await?)
}

// ---------------------------------------------------------------------------------------
// Who is told

/// A user as notifications need them.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UserContact {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: Option<String>,
    pub locale: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

const CONTACT_COLUMNS: &str = "id, display_name, role, org_unit_id, locale, email, phone";

pub async fn contacts_of_users<'e, E: Executor<'e, Database = Any>>(
    e: E,
    ids: &[String],
) -> Result<Vec<UserContact>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT {CONTACT_COLUMNS} FROM users WHERE id IN ({}) AND disabled = 0 ORDER BY username",
        crate::bulk::placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(e).await?)
}

/// Active users of a role in one unit, by user name.
pub async fn users_with_role_in_unit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    role: &str,
    unit: &str,
) -> Result<Vec<UserContact>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTACT_COLUMNS} FROM users WHERE role = $1 AND org_unit_id = $2 AND disabled = 0 ORDER BY username"
    )))
    .bind(role)
    .bind(unit)
    .fetch_all(e)
    .await?)
}

/// Active users of a role anywhere, by user name (dispatchers when a request has no unit).
pub async fn users_with_role<'e, E: Executor<'e, Database = Any>>(
    e: E,
    role: &str,
) -> Result<Vec<UserContact>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTACT_COLUMNS} FROM users WHERE role = $1 AND disabled = 0 ORDER BY username"
    )))
    .bind(role)
    .fetch_all(e)
    .await?)
}

/// Sets a user's e-mail address and phone.
pub async fn set_user_contact<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE users SET email = $1, phone = $2 WHERE id = $3")
        .bind(email.map(str::to_owned))
        .bind(phone.map(str::to_owned))
        .bind(user_id)
        .execute(e)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The portal accounts of a customer (active), by id.
pub async fn portal_users<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM users WHERE customer_id = $1 AND role = 'customer' AND disabled = 0 ORDER BY id",
    )
    .bind(customer_id)
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn customer_name<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: &str,
) -> Result<Option<String>, StoreError> {
    let r: Option<(String,)> = sqlx::query_as("SELECT name FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(e)
        .await?;
    Ok(r.map(|r| r.0))
}

/// Open requests whose clocks were never computed (filed before the SLA feature existed).
pub async fn open_requests_without_status<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT r.id FROM service_requests r WHERE r.status IN ('open', 'in_progress') \
         AND NOT EXISTS (SELECT 1 FROM sla_status s WHERE s.request_id = r.id) ORDER BY r.id",
    )
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Locks a request's row until the transaction ends (PostgreSQL; SQLite's single writer
/// already serializes write transactions), so two checks of one request run one after
/// the other.
pub async fn lock_request(
    c: &mut AnyConnection,
    request_id: &str,
    backend: crate::Backend,
) -> Result<(), StoreError> {
    if backend == crate::Backend::Postgres {
        sqlx::query("SELECT id FROM service_requests WHERE id = $1 FOR UPDATE")
            .bind(request_id)
            .fetch_optional(&mut *c)
            .await?;
    }
    Ok(())
}

/// The open requests (for a recheck of their clocks after a change of calendars or rules).
pub async fn open_request_ids<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM service_requests WHERE status IN ('open', 'in_progress') ORDER BY id",
    )
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
