//! Customer records with their contacts, phones and sites.

use crate::Page;
use crate::error::{StoreError, corrupt};
use crate::time;
use aftersales_domain::CustomerId;
use jiff::Timestamp;
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    pub id: CustomerId,
    pub number: String,
    pub kind: String,
    pub name: String,
    pub company: Option<String>,
    pub region_code: Option<String>,
    pub notes: Option<String>,
    pub search_text: String,
    /// Completeness (R-CUS-3): 0–100 and the codes of what is missing, space-separated.
    pub complete_pct: i64,
    pub missing: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    id: String,
    number: String,
    kind: String,
    name: String,
    company: Option<String>,
    region_code: Option<String>,
    notes: Option<String>,
    search_text: String,
    complete_pct: i64,
    missing: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

const COLS: &str = "c.id, c.number, c.kind, c.name, c.company, c.region_code, c.notes, c.search_text, c.complete_pct, c.missing, c.version, c.created_at, c.updated_at";

fn record(r: Row) -> Result<CustomerRecord, StoreError> {
    Ok(CustomerRecord {
        id: r.id.parse().map_err(|_| corrupt("customers.id", &r.id))?,
        created_at: time::from_db("customers.created_at", &r.created_at)?,
        updated_at: time::from_db("customers.updated_at", &r.updated_at)?,
        number: r.number,
        kind: r.kind,
        name: r.name,
        company: r.company,
        region_code: r.region_code,
        notes: r.notes,
        search_text: r.search_text,
        complete_pct: r.complete_pct,
        missing: r.missing,
        version: r.version,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ContactRow {
    pub id: String,
    pub customer_id: String,
    pub name: String,
    pub title: Option<String>,
    pub is_primary: i64,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PhoneRow {
    pub id: String,
    pub customer_id: String,
    pub contact_id: Option<String>,
    pub number: String,
    pub digits: String,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SiteRow {
    pub id: String,
    pub customer_id: String,
    pub label: String,
    pub address: String,
    pub region_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub position: i64,
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CustomerRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customers (id, number, kind, name, company, region_code, notes, search_text, complete_pct, missing, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(c.id.to_string())
    .bind(&c.number)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(c.company.clone())
    .bind(c.region_code.clone())
    .bind(c.notes.clone())
    .bind(&c.search_text)
    .bind(c.complete_pct)
    .bind(&c.missing)
    .bind(c.version)
    .bind(time::to_db(c.created_at)?)
    .bind(time::to_db(c.updated_at)?)
    .execute(e)
    .await?;
    Ok(())
}

/// Writes the editable fields if the version matches; false when stale.
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &CustomerRecord,
    expected: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE customers SET kind = $1, name = $2, company = $3, region_code = $4, notes = $5, search_text = $6, \
         version = $7, updated_at = $8, complete_pct = $11, missing = $12 WHERE id = $9 AND version = $10",
    )
    .bind(&c.kind)
    .bind(&c.name)
    .bind(c.company.clone())
    .bind(c.region_code.clone())
    .bind(c.notes.clone())
    .bind(&c.search_text)
    .bind(c.version)
    .bind(time::to_db(c.updated_at)?)
    .bind(c.id.to_string())
    .bind(expected)
    .bind(c.complete_pct)
    .bind(&c.missing)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn insert_contact<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &ContactRow,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO customer_contacts (id, customer_id, name, title, is_primary, position) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&c.id)
        .bind(&c.customer_id)
        .bind(&c.name)
        .bind(c.title.clone())
        .bind(c.is_primary)
        .bind(c.position)
        .execute(e)
        .await?;
    Ok(())
}

pub async fn insert_phone<'e, E: Executor<'e, Database = Any>>(
    e: E,
    p: &PhoneRow,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO customer_phones (id, customer_id, contact_id, number, digits, position) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&p.id)
        .bind(&p.customer_id)
        .bind(p.contact_id.clone())
        .bind(&p.number)
        .bind(&p.digits)
        .bind(p.position)
        .execute(e)
        .await?;
    Ok(())
}

pub async fn insert_site<'e, E: Executor<'e, Database = Any>>(
    e: E,
    s: &SiteRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_sites (id, customer_id, label, address, region_code, latitude, longitude, position) \
         VALUES ($1, $2, $3, $4, $5, CAST($6 AS DOUBLE PRECISION), CAST($7 AS DOUBLE PRECISION), $8)",
    )
    .bind(&s.id)
    .bind(&s.customer_id)
    .bind(&s.label)
    .bind(&s.address)
    .bind(s.region_code.clone())
    .bind(crate::float_param(s.latitude))
    .bind(crate::float_param(s.longitude))
    .bind(s.position)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: CustomerId,
) -> Result<CustomerRecord, StoreError> {
    let r: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE c.id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(e)
    .await?;
    record(r)
}

pub async fn contacts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: CustomerId,
) -> Result<Vec<ContactRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, name, title, is_primary, position FROM customer_contacts WHERE customer_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(e)
    .await?)
}

