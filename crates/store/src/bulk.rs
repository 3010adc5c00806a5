//! Many rows in few statements: multi-row `INSERT … VALUES (…), (…)` and `IN (…)` lookups
//! in chunks, for imports of thousands of records in one transaction. A round trip per row
//! costs more than the work of the row itself, on PostgreSQL most of all.

use crate::error::StoreError;
use sqlx::AnyConnection;

/// A value to bind; the `Any` driver carries text, integers and floats (and NULL of each).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
}

impl Val {
    pub fn text(s: impl Into<String>) -> Val {
        Val::Text(Some(s.into()))
    }
}

/// Rows per statement: within SQLite's 32,766 and PostgreSQL's 65,535 parameters, and
/// small enough that a statement stays a few hundred kilobytes.
const MAX_ROWS_PER_STATEMENT: usize = 500;
const MAX_PARAMS: usize = 30_000;
/// SQLite's cost per bound parameter grows with the statement's parameter count: 10,000
/// rows of 24 columns took 3.2 s in statements of 500 rows and 0.6 s in statements of 25
/// to 50 (bench/flow's loader). Round trips cost nothing in-process, so SQLite gets short
/// statements.
const MAX_PARAMS_SQLITE: usize = 1_000;

/// `$start, $start+1, …` (n placeholders).
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts `rows` (each with one value per column of `cols`) into `table`.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    table: &'static str,
    cols: &'static [&'static str],
    rows: Vec<Vec<Val>>,
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let max_params = if conn.backend_name() == "SQLite" {
        MAX_PARAMS_SQLITE
    } else {
        MAX_PARAMS
    };
    let per = (max_params / cols.len()).clamp(1, MAX_ROWS_PER_STATEMENT);
    let mut done = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        // Floats travel as text and are cast in the SQL (see `crate::float_param`).
        let values = chunk
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let ps: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(c, v)| {
                        let p = format!("${}", r * cols.len() + c + 1);
                        match v {
                            Val::Float(_) => format!("CAST({p} AS DOUBLE PRECISION)"),
                            _ => p,
                        }
                    })
                    .collect();
                format!("({})", ps.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO {table} ({}) VALUES {values}", cols.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), cols.len());
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::Float(f) => q.bind(crate::float_param(f)),
                };
            }
        }
        done += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(done)
}

/// Runs `sql` (holding `{in}` where the placeholder list goes, after `fixed` leading
/// parameters) once per chunk of `keys`, and collects the rows.
pub(crate) async fn fetch_in<T>(
    conn: &mut AnyConnection,
    sql: &str,
    keys: &[String],
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    let mut uniq: Vec<&String> = keys.iter().collect();
    uniq.sort();
    uniq.dedup();
    for chunk in uniq.chunks(MAX_ROWS_PER_STATEMENT) {
        let text = sql.replace("{in}", &placeholders(1, chunk.len()));
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(text));
        for k in chunk {
            q = q.bind((*k).clone());
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_count_from_the_start() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(4, 2), "$4, $5");
    }
}
