//! Stock: locations, the append-only ledger of moves with an entry per location that holds
//! stock, the balances kept in the same transaction, and serial-numbered parts.
//!
//! A move is written by the app in one transaction: [`lock_balances`] (rows made if absent,
//! then locked in key order on PostgreSQL so two transfers in opposite directions cannot
//! deadlock; SQLite's single writer already serializes), then [`insert_move`],
//! [`insert_entry`] and [`set_balance`] for each side that holds stock.

use crate::error::StoreError;
use crate::{Backend, Page};
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LocationRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub org_unit_id: Option<String>,
    pub user_id: Option<String>,
    pub active: i64,
    pub created_at: String,
    /// The keeping unit's path in the network tree (read only).
    pub org_path: Option<String>,
}

const LOCATION_COLS: &str = "id, code, name, kind, org_unit_id, user_id, active, created_at";
const LOCATION_SELECT: &str = "SELECT l.id, l.code, l.name, l.kind, l.org_unit_id, l.user_id, l.active, l.created_at, \
    o.path AS org_path FROM stock_locations l LEFT JOIN org_units o ON o.id = l.org_unit_id";

pub async fn insert_location(c: &mut AnyConnection, l: &LocationRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO stock_locations ({LOCATION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )))
    .bind(&l.id)
    .bind(&l.code)
    .bind(&l.name)
    .bind(&l.kind)
    .bind(l.org_unit_id.clone())
    .bind(l.user_id.clone())
    .bind(l.active)
    .bind(&l.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn find_location<'e, E: Executor<'e, Database = Any>>(
    e: E,
    code: &str,
) -> Result<Option<LocationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOCATION_SELECT} WHERE l.code = $1"
    )))
    .bind(code)
    .fetch_optional(e)
    .await?)
}

pub async fn location_by_id<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: &str,
) -> Result<Option<LocationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOCATION_SELECT} WHERE l.id = $1"
    )))
    .bind(id)
    .fetch_optional(e)
    .await?)
}

/// An engineer's van.
pub async fn van_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
) -> Result<Option<LocationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOCATION_SELECT} WHERE l.user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(e)
    .await?)
}

/// Every location, by code.
pub async fn list_locations<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<LocationRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOCATION_SELECT} ORDER BY l.code LIMIT 5000"
    )))
    .fetch_all(e)
    .await?)
}

/// A balance's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BalanceKey {
    pub location_id: String,
    pub part_id: String,
    pub condition: String,
}

/// What is on hand and what it cost (quantity in thousandths, value in fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    pub on_hand: i64,
    pub value_fen: i64,
}

/// Makes the balances of `keys` if absent (at zero) and locks them until the transaction
/// ends, in key order; answers them in the order asked.
pub async fn lock_balances(
    c: &mut AnyConnection,
    backend: Backend,
    keys: &[BalanceKey],
    at: &str,
) -> Result<Vec<Held>, StoreError> {
    let mut order: Vec<&BalanceKey> = keys.iter().collect();
    order.sort();
    order.dedup();
    for k in &order {
        sqlx::query(
            "INSERT INTO stock_balances (location_id, part_id, condition, on_hand, value_fen, updated_at) \
             VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT (location_id, part_id, condition) DO NOTHING",
        )
        .bind(&k.location_id)
        .bind(&k.part_id)
        .bind(&k.condition)
        .bind(at)
        .execute(&mut *c)
        .await?;
    }
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let mut held = std::collections::HashMap::new();
    for k in &order {
        let (on_hand, value_fen): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT on_hand, value_fen FROM stock_balances WHERE location_id = $1 AND part_id = $2 AND condition = $3{lock}"
        )))
        .bind(&k.location_id)
        .bind(&k.part_id)
        .bind(&k.condition)
        .fetch_one(&mut *c)
        .await?;
        held.insert((*k).clone(), Held { on_hand, value_fen });
    }
    Ok(keys
        .iter()
        .map(|k| held.get(k).copied().unwrap_or_default())
        .collect())
}

