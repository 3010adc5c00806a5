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
    version: i64,
    created_at: String,
    updated_at: String,
}

const COLS: &str = "c.id, c.number, c.kind, c.name, c.company, c.region_code, c.notes, c.search_text, c.version, c.created_at, c.updated_at";

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
        "INSERT INTO customers (id, number, kind, name, company, region_code, notes, search_text, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(c.id.to_string())
    .bind(&c.number)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(c.company.clone())
    .bind(c.region_code.clone())
    .bind(c.notes.clone())
    .bind(&c.search_text)
    .bind(c.version)
    .bind(time::to_db(c.created_at))
    .bind(time::to_db(c.updated_at))
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
         version = $7, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(&c.kind)
    .bind(&c.name)
    .bind(c.company.clone())
    .bind(c.region_code.clone())
    .bind(c.notes.clone())
    .bind(&c.search_text)
    .bind(c.version)
    .bind(time::to_db(c.updated_at))
    .bind(c.id.to_string())
    .bind(expected)
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&s.id)
    .bind(&s.customer_id)
    .bind(&s.label)
    .bind(&s.address)
    .bind(s.region_code.clone())
    .bind(s.latitude)
    .bind(s.longitude)
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

/// Customers having a phone whose digits contain `digits`.
pub async fn by_phone_digits<'e, E: Executor<'e, Database = Any>>(
    e: E,
    digits: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE c.id IN \
         (SELECT p.customer_id FROM customer_phones p WHERE p.digits LIKE '%' || $1 || '%') ORDER BY c.name, c.id LIMIT $2"
    )))
    .bind(digits)
    .bind(limit)
    .fetch_all(e)
    .await?;
    rows.into_iter().map(record).collect()
}

/// Customers whose name, company or pinyin initials contain `text` (lower case).
pub async fn by_text<'e, E: Executor<'e, Database = Any>>(
    e: E,
    text: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE c.search_text LIKE '%' || $1 || '%' OR c.number = $2 ORDER BY c.name, c.id LIMIT $3"
    )))
    .bind(text)
    .bind(text.to_uppercase())
    .bind(limit)
    .fetch_all(e)
    .await?;
    rows.into_iter().map(record).collect()
}

/// Customers owning a unit whose normalized serial starts with `serial_norm`.
pub async fn by_serial_prefix<'e, E: Executor<'e, Database = Any>>(
    e: E,
    serial_norm: &str,
    limit: i64,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM customers c WHERE c.id IN \
         (SELECT u.customer_id FROM units u WHERE u.serial_norm >= $1 AND u.serial_norm < $1 || '~') ORDER BY c.name, c.id LIMIT $2"
    )))
    .bind(serial_norm)
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
/// same address.
pub async fn likely_duplicates<'e, E: Executor<'e, Database = Any>>(
    e: E,
    digits: &[String],
    name: &str,
    addresses: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    let phones = bar_list(digits);
    let addrs = bar_list(addresses);
    // Matches as (customer id, number, what matched). The lists travel as one '|'-joined
    // text matched with LIKE, which keeps a single SQL text for both backends (no arrays).
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT c.id, c.number, 'phone' FROM customers c JOIN customer_phones p ON p.customer_id = c.id \
           WHERE $1 LIKE '%|' || p.digits || '|%' \
         UNION \
         SELECT DISTINCT c.id, c.number, 'name_address' FROM customers c JOIN customer_sites s ON s.customer_id = c.id \
           WHERE c.name = $2 AND $3 LIKE '%|' || s.address || '|%'",
    )
    .bind(phones)
    .bind(name)
    .bind(addrs)
    .fetch_all(e)
    .await?;
    Ok(rows)
}

fn bar_list(items: &[String]) -> String {
    let mut s = String::from("|");
    for i in items {
        s.push_str(&i.replace('|', " "));
        s.push('|');
    }
    s
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
            "version",
            "created_at",
            "updated_at",
        ],
        customers
            .iter()
            .map(|c| {
                vec![
                    Val::text(c.id.to_string()),
                    Val::text(&c.number),
                    Val::text(&c.kind),
                    Val::text(&c.name),
                    Val::Text(c.company.clone()),
                    Val::Text(c.region_code.clone()),
                    Val::Text(c.notes.clone()),
                    Val::text(&c.search_text),
                    Val::Int(Some(c.version)),
                    Val::text(time::to_db(c.created_at)),
                    Val::text(time::to_db(c.updated_at)),
                ]
            })
            .collect(),
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
