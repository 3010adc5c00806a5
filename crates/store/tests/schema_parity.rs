//! The two migration trees make the same schema (issue 12): a fresh SQLite file and a fresh
//! PostgreSQL database (the server at `AFTERSALES_TEST_PG_URL`; never skipped) are migrated,
//! their catalogs read back, and compared: the tables, each table's columns and whether
//! they may be NULL, its primary key, its unique constraints, its indexes (name, columns,
//! unique, partial), how many CHECK constraints and how many foreign keys it has. Every
//! difference must be on the short allow-list below, with its reason; an entry that no
//! longer matches anything fails too, so the list stays true.
//!
//! Not compared: column types (the trees use each backend's own: TEXT timestamps on
//! SQLite, TIMESTAMPTZ on PostgreSQL, …), defaults, the text of CHECK expressions, triggers
//! and functions.

use aftersales_store::{Db, DbOptions};
use sqlx::{Any, AnyPool, Connection};
use std::collections::{BTreeMap, BTreeSet};

/// Differences that are known and accepted, each with its reason. The text is the
/// difference as the test words it; one `*` stands for any text.
const ALLOWED: &[(&str, &str)] = &[
    (
        "table search_positions: only in sqlite",
        "1..1000 for the search-suffix triggers: SQLite allows no recursive WITH inside a \
         trigger; PostgreSQL's triggers use generate_series (migration 0004)",
    ),
    (
        "index customers.customers_name_search: (columns, unique, partial) \
         ([\"name\", \"id\", \"search_text\", \"number\"], false, false) in sqlite, \
         ([\"name\", \"id\"], false, false) in postgres",
        "a covering index for the search box (migration 0004): PostgreSQL carries \
         search_text and number as INCLUDE columns, SQLite (which has no INCLUDE) as \
         trailing key columns",
    ),
    (
        "column *: primary key without NOT NULL in sqlite",
        "SQLite (unlike PostgreSQL) lets a primary-key column of a rowid table that is not \
         INTEGER hold NULL unless it says NOT NULL (a documented legacy behaviour); the \
         trees write `id TEXT PRIMARY KEY`, the store always writes the key, and making it \
         NOT NULL would rebuild every table in a new migration",
    ),
];

/// `pattern` with at most one `*` matches `text`.
fn matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.len() >= head.len() + tail.len() && text.starts_with(head) && text.ends_with(tail)
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Table {
    /// Column name → may it be NULL.
    columns: BTreeMap<String, bool>,
    primary_key: Vec<String>,
    /// The column lists of UNIQUE constraints (their names differ by backend).
    uniques: BTreeSet<Vec<String>>,
    /// Index name → (columns, unique, partial); `<expr>` for an expression.
    indexes: BTreeMap<String, (Vec<String>, bool, bool)>,
    checks: usize,
    foreign_keys: usize,
}

type Schema = BTreeMap<String, Table>;

/// Tables of the migration machinery, not of the application.
fn ignored(table: &str) -> bool {
    table == "_sqlx_migrations"
}