pub async fn phones<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: CustomerId,
) -> Result<Vec<PhoneRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, contact_id, number, digits, position FROM customer_phones WHERE customer_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(e)
    .await?)
}

pub async fn sites<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: CustomerId,
) -> Result<Vec<SiteRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, label, address, region_code, latitude, longitude, position FROM customer_sites \
         WHERE customer_id = $1 ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(e)
    .await?)
}

// The agent's search box. Each search finds its candidates in one of two ways, and both
// return exactly the customers the plain `LIKE '%…%'` (or serial range) does, first ten by
// name:
// - few index entries for the term (the usual case): fetch those candidates through the
//   suffix tables of migration 0004 (or the serial index), check them, sort them;
// - many (a common fragment such as one surname, "138" or "KT5P"): walk customers in name
//   order and stop at the tenth match, which comes early since matches are common.
// Counting the entries (up to the threshold) decides, so neither way reads much.

/// Above this many entries of a suffix table for a term, walking customers in name order
/// is cheaper than fetching every candidate.
const MANY_SUFFIXES: i64 = 2_000;
/// The same for units whose serial starts with a prefix.
const MANY_UNITS: i64 = 1_000;
/// How many characters of each suffix of `search_text` the text suffix table keeps.
const TEXT_SUFFIX_CHARS: usize = 8;
/// The shortest suffix of phone digits the phone suffix table keeps.
const PHONE_SUFFIX_MIN_DIGITS: usize = 3;

/// The end of the range of texts starting with `prefix`, compared bytewise (SQLite's
/// BINARY, PostgreSQL's "C"): nothing valid in UTF-8 sorts after U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Can the suffix tables answer `LIKE '%' || term || '%'` exactly? Not for an empty term,
/// nor one starting with a space (not kept), nor one with LIKE's wildcards or PostgreSQL's
/// escape character, nor (SQLite compares ASCII letters case-blind in LIKE) one with
/// capitals, which the lower-case `search_text` and the digits never contain.
fn suffix_searchable(term: &str) -> bool {
    !term.is_empty()
        && !term.starts_with(' ')
        && !term
            .chars()
            .any(|c| matches!(c, '%' | '_' | '\\') || c.is_ascii_uppercase())
}

/// How many rows `select_one` (a `SELECT 1 …` over the range `$1`..`$2`) gives, counting
/// at most `cap + 1`.
async fn count_capped<'e, E: Executor<'e, Database = Any>>(
    e: E,
    select_one: &str,
    from: &str,
    to: &str,
    cap: i64,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM ({select_one} LIMIT $3) t"
    )))
    .bind(from)
    .bind(to)
    .bind(cap + 1)
    .fetch_one(e)
    .await?;
    Ok(n)
}