pub async fn set_balance(
    c: &mut AnyConnection,
    k: &BalanceKey,
    h: Held,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE stock_balances SET on_hand = $1, value_fen = $2, updated_at = $3 \
         WHERE location_id = $4 AND part_id = $5 AND condition = $6",
    )
    .bind(h.on_hand)
    .bind(h.value_fen)
    .bind(at)
    .bind(&k.location_id)
    .bind(&k.part_id)
    .bind(&k.condition)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MoveRow {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub part_id: String,
    pub condition: String,
    pub qty: i64,
    pub from_location_id: String,
    pub to_location_id: String,
    pub value_fen: i64,
    pub serial: Option<String>,
    pub work_order_id: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub approved_by: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
}

const MOVE_COLS: &str = "id, at, kind, part_id, condition, qty, from_location_id, to_location_id, value_fen, \
    serial, work_order_id, reference, reason, approved_by, actor_id, actor_name, note";

pub async fn insert_move(c: &mut AnyConnection, m: &MoveRow) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO stock_moves ({MOVE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )))
    .bind(&m.id)
    .bind(&m.at)
    .bind(&m.kind)
    .bind(&m.part_id)
    .bind(&m.condition)
    .bind(m.qty)
    .bind(&m.from_location_id)
    .bind(&m.to_location_id)
    .bind(m.value_fen)
    .bind(m.serial.clone())
    .bind(m.work_order_id.clone())
    .bind(m.reference.clone())
    .bind(m.reason.clone())
    .bind(m.approved_by.clone())
    .bind(m.actor_id.clone())
    .bind(&m.actor_name)
    .bind(m.note.clone())
    .execute(c)
    .await?;
    Ok(())
}

/// What a move did to one location's balance.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EntryRow {
    pub move_id: String,
    pub location_id: String,
    pub part_id: String,
    pub condition: String,
    pub at: String,
    pub delta: i64,
    pub value_delta: i64,
    pub balance_after: i64,
    pub value_after: i64,
}

pub async fn insert_entry(c: &mut AnyConnection, e: &EntryRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stock_entries (move_id, location_id, part_id, condition, at, delta, value_delta, balance_after, value_after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.move_id)
    .bind(&e.location_id)
    .bind(&e.part_id)
    .bind(&e.condition)
    .bind(&e.at)
    .bind(e.delta)
    .bind(e.value_delta)
    .bind(e.balance_after)
    .bind(e.value_after)
    .execute(c)
    .await?;
    Ok(())
}

/// Where a serial-numbered part is now: its location and condition.
pub async fn serial_at<'e, E: Executor<'e, Database = Any>>(
    e: E,
    part_id: &str,
    serial: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT location_id, condition FROM stock_serials WHERE part_id = $1 AND serial = $2",
    )
    .bind(part_id)
    .bind(serial)
    .fetch_optional(e)
    .await?)
}

pub async fn put_serial(
    c: &mut AnyConnection,
    part_id: &str,
    serial: &str,
    location_id: &str,
    condition: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stock_serials (part_id, serial, location_id, condition, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (part_id, serial) DO UPDATE SET location_id = $3, condition = $4, updated_at = $5",
    )
    .bind(part_id)
    .bind(serial)
    .bind(location_id)
    .bind(condition)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// A balance with the names a reader needs.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BalanceRow {
    pub location_id: String,
    pub location_code: String,
    pub location_name: String,
    pub location_kind: String,
    pub part_id: String,
    pub part_no: String,
    pub name_zh: String,
    pub name_en: String,
    pub uom: String,
    pub condition: String,
    pub on_hand: i64,
    pub value_fen: i64,
    pub reorder_point: Option<i64>,
}

/// Filters of a balance list; `locations` limits to those ids when given (a reader's scope).
#[derive(Debug, Clone, Default)]
pub struct BalanceFilter {
    pub location_id: Option<String>,
    pub part_id: Option<String>,
    pub locations: Option<Vec<String>>,
    /// Only balances at or below their reorder point.
    pub low_only: bool,
    pub include_zero: bool,
}

