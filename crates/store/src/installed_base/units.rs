//! Serial-numbered units and their ownership history.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::{CustomerId, ProductId, UnitId};
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    pub id: UnitId,
    pub manufacturer: String,
    pub serial: Option<String>,
    pub serial_norm: Option<String>,
    pub product_id: ProductId,
    pub customer_id: Option<CustomerId>,
    pub site_id: Option<String>,
    pub manufacture_date: Option<String>,
    pub ship_date: Option<String>,
    pub sale_date: Option<String>,
    pub installation_date: Option<String>,
    pub acceptance_date: Option<String>,
    pub dealer: Option<String>,
    pub oem: bool,
    pub third_party: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    manufacturer: String,
    serial: Option<String>,
    serial_norm: Option<String>,
    product_id: String,
    customer_id: Option<String>,
    site_id: Option<String>,
    manufacture_date: Option<String>,
    ship_date: Option<String>,
    sale_date: Option<String>,
    installation_date: Option<String>,
    acceptance_date: Option<String>,
    dealer: Option<String>,
    oem: i64,
    third_party: i64,
    version: i64,
    created_at: String,
    updated_at: String,
}

const SELECT: &str = "SELECT id, manufacturer, serial, serial_norm, product_id, customer_id, site_id, manufacture_date, ship_date, \
    sale_date, installation_date, acceptance_date, dealer, oem, third_party, version, created_at, updated_at FROM units";

fn record(r: Row) -> Result<UnitRecord, StoreError> {
    Ok(UnitRecord {
        id: r.id.parse().map_err(|_| corrupt("units.id", &r.id))?,
        product_id: r
            .product_id
            .parse()
            .map_err(|_| corrupt("units.product_id", &r.product_id))?,
        customer_id: r
            .customer_id
            .as_deref()
            .map(|s| s.parse().map_err(|_| corrupt("units.customer_id", s)))
            .transpose()?,
        created_at: time::from_db("units.created_at", &r.created_at)?,
        updated_at: time::from_db("units.updated_at", &r.updated_at)?,
        manufacturer: r.manufacturer,
        serial: r.serial,
        serial_norm: r.serial_norm,
        site_id: r.site_id,
        manufacture_date: r.manufacture_date,
        ship_date: r.ship_date,
        sale_date: r.sale_date,
        installation_date: r.installation_date,
        acceptance_date: r.acceptance_date,
        dealer: r.dealer,
        oem: r.oem != 0,
        third_party: r.third_party != 0,
        version: r.version,
    })
}

/// A normalized serial reversed (`units.serial_rev`): a serial's tail becomes a prefix,
/// searched on an index like `serial_norm`'s prefixes. The serial never changes after
/// the unit is recorded, so the two inserts here are the only writers.
pub fn reversed(serial_norm: &str) -> String {
    serial_norm.chars().rev().collect()
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    u: &UnitRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO units (id, manufacturer, serial, serial_norm, serial_rev, product_id, customer_id, site_id, manufacture_date, ship_date, \
         sale_date, installation_date, acceptance_date, dealer, oem, third_party, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(u.id.to_string())
    .bind(&u.manufacturer)
    .bind(u.serial.clone())
    .bind(u.serial_norm.clone())
    .bind(u.serial_norm.as_deref().map(reversed))
    .bind(u.product_id.to_string())
    .bind(u.customer_id.map(|c| c.to_string()))
    .bind(u.site_id.clone())
    .bind(u.manufacture_date.clone())
    .bind(u.ship_date.clone())
    .bind(u.sale_date.clone())
    .bind(u.installation_date.clone())
    .bind(u.acceptance_date.clone())
    .bind(u.dealer.clone())
    .bind(i64::from(u.oem))
    .bind(i64::from(u.third_party))
    .bind(u.version)
    .bind(time::to_db(u.created_at)?)
    .bind(time::to_db(u.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Moves a unit to another owner (and site) if the version matches; false when stale.
pub async fn set_owner<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: UnitId,
    customer_id: Option<CustomerId>,
    site_id: Option<&str>,
    expected: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE units SET customer_id = $1, site_id = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(customer_id.map(|c| c.to_string()))
    .bind(site_id.map(str::to_owned))
    .bind(time::to_db(now)?)
    .bind(id.to_string())
    .bind(expected)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: UnitId,
) -> Result<UnitRecord, StoreError> {
    let r: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.to_string())
        .fetch_one(e)
        .await?;
    record(r)
}

/// Units with this normalized serial (one per manufacturer).
pub async fn by_serial<'e, E: Executor<'e, Database = Any>>(
    e: E,
    serial_norm: &str,
) -> Result<Vec<UnitRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE serial_norm = $1 ORDER BY manufacturer"
    )))
    .bind(serial_norm)
    .fetch_all(e)
    .await?;
    rows.into_iter().map(record).collect()
}

#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    /// A prefix of the normalized serial.
    pub serial_prefix: Option<String>,
    pub product_id: Option<ProductId>,
    pub customer_id: Option<CustomerId>,
}

/// Units ordered by id (creation order), continuing after `after` (an id).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    f: &UnitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<UnitRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 IS NULL OR (serial_norm >= $1 AND serial_norm < $1 || '~')) AND ($2 IS NULL OR product_id = $2) \
         AND ($3 IS NULL OR customer_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
    )))
    .bind(f.serial_prefix.clone())
    .bind(f.product_id.map(|p| p.to_string()))
    .bind(f.customer_id.map(|c| c.to_string()))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |u| u.id.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OwnershipRow {
    pub id: String,
    pub unit_id: String,
    pub customer_id: Option<String>,
    pub since: String,
    pub note: Option<String>,
    pub recorded_at: String,
}