/// Customers having a phone whose digits contain `digits`. Runs two queries, hence an
/// executor that can be used twice (the pool).
pub async fn by_phone_digits<'e, E: Executor<'e, Database = Any> + Copy>(
    e: E,
    digits: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let walk = format!(
        "SELECT {COLS} FROM customers c WHERE EXISTS \
         (SELECT 1 FROM customer_phones p WHERE p.customer_id = c.id AND p.digits LIKE '%' || $1 || '%') \
         ORDER BY c.name, c.id LIMIT $2"
    );
    let rows: Vec<Row> = if digits.chars().count() < PHONE_SUFFIX_MIN_DIGITS
        || !suffix_searchable(digits)
        || count_capped(
            e,
            "SELECT 1 FROM customer_phone_suffixes s WHERE s.suffix >= $1 AND s.suffix < $2",
            digits,
            &prefix_end(digits),
            MANY_SUFFIXES,
        )
        .await?
            > MANY_SUFFIXES
    {
        sqlx::query_as(sqlx::AssertSqlSafe(walk))
            .bind(digits)
            .bind(limit)
            .fetch_all(e)
            .await?
    } else {
        // The suffix table holds whole suffixes: a match is a match, no check needed.
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM customers c WHERE c.number IN \
             (SELECT s.number FROM customer_phone_suffixes s WHERE s.suffix >= $1 AND s.suffix < $2) \
             ORDER BY c.name, c.id LIMIT $3"
        )))
        .bind(digits)
        .bind(prefix_end(digits))
        .bind(limit)
        .fetch_all(e)
        .await?
    };
    rows.into_iter().map(record).collect()
}

/// Customers having a phone with exactly these digits (as stored: separators and a +86
/// dropped), by number: the owners of a number before a new record is filed with it.
pub async fn by_phone_exact<'e, E: Executor<'e, Database = Any>>(
    e: E,
    digits: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE c.id IN \
         (SELECT p.customer_id FROM customer_phones p WHERE p.digits = $1) \
         ORDER BY c.number LIMIT $2"
    )))
    .bind(digits)
    .bind(limit)
    .fetch_all(e)
    .await?;
    rows.into_iter().map(record).collect()
}

/// Customers whose name, company or pinyin initials contain `text` (lower case), or whose
/// number is `text` in capitals. Runs two queries, hence an executor that can be used
/// twice (the pool).
pub async fn by_text<'e, E: Executor<'e, Database = Any> + Copy>(
    e: E,
    text: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let key: String = text.chars().take(TEXT_SUFFIX_CHARS).collect();
    let rows: Vec<Row> = if !suffix_searchable(text)
        || count_capped(
            e,
            "SELECT 1 FROM customer_text_suffixes s WHERE s.suffix >= $1 AND s.suffix < $2",
            &key,
            &prefix_end(&key),
            MANY_SUFFIXES,
        )
        .await?
            > MANY_SUFFIXES
    {
        // In name order, reading only the index of (name, id, search_text, number).
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM customers c WHERE c.id IN \
             (SELECT s.id FROM customers s WHERE s.search_text LIKE '%' || $1 || '%' OR s.number = $2 \
              ORDER BY s.name, s.id LIMIT $3) \
             ORDER BY c.name, c.id"
        )))
        .bind(text)
        .bind(text.to_uppercase())
        .bind(limit)
        .fetch_all(e)
        .await?
    } else {
        // Suffixes keep 8 characters: a longer text is checked against search_text.
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM customers c WHERE c.number IN \
             (SELECT s.number FROM customer_text_suffixes s WHERE s.suffix >= $1 AND s.suffix < $2 UNION SELECT $3) \
             AND (c.search_text LIKE '%' || $4 || '%' OR c.number = $3) \
             ORDER BY c.name, c.id LIMIT $5"
        )))
        .bind(&key)
        .bind(prefix_end(&key))
        .bind(text.to_uppercase())
        .bind(text)
        .bind(limit)
        .fetch_all(e)
        .await?
    };
    rows.into_iter().map(record).collect()
}