fn pg_admin_url() -> String {
    std::env::var("AFTERSALES_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn migrated(url: &str) -> Db {
    let db = Db::connect(url, &DbOptions::default())
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    db.migrate().await.expect("migrations apply");
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_make_the_same_schema() {
    sqlx::any::install_default_drivers();
    // SQLite: a fresh file.
    let dir = std::env::temp_dir().join(format!(
        "aftersales-parity-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = migrated(&format!("sqlite://{}", dir.join("p.db").display())).await;
    let lite = sqlite_schema(sqlite.pool()).await;
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    // PostgreSQL: a fresh database, dropped after.
    let admin = pg_admin_url();
    let name = format!("as_parity_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for tests is not reachable at {admin}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').expect("url has a database").0;
    let pg = migrated(&format!("{base}/{name}")).await;
    let post = postgres_schema(pg.pool()).await;
    pg.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await
    .expect("drop database");

    for s in [&lite, &post] {
        let sum = |f: fn(&Table) -> usize| s.values().map(f).sum::<usize>();
        assert!(
            s.len() > 20
                && sum(|t| t.columns.len()) > 200
                && sum(|t| t.indexes.len()) > 20
                && sum(|t| t.uniques.len()) > 5
                && sum(|t| t.checks) > 20
                && sum(|t| t.foreign_keys) > 20,
            "the catalogs were read"
        );
    }
    let found = differences(&lite, &post);
    let unexpected: Vec<&String> = found
        .iter()
        .filter(|d| !ALLOWED.iter().any(|(a, _)| matches(a, d)))
        .collect();
    let stale: Vec<&str> = ALLOWED
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| !found.iter().any(|d| matches(a, d)))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "the migration trees differ:\n  {}\nallowed differences that no longer exist:\n  {}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        stale.join("\n  ")
    );
}

/// Every difference, worded for the allow-list.
fn differences(lite: &Schema, post: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (name, t) in lite {
        if !post.contains_key(name) {
            out.push(format!("table {name}: only in sqlite"));
        } else {
            compare(name, t, &post[name], &mut out);
        }
    }
    for name in post.keys() {
        if !lite.contains_key(name) {
            out.push(format!("table {name}: only in postgres"));
        }
    }
    out
}

fn compare(table: &str, l: &Table, p: &Table, out: &mut Vec<String>) {
    for (c, null) in &l.columns {
        match p.columns.get(c) {
            None => out.push(format!("column {table}.{c}: only in sqlite")),
            Some(false) if *null && l.primary_key.contains(c) => out.push(format!(
                "column {table}.{c}: primary key without NOT NULL in sqlite"
            )),
            Some(pn) if pn != null => out.push(format!(
                "column {table}.{c}: nullable {null} in sqlite, {pn} in postgres"
            )),
            Some(_) => {}
        }
    }
    for c in p.columns.keys() {
        if !l.columns.contains_key(c) {
            out.push(format!("column {table}.{c}: only in postgres"));
        }
    }
    if l.primary_key != p.primary_key {
        out.push(format!(
            "table {table}: primary key {:?} in sqlite, {:?} in postgres",
            l.primary_key, p.primary_key
        ));
    }
    for u in l.uniques.difference(&p.uniques) {
        out.push(format!("table {table}: unique {u:?} only in sqlite"));
    }
    for u in p.uniques.difference(&l.uniques) {
        out.push(format!("table {table}: unique {u:?} only in postgres"));
    }
    for (i, def) in &l.indexes {
        match p.indexes.get(i) {
            None => out.push(format!("index {table}.{i}: only in sqlite")),
            Some(pd) if pd != def => out.push(format!(
                "index {table}.{i}: (columns, unique, partial) {def:?} in sqlite, {pd:?} in postgres"
            )),
            Some(_) => {}
        }
    }
    for i in p.indexes.keys() {
        if !l.indexes.contains_key(i) {
            out.push(format!("index {table}.{i}: only in postgres"));
        }
    }
    if l.checks != p.checks {
        out.push(format!(
            "table {table}: {} CHECK constraints in sqlite, {} in postgres",
            l.checks, p.checks
        ));
    }
    if l.foreign_keys != p.foreign_keys {
        out.push(format!(
            "table {table}: {} foreign keys in sqlite, {} in postgres",
            l.foreign_keys, p.foreign_keys
        ));
    }
}

async fn rows<T>(pool: &AnyPool, sql: String) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as::<Any, T>(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .expect("catalog query")
}

async fn sqlite_schema(pool: &AnyPool) -> Schema {
    let mut schema = Schema::new();
    let tables: Vec<(String, String)> = rows(
        pool,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' ORDER BY name"
            .into(),
    )
    .await;
    for (name, sql) in tables {
        if ignored(&name) {
            continue;
        }
        let mut t = Table::default();
        let cols: Vec<(String, i64, i64, String)> = rows(
            pool,
            format!(
                "SELECT name, \"notnull\", pk, type FROM pragma_table_info('{name}') ORDER BY cid"
            ),
        )
        .await;
        let without_rowid = sql.to_uppercase().contains("WITHOUT ROWID");
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (c, notnull, in_pk, ty) in cols {
            // A primary-key column is never NULL when it is the rowid (INTEGER PRIMARY
            // KEY) or the table is WITHOUT ROWID; otherwise SQLite lets it be NULL unless
            // it says NOT NULL, and so does this comparison.
            let never_null = notnull == 1
                || (in_pk > 0 && (without_rowid || ty.eq_ignore_ascii_case("INTEGER")));
            t.columns.insert(c.clone(), !never_null);
            if in_pk > 0 {
                pk.push((in_pk, c));
            }
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        let indexes: Vec<(String, i64, String, i64)> = rows(
            pool,
            format!("SELECT name, \"unique\", origin, partial FROM pragma_index_list('{name}')"),
        )
        .await;
        for (index, unique, origin, partial) in indexes {
            let cols: Vec<(Option<String>,)> = rows(
                pool,
                format!("SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"),
            )
            .await;
            let cols: Vec<String> = cols
                .into_iter()
                .map(|(c,)| c.unwrap_or_else(|| "<expr>".into()))
                .collect();
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    t.uniques.insert(cols);
                }
                _ => {
                    t.indexes.insert(index, (cols, unique == 1, partial == 1));
                }
            }
        }
        t.checks = count_checks(&sql);
        let fks: Vec<(i64,)> = rows(
            pool,
            format!("SELECT DISTINCT id FROM pragma_foreign_key_list('{name}')"),
        )
        .await;
        t.foreign_keys = fks.len();
        schema.insert(name, t);
    }
    schema
}

/// The CHECK constraints of a CREATE TABLE statement: the word CHECK outside quotes and
/// comments.
fn count_checks(sql: &str) -> usize {
    let mut code = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A quoted string or name ('' and "" escape themselves: two in a row
                // close and reopen, which skips the same).
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                code.push(' ');
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                code.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                code.push(' ');
            }
            c => code.push(c.to_ascii_uppercase()),
        }
    }
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| *w == "CHECK")
        .count()
}