pub async fn insert_ownership<'e, E: Executor<'e, Database = Any>>(
    e: E,
    o: &OwnershipRow,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO unit_ownerships (id, unit_id, customer_id, since, note, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&o.id)
        .bind(&o.unit_id)
        .bind(o.customer_id.clone())
        .bind(&o.since)
        .bind(o.note.clone())
        .bind(&o.recorded_at)
        .execute(e)
        .await?;
    Ok(())
}

/// Owners of a unit, oldest first.
pub async fn ownerships<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: UnitId,
) -> Result<Vec<OwnershipRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, unit_id, customer_id, since, note, recorded_at FROM unit_ownerships WHERE unit_id = $1 ORDER BY recorded_at, id",
    )
    .bind(id.to_string())
    .fetch_all(e)
    .await?)
}

// ---- Many at once (imports and exports) ----

use crate::bulk::{self, Val};
use sqlx::AnyConnection;

/// Inserts units and their first ownership rows in a few statements.
pub async fn insert_many(
    conn: &mut AnyConnection,
    units: &[UnitRecord],
    ownerships: &[OwnershipRow],
) -> Result<(), StoreError> {
    bulk::insert_rows(
        conn,
        "units",
        &[
            "id",
            "manufacturer",
            "serial",
            "serial_norm",
            "serial_rev",
            "product_id",
            "customer_id",
            "site_id",
            "manufacture_date",
            "ship_date",
            "sale_date",
            "installation_date",
            "acceptance_date",
            "dealer",
            "oem",
            "third_party",
            "version",
            "created_at",
            "updated_at",
        ],
        units
            .iter()
            .map(|u| -> Result<Vec<Val>, StoreError> {
                Ok(vec![
                    Val::text(u.id.to_string()),
                    Val::text(&u.manufacturer),
                    Val::Text(u.serial.clone()),
                    Val::Text(u.serial_norm.clone()),
                    Val::Text(u.serial_norm.as_deref().map(reversed)),
                    Val::text(u.product_id.to_string()),
                    Val::Text(u.customer_id.map(|c| c.to_string())),
                    Val::Text(u.site_id.clone()),
                    Val::Text(u.manufacture_date.clone()),
                    Val::Text(u.ship_date.clone()),
                    Val::Text(u.sale_date.clone()),
                    Val::Text(u.installation_date.clone()),
                    Val::Text(u.acceptance_date.clone()),
                    Val::Text(u.dealer.clone()),
                    Val::Int(Some(i64::from(u.oem))),
                    Val::Int(Some(i64::from(u.third_party))),
                    Val::Int(Some(u.version)),
                    Val::text(time::to_db(u.created_at)?),
                    Val::text(time::to_db(u.updated_at)?),
                ])
            })
            .collect::<Result<Vec<_>, _>>()?,
    )
    .await?;
    bulk::insert_rows(
        conn,
        "unit_ownerships",
        &[
            "id",
            "unit_id",
            "customer_id",
            "since",
            "note",
            "recorded_at",
        ],
        ownerships
            .iter()
            .map(|o| {
                vec![
                    Val::text(&o.id),
                    Val::text(&o.unit_id),
                    Val::Text(o.customer_id.clone()),
                    Val::text(&o.since),
                    Val::Text(o.note.clone()),
                    Val::text(&o.recorded_at),
                ]
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// (manufacturer, normalized serial) of stored units with one of these normalized serials.
pub async fn taken_serials(
    conn: &mut AnyConnection,
    serial_norms: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    bulk::fetch_in(
        conn,
        "SELECT manufacturer, serial_norm FROM units WHERE serial_norm IN ({in})",
        serial_norms,
    )
    .await
}

/// A unit with its model and owner, as an export shows it.
#[derive(Debug, Clone, FromRow)]
pub struct UnitLine {
    pub id: String,
    pub serial: Option<String>,
    pub manufacturer: String,
    pub product_code: String,
    pub product_name: String,
    pub product_line: String,
    pub customer_number: Option<String>,
    pub customer_name: Option<String>,
    pub manufacture_date: Option<String>,
    pub ship_date: Option<String>,
    pub sale_date: Option<String>,
    pub installation_date: Option<String>,
    pub acceptance_date: Option<String>,
    pub dealer: Option<String>,
    pub oem: i64,
    pub third_party: i64,
    pub created_at: String,
}

/// Units in id order with the same filter as [`list`], joined with their model and owner.
pub async fn list_lines(
    conn: &mut AnyConnection,
    f: &UnitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<UnitLine>, StoreError> {
    let rows: Vec<UnitLine> = sqlx::query_as(
        "SELECT u.id, u.serial, u.manufacturer, p.code AS product_code, p.name AS product_name, \
         p.product_line, c.number AS customer_number, c.name AS customer_name, u.manufacture_date, u.ship_date, \
         u.sale_date, u.installation_date, u.acceptance_date, u.dealer, u.oem, u.third_party, u.created_at \
         FROM units u JOIN product_models p ON p.id = u.product_id LEFT JOIN customers c ON c.id = u.customer_id \
         WHERE ($1 IS NULL OR (u.serial_norm >= $1 AND u.serial_norm < $1 || '~')) AND ($2 IS NULL OR u.product_id = $2) \
         AND ($3 IS NULL OR u.customer_id = $3) AND ($4 IS NULL OR u.id > $4) ORDER BY u.id LIMIT $5",
    )
    .bind(f.serial_prefix.clone())
    .bind(f.product_id.map(|p| p.to_string()))
    .bind(f.customer_id.map(|c| c.to_string()))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, limit, |u| u.id.clone()))
}