/// Customers owning a unit whose normalized serial starts with `serial_norm`. Runs two
/// queries, hence an executor that can be used twice (the pool).
pub async fn by_serial_prefix<'e, E: Executor<'e, Database = Any> + Copy>(
    e: E,
    serial_norm: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    by_serial_range(e, "serial_norm", serial_norm, limit).await
}

/// Customers owning a unit whose normalized serial ends with `tail` (normalized): a
/// prefix of the reversed serial (`units.serial_rev`, migration 0016), on its index.
pub async fn by_serial_tail<'e, E: Executor<'e, Database = Any> + Copy>(
    e: E,
    tail: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rev: String = tail.chars().rev().collect();
    by_serial_range(e, "serial_rev", &rev, limit).await
}

/// Customers owning a unit whose `column` (`serial_norm` or `serial_rev`) starts with
/// `prefix`.
async fn by_serial_range<'e, E: Executor<'e, Database = Any> + Copy>(
    e: E,
    column: &'static str,
    prefix: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM (SELECT 1 FROM units u WHERE u.{column} >= $1 AND u.{column} < $1 || '~' LIMIT $2) t"
    )))
    .bind(prefix)
    .bind(MANY_UNITS + 1)
    .fetch_one(e)
    .await?;
    let sql = if n > MANY_UNITS {
        format!(
            "SELECT {COLS} FROM customers c WHERE EXISTS \
             (SELECT 1 FROM units u WHERE u.customer_id = c.id AND u.{column} >= $1 AND u.{column} < $1 || '~') \
             ORDER BY c.name, c.id LIMIT $2"
        )
    } else {
        format!(
            "SELECT {COLS} FROM customers c WHERE c.id IN \
             (SELECT u.customer_id FROM units u WHERE u.{column} >= $1 AND u.{column} < $1 || '~') \
             ORDER BY c.name, c.id LIMIT $2"
        )
    };
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(prefix)
        .bind(limit)
        .fetch_all(e)
        .await?;
    rows.into_iter().map(record).collect()
}

/// Customers by number, continuing after `after` (a number).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    e: E,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<CustomerRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE ($1 IS NULL OR c.number > $1) ORDER BY c.number LIMIT $2"
    )))
    .bind(after.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |c| c.number.clone()))
}

/// Other customers that look like the same one: a shared phone, or the same name with the
/// same address. One placeholder per phone and address, so both lookups use their index.
pub async fn likely_duplicates<'e, E: Executor<'e, Database = Any>>(
    e: E,
    digits: &[String],
    name: &str,
    addresses: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut parts = Vec::new();
    let mut n = 0;
    let mut list = |k: usize| {
        let p: Vec<String> = (0..k).map(|i| format!("${}", n + i + 1)).collect();
        n += k;
        p.join(", ")
    };
    if !digits.is_empty() {
        parts.push(format!(
            "SELECT DISTINCT c.id, c.number, 'phone' FROM customers c JOIN customer_phones p ON p.customer_id = c.id \
             WHERE p.digits IN ({})",
            list(digits.len())
        ));
    }
    if !addresses.is_empty() {
        let name_at = list(1);
        parts.push(format!(
            "SELECT DISTINCT c.id, c.number, 'name_address' FROM customers c JOIN customer_sites s ON s.customer_id = c.id \
             WHERE c.name = {name_at} AND s.address IN ({})",
            list(addresses.len())
        ));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = parts.join(" UNION ");
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for d in digits {
        q = q.bind(d.clone());
    }
    if !addresses.is_empty() {
        q = q.bind(name.to_owned());
        for a in addresses {
            q = q.bind(a.clone());
        }
    }
    Ok(q.fetch_all(e).await?)
}

// ---------------------------------------------------------------------------------------
// Editing a record: contacts and sites keep their ids (units point at sites), phones are
// replaced with their contact. The audit trail keeps what was there before.

pub async fn update_contact<'e, E: Executor<'e, Database = Any>>(
    e: E,
    c: &ContactRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE customer_contacts SET name = $1, title = $2, is_primary = $3, position = $4 \
         WHERE id = $5 AND customer_id = $6",
    )
    .bind(&c.name)
    .bind(c.title.clone())
    .bind(c.is_primary)
    .bind(c.position)
    .bind(&c.id)
    .bind(&c.customer_id)
    .execute(e)
    .await?;
    Ok(())
}