async fn postgres_schema(pool: &AnyPool) -> Schema {
    let mut schema = Schema::new();
    let tables: Vec<(String,)> = rows(
        pool,
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
            .into(),
    )
    .await;
    for (name,) in tables {
        if ignored(&name) {
            continue;
        }
        let mut t = Table::default();
        let cols: Vec<(String, String)> = rows(
            pool,
            format!(
                "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{name}' ORDER BY ordinal_position"
            ),
        )
        .await;
        for (c, nullable) in cols {
            t.columns.insert(c, nullable == "YES");
        }
        // Constraints: kind and the columns in the constraint's order.
        let cons: Vec<(String, String, Option<String>)> = rows(
            pool,
            format!(
                "SELECT con.conname::text, con.contype::text, \
                   (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relname = '{name}'"
            ),
        )
        .await;
        for (_, kind, cols) in cons {
            let cols: Vec<String> = cols
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            match kind.as_str() {
                "p" => t.primary_key = cols,
                "u" => {
                    t.uniques.insert(cols);
                }
                "c" => t.checks += 1,
                "f" => t.foreign_keys += 1,
                _ => {}
            }
        }
        // Indexes that back no constraint (those are compared above).
        let idx: Vec<(String, bool, bool, Option<String>)> = rows(
            pool,
            format!(
                "SELECT i.relname::text, ix.indisunique, ix.indpred IS NOT NULL, \
                   (SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ',' ORDER BY k.ord) \
                      FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                      LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum \
                      WHERE k.ord <= ix.indnkeyatts) \
                 FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
                 JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relname = '{name}' \
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid)"
            ),
        )
        .await;
        for (index, unique, partial, cols) in idx {
            let cols = cols
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned)
                .collect();
            t.indexes.insert(index, (cols, unique, partial));
        }
        schema.insert(name, t);
    }
    schema
}

#[test]
fn checks_are_counted_outside_quotes_and_comments() {
    assert_eq!(
        count_checks(
            "CREATE TABLE t (a TEXT CHECK (a IN ('check', 'x')), -- no check here\n\
             b INT /* CHECK */, \"check\" INT, CONSTRAINT c CHECK (b > 0), rechecked INT)"
        ),
        2
    );
}
