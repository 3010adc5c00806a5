//! Storage for aftersales: one repository API over SQLite (the embedded default) and
//! PostgreSQL, chosen by the database URL at start.
//!
//! All SQL goes through sqlx's `Any` driver with `$n` placeholders, which both backends
//! accept, so one text serves both; per-backend SQL only where the dialects differ (see
//! `Backend`). Both migration trees are exercised by the same integration suite, so they
//! cannot drift apart unnoticed. Repository functions take any executor: the pool for
//! reads, a [`Tx`] for writes, and every write records its audit row in that same
//! transaction.

pub mod accounts;
pub mod administration;
pub mod bulk;
pub mod charges;
pub mod counters;
mod db;
mod error;
pub mod idempotency;
pub mod installed_base;
pub mod kpis;
pub mod loaners;
pub mod network;
pub mod parts;
pub mod service;
pub mod sla;
pub mod time;

pub use db::{Backend, Db, DbOptions, Tx};

/// A nullable floating-point value as it is bound: as text, cast in the SQL with
/// `CAST($n AS DOUBLE PRECISION)`. sqlx 0.9's `Any` driver declares a NULL double to
/// PostgreSQL as `float4` (and a NULL real as `float8`), so a statement first prepared with
/// a NULL is later fed 8-byte values for a 4-byte parameter and fails ("incorrect binary
/// data format"). Text parameters have no such mismatch; Rust prints an `f64` so that it
/// reads back exactly.
pub fn float_param(v: Option<f64>) -> Option<String> {
    v.filter(|f| f.is_finite()).map(|f| f.to_string())
}
pub use error::StoreError;
/// A connection, for reads that take several queries (from [`Db::acquire`]).
pub use sqlx::AnyConnection as Conn;
/// A connection held from the pool.
pub type PooledConn = sqlx::pool::PoolConnection<sqlx::Any>;

/// A page of a keyset-paginated list: `next` is the key to continue after, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next }
    }
}