/// Removes every phone of a customer (they are written again with their contacts).
pub async fn delete_phones<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: CustomerId,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM customer_phones WHERE customer_id = $1")
        .bind(customer_id.to_string())
        .execute(e)
        .await?;
    Ok(())
}

pub async fn delete_contact<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: CustomerId,
    contact_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM customer_contacts WHERE id = $1 AND customer_id = $2")
        .bind(contact_id)
        .bind(customer_id.to_string())
        .execute(e)
        .await?;
    Ok(())
}

pub async fn update_site<'e, E: Executor<'e, Database = Any>>(
    e: E,
    s: &SiteRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE customer_sites SET label = $1, address = $2, region_code = $3, latitude = CAST($4 AS DOUBLE PRECISION), longitude = CAST($5 AS DOUBLE PRECISION), \
         position = $6 WHERE id = $7 AND customer_id = $8",
    )
    .bind(&s.label)
    .bind(&s.address)
    .bind(s.region_code.clone())
    .bind(crate::float_param(s.latitude))
    .bind(crate::float_param(s.longitude))
    .bind(s.position)
    .bind(&s.id)
    .bind(&s.customer_id)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn delete_site<'e, E: Executor<'e, Database = Any>>(
    e: E,
    customer_id: CustomerId,
    site_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM customer_sites WHERE id = $1 AND customer_id = $2")
        .bind(site_id)
        .bind(customer_id.to_string())
        .execute(e)
        .await?;
    Ok(())
}

/// Serials (or ids, for units without one) of the units placed at a site.
pub async fn units_at_site<'e, E: Executor<'e, Database = Any>>(
    e: E,
    site_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(serial, id) FROM units WHERE site_id = $1 ORDER BY serial_norm",
    )
    .bind(site_id)
    .fetch_all(e)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

// ---------------------------------------------------------------------------------------
// Completeness (R-CUS-3), kept on the record by migration 0007.

/// Incomplete records by number (those lacking `missing`, when given), after `after`.
pub async fn list_incomplete<'e, E: Executor<'e, Database = Any>>(
    e: E,
    missing: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<CustomerRecord>, StoreError> {
    // `missing` is matched as a whole code: codes are space-separated.
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c \
         WHERE c.complete_pct < 100 AND ($1 IS NULL OR c.number > $1) \
         AND ($2 IS NULL OR ' ' || c.missing || ' ' LIKE '% ' || $2 || ' %') \
         ORDER BY c.number LIMIT $3"
    )))
    .bind(after.map(str::to_owned))
    .bind(missing.map(str::to_owned))
    .bind(limit + 1)
    .fetch_all(e)
    .await?;
    let items = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, limit, |c| c.number.clone()))
}

/// How many records there are, how many are complete, and how many lack each item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletenessCounts {
    pub total: i64,
    pub complete: i64,
    /// (code, records lacking it), in the order of `codes`.
    pub missing: Vec<(String, i64)>,
}