pub async fn balances<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &BalanceFilter,
    limit: i64,
) -> Result<Vec<BalanceRow>, StoreError> {
    let low = if f.low_only {
        " AND r.reorder_point IS NOT NULL AND b.condition = 'new' AND b.on_hand <= r.reorder_point"
    } else {
        ""
    };
    // `+b.on_hand`: not a term for an index, so a lookup by location and part keeps to the
    // primary key rather than the valuation's index.
    let zero = if f.include_zero || f.low_only {
        ""
    } else {
        " AND +b.on_hand > 0"
    };
    // Only the filters given, each an equality the primary key (location, part, condition)
    // or the part index answers: `($1 IS NULL OR …)` would make SQLite scan every balance.
    let mut filters = String::new();
    let mut n = 0;
    let mut next = |col: &str| {
        n += 1;
        format!(" AND b.{col} = ${n}")
    };
    if f.location_id.is_some() {
        filters.push_str(&next("location_id"));
    }
    if f.part_id.is_some() {
        filters.push_str(&next("part_id"));
    }
    // A reader's scope: its location ids, each bound.
    let scope = match &f.locations {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".into(),
        Some(ids) => {
            let marks: Vec<String> = ids
                .iter()
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            format!(" AND b.location_id IN ({})", marks.join(", "))
        }
    };
    let limit_param = n + 1;
    let sql = format!(
        "SELECT b.location_id, l.code AS location_code, l.name AS location_name, l.kind AS location_kind, \
         b.part_id, p.part_no, p.name_zh, p.name_en, p.uom, b.condition, b.on_hand, b.value_fen, r.reorder_point \
         FROM stock_balances b JOIN stock_locations l ON l.id = b.location_id JOIN parts p ON p.id = b.part_id \
         LEFT JOIN reorder_points r ON r.location_id = b.location_id AND r.part_id = b.part_id \
         WHERE 1 = 1{filters}{scope}{low}{zero} \
         ORDER BY l.code, p.part_no, b.condition LIMIT ${limit_param}"
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    if let Some(l) = &f.location_id {
        q = q.bind(l.clone());
    }
    if let Some(p) = &f.part_id {
        q = q.bind(p.clone());
    }
    for id in f.locations.iter().flatten() {
        q = q.bind(id.clone());
    }
    Ok(q.bind(limit).fetch_all(e).await?)
}

/// One balance, read without a lock.
pub async fn balance<'e, E: Executor<'e, Database = Any>>(
    e: E,
    k: &BalanceKey,
) -> Result<Held, StoreError> {
    let r: Option<(i64, i64)> = sqlx::query_as(
        "SELECT on_hand, value_fen FROM stock_balances WHERE location_id = $1 AND part_id = $2 AND condition = $3",
    )
    .bind(&k.location_id)
    .bind(&k.part_id)
    .bind(&k.condition)
    .fetch_optional(e)
    .await?;
    Ok(r.map(|(on_hand, value_fen)| Held { on_hand, value_fen })
        .unwrap_or_default())
}

/// A move with the names a reader needs, and (when read for one location) the entry there.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LedgerRow {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub part_no: String,
    pub uom: String,
    pub condition: String,
    pub qty: i64,
    pub from_code: String,
    pub to_code: String,
    pub value_fen: i64,
    pub serial: Option<String>,
    pub work_order_number: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
    /// The running balance at the location read, after this move.
    pub balance_after: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub part_id: Option<String>,
    pub location_id: Option<String>,
    pub kind: Option<String>,
    pub work_order_id: Option<String>,
    /// Continue after this `at|id` key (newest first).
    pub before: Option<(String, String)>,
}