pub async fn completeness_counts<'e, E: Executor<'e, Database = Any>>(
    e: E,
    codes: &[&str],
) -> Result<CompletenessCounts, StoreError> {
    let mut cols = vec![
        "count(*)".to_owned(),
        "COALESCE(sum(CASE WHEN complete_pct = 100 THEN 1 ELSE 0 END), 0)".to_owned(),
    ];
    for (i, _) in codes.iter().enumerate() {
        cols.push(format!(
            "COALESCE(sum(CASE WHEN ' ' || missing || ' ' LIKE '% ' || ${} || ' %' THEN 1 ELSE 0 END), 0)",
            i + 1
        ));
    }
    let sql = format!("SELECT {} FROM customers", cols.join(", "));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for c in codes {
        q = q.bind((*c).to_owned());
    }
    let row = q.fetch_one(e).await?;
    use sqlx::Row as _;
    let total: i64 = row.try_get(0)?;
    let complete: i64 = row.try_get(1)?;
    let mut missing = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        missing.push(((*c).to_owned(), row.try_get::<i64, _>(i + 2)?));
    }
    Ok(CompletenessCounts {
        total,
        complete,
        missing,
    })
}

// ---- Many at once (imports) ----

use crate::bulk::{self, Val};
use sqlx::AnyConnection;

/// Inserts customers with their contacts, phones and sites in a few statements.
pub async fn insert_many(
    conn: &mut AnyConnection,
    customers: &[CustomerRecord],
    contacts: &[ContactRow],
    phones: &[PhoneRow],
    sites: &[SiteRow],
) -> Result<(), StoreError> {
    bulk::insert_rows(
        conn,
        "customers",
        &[
            "id",
            "number",
            "kind",
            "name",
            "company",
            "region_code",
            "notes",
            "search_text",
            "complete_pct",
            "missing",
            "version",
            "created_at",
            "updated_at",
        ],
        customers
            .iter()
            .map(|c| -> Result<Vec<Val>, StoreError> {
                Ok(vec![
                    Val::text(c.id.to_string()),
                    Val::text(&c.number),
                    Val::text(&c.kind),
                    Val::text(&c.name),
                    Val::Text(c.company.clone()),
                    Val::Text(c.region_code.clone()),
                    Val::Text(c.notes.clone()),
                    Val::text(&c.search_text),
                    Val::Int(Some(c.complete_pct)),
                    Val::text(&c.missing),
                    Val::Int(Some(c.version)),
                    Val::text(time::to_db(c.created_at)?),
                    Val::text(time::to_db(c.updated_at)?),
                ])
            })
            .collect::<Result<Vec<_>, _>>()?,
    )
    .await?;
    bulk::insert_rows(
        conn,
        "customer_contacts",
        &[
            "id",
            "customer_id",
            "name",
            "title",
            "is_primary",
            "position",
        ],
        contacts
            .iter()
            .map(|c| {
                vec![
                    Val::text(&c.id),
                    Val::text(&c.customer_id),
                    Val::text(&c.name),
                    Val::Text(c.title.clone()),
                    Val::Int(Some(c.is_primary)),
                    Val::Int(Some(c.position)),
                ]
            })
            .collect(),
    )
    .await?;
    bulk::insert_rows(
        conn,
        "customer_phones",
        &[
            "id",
            "customer_id",
            "contact_id",
            "number",
            "digits",
            "position",
        ],
        phones
            .iter()
            .map(|p| {
                vec![
                    Val::text(&p.id),
                    Val::text(&p.customer_id),
                    Val::Text(p.contact_id.clone()),
                    Val::text(&p.number),
                    Val::text(&p.digits),
                    Val::Int(Some(p.position)),
                ]
            })
            .collect(),
    )
    .await?;
    bulk::insert_rows(
        conn,
        "customer_sites",
        &[
            "id",
            "customer_id",
            "label",
            "address",
            "region_code",
            "latitude",
            "longitude",
            "position",
        ],
        sites
            .iter()
            .map(|s| {
                vec![
                    Val::text(&s.id),
                    Val::text(&s.customer_id),
                    Val::text(&s.label),
                    Val::text(&s.address),
                    Val::Text(s.region_code.clone()),
                    Val::Float(s.latitude),
                    Val::Float(s.longitude),
                    Val::Int(Some(s.position)),
                ]
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// (phone digits, customer id, customer number) of every stored phone with these digits.
pub async fn owners_of_phones(
    conn: &mut AnyConnection,
    digits: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    bulk::fetch_in(
        conn,
        "SELECT p.digits, c.id, c.number FROM customer_phones p JOIN customers c ON c.id = p.customer_id \
         WHERE p.digits IN ({in})",
        digits,
    )
    .await
}

/// (number, id) of the customers with these numbers.
pub async fn ids_by_number(
    conn: &mut AnyConnection,
    numbers: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    bulk::fetch_in(
        conn,
        "SELECT number, id FROM customers WHERE number IN ({in})",
        numbers,
    )
    .await
}

/// (name, address, number) of stored customers with one of these names, per site.
pub async fn addresses_of_names(
    conn: &mut AnyConnection,
    names: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    bulk::fetch_in(
        conn,
        "SELECT c.name, s.address, c.number FROM customers c JOIN customer_sites s ON s.customer_id = c.id \
         WHERE c.name IN ({in})",
        names,
    )
    .await
}

/// (customer id, site id) of the first site of each of these customers.
pub async fn first_sites(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    bulk::fetch_in(
        conn,
        "SELECT s.customer_id, s.id FROM customer_sites s WHERE s.customer_id IN ({in}) \
         AND s.position = (SELECT MIN(t.position) FROM customer_sites t WHERE t.customer_id = s.customer_id)",
        ids,
    )
    .await
}

/// A customer with what an export shows of them.
#[derive(Debug, Clone)]
pub struct CustomerFull {
    pub customer: CustomerRecord,
    pub contacts: Vec<ContactRow>,
    pub phones: Vec<PhoneRow>,
    pub sites: Vec<SiteRow>,
}

/// Customers by number after `after`, with their contacts, phones and sites: four queries
/// per page whatever its size.
pub async fn list_full(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<CustomerFull>, StoreError> {
    let page = list(&mut *conn, after, limit).await?;
    let ids: Vec<String> = page.items.iter().map(|c| c.id.to_string()).collect();
    let contacts: Vec<ContactRow> = bulk::fetch_in(
        conn,
        "SELECT id, customer_id, name, title, is_primary, position FROM customer_contacts WHERE customer_id IN ({in}) ORDER BY position",
        &ids,
    )
    .await?;
    let phones: Vec<PhoneRow> = bulk::fetch_in(
        conn,
        "SELECT id, customer_id, contact_id, number, digits, position FROM customer_phones WHERE customer_id IN ({in}) ORDER BY position",
        &ids,
    )
    .await?;
    let sites: Vec<SiteRow> = bulk::fetch_in(
        conn,
        "SELECT id, customer_id, label, address, region_code, latitude, longitude, position FROM customer_sites \
         WHERE customer_id IN ({in}) ORDER BY position",
        &ids,
    )
    .await?;
    let mut by_id: std::collections::HashMap<String, CustomerFull> = page
        .items
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                CustomerFull {
                    customer: c.clone(),
                    contacts: Vec::new(),
                    phones: Vec::new(),
                    sites: Vec::new(),
                },
            )
        })
        .collect();
    for c in contacts {
        if let Some(f) = by_id.get_mut(&c.customer_id) {
            f.contacts.push(c);
        }
    }
    for p in phones {
        if let Some(f) = by_id.get_mut(&p.customer_id) {
            f.phones.push(p);
        }
    }
    for s in sites {
        if let Some(f) = by_id.get_mut(&s.customer_id) {
            f.sites.push(s);
        }
    }
    let items = page
        .items
        .iter()
        .filter_map(|c| by_id.remove(&c.id.to_string()))
        .collect();
    Ok(Page {
        items,
        next: page.next,
    })
}