/// The ledger, newest first. With a location, read through its entries (an index range per
/// location and part) and each row carries the running balance there.
pub async fn ledger<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &LedgerFilter,
    limit: i64,
) -> Result<Page<LedgerRow>, StoreError> {
    let select = "m.id, m.at, m.kind, p.part_no, p.uom, m.condition, m.qty, fl.code AS from_code, tl.code AS to_code, \
        m.value_fen, m.serial, w.number AS work_order_number, m.reference, m.reason, m.actor_name, m.note";
    let joins = "JOIN parts p ON p.id = m.part_id JOIN stock_locations fl ON fl.id = m.from_location_id \
        JOIN stock_locations tl ON tl.id = m.to_location_id LEFT JOIN work_orders w ON w.id = m.work_order_id";
    // Only the filters given, so that a location and a part read one range of the index on
    // (location, part, at, move) newest first, with nothing to sort: `($1 IS NULL OR …)`
    // would make SQLite read every entry of the location.
    let (t, at, id) = if f.location_id.is_some() {
        ("s", "s.at", "s.move_id")
    } else {
        ("m", "m.at", "m.id")
    };
    let mut binds: Vec<String> = Vec::new();
    let mut filters = String::new();
    let mut add = |cond: &str, v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_owned());
        filters.push_str(&cond.replace('?', &format!("${}", binds.len())));
    };
    if let Some(l) = &f.location_id {
        add(" AND s.location_id = ?", l, &mut binds);
    }
    if let Some(p) = &f.part_id {
        add(&format!(" AND {t}.part_id = ?"), p, &mut binds);
    }
    if let Some(k) = &f.kind {
        add(" AND m.kind = ?", k, &mut binds);
    }
    if let Some(w) = &f.work_order_id {
        add(" AND m.work_order_id = ?", w, &mut binds);
    }
    if let Some((b_at, b_id)) = &f.before {
        binds.push(b_at.clone());
        let n = binds.len();
        binds.push(b_id.clone());
        filters.push_str(&format!(
            " AND ({at} < ${n} OR ({at} = ${n} AND {id} < ${}))",
            n + 1
        ));
    }
    let limit_param = binds.len() + 1;
    let sql = if f.location_id.is_some() {
        format!(
            "SELECT {select}, s.balance_after FROM stock_entries s JOIN stock_moves m ON m.id = s.move_id {joins} \
             WHERE 1 = 1{filters} ORDER BY s.at DESC, s.move_id DESC LIMIT ${limit_param}"
        )
    } else {
        format!(
            "SELECT {select}, CAST(NULL AS BIGINT) AS balance_after FROM stock_moves m {joins} \
             WHERE 1 = 1{filters} ORDER BY m.at DESC, m.id DESC LIMIT ${limit_param}"
        )
    };
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows: Vec<LedgerRow> = q.bind(limit + 1).fetch_all(e).await?;
    Ok(Page::from_rows(rows, limit, |r| {
        format!("{}|{}", r.at, r.id)
    }))
}

/// Value and quantity on hand per location (stock-holding ones), at cost.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ValuationRow {
    pub location_id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lines: i64,
    pub value_fen: i64,
}

pub async fn valuation<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<ValuationRow>, StoreError> {
    // Summed per location from the covering index on (location, on hand, value), then named.
    Ok(sqlx::query_as(
        "SELECT l.id AS location_id, l.code, l.name, l.kind, t.lines, t.value_fen \
         FROM (SELECT location_id, CAST(COUNT(*) AS BIGINT) AS lines, CAST(SUM(value_fen) AS BIGINT) AS value_fen \
               FROM stock_balances WHERE on_hand > 0 GROUP BY location_id) t \
         JOIN stock_locations l ON l.id = t.location_id ORDER BY l.code",
    )
    .fetch_all(e)
    .await?)
}

/// For checks: per balance, what it holds and what its entries add up to.
pub async fn ledger_sums<'e, E: Executor<'e, Database = Any>>(
    e: E,
) -> Result<Vec<(String, String, String, i64, i64, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT b.location_id, b.part_id, b.condition, b.on_hand, b.value_fen, \
         CAST(COALESCE((SELECT SUM(s.delta) FROM stock_entries s WHERE s.location_id = b.location_id AND s.part_id = b.part_id AND s.condition = b.condition), 0) AS BIGINT), \
         CAST(COALESCE((SELECT SUM(s.value_delta) FROM stock_entries s WHERE s.location_id = b.location_id AND s.part_id = b.part_id AND s.condition = b.condition), 0) AS BIGINT) \
         FROM stock_balances b ORDER BY b.location_id, b.part_id, b.condition",
    )
    .fetch_all(e)
    .await?)
}

/// A part's reorder point and quantity at a location.
pub async fn set_reorder_point(
    c: &mut AnyConnection,
    location_id: &str,
    part_id: &str,
    point: i64,
    qty: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO reorder_points (location_id, part_id, reorder_point, reorder_qty, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (location_id, part_id) DO UPDATE SET reorder_point = $3, reorder_qty = $4, updated_at = $5",
    )
    .bind(location_id)
    .bind(part_id)
    .bind(point)
    .bind(qty)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// A part's reorder point and quantity at a location, in thousandths.
pub async fn reorder_point<'e, E: Executor<'e, Database = Any>>(
    e: E,
    location_id: &str,
    part_id: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT reorder_point, reorder_qty FROM reorder_points WHERE location_id = $1 AND part_id = $2",
    )
    .bind(location_id)
    .bind(part_id)
    .fetch_optional(e)
    .await?)
}
